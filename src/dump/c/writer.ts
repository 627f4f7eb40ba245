/**
 * A growable byte buffer for the C emitter.
 *
 * Approach: output is built as bytes, never as JS strings. Numbers are formatted digit by
 * digit and literal text is written char by char (all of it is ASCII). Type and member names
 * are copied straight from the BTF string table (`str`): the writer's memory holds a copy of
 * the string table in front of the output, so a name is one native `copyWithin` inside one
 * buffer (a vmlinux header copies ~100k names; a `subarray` view per copy made megabytes of
 * garbage). A whole vmlinux header is about 2.3 MB, so the buffer starts large and doubles
 * when needed.
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
  /** The output so far is buf[0, len). buf is a view of `mem` after the string table copy. */
  buf: Uint8Array;
  len = 0;
  /** Most bytes the output may hold (see MAX_OUTPUT); going beyond throws a BtfkitError. */
  readonly limit: number;
  /** Copy of the string table (bytes [0, base)), then the output. */
  private mem: Uint8Array;
  private readonly base: number;

  /** `strings`: the string table that str() copies names from (none: str() is unusable). */
  constructor(initial = 1 << 16, limit = MAX_OUTPUT, private readonly strings: Uint8Array = new Uint8Array(0)) {
    this.limit = Math.max(64, Math.min(limit, MAX_OUTPUT_HARD));
    this.base = strings.length;
    this.mem = new Uint8Array(this.base + Math.max(64, Math.min(initial, this.limit)));
    this.mem.set(strings);
    this.buf = this.mem.subarray(this.base);
  }

  /** Makes room for `n` more bytes; throws a BtfkitError (E2BIG) when the output would exceed `limit`. */
  ensure(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    if (need > this.limit) throw outputTooBig(this.limit);
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    if (cap > this.limit) cap = this.limit;
    const m = new Uint8Array(this.base + cap);
    m.set(this.mem.subarray(0, this.base + this.len));
    this.mem = m;
    this.buf = m.subarray(this.base);
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
    // Native search and copy, no allocation: cheap even before the JIT has warmed up.
    const strings = this.strings;
    let e = strings.indexOf(0, off);
    if (e < 0) e = strings.length;
    if (e - off > max) e = off + max;
    const n = e - off;
    if (n <= 0) return 0;
    if (this.len + n > this.buf.length) this.ensure(n);
    this.mem.copyWithin(this.base + this.len, off, e);
    this.len += n;
    return n;
  }

  /** Appends a copy of bytes [start, start + n) already written. */
  copyOwn(start: number, n: number): void {
    if (this.len + n > this.buf.length) this.ensure(n);
    this.buf.copyWithin(this.len, start, start + n);
    this.len += n;
  }

  /** Pre-encoded literal bytes. */
  lit(b: Uint8Array): void {
    const n = b.length;
    if (this.len + n > this.buf.length) this.ensure(n);
    this.buf.set(b, this.len);
    this.len += n;
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
