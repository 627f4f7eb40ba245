/**
 * Golden parity of the raw and JSON dumps with bpftool v7.7.0.
 *
 * Always run: the small distilled-base/split pairs copied to test/golden/modules/.
 * Run when present (skipped otherwise): the shared golden set (goldenDir(): env BTFKIT_GOLDEN,
 * else ../shared/golden beside the repo) with its inputs (the corpus, else env BTFKIT_CACHE,
 * see src/testing/fixtures.ts): the 6.1.0-47/-55 vmlinux raw + JSON dumps, the 40
 * sampled modules dumped with -B the 6.1.0-47 vmlinux, and their 80 distilled/split dumps.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { gunzipSync } from 'node:zlib';
import type { Btf } from '../model/btf.js';
import { parseBtf } from '../format/parse.js';
import { dumpRaw } from './raw.js';
import { dumpJson } from './json.js';
import { hasCorpus, kernelBtfPath, modulesDir } from '../../scripts/corpus-paths.js';
import { parseElf } from '../elf/index.js';
import { cachePath, goldenDir } from '../testing/fixtures.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const LOCAL_GOLDEN = join(REPO, 'test', 'golden');

const SHARED = goldenDir();
const CACHE = cachePath();
const KO_ROOT = hasCorpus('6.1.0-47-amd64') ? modulesDir('6.1.0-47-amd64') : CACHE
  ? join(CACHE, 'x', 'linux-image-6.1.0-47-amd64-unsigned_6.1.170-3_amd64', 'lib', 'modules', '6.1.0-47-amd64', 'kernel')
  : null;

const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const readGz = (p: string): Uint8Array => new Uint8Array(gunzipSync(readFileSync(p)));

/** Byte equality; on mismatch, fails with the first differing line of both sides. */
function assertSameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  const a = Buffer.from(got.buffer, got.byteOffset, got.length);
  if (a.equals(want)) return;
  let i = 0;
  while (i < a.length && i < want.length && a[i] === want[i]) i++;
  const lineStart = Math.max(a.lastIndexOf(10, i - 1), 0);
  const show = (b: Uint8Array) => Buffer.from(b.subarray(lineStart, Math.min(b.length, i + 120))).toString('latin1');
  assert.fail(`${what}: differs at byte ${i} (got ${a.length} bytes, want ${want.length})\n got: ${show(got)}\nwant: ${show(want)}`);
}

/** The bytes of section `name` of an ELF file (src/elf), or null. */
function elfSection(f: Uint8Array, name: string): Uint8Array | null {
  const elf = parseElf(f);
  const sec = elf.section(name);
  return sec ? elf.sectionData(sec) : null;
}

/** Checks the distilled_base / split pair of a golden module directory. */
function checkDistilledPair(dir: string, name: string): void {
  const db = parseBtf(read(join(dir, 'distilled_base.btf')));
  assertSameBytes(dumpRaw(db), readGz(join(dir, 'distilled_base.raw.txt.gz')), `${name} distilled_base`);
  const split = parseBtf(read(join(dir, 'split.btf')), { base: db });
  const want = readGz(join(dir, 'split.raw.txt.gz'));
  assertSameBytes(dumpRaw(split), want, `${name} split`);
  // The JSON dump of the same object lists the same ids and kinds as the raw dump.
  const json = JSON.parse(Buffer.from(dumpJson(split)).toString('utf8')) as { types: { id: number; kind: string }[] };
  const lines = Buffer.from(want).toString('latin1').match(/^\[\d+\] [A-Z_0-9]+/gm) ?? [];
  assert.deepEqual(json.types.map((t) => `[${t.id}] ${t.kind}`), lines, `${name} split json ids/kinds`);
}

function moduleDirs(root: string): string[] {
  const m = join(root, 'modules');
  if (!existsSync(m)) return [];
  return readdirSync(m).filter((n) => existsSync(join(m, n, 'split.btf'))).sort();
}

