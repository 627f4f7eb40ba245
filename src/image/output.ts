/**
 * Growable output buffer shared by the pure decoders (xz/lzma/lz4).
 *
 * Approach: the decoders write the whole decompressed result into one flat Uint8Array
 * (so the LZ77 "dictionary" is simply the output written so far, no ring buffer). The
 * buffer starts small — the size hint (a header-declared size, or the kernel's appended size)
 * is a claim of the input, so at most PREALLOC_MAX of it is allocated up front — and grows
 * geometrically (x2) as real output arrives, never beyond `limit`: asking for more raises a
 * BtfkitError('IMAGE', errno E2BIG) instead of exhausting memory — the analogue of
 * xz's --memlimit / the kernel decompressors' fixed output window. A claimed size is only used
 * to stop a doubling short (grow to exactly the claim when the claim is reached), so the
 * buffer never exceeds twice the output actually produced (plus PREALLOC_MAX).
 * A claim that is plausible for the input it comes with — at most TRUSTED_RATIO times the
 * compressed size (real kernels and modules: 3-10x) — is allocated in full up front instead:
 * no doubling, no copies, no 2x transient, and the result needs no trimming copy. A bomb's
 * claim (a few KB claiming hundreds of MB) is not plausible and gets the PREALLOC_MAX start.
 */

import { BtfkitError, Errno } from '../errors.js';

/**
 * Default cap on decompressed output: 256 MiB, for compressed modules and raw files (the
 * largest Debian 6.1 module, amdgpu.ko, is ~19 MB uncompressed).
 */
export const DEFAULT_MAX_OUTPUT = 256 * 1024 * 1024;

/** Cap for the vmlinux inside a kernel image (bzImage payload): 512 MiB (a vmlinux is ~50-100 MB). */
export const KERNEL_MAX_OUTPUT = 512 * 1024 * 1024;

/**
 * Sizes announced by headers (which may be corrupt) are only trusted for pre-allocation up
 * to this much; beyond it the buffer grows (x2) as real output arrives.
 */
export const PREALLOC_MAX = 4 * 1024 * 1024;

/** A claimed size up to this many times the compressed input is allocated up front. */
export const TRUSTED_RATIO = 16;

/** How much of a claim to allocate up front for `inputLength` compressed bytes. */
export function trustedPrealloc(inputLength: number): number {
  return Math.max(PREALLOC_MAX, inputLength * TRUSTED_RATIO);
}

export interface DecodeOptions {
  /** Refuse (or, with `partial`, stop at) more output than this many bytes. Default 256 MiB. */
  maxOutput?: number;
  /** Expected output size, used to pre-allocate (never trusted for correctness). */
  sizeHint?: number;
  /**
   * Probe mode: stop quietly once `maxOutput` bytes were produced and return what was decoded
   * so far when the input ends early (data errors still throw). Used to check that a
   * candidate payload starts with an ELF header before decoding it fully.
   */
  partial?: boolean;
  /** Filled in by the decoder, for callers (and tests) that bound the work done. */
  stats?: DecodeStats;
  /**
   * A buffer to decode into while the output fits in it (a caller decoding many files reuses
   * one instead of leaving one per file to the garbage collector); the result is then a view
   * of it, valid until the buffer is reused. Output that outgrows it moves to a new buffer.
   * Honoured by the xz decoder.
   */
  into?: Uint8Array;
  /**
   * CRC-32 of bytes[start, end) to check decoded data with (xz blocks); default: the pure
   * slicing-by-8 one of crc.ts. The Node layer passes node:zlib's (the core imports no node:).
   */
  crc32?: (bytes: Uint8Array, start: number, end: number) => number;
}

/** What a decode did: output bytes written when it returned or refused to go on. */
export interface DecodeStats {
  outputBytes: number;
}

export function imageError(message: string, offset?: number, errno: number = Errno.EINVAL): BtfkitError {
  return new BtfkitError('IMAGE', message, offset === undefined ? { errno } : { errno, where: { offset } });
}

export function outputLimit(opts: DecodeOptions | undefined): number {
  const m = opts?.maxOutput;
  if (m === undefined) return DEFAULT_MAX_OUTPUT;
  if (!Number.isFinite(m) || m < 0) throw new BtfkitError('USAGE', `invalid maxOutput ${m}`);
  return Math.floor(m);
}

export function tooLarge(limit: number): BtfkitError {
  return imageError(`decompressed data exceeds the limit of ${limit} bytes`, undefined, Errno.E2BIG);
}

export class OutputBuffer {
  buf: Uint8Array;
  pos = 0;
  readonly limit: number;
  /** Total size claimed by a header (0: none); only used to stop a doubling at the claim. */
  private claim = 0;
  /** How much of a claim is allocated before output arrives (trustedPrealloc()). */
  private readonly prealloc: number;

  /** Written on each growth, refusal and result (optional, for callers that bound the work). */
  private readonly stats: DecodeStats | undefined;

  /** The caller's buffer (DecodeOptions.into), while the output is in it. */
  private readonly into: Uint8Array | undefined;

  /**
   * `hint`: the expected total size (a claim, allocated up front only up to `prealloc`,
   * default PREALLOC_MAX; pass trustedPrealloc(input length) to trust plausible claims).
   * `into`: DecodeOptions.into.
   */
  constructor(limit: number, hint: number, prealloc = PREALLOC_MAX, stats?: DecodeStats, into?: Uint8Array) {
    this.stats = stats;
    this.limit = limit;
    this.prealloc = prealloc;
    const h = Number.isFinite(hint) ? Math.max(0, Math.floor(hint)) : 0;
    if (h <= limit) this.claim = h;
    // Never more of it than the limit: the limit is enforced by growth.
    this.into = into && into.length > limit ? into.subarray(0, limit) : into;
    this.buf = this.into ?? new Uint8Array(Math.min(limit, prealloc, h));
  }

  /** Makes room for `n` more bytes after `pos`; throws once the limit would be exceeded. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (this.stats) this.stats.outputBytes = this.pos;
    if (need > this.limit) throw tooLarge(this.limit);
    let size = Math.max(this.buf.length * 2, 65536, need);
    // Reaching a claimed total: allocate exactly it rather than doubling past it.
    if (this.claim >= need && this.claim < size) size = this.claim;
    if (size > this.limit) size = this.limit;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
  }

  /**
   * A header declares `n` more bytes: remembered as the claimed total (to size the growth),
   * pre-allocated only up to the constructor's `prealloc` beyond what exists.
   */
  reserve(n: number): void {
    const total = this.pos + Math.max(0, n);
    if (total > this.limit) return;
    this.claim = total;
    const want = Math.min(total, this.pos + this.prealloc);
    if (want > this.buf.length) this.ensure(want - this.pos);
  }

  /** The bytes written so far; copies only if the buffer is much larger than the data. */
  result(): Uint8Array {
    if (this.stats) this.stats.outputBytes = this.pos;
    if (this.pos === this.buf.length) return this.buf;
    if (this.buf === this.into) return this.buf.subarray(0, this.pos);
    if (this.buf.length - this.pos > (this.buf.length >>> 3)) return this.buf.slice(0, this.pos);
    return this.buf.subarray(0, this.pos);
  }
}
