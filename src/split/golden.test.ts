/**
 * Golden parity with libbpf v1.7.0 on real kernel modules, and the distill→relocate property.
 *
 * Always (CI): for the 8 modules in test/golden/split, relocate the golden split.btf (over
 * distilled_base.btf) onto "skeleton" vmlinux BTFs of 6.1.0-47 / 6.1.0-55 / 6.1.0-55-cloud
 * (same type count and string length, the same-named types of every distilled name at their
 * own ids and string offsets, all else anonymous filler; see scripts/split-corpus.ts) and
 * compare the relocated bytes, the id map text and the error message with libbpf's.
 *
 * With the corpus (npm run corpus; src/testing/fixtures.ts; else skipped): the same for all 40
 * sampled modules of the shared golden set on the real vmlinux BTFs, distill of each module's .BTF
 * against vmlinux-47 compared byte for byte, and the property that distilling and then
 * relocating onto the same base gives a split BTF equivalent to the original (same types,
 * names and references) plus only the duplicated anonymous/reference base types.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { parseElf } from '../elf/index.js';
import type { Btf } from '../model/btf.js';
import { distillBase } from './distill.js';
import { relocate, tryRelocate } from './relocate.js';
import { idFieldPos, strFieldStride } from './distill.js';
import { hasCorpus, kernelBtfPath, modulesDir } from '../../scripts/corpus-paths.js';
import { GOLDEN as SPLIT_GOLDEN } from '../../scripts/split-corpus.js';
import { cacheDir } from '../testing/fixtures.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const FIXTURES = join(ROOT, 'test/golden/split');
const CACHE = cacheDir();
const VMLINUX = (k: string): string => (hasCorpus(`${k}-amd64`) ? kernelBtfPath(`${k}-amd64`) : join(CACHE, 'vmlinux', `${k}-amd64.btf`));
const MODULES = hasCorpus('6.1.0-47-amd64') ? modulesDir('6.1.0-47-amd64') : join(CACHE, 'x/linux-image-6.1.0-47-amd64-unsigned_6.1.170-3_amd64/lib/modules/6.1.0-47-amd64/kernel');
const GOLDEN = join(SPLIT_GOLDEN, 'modules');
const KERNELS = ['6.1.0-47', '6.1.0-55', '6.1.0-55-cloud'];
const haveCache = existsSync(VMLINUX('6.1.0-47')) && existsSync(MODULES) && existsSync(GOLDEN);

const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));

function idMapText(m: Uint32Array): string {
  let s = '';
  for (let i = 1; i < m.length; i++) s += `${i} ${m[i]}\n`;
  return s;
}

interface Result {
  module: string;
  relocate: Record<string, { status: string; first_libbpf_error: string }>;
}

/** Relocates one golden module onto each base and compares with libbpf's outputs. */
function checkRelocations(dir: string, bases: Map<string, Btf>): void {
  const res = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Result;
  for (const k of KERNELS) {
    const db = parseBtf(read(join(dir, 'distilled_base.btf')));
    const sp = parseBtf(read(join(dir, 'split.btf')), { base: db });
    const exp = res.relocate[k]!;
    const r = tryRelocate(sp, bases.get(k)!);
    const what = `${res.module} onto ${k}`;
    if (exp.status === 'ok') {
      assert.ok(r.ok, `${what}: expected success, got ${r.ok ? '' : r.error.message}`);
      assert.deepEqual(serializeBtf(r.btf), read(join(dir, `relocated-${k}.btf`)), `${what}: relocated bytes`);
      assert.equal(idMapText(r.idMap), gunzipSync(readFileSync(join(dir, `idmap-${k}.txt.gz`))).toString('latin1'), `${what}: id map`);
    } else {
      assert.ok(!r.ok, `${what}: expected failure`);
      assert.equal(`libbpf: ${r.error.message}`, exp.first_libbpf_error, `${what}: message`);
      assert.equal(r.error.errno, 22);
      assert.ok(r.failure.unmapped.length > 0, `${what}: diagnosis lists the unmapped types`);
    }
  }
}

test('CI fixtures: relocation onto skeleton vmlinux BTFs matches libbpf bytes, id maps and errors', () => {
  const bases = new Map<string, Btf>();
  for (const k of KERNELS) bases.set(k, parseBtf(new Uint8Array(gunzipSync(readFileSync(join(FIXTURES, `skeleton-${k}.btf.gz`))))));
  const mods = readdirSync(FIXTURES).filter((f) => !f.endsWith('.gz'));
  assert.equal(mods.length, 8);
  for (const m of mods) checkRelocations(join(FIXTURES, m), bases);
});

test('golden: the 40 sampled modules — distill bytes, relocation bytes, id maps and errors on real vmlinux', { skip: !haveCache && 'kernel cache not present' }, () => {
  const bases = new Map<string, Btf>();
  for (const k of KERNELS) bases.set(k, parseBtf(read(VMLINUX(k))));
  const v47 = bases.get('6.1.0-47')!;
  const mods = readdirSync(GOLDEN);
  assert.equal(mods.length, 40);
  for (const m of mods) {
    const dir = join(GOLDEN, m);
    const res = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as Result;
    const elf = parseElf(read(join(MODULES, res.module)));
    const split = parseBtf(elf.sectionData(elf.requireSection('.BTF')), { base: v47 });
    const d = distillBase(split);
    assert.deepEqual(serializeBtf(d.base), read(join(dir, 'distilled_base.btf')), `${m}: distilled base`);
    assert.deepEqual(serializeBtf(d.split), read(join(dir, 'split.btf')), `${m}: new split`);
    checkRelocations(dir, bases);
  }
});

