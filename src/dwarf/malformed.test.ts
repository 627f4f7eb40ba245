/**
 * Hand-made DWARF: header variants and forms compilers rarely emit (64-bit DWARF, DWARF 2
 * and 4 headers, ref_udata/ref_addr, inline strings, blocks, implicit_const, indirect), and
 * malformed input: each failure is a BtfkitError('DWARF') with the section and byte offset
 * named; seeded mutations of real objects never fail any other way and never hang (every
 * loop of the reader advances through the section, so the work is bounded by its size).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf } from '../elf/index.js';
import { BtfkitError } from '../errors.js';
import { DwarfInfo, readDwarfSections, type DwarfSections } from './index.js';

const FIX = join(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures/dwarf');

function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const u16 = (v: number) => [v & 0xff, v >>> 8];
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const u64 = (v: number) => [...u32(v), 0, 0, 0, 0];
const cstr = (s: string) => [...Buffer.from(s), 0];

function sections(info: number[], abbrev: number[], str: number[] = [0]): DwarfSections {
  const e = new Uint8Array(0);
  return {
    info: new Uint8Array(info), abbrev: new Uint8Array(abbrev), str: new Uint8Array(str), strOffsets: e, lineStr: e,
    addr: e, rnglists: e, loclists: e, ranges: e, loc: e, littleEndian: true,
  };
}

/** A DWARF 4 unit header (32-bit, or 64-bit DWARF) around `body`. */
function unit4(body: number[], dwarf64 = false): number[] {
  const rest = [...u16(4), ...(dwarf64 ? u64(0) : u32(0)), 8, ...body];
  return dwarf64 ? [...u32(0xffffffff), ...u64(rest.length), ...rest] : [...u32(rest.length), ...rest];
}

// abbrev 1: compile_unit, children, name:string; 2: structure_type, children, name:strp,
// byte_size:implicit_const 24; 3: member, no children, name:string, type:ref_udata,
// data_member_location:block1, const_value:sdata; 4: base_type, name:indirect, type:ref_addr
const ABBREV = [
  1, 0x11, 1, 0x03, 0x08, 0, 0,
  2, 0x13, 1, 0x03, 0x0e, 0x0b, 0x21, 24, 0, 0,
  3, 0x0d, 0, 0x03, 0x08, 0x49, 0x15, 0x38, 0x0a, 0x1c, 0x0d, 0, 0,
  4, 0x24, 0, 0x03, 0x16, 0x49, 0x10, 0, 0,
  0,
];

function sampleUnit(dwarf64: boolean): DwarfSections {
  const off = dwarf64 ? 23 : 11; // header size
  // DIEs (offsets relative to the unit): cu @off, struct, member, terminator, base, terminator
  const cu = [1, ...cstr('cu.c')];
  const structOff = off + cu.length;
  const st = [2, ...(dwarf64 ? u64(1) : u32(1))];
  const memberOff = structOff + st.length;
  const baseOffGuess = (m: number[]) => memberOff + m.length + 1;
  const member = (baseOff: number) => [3, ...cstr('m'), ...uleb(baseOff), 2, 0x23, 8, 0x7f];
  const baseOff = baseOffGuess(member(0));
  const base = [4, 0x08, ...cstr('int'), ...(dwarf64 ? u64(baseOff) : u32(baseOff))];
  return sections(unit4([...cu, ...st, ...member(baseOff), 0, ...base, 0], dwarf64), ABBREV, [0, ...cstr('pair')]);
}

for (const dwarf64 of [false, true]) {
  test(`DWARF 4 ${dwarf64 ? '64-bit' : '32-bit'} unit: tree, strp, implicit_const, ref_udata, block, sdata, indirect, ref_addr`, () => {
    const d = new DwarfInfo(sampleUnit(dwarf64));
    assert.equal(d.n, 4);
    assert.equal(d.units[0]!.offSize, dwarf64 ? 8 : 4);
    assert.deepEqual([0, 1, 2, 3].map((i) => d.tag(i)), [0x11, 0x13, 0x0d, 0x24]);
    assert.deepEqual([0, 1, 2, 3].map((i) => d.parent(i)), [-1, 0, 1, 0]);
    assert.deepEqual(d.children(0), [1, 3]);
    assert.equal(d.name(0), 'cu.c');
    assert.equal(d.name(1), 'pair');
    assert.equal(d.num(1, 0x0b), 24);
    assert.equal(d.ref(2, 0x49), 3);
    assert.deepEqual([...d.block(2, 0x38)!], [0x23, 8]);
    assert.equal(d.num(2, 0x1c), -1);
    assert.equal(d.bigValue(2, 0x1c), -1n);
    assert.equal(d.name(3), 'int');
    assert.equal(d.ref(3, 0x49), 3);
    assert.equal(d.num(3, 0x0b, 7), 7, 'absent: the default');
  });
}

