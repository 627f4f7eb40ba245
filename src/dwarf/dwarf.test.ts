/**
 * The DWARF reader against readelf (binutils), on relocatable objects that gcc 12 and clang
 * wrote (DWARF 4 and 5; test/fixtures/dwarf, made by scripts/dwarf-fixtures.sh, with
 * readelf's listing committed beside each): every DIE's offset, depth, tag, name and type
 * reference; the relocated string offsets; attribute values of the C constructs kernel code
 * uses (bitfields, anonymous unions, flexible arrays, 64-bit enumerators, decl tags). Then
 * hand-made DWARF for the forms and header variants compilers rarely emit, and malformed
 * input: every failure is a BtfkitError('DWARF') naming section and byte offset.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf } from '../elf/index.js';
import { BtfkitError } from '../errors.js';
import { readDwarf, readDwarfSections, DwarfInfo, tagName } from './index.js';
import { applyRela64 } from '../accel/accel.js';
import { decompressSection } from '../node/decompress.js';
import { corpusDir } from '../../scripts/corpus-paths.js';

const FIX = join(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures/dwarf');
const OBJECTS = ['sample-gcc-dwarf5', 'sample-gcc-dwarf4', 'sample-clang-dwarf5', 'sample-clang-dwarf4'];

const AT_NAME = 0x03, AT_TYPE = 0x49, AT_BYTE_SIZE = 0x0b, AT_BIT_SIZE = 0x0d, AT_CONST_VALUE = 0x1c;
const AT_DATA_MEMBER_LOCATION = 0x38, AT_BIT_OFFSET = 0x0c, AT_DATA_BIT_OFFSET = 0x6b, AT_EXTERNAL = 0x3f;

interface ReadelfDie {
  depth: number;
  offset: number;
  tag: string;
  name?: string;
  type?: number;
}

/** readelf --debug-dump=info, as DIEs (terminators left out). */
function readelfDies(text: string): ReadelfDie[] {
  const out: ReadelfDie[] = [];
  for (const line of text.split('\n')) {
    const d = /^ <(\d+)><([0-9a-f]+)>: Abbrev Number: \d+ \((DW_TAG_\w+|User TAG value: 0x[0-9a-f]+)\)/.exec(line);
    if (d) {
      const user = /0x([0-9a-f]+)$/.exec(d[3]!);
      out.push({ depth: Number(d[1]), offset: parseInt(d[2]!, 16), tag: user ? tagName(parseInt(user[1]!, 16)) : d[3]! });
      continue;
    }
    const a = /^ {4}<[0-9a-f]+>\s+(DW_AT_\w+)\s*: (.*)$/.exec(line);
    if (!a || out.length === 0) continue;
    const die = out[out.length - 1]!;
    if (a[1] === 'DW_AT_name') die.name = a[2]!.startsWith('(') ? a[2]!.slice(a[2]!.indexOf('): ') + 3) : a[2]!.trimEnd();
    else if (a[1] === 'DW_AT_type') die.type = parseInt(/<0x([0-9a-f]+)>/.exec(a[2]!)![1]!, 16);
  }
  return out;
}

function ours(info: DwarfInfo): ReadelfDie[] {
  const out: ReadelfDie[] = [];
  for (let i = 0; i < info.n; i++) {
    let depth = 0;
    for (let p = info.parent(i); p >= 0; p = info.parent(p)) depth++;
    const die: ReadelfDie = { depth, offset: info.offset(i), tag: tagName(info.tag(i)) };
    const name = info.name(i);
    if (name !== undefined) die.name = name;
    const t = info.ref(i, AT_TYPE);
    if (t >= 0) die.type = info.offset(t);
    out.push(die);
  }
  return out;
}

function load(name: string): DwarfInfo {
  return readDwarf(parseElf(new Uint8Array(readFileSync(join(FIX, `${name}.o`)))));
}

