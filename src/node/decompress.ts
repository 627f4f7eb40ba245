/**
 * Decompression of btfkit inputs on Node: compressed modules (.ko.xz/.zst/.gz/...), kernel
 * images (vmlinuz → embedded vmlinux ELF), raw BTF and plain ELF files — all by content.
 *
 * Approach: src/image/detect.ts tells what the bytes are; each compression format has one
 * decoder, all synchronous and all bounded by an output cap (errno E2BIG) that depends on
 * what is unpacked: 256 MiB for a compressed module or raw file (DEFAULT_MAX_OUTPUT; the
 * largest Debian module is ~19 MB), 512 MiB for the vmlinux of a kernel image
 * (KERNEL_MAX_OUTPUT; a real one is ~65 MB). On top of it a ratio guard stops bombs early:
 * more than MAX_RATIO (1000) times the compressed size and more than RATIO_FLOOR (64 MiB) is
 * refused too (real modules and kernels compress by 3-10x). So a few-KB bomb costs at most
 * ~64 MiB and well under a second instead of a cap's worth of memory and time.
 *   - gzip: node:zlib. The gzip member framing (RFC 1952 header, CRC32 + ISIZE trailer) is
 *     parsed here and the deflate body handed to inflateRawSync, because gunzipSync rejects
 *     trailing bytes and the kernel appends its 4-byte size to the payload; further members
 *     are decoded like `gzip -d` does, anything else after the last member is ignored.
 *   - zstd: the frames are walked first (src/image/zstd.ts) to cut trailing bytes and to check
 *     declared sizes and windows against the cap; then node:zlib's zstdDecompressSync where
 *     Node has it (>= 22.15), else zstd's own decoder built to WebAssembly (our build,
 *     src/node/zstd/, driven by zstd-wasm.ts: ~10x faster than fzstd on a vmlinuz), in one shot into
 *     the declared or claimed size, or into an area of the cap's size that zstd refuses to
 *     overrun; the pure-JS `fzstd` package only for the 64-byte probes of scanned payloads
 *     (streaming, no end of data needed) and as the fallback when the WebAssembly build is
 *     not available (one shot into a declared or claimed size, else streaming with the cap).
 *   - bzip2: the pure-JS `seek-bzip` package, with our own output sink (cap) and input
 *     source (EOF → error), one call per concatenated stream.
 *   - xz (with the x86 BCJ filter of kernel payloads), LZMA-alone, LZ4 legacy and LZ4 frame:
 *     the built-in pure decoders of src/image/.
 * For a kernel image the payload candidates of findKernelPayload() are tried in order (the
 * one the setup header names before the image is scanned for the others): a
 * scanned candidate is first probed (only its first 64 decompressed bytes), and the first
 * candidate that decompresses to an ELF wins — scripts/extract-vmlinux's strategy, except
 * that the setup header, when present, is used first.
 * Reference behaviour: the output equals what `xz -d`, `zstd -d`, `gzip -d`, `lz4 -d`,
 * `bzip2 -d`, `lzma -d` (and extract-vmlinux for vmlinuz) produce. Every failure is a
 * BtfkitError: 'IMAGE' for undecodable data, 'IO' for file system errors.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

import { BtfkitError, Errno } from '../errors.js';
import {
  type CompressionFormat,
  type PayloadCandidate,
  detectFormat,
  findKernelPayload,
  isBtfMagic,
  isElfMagic,
  compressionAt,
} from '../image/detect.js';
import { crc32 } from '../image/crc.js';
import { decodeLz4Frame, decodeLz4Legacy } from '../image/lz4.js';
import { decodeLzmaAlone } from '../image/lzma.js';
import { type DecodeOptions, KERNEL_MAX_OUTPUT, OutputBuffer, imageError, outputLimit, tooLarge } from '../image/output.js';
import { decodeXz } from '../image/xz.js';
import { type ZstdFrames, walkZstdFrames } from '../image/zstd.js';
import { xxh64 } from '../image/xxh64.js';
import { ZSTD_DST_TOO_SMALL, ZSTD_SRC_SIZE_WRONG, ZstdWasmError, zstdDecompressWasm, zstdWasmFits, zstdWasmModule } from './zstd-wasm.js';

export type { CompressionFormat, PayloadCandidate } from '../image/detect.js';
export { DEFAULT_MAX_OUTPUT, KERNEL_MAX_OUTPUT } from '../image/output.js';

export interface DecompressOptions extends DecodeOptions {
  /**
   * Ratio guard: refuse (E2BIG) output larger than this many times the compressed input once
   * it is also larger than RATIO_FLOOR. Default MAX_RATIO (1000); Infinity disables it.
   * Not applied in `partial` (probe) mode.
   */
  maxRatio?: number;
  /**
   * The zstd decoder to use (tests and benchmarks compare them); default: the first available
   * of 'node:zlib', 'wasm', 'fzstd'. Asking for one that is not available is a USAGE error.
   */
  zstdEngine?: ZstdEngine;
}

