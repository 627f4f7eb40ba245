/**
 * The dedup stages of dedup.c, from JavaScript (src/split/dedup calls them): the dedup state's
 * arrays copied into the instance's memory with every scratch array the C code uses laid out
 * (the struct walk's stack and the enum table at what they need, else at their largest size),
 * the results copied back; and parse.ts's record walk (walkRecords), whose copy of a kernel's
 * records the dedup then finds in place. No `node:` import.
 *
 * Each function returns null/false when WebAssembly cannot be used here (wasm.ts
 * LazyInstance) or when the C code stops where the JavaScript reports an error (dedup.c
 * DEDUP_BAIL): the caller then runs its JavaScript stages, which give the same result
 * (src/split/dedup/prep.test.ts, twin.test.ts) or report that error.
 */

import { DEDUP_WASM } from './dedup-wasm.js';
import { alignUp, growMemoryTo, heldOf, holds, LazyInstance, type WasmBaseExports, type WasmInstance } from './wasm.js';

interface DedupExports extends WasmBaseExports {
  btfkit_dedup_prep(
    w: number, off: number, start: number, typeCount: number, limit: number, map: number, kinds: number, bits: number, elemBits: number,
    anonKinds: number, namesGiven: number, anonEnumFwd: number, t: number, et: number, names: number, nNames: number,
  ): number;
  btfkit_dedup_types(
    w: number, off: number, kinds: number, map: number, start: number, typeCount: number, t: number, et: number, enumFwd: number,
    enumFwdLimit: number, hypot: number, hypotList: number, s: number, seen: number, rs: number, fwd: number, fwdMask: number,
  ): number;
  btfkit_dedup_all(all: number): number;
  btfkit_index_records(words: number, typeLen: number, offs: number, strLimit: number, kindMask: number, vlenMask: number, maxKind: number, kt: number, out: number): void;
}

const dedupWasm = new LazyInstance<DedupExports>(DEDUP_WASM, ['btfkit_dedup_prep', 'btfkit_dedup_types', 'btfkit_dedup_all', 'btfkit_index_records']);

/** dedup.c DEDUP_BAIL. */
const BAIL = -0x7fffffff;

/** Lays out areas one after another from `at` (16-byte aligned); `end` is the first byte after the last. */
class Areas {
  constructor(public end: number) {
    this.end = alignUp(end, 16);
  }

  take(bytes: number): number {
    const p = this.end;
    this.end = alignUp(this.end + bytes, 16);
    return p;
  }
}

/** A candidate table's storage and counters (src/split/dedup/table.ts TableState). */
export interface PrepTable {
  bk: Int32Array;
  shift: number;
  ents: Int32Array;
  top: number;
  cap: number;
  odd: number;
  size: number;
}

/** The own types' names as dedupPrep looks them up (prim.ts OwnNames). */
export interface PrepNames {
  bits: Uint32Array;
  elemBits: Uint32Array;
  anonKinds: Uint8Array;
  anonEnumFwd: boolean;
}

/** What dedupPrep's pass over the base reads: the dedup state's records and tables (prim.ts). */
export interface PrepInput {
  w: Uint32Array;
  off: Uint32Array;
  /** First own id: the base ids are [1, start); the own ones [start, typeCount). */
  start: number;
  typeCount: number;
  /** First own string offset (Btf.startStrOff): the name bit arrays have limit / 32 + 1 words. */
  limit: number;
  /** The own names (prim.ts ownNames), or null to have them found in WebAssembly (strings already deduplicated). */
  names: PrepNames | null;
  table: PrepTable;
  enumTable: PrepTable;
}

export interface PrepOutput {
  /** The map of the ids [0, start): each to itself. */
  map: Int32Array;
  /** Kinds of the ids [0, start) (0 for void). */
  kinds: Uint8Array;
  table: Omit<PrepTable, 'shift'>;
  enumTable: Omit<PrepTable, 'shift'>;
  /** Names of the valueless base enums entered, in id order. */
  enumFwdNames: Uint32Array;
}

/** Bytes of a table's struct in dedup.c: bk, shift, ents, ents_len, top, cap, odd, size. */
const TABLE_STRUCT = 32;
/** Words per table entry. */
const E = 4;