for (const name of OBJECTS) {
  test(`${name}: every DIE, name and type reference as readelf lists them`, () => {
    const expected = readelfDies(gunzipSync(readFileSync(join(FIX, `${name}.readelf.txt.gz`))).toString('utf8'));
    const info = load(name);
    assert.ok(expected.length > 80, `${expected.length} DIEs`);
    assert.deepEqual(ours(info), expected);
  });

  test(`${name}: the C constructs kernel code uses`, () => {
    const info = load(name);
    const byName = (tag: string, n: string): number => {
      for (let i = 0; i < info.n; i++) if (tagName(info.tag(i)) === tag && info.name(i) === n) return i;
      return assert.fail(`${tag} ${n} not found`);
    };
    const sample = byName('DW_TAG_structure_type', 'sample');
    assert.equal(info.num(sample, AT_BYTE_SIZE), 96);
    const members = info.children(sample).filter((c) => tagName(info.tag(c)) === 'DW_TAG_member');
    const mname = (m: number) => info.name(m) ?? '(anon)';
    assert.deepEqual(members.map(mname), ['flag', 'mode', 'rest', '(anon)', 'in', 'link', 'cv', 'rp', 'fn', 'd', 'ok', 'col', 'b', 'grid', 'tail']);
    // bitfields: data_bit_offset (DWARF 4+), or gcc -gdwarf-4's DWARF 2 style: the storage
    // unit's byte offset and size, and the field's offset from its most significant bit
    const [flag, mode, rest] = members;
    assert.deepEqual([flag, mode, rest].map((m) => info.num(m!, AT_BIT_SIZE)), [1, 3, 12]);
    const bitPos = (m: number): number => {
      if (info.has(m, AT_DATA_BIT_OFFSET)) return info.num(m, AT_DATA_BIT_OFFSET);
      const unitBits = info.num(m, AT_BYTE_SIZE) * 8;
      return info.num(m, AT_DATA_MEMBER_LOCATION) * 8 + unitBits - info.num(m, AT_BIT_OFFSET) - info.num(m, AT_BIT_SIZE);
    };
    assert.deepEqual([flag, mode, rest].map((m) => bitPos(m!)), [0, 1, 32]);
    assert.notEqual(info.has(flag!, AT_DATA_BIT_OFFSET), info.has(flag!, AT_BIT_OFFSET));
    // the anonymous union holds an anonymous struct
    const anon = members[3]!;
    const u = info.ref(anon, AT_TYPE);
    assert.equal(tagName(info.tag(u)), 'DW_TAG_union_type');
    assert.equal(info.name(u), undefined);
    assert.equal(info.num(anon, AT_DATA_MEMBER_LOCATION), 8);
    const inner = info.children(u).filter((c) => tagName(info.tag(c)) === 'DW_TAG_member').map((m) => tagName(info.tag(info.ref(m, AT_TYPE))));
    assert.deepEqual(inner, ['DW_TAG_base_type', 'DW_TAG_base_type', 'DW_TAG_structure_type']);
    // enumerators: negative, and 64-bit
    const color = byName('DW_TAG_enumeration_type', 'color');
    // sdata (gcc) or data1 read signed (clang writes DW_FORM_sdata too for a signed enum)
    const values = info.children(color).map((e) => {
      const v = info.bigValue(e, AT_CONST_VALUE)!;
      const w = info.dataWidth(e, AT_CONST_VALUE);
      return [info.name(e), w ? BigInt.asIntN(w * 8, v) : v];
    });
    assert.deepEqual(values, [['RED', -1n], ['GREEN', 1n], ['BLUE', 0x7fffffffn]]);
    const big = byName('DW_TAG_enumeration_type', 'big');
    const hi = info.children(big)[1]!;
    assert.equal(info.name(hi), 'BIG_HI');
    const raw = info.bigValue(hi, AT_CONST_VALUE)!;
    assert.equal(BigInt.asUintN(64, raw), 0x123456789abcdefn);
    // the flexible array has a subrange without a bound
    const tail = members[14]!;
    const arr = info.ref(tail, AT_TYPE);
    const sub = info.firstChild(arr);
    assert.equal(tagName(info.tag(sub)), 'DW_TAG_subrange_type');
    assert.equal(info.has(sub, 0x2f) || info.has(sub, 0x37), false);
    // functions and globals
    const entry = byName('DW_TAG_subprogram', 'sample_entry');
    assert.equal(info.flag(entry, AT_EXTERNAL), true);
    assert.equal(info.name(info.ref(byName('DW_TAG_variable', 'sample_global'), AT_TYPE)), 'int');
  });
}

/** Every section readDwarfSections gives, relocated in WebAssembly and in JavaScript, or the error of each. */
function relocatedBoth(bytes: Uint8Array): [string, string] {
  const run = (wasm: boolean): string => {
    try {
      const s = readDwarfSections(parseElf(bytes), { wasm, decompress: decompressSection });
      return Object.entries(s).map(([k, v]) => `${k} ${v instanceof Uint8Array ? createHash('sha256').update(v).digest('hex') : String(v)}`).join('\n');
    } catch (e) {
      return e instanceof BtfkitError ? `${e.code} ${e.message} ${JSON.stringify(e.where)}` : `not a BtfkitError: ${String(e)}`;
    }
  };
  return [run(true), run(false)];
}