/** The zstd decoders: node:zlib's (Node >= 22.15), zstd's WebAssembly build (zstd-wasm.ts), fzstd. */
export type ZstdEngine = 'node:zlib' | 'wasm' | 'fzstd';

/** Default decompression ratio guard (output / compressed input). */
export const MAX_RATIO = 1000;
/** Output below this size is never refused by the ratio guard: 64 MiB. */
export const RATIO_FLOOR = 64 * 1024 * 1024;

const require = createRequire(import.meta.url);

type Zlib = typeof import('node:zlib');
let zlibModule: Zlib | undefined;
/**
 * node:zlib, loaded on first use: compiling it costs a one-shot command some 4 ms that only
 * compressed input needs (process.getBuiltinModule where Node.js has it, else require).
 */
function zlib(): Zlib {
  const builtin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  return (zlibModule ??= (builtin?.('node:zlib') as Zlib | undefined) ?? (require('node:zlib') as Zlib));
}

// ---------------------------------------------------------------------------------------
// npm packages, loaded on first use.

type Fzstd = typeof import('fzstd');
let fzstdModule: Fzstd | undefined;
function fzstd(): Fzstd {
  return (fzstdModule ??= require('fzstd') as Fzstd);
}

interface SeekBzipInput {
  pos: number;
  readByte(): number;
  read(buf: Uint8Array, off: number, len: number): number;
  seek(pos: number): void;
}
interface SeekBzipOutput {
  writeByte(b: number): void;
  write(buf: Uint8Array, off: number, len: number): number;
  flush(): void;
}
interface SeekBzip {
  decode(input: SeekBzipInput, output: SeekBzipOutput, multistream?: boolean): unknown;
}
let seekBzipModule: SeekBzip | undefined;
function seekBzip(): SeekBzip {
  return (seekBzipModule ??= require('seek-bzip') as SeekBzip);
}

type ZstdNative = (buf: Uint8Array, opts?: { maxOutputLength?: number; chunkSize?: number }) => Buffer;
/** node:zlib's smallest chunkSize. */
const ZLIB_MIN_CHUNK = 64;
function nativeZstd(): ZstdNative | undefined {
  const f = (zlib() as unknown as { zstdDecompressSync?: ZstdNative }).zstdDecompressSync;
  return typeof f === 'function' ? f : undefined;
}

type ZlibCrc32 = (data: Uint8Array, value?: number) => number;
/** node:zlib's CRC-32 (Node >= 20.15) for the xz block checks, when present. */
function nativeCrc32(): ((b: Uint8Array, s: number, e: number) => number) | undefined {
  const f = (zlib() as unknown as { crc32?: ZlibCrc32 }).crc32;
  return typeof f === 'function' ? (b: Uint8Array, s: number, e: number): number => f(b.subarray(s, e)) >>> 0 : undefined;
}

/** True when node:zlib decodes zstd itself (Node >= 22.15). */
export function hasNativeZstd(): boolean {
  return nativeZstd() !== undefined;
}

/** The zstd decoders available here, in the order they are preferred. */
export function zstdEngines(): ZstdEngine[] {
  return [...(nativeZstd() ? ['node:zlib' as const] : []), ...(zstdWasmModule() ? ['wasm' as const] : []), 'fzstd'];
}

// ---------------------------------------------------------------------------------------
// gzip