/** Typed views of an instance's memory, valid until it grows. */
interface Mem {
  u8: Uint8Array;
  u32: Uint32Array;
  i32: Int32Array;
}

function views(buf: ArrayBuffer): Mem {
  return { u8: new Uint8Array(buf), u32: new Uint32Array(buf), i32: new Int32Array(buf) };
}

/**
 * The type stages' scratch (dedup.c struct dedup): hypot_list and the two walk stacks, the
 * struct walk's with room for `frames` pairs (at most typeCount + 1 deep).
 */
function stageScratch(areas: Areas, typeCount: number, own: number, frames = typeCount + 1): { plist: number; ps: number; prs: number } {
  return { plist: areas.take(typeCount * 4), ps: areas.take(frames * FRAME * 4), prs: areas.take((own + 1) * RFRAME * 4) };
}

/** The type stages' scratch that starts zeroed: the hypothetical map, the memo, the forward names' table. */
function stageZeroed(areas: Areas, typeCount: number, own: number): { phypot: number; pseen: number; pfwd: number; fwdMask: number } {
  let fwdSlots = 16;
  while (fwdSlots < 2 * own + 2) fwdSlots *= 2;
  return { phypot: areas.take(typeCount * 4), pseen: areas.take(typeCount * 4), pfwd: areas.take(fwdSlots * 8), fwdMask: fwdSlots - 1 };
}

/**
 * The instance's memory grown to the areas' end, [zeroFrom, end) zeroed: views of it, or null
 * when it cannot grow. The caller writes its areas: what the memory held is forgotten unless
 * `keepHeld` (dedupAllInWasm, which checks it).
 */
function readyMemory(inst: WasmInstance<DedupExports>, areas: Areas, zeroFrom: number, keepHeld = false): Mem | null {
  if (!keepHeld) inst.held = null;
  try {
    growMemoryTo(inst.ex.memory, areas.end);
  } catch {
    return null;
  }
  const m = views(inst.ex.memory.buffer);
  if (inst.dirty > zeroFrom) m.u8.fill(0, zeroFrom, Math.min(inst.dirty, areas.end));
  inst.dirty = Math.max(inst.dirty, areas.end);
  return m;
}

/** Where a table is in memory: its struct, buckets and entries (with room for `entsWords`). */
interface TableAt {
  ps: number;
  pbk: number;
  pents: number;
  entsWords: number;
}

function tableAreas(areas: Areas, t: PrepTable, room: number): TableAt {
  const entsWords = t.top + E * room;
  return { ps: areas.take(TABLE_STRUCT), pbk: areas.take(t.bk.byteLength), pents: areas.take(entsWords * 4), entsWords };
}

function putTable(m: Mem, at: TableAt, t: PrepTable): void {
  m.i32.set(t.bk, at.pbk >>> 2);
  m.i32.set(t.ents.subarray(0, t.top), at.pents >>> 2);
  m.u32.set([at.pbk, t.shift, at.pents, at.entsWords, t.top, t.cap, t.odd, t.size], at.ps >>> 2);
}

function takeTable(m: Mem, at: TableAt, t: PrepTable): Omit<PrepTable, 'shift'> {
  const s = at.ps >>> 2;
  const top = m.u32[s + 4]!;
  const ents = new Int32Array(Math.max(t.ents.length, top));
  ents.set(m.i32.subarray(at.pents >>> 2, (at.pents >>> 2) + top));
  return { bk: m.i32.slice(at.pbk >>> 2, (at.pbk >>> 2) + t.bk.length), ents, top, cap: m.u32[s + 5]!, odd: m.u32[s + 6]!, size: m.u32[s + 7]! };
}

/** Runs a function of the module; null when it traps (the instance is then dropped). */
function call(run: () => number): number | null {
  try {
    return run();
  } catch {
    dedupWasm.drop(); // a trap: a fresh instance next time
    return null;
  }
}

/**
 * dedupPrep's pass over the base types (dedup.c btfkit_dedup_prep): the tables continued from
 * `input`'s (copied, not changed), or the id of a base type of unknown kind (negative), or
 * null when WebAssembly cannot be used or the input is outside what the C twin handles (the
 * caller then runs the JavaScript pass, which reports the same).
 */
