/**
 * C++ units (NVIDIA's nvidia-modeset links C++ objects): pahole v1.31 numbers the types of a
 * namespace like nested ones and fails on the first type BTF cannot hold (a reference), printing
 * its referent's BTF id and leaving the object without BTF: the cxx-gcc-dwarf5.o fixture
 * (test/fixtures/dwarf/cxx.cc, scripts/dwarf-fixtures.sh) against pahole's message
 * (test/golden/encoder/cxx-gcc-dwarf5.refused.txt, scripts/golden-encoder.sh). Without a
 * reference it encodes them: a struct's fields are its DW_TAG_member children (static ones too),
 * not its base classes: cxxfields-gcc-dwarf{4,5}.o against `pahole -J`'s bytes.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf } from '../elf/index.js';
import { BtfkitError } from '../errors.js';
import { readDwarf } from '../dwarf/index.js';
import { encodeModuleBtf } from './index.js';
import { cuTypes } from './order.js';
import { serializeBtf } from '../format/write.js';
import { dedup } from '../split/dedup/index.js';
import { KindId } from '../format/kinds.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const object = (n: string) => parseElf(new Uint8Array(readFileSync(join(ROOT, `test/fixtures/dwarf/${n}.o`))));
const elf = () => object('cxx-gcc-dwarf5');

test('C++: refused as pahole refuses it, naming the reference and its referent by pahole\'s id', () => {
  const want = readFileSync(join(ROOT, 'test/golden/encoder/cxx-gcc-dwarf5.refused.txt'), 'utf8').trim();
  assert.equal(want, 'Unsupported DW_TAG_reference_type(0x10): type: 0x2');
  assert.throws(() => encodeModuleBtf(elf(), null), (e: unknown) =>
    e instanceof BtfkitError && e.message.includes(want) && e.message.includes('DIE 0xf2: DW_TAG_reference_type cannot be encoded'));
});

test('C++: a namespace\'s types numbered in DIE order, each after its own nested types', () => {
  const d = readDwarf(elf());
  const ct = cuTypes(d, d.units[0]!);
  // ns: struct inner, const inner, class Box (its methods are functions), const Box,
  // ns::deeper's typedef; then the unit's own types from the base types on
  assert.deepEqual(ct.order.slice(0, 6).map((die) => d.offset(die)), [0x39, 0x5b, 0x60, 0xc2, 0xcf, 0xdd]);
});

for (const n of ['cxxfields-gcc-dwarf4', 'cxxfields-gcc-dwarf5']) {
  test(`${n}: C++ structs encoded and deduplicated as pahole -J writes them`, () => {
    const out = serializeBtf(dedup(encodeModuleBtf(object(n), null), { stringsDeduped: true }).btf);
    assert.deepEqual(out, new Uint8Array(readFileSync(join(ROOT, `test/golden/encoder/${n}.btf`))));
  });
}

test('C++ fields: no base class; the static data member (DWARF 4: a member without location) at offset 0', () => {
  const fields = (n: string) => {
    const btf = encodeModuleBtf(object(n), null);
    for (let id = 1; id < btf.typeCount(); id++) {
      if (btf.kind(id) !== KindId.STRUCT || btf.name(id) !== 'derived') continue;
      const out: string[] = [];
      for (let i = 0; i < btf.vlen(id); i++) out.push(`${btf.str(btf.memberNameOff(id, i))}@${btf.memberBitOffset(id, i)}`);
      return out;
    }
    return [];
  };
  assert.deepEqual(fields('cxxfields-gcc-dwarf4'), ['count@0', 'd@144', '@160']);
  // DWARF 5: the static member is a DW_TAG_variable inside the class, not a field
  assert.deepEqual(fields('cxxfields-gcc-dwarf5'), ['d@144', '@160']);
});
