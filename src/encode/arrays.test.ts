/**
 * Array sizes as pahole v1.31 reads them (dwarf_loader.c attr_upper_bound): a variable-length
 * array's bound is no constant (gcc: a DWARF expression or a reference to an artificial variable;
 * clang: a DW_AT_count referring to one) and counts as 0 elements; a member after a GCC
 * variable-length member has an expression for its location, which pahole reads as UINT64_MAX.
 * The vla-*.o and vlais-*.o fixtures (test/fixtures/dwarf/vla.c, vlais.c,
 * scripts/dwarf-fixtures.sh) against `pahole -J`'s bytes (test/golden/encoder,
 * scripts/golden-encoder.sh).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf } from '../elf/index.js';
import { serializeBtf } from '../format/write.js';
import { KindId } from '../format/kinds.js';
import { dedup } from '../split/dedup/index.js';
import { encodeModuleBtf } from './index.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const object = (n: string) => parseElf(new Uint8Array(readFileSync(join(ROOT, `test/fixtures/dwarf/${n}.o`))));

for (const n of ['vla-gcc-dwarf5', 'vla-clang-dwarf5', 'vlais-gcc-dwarf5']) {
  test(`${n}: variable-length arrays encoded and deduplicated as pahole -J writes them`, () => {
    const out = serializeBtf(dedup(encodeModuleBtf(object(n), null), { stringsDeduped: true }).btf);
    assert.deepEqual(out, new Uint8Array(readFileSync(join(ROOT, `test/golden/encoder/${n}.btf`))));
  });
}

test('VLA bounds: not constants, so 0 elements; constant bounds as they are', () => {
  const counts = (n: string): number[] => {
    const btf = encodeModuleBtf(object(n), null);
    const out: number[] = [];
    for (let id = 1; id < btf.typeCount(); id++) if (btf.kind(id) === KindId.ARRAY) out.push(btf.arrayNelems(id));
    return out.sort((a, b) => a - b);
  };
  // long vals[4]; struct rec copy[n]; int m[n + 1][3] (one ARRAY of all dimensions: 0 * 3)
  assert.deepEqual(counts('vla-gcc-dwarf5'), [0, 0, 4]);
  assert.deepEqual(counts('vla-clang-dwarf5'), [0, 0, 4]);
});

test('a member located by an expression pahole cannot evaluate: bit offset 0xfffffff8', () => {
  const btf = encodeModuleBtf(object('vlais-gcc-dwarf5'), null);
  const vs = [...Array(btf.typeCount()).keys()].find((id) => id > 0 && btf.kind(id) === KindId.STRUCT && btf.name(id) === 'vs')!;
  const members = [...Array(btf.vlen(vs)).keys()].map((i) => `${btf.str(btf.memberNameOff(vs, i))}@${btf.memberBitOffset(vs, i)}`);
  assert.deepEqual(members, ['len@0', 'data@32', 'after@4294967288']);
});