test('relocations: WebAssembly and JavaScript give the same sections on every object fixture and a kernel module', () => {
  const files = readdirSync(FIX).filter((f) => f.endsWith('.o')).map((f) => join(FIX, f));
  const ko = join(corpusDir(), 'encoder/tcp/tcp_bbr.prebtf.ko');
  if (existsSync(ko)) files.push(ko);
  for (const f of files) {
    const bytes = new Uint8Array(readFileSync(f));
    const [c, js] = relocatedBoth(bytes);
    assert.equal(c, js, f);
    assert.match(c, /^info [0-9a-f]{64}/, f);
  }
  // the WebAssembly twin ran (and did what the JavaScript does) on a real relocation section
  const elf = parseElf(new Uint8Array(readFileSync(join(FIX, 'sample-gcc-dwarf5.o'))));
  const info = elf.sectionData(elf.section('.debug_info')!).slice();
  const rela = elf.sectionData(elf.section('.rela.debug_info')!);
  const values = Float64Array.from(elf.symbols(), (sym) => Number(sym.value));
  assert.equal(applyRela64(info, rela, values, elf.header.machine), true);
  assert.deepEqual(info, readDwarfSections(elf, { wasm: false }).info);
  // the entries a few at a time (as a large module's go, 65536 at a time): the same bytes
  for (const perPass of [1, 7, 1000]) {
    const again = elf.sectionData(elf.section('.debug_info')!).slice();
    assert.equal(applyRela64(again, rela, values, elf.header.machine, perPass), true);
    assert.deepEqual(again, info, `${perPass} per pass`);
  }
});

test('relocations: WebAssembly and JavaScript agree on 400 damaged relocation entries', () => {
  const bytes = new Uint8Array(readFileSync(join(FIX, 'sample-gcc-dwarf5.o')));
  const rel = parseElf(bytes).section('.rela.debug_info')!;
  const n = rel.size / 24;
  let seed = 7;
  const rnd = (k: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % k;
  };
  const outcomes = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const m = bytes.slice();
    const dv = new DataView(m.buffer);
    const at = rel.offset + 24 * rnd(n);
    switch (rnd(6)) {
      case 0: dv.setUint32(at + 8, [0, 1, 2, 10, 11, 257, 999][rnd(7)]!, true); break; // type
      case 1: dv.setUint32(at + 12, [0, 1, 5, 1000, 0xffffffff][rnd(5)]!, true); break; // symbol
      case 2: dv.setBigUint64(at, BigInt([0, 0x10000, 0xffffffff][rnd(3)]!) + BigInt(rnd(8)), true); break; // place
      case 3: dv.setBigInt64(at + 16, [-1n, -(1n << 53n), (1n << 53n) - 1n, 1n << 60n, -(1n << 62n), 0x100000000n][rnd(6)]!, true); break; // addend
      case 4: dv.setBigUint64(at, BigInt(readDwarfSections(parseElf(bytes)).info.length - rnd(8)), true); break; // at the end
      default: dv.setUint32(at + 8 + rnd(16), rnd(1 << 16) * 65536 + rnd(65536), true); break;
    }
    const [c, js] = relocatedBoth(m);
    assert.equal(c, js, `mutation ${i} at ${at}`);
    outcomes.add(c.split(' ')[0]!);
  }
  // both the sections and errors came out
  assert.ok(outcomes.has('info') && outcomes.has('DWARF'), [...outcomes].join(', '));
});

test('relocations are applied, the input is not written', () => {
  const bytes = new Uint8Array(readFileSync(join(FIX, 'sample-gcc-dwarf5.o')));
  const copy = bytes.slice();
  const elf = parseElf(bytes);
  const info = readDwarf(elf);
  assert.deepEqual(bytes, copy);
  // In a .o, a strp field holds 0 and its RELA addend the offset: read unrelocated, every
  // such name is the first string of .debug_str.
  const raw = (n: string) => elf.sectionData(elf.section(n)!);
  const sections = readDwarfSections(elf);
  const unrelocated = new DwarfInfo({ ...sections, info: raw('.debug_info') });
  const names = (d: DwarfInfo) => new Set(Array.from({ length: d.n }, (_, i) => d.name(i)).filter((x) => x !== undefined));
  assert.ok(names(info).size > 40, `${names(info).size} names`);
  assert.ok(names(unrelocated).size < names(info).size / 2, `${names(unrelocated).size} names unrelocated`);
});
