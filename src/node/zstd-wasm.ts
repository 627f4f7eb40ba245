/**
 * zstd decoding on Node < 22.15 (no zstd in node:zlib) with zstd's own decoder compiled to
 * WebAssembly: the binary the `zstddec` npm package ships (zstd 1.5.x's single-file decoder,
 * built with emscripten; maintained, used by three.js).
 *
 * Why not the package's own API: it is asynchronous (our decoders are synchronous), and it
 * keeps one WebAssembly instance per process whose memory never shrinks (a decoded vmlinux
 * would leave 70+ MB behind for the life of the process). So the module is compiled here,
 * synchronously, once per thread, from the binary embedded in the package (its base64 `wasm`
 * constant: the package is pinned to an exact version, and a binary that is not found or lacks
 * the functions used here disables this path: decompress.ts then uses fzstd). A large decode
 * (a kernel) runs in an instance of its own that is dropped when the decode returns; small
 * ones (modules) share one instance per thread, bounded by REUSE_MAX, their areas freed after
 * each decode and their results copied out.
 *
 * Approach: one call of ZSTD_decompress (zstd's one-shot API: no window buffer, the output
 * is the window) into an output area of a given capacity; zstd checks each frame's content
 * checksum itself and refuses output beyond the capacity (dstSize_tooSmall), so the caller's
 * output cap is enforced by the capacity, whatever the frames declare. The instance's memory is
 * grown once up front to hold the output area and the input; pages not written are not
 * resident (a capacity beyond the real output costs address space, not memory), so a bomb
 * costs at most the output it really produces before it is refused.
 * The result is a view of the instance's memory when it is large (no 50+ MB copy; the memory
 * lives as long as the view), a copy when it is small.
 * Reference behaviour: the output of `zstd -d` (it is the same decoder).
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// The few WebAssembly JS API types used here (the project's TypeScript libs have no DOM/wasm typings).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
/** A compiled WebAssembly module. */
export interface WasmModule {
  readonly __wasmModule: unique symbol;
}
interface WasmApi {
  Module: { new (bytes: Uint8Array): WasmModule; exports(m: WasmModule): Array<{ name: string }>; imports(m: WasmModule): Array<{ module: string; name: string }> };
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface ZstdExports {
  memory: WasmMemory;
  malloc(size: number): number;
  free(ptr: number): void;
  ZSTD_decompress(dst: number, dstCapacity: number, src: number, srcSize: number): number;
}

/** Results below this size are copied out of the instance's memory (which is then freed). */
const COPY_BELOW = 8 * 1024 * 1024;
/** Memory beyond output + input for the decoder's context and the allocator. */
const SLACK = 1 << 20;
const PAGE = 65536;
/** The module's maximum memory (emscripten's default, 2 GiB): output + input must fit in it. */
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
 * not a kernel) run in one instance kept per thread, whose areas are freed after each decode,
 * instead of a fresh instance each: a tree of 4229 `.ko.zst` took 5.2 s to decode with an
 * instance per module (its memory created, grown and faulted in every time) against 0.76 s for
 * `zstd -d`. The kept instance holds at most this much memory for the thread's life.
 */
const REUSE_MAX = 16 * 1024 * 1024;
let reusable: { mod: WasmModule; ex: ZstdExports } | undefined;

/**
 * The compiled decoder, or null when the package's binary cannot be used. Compiled on first use
 * (~10 ms), once per thread.
 */
export function zstdWasmModule(): WasmModule | null {
  if (compiled === undefined) compiled = compileZstddec();
  return compiled;
}

/** True when an output area of `capacity` bytes and `inputLength` bytes of input fit in the decoder's memory. */
export function zstdWasmFits(capacity: number, inputLength: number): boolean {
  return capacity + inputLength + SLACK <= MAX_MEMORY;
}

function compileZstddec(): WasmModule | null {
  try {
    const require = createRequire(import.meta.url);
    const text = readFileSync(require.resolve('zstddec/stream'), 'utf8');
    const m = /\bconst wasm = "([A-Za-z0-9+/=]+)"/.exec(text);
    if (!m) return null;
    const mod = new Wasm.Module(Buffer.from(m[1]!, 'base64'));
    const names = new Set(Wasm.Module.exports(mod).map((e) => e.name));
    const imports = Wasm.Module.imports(mod);
    const ok =
      ['memory', 'malloc', 'free', 'ZSTD_decompress'].every((n) => names.has(n)) &&
      imports.every((i) => i.module === 'env' && i.name === 'emscripten_notify_memory_growth');
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
  const need = capacity + data.length + SLACK;
  if (need <= REUSE_MAX) {
    const ex = reusableInstance(mod);
    const out = decodeIn(ex, data, capacity, true);
    if (out) return out;
  }
  const ex = instantiate(mod);
  const have = ex.memory.buffer.byteLength;
  // One growth for all (malloc would otherwise grow the memory step by step).
  if (need > have) ex.memory.grow(Math.ceil((need - have) / PAGE));
  return decodeIn(ex, data, capacity, false)!;
}

function instantiate(mod: WasmModule): ZstdExports {
  // The decoder's only import: emscripten tells it when malloc grew the memory (views are made after).
  const instance = new Wasm.Instance(mod, { env: { emscripten_notify_memory_growth: () => {} } });
  return instance.exports as unknown as ZstdExports;
}

/**
 * The thread's instance for small decodes (see REUSE_MAX), made on first use with its memory
 * grown once to REUSE_MAX (address space: only the pages a decode writes become resident).
 */
function reusableInstance(mod: WasmModule): ZstdExports {
  if (reusable?.mod !== mod) {
    const ex = instantiate(mod);
    const have = ex.memory.buffer.byteLength;
    if (REUSE_MAX > have) ex.memory.grow(Math.ceil((REUSE_MAX - have) / PAGE));
    reusable = { mod, ex };
  }
  return reusable.ex;
}

/**
 * One ZSTD_decompress in `ex`. With `reused`, the areas are freed afterwards and the result is
 * always a copy (the instance decodes the next module into the same memory); undefined when
 * its allocator cannot give the areas (the caller then takes a fresh instance).
 */
function decodeIn(ex: ZstdExports, data: Uint8Array, capacity: number, reused: boolean): Uint8Array | undefined {
  const dst = ex.malloc(Math.max(1, capacity));
  const src = dst === 0 ? 0 : ex.malloc(Math.max(1, data.length));
  if (dst === 0 || src === 0) {
    if (dst !== 0) ex.free(dst);
    if (reused) return undefined;
    throw new ZstdWasmError(64, ZSTD_ERRORS[64]!);
  }
  // a trap (not a zstd error code) may leave the instance's heap inconsistent: not reused then
  let trapped = false;
  try {
    new Uint8Array(ex.memory.buffer, src, data.length).set(data);
    const r = ex.ZSTD_decompress(dst, capacity, src, data.length) >>> 0;
    // size_t results above -ZSTD_error_maxCode are errors (ZSTD_isError).
    if (r > 2 ** 32 - 120) {
      const code = 2 ** 32 - r;
      throw new ZstdWasmError(code, ZSTD_ERRORS[code] ?? `zstd error ${code}`);
    }
    const view = new Uint8Array(ex.memory.buffer, dst, r);
    return reused || r < COPY_BELOW ? view.slice() : view;
  } catch (e) {
    if (!(e instanceof ZstdWasmError)) trapped = true;
    throw e;
  } finally {
    if (reused && trapped) {
      reusable = undefined;
    } else if (reused) {
      ex.free(src);
      ex.free(dst);
    }
  }
}
