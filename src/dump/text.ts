/**
 * ByteWriter: the output buffer shared by the dumpers (raw, JSON, C).
 *
 * Approach: one growing Uint8Array and a write position. Text is produced as bytes directly
 * (ASCII literals, decimal numbers, raw name bytes copied from a string table), so no JS
 * string is built per line and no UTF-8 round trip touches BTF names. With a sink, full
 * chunks are handed out as they fill and a fresh buffer is started, so the sink may keep
 * every chunk it receives.
 */

export type ByteSink = (chunk: Uint8Array) => void;

export interface ByteWriterOptions {
  /** Initial capacity in bytes (default 64 KiB). */
  capacity?: number;
  /** Streaming mode: receives each chunk once it holds at least `chunkSize` bytes. */
  sink?: ByteSink;
  /** Streaming chunk size (default 256 KiB). */
  chunkSize?: number;
}

const SCRATCH = new Uint8Array(24);

export class ByteWriter {
  buf: Uint8Array;
  pos = 0;
  private readonly sink: ByteSink | null;
  private readonly chunkSize: number;

  constructor(opts: ByteWriterOptions = {}) {
    this.sink = opts.sink ?? null;
    this.chunkSize = Math.max(64, opts.chunkSize ?? 256 * 1024);
    const cap = this.sink ? this.chunkSize + 4096 : Math.max(64, opts.capacity ?? 64 * 1024);
    this.buf = new Uint8Array(cap);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let cap = this.buf.length + (this.buf.length >>> 1);
    while (cap < this.pos + n) cap += cap >>> 1;
    const b = new Uint8Array(cap);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  /** In streaming mode, hands the buffered bytes to the sink once a chunk is full. */
  flushIfFull(): void {
    if (this.sink !== null && this.pos >= this.chunkSize) this.flush();
  }

  /** In streaming mode, hands all buffered bytes to the sink now. */
  flush(): void {
    if (this.sink === null || this.pos === 0) return;
    const out = this.buf.subarray(0, this.pos);
    this.buf = new Uint8Array(this.buf.length);
    this.pos = 0;
    this.sink(out);
  }

  /** One byte. */
  byte(c: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = c;
  }

  /** An ASCII (or Latin-1: one byte per UTF-16 unit) string. */
  ascii(s: string): void {
    const n = s.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** A short pre-encoded literal (all of `u`). */
  lit(u: Uint8Array): void {
    const n = u.length;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = u[i]!;
    this.pos = p;
  }

  /** Bytes src[start, end). */
  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.pos + n > this.buf.length) this.grow(n);
    const b = this.buf;
    if (n > 32) {
      b.set(src.subarray(start, end), this.pos);
      this.pos += n;
      return;
    }
    let p = this.pos;
    for (let i = start; i < end; i++) b[p++] = src[i]!;
    this.pos = p;
  }

  /**
   * The NUL-terminated byte string at src[start], stopping at `limit` if no NUL comes first
   * (C's printf("%s") on a string table entry). Returns the number of bytes written.
   */
  cstr(src: Uint8Array, start: number, limit = src.length): number {
    let b = this.buf;
    let cap = b.length;
    let p = this.pos;
    let i = start;
    for (; i < limit; i++) {
      const c = src[i]!;
      if (c === 0) break;
      if (p >= cap) {
        this.pos = p;
        this.grow(1);
        b = this.buf;
        cap = b.length;
      }
      b[p++] = c;
    }
    this.pos = p;
    return i - start;
  }

  /** Unsigned 32-bit decimal (printf %u); the argument is taken modulo 2^32. */
  u32(n: number): void {
    n = n >>> 0;
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const b = this.buf;
    const p = this.pos;
    if (n < 10) {
      b[p] = 48 + n;
      this.pos = p + 1;
      return;
    }
    const len = n < 100 ? 2 : n < 1000 ? 3 : n < 10000 ? 4 : n < 100000 ? 5 : n < 1000000 ? 6
      : n < 10000000 ? 7 : n < 100000000 ? 8 : n < 1000000000 ? 9 : 10;
    let q = p + len;
    while (n >= 10) {
      const d = n % 10;
      b[--q] = 48 + d;
      n = (n - d) / 10;
    }
    b[--q] = 48 + n;
    this.pos = p + len;
  }

  /** Signed 32-bit decimal (printf %d); the argument is taken as an int32. */
  i32(n: number): void {
    n = n | 0;
    if (n < 0) {
      this.byte(45);
      this.u32(-n);
    } else this.u32(n);
  }

  /** Unsigned 64-bit decimal (printf %llu); the argument is taken modulo 2^64. */
  u64(v: bigint): void {
    v = BigInt.asUintN(64, v);
    if (v <= 0xffffffffn) {
      this.u32(Number(v));
      return;
    }
    this.digits64(v);
  }

  /** Signed 64-bit decimal (printf %lld); the argument is taken as an int64. */
  i64(v: bigint): void {
    v = BigInt.asIntN(64, v);
    if (v < 0n) {
      this.byte(45);
      v = -v;
    }
    if (v <= 0xffffffffn) this.u32(Number(v));
    else this.digits64(v);
  }

  /** Unsigned decimal of a non-negative safe integer (up to 2^53). */
  uint(n: number): void {
    if (n <= 0xffffffff) {
      this.u32(n);
      return;
    }
    const s = SCRATCH;
    let i = s.length;
    while (n >= 10) {
      const d = n % 10;
      s[--i] = 48 + d;
      n = (n - d) / 10;
    }
    s[--i] = 48 + n;
    this.bytes(s, i, s.length);
  }

  private digits64(v: bigint): void {
    if (v <= 0x1fffffffffffffn) {
      this.uint(Number(v));
      return;
    }
    // High part (< 2^64 / 1e10 < 2^53) then ten zero-padded low digits.
    const hi = v / 10000000000n;
    let lo = Number(v - hi * 10000000000n);
    this.uint(Number(hi));
    if (this.pos + 10 > this.buf.length) this.grow(10);
    const b = this.buf;
    for (let i = this.pos + 9; i >= this.pos; i--) {
      const d = lo % 10;
      b[i] = 48 + d;
      lo = (lo - d) / 10;
    }
    this.pos += 10;
  }

  /** Length of the text written so far (excluding chunks already handed to a sink). */
  get length(): number {
    return this.pos;
  }

  /**
   * Ends the output. Without a sink: the bytes written (trimmed to size when the buffer is
   * much larger). With a sink: flushes the rest and returns an empty array.
   */
  finish(): Uint8Array {
    if (this.sink !== null) {
      this.flush();
      return new Uint8Array(0);
    }
    const n = this.pos;
    if (this.buf.length > 2 * n + 65536) return this.buf.slice(0, n);
    return this.buf.subarray(0, n);
  }
}