function le32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** Offset of the deflate data of the gzip member at `p` (RFC 1952 §2.3). */
function gzipHeaderEnd(b: Uint8Array, p: number): number {
  const truncated = () => imageError('truncated gzip header', p, Errno.EIO);
  if (p + 10 > b.length) throw truncated();
  if (b[p] !== 0x1f || b[p + 1] !== 0x8b) throw imageError('not gzip data (bad magic)', p);
  if (b[p + 2] !== 8) throw imageError(`unsupported gzip compression method ${b[p + 2]}`, p + 2, Errno.ENOTSUP);
  const flg = b[p + 3]!;
  if (flg & 0xe0) throw imageError('corrupt gzip header (reserved flags)', p + 3);
  let q = p + 10;
  if (flg & 0x04) {
    if (q + 2 > b.length) throw truncated();
    q += 2 + (b[q]! | (b[q + 1]! << 8));
  }
  for (const bit of [0x08, 0x10]) {
    if (flg & bit) {
      while (q < b.length && b[q] !== 0) q++;
      q++;
    }
  }
  if (flg & 0x02) q += 2;
  if (q > b.length) throw truncated();
  return q;
}

function zlibError(e: unknown, what: string, limit: number): BtfkitError {
  if (e instanceof BtfkitError) return e;
  const code = (e as { code?: string }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(limit);
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(msg)) return imageError(`truncated ${what} data (${msg})`, undefined, Errno.EIO);
  return imageError(`corrupt ${what} data (${msg})`);
}

function gunzip(bytes: Uint8Array, opts: DecodeOptions): Uint8Array {
  const limit = outputLimit(opts);
  const partial = opts.partial === true;
  const parts: Uint8Array[] = [];
  let total = 0;
  let p = 0;
  do {
    const body = gzipHeaderEnd(bytes, p);
    if (partial) {
      // Probe: inflate a prefix without requiring the end of the stream.
      const prefix = bytes.subarray(body, Math.min(bytes.length, body + 65536));
      let out: Buffer;
      try {
        out = zlib().inflateRawSync(prefix, { finishFlush: zlib().constants.Z_SYNC_FLUSH, maxOutputLength: 128 << 20 });
      } catch (e) {
        throw zlibError(e, 'gzip', limit);
      }
      return new Uint8Array(out.buffer, out.byteOffset, Math.min(out.length, limit));
    }
    let res: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      res = zlib().inflateRawSync(bytes.subarray(body), { info: true, maxOutputLength: Math.max(1, limit - total) }) as unknown as typeof res;
    } catch (e) {
      throw zlibError(e, 'gzip', limit);
    }
    const out = res.buffer;
    const end = body + res.engine.bytesWritten;
    if (end + 8 > bytes.length) throw imageError('truncated gzip data (member trailer)', end, Errno.EIO);
    if (crc32(out) !== le32(bytes, end)) throw imageError('corrupt gzip data (CRC32 mismatch)', end);
    if ((out.length >>> 0) !== le32(bytes, end + 4)) throw imageError('corrupt gzip data (size mismatch)', end + 4);
    parts.push(new Uint8Array(out.buffer, out.byteOffset, out.length));
    total += out.length;
    p = end + 8;
  } while (compressionAt(bytes, p, true) === 'gzip');
  return parts.length === 1 ? parts[0]! : concat(parts, total);
}

// ---------------------------------------------------------------------------------------
// zstd

class ProbeFull extends Error {}

function unzstd(bytes: Uint8Array, opts: DecompressOptions): Uint8Array {
  const limit = outputLimit(opts);
  const partial = opts.partial === true;
  if (partial) {
    // fzstd's streaming decoder allocates the frame's window up front.
    const w = zstdStreamWindow(bytes);
    if (w > Math.max(limit, KERNEL_MAX_OUTPUT)) throw tooLarge(Math.max(limit, KERNEL_MAX_OUTPUT));
    const chunks: Uint8Array[] = [];
    let n = 0;
    try {
      const d = new (fzstd().Decompress)((chunk) => {
        chunks.push(chunk);
        n += chunk.length;
        if (n >= limit) throw new ProbeFull();
      });
      d.push(bytes.subarray(0, Math.min(bytes.length, 1 << 20)), false);
    } catch (e) {
      if (!(e instanceof ProbeFull)) throw zstdError(e, limit);
    }
    return concat(chunks, Math.min(n, limit));
  }
  const frames = walkZstdFrames(bytes);
  const data = bytes.subarray(0, frames.end);
  if (frames.contentSize !== undefined && frames.contentSize > limit) throw tooLarge(limit);
  // A decoder allocates the window of a frame without a declared size: refuse one beyond the cap.
  if (frames.maxWindow > limit) throw tooLarge(limit);
  const engine = zstdEngine(opts.zstdEngine);
  try {
    if (engine === 'node:zlib') return unzstdNative(data, frames, opts, limit);
    if (engine === 'wasm') {
      const out = unzstdWasm(data, frames, opts, limit);
      if (out) return out;
    }
    return unzstdJs(data, frames, opts, limit);
  } catch (e) {
    throw zstdError(e, limit);
  }
}

