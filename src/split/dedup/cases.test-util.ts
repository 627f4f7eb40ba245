/**
 * Dedup/merge parity cases: the kernel selftests' dedup table (inputs transcribed in
 * test/golden/dedup/selftests.json by scripts/golden-dedup.ts), the split-dedup selftests
 * (btf_dedup_split.c) rewritten with our builder, and hand-written cases for behaviour the
 * selftests do not pin down (candidate order across table growth, enum forwards, VAR/DATASEC,
 * base TYPEDEFs, merges). Expected outputs come from libbpf v1.7.0 (expected.json).
 */

import { Btf } from '../../model/btf.js';
import { dedup } from './index.js';
import { edgeCases } from './edge-cases.test-util.js';

export interface SelftestCase {
  descr: string;
  /** Raw type words, string references resolved. */
  words: number[];
  /** String section, hex. */
  strs: string;
  /** The selftest runs with force_collisions (btfo does not; the case still runs with defaults). */
  forceCollisions: boolean;
}

/** Raw little-endian BTF bytes of a selftest input (24-byte header, types, strings). */
export function selftestBytes(c: SelftestCase): Uint8Array {
  const strs = Uint8Array.from((c.strs.match(/../g) ?? []).map((h) => parseInt(h, 16)));
  const typeLen = c.words.length * 4;
  const out = new Uint8Array(24 + typeLen + strs.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  dv.setUint32(4, 24, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, typeLen, true);
  dv.setUint32(20, strs.length, true);
  c.words.forEach((w, i) => dv.setUint32(24 + 4 * i, w >>> 0, true));
  out.set(strs, 24 + typeLen);
  return out;
}

export interface BuilderCase {
  name: string;
  op: 'dedup' | 'merge';
  build(): { base: Btf | null; inputs: Btf[] };
}

const SIGNED = 1;

/** btf__add_ptr with a forward reference (libbpf's builder accepts ids not yet added). */
function fwdPtr(btf: Btf, ref: number): number {
  return btf.addRecord([0, 2 << 24, ref]);
}

/** btf__add_struct + btf__add_field calls whose member types may be forward references. */
function fwdStruct(btf: Btf, name: string, size: number, members: [string, number, number][]): number {
  const rec = [btf.addStr(name), ((4 << 24) | members.length) >>> 0, size];
  for (const [n, t, o] of members) rec.push(btf.addStr(n), t, o);
  return btf.addRecord(rec);
}

function splitSimple(): { base: Btf; inputs: Btf[] } {
  const b = Btf.create();
  b.addInt('int', 4, SIGNED); // [1]
  b.addPtr(1); // [2]
  b.addStruct('s1', 4); // [3]
  b.addField('f1', 1);
  const s = Btf.createSplit(b);
  fwdStruct(s, 's2', 16, [['f1', 6, 0], ['f2', 5, 32], ['f3', 2, 64]]); // [4]
  s.addInt('int', 4, SIGNED); // [5]
  s.addStruct('s1', 4); // [6]
  s.addField('f1', 5);
  return { base: b, inputs: [s] };
}

function splitFwdResolve(): { base: Btf; inputs: Btf[] } {
  const b = Btf.create();
  b.addInt('int', 4, SIGNED); // [1]
  fwdPtr(b, 4); // [2]
  fwdPtr(b, 5); // [3]
  b.addStruct('s1', 16); // [4]
  b.addField('f1', 2);
  b.addField('f2', 3, 64);
  b.addStruct('s2', 4); // [5]
  b.addField('f1', 1);
  b.addStruct('s3', 4); // [6]
  b.addField('f1', 1);
  const s = Btf.createSplit(b);
  s.addInt('int', 4, SIGNED); // [7]
  fwdPtr(s, 11); // [8]
  s.addFwd('s2', 'struct'); // [9]
  s.addPtr(9); // [10]
  s.addStruct('s1', 16); // [11]
  s.addField('f1', 8);
  s.addField('f2', 10, 64);
  s.addFwd('s3', 'struct'); // [12]
  s.addPtr(12); // [13]
  return { base: b, inputs: [s] };
}

function splitStructDuped(): { base: Btf; inputs: Btf[] } {
  const b = Btf.create();
  b.addInt('int', 4, SIGNED); // [1]
  fwdPtr(b, 5); // [2]
  b.addFwd('s2', 'struct'); // [3]
  b.addPtr(3); // [4]
  b.addStruct('s1', 16); // [5]
  b.addField('f1', 2);
  b.addField('f2', 4, 64);
  const s = Btf.createSplit(b);
  s.addInt('int', 4, SIGNED); // [6]
  fwdPtr(s, 10); // [7]
  s.addFwd('s2', 'struct'); // [8]
  fwdPtr(s, 11); // [9]
  s.addStruct('s1', 16); // [10]
  s.addField('f1', 7);
  s.addField('f2', 9, 64);
  s.addStruct('s2', 40); // [11]
  s.addField('f1', 7);
  s.addField('f2', 9, 64);
  s.addField('f3', 6, 128);
  s.addField('f4', 10, 192);
  s.addPtr(8); // [12]
  s.addStruct('s3', 8); // [13]
  s.addField('f1', 12);
  return { base: b, inputs: [s] };
}

/** A CU with two identical anonymous structs used by one struct (ids relative to `start`). */
function dupStructInCu(btf: Btf, start: number): void {
  const id = (n: number): number => start + n - 1;
  btf.addInt('int', 4, SIGNED);
  fwdStruct(btf, 's', 8, [['a', id(3), 0], ['b', id(4), 0]]);
  btf.addStruct('(anon)', 8);
  btf.addField('f1', id(1));
  btf.addField('f2', id(1), 32);
  btf.addStruct('(anon)', 8);
  btf.addField('f1', id(1));
  btf.addField('f2', id(1), 32);
}

function splitDupStructInCu(): { base: Btf; inputs: Btf[] } {
  const b0 = Btf.create();
  dupStructInCu(b0, 1);
  const b = dedup(b0).btf;
  const s = Btf.createSplit(b);
  dupStructInCu(s, b.typeCount());
  return { base: b, inputs: [s] };
}

/**
 * `n` full enums named E with distinct values, `filler` distinct INTs (their table entries make
 * the candidate table grow, which reorders the E candidates), then an enum forward E and a
 * struct using it: which full enum the forward resolves to shows the candidate order.
 */
function enumFwdOrder(n: number, filler: number): { base: null; inputs: Btf[] } {
  const b = Btf.create();
  for (let i = 0; i < n; i++) {
    b.addEnum('E', 4);
    b.addEnumValue(`V${i}`, i);
  }
  for (let i = 0; i < filler; i++) b.addInt(`i${i}`, 4, 0);
  const fwd = b.addEnum('E', 4);
  const int = b.addInt('int', 4, SIGNED);
  b.addStruct('user', 8);
  b.addField('e', fwd);
  b.addField('i', int, 32);
  return { base: null, inputs: [b] };
}

/**
 * A base holding `n` copies of one full enum E and of one struct S (a base need not be
 * deduplicated), with `filler` distinct INTs after each copy (table growths between them), and
 * a split object with the same E and S and a struct using both: which base copies they map to
 * shows the order of the candidates of their whole signatures.
 */
function equalBaseCopiesOrder(n: number, filler: number): { base: Btf; inputs: Btf[] } {
  const b = Btf.create();
  const int = b.addInt('int', 4, SIGNED);
  let k = 0;
  for (let i = 0; i < n; i++) {
    b.addEnum('E', 4);
    b.addEnumValue('A', 1);
    b.addEnumValue('B', 2);
    b.addStruct('S', 8);
    b.addField('a', int);
    b.addField('b', int, 32);
    for (let j = 0; j < filler; j++) b.addInt(`f${k++}`, 4, 0);
  }
  const s = Btf.createSplit(b);
  const sint = s.addInt('int', 4, SIGNED);
  const e = s.addEnum('E', 4);
  s.addEnumValue('A', 1);
  s.addEnumValue('B', 2);
  const st = s.addStruct('S', 8);
  s.addField('a', sint);
  s.addField('b', sint, 32);
  s.addStruct('user', 12);
  s.addField('e', e);
  s.addField('s', st, 32);
  return { base: b, inputs: [s] };
}

/** `n` anonymous unions of one shape over different struct types, each used twice. */
function anonUnionOrder(n: number): { base: null; inputs: Btf[] } {
  const b = Btf.create();
  const int = b.addInt('int', 4, SIGNED);
  const structs: number[] = [];
  for (let i = 0; i < n; i++) {
    structs.push(b.addStruct(`S${i % 3}`, 4));
    b.addField(`m${i % 2}`, int);
  }
  for (let rep = 0; rep < 2; rep++) {
    for (let i = 0; i < n; i++) {
      b.addUnion(null, 4);
      b.addField('x', structs[i]!);
      b.addField(null, int);
    }
  }
  return { base: null, inputs: [b] };
}

function kernelish(variant: number): Btf {
  const b = Btf.create();
  const int = b.addInt('int', 4, SIGNED);
  const long = b.addInt('long', 8, SIGNED);
  const ch = b.addInt('char', 1, 2);
  const fwdTask = b.addFwd('task', 'struct');
  const pTask = b.addPtr(fwdTask);
  const pList = fwdPtr(b, b.typeCount() + 1);
  fwdStruct(b, 'list_head', 16, [['next', pList, 0], ['prev', pList, 64]]);
  const list = pList + 1;
  const arr = b.addArray(int, ch, 16);
  const task = b.addStruct('task', variant ? 48 : 40);
  b.addField('pid', int);
  b.addField('comm', arr, 32);
  b.addField('tasks', list, 192);
  if (variant) b.addField('extra', long, 320);
  const td = b.addTypedef('pid_t', int);
  const proto = b.addFuncProto(int);
  b.addFuncParam('t', pTask);
  b.addFuncParam('p', td);
  b.addFunc('do_it', 1, proto);
  const cst = b.addConst(ch);
  b.addPtr(cst);
  b.addVar('current', 1, pTask);
  const ds = b.addDatasec('.data', 8);
  b.addDatasecVarInfo(ds - 1, 0, 8);
  b.addEnum64('big', 8, false);
  b.addEnum64Value('B0', 1n << 40n);
  b.addEnum('big', 4);
  b.addFloat('double', 8);
  b.addTypeTag('user', pTask);
  b.addDeclTag('tag', task, 0);
  void task;
  return b;
}

function typedefInBase(): { base: Btf; inputs: Btf[] } {
  const b = Btf.create();
  const int = b.addInt('int', 4, SIGNED);
  b.addTypedef('u32', int);
  b.addStruct('s', 4);
  b.addField('a', int);
  const s = Btf.createSplit(b);
  const i2 = s.addInt('int', 4, SIGNED);
  const t2 = s.addTypedef('u32', i2);
  s.addStruct('s', 4);
  s.addField('a', i2);
  s.addPtr(t2);
  s.addVar('v', 0, t2);
  s.addVar('v', 0, t2);
  return { base: b, inputs: [s] };
}

function modulesOnBase(): { base: Btf; inputs: Btf[] } {
  const b = kernelish(0);
  const mods: Btf[] = [];
  for (let m = 0; m < 3; m++) {
    const s = Btf.createSplit(b);
    const int = s.addInt('int', 4, SIGNED);
    const pt = s.addPtr(s.addFwd('task', 'struct'));
    s.addStruct(`mod${m % 2}`, 16);
    s.addField('x', int);
    s.addField('t', pt, 64);
    s.addFwd('list_head', 'struct');
    mods.push(s);
  }
  return { base: b, inputs: mods };
}

export function builderCases(): BuilderCase[] {
  const cases: BuilderCase[] = [
    { name: 'split: simple', op: 'dedup', build: splitSimple },
    { name: 'split: fwd resolve', op: 'dedup', build: splitFwdResolve },
    { name: 'split: struct duped', op: 'dedup', build: splitStructDuped },
    { name: 'split: dup struct in cu', op: 'dedup', build: splitDupStructInCu },
    { name: 'split: typedef identical to a base one', op: 'dedup', build: typedefInBase },
    { name: 'merge: kernel-like twice', op: 'merge', build: () => ({ base: null, inputs: [kernelish(0), kernelish(0)] }) },
    { name: 'merge: kernel-like, two variants', op: 'merge', build: () => ({ base: null, inputs: [kernelish(0), kernelish(1), kernelish(0)] }) },
    { name: 'merge: modules on a base', op: 'merge', build: modulesOnBase },
    { name: 'dedup: kernel-like', op: 'dedup', build: () => ({ base: null, inputs: [kernelish(1)] }) },
  ];
  for (const [n, f] of [[1, 0], [3, 2], [4, 9], [5, 20], [6, 3], [7, 40], [12, 13], [13, 100], [25, 250]] as const) {
    cases.push({ name: `order: enum forward among ${n} full enums, ${f} fillers`, op: 'dedup', build: () => enumFwdOrder(n, f) });
  }
  for (const [n, f] of [[2, 0], [3, 1], [4, 3], [6, 2], [7, 9], [12, 5], [13, 40]] as const) {
    cases.push({ name: `order: full enum and struct among ${n} equal base copies, ${f} fillers each`, op: 'dedup', build: () => equalBaseCopiesOrder(n, f) });
  }
  for (const n of [1, 2, 3, 4, 6, 7, 12, 13, 25]) {
    cases.push({ name: `order: ${n} anonymous unions twice`, op: 'dedup', build: () => anonUnionOrder(n) });
  }
  cases.push(...edgeCases());
  return cases;
}
