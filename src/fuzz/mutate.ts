/**
 * Mutations of real inputs, as plain data (so that a failing case prints, shrinks and can be
 * stored), and the fast-check arbitraries that generate them.
 *
 * Generic mutations: bit flips, byte sets, truncation, insertion, deletion, 32/64-bit writes
 * of interesting values (0, 1, 0x7fffffff, 0x80000000, 0xffffffff, the old value ± 1 / ± 4,
 * the file size ± 1). Format-aware ones rewrite one field of a known header: the BTF header
 * (hdr_len … layout_len, in the magic's byte order), one 12-byte BTF record prefix (name_off,
 * info with kind/vlen changes, size/type), the ELF file header and section headers (offset,
 * size, link, name, type, and the SHN_XINDEX escapes).
 */

import fc from 'fast-check';

export type Mutation =
  | { op: 'flip'; pos: number; bit: number }
  | { op: 'set'; pos: number; value: number }
  | { op: 'truncate'; len: number }
  | { op: 'insert'; pos: number; bytes: number[] }
  | { op: 'delete'; pos: number; len: number }
  | { op: 'u32'; pos: number; v: Interesting; le: boolean }
  | { op: 'u64'; pos: number; v: Interesting; le: boolean }
  | { op: 'btfhdr'; field: number; v: Interesting }
  | { op: 'btfrec'; nth: number; word: number; v: Interesting | { kind: number } | { vlen: number } }
  | { op: 'elfhdr'; field: ElfHeaderField; v: Interesting }
  | { op: 'shdr'; index: number; field: SectionField; v: Interesting };

/** A value, possibly relative to the old one or to the input size. */
export type Interesting =
  | { abs: number }
  | { rel: number } // old value + rel
  | { size: number }; // input length + size

export type ElfHeaderField = 'shoff' | 'shnum' | 'shstrndx' | 'phoff' | 'phnum' | 'shentsize' | 'phentsize';
export type SectionField = 'name' | 'type' | 'offset' | 'size' | 'link' | 'info' | 'entsize';

const INTERESTING_ABS = [0, 1, 2, 3, 4, 8, 12, 16, 23, 24, 25, 31, 32, 64, 0xff, 0x100, 0xffff, 0x10000, 0xffffff, 0x1000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export const interestingArb: fc.Arbitrary<Interesting> = fc.oneof(
  fc.constantFrom(...INTERESTING_ABS).map((abs) => ({ abs })),
  fc.constantFrom(-4, -1, 1, 4, 12, -12, 0x1000000).map((rel) => ({ rel })),
  fc.constantFrom(-1, 0, 1, -24, -12).map((size) => ({ size })),
  fc.nat(0xffffffff).map((abs) => ({ abs })),
);

function resolve(v: Interesting, old: number, size: number): number {
  if ('abs' in v) return v.abs >>> 0;
  if ('rel' in v) return (old + v.rel) >>> 0;
  return (size + v.size) >>> 0;
}

/** A position arbitrary in [0, 1): scaled to the current input length when applied. */
const posArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((x) => Math.floor(x * 1e6));

/** Mutations of any input. */
export const genericMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), pos: posArb, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('set' as const), pos: posArb, value: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff), fc.nat(255)) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), len: posArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('insert' as const), pos: posArb, bytes: fc.array(fc.nat(255), { minLength: 1, maxLength: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), pos: posArb, len: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('u32' as const), pos: posArb, v: interestingArb, le: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('u64' as const), pos: posArb, v: interestingArb, le: fc.boolean() }) },
);

/** BTF-aware mutations: header fields and record prefixes. */
export const btfMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('btfhdr' as const), field: fc.integer({ min: 1, max: 7 }), v: interestingArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('btfrec' as const),
      nth: fc.nat(200),
      word: fc.integer({ min: 0, max: 5 }),
      v: fc.oneof(interestingArb, fc.integer({ min: 0, max: 31 }).map((kind) => ({ kind })), fc.constantFrom(0, 1, 2, 3, 0xff, 0xffff).map((vlen) => ({ vlen }))),
    }),
  },
  { weight: 5, arbitrary: genericMutationArb },
);