/**
 * node:zlib's zstd (Node >= 22.15). Two differences from `zstd -d` are handled here:
 *  - it stops at the end of the first frame: concatenated frames are decoded one call each
 *    (the spans of walkZstdFrames, skippable frames left out) and joined, the cap shared;
 *  - its sync API decodes into chunks of `chunkSize` bytes and concatenates them at the end
 *    (for a 57 MB vmlinux: 38 ms and a second copy of the output): with the frame's declared
 *    size, or the claimed size of a lone frame, known, one chunk of that size + 1 holds the
 *    whole output and is returned as it is (a wrong claim only means chunks again).
 * maxOutputLength enforces the cap in every call.
 */
function unzstdNative(data: Uint8Array, frames: ZstdFrames, opts: DecodeOptions, limit: number): Uint8Array {
  const native = nativeZstd()!;
  const { spans } = frames;
  const hint = opts.sizeHint;
  const claimed = frames.frames === 1 && hint !== undefined && hint > 0 && hint <= frames.maxSize ? hint : undefined;
  const parts: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i < spans.length; i += 3) {
    const left = limit - total;
    const declared = spans[i + 2]! >= 0 ? spans[i + 2]! : claimed;
    const chunk = declared !== undefined && declared < left ? { chunkSize: Math.max(ZLIB_MIN_CHUNK, declared + 1) } : {};
    const out = native(data.subarray(spans[i]!, spans[i + 1]!), { maxOutputLength: Math.max(1, left), ...chunk });
    total += out.length;
    if (total > limit) throw tooLarge(limit);
    parts.push(new Uint8Array(out.buffer, out.byteOffset, out.length));
  }
  if (opts.stats) opts.stats.outputBytes = total;
  return parts.length === 1 ? parts[0]! : concat(parts, total);
}

/** Which zstd decoder runs: node:zlib when present, else zstd's WebAssembly build, else fzstd. */
function zstdEngine(wanted: ZstdEngine | undefined): ZstdEngine {
  if (wanted === 'node:zlib' && !nativeZstd()) throw new BtfkitError('USAGE', 'node:zlib has no zstd decoder in this Node.js');
  if (wanted === 'wasm' && !zstdWasmModule()) throw new BtfkitError('USAGE', "zstd's WebAssembly decoder is not available");
  return wanted ?? (nativeZstd() ? 'node:zlib' : zstdWasmModule() ? 'wasm' : 'fzstd');
}

/**
 * zstd's own decoder (WebAssembly, zstd-wasm.ts) in one shot: into exactly the declared size,
 * or the claimed one (a kernel image's appended size), else into an area of the cap's size
 * (address space, not memory: only the pages written become resident). zstd refuses output
 * beyond the area (dstSize_tooSmall): a claim too small is retried with the cap, the cap
 * exceeded is E2BIG. Undefined when the area does not fit in the decoder's memory (> 2 GiB).
 */
function unzstdWasm(data: Uint8Array, frames: ZstdFrames, opts: DecodeOptions, limit: number): Uint8Array | undefined {
  const mod = zstdWasmModule()!;
  const hint = opts.sizeHint;
  const claim = frames.contentSize ?? (hint !== undefined && hint > 0 && hint <= limit && hint <= frames.maxSize ? hint : undefined);
  for (const capacity of claim !== undefined && claim < limit ? [claim, limit] : [limit]) {
    if (!zstdWasmFits(capacity, data.length)) return undefined;
    let out: Uint8Array;
    try {
      out = zstdDecompressWasm(mod, data, capacity);
    } catch (e) {
      if (!(e instanceof ZstdWasmError && e.zstdCode === ZSTD_DST_TOO_SMALL)) throw e;
      if (frames.contentSize !== undefined) throw imageError('corrupt zstd data (size differs from the frame headers)');
      if (capacity < limit) continue; // the claim was too small
      if (opts.stats) opts.stats.outputBytes = capacity;
      throw tooLarge(limit);
    }
    if (frames.contentSize !== undefined && out.length !== frames.contentSize) throw imageError('corrupt zstd data (size differs from the frame headers)');
    if (opts.stats) opts.stats.outputBytes = out.length;
    return out;
  }
  return undefined;
}

