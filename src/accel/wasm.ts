/**
 * What btfkit's WebAssembly modules share (src/accel and the Node layer's zstd decoder,
 * src/node/zstd-wasm.ts): the few WebAssembly JS API types used (the project's TypeScript libs
 * have no wasm typings), the embedded modules' base64 decoding, and memory growth. No `node:`
 * import: it runs in browsers too.
 */

/** A module's linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** A compiled WebAssembly module. */
export interface WasmModule {
  readonly __wasmModule: unique symbol;
}

/** The parts of the global WebAssembly object used. */
export interface WasmApi {
  Module: { new (bytes: Uint8Array): WasmModule; exports(m: WasmModule): Array<{ name: string; kind: string }>; imports(m: WasmModule): unknown[] };
  Instance: new (m: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: unknown };
}

/** The realm's WebAssembly, or undefined where there is none (`node --jitless`, some hosts). */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
}

/** The platform decoders base64Bytes uses when there (newer engines; Node.js's Buffer). */
interface Base64Decoders {
  fromBase64?: (text: string) => Uint8Array;
  Buffer?: { from(text: string, encoding: 'base64'): Uint8Array };
  atob: (s: string) => string;
}

/**
 * The bytes of an embedded module's base64 text: Uint8Array.fromBase64 where the engine has
 * it, Node.js's Buffer, else atob (browsers). The native decoders take ~0.1 ms for the 60 KB
 * of modules a command decodes, where atob and a loop over its string took ~1.4 ms in a fresh
 * process.
 */
export function base64Bytes(text: string): Uint8Array {
  const g = globalThis as unknown as Base64Decoders;
  const fromBase64 = (Uint8Array as unknown as Base64Decoders).fromBase64;
  if (typeof fromBase64 === 'function') return fromBase64(text);
  if (typeof g.Buffer?.from === 'function') {
    const b = g.Buffer.from(text, 'base64');
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  const bin = g.atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** `memory` grown to at least `bytes` (address space: only the pages written become resident); throws RangeError when it cannot. */
export function growMemoryTo(memory: WasmMemory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
}

/** `n` rounded up to a multiple of `a`. */
export const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** What every btfkit module exports besides its functions. */
export interface WasmBaseExports {
  memory: WasmMemory;
  /** First byte after the module's stack and data: where the caller's areas start. */
  __heap_base: { readonly value: number };
}

/** Elements (words or bytes) copied into an instance's memory from `buffer` at `byteOffset`, `n` of them. */
export interface HeldWords {
  buffer: ArrayBufferLike;
  byteOffset: number;
  n: number;
}

/** What an instance holds after `n` elements of `view` were copied into it. */
export function heldOf(view: ArrayBufferView, n: number): HeldWords {
  return { buffer: view.buffer, byteOffset: view.byteOffset, n };
}

/** Whether `held` are the first `n` elements of `view` (the same memory, not merely equal contents). */
export function holds(held: HeldWords | null, view: ArrayBufferView, n: number): boolean {
  return held !== null && held.buffer === view.buffer && held.byteOffset === view.byteOffset && n <= held.n;
}

/** An instance of one of the modules, with what its memory holds. */
export interface WasmInstance<T extends WasmBaseExports> {
  ex: T;
  /** End of the part of memory ever written (above it: zero). */
  dirty: number;
  /**
   * Words that a caller left at the start of its areas and may find there on its next call
   * (dedup.ts: a kernel's records): where they were copied from (buffer and byte offset) and
   * how many; null when the start of the areas holds nothing known. Whoever writes there sets it.
   */
  held: HeldWords | null;
}

/**
 * One of btfkit's embedded modules (src/accel), compiled and instantiated on first use, once
 * per realm (a worker thread has its own), with the end of the part of its memory that has
 * ever been written (above it memory is as grown: zero). `get` gives null once it is known
 * that WebAssembly cannot be used here (no WebAssembly, as under `node --jitless`, or the
 * module refused, as a browser's main thread may refuse to compile a larger module at once):
 * the callers then run their JavaScript twins.
 */
export class LazyInstance<T extends WasmBaseExports> {
  private inst: WasmInstance<T> | null | undefined;

  constructor(
    private readonly base64: string,
    private readonly functions: readonly string[],
  ) {}

  get(): WasmInstance<T> | null {
    if (this.inst === undefined) {
      const ex = this.instantiate();
      this.inst = ex === null ? null : { ex, dirty: ex.__heap_base.value, held: null };
    }
    return this.inst;
  }

  /** After a trap (which may leave the stack pointer anywhere): a fresh instance on the next `get`. */
  drop(): void {
    this.inst = undefined;
  }

  private instantiate(): T | null {
    const api = wasmApi();
    if (api === undefined) return null;
    try {
      const ex = new api.Instance(new api.Module(base64Bytes(this.base64)), {}).exports as Record<string, unknown>;
      return this.functions.every((f) => typeof ex[f] === 'function') ? (ex as unknown as T) : null;
    } catch {
      return null;
    }
  }
}