test('golden: the CI fixtures’ module.BTF distills to their golden split.btf on real vmlinux-47', { skip: !haveCache && 'kernel cache not present' }, () => {
  const v47 = parseBtf(read(VMLINUX('6.1.0-47')));
  for (const m of readdirSync(FIXTURES).filter((f) => !f.endsWith('.gz'))) {
    const split = parseBtf(read(join(FIXTURES, m, 'module.BTF')), { base: v47 });
    const d = distillBase(split);
    assert.deepEqual(serializeBtf(d.split), read(join(FIXTURES, m, 'split.btf')), m);
  }
});

// ------------------------------------------------------------------ property

/**
 * Bisimulation of two types (possibly in different objects): same kind, info, size/value words
 * and name/member strings, and pairwise equivalent referenced types. Iterative, cycle-safe.
 */
function equivalentTypes(A: Btf, a0: number, B: Btf, b0: number, seen: Set<string>): string | null {
  const work: number[] = [a0, b0];
  while (work.length) {
    const b = work.pop()!;
    const a = work.pop()!;
    if (a === 0 || b === 0) {
      if (a !== b) return `void vs [${a === 0 ? b : a}]`;
      continue;
    }
    // the same id below both objects' split start is the same record of the shared base
    if (a === b && a < A.startId && a < B.startId && A.typeOwner(a) === B.typeOwner(b)) continue;
    const key = `${a},${b}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (A.info(a) !== B.info(b)) return `[${a}] vs [${b}]: info differs`;
    const kind = A.kind(a);
    const vlen = A.vlen(a);
    const n = A.recordLength(a);
    const ids = new Set<number>();
    for (let k = 0; ; k++) {
      const p = idFieldPos(kind, vlen, k);
      if (p < 0) break;
      ids.add(p);
    }
    const strs = new Set<number>([0]);
    const stride = strFieldStride(kind);
    if (stride > 0) for (let k = 0; k < vlen; k++) strs.add(3 + stride * k);
    for (let w = 0; w < n; w++) {
      if (w === 1) continue;
      const x = A.word(a, w);
      const y = B.word(b, w);
      if (ids.has(w)) work.push(x, y);
      else if (strs.has(w)) {
        if ((x === 0) !== (y === 0) || (x !== 0 && A.strKey(x) !== B.strKey(y))) return `[${a}] vs [${b}]: string at word ${w} differs`;
      } else if (x !== y) return `[${a}] vs [${b}]: word ${w} differs (${x} vs ${y})`;
    }
  }
  return null;
}

/** distill, then relocate onto the same base: the original split types plus duplicates only. */
function checkRoundTrip(split: Btf, label: string): void {
  const base = split.base!;
  const d = distillBase(split);
  const r = relocate(d.split, base);
  const out = r.btf;
  assert.equal(out.startId, split.startId, label);
  assert.ok(out.nTypes >= split.nTypes, label);
  const seen = new Set<string>(); // pairs shown (or assumed, coinductively) equivalent
  for (let i = 0; i < split.nTypes; i++) {
    const id = split.startId + i;
    const diff = equivalentTypes(split, id, out, id, seen);
    assert.equal(diff, null, `${label}: split type [${id}]: ${diff}`);
  }
  // every appended type is a copy of a base type that distill moved into the split
  const moved = new Map<number, number>(); // final id → original base id
  for (let x = 1; x < split.startId; x++) {
    const nid = d.idMap[x]!;
    if (nid >= d.base.typeCount()) moved.set(r.idMap[nid]!, x);
  }
  assert.equal(moved.size, out.nTypes - split.nTypes, `${label}: number of duplicated base types`);
  for (let id = split.typeCount(); id < out.typeCount(); id++) {
    const x = moved.get(id);
    assert.ok(x !== undefined, `${label}: [${id}] is not a moved base type`);
    const k = base.kind(x);
    const anonComposite = (k === 4 || k === 5 || k === 6 || k === 19) && base.nameOff(x) === 0;
    const refKind = [2, 3, 8, 9, 10, 11, 13, 18].includes(k);
    assert.ok(anonComposite || refKind, `${label}: [${id}] duplicates base [${x}] of kind ${k}`);
    const diff = equivalentTypes(base, x, out, id, seen);
    assert.equal(diff, null, `${label}: duplicate [${id}] of base [${x}]: ${diff}`);
  }
}

test('property: distill then relocate onto vmlinux-47 is equivalent, on real modules', { skip: !haveCache && 'kernel cache not present' }, () => {
  const v47 = parseBtf(read(VMLINUX('6.1.0-47')));
  for (const m of readdirSync(GOLDEN)) {
    const res = JSON.parse(readFileSync(join(GOLDEN, m, 'result.json'), 'utf8')) as Result;
    const elf = parseElf(read(join(MODULES, res.module)));
    const split = parseBtf(elf.sectionData(elf.requireSection('.BTF')), { base: v47 });
    checkRoundTrip(split, m);
  }
});
