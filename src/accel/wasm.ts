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

/** The bytes of an embedded module's base64 text (atob: Node.js and browsers alike). */
export function base64Bytes(text: string): Uint8Array {
  const bin = (globalThis as unknown as { atob: (s: string) => string }).atob(text);
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