export function dedupPrepTables(input: PrepInput): PrepOutput | number | null {
  const { w, off, start, typeCount, names, table, enumTable } = input;
  const bitWords = (input.limit >>> 5) + 1;
  if (start < 1 || typeCount < start || off.length < typeCount) return null;
  if (names !== null && (names.bits.length !== bitWords || names.elemBits.length !== bitWords || names.anonKinds.length !== 32)) return null;
  const inst = dedupWasm.get();
  if (inst === null) return null;
  const ex = inst.ex;
  // the areas, from __heap_base: records, offsets, map, kinds, the two tables (room for every
  // base id), enum names and their count; zeroed (found here when not given): name bits and
  // anonymous kinds
  const areas = new Areas(ex.__heap_base.value);
  const pw = areas.take(w.byteLength);
  const poff = areas.take(typeCount * 4);
  const pmap = areas.take(start * 4);
  const pkinds = areas.take(start);
  const tAt = tableAreas(areas, table, start + 16);
  const etAt = tableAreas(areas, enumTable, start + 16);
  const pnames = areas.take(start * 4);
  const pn = areas.take(4);
  const zeroFrom = areas.end;
  const pbits = areas.take(bitWords * 4);
  const pelem = areas.take(bitWords * 4);
  const panon = areas.take(32);
  const m = readyMemory(inst, areas, zeroFrom);
  if (m === null) return null;
  m.u32.set(w, pw >>> 2);
  m.u32.set(off.subarray(0, typeCount), poff >>> 2);
  if (names !== null) {
    m.u32.set(names.bits, pbits >>> 2);
    m.u32.set(names.elemBits, pelem >>> 2);
    m.u8.set(names.anonKinds, panon);
  }
  putTable(m, tAt, table);
  putTable(m, etAt, enumTable);
  const r = call(() =>
    ex.btfkit_dedup_prep(
      pw, poff, start, typeCount, input.limit, pmap, pkinds, pbits, pelem, panon,
      names !== null ? 1 : 0, names?.anonEnumFwd ? 1 : 0, tAt.ps, etAt.ps, pnames, pn,
    ),
  );
  if (r === null || r === BAIL) return null;
  if (r < 0) return r;
  const kinds = m.u8.slice(pkinds, pkinds + start);
  kinds[0] = 0;
  const map = m.i32.slice(pmap >>> 2, (pmap >>> 2) + start);
  map[0] = 0;
  return {
    map,
    kinds,
    table: takeTable(m, tAt, table),
    enumTable: takeTable(m, etAt, enumTable),
    enumFwdNames: m.u32.slice(pnames >>> 2, (pnames >>> 2) + m.u32[pn >>> 2]!),
  };
}

/** What the type stages read and change (the dedup state after dedupPrep and the string stage). */
export interface TypesInput {
  w: Uint32Array;
  off: Uint32Array;
  kinds: Uint8Array;
  map: Int32Array;
  start: number;
  typeCount: number;
  table: PrepTable;
  enumTable: PrepTable;
  /** Names of the valueless enums among the candidates. */
  enumFwdNames: Iterable<number>;
  /** One past the largest string offset a name can have (the own string section's end). */
  strLimit: number;
}

/** Struct walk frame words (struct.ts FRAME) and reference walk frame words (ref.ts FRAME). */
const FRAME = 5;
const RFRAME = 4;

/**
 * dedupPrimTypes, dedupStructTypes, dedupResolveFwds and dedupRefTypes in WebAssembly
 * (dedup.c btfkit_dedup_types): on success the canonical map and the rewritten own records
 * are written back into `input.map` and `input.w` (the tables are left as they were: nothing
 * after these stages reads them) and true is returned; false (nothing written) when
 * WebAssembly cannot be used or the C code stopped where the JavaScript reports an error.
 */