/** The pure-JS fzstd decoder (no node:zlib zstd, no WebAssembly build). */
function unzstdJs(data: Uint8Array, frames: ZstdFrames, opts: DecodeOptions, limit: number): Uint8Array {
  if (frames.contentSize !== undefined) {
    const out = fzstd().decompress(data);
    if (out.length !== frames.contentSize) throw imageError('corrupt zstd data (size differs from the frame headers)');
    return out;
  }
  // Unknown size but a claimed one (a kernel image appends the vmlinux size to its payload)
  // and a content checksum (zstd's default, kbuild's too): decode in one shot into a buffer
  // of that size, proven by the checksum. Its streaming path would shift a 128 MiB
  // window after every 128 KiB block (~11 s for a kernel instead of ~1.3 s).
  const hint = opts.sizeHint;
  const checksum = data.length >= 9 && (data[4]! & 0x04) !== 0;
  if (frames.frames === 1 && checksum && hint !== undefined && hint > 0 && hint <= limit && hint <= frames.maxSize) {
    try {
      const out = zstdInto(data, hint);
      const [, lo] = xxh64(out);
      if (lo === le32(data, data.length - 4)) return out;
    } catch {
      // fzstd ran out of buffer
    }
    // The claim was wrong (or the data is corrupt): the streaming decoder below tells which.
  }
  // Unknown sizes (e.g. a kernel payload compressed from a pipe): stream with the cap.
  const out = new OutputBuffer(limit, Math.min(limit, opts.sizeHint ?? data.length * 4), undefined, opts.stats);
  const d = new (fzstd().Decompress)((chunk) => {
    if (out.pos + chunk.length > limit) {
      if (opts.stats) opts.stats.outputBytes = out.pos;
      throw tooLarge(limit);
    }
    out.ensure(chunk.length);
    out.buf.set(chunk, out.pos);
    out.pos += chunk.length;
  });
  d.push(data, true);
  return out.result();
}

/**
 * One-shot decoding of a single frame into a buffer of exactly `size` bytes (fzstd then uses
 * the output itself as its window, as for a frame that declares its size). fzstd reports
 * neither the length it wrote nor checks the frame's XXH64, and drops writes past the end of
 * the buffer: the caller proves the result with the checksum (a claim too small or too large
 * fails it) and otherwise decodes by streaming.
 */
function zstdInto(data: Uint8Array, size: number): Uint8Array {
  const buf = new Uint8Array(size);
  const out = fzstd().decompress(data, buf);
  if (out !== buf) throw imageError('corrupt zstd data (frame count differs from the walk)');
  return buf;
}

/**
 * The buffer fzstd's streaming decoder allocates for the first frame at the start of `bytes`
 * (its window, or the content size of a single-segment frame); 0 when it cannot tell.
 */
function zstdStreamWindow(b: Uint8Array): number {
  if (b.length < 6 || le32(b, 0) !== 0xfd2fb528) return 0;
  const fhd = b[4]!;
  if (fhd & 0x20) {
    // single segment: the window is the declared content size
    const p = 5 + [0, 1, 2, 4][fhd & 3]!;
    const n = [1, 2, 4, 8][fhd >>> 6]!;
    if (p + n > b.length) return 0;
    if (n === 1) return b[p]!;
    if (n === 2) return (b[p]! | (b[p + 1]! << 8)) + 256;
    if (n === 4) return le32(b, p);
    return le32(b, p) + le32(b, p + 4) * 0x100000000;
  }
  const wd = b[5]!;
  const wb = 2 ** (10 + (wd >>> 3));
  return wb + (wb / 8) * (wd & 7);
}

