/**
 * Growable output buffer shared by the pure decoders (xz/lzma/lz4).
 *
 * Approach: the decoders write the whole decompressed result into one flat Uint8Array
 * (so the LZ77 "dictionary" is simply the output written so far, no ring buffer). The
 * buffer starts at a size hint (a header-declared size, or the kernel's appended size)
 * and doubles when needed, but never beyond `limit`: asking for more raises a
 * BtfkitError('IMAGE', errno E2BIG) instead of exhausting memory — the analogue of
 * xz's --memlimit / the kernel decompressors' fixed output window.
 */

import { BtfkitError, Errno } from '../errors.js';

/** Default cap on decompressed output: 1 GiB (a vmlinux is ~50-100 MB). */
export const DEFAULT_MAX_OUTPUT = 1024 * 1024 * 1024;

/**
 * Sizes announced by headers (which may be corrupt) are only trusted for pre-allocation up
 * to this much; beyond it the buffer grows as real output arrives.
 */
export const PREALLOC_MAX = 256 * 1024 * 1024;

export interface DecodeOptions {
  /** Refuse (or, with `partial`, stop at) more output than this many bytes. Default 1 GiB. */
  maxOutput?: number;
  /** Expected output size, used to pre-allocate (never trusted for correctness). */
  sizeHint?: number;
  /**
   * Probe mode: stop quietly once `maxOutput` bytes were produced and return what was decoded
   * so far when the input ends early (data errors still throw). Used to check that a
   * candidate payload starts with an ELF header before decoding it fully.
   */
  partial?: boolean;
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

  constructor(limit: number, initial: number) {
    this.limit = limit;
    const size = Math.max(0, Math.min(limit, PREALLOC_MAX, Math.floor(initial)));
    this.buf = new Uint8Array(size);
  }

  /** Makes room for `n` more bytes after `pos`; throws once the limit would be exceeded. */
  ensure(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    if (need > this.limit) throw tooLarge(this.limit);
    let size = Math.max(this.buf.length * 2, 65536, need);
    if (size > this.limit) size = this.limit;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
  }

  /** Pre-allocation from a header-declared size: like ensure(), but only up to PREALLOC_MAX. */
  reserve(n: number): void {
    if (this.pos + n > this.buf.length && this.buf.length < PREALLOC_MAX) this.ensure(Math.min(n, PREALLOC_MAX - this.pos));
  }

  /** The bytes written so far; copies only if the buffer is much larger than the data. */
  result(): Uint8Array {
    if (this.pos === this.buf.length) return this.buf;
    if (this.buf.length - this.pos > (this.buf.length >>> 3)) return this.buf.slice(0, this.pos);
    return this.buf.subarray(0, this.pos);
  }
}