/** ELF-aware mutations: file header and section header fields. */
export const elfMutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('elfhdr' as const),
      field: fc.constantFrom<ElfHeaderField>('shoff', 'shnum', 'shstrndx', 'phoff', 'phnum', 'shentsize', 'phentsize'),
      v: fc.oneof(interestingArb, fc.constantFrom({ abs: 0xffff }, { abs: 0xff00 }, { abs: 0 })),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('shdr' as const),
      index: fc.nat(24),
      field: fc.constantFrom<SectionField>('name', 'type', 'offset', 'size', 'link', 'info', 'entsize'),
      v: interestingArb,
    }),
  },
  { weight: 5, arbitrary: genericMutationArb },
);

export function mutationsArb(one: fc.Arbitrary<Mutation>, max = 4): fc.Arbitrary<Mutation[]> {
  return fc.array(one, { minLength: 1, maxLength: max });
}

// ------------------------------------------------------------------------ apply

function at(pos: number, len: number): number {
  return len === 0 ? 0 : pos % len;
}

function getU32(b: Uint8Array, o: number, le: boolean): number {
  if (o + 4 > b.length) return 0;
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(o, le);
}

function putU32(b: Uint8Array, o: number, v: number, le: boolean): void {
  if (o < 0 || o + 4 > b.length) return;
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(o, v >>> 0, le);
}

function putU16(b: Uint8Array, o: number, v: number, le: boolean): void {
  if (o < 0 || o + 2 > b.length) return;
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint16(o, v & 0xffff, le);
}

function putWord(b: Uint8Array, o: number, v: number, le: boolean, is64: boolean): void {
  if (!is64) return putU32(b, o, v, le);
  if (o < 0 || o + 8 > b.length) return;
  new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(o, BigInt(v >>> 0), le);
}

function getWord(b: Uint8Array, o: number, le: boolean, is64: boolean): number {
  if (!is64) return getU32(b, o, le);
  if (o + 8 > b.length) return 0;
  return Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(o, le) & 0xffffffffn);
}

/** Byte offset of the nth type record of a (classic-walk) BTF blob, or -1. */
function btfRecordOffset(b: Uint8Array, nth: number): number {
  if (b.length < 24) return -1;
  const le = b[0] === 0x9f;
  const hdrLen = getU32(b, 4, le);
  const start = hdrLen + getU32(b, 8, le);
  const end = Math.min(b.length, start + getU32(b, 12, le));
  const sizes = [0, 16, 12, 24, -12, -12, -8, 12, 12, 12, 12, 12, 12, -8, 16, -12, 12, 16, 12, -12];
  let p = start;
  let n = 0;
  const found: number[] = [];
  while (p + 12 <= end && n < 100000) {
    found.push(p);
    const info = getU32(b, p + 4, le);
    const kind = (info >>> 24) & 0x1f;
    const s = sizes[kind];
    if (s === undefined || s === 0) break;
    p += s > 0 ? s : 12 + -s * (info & 0xffff);
    n++;
  }
  if (found.length === 0) return -1;
  return found[nth % found.length]!;
}

/** Applies the mutations in order to a copy of `seed`. */
export function applyMutations(seed: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  let b: Uint8Array = seed.slice();
  for (const m of muts) b = applyOne(b, m);
  return b;
}

