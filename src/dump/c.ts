/**
 * C header output: `bpftool btf dump file FILE [-B BASE] format c` (bpftool v7.7.0,
 * libbpf v1.7.0), byte for byte.
 *
 * Approach: `CEmitter` (./c/emitter.ts) is libbpf's btf_dump C emitter and can be used on its
 * own to generate headers for chosen types. `dumpC` adds bpftool's wrapper (dump_btf_c): the
 * `__VMLINUX_H__` guard, the preserve_access_index pragma, the `__ksym` / `__weak` /
 * `__bpf_fastcall` macros, the types in bpftool's sorted order (or id order, or the given
 * root ids), the kfunc prototypes collected from `bpf_kfunc` / `bpf_fastcall` decl tags,
 * and the closing lines. For split BTF, base and split types are dumped together, as
 * bpftool does.
 *
 * Performance: the sort (./c/sort.ts) works on typed arrays with native 64-bit key sorts and
 * leaves out the ids whose dump is a no-op: FUNCs, VARs, ... before sorting, and the rank-10
 * tail (pointers, modifiers, anonymous types: 80% of what bpftool sorts) once the ranked
 * types are dumped and all but a handful are settled (CEmitter.unsettled). Emission is a
 * byte writer over per-id typed-array state. A 6.1 vmlinux (100k types, 2.3 MB of C) takes
 * ~30 ms once the JIT is warm.
 *
 * Limits (where libbpf/bpftool would recurse forever or write gigabytes): reference loops
 * with no struct on them and nesting deeper than MAX_TYPE_DEPTH / MAX_DECL_NESTING throw a
 * BtfkitError with errno ELOOP (40); a padding gap beyond MAX_PAD_GAP or output beyond
 * `maxOutputBytes` (MAX_OUTPUT, 256 MiB) throws one with errno E2BIG, before the padding is
 * written. Real kernels stay far below all of them (output is unchanged for them).
 */

import { KindId as Kind } from '../format/kinds.js';
import type { Btf } from '../model/btf.js';
import { CEmitter, type CEmitterOptions } from './c/emitter.js';
import { flatten, type FlatBtf } from './c/flat.js';
import { bpftoolDumpPlan, bpftoolSortOrder } from './c/sort.js';

export { CEmitter, MAX_TYPE_DEPTH, MAX_DECL_NESTING, MAX_PAD_GAP } from './c/emitter.js';
export { MAX_OUTPUT } from './c/writer.js';
export type { CEmitterOptions, EmitTypeDeclOptions } from './c/emitter.js';

export interface DumpCOptions {
  /**
   * Dump only these types (and what they need), in this order, like bpftool's `root_id`.
   * No kfunc section is written then. Default: every type.
   */
  rootIds?: readonly number[];
  /**
   * Dump every type in bpftool's sorted order (default true). `false` is bpftool's
   * `unsorted` option: id order. Ignored with `rootIds`.
   */
  sort?: boolean;
  /** Pointer size in bytes; default as CEmitterOptions.ptrSize (libbpf's guess from `long`). */
  ptrSize?: number;
  /** Receives libbpf's warnings. */
  warn?: (msg: string) => void;
  /** Most bytes of output (default MAX_OUTPUT, 256 MiB); BTF that would produce more is refused (BtfkitError, E2BIG). */
  maxOutputBytes?: number;
}

const PREAMBLE =
  '#ifndef __VMLINUX_H__\n' +
  '#define __VMLINUX_H__\n' +
  '\n' +
  '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n' +
  '#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n' +
  '#endif\n\n' +
  '#ifndef __ksym\n' +
  '#define __ksym __attribute__((section(".ksyms")))\n' +
  '#endif\n\n' +
  '#ifndef __weak\n' +
  '#define __weak __attribute__((weak))\n' +
  '#endif\n\n' +
  '#ifndef __bpf_fastcall\n' +
  '#if __has_attribute(bpf_fastcall)\n' +
  '#define __bpf_fastcall __attribute__((bpf_fastcall))\n' +
  '#else\n' +
  '#define __bpf_fastcall\n' +
  '#endif\n' +
  '#endif\n\n';

const EPILOGUE =
  '#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n' +
  '#pragma clang attribute pop\n' +
  '#endif\n' +
  '\n' +
  '#endif /* __VMLINUX_H__ */\n';

