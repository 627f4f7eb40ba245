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
  btfkit_strindex_cap(s: number, len: number): number;
  btfkit_apply_rela64(out: number, outLen: number, rela: number, n: number, values: number, nValues: number, machine: number): number;
}

const accel = new LazyInstance<AccelExports>(ACCEL_WASM, ['btfkit_strindex_build', 'btfkit_strindex_cap', 'btfkit_apply_rela64']);

/**
 * StrIndex's table for the string section `strs[0, len)` (ending with a NUL) with `cap` slots
 * (a power of two; default: strindex.ts tableSlots for these strings, counted here): the
 * (offset + 1, hash) pairs, how many there are and the slots, or 'full' when the strings
 * would fill more than half of it, or null when WebAssembly cannot be used (see strindex.ts).
 */
export function buildStrIndexSlots(strs: Uint8Array, len: number, cap?: number): { slots: Int32Array; count: number; cap: number } | 'full' | null {
  const inst = accel.get();
  if (inst === null) return null;
  const ex = inst.ex;
  const s = alignUp(ex.__heap_base.value, 16);
  const slots = alignUp(s + len + 16, 16);
  try {
    growMemoryTo(ex.memory, slots);
  } catch {
    return null;
  }
  new Uint8Array(ex.memory.buffer).set(strs.subarray(0, len), s);
  // the 16 bytes after the strings (read by the NUL searches) zeroed
  if (inst.dirty > s + len) new Uint8Array(ex.memory.buffer).fill(0, s + len, Math.min(inst.dirty, slots));
  inst.dirty = Math.max(inst.dirty, slots);
  let n: number;
  try {
    cap ??= ex.btfkit_strindex_cap(s, len);
    const end = slots + cap * 8;
    growMemoryTo(ex.memory, end);
    // the table zeroed
    if (inst.dirty > slots) new Uint8Array(ex.memory.buffer).fill(0, slots, Math.min(inst.dirty, end));
    inst.dirty = Math.max(inst.dirty, end);
    n = ex.btfkit_strindex_build(s, len, slots, cap - 1);
  } catch {
    accel.drop(); // a trap or no memory: a fresh instance next time
    return null;
  }
  if (n < 0) return 'full';
  return { slots: new Int32Array(ex.memory.buffer, slots, cap * 2).slice(), count: n, cap };
}

/**
 * sections.ts applyRelocations for a little-endian ELF64 SHT_RELA section (accel.c
 * btfkit_apply_rela64): `rela`'s entries applied to `out` in place, symbol values from
 * `values`, `entriesPerPass` entries at a time. True when done; false when WebAssembly cannot
 * be used here or an entry needs the JavaScript (which then reports it): `out` is then unchanged.
 */
export function applyRela64(out: Uint8Array, rela: Uint8Array, values: Float64Array, machine: number, entriesPerPass = RELA_CHUNK): boolean {
  const inst = accel.get();
  if (inst === null) return false;
  const ex = inst.ex;
  const n = Math.floor(rela.length / 24);
  // the entries go in RELA_CHUNK at a time through one area (a large module's .rela.debug_info
  // is tens of MB: each page of a fresh area costs a page fault)
  const chunk = Math.max(1, Math.min(n, entriesPerPass));
  const pvalues = alignUp(ex.__heap_base.value, 16);
  const pout = alignUp(pvalues + values.length * 8, 16);
  const prela = alignUp(pout + out.length, 16);
  const end = prela + chunk * 24;
  try {
    growMemoryTo(ex.memory, end);
  } catch {
    return false;
  }
  new Float64Array(ex.memory.buffer, pvalues, values.length).set(values);
  const mem = new Uint8Array(ex.memory.buffer);
  mem.set(out, pout);
  inst.dirty = Math.max(inst.dirty, end);
  try {
    for (let i = 0; i < n; i += chunk) {
      const k = Math.min(chunk, n - i);
      mem.set(rela.subarray(i * 24, (i + k) * 24), prela);
      if (ex.btfkit_apply_rela64(pout, out.length, prela, k, pvalues, values.length, machine) !== -1) return false;
    }
  } catch {
    accel.drop(); // a trap: a fresh instance next time
    return false;
  }
  out.set(new Uint8Array(ex.memory.buffer, pout, out.length));
  return true;
}

/** Relocation entries per pass of applyRela64 (24 bytes each: 1.5 MB). */
const RELA_CHUNK = 1 << 16;
