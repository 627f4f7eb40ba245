/**
 * C++ units (NVIDIA's nvidia-modeset links C++ objects): pahole v1.31 numbers the types of a
 * namespace like nested ones and fails on the first type BTF cannot hold (a reference), printing
 * its referent's BTF id and leaving the object without BTF. The cxx-gcc-dwarf5.o fixture
 * (test/fixtures/dwarf/cxx.cc, scripts/dwarf-fixtures.sh) against pahole's message
 * (test/golden/encoder/cxx-gcc-dwarf5.refused.txt, scripts/golden-encoder.sh).
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

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const elf = () => parseElf(new Uint8Array(readFileSync(join(ROOT, 'test/fixtures/dwarf/cxx-gcc-dwarf5.o'))));

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