/**
 * The ids in the order `bpftool btf dump ... format c` (without `unsorted`) passes them to
 * btf_dump__dump_type(): entries 1 .. n-1 of its sorted array (entry 0 is skipped, a
 * bpftool quirk, see ./c/sort.ts).
 */
export function bpftoolCOrder(btf: Btf): Uint32Array {
  return bpftoolSortOrder(flatten(btf)).subarray(1);
}

/** The whole `bpftool btf dump file ... format c` output. */
export function dumpC(btf: Btf, opts: DumpCOptions = {}): Uint8Array {
  const eopts: CEmitterOptions = { initialCapacity: 1 << 22 };
  if (opts.ptrSize !== undefined) eopts.ptrSize = opts.ptrSize;
  if (opts.warn) eopts.warn = opts.warn;
  if (opts.maxOutputBytes !== undefined) eopts.maxOutputBytes = opts.maxOutputBytes;
  const em = new CEmitter(btf, eopts);
  em.write(PREAMBLE);
  const roots = opts.rootIds ?? [];
  if (roots.length) {
    for (const id of roots) em.dumpType(id);
  } else {
    const n = em.typeCount;
    if (opts.sort ?? true) {
      // Same output as dumping entries 1 .. n-1 of bpftool's sorted array, without the
      // ids whose dump is a no-op: the ranked head first, then the part of the rank-10
      // tail that is not settled by then, sorted (bpftool would sort and dump it all).
      const plan = bpftoolDumpPlan(em.flat);
      const head = plan.head;
      for (let i = 0; i < head.length; i++) em.dumpType(head[i]!);
      const tail = plan.sortTail(em.unsettled(plan.tail));
      for (let i = 0; i < tail.length; i++) em.dumpType(tail[i]!);
    } else {
      for (let id = 1; id < n; id++) em.dumpType(id);
    }
    emitKfuncs(em, em.flat);
  }
  em.write(EPILOGUE);
  return em.output();
}

/** Same as dumpC, decoded as UTF-8 text. */
export function dumpCText(btf: Btf, opts: DumpCOptions = {}): string {
  return new TextDecoder().decode(dumpC(btf, opts));
}

/** bpftool's dump_btf_kfuncs: `extern` prototypes of functions tagged `bpf_kfunc`. */
function emitKfuncs(em: CEmitter, f: FlatBtf): void {
  const { W, O, K, S, n } = f;
  em.write('\n/* BPF kfuncs */\n#ifndef BPF_NO_KFUNC_PROTOTYPES\n');
  const kfuncs: number[] = [];
  const fastcalls = new Set<number>();
  for (let id = 1; id < n; id++) {
    if (K[id] !== Kind.DECL_TAG) continue;
    const o = O[id]!;
    if (W[o + 3] !== 0xffffffff) continue; // component_idx != -1
    const fn = W[o + 2]!;
    if (K[fn] !== Kind.FUNC) continue;
    const nameOff = W[o]!;
    if (strIs(S, nameOff, 'bpf_kfunc')) kfuncs.push(fn);
    if (strIs(S, nameOff, 'bpf_fastcall')) fastcalls.add(fn);
  }
  // Sorted by name for stability (glibc's qsort_r is a stable merge sort here).
  const keys = new Map<number, string>();
  for (const fn of kfuncs) keys.set(fn, strKey(S, W[O[fn]!]!));
  kfuncs.sort((a, b) => {
    const ka = keys.get(a)!;
    const kb = keys.get(b)!;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  for (const fn of kfuncs) {
    em.write('extern ');
    if (fastcalls.has(fn)) em.write('__bpf_fastcall ');
    em.emitTypeDeclNamed(W[O[fn]! + 2]!, W[O[fn]!]!);
    em.write(' __weak __ksym;\n');
  }
  em.write('#endif\n\n');
}

function strIs(S: Uint8Array, off: number, lit: string): boolean {
  for (let i = 0; i < lit.length; i++) if (S[off + i] !== lit.charCodeAt(i)) return false;
  return (S[off + lit.length] ?? 0) === 0;
}

function strKey(S: Uint8Array, off: number): string {
  let s = '';
  for (let p = off; S[p] !== 0 && p < S.length; p++) s += String.fromCharCode(S[p]!);
  return s;
}