function zstdError(e: unknown, limit: number): BtfkitError {
  if (e instanceof BtfkitError) return e;
  if (e instanceof ZstdWasmError) {
    if (e.zstdCode === ZSTD_DST_TOO_SMALL) return tooLarge(limit);
    if (e.zstdCode === ZSTD_SRC_SIZE_WRONG) return imageError(`truncated zstd data (${e.message})`, undefined, Errno.EIO);
    return imageError(`corrupt zstd data (${e.message})`);
  }
  const code = (e as { code?: unknown }).code;
  if (code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(limit);
  const msg = e instanceof Error ? e.message : String(e);
  if (code === 5 || /unexpected EOF/i.test(msg)) return imageError(`truncated zstd data (${msg})`, undefined, Errno.EIO);
  return imageError(`corrupt zstd data (${msg})`);
}

// ---------------------------------------------------------------------------------------
// bzip2

function bunzip2(bytes: Uint8Array, opts: DecodeOptions): Uint8Array {
  const limit = outputLimit(opts);
  const partial = opts.partial === true;
  const out = new OutputBuffer(limit, Math.min(limit, opts.sizeHint ?? bytes.length * 4), undefined, opts.stats);
  const input: SeekBzipInput = {
    pos: 0,
    readByte() {
      if (this.pos >= bytes.length) throw imageError('truncated bzip2 data', bytes.length, Errno.EIO);
      return bytes[this.pos++]!;
    },
    read(buf, off, len) {
      for (let i = 0; i < len; i++) buf[off + i] = this.readByte();
      return len;
    },
    seek(p) {
      this.pos = p;
    },
  };
  const sink: SeekBzipOutput = {
    writeByte(b) {
      if (out.pos >= out.buf.length) {
        if (out.pos >= limit) {
          if (opts.stats) opts.stats.outputBytes = out.pos;
          throw partial ? new ProbeFull() : tooLarge(limit);
        }
        out.ensure(1);
      }
      out.buf[out.pos++] = b;
    },
    write(buf, off, len) {
      for (let i = 0; i < len; i++) this.writeByte(buf[off + i]!);
      return len;
    },
    flush() {},
  };
  const bz = seekBzip();
  try {
    do {
      bz.decode(input, sink, false);
    } while (compressionAt(bytes, input.pos, true) === 'bzip2');
  } catch (e) {
    if (e instanceof ProbeFull) return out.result();
    if (e instanceof BtfkitError) {
      if (partial && e.errno === Errno.EIO) return out.result();
      throw e;
    }
    const msg = e instanceof Error ? e.message : String(e);
    throw imageError(`corrupt bzip2 data (${msg})`);
  }
  return out.result();
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  const r = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    if (o >= n) break;
    const take = Math.min(c.length, n - o);
    r.set(c.subarray(0, take), o);
    o += take;
  }
  return r;
}

// ---------------------------------------------------------------------------------------

/**
 * The output cap for `inputLength` compressed bytes: `opts.maxOutput` (default 256 MiB),
 * lowered by the ratio guard to max(RATIO_FLOOR, inputLength × maxRatio) — not in probe mode.
 */
export function effectiveLimit(inputLength: number, opts: DecompressOptions = {}): { limit: number; byRatio: boolean } {
  const cap = outputLimit(opts);
  if (opts.partial === true) return { limit: cap, byRatio: false };
  const ratio = opts.maxRatio ?? MAX_RATIO;
  if (Number.isNaN(ratio) || ratio <= 0) throw new BtfkitError('USAGE', `invalid maxRatio ${ratio}`);
  const byRatio = Math.max(RATIO_FLOOR, Math.floor(inputLength * ratio));
  return byRatio < cap ? { limit: byRatio, byRatio: true } : { limit: cap, byRatio: false };
}

/**
 * Decompresses `bytes` (which must start with data of `format`). Trailing bytes after the
 * compressed data are ignored. Synchronous; throws BtfkitError('IMAGE') on bad data,
 * with errno E2BIG when the output would exceed `opts.maxOutput` (default 256 MiB) or, beyond
 * 64 MiB, `opts.maxRatio` (default 1000) times the input size.
 */
export function decompress(format: CompressionFormat, bytes: Uint8Array, opts: DecompressOptions = {}): Uint8Array {
  const { limit, byRatio } = effectiveLimit(bytes.length, opts);
  if (limit !== outputLimit(opts)) opts = { ...opts, maxOutput: limit };
  try {
    return decompressWith(format, bytes, opts);
  } catch (e) {
    if (byRatio && e instanceof BtfkitError && e.errno === Errno.E2BIG) {
      throw imageError(
        `decompressed data exceeds the limit of ${limit} bytes (more than ${opts.maxRatio ?? MAX_RATIO} times the ${bytes.length}-byte input: a decompression bomb?)`,
        undefined,
        Errno.E2BIG,
      );
    }
    throw e;
  }
}

