/**
 * The encoder against pahole v1.31 (test/golden/encoder, made by scripts/golden-encoder.sh):
 *  - the DWARF fixtures (sample.c and args.c by gcc 12 and clang, DWARF 4 and 5) encoded and
 *    deduplicated equal `pahole -J` of the same objects byte for byte;
 *  - every module of the encoder corpus (scripts/encoder-corpus.sh: in-tree 6.12 modules and
 *    v4l2loopback built by kbuild, when present) gets the .BTF, .BTF.base and .BTF_ids digests
 *    kbuild + pahole + resolve_btfids gave it, and pahole's refusals are refusals;
 *  - bad input: no DWARF, BTF already there, mutated DWARF: one BtfkitError, never another throw.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf, rewriteElf } from '../elf/index.js';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { BtfkitError } from '../errors.js';
import { dedup } from '../split/dedup/index.js';
import type { Btf } from '../model/btf.js';
import { encodeModuleBtf } from './index.js';
import { readDwarf, UnitType } from '../dwarf/index.js';
import { encodeModule } from './module.js';
import { checkEncoderGolden } from '../testing/encoder-golden.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/dwarf');
const GOLD = join(ROOT, 'test/golden/encoder');
const OBJECTS = ['sample-gcc-dwarf5', 'sample-gcc-dwarf4', 'sample-clang-dwarf5', 'sample-clang-dwarf4',
  // structs by value past the register parameters: pahole's packed inference ("uncertain location")
  'args-gcc-dwarf5', 'args-gcc-dwarf4', 'args-clang-dwarf5', 'args-clang-dwarf4',
  // -fdebug-types-section: type units in section groups, unread by pahole's libdw (types by signature are void)
  'typeunits-gcc-dwarf4', 'typeunits-gcc-dwarf5'];

const object = (n: string) => parseElf(new Uint8Array(readFileSync(join(FIX, `${n}.o`))));

for (const n of OBJECTS) {
  test(`${n}: encoded and deduplicated as pahole -J writes it`, () => {
    const pre = encodeModuleBtf(object(n), null);
    const out = serializeBtf(dedup(pre, { stringsDeduped: true }).btf);
    assert.deepEqual(out, new Uint8Array(readFileSync(join(GOLD, `${n}.btf`))));
  });
}

test('no DWARF, or BTF already present: one BtfkitError naming the section', () => {
  const elf = object('sample-gcc-dwarf5');
  const stripped = parseElf(rewriteElf(elf, { replace: new Map([['.debug_info', new Uint8Array(0)]]) }));
  assert.throws(() => encodeModuleBtf(stripped, null), (e: unknown) => e instanceof BtfkitError && e.code === 'ELF_NO_SECTION' && e.where.section === '.debug_info');
  const withBtf = parseElf(rewriteElf(elf, { add: [{ name: '.BTF', data: new Uint8Array(24) }] }));
  assert.throws(() => encodeModule(withBtf, parseBtf(new Uint8Array(readFileSync(join(GOLD, 'sample-gcc-dwarf5.btf'))))), /already has a \.BTF section/);
});

test('a complex float type: refused with pahole\'s line (complex-gcc-dwarf5.o, test/fixtures/dwarf/complex.c)', () => {
  const want = readFileSync(join(GOLD, 'complex-gcc-dwarf5.refused.txt'), 'utf8').trim();
  assert.equal(want, 'Complex, interval and imaginary float types are not supported');
  assert.throws(() => encodeModuleBtf(object('complex-gcc-dwarf5'), null), (e: unknown) =>
    e instanceof BtfkitError && e.code === 'DWARF' && e.message.includes(want));
});

const HAVE_LD = spawnSync('ld', ['--version']).status === 0;

test('DWARF type units merged into .debug_info (ld -r --force-group-allocation): refused, naming the first unit', { skip: !HAVE_LD && 'no ld' }, () => {
  const linked = join(tmpdir(), `btfkit-typeunits-${process.pid}.o`);
  const r = spawnSync('ld', ['-r', '--force-group-allocation', join(FIX, 'typeunits-gcc-dwarf5.o'), '-o', linked]);
  assert.equal(r.status, 0, r.stderr?.toString());
  try {
    const el = parseElf(new Uint8Array(readFileSync(linked)));
    assert.equal(el.sections.filter((s) => s.name === '.debug_info').length, 1);
    const tu = readDwarf(el).units.find((u) => u.unitType === UnitType.type);
    assert.ok(tu);
    assert.throws(() => encodeModuleBtf(el, null), (e: unknown) => e instanceof BtfkitError && e.code === 'DWARF'
      && e.message === "DWARF type units merged into the file's own debug info are not supported (as a compiler leaves them, with -fdebug-types-section, they are)"
      && e.where.section === '.debug_info' && e.where.offset === tu.offset);
  } finally {
    rmSync(linked, { force: true });
  }
});

test('mutated DWARF: a BtfkitError or BTF, nothing else', () => {
  const elf = object('sample-clang-dwarf5');
  const info = elf.section('.debug_info')!;
  let x = 12345;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8);
  let refused = 0;
  for (let round = 0; round < 300; round++) {
    const bytes = elf.bytes.slice();
    for (let k = 1 + (rnd() % 3); k > 0; k--) bytes[info.offset + (rnd() % info.size)] = rnd() & 0xff;
    try {
      encodeModuleBtf(parseElf(bytes), null);
    } catch (e) {
      assert.ok(e instanceof BtfkitError, `round ${round}: ${String(e)}`);
      refused++;
    }
  }
  assert.ok(refused > 30, `${refused} of 300 refused`);
});

// ---------------------------------------------------------------- the module corpus

const corpus = join(process.env.BTFKIT_CORPUS ?? join(process.env.XDG_CACHE_HOME ?? join(process.env.HOME ?? '', '.cache'), 'btfkit', 'corpus'), 'encoder');
const KERNEL_CANDIDATES = [
  '/usr/src/linux-headers-6.12.118+deb12-amd64/vmlinux',
  join(corpus, '..', 'kernel-oracle', '6.12.118+deb12-amd64', 'vmlinux.btf'),
  join(corpus, '..', '6.12.118+deb12-amd64', 'vmlinux.btf'),
];
const kernelPath = KERNEL_CANDIDATES.find((p) => existsSync(p));
const skipCorpus = !existsSync(corpus) ? `no encoder corpus at ${corpus} (scripts/encoder-corpus.sh)` : !kernelPath ? 'no 6.12.118 kernel BTF (linux-headers-6.12.118+deb12-amd64)' : false;

function loadKernel(path: string): Btf {
  const bytes = new Uint8Array(readFileSync(path));
  if (bytes[0] === 0x7f) {
    const elf = parseElf(bytes);
    return parseBtf(elf.sectionData(elf.section('.BTF')!));
  }
  return parseBtf(bytes);
}

test('encoder corpus: .BTF, .BTF.base and .BTF_ids as kbuild + pahole v1.31 made them', { skip: skipCorpus }, () => {
  const results = checkEncoderGolden(join(GOLD, 'modules.tsv'), corpus, loadKernel(kernelPath!));
  for (const r of results) assert.ok(r.ok, `${r.module}: ${r.detail}`);
  const refused = results.filter((r) => r.refused).length;
  const identical = results.length - refused;
  assert.ok(identical >= 40 && refused >= 1, `${identical} identical, ${refused} refused`);
});