export function dedupTypesInWasm(input: TypesInput): boolean {
  const { w, off, kinds, map, start, typeCount, table, enumTable } = input;
  if (start < 1 || typeCount < start || off.length < typeCount || kinds.length < typeCount || map.length < typeCount) return false;
  const inst = dedupWasm.get();
  if (inst === null) return false;
  const ex = inst.ex;
  const own = typeCount - start;
  const enumWords = (input.strLimit >>> 5) + 1;
  const areas = new Areas(ex.__heap_base.value);
  const pw = areas.take(w.byteLength);
  const poff = areas.take(typeCount * 4);
  const pkinds = areas.take(typeCount);
  const pmap = areas.take(typeCount * 4);
  const tAt = tableAreas(areas, table, own + 16);
  const etAt = tableAreas(areas, enumTable, own + 16);
  const { plist, ps, prs } = stageScratch(areas, typeCount, own);
  // zeroed: enum names, then the stages' own
  const zeroFrom = areas.end;
  const penum = areas.take(enumWords * 4);
  const { phypot, pseen, pfwd, fwdMask } = stageZeroed(areas, typeCount, own);
  const m = readyMemory(inst, areas, zeroFrom);
  if (m === null) return false;
  m.u32.set(w, pw >>> 2);
  m.u32.set(off.subarray(0, typeCount), poff >>> 2);
  m.u8.set(kinds.subarray(0, typeCount), pkinds);
  m.i32.set(map.subarray(0, typeCount), pmap >>> 2);
  putTable(m, tAt, table);
  putTable(m, etAt, enumTable);
  for (const name of input.enumFwdNames) {
    if (name >= input.strLimit) return false;
    m.u32[(penum >>> 2) + (name >>> 5)]! |= 1 << (name & 31);
  }
  const r = call(() =>
    ex.btfkit_dedup_types(pw, poff, pkinds, pmap, start, typeCount, tAt.ps, etAt.ps, penum, input.strLimit, phypot, plist, ps, pseen, prs, pfwd, fwdMask),
  );
  if (r !== 0) return false;
  map.set(m.i32.subarray(pmap >>> 2, (pmap >>> 2) + typeCount));
  // the own records: from the first own record to void's three words (state.ts newState)
  if (own > 0) {
    const from = off[start]!;
    const to = off[0]!;
    w.set(m.u32.subarray((pw >>> 2) + from, (pw >>> 2) + to), from);
  }
  return true;
}

/** One level of the base chain or the object itself (state.ts newState copies them in this order). */
export interface ChainLevel {
  words: Uint32Array;
  nWords: number;
  offs: Uint32Array;
  nTypes: number;
  startId: number;
}

/** src/format/kinds.ts's per-kind tables, as dedup.c struct kind_tables reads them. */
export interface KindTables {
  infoWords: Int8Array;
  elemWords: Int8Array;
  idFixed: Uint8Array;
  idWord1: Uint8Array;
  idWord2: Uint8Array;
  elemId: Int8Array;
  elemStart: Int8Array;
}

/** What btfkit_dedup_all reads: the chain (bottom first, the object last) and where the object's strings end. */
export interface AllInput {
  chain: readonly ChainLevel[];
  typeCount: number;
  /** First own string offset (Btf.startStrOff), and one past the own string section's end. */
  limit: number;
  strLimit: number;
  kinds: KindTables;
}

/** The kept own records (ids remapped), and what the id map is computed from (compact.ts finalId). */
export interface AllOutput {
  words: Uint32Array;
  nWords: number;
  offs: Uint32Array;
  nTypes: number;
  map: Int32Array;
  renum: Uint32Array;
}

/** Words of dedup.c struct all. */
const ALL_WORDS = 29;

/**
 * Room for the struct walk's depth in btfkit_dedup_all, and for its enum table's entries (the
 * kernel's enums are a few percent of its types): deeper walks and more enums than this stop
 * the C code (DEDUP_BAIL) and the JavaScript dedups. Less memory: V8 counts a WebAssembly
 * memory's size twice against the external memory limit that starts a full garbage
 * collection (~32 MB of WebAssembly memory in a fresh process), and a small module's encode
 * stays under it (tcp_bbr: 20 MB with its encoder's).
 */
const MIN_WALK_FRAMES = 1 << 14;

/**
 * A whole dedup whose strings are already deduplicated, in WebAssembly (dedup.c
 * btfkit_dedup_all: newState's layout made here, ownRecords, dedupPrep, the type stages and
 * compactAndRemap): the kept records, or null when WebAssembly cannot be used or the C code
 * stopped where the JavaScript reports an error or where the room given runs out (the struct
 * walk's depth, the enum table's entries; `room` sets them, for tests): the caller then runs
 * the JavaScript dedup.
 */
