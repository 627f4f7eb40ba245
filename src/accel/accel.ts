/**
 * The WebAssembly kernel of accel.c, from JavaScript: inputs copied into the instance's
 * memory, results copied out, so that no caller holds a view of memory that a later call may
 * grow or overwrite. No `node:` import: the module is embedded (accel-wasm.ts) and runs in
 * browsers too (well under the 4 KB that browsers compile synchronously on a page's main
 * thread). The dedup stages' module is dedup.ts's.
 *
 * Every function returns null when WebAssembly cannot be used here (wasm.ts LazyInstance):
 * its caller then runs its JavaScript twin, which gives the same result (accel.test.ts).
 */

import { ACCEL_WASM } from './accel-wasm.js';
import { alignUp, growMemoryTo, LazyInstance, type WasmBaseExports } from './wasm.js';

interface AccelExports extends WasmBaseExports {
  btfkit_strindex_build(s: number, len: number, slots: number, mask: number): number;
  btfkit_index_records(words: number, typeLen: number, offs: number, strLimit: number, kindMask: number, vlenMask: number, maxKind: number, kt: number, out: number): void;
  btfkit_apply_rela64(out: number, outLen: number, rela: number, n: number, values: number, nValues: number, machine: number): number;
}

const accel = new LazyInstance<AccelExports>(ACCEL_WASM, ['btfkit_strindex_build', 'btfkit_index_records', 'btfkit_apply_rela64']);

/**
 * StrIndex's table for the string section `strs[0, len)` (ending with a NUL) with `cap` slots
 * (a power of two): the (offset + 1, hash) pairs and how many there are, or 'full' when the
 * strings would fill more than half of it, or null when WebAssembly cannot be used (see
 * strindex.ts).
 */
export function buildStrIndexSlots(strs: Uint8Array, len: number, cap: number): { slots: Int32Array; count: number } | 'full' | null {
  const inst = accel.get();
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
    accel.drop(); // a trap: a fresh instance next time
    return null;
  }
  if (n < 0) return 'full';
  return { slots: new Int32Array(ex.memory.buffer, slots, cap * 2).slice(), count: n };
}

/** What parse.ts's record walk finds (its RecordIndex). */
export interface RecordWalk {
  offs: Uint32Array;
  n: number;
  w: number;
  err: number;
  rw: number;
  suspect: boolean;
  maxRef: number;
}

/** Bytes of accel.c's struct kind_tables: eight tables of 32 entries. */
export const RECORD_WALK_TABLES = 256;

/**
 * parse.ts indexRecords over `words` (host order, `typeLen` bytes of records) of a BTF without
 * a base or a layout section (accel.c btfkit_index_records): `tables` is accel.c's struct
 * kind_tables (RECORD_WALK_TABLES bytes), kinds above `maxKind` are unknown. Null when
 * WebAssembly cannot be used here.
 */
export function walkRecords(words: Uint32Array, typeLen: number, strLimit: number, kindMask: number, vlenMask: number, maxKind: number, tables: Uint8Array): RecordWalk | null {
  const inst = accel.get();
  if (inst === null) return null;
  const ex = inst.ex;
  const nw = Math.min(words.length, Math.floor(typeLen / 4));
  const pout = alignUp(ex.__heap_base.value, 16);
  const pkt = pout + 32;
  const pw = pkt + RECORD_WALK_TABLES;
  const poffs = alignUp(pw + nw * 4, 16);
  const room = Math.floor(typeLen / 12) + 1;
  const end = poffs + room * 4;
  try {
    growMemoryTo(ex.memory, end);
  } catch {
    return null;
  }
  const u8 = new Uint8Array(ex.memory.buffer);
  u8.set(tables.subarray(0, RECORD_WALK_TABLES), pkt);
  const u32 = new Uint32Array(ex.memory.buffer);
  u32.set(words.subarray(0, nw), pw >>> 2);
  inst.dirty = Math.max(inst.dirty, end);
  try {
    ex.btfkit_index_records(pw, typeLen, poffs, strLimit, kindMask, vlenMask, maxKind, pkt, pout);
  } catch {
    accel.drop(); // a trap: a fresh instance next time
    return null;
  }
  const o = pout >>> 2;
  const n = u32[o]!;
  return {
    offs: u32.slice(poffs >>> 2, (poffs >>> 2) + Math.max(n, 16)),
    n, w: u32[o + 1]!, err: u32[o + 2]!, rw: u32[o + 3]!, suspect: u32[o + 4]! !== 0, maxRef: u32[o + 5]!,
  };
}

/**
 * sections.ts applyRelocations for a little-endian ELF64 SHT_RELA section (accel.c
 * btfkit_apply_rela64): `rela`'s entries applied to `out` in place, symbol values from
 * `values`. True when done; false when WebAssembly cannot be used here or an entry needs the
 * JavaScript (which then reports it): `out` is then unchanged.
 */
export function applyRela64(out: Uint8Array, rela: Uint8Array, values: Float64Array, machine: number): boolean {
  const inst = accel.get();
  if (inst === null) return false;
  const ex = inst.ex;
  const n = Math.floor(rela.length / 24);
  const pvalues = alignUp(ex.__heap_base.value, 16);
  const pout = alignUp(pvalues + values.length * 8, 16);
  const prela = alignUp(pout + out.length, 16);
  const end = prela + n * 24;
  try {
    growMemoryTo(ex.memory, end);
  } catch {
    return false;
  }
  new Float64Array(ex.memory.buffer, pvalues, values.length).set(values);
  const mem = new Uint8Array(ex.memory.buffer);
  mem.set(out, pout);
  mem.set(rela.subarray(0, n * 24), prela);
  inst.dirty = Math.max(inst.dirty, end);
  let r: number;
  try {
    r = ex.btfkit_apply_rela64(pout, out.length, prela, n, pvalues, values.length, machine);
  } catch {
    accel.drop(); // a trap: a fresh instance next time
    return false;
  }
  if (r !== -1) return false;
  out.set(new Uint8Array(ex.memory.buffer, pout, out.length));
  return true;
}
