/**
 * Hand-written dedup/merge edge cases (issue 18 parity sweep), added to builderCases(); their
 * expected outputs come from libbpf v1.7.0 like every builder case (scripts/golden-dedup.ts):
 * FWD resolution with ambiguous candidates, enum / enum64 / enum forwards, anonymous members,
 * arrays of arrays, self-reference through typedefs, long parameter lists, decl/type tags on
 * members and parameters, split types equal to base types, odd string references (an own empty
 * string, a suffix of another string, a string the base also holds), empty and type-less
 * inputs (libbpf's add_btf refuses a type-less source into a type-less destination), huge vlen.
 * `headerCases` are raw inputs with unusual headers, which `btfkit dedup` must write back the
 * way libbpf keeps them (src/split/dedup/header.ts).
 */

import { Btf } from '../../model/btf.js';
import { parseBtf } from '../../format/parse.js';
import { serializeBtf } from '../../format/write.js';
import type { BuilderCase } from './cases.test-util.js';

const SIGNED = 1;
type Built = { base: Btf | null; inputs: Btf[] };

/** Raw little-endian BTF from type words and a string section given as its strings. */
export function rawBtf(words: number[], strs: string[]): Uint8Array {
  const s = Buffer.from(strs.map((x) => x + '\0').join(''), 'latin1');
  const out = new Uint8Array(24 + words.length * 4 + s.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  dv.setUint32(4, 24, true);
  dv.setUint32(12, words.length * 4, true);
  dv.setUint32(16, words.length * 4, true);
  dv.setUint32(20, s.length, true);
  words.forEach((w, i) => dv.setUint32(24 + 4 * i, w >>> 0, true));
  out.set(s, 24 + words.length * 4);
  return out;
}

const info = (kind: number, vlen = 0, kflag = 0): number => ((kflag << 31) | (kind << 24) | vlen) >>> 0;

/** struct X / union X / fwd X in several CUs: which forwards resolve, and to which. */
function fwdAmbiguous(): Built {
  const b = Btf.create();
  const int = b.addInt('int', 4, SIGNED);
  const sx1 = b.addStruct('X', 4);
  b.addField('a', int);
  b.addStruct('X', 4); // a second, different struct X: ambiguous
  b.addField('b', int);
  const fx = b.addFwd('X', 'struct');
  const ux = b.addUnion('Y', 4);
  b.addField('a', int);
  b.addStruct('Y', 4); // struct and union Y
  b.addField('a', int);
  const fy = b.addFwd('Y', 'union');
  const fz = b.addFwd('Z', 'union');
  b.addStruct('Z', 8); // fwd kind differs from the only definition
  b.addField('a', int);
  const fw = b.addFwd('W', 'struct'); // never defined
  const ptrs = [['x', fx], ['y', fy], ['z', fz], ['w', fw], ['s', sx1], ['u', ux]].map(([n, t]) => [n, b.addPtr(t as number)] as const);
  b.addStruct('user', 48);
  ptrs.forEach(([n, p], i) => b.addField(n as string, p, 64 * i));
  return { base: null, inputs: [b] };
}

/** The same struct in two CUs, one of them through forwards only. */
function fwdTwoCus(): Built {
  const b = Btf.create();
  for (let cu = 0; cu < 3; cu++) {
    const int = b.addInt('int', 4, SIGNED);
    const f = b.addFwd('node', 'struct');
    const td = b.addTypedef('node_t', f);
    const p = b.addPtr(td);
    if (cu !== 1) {
      const s = b.addStruct('node', 16);
      b.addField('next', p);
      b.addField('v', int, 64);
      const td2 = b.addTypedef('node_t', s);
      const p2 = b.addPtr(td2);
      b.addStruct('list', 8);
      b.addField('head', p2);
    } else {
      b.addStruct('list', 8);
      b.addField('head', p);
    }
  }
  return { base: null, inputs: [b] };
}

function enumKinds(): Built {
  const b = Btf.create();
  const int = b.addInt('int', 4, SIGNED);
  b.addEnum('E', 4);
  b.addEnumValue('A', 1);
  b.addEnum64('E', 8, false);
  b.addEnum64Value('A', 1n);
  const f4 = b.addEnum('E', 4); // enum forwards: vlen 0
  const f8 = b.addEnum('E', 8);
  const e64f = b.addEnum64('F', 8, true);
  b.addEnum64('F', 8, true);
  b.addEnum64Value('B', -2n);
  b.addEnum('F', 4);
  b.addEnumValue('B', 3);
  b.addEnum(null, 4);
  b.addEnumValue('Z', 0);
  b.addEnum(null, 4);
  b.addEnumValue('Z', 0);
  b.addStruct('user', 24);
  b.addField('a', f4);
  b.addField('b', f8, 32);
  b.addField('c', e64f, 96);
  b.addField('d', int, 160);
  return { base: null, inputs: [b] };
}

/** Unions and structs with anonymous members; the duplicates differ only in the names inside. */
function anonMembers(names: [string, string][]): Built {
  const b = Btf.create();
  for (const [inner, outer] of names) {
    const int = b.addInt('int', 4, SIGNED);
    const ch = b.addInt('char', 1, 2);
    const au = b.addUnion(null, 4);
    b.addField(inner, int);
    b.addField('c', ch);
    const as = b.addStruct(null, 4);
    b.addField(null, au);
    const u = b.addUnion('U', 8);
    b.addField(null, as);
    b.addField(outer, b.typeCount());
    b.addPtr(u);
  }
  return { base: null, inputs: [b] };
}

function arraysOfArrays(): Built {
  const b = Btf.create();
  for (let cu = 0; cu < 2; cu++) {
    const int = b.addInt('int', 4, SIGNED);
    const u = b.addInt('unsigned int', 4, 0);
    const a1 = b.addArray(u, int, 3);
    const a2 = b.addArray(u, a1, 4);
    const a3 = b.addArray(cu ? int : u, a2, 5); // the index type differs in the second CU
    b.addArray(u, b.addConst(a2), 2);
    b.addStruct('m', 240);
    b.addField('x', a3);
    b.addArray(u, int, 0);
  }
  return { base: null, inputs: [b] };
}

function manyParams(n: number): Built {
  const b = Btf.create();
  for (let cu = 0; cu < 2; cu++) {
    const int = b.addInt('int', 4, SIGNED);
    const pint = b.addPtr(int);
    const p = b.addFuncProto(int);
    for (let i = 0; i < n; i++) b.addFuncParam(i % 7 ? `p${i}` : null, i % 3 ? int : pint);
    b.addFunc('f', 1, p);
    const q = b.addFuncProto(0);
    for (let i = 0; i < n; i++) b.addFuncParam(null, int);
    b.addFuncParam(null, 0); // varargs
    b.addPtr(q);
  }
  return { base: null, inputs: [b] };
}

function tags(): Built {
  const b = Btf.create();
  for (let cu = 0; cu < 2; cu++) {
    const int = b.addInt('int', 4, SIGNED);
    const tt = b.addTypeTag('user', b.addPtr(int));
    const tta = b.addTypeTag('attr', int, true);
    const s = b.addStruct('s', 16);
    b.addField('a', tt);
    b.addField('b', tta, 64);
    b.addDeclTag('m', s, 1);
    b.addDeclTag('m', s, cu); // on member 0 in CU 0, member 1 in CU 1
    b.addDeclTag('whole', s, -1, true);
    const p = b.addFuncProto(int);
    b.addFuncParam('x', tt);
    b.addFuncParam('y', int);
    const f = b.addFunc('g', 1, p);
    b.addDeclTag('arg', f, 1);
    b.addDeclTag('fn', f, -1);
    const td = b.addTypedef('T', s);
    b.addDeclTag('td', td, -1);
  }
  return { base: null, inputs: [b] };
}

/** Split types equal to base ones, referring to base types by id and to own copies. */
function splitOnBase(copies: number): Built {
  const b = Btf.create();
  const int = b.addInt('int', 4, SIGNED);
  const pf = b.addPtr(b.addFwd('task', 'struct'));
  b.addStruct('task', 16);
  b.addField('pid', int);
  b.addField('next', pf, 64);
  b.addEnum('E', 4);
  b.addEnumValue('A', 0);
  const inputs: Btf[] = [];
  for (let c = 0; c < copies; c++) {
    const s = Btf.createSplit(b);
    const int2 = s.addInt('int', 4, SIGNED);
    const t2 = s.addStruct('task', 16);
    s.addField('pid', int2);
    s.addField('next', t2 + 1, 64);
    const pt2 = s.addPtr(t2);
    s.addStruct('mod', 16);
    s.addField('t', pt2);
    s.addField('u', pf, 64);
    const ef = s.addEnum('E', 4);
    s.addStruct('uses_fwd', 4);
    s.addField('e', ef);
    s.addStruct(`own${c}`, 4);
    s.addField('x', int);
    inputs.push(s);
  }
  return { base: b, inputs };
}

/**
 * Base forwards that the split's full types take over: a base enum forward E (and an enum64
 * forward E64) with the full enums only in the split, a base `struct T;` whose full struct is
 * only in the split; split types refer to the base forwards, which then resolve to the split's
 * types (libbpf re-points the base forward in its map).
 */
function baseFwdsTakenOver(): Built {
  const b = Btf.create();
  const int = b.addInt('int', 4, SIGNED);
  const ef = b.addEnum('E', 4);
  const ef64 = b.addEnum64('E64', 8, false);
  const tf = b.addFwd('T', 'struct');
  const ptf = b.addPtr(tf);
  b.addStruct('holder', 24);
  b.addField('e', ef);
  b.addField('p', ptf, 64);
  b.addField('f', ef64, 128);
  const s = Btf.createSplit(b);
  const e = s.addEnum('E', 4);
  s.addEnumValue('A', 1);
  const e64 = s.addEnum64('E64', 8, false);
  s.addEnum64Value('B', 2n);
  const t = s.addStruct('T', 4);
  s.addField('x', int);
  const pt = s.addPtr(t);
  s.addStruct('user', 40);
  s.addField('a', ef);
  s.addField('b', e, 32);
  s.addField('c', ptf, 64);
  s.addField('d', pt, 128);
  s.addField('f', ef64, 192);
  s.addField('g', e64, 256);
  s.addTypedef('tf', tf);
  return { base: b, inputs: [s] };
}

/** Names pointing at an own empty string, at the tail of another string, duplicated strings. */
function oddStrings(): Built {
  // strings: "" @0, "int" @1, "" @5, "xint" @6 (its tail "int" @7), "int" @11, "s" @15
  const w = [
    1, info(1), 4, 0x01000020, // [1] int
    7, info(1), 4, 0x01000020, // [2] int (name: tail of "xint")
    11, info(1), 4, 0x01000020, // [3] int (name: second copy)
    5, info(4, 1), 4, 5, 1, 0, // [4] struct with an empty (own) name, member named "" too
    15, info(4, 1), 4, 6, 2, 0, // [5] struct s { int xint; }
    15, info(4, 1), 4, 7, 3, 0, // [6] struct s { int int; }
  ];
  return { base: null, inputs: [parseBtf(rawBtf(w, ['', 'int', '', 'xint', 'int', 's']))] };
}

/** A split whose own strings repeat base strings (also at the base's second copy). */
function oddStringsSplit(): Built {
  // base strings: "" @0, "int" @1, "int" @5, "s" @9
  const base = parseBtf(rawBtf([1, info(1), 4, 0x01000020, 5, info(1), 4, 0x01000020], ['', 'int', 'int', 's']));
  // split strings (offsets from 11): "s" @11, "" @13, "int" @14, "t" @18
  const w = [
    14, info(1), 4, 0x01000020, // [3] int (own copy of a base string)
    5, info(4, 1), 4, 11, 2, 0, // [4] struct int { int s; } (base's second "int")
    11, info(4, 1), 4, 13, 3, 0, // [5] struct s { int ""; }
    18, info(8), 1, // [6] typedef t -> int
  ];
  return { base, inputs: [parseBtf(rawBtf(w, ['s', '', 'int', 't']), { base })] };
}

function emptyBtf(): Btf {
  return Btf.create();
}

function stringsOnly(): Btf {
  return parseBtf(rawBtf([], ['', 'abc', 'abc', 'def']));
}

function kinds(): Btf {
  const b = Btf.create();
  const int = b.addInt('int', 4, SIGNED);
  b.addStruct('k', 4);
  b.addField('a', int);
  return b;
}

function typelessMerges(): BuilderCase[] {
  const cases: BuilderCase[] = [
    { name: 'edge: dedup of an empty BTF', op: 'dedup', build: () => ({ base: null, inputs: [emptyBtf()] }) },
    { name: 'edge: dedup of strings only', op: 'dedup', build: () => ({ base: null, inputs: [stringsOnly()] }) },
    { name: 'edge: merge of one empty BTF', op: 'merge', build: () => ({ base: null, inputs: [emptyBtf()] }) },
    { name: 'edge: merge, empty BTF first', op: 'merge', build: () => ({ base: null, inputs: [stringsOnly(), kinds()] }) },
    { name: 'edge: merge, empty BTF second', op: 'merge', build: () => ({ base: null, inputs: [kinds(), emptyBtf(), kinds()] }) },
    {
      name: 'edge: merge on a base, type-less split first',
      op: 'merge',
      build: () => {
        const b = kinds();
        return { base: b, inputs: [Btf.createSplit(b), Btf.createSplit(b)] };
      },
    },
    {
      name: 'edge: dedup of a type-less split',
      op: 'dedup',
      build: () => {
        const b = kinds();
        return { base: b, inputs: [Btf.createSplit(b)] };
      },
    },
  ];
  return cases;
}

export function edgeCases(): BuilderCase[] {
  return [
    { name: 'edge: fwd resolution with ambiguous candidates', op: 'dedup', build: fwdAmbiguous },
    { name: 'edge: self-reference through typedefs and fwds, three CUs', op: 'dedup', build: fwdTwoCus },
    { name: 'edge: enum, enum64 and enum forwards', op: 'dedup', build: enumKinds },
    { name: 'edge: anonymous members, same names', op: 'dedup', build: () => anonMembers([['i', 'p'], ['i', 'p']]) },
    { name: 'edge: anonymous members, inner names differ', op: 'dedup', build: () => anonMembers([['i', 'p'], ['j', 'p'], ['i', 'p']]) },
    { name: 'edge: arrays of arrays', op: 'dedup', build: arraysOfArrays },
    { name: 'edge: func_proto with 300 params', op: 'dedup', build: () => manyParams(300) },
    { name: 'edge: decl_tag and type_tag on members and params', op: 'dedup', build: tags },
    { name: 'edge: split types equal to base types', op: 'dedup', build: () => splitOnBase(1) },
    { name: 'edge: merge of split types equal to base types', op: 'merge', build: () => splitOnBase(3) },
    { name: 'edge: split full types taking over base forwards', op: 'dedup', build: baseFwdsTakenOver },
    { name: 'edge: odd string references', op: 'dedup', build: oddStrings },
    { name: 'edge: odd string references, merged twice', op: 'merge', build: () => ({ base: null, inputs: [oddStrings().inputs[0]!, oddStrings().inputs[0]!] }) },
    { name: 'edge: split strings repeating base strings', op: 'dedup', build: oddStringsSplit },
    ...typelessMerges(),
    { name: 'edge: huge vlen (65535 params, twice)', op: 'dedup', build: () => manyParams(65534) },
  ];
}

/** A small input whose header is rewritten by `mutate` (raw bytes, little- or big-endian). */
export interface HeaderCase {
  name: string;
  bytes(): Uint8Array;
}

function withHeader(opts: { version?: number; flags?: number; extra?: number[]; typeOff?: number; bigEndian?: boolean }): Uint8Array {
  const plain = serializeBtf(kinds2());
  const dvp = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  const typeLen = dvp.getUint32(12, true);
  const strLen = dvp.getUint32(20, true);
  const extra = opts.extra ?? [];
  const typeOff = opts.typeOff ?? 0;
  const hdrLen = 24 + extra.length;
  const out = new Uint8Array(hdrLen + typeOff + typeLen + strLen);
  const dv = new DataView(out.buffer);
  const le = !opts.bigEndian;
  dv.setUint16(0, 0xeb9f, le);
  out[2] = opts.version ?? 1;
  out[3] = opts.flags ?? 0;
  dv.setUint32(4, hdrLen, le);
  dv.setUint32(8, typeOff, le);
  dv.setUint32(12, typeLen, le);
  dv.setUint32(16, typeOff + typeLen, le);
  dv.setUint32(20, strLen, le);
  out.set(extra, 24);
  out.fill(0xaa, hdrLen, hdrLen + typeOff);
  for (let i = 0; i < typeLen; i += 4) dv.setUint32(hdrLen + typeOff + i, dvp.getUint32(24 + i, true), le);
  out.set(plain.subarray(24 + typeLen), hdrLen + typeOff + typeLen);
  return out;
}

/** Two copies of int and struct k, so that dedup changes the lengths. */
function kinds2(): Btf {
  const b = kinds();
  const int = b.addInt('int', 4, SIGNED);
  b.addStruct('k', 4);
  b.addField('a', int);
  b.addPtr(int);
  return b;
}

export function headerCases(): HeaderCase[] {
  return [
    { name: 'header: version 2, flags 3', bytes: () => withHeader({ version: 2, flags: 3 }) },
    { name: 'header: 28 bytes', bytes: () => withHeader({ extra: [0x11, 0x22, 0x33, 0x44] }) },
    { name: 'header: 32 bytes, zero layout fields', bytes: () => withHeader({ extra: [0, 0, 0, 0, 0, 0, 0, 0] }) },
    { name: 'header: type_off 4', bytes: () => withHeader({ typeOff: 4 }) },
    { name: 'header: big-endian, version 2', bytes: () => withHeader({ version: 2, bigEndian: true }) },
    { name: 'header: big-endian, type_off 8', bytes: () => withHeader({ typeOff: 8, bigEndian: true }) },
  ];
}