export function dedupAllInWasm(input: AllInput, room: { frames?: number; enumEntries?: number } = {}): AllOutput | null {
  const { chain, typeCount } = input;
  const own = chain[chain.length - 1];
  if (own === undefined) return null;
  const start = own.startId;
  if (start < 1 || typeCount !== start + own.nTypes) return null;
  const inst = dedupWasm.get();
  if (inst === null) return null;
  const ex = inst.ex;
  let total = 3;
  for (const l of chain) total += l.nWords;
  const nOwn = typeCount - start;
  const bitWords = (input.limit >>> 5) + 1;
  const enumWords = (input.strLimit >>> 5) + 1;
  const bucketsOf = (expected: number): number => {
    let bits = 4;
    while (bits < 26 && 1 << bits < expected) bits++;
    return bits;
  };
  const tBits = bucketsOf(typeCount);
  const etBits = bucketsOf(typeCount >>> 4);
  const entsWords = E * (typeCount + 16);
  const enumEntsWords = E * (room.enumEntries ?? (typeCount >>> 3) + nOwn + 16);
  const frames = room.frames ?? Math.min(typeCount + 1, Math.max(MIN_WALK_FRAMES, 4 * nOwn));
  // the records first: the base's may already be there (walkRecords left them)
  const areas = new Areas(ex.__heap_base.value);
  const pw = areas.take(total * 4);
  const pall = areas.take(ALL_WORDS * 4);
  const poff = areas.take(typeCount * 4);
  const pmap = areas.take(typeCount * 4);
  const pkt = areas.take(7 * 32);
  const pt = areas.take(TABLE_STRUCT);
  const pet = areas.take(TABLE_STRUCT);
  const ptents = areas.take(entsWords * 4);
  const petents = areas.take(enumEntsWords * 4);
  const pnames = areas.take(typeCount * 4);
  const { plist, ps, prs } = stageScratch(areas, typeCount, nOwn, frames);
  const pow = areas.take(Math.max(own.nWords, 1) * 4);
  const poo = areas.take(Math.max(own.nTypes, 1) * 4);
  // zeroed: kinds, name bits, anonymous kinds, buckets, enum names, hypothetical map, memo, forward names
  const zeroFrom = areas.end;
  const pkinds = areas.take(typeCount);
  const pbits = areas.take(bitWords * 4);
  const pelem = areas.take(bitWords * 4);
  const panon = areas.take(32);
  const ptbk = areas.take((1 << tBits) * 4);
  const petbk = areas.take((1 << etBits) * 4);
  const penum = areas.take(enumWords * 4);
  const { phypot, pseen, pfwd, fwdMask } = stageZeroed(areas, typeCount, nOwn);
  const held = inst.held;
  const m = readyMemory(inst, areas, zeroFrom, true);
  if (m === null) return null;
  // newState's layout: each level's records in order, void's three zero words last; offsets per id
  let pos = 0;
  const off = m.u32.subarray(poff >>> 2, (poff >>> 2) + typeCount);
  for (const l of chain) {
    // the base's records are there when they are the ones walkRecords left (the rest is overwritten)
    if (pos !== 0 || !holds(held, l.words, l.nWords)) m.u32.set(l.words.subarray(0, l.nWords), (pw >>> 2) + pos);
    if (pos === 0) {
      inst.held = heldOf(l.words, l.nWords);
      off.set(l.offs.subarray(0, l.nTypes), l.startId);
    } else for (let i = 0; i < l.nTypes; i++) off[l.startId + i] = pos + l.offs[i]!;
    pos += l.nWords;
  }
  m.u32.fill(0, (pw >>> 2) + pos, (pw >>> 2) + pos + 3);
  off[0] = pos;
  const kt = input.kinds;
  [kt.infoWords, kt.elemWords, kt.idFixed, kt.idWord1, kt.idWord2, kt.elemId, kt.elemStart].forEach((t, i) => {
    m.u8.fill(0, pkt + 32 * i, pkt + 32 * i + 32);
    m.u8.set(new Uint8Array(t.buffer, t.byteOffset, Math.min(t.length, 32)), pkt + 32 * i);
  });
  m.u32.set([ptbk, 32 - tBits, ptents, entsWords, 0, 0, 0, 0], pt >>> 2);
  m.u32.set([petbk, 32 - etBits, petents, enumEntsWords, 0, 0, 0, 0], pet >>> 2);
  m.u32.set([
    pw, total, poff, start, typeCount, pkinds, pmap, input.limit, input.strLimit, pkt, pbits, pelem, panon, pt, pet, pnames, penum,
    phypot, plist, ps, pseen, prs, pfwd, fwdMask, pow, poo, 0, 0, frames,
  ], pall >>> 2);
  const r = call(() => ex.btfkit_dedup_all(pall));
  if (r !== 0) return null;
  const nWords = m.u32[(pall >>> 2) + 26]!;
  const nTypes = m.u32[(pall >>> 2) + 27]!;
  return {
    words: m.u32.slice(pow >>> 2, (pow >>> 2) + Math.max(nWords, 1)),
    nWords,
    offs: m.u32.slice(poo >>> 2, (poo >>> 2) + Math.max(nTypes, 1)),
    nTypes,
    map: m.i32.slice(pmap >>> 2, (pmap >>> 2) + typeCount),
    renum: m.u32.slice(phypot >>> 2, (phypot >>> 2) + typeCount),
  };
}