function decompressWith(format: CompressionFormat, bytes: Uint8Array, opts: DecompressOptions): Uint8Array {
  try {
    switch (format) {
      case 'gzip':
        return gunzip(bytes, opts);
      case 'zstd':
        return unzstd(bytes, opts);
      case 'bzip2':
        return bunzip2(bytes, opts);
      case 'xz': {
        const crc32 = nativeCrc32();
        return decodeXz(bytes, crc32 ? { ...opts, crc32 } : opts);
      }
      case 'lzma':
        return decodeLzmaAlone(bytes, opts);
      case 'lz4-legacy':
        return decodeLz4Legacy(bytes, opts);
      case 'lz4':
        return decodeLz4Frame(bytes, opts);
      default:
        throw new BtfkitError('USAGE', `unknown compression format ${String(format)}`);
    }
  } catch (e) {
    if (e instanceof BtfkitError) throw e;
    // Never let a RangeError & co. escape on bad input.
    const msg = e instanceof Error ? e.message : String(e);
    throw imageError(`cannot decode ${format} data (${msg})`);
  }
}

/**
 * Decoder of compressed ELF sections (SHF_COMPRESSED DWARF: `gcc -gz`, `objcopy
 * --compress-debug-sections`), for the DWARF reader's DwarfReadOptions.decompress: zlib
 * (RFC 1950) through node:zlib, zstd through this file's zstd decoders; at most `size` bytes
 * are produced (the section header's size; the reader checks that exactly that many came out).
 */