function applyOne(b: Uint8Array, m: Mutation): Uint8Array {
  const len = b.length;
  switch (m.op) {
    case 'flip':
      if (len) b[at(m.pos, len)]! ^= 1 << m.bit;
      return b;
    case 'set':
      if (len) b[at(m.pos, len)] = m.value;
      return b;
    case 'truncate':
      return b.slice(0, len === 0 ? 0 : m.len % (len + 1));
    case 'insert': {
      const p = at(m.pos, len + 1);
      const out = new Uint8Array(len + m.bytes.length);
      out.set(b.subarray(0, p));
      out.set(m.bytes, p);
      out.set(b.subarray(p), p + m.bytes.length);
      return out;
    }
    case 'delete': {
      const p = at(m.pos, len);
      const out = new Uint8Array(len - Math.min(m.len, len - p));
      out.set(b.subarray(0, p));
      out.set(b.subarray(p + m.len), p);
      return out;
    }
    case 'u32': {
      if (len < 4) return b;
      const o = at(m.pos, len - 3);
      putU32(b, o, resolve(m.v, getU32(b, o, m.le), len), m.le);
      return b;
    }
    case 'u64': {
      if (len < 8) return b;
      const o = at(m.pos, len - 7);
      const v = resolve(m.v, getU32(b, o, m.le), len);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const big = 'abs' in m.v && m.v.abs >= 0x80000000 ? 0xffffffffn << 32n | BigInt(v) : BigInt(v);
      dv.setBigUint64(o, big, m.le);
      return b;
    }
    case 'btfhdr': {
      if (len < 4 + 4 * m.field + 4) return b;
      const le = b[0] === 0x9f;
      const o = 4 * m.field;
      putU32(b, o, resolve(m.v, getU32(b, o, le), len), le);
      return b;
    }
    case 'btfrec': {
      const p = btfRecordOffset(b, m.nth);
      if (p < 0) return b;
      const le = b[0] === 0x9f;
      const o = p + 4 * m.word;
      const old = getU32(b, o, le);
      if ('kind' in m.v) putU32(b, p + 4, (getU32(b, p + 4, le) & ~(0x1f << 24)) | (m.v.kind << 24), le);
      else if ('vlen' in m.v) putU32(b, p + 4, (getU32(b, p + 4, le) & ~0xffff) | m.v.vlen, le);
      else putU32(b, o, resolve(m.v, old, len), le);
      return b;
    }
    case 'elfhdr': {
      if (len < 52 || b[0] !== 0x7f) return b;
      const is64 = b[4] === 2;
      const le = b[5] !== 2;
      if (len < (is64 ? 64 : 52)) return b;
      const e = is64 ? 52 : 40;
      const map: Record<ElfHeaderField, [number, 'w' | 'h']> = {
        phoff: [is64 ? 32 : 28, 'w'],
        shoff: [is64 ? 40 : 32, 'w'],
        phentsize: [e + 2, 'h'],
        phnum: [e + 4, 'h'],
        shentsize: [e + 6, 'h'],
        shnum: [e + 8, 'h'],
        shstrndx: [e + 10, 'h'],
      };
      const [o, w] = map[m.field];
      if (w === 'w') putWord(b, o, resolve(m.v, getWord(b, o, le, is64), len), le, is64);
      else putU16(b, o, resolve(m.v, getU32(b, o, le) & 0xffff, len), le);
      return b;
    }
    case 'shdr': {
      if (len < 52 || b[0] !== 0x7f) return b;
      const is64 = b[4] === 2;
      const le = b[5] !== 2;
      const shoff = getWord(b, is64 ? 40 : 32, le, is64);
      if (len < (is64 ? 64 : 52)) return b;
      const shnum = new DataView(b.buffer, b.byteOffset, b.byteLength).getUint16(is64 ? 60 : 48, le);
      const es = is64 ? 64 : 40;
      if (shnum === 0) return b;
      const sh = shoff + (m.index % shnum) * es;
      const fields: Record<SectionField, [number, boolean]> = is64
        ? { name: [0, false], type: [4, false], offset: [24, true], size: [32, true], link: [40, false], info: [44, false], entsize: [56, true] }
        : { name: [0, false], type: [4, false], offset: [16, false], size: [20, false], link: [24, false], info: [28, false], entsize: [36, false] };
      const [fo, wide] = fields[m.field];
      const o = sh + fo;
      if (wide) putWord(b, o, resolve(m.v, getWord(b, o, le, true), len), le, true);
      else putU32(b, o, resolve(m.v, getU32(b, o, le), len), le);
      return b;
    }
  }
}

/** Short text of a mutation list, for failure reports. */
export function describeMutations(muts: readonly Mutation[]): string {
  return JSON.stringify(muts);
}
