/**
 * A growable byte buffer for the C emitter.
 *
 * Approach: output is built as bytes, never as JS strings. Numbers are formatted digit by
 * digit and literal text is written char by char (all of it is ASCII). Type and member names
 * are copied straight from the BTF string table (`str`), byte by byte: a vmlinux header copies
 * ~100k names of ~15 bytes, for which a loop costs less than native calls (a `subarray` view
 * per copy also made megabytes of garbage). A whole vmlinux header is about 2.3 MB, so the
 * buffer starts large and doubles when needed.
 */

import { BtfkitError, Errno } from '../../errors.js';

/**
 * Default cap of the C output: 256 MiB (like the decompression caps). A whole vmlinux header
 * is 2-3 MB; only BTF claiming absurd sizes (padding for huge structs) gets near it, and is
 * refused instead of exhausting memory.
 */
export const MAX_OUTPUT = 256 << 20;
/** No option can raise the cap beyond this (typed arrays of 2 GiB and more are not portable). */
const MAX_OUTPUT_HARD = 0x7fff0000;

export function outputTooBig(limit: number): BtfkitError {
  return new BtfkitError('BTF_INVALID', `C output would exceed the limit of ${limit} bytes (type sizes in the BTF are not plausible)`, {
    errno: Errno.E2BIG,
  });
}

export class CWriter {
  /** The output so far is buf[0, len). */
  buf: Uint8Array;
  len = 0;
  /** Most bytes the output may hold (see MAX_OUTPUT); going beyond throws a BtfkitError. */
  readonly limit: number;

  /** `strings`: the string table that str() copies names from. */
  constructor(initial = 1 << 16, limit = MAX_OUTPUT, private readonly strings: Uint8Array = new Uint8Array(0)) {
    this.limit = Math.max(64, Math.min(limit, MAX_OUTPUT_HARD));
    this.buf = new Uint8Array(Math.max(64, Math.min(initial, this.limit)));
  }

  /** Makes room for `n` more bytes; throws a BtfkitError (E2BIG) when the output would exceed `limit`. */
  ensure(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    if (need > this.limit) throw outputTooBig(this.limit);
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    if (cap > this.limit) cap = this.limit;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.len));
    this.buf = b;
  }

  byte(c: number): void {
    if (this.len === this.buf.length) this.ensure(1);
    this.buf[this.len++] = c;
  }

  /** ASCII (or latin1) text; every char code must be < 256. */
  text(s: string): void {
    const n = s.length;
    if (this.len + n > this.buf.length) this.ensure(n);
    const b = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.len = p;
  }

  /** Bytes src[start, end). */
  bytes(src: Uint8Array, start: number, end: number): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.len + n > this.buf.length) this.ensure(n);
    if (n < 32) {
      const b = this.buf;
      let p = this.len;
      for (let i = start; i < end; i++) b[p++] = src[i]!;
      this.len = p;
    } else {
      this.buf.set(src.subarray(start, end), this.len);
      this.len += n;
    }
  }

  /**
   * The NUL-terminated string at offset `off` of the string table (without the NUL; up to
   * the table's end when there is none), at most `max` bytes. Returns its length.
   */
  str(off: number, max = 0x7fffffff): number {
    // A plain loop: names are short (~15 bytes), and the native indexOf + copyWithin pair,
    // both C++ builtins, costs more per call than copying them byte by byte.
    const S = this.strings;
    let end = off + max;
    if (end > S.length || end < off) end = S.length;
    let b = this.buf;
    let cap = b.length;
    let p = this.len;
    let i = off;
    for (; i < end; i++) {
      const c = S[i]!;
      if (c === 0) break;
      if (p === cap) {
        this.len = p;
        this.ensure(1);
        b = this.buf;
        cap = b.length;
      }
      b[p++] = c;
    }
    this.len = p;
    return i - off;
  }

  /** Appends a copy of bytes [start, start + n) already written. */
  copyOwn(start: number, n: number): void {
    if (this.len + n > this.buf.length) this.ensure(n);
    const b = this.buf;
    if (n > 1 << 16) {
      // Only the padding of a struct with a gap of hundreds of KB (not plausible BTF).
      b.copyWithin(this.len, start, start + n);
      this.len += n;
      return;
    }
    // Declarations (`struct list_head *`) and padding lines: short, for which a loop costs
    // less than the native call.
    let p = this.len;
    for (let i = start, e = start + n; i < e; i++) b[p++] = b[i]!;
    this.len = p;
  }

  /** Pre-encoded literal bytes (short). */
  lit(l: Uint8Array): void {
    const n = l.length;
    if (this.len + n > this.buf.length) this.ensure(n);
    const b = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) b[p++] = l[i]!;
    this.len = p;
  }

  /** `n` tab characters. */
  tabs(n: number): void {
    if (n <= 0) return;
    if (this.len + n > this.buf.length) this.ensure(n);
    const b = this.buf;
    let p = this.len;
    for (let i = 0; i < n; i++) b[p++] = 9;
    this.len = p;
  }

  /** A newline, then `n` tab characters. */
  nlTabs(n: number): void {
    if (this.len + n + 1 > this.buf.length) this.ensure(n + 1);
    const b = this.buf;
    let p = this.len;
    b[p++] = 10;
    for (let i = 0; i < n; i++) b[p++] = 9;
    this.len = p;
  }

  /** Unsigned decimal (0 <= v < 2^53). */
  uint(v: number): void {
    if (v < 10) {
      this.byte(48 + v);
      return;
    }
    if (this.len + 20 > this.buf.length) this.ensure(20);
    const b = this.buf;
    let digits = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) digits++;
    let p = this.len + digits;
    this.len = p;
    let t = v;
    while (t >= 10) {
      const q = Math.floor(t / 10);
      b[--p] = 48 + (t - q * 10);
      t = q;
    }
    b[--p] = 48 + t;
  }

  /** Signed decimal. */
  int(v: number): void {
    if (v < 0) {
      this.byte(45);
      this.uint(-v);
    } else this.uint(v);
  }

  /** Decimal of a bigint. */
  big(v: bigint): void {
    this.text(v.toString());
  }

  /** A copy of the bytes written so far. */
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /** Forgets everything written. */
  reset(): void {
    this.len = 0;
  }
}