export function decompressSection(format: 'zlib' | 'zstd', data: Uint8Array, size: number): Uint8Array {
  // the same bomb guard as decompress(): beyond 64 MiB, at most MAX_RATIO times the input
  if (format === 'zstd') return decompress('zstd', data, { maxOutput: size });
  const { limit } = effectiveLimit(data.length, { maxOutput: size });
  let out: Buffer;
  try {
    out = zlib().inflateSync(data, { maxOutputLength: Math.max(1, limit) });
  } catch (e) {
    throw zlibError(e, 'zlib', limit);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** What an input file turned out to be. */
export interface UnpackedInput {
  /** The uncompressed content: raw BTF or an ELF file. */
  bytes: Uint8Array;
  kind: 'btf' | 'elf';
  /** How it was stored: 'raw' (raw BTF), 'elf' (plain ELF) or the compression undone. */
  container: 'raw' | 'elf' | CompressionFormat;
  /** True when the ELF was extracted from a kernel image (vmlinuz / bzImage). */
  kernelImage: boolean;
  /** For kernel images: where the compressed vmlinux was found. */
  payload?: PayloadCandidate;
}

export interface UnpackOptions {
  /**
   * Output cap for decompression. Default: 256 MiB (DEFAULT_MAX_OUTPUT) for a compressed file,
   * 512 MiB (KERNEL_MAX_OUTPUT) for the vmlinux inside a kernel image.
   */
  maxOutput?: number;
  /** Ratio guard (see DecompressOptions.maxRatio); default 1000. */
  maxRatio?: number;
  /** The zstd decoder (see DecompressOptions.zstdEngine). */
  zstdEngine?: ZstdEngine;
}

function kernelLimit(opts: UnpackOptions): number {
  return opts.maxOutput === undefined ? KERNEL_MAX_OUTPUT : outputLimit(opts);
}

function kindOf(b: Uint8Array): 'btf' | 'elf' | undefined {
  if (isBtfMagic(b)) return 'btf';
  if (isElfMagic(b)) return 'elf';
  return undefined;
}

/**
 * Extracts the vmlinux ELF from a kernel image (bzImage, or any file holding a compressed
 * ELF): tries the findKernelPayload() candidates in order and keeps the first that
 * decompresses to an ELF.
 */
export function extractKernelElf(image: Uint8Array, opts: UnpackOptions = {}): { bytes: Uint8Array; payload: PayloadCandidate } {
  const limit = kernelLimit(opts);
  const ratio = { ...(opts.maxRatio !== undefined ? { maxRatio: opts.maxRatio } : {}), ...(opts.zstdEngine ? { zstdEngine: opts.zstdEngine } : {}) };
  let firstError: BtfkitError | undefined;
  const tried = new Set<number>();
  // The payload the setup header names first: scanning a 12 MB image for magics costs ~0.1 s.
  for (const scan of [false, true]) {
    for (const c of findKernelPayload(image, { scan })) {
      if (tried.has(c.offset)) continue;
      tried.add(c.offset);
      const data = image.subarray(c.offset, c.offset + c.length);
      try {
        if (c.source === 'scan') {
          const head = decompress(c.format, data, { maxOutput: 64, partial: true });
          if (!isElfMagic(head)) continue;
        }
        const hint = c.expectedSize !== undefined && c.expectedSize <= limit ? c.expectedSize : undefined;
        const bytes = decompress(c.format, data, hint !== undefined ? { maxOutput: limit, sizeHint: hint, ...ratio } : { maxOutput: limit, ...ratio });
        if (isElfMagic(bytes)) return { bytes, payload: c };
        firstError ??= imageError(`${c.format} payload at offset ${c.offset} does not decompress to an ELF file`, c.offset);
      } catch (e) {
        if (!(e instanceof BtfkitError)) throw e;
        firstError ??= new BtfkitError(e.code, `${c.format} payload at offset ${c.offset}: ${e.message}`, {
          errno: e.errno,
          where: { offset: c.offset },
        });
      }
    }
  }
  if (firstError) throw firstError;
  throw imageError('no compressed kernel found in the image (no known compression magic)');
}

/** Unpacks raw file content to raw BTF or ELF bytes (synchronous). */
export function unpackBytes(raw: Uint8Array, opts: UnpackOptions = {}): UnpackedInput {
  const fmt = detectFormat(raw);
  if (fmt === 'btf') return { bytes: raw, kind: 'btf', container: 'raw', kernelImage: false };
  if (fmt === 'elf') return { bytes: raw, kind: 'elf', container: 'elf', kernelImage: false };
  if (fmt !== 'bzimage' && fmt !== 'unknown') {
    const bytes = decompress(fmt, raw, {
      maxOutput: outputLimit(opts),
      ...(opts.maxRatio !== undefined ? { maxRatio: opts.maxRatio } : {}),
      ...(opts.zstdEngine ? { zstdEngine: opts.zstdEngine } : {}),
    });
    const kind = kindOf(bytes);
    if (kind) return { bytes, kind, container: fmt, kernelImage: false };
    // e.g. a compressed kernel image (vmlinuz.gz holding a bzImage)
    if (detectFormat(bytes) === 'bzimage') {
      const k = extractKernelElf(bytes, opts);
      return { bytes: k.bytes, kind: 'elf', container: k.payload.format, kernelImage: true, payload: k.payload };
    }
    throw imageError(`${fmt}-compressed content is neither BTF nor an ELF file`);
  }
  if (fmt === 'unknown' && raw.length < 64) throw imageError('not BTF, ELF, compressed data or a kernel image');
  try {
    const k = extractKernelElf(raw, opts);
    return { bytes: k.bytes, kind: 'elf', container: k.payload.format, kernelImage: true, payload: k.payload };
  } catch (e) {
    if (fmt === 'unknown' && e instanceof BtfkitError && e.message.startsWith('no compressed kernel')) {
      throw imageError('not BTF, ELF, compressed data or a kernel image');
    }
    throw e;
  }
}

/**
 * Reads `path` and returns its uncompressed ELF or raw BTF: plain or compressed modules,
 * vmlinuz kernel images, raw BTF files, /sys/kernel/btf/vmlinux.
 * Errors: BtfkitError 'IO' (cannot read the file) or 'IMAGE' (cannot decode it), with the file name.
 */
export async function loadElfOrBtfBytes(path: string, opts: UnpackOptions = {}): Promise<UnpackedInput> {
  let raw: Buffer;
  try {
    // synchronous: node:fs/promises and libuv's thread pool cost a one-shot command more than they save it
    raw = readFileSync(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const errno = err.code === 'ENOENT' ? Errno.ENOENT : Errno.EIO;
    throw new BtfkitError('IO', `cannot read file: ${err.message}`, { errno, where: { file: path } });
  }
  try {
    return unpackBytes(new Uint8Array(raw.buffer, raw.byteOffset, raw.length), opts);
  } catch (e) {
    if (e instanceof BtfkitError) throw e.withLocation({ file: path });
    throw e;
  }
}

/**
 * Unpacks content that is neither raw BTF nor plain ELF (compressed module or kernel image).
 * `container` is the compression name ('xz', 'zstd', ...) or 'vmlinuz' for a kernel image;
 * 'plain' for content that needed no unpacking.
 */
export async function openContainer(raw: Uint8Array, opts: UnpackOptions = {}): Promise<{ bytes: Uint8Array; container: string; unpacked: UnpackedInput }> {
  const u = unpackBytes(raw, opts);
  const container = u.kernelImage ? 'vmlinuz' : u.container === 'raw' || u.container === 'elf' ? 'plain' : u.container;
  return { bytes: u.bytes, container, unpacked: u };
}
