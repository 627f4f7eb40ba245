/**
 * zstd decoding on Node < 22.15 (no zstd in node:zlib) with zstd's own decoder compiled to
 * WebAssembly: our build of zstd 1.5.7's lib/decompress (src/node/zstd/zstd-dec.c, made by
 * scripts/build-zstd-wasm.sh: clang -Os with WebAssembly SIMD and bulk memory, freestanding, no
 * allocator; the module is committed and embedded, base64, in src/node/zstd/zstd-dec-wasm.ts).
 *
 * Why our own build: no maintained npm package ships an optimised synchronous one. The
 * `zstddec` package's binary (zstd 1.5.x built by emscripten for size, -Oz, no SIMD; an
 * asynchronous API), used before, is slower: side by side on this machine type (2 cores,
 * Node 20, interleaved medians; docs/design.md §zstd-wasm has the table and the flags tried)
 * ours decodes Debian 6.12.118's vmlinuz payload (12 MB → 57 MB) in process in 135 ms
 * against zstddec's 156 (`zstd -d`: 117), a fresh process's first decode (V8's baseline code
 * and optimizing compile included: what `btfkit info vmlinuz` pays) in 143 ms against 177,
 * and the 4229 modules of 6.12.107 as `.ko.zst` in 0.87 s against 1.07 s (`zstd -d`: 0.71).
 *
 * Approach: one call of the module's btfkit_zstd_decompress (zstd's one-shot
 * ZSTD_decompressDCtx over a context in the module's static memory: no window buffer, the
 * output is the window) into an output area of a given capacity; zstd checks each frame's
 * content checksum itself and refuses output beyond the capacity (dstSize_tooSmall), so the
 * caller's output cap is enforced by the capacity, whatever the frames declare. The areas are
 * laid out by this file, from the module's __heap_base: the output area, then the input; the
 * memory is grown once up front to hold both. Pages not written are not resident (a capacity
 * beyond the real output costs address space, not memory), so a bomb costs at most the output
 * it really produces before it is refused.
 * A large decode (a kernel) runs in an instance of its own that is dropped with its result:
 * the result is a view of that instance's memory (no 50+ MB copy; the memory lives as long as
 * the view). Small ones (modules) share one instance per thread, bounded by REUSE_MAX, and
 * their results are copied out. A trap (not a zstd error code) leaves that instance's stack
 * pointer where the trap left it: the instance is dropped then, and the next decode gets a new one.
 * Reference behaviour: the output of `zstd -d` (it is the same decoder).
 */

import { ZSTD_DEC_WASM } from './zstd/zstd-dec-wasm.js';
import { alignUp, base64Bytes, growMemoryTo, wasmApi, type WasmMemory, type WasmModule } from '../accel/wasm.js';

export type { WasmModule };

const Wasm = wasmApi()!;

interface ZstdExports {
  memory: WasmMemory;
  /** First byte after the module's stack, data and decoder context: where the areas start. */
  __heap_base: { readonly value: number };
  /** zstd's ZSTD_decompressDCtx with the module's context: the size decoded or -(error code). */
  btfkit_zstd_decompress(dst: number, dstCapacity: number, src: number, srcSize: number): number;
}

/** Results below this size are copied out of the instance's memory (which is then dropped). */
const COPY_BELOW = 8 * 1024 * 1024;
/** Memory beyond output + input: the module's stack, data and context (~230 KB) and alignment. */
const SLACK = 1 << 20;
/** The module's maximum memory (2 GiB, set by the build): output + input must fit in it. */
const MAX_MEMORY = 2 ** 31;

