/**
 * The WebAssembly kernels of accel.c, from JavaScript: compiled and instantiated on first use
 * (once per realm: a worker thread has its own), inputs copied into the instance's memory,
 * results copied out, so that no caller holds a view of memory that a later call may grow or
 * overwrite. No `node:` import: the module is embedded (accel-wasm.ts) and runs in browsers
 * too (well under the 4 KB that browsers compile synchronously on a page's main thread).
 *
 * Every function returns null when WebAssembly cannot be used here (no WebAssembly, as under
 * `node --jitless`, or the module refused): its caller then runs its JavaScript twin, which
 * gives the same result (accel.test.ts).
 */

import { ACCEL_WASM } from './accel-wasm.js';
import { alignUp, base64Bytes, growMemoryTo, wasmApi, type WasmMemory } from './wasm.js';

interface AccelExports {
  memory: WasmMemory;
  __heap_base: { readonly value: number };
  btfkit_strindex_build(s: number, len: number, slots: number, mask: number): number;
  btfkit_dedup_prep(
    w: number, off: number, start: number, typeCount: number, limit: number, map: number, kinds: number, bits: number, elemBits: number,
    anonKinds: number, namesGiven: number, anonEnumFwd: number, t: number, et: number, names: number, nNames: number,
  ): number;
}

/**
 * The realm's instance, and the end of the part of its memory that has ever been written
 * (above it, memory is as grown: zero); null once it is known that WebAssembly cannot be used.
 */
let instance: { ex: AccelExports; dirty: number } | null | undefined;

function accel(): { ex: AccelExports; dirty: number } | null {
  if (instance === undefined) {
    const ex = instantiate();
    instance = ex === null ? null : { ex, dirty: ex.__heap_base.value };
  }
  return instance;
}

function instantiate(): AccelExports | null {
  const api = wasmApi();
  if (api === undefined) return null;
  try {
    const ex = new api.Instance(new api.Module(base64Bytes(ACCEL_WASM)), {}).exports as AccelExports;
    return typeof ex.btfkit_strindex_build === 'function' && typeof ex.btfkit_dedup_prep === 'function' ? ex : null;
  } catch {
    return null;
  }
}

/**
 * StrIndex's table for the string section `strs[0, len)` (ending with a NUL) with `cap` slots
 * (a power of two): the (offset + 1, hash) pairs and how many there are, or 'full' when the
 * strings would fill more than half of it, or null when WebAssembly cannot be used (see
 * strindex.ts).
 */