test('golden (in repo): distilled_base and split raw dumps are byte-identical to bpftool', () => {
  const names = moduleDirs(LOCAL_GOLDEN);
  assert.ok(names.length >= 5, `expected golden modules under ${LOCAL_GOLDEN}`);
  for (const n of names) checkDistilledPair(join(LOCAL_GOLDEN, 'modules', n), n);
});

test('golden (shared): the 80 distilled_base/split raw dumps', { skip: SHARED ? false : 'shared golden set not found' }, (t) => {
  const names = moduleDirs(SHARED!);
  for (const n of names) checkDistilledPair(join(SHARED!, 'modules', n), n);
  t.diagnostic(`${names.length} modules, ${names.length * 2} dumps byte-identical`);
});

const KERNELS = ['6.1.0-47', '6.1.0-55'] as const;
let v47: Btf | null = null;

for (const k of KERNELS) {
  const input = hasCorpus(`${k}-amd64`) ? kernelBtfPath(`${k}-amd64`) : CACHE ? join(CACHE, 'vmlinux', `${k}-amd64.btf`) : '';
  const gdir = SHARED ? join(SHARED, 'vmlinux', `debian-${k}-amd64`) : '';
  const skip = !SHARED || !existsSync(input) || !existsSync(gdir) ? `vmlinux ${k} input or golden not found` : false;

  test(`golden (shared): vmlinux ${k} raw dump is byte-identical`, { skip }, (t) => {
    const btf = parseBtf(read(input));
    if (k === '6.1.0-47') v47 = btf;
    const t0 = performance.now();
    const out = dumpRaw(btf);
    const t1 = performance.now();
    assertSameBytes(out, readGz(join(gdir, 'raw.txt.gz')), `vmlinux ${k} raw`);
    t.diagnostic(`${btf.nTypes} types, ${out.length} bytes in ${(t1 - t0).toFixed(1)} ms`);
  });

  test(`golden (shared): vmlinux ${k} JSON dump is byte-identical and equal as parsed JSON`, { skip }, (t) => {
    const btf = parseBtf(read(input));
    const t0 = performance.now();
    const out = dumpJson(btf);
    const t1 = performance.now();
    const want = readGz(join(gdir, 'raw.json.gz'));
    assertSameBytes(out, want, `vmlinux ${k} json`);
    const got = JSON.parse(Buffer.from(out).toString('utf8'));
    assert.ok(isDeepStrictEqual(got, JSON.parse(Buffer.from(want).toString('utf8'))), 'parsed JSON differs');
    t.diagnostic(`${out.length} bytes in ${(t1 - t0).toFixed(1)} ms`);
  });
}

{
  const input47 = hasCorpus('6.1.0-47-amd64') ? kernelBtfPath('6.1.0-47-amd64') : CACHE ? join(CACHE, 'vmlinux', '6.1.0-47-amd64.btf') : '';
  const skip = !SHARED || !KO_ROOT || !existsSync(KO_ROOT) || !existsSync(input47) ? 'module .ko files or 6.1.0-47 vmlinux BTF not found' : false;
  test('golden (shared): the 40 modules dumped with -B the 6.1.0-47 vmlinux', { skip }, (t) => {
    const base = v47 ?? parseBtf(read(input47));
    const names = moduleDirs(SHARED!);
    let n = 0;
    for (const name of names) {
      const dir = join(SHARED!, 'modules', name);
      const result = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as { module: string; btf_section: { sha256: string; size: number } };
      const ko = join(KO_ROOT!, result.module);
      const sec = elfSection(read(ko), '.BTF');
      assert.ok(sec, `${result.module}: no .BTF section`);
      assert.equal(createHash('sha256').update(sec).digest('hex'), result.btf_section.sha256, `${result.module}: .BTF digest`);
      const split = parseBtf(sec, { base });
      assertSameBytes(dumpRaw(split), readGz(join(dir, 'module.raw.txt.gz')), `${result.module} raw`);
      n++;
    }
    t.diagnostic(`${n} module dumps byte-identical`);
  });
}