/** A failure of zstd itself: its ZSTD_ErrorCode and name. */
export class ZstdWasmError extends Error {
  constructor(
    readonly zstdCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** zstd's error codes (zstd_errors.h) that decompression reports, by name. */
const ZSTD_ERRORS: Record<number, string> = {
  1: 'generic error',
  10: 'unknown frame descriptor',
  12: 'version not supported',
  14: 'unsupported frame parameter',
  16: 'frame requires too much memory for decoding',
  20: 'data corruption detected',
  22: 'restored data doesn\'t match checksum',
  24: 'header of literals\' block doesn\'t respect format specification',
  30: 'dictionary is corrupted',
  32: 'dictionary mismatch',
  64: 'allocation error: not enough memory',
  70: 'destination buffer is too small',
  72: 'src size is incorrect',
};
/** ZSTD_error_dstSize_tooSmall: the output would exceed the capacity. */
export const ZSTD_DST_TOO_SMALL = 70;
/** ZSTD_error_srcSize_wrong: the input ends inside a frame. */
export const ZSTD_SRC_SIZE_WRONG = 72;

let compiled: WasmModule | null | undefined;

/**
 * Decodes that need at most this much decoder memory (output area + input + slack: a module,
 * not a kernel) run in one instance kept per thread instead of a fresh instance each: a tree of
 * 4229 `.ko.zst` took 5.2 s to decode with an instance per module (its memory created, grown
 * and faulted in every time) against 0.76 s for `zstd -d`. The kept instance holds at most
 * this much memory for the thread's life.
 */
const REUSE_MAX = 16 * 1024 * 1024;
let reusable: { mod: WasmModule; ex: ZstdExports } | undefined;

/**
 * The compiled decoder, or null when the embedded module cannot be used (then decompress.ts
 * uses fzstd). Compiled on first use (~1 ms; V8 compiles each function when first called),
 * once per thread.
 */
export function zstdWasmModule(): WasmModule | null {
  if (compiled === undefined) compiled = compileModule();
  return compiled;
}

/** True when an output area of `capacity` bytes and `inputLength` bytes of input fit in the decoder's memory. */
export function zstdWasmFits(capacity: number, inputLength: number): boolean {
  return capacity + inputLength + SLACK <= MAX_MEMORY;
}

function compileModule(): WasmModule | null {
  try {
    const mod = new Wasm.Module(base64Bytes(ZSTD_DEC_WASM));
    const names = new Set(Wasm.Module.exports(mod).map((e) => e.name));
    const ok = ['memory', '__heap_base', 'btfkit_zstd_decompress'].every((n) => names.has(n)) && Wasm.Module.imports(mod).length === 0;
    return ok ? mod : null;
  } catch {
    return null;
  }
}

/**
 * Decodes the zstd frames `data` (skippable frames allowed, nothing after the last frame) into
 * at most `capacity` bytes. Throws ZstdWasmError with zstd's code on bad data, and
 * ZSTD_DST_TOO_SMALL when the output would exceed `capacity`.
 */
export function zstdDecompressWasm(mod: WasmModule, data: Uint8Array, capacity: number): Uint8Array {
  if (!zstdWasmFits(capacity, data.length)) throw new RangeError(`zstd output capacity ${capacity} too large for WebAssembly`);
  const reused = capacity + data.length + SLACK <= REUSE_MAX;
  const ex = reused ? reusableInstance(mod) : instantiate(mod);
  // a trap (not a zstd error code) leaves the instance's stack pointer unrestored: not reused then
  let trapped = false;
  try {
    return decodeIn(ex, data, capacity, reused);
  } catch (e) {
    if (!(e instanceof ZstdWasmError)) trapped = true;
    throw e;
  } finally {
    if (reused && trapped) reusable = undefined;
  }
}

function instantiate(mod: WasmModule): ZstdExports {
  return new Wasm.Instance(mod, {}).exports as unknown as ZstdExports;
}

/** The thread's instance for small decodes (see REUSE_MAX), made on first use with its memory grown once to REUSE_MAX. */
function reusableInstance(mod: WasmModule): ZstdExports {
  if (reusable?.mod !== mod) {
    const ex = instantiate(mod);
    growMemoryTo(ex.memory, REUSE_MAX);
    reusable = { mod, ex };
  }
  return reusable.ex;
}

/**
 * One decode in `ex`: the output area at __heap_base, the input after it. With `reused`, the
 * result is always a copy (the instance decodes the next module into the same memory).
 */
function decodeIn(ex: ZstdExports, data: Uint8Array, capacity: number, reused: boolean): Uint8Array {
  const dst = alignUp(ex.__heap_base.value, 16);
  const src = dst + alignUp(capacity, 16);
  growMemoryTo(ex.memory, src + data.length);
  new Uint8Array(ex.memory.buffer, src, data.length).set(data);
  const r = ex.btfkit_zstd_decompress(dst, capacity, src, data.length) >>> 0;
  // size_t results above -ZSTD_error_maxCode are errors (ZSTD_isError).
  if (r > 2 ** 32 - 120) {
    const code = 2 ** 32 - r;
    throw new ZstdWasmError(code, ZSTD_ERRORS[code] ?? `zstd error ${code}`);
  }
  const view = new Uint8Array(ex.memory.buffer, dst, r);
  return reused || r < COPY_BELOW ? view.slice() : view;
}