export function buildStrIndexSlots(strs: Uint8Array, len: number, cap: number): { slots: Int32Array; count: number } | 'full' | null {
  const inst = accel();
  if (inst === null) return null;
  const ex = inst.ex;
  const s = alignUp(ex.__heap_base.value, 16);
  const slots = alignUp(s + len + 16, 16);
  const end = slots + cap * 8;
  try {
    growMemoryTo(ex.memory, end);
  } catch {
    return null;
  }
  const mem = new Uint8Array(ex.memory.buffer);
  mem.set(strs.subarray(0, len), s);
  // the 16 bytes after the strings (read by the NUL search) and the table start zeroed
  if (inst.dirty > s + len) mem.fill(0, s + len, Math.min(inst.dirty, end));
  inst.dirty = Math.max(inst.dirty, end);
  let n: number;
  try {
    n = ex.btfkit_strindex_build(s, len, slots, cap - 1);
  } catch {
    instance = undefined; // a trap: a fresh instance next time
    return null;
  }
  if (n < 0) return 'full';
  return { slots: new Int32Array(ex.memory.buffer, slots, cap * 2).slice(), count: n };
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

/** Bytes of a table's struct in accel.c: bk, shift, ents, ents_len, top, cap, odd, size. */
const TABLE_STRUCT = 32;
const E = 4;

/**
 * dedupPrep's pass over the base types (accel.c btfkit_dedup_prep): the tables continued from
 * `input`'s (copied, not changed), or the id of a base type of unknown kind (negative), or
 * null when WebAssembly cannot be used or the input is outside what the C twin handles (the
 * caller then runs the JavaScript pass, which reports the same).
 */
export function dedupPrepTables(input: PrepInput): PrepOutput | number | null {
  const { w, off, start, typeCount, names, table, enumTable } = input;
  const bitWords = (input.limit >>> 5) + 1;
  if (start < 1 || typeCount < start || off.length < typeCount) return null;
  if (names !== null && (names.bits.length !== bitWords || names.elemBits.length !== bitWords || names.anonKinds.length !== 32)) return null;
  const inst = accel();
  if (inst === null) return null;
  const ex = inst.ex;
  // the areas, from __heap_base: records, offsets, map, kinds, name bits, anonymous kinds, the
  // two table structs, each table's buckets and entries (room for every base id), enum names
  let at = alignUp(ex.__heap_base.value, 16);
  const area = (bytes: number): number => {
    const p = at;
    at = alignUp(at + bytes, 16);
    return p;
  };
  const pw = area(w.byteLength);
  const poff = area(typeCount * 4);
  const pmap = area(start * 4);
  const pkinds = area(start);
  const pbits = area(bitWords * 4);
  const pelem = area(bitWords * 4);
  const panon = area(32);
  const pt = area(TABLE_STRUCT);
  const pet = area(TABLE_STRUCT);
  const entsWords = (t: PrepTable): number => t.top + E * (start + 16);
  const ptbk = area(table.bk.byteLength);
  const ptents = area(entsWords(table) * 4);
  const petbk = area(enumTable.bk.byteLength);
  const petents = area(entsWords(enumTable) * 4);
  const pnames = area(start * 4);
  const pn = area(4);
  try {
    growMemoryTo(ex.memory, at);
  } catch {
    return null;
  }
  const buf = ex.memory.buffer;
  const u8 = new Uint8Array(buf);
  const u32 = new Uint32Array(buf);
  const i32 = new Int32Array(buf);
  u32.set(w, pw >>> 2);
  u32.set(off.subarray(0, typeCount), poff >>> 2);
  if (names !== null) {
    u32.set(names.bits, pbits >>> 2);
    u32.set(names.elemBits, pelem >>> 2);
    u8.set(names.anonKinds, panon);
  } else if (inst.dirty > pbits) {
    u8.fill(0, pbits, panon + 32);
  }
  const put = (ps: number, t: PrepTable, pbk: number, pents: number): void => {
    i32.set(t.bk, pbk >>> 2);
    i32.set(t.ents.subarray(0, t.top), pents >>> 2);
    u32.set([pbk, t.shift, pents, entsWords(t), t.top, t.cap, t.odd, t.size], ps >>> 2);
  };
  put(pt, table, ptbk, ptents);
  put(pet, enumTable, petbk, petents);
  inst.dirty = Math.max(inst.dirty, at);
  let r: number;
  try {
    r = ex.btfkit_dedup_prep(
      pw, poff, start, typeCount, input.limit, pmap, pkinds, pbits, pelem, panon,
      names !== null ? 1 : 0, names?.anonEnumFwd ? 1 : 0, pt, pet, pnames, pn,
    );
  } catch {
    instance = undefined; // a trap: a fresh instance next time
    return null;
  }
  if (r === -0x7fffffff) return null;
  if (r < 0) return r;
  const take = (ps: number, t: PrepTable, pbk: number, pents: number): Omit<PrepTable, 'shift'> => {
    const s = ps >>> 2;
    const top = u32[s + 4]!;
    const ents = new Int32Array(Math.max(t.ents.length, top));
    ents.set(i32.subarray(pents >>> 2, (pents >>> 2) + top));
    return { bk: i32.slice(pbk >>> 2, (pbk >>> 2) + t.bk.length), ents, top, cap: u32[s + 5]!, odd: u32[s + 6]!, size: u32[s + 7]! };
  };
  const kinds = u8.slice(pkinds, pkinds + start);
  kinds[0] = 0;
  const map = i32.slice(pmap >>> 2, (pmap >>> 2) + start);
  map[0] = 0;
  return {
    map,
    kinds,
    table: take(pt, table, ptbk, ptents),
    enumTable: take(pet, enumTable, petbk, petents),
    enumFwdNames: u32.slice(pnames >>> 2, (pnames >>> 2) + u32[pn >>> 2]!),
  };
}