/** What parse.ts's record walk finds (its RecordIndex): records found, word position, and why it stopped (0 = end of section). */
export interface RecordWalk {
  offs: Uint32Array;
  n: number;
  w: number;
  err: number;
  /** Words of the record at w (IDX_PAST_END). */
  rw: number;
  /** A record may fail libbpf's sanity check (sanityCheck then finds which). */
  suspect: boolean;
  /** The largest type id the records refer to (sanityCheck runs when it is not a type). */
  maxRef: number;
}

/** Bytes of walk.h's struct walk_tables: eight tables of 32 entries. */
export const RECORD_WALK_TABLES = 256;

/**
 * parse.ts indexRecords over `words` (host order, `typeLen` bytes of records) of a BTF without
 * a base or a layout section (dedup.c btfkit_index_records, walk.h): `tables` is walk.h's
 * struct walk_tables (RECORD_WALK_TABLES bytes), kinds above `maxKind` are unknown. Null when
 * WebAssembly cannot be used here. The records stay at the start of the instance's areas,
 * where dedupAllInWasm lays out the base's records: a dedup on this BTF as its base does not
 * copy them again (WasmInstance.held).
 */
export function walkRecords(words: Uint32Array, typeLen: number, strLimit: number, kindMask: number, vlenMask: number, maxKind: number, tables: Uint8Array): RecordWalk | null {
  const inst = dedupWasm.get();
  if (inst === null) return null;
  const ex = inst.ex;
  const nw = Math.min(words.length, Math.floor(typeLen / 4));
  // the records first (where dedupAllInWasm puts the base's), then the offsets, tables and result
  const areas = new Areas(ex.__heap_base.value);
  const pw = areas.take(nw * 4);
  const room = Math.floor(typeLen / 12) + 1;
  const poffs = areas.take(room * 4);
  const pkt = areas.take(RECORD_WALK_TABLES);
  const pout = areas.take(32);
  // every area is written before it is read: nothing to zero
  const m = readyMemory(inst, areas, areas.end);
  if (m === null) return null;
  m.u8.set(tables.subarray(0, RECORD_WALK_TABLES), pkt);
  m.u32.set(words.subarray(0, nw), pw >>> 2);
  inst.held = heldOf(words, nw);
  if (call(() => (ex.btfkit_index_records(pw, typeLen, poffs, strLimit, kindMask, vlenMask, maxKind, pkt, pout), 0)) === null) return null;
  const u32 = m.u32;
  const o = pout >>> 2;
  const n = u32[o]!;
  return {
    offs: u32.slice(poffs >>> 2, (poffs >>> 2) + Math.max(n, 16)),
    n, w: u32[o + 1]!, err: u32[o + 2]!, rw: u32[o + 3]!, suspect: u32[o + 4]! !== 0, maxRef: u32[o + 5]!,
  };
}