function dwarfErr(section: string, offset: number, message: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof BtfkitError, String(e));
    assert.equal(e.code, 'DWARF');
    assert.deepEqual(e.where, { section, offset });
    assert.match(e.message, message);
    return true;
  };
}

test('malformed: each failure names the section and byte offset', () => {
  const good = sampleUnit(false);
  const info = good.info;
  const at = (s: DwarfSections) => () => new DwarfInfo(s);
  // unit length past the end
  assert.throws(at({ ...good, info: info.subarray(0, info.length - 1) }), dwarfErr('.debug_info', 0, /unit length 38 runs past the end of the section \(41 bytes\)/));
  // version 6
  const v6 = info.slice();
  v6[4] = 6;
  assert.throws(at({ ...good, info: v6 }), dwarfErr('.debug_info', 4, /DWARF version 6 is not supported/));
  // an abbreviation code that the table lacks
  const code = info.slice();
  code[11] = 9;
  assert.throws(at({ ...good, info: code }), dwarfErr('.debug_info', 11, /abbreviation code 9 is not in the unit's table/));
  // abbreviation table offset past its section
  const abo = info.slice();
  abo[6] = 200;
  assert.throws(at({ ...good, info: abo }), dwarfErr('.debug_abbrev', 200, /abbreviation table offset 200 is past the end/));
  // an unknown form in the abbreviation
  const ab = good.abbrev.slice();
  ab[4] = 0x7e;
  assert.throws(at({ ...good, abbrev: ab }), dwarfErr('.debug_info', 12, /unknown attribute form 0x7e/));
  // strp past .debug_str, found when the name is read
  const d = new DwarfInfo({ ...good, str: new Uint8Array([0]) });
  assert.throws(() => d.name(1), dwarfErr('.debug_str', 1, /string offset 1 is past the end of \.debug_str \(1 bytes\)/));
  // a reference to no DIE
  const ref = info.slice();
  ref[25] = 3;
  assert.throws(() => new DwarfInfo({ ...good, info: ref }).ref(2, 0x49), dwarfErr(".debug_info", 25, /reference to offset 0x3, where no DIE starts/));
});

test('missing .debug_info: ENODATA naming the section', () => {
  const elf = parseElf(new Uint8Array(readFileSync(join(FIX, 'sample-gcc-dwarf5.o'))));
  const stripped = Object.create(elf) as typeof elf;
  Object.defineProperty(stripped, 'sections', { value: elf.sections.filter((s) => s.name !== '.debug_info') });
  assert.throws(() => readDwarfSections(stripped), (e: unknown) => e instanceof BtfkitError && e.code === 'ELF_NO_SECTION' && e.errno === 61 && e.where.section === '.debug_info');
});

/** xorshift32, for reproducible mutations. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

test('seeded mutations of real objects: a DWARF error or a result, nothing else', () => {
  let errors = 0;
  let ok = 0;
  for (const name of ['sample-gcc-dwarf5', 'sample-clang-dwarf5', 'sample-gcc-dwarf4']) {
    const elf = parseElf(new Uint8Array(readFileSync(join(FIX, `${name}.o`))));
    const base = readDwarfSections(elf);
    const r = rng(name.length * 7919);
    for (let round = 0; round < 400; round++) {
      const which = (['info', 'abbrev', 'str', 'strOffsets'] as const)[r() % 4]!;
      const buf = base[which].slice();
      if (buf.length === 0) continue;
      const mode = r() % 3;
      let data = buf;
      if (mode === 0) data = buf.subarray(0, r() % buf.length);
      else for (let k = 1 + (r() % 4); k > 0; k--) buf[r() % buf.length] = r() & 0xff;
      try {
        const d = new DwarfInfo({ ...base, [which]: data });
        for (let i = 0; i < d.n; i++) {
          d.name(i);
          for (const a of d.attributes(i)) {
            try {
              d.ref(i, a);
            } catch (e) {
              if (!(e instanceof BtfkitError)) throw e;
            }
          }
        }
        ok++;
      } catch (e) {
        assert.ok(e instanceof BtfkitError, `${name} round ${round}: ${String(e)}`);
        assert.ok(e.where.section?.startsWith('.debug_'), e.describe());
        assert.equal(typeof e.where.offset, 'number', e.describe());
        errors++;
      }
    }
  }
  assert.ok(errors > 100 && ok > 100, `${errors} refused, ${ok} read`);
});
