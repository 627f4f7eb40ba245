/**
 * LZMA ("LZMA1") and LZMA2 decoders, pure TypeScript.
 *
 * Approach: a straight port of the decoder described by the LZMA SDK (lzma.txt / LzmaDec.c)
 * and xz-embedded (xz_dec_lzma2.c): a binary range decoder driving adaptive 11-bit
 * probabilities for literals (with "matched literal" coding after a match), match/rep
 * lengths and distances (6-bit slot + reverse bit-tree / direct bits + 4 align bits).
 * The whole result is decoded into one flat buffer (OutputBuffer), so the dictionary is
 * the output itself; a distance reaching before the last dictionary reset or beyond the
 * declared dictionary size is corrupt data.
 *
 * Containers handled here:
 *  - `.lzma` / LZMA-alone (what `lzma -9` and the kernel's CONFIG_KERNEL_LZMA write):
 *    13-byte header = properties byte (lc/lp/pb), dictionary size (LE32), uncompressed
 *    size (LE64, all ones = unknown, then an end-of-stream marker ends the data).
 *    Reference behaviour: `xz --format=lzma -d`; bytes after the end are ignored, as the
 *    kernel's appended 4-byte size must be.
 *  - LZMA2 (the xz filter 0x21): a sequence of chunks (control byte 0x00 = end,
 *    0x01/0x02 = stored chunk with/without dictionary reset, 0x80..0xFF = LZMA chunk with
 *    state / properties / dictionary reset levels), each LZMA chunk restarting the range
 *    decoder; see xz-file-format and xz_dec_lzma2.c. Used by xz.ts.
 *
 * Every malformed input raises BtfkitError('IMAGE'); reading past the input is detected
 * (typed-array reads beyond the end yield 0 and are checked once per symbol).
 */

import { Errno } from '../errors.js';
import { type DecodeOptions, OutputBuffer, imageError, outputLimit, tooLarge } from './output.js';

const NUM_STATES = 12;
const POS_STATES_MAX = 16;
const MATCH_LEN_MIN = 2;
const DIST_STATES = 4;
const DIST_SLOTS = 64;
const DIST_MODEL_START = 4;
const DIST_MODEL_END = 14;
const FULL_DISTANCES = 128;
const ALIGN_SIZE = 16;
const PROB_INIT = 1024;

// Length coder layout inside one Uint16Array.
const LEN_CHOICE = 0;
const LEN_CHOICE2 = 1;
const LEN_LOW = 2; // [posState][8]
const LEN_MID = LEN_LOW + POS_STATES_MAX * 8; // [posState][8]
const LEN_HIGH = LEN_MID + POS_STATES_MAX * 8; // [256]
const LEN_SIZE = LEN_HIGH + 256;

/** Properties byte → [lc, lp, pb]; undefined when out of range (>= 9*5*5). */
export function decodeLzmaProps(b: number): [number, number, number] | undefined {
  if (b >= 9 * 5 * 5) return undefined;
  const lc = b % 9;
  const rest = (b / 9) | 0;
  return [lc, rest % 5, (rest / 5) | 0];
}

/** The core LZMA decoder; state survives across LZMA2 chunks. */
export class LzmaDecoder {
  private input: Uint8Array;
  private inPos = 0;
  private range = 0;
  private code = 0;

  readonly out: OutputBuffer;
  dictStart = 0;
  dictSize: number;

  private lc = 0;
  private lpMask = 0;
  private pbMask = 0;
  private literal: Uint16Array = new Uint16Array(0x300);
  private readonly isMatch = new Uint16Array(NUM_STATES * POS_STATES_MAX);
  private readonly isRep = new Uint16Array(NUM_STATES);
  private readonly isRepG0 = new Uint16Array(NUM_STATES);
  private readonly isRepG1 = new Uint16Array(NUM_STATES);
  private readonly isRepG2 = new Uint16Array(NUM_STATES);
  private readonly isRep0Long = new Uint16Array(NUM_STATES * POS_STATES_MAX);
  private readonly distSlot = new Uint16Array(DIST_STATES * DIST_SLOTS);
  private readonly distSpecial = new Uint16Array(FULL_DISTANCES - DIST_MODEL_END);
  private readonly align = new Uint16Array(ALIGN_SIZE);
  private readonly matchLen = new Uint16Array(LEN_SIZE);
  private readonly repLen = new Uint16Array(LEN_SIZE);

  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;

  constructor(input: Uint8Array, out: OutputBuffer, dictSize: number) {
    this.input = input;
    this.out = out;
    this.dictSize = dictSize;
  }

  get inputPos(): number {
    return this.inPos;
  }

  setProps(lc: number, lp: number, pb: number): void {
    this.lc = lc;
    this.lpMask = (1 << lp) - 1;
    this.pbMask = (1 << pb) - 1;
    const n = 0x300 << (lc + lp);
    if (this.literal.length !== n) this.literal = new Uint16Array(n);
  }

  /** State reset: all probabilities to 1/2, state and reps to 0. */
  resetState(): void {
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
    this.literal.fill(PROB_INIT);
    this.isMatch.fill(PROB_INIT);
    this.isRep.fill(PROB_INIT);
    this.isRepG0.fill(PROB_INIT);
    this.isRepG1.fill(PROB_INIT);
    this.isRepG2.fill(PROB_INIT);
    this.isRep0Long.fill(PROB_INIT);
    this.distSlot.fill(PROB_INIT);
    this.distSpecial.fill(PROB_INIT);
    this.align.fill(PROB_INIT);
    this.matchLen.fill(PROB_INIT);
    this.repLen.fill(PROB_INIT);
  }

  /** Starts the range decoder at `pos` (5 bytes: a zero byte, then the big-endian code). */
  rcInit(pos: number, end: number): void {
    if (pos + 5 > end) throw imageError('truncated LZMA data (range coder init)', pos);
    if (this.input[pos] !== 0) throw imageError('corrupt LZMA data (range coder init byte is not 0)', pos);
    const b = this.input;
    this.code = (b[pos + 1]! << 24) | (b[pos + 2]! << 16) | (b[pos + 3]! << 8) | b[pos + 4]!;
    this.range = -1; // 0xffffffff
    this.inPos = pos + 5;
    if (this.code === -1) throw imageError('corrupt LZMA data (range coder init)', pos);
  }

  /** True when the range decoder ended cleanly (LZMA2 requires code == 0 at a chunk end). */
  rcFinishedCleanly(): boolean {
    return this.code === 0;
  }

  // range and code are kept as int32 (their uint32 value's bit pattern) so that V8 stores
  // them as small integers; unsigned comparisons flip the sign bit first.
  private bit(p: Uint16Array, i: number): number {
    const prob = p[i]!;
    const bound = Math.imul(this.range >>> 11, prob);
    let b: number;
    if ((this.code ^ 0x80000000) < (bound ^ 0x80000000)) {
      this.range = bound;
      p[i] = prob + ((2048 - prob) >>> 5);
      b = 0;
    } else {
      this.range = (this.range - bound) | 0;
      this.code = (this.code - bound) | 0;
      p[i] = prob - (prob >>> 5);
      b = 1;
    }
    if ((this.range & 0xff000000) === 0) {
      this.range <<= 8;
      this.code = (this.code << 8) | this.input[this.inPos++]!;
    }
    return b;
  }

  private bitTree(p: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) | this.bit(p, base + m);
    return m - (1 << bits);
  }

  private bitTreeReverse(p: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(p, base + m);
      m = (m << 1) | b;
      sym |= b << i;
    }
    return sym;
  }

  private directBits(count: number): number {
    let res = 0;
    for (let i = 0; i < count; i++) {
      this.range = this.range >>> 1;
      let b = 0;
      if ((this.code ^ 0x80000000) >= (this.range ^ 0x80000000)) {
        this.code = (this.code - this.range) | 0;
        b = 1;
      }
      res = ((res << 1) | b) >>> 0;
      if ((this.range & 0xff000000) === 0) {
        this.range <<= 8;
        this.code = (this.code << 8) | this.input[this.inPos++]!;
      }
    }
    return res;
  }

  private decodeLen(p: Uint16Array, posState: number): number {
    if (this.bit(p, LEN_CHOICE) === 0) return MATCH_LEN_MIN + this.bitTree(p, LEN_LOW + (posState << 3), 3);
    if (this.bit(p, LEN_CHOICE2) === 0) return MATCH_LEN_MIN + 8 + this.bitTree(p, LEN_MID + (posState << 3), 3);
    return MATCH_LEN_MIN + 16 + this.bitTree(p, LEN_HIGH, 8);
  }

  private decodeDist(len: number): number {
    const lenState = len - MATCH_LEN_MIN < DIST_STATES - 1 ? len - MATCH_LEN_MIN : DIST_STATES - 1;
    const slot = this.bitTree(this.distSlot, lenState * DIST_SLOTS, 6);
    if (slot < DIST_MODEL_START) return slot;
    const numDirect = (slot >>> 1) - 1;
    let dist = (2 | (slot & 1)) * (1 << numDirect);
    if (slot < DIST_MODEL_END) {
      dist += this.bitTreeReverse(this.distSpecial, dist - slot - 1, numDirect);
    } else {
      dist += this.directBits(numDirect - 4) * ALIGN_SIZE;
      dist += this.bitTreeReverse(this.align, 0, 4);
    }
    return dist;
  }

  /**
   * Decodes symbols until the output reaches `outEnd` or an end marker is found.
   * `inEnd` bounds the input (reading past it means corrupt or truncated data).
   * `outEndIsCap`: `outEnd` is the output size limit rather than a known size, so a match
   * running past it means "too large" rather than "corrupt".
   * `stopAt` < outEnd (probe mode) stops early, cutting a match, once stopAt bytes exist.
   * Returns 'end' after an end-of-stream marker, 'input' when the input ran out, else 'full'.
   */
  decode(outEnd: number, inEnd: number, allowEndMarker: boolean, outEndIsCap: boolean, stopAt = outEnd): 'end' | 'full' | 'input' {
    const out = this.out;
    let buf = out.buf;
    let pos = out.pos;
    const limit = Math.min(outEnd, stopAt);
    let growAt = buf.length >= limit ? Infinity : buf.length - 274;
    const lc = this.lc;
    const lcShift = 8 - lc;
    const lpMask = this.lpMask;
    const pbMask = this.pbMask;
    const literal = this.literal;
    const isMatch = this.isMatch;
    let state = this.state;
    let result: 'end' | 'full' | 'input' = 'full';

    while (pos < limit) {
      if (this.inPos > inEnd) {
        result = 'input';
        break;
      }
      if (pos > growAt) {
        out.pos = pos;
        out.ensure(Math.min(274, limit - pos));
        buf = out.buf;
        growAt = buf.length >= limit ? Infinity : buf.length - 274;
      }
      const posState = pos & pbMask;
      if (this.bit(isMatch, (state << 4) + posState) === 0) {
        // literal
        const prev = pos > this.dictStart ? buf[pos - 1]! : 0;
        const base = 0x300 * (((pos & lpMask) << lc) + (prev >>> lcShift));
        let sym = 1;
        if (state < 7) {
          do sym = (sym << 1) | this.bit(literal, base + sym);
          while (sym < 0x100);
          state = state < 4 ? 0 : state - 3;
        } else {
          let matchByte = buf[pos - this.rep0 - 1]!;
          let offs = 0x100;
          do {
            matchByte <<= 1;
            const mbit = matchByte & offs;
            const b = this.bit(literal, base + offs + mbit + sym);
            sym = (sym << 1) | b;
            offs = b ? offs & mbit : offs & ~mbit;
          } while (sym < 0x100);
          state = state < 10 ? state - 3 : state - 6;
        }
        buf[pos++] = sym & 0xff;
        continue;
      }
      let len: number;
      if (this.bit(this.isRep, state) === 0) {
        // simple match
        len = this.decodeLen(this.matchLen, posState);
        state = state < 7 ? 7 : 10;
        const dist = this.decodeDist(len);
        if (dist === 0xffffffff) {
          if (!allowEndMarker) throw imageError('corrupt LZMA data (unexpected end marker)', this.inPos);
          result = 'end';
          break;
        }
        this.rep3 = this.rep2;
        this.rep2 = this.rep1;
        this.rep1 = this.rep0;
        this.rep0 = dist;
      } else {
        if (this.bit(this.isRepG0, state) === 0) {
          if (this.bit(this.isRep0Long, (state << 4) + posState) === 0) {
            // short rep: one byte at rep0
            if (this.rep0 >= pos - this.dictStart) throw imageError('corrupt LZMA data (distance beyond dictionary)', this.inPos);
            state = state < 7 ? 9 : 11;
            buf[pos] = buf[pos - this.rep0 - 1]!;
            pos++;
            continue;
          }
        } else {
          let dist: number;
          if (this.bit(this.isRepG1, state) === 0) {
            dist = this.rep1;
          } else {
            if (this.bit(this.isRepG2, state) === 0) {
              dist = this.rep2;
            } else {
              dist = this.rep3;
              this.rep3 = this.rep2;
            }
            this.rep2 = this.rep1;
          }
          this.rep1 = this.rep0;
          this.rep0 = dist;
        }
        len = this.decodeLen(this.repLen, posState);
        state = state < 7 ? 8 : 11;
      }
      const rep0 = this.rep0;
      if (rep0 >= pos - this.dictStart || rep0 >= this.dictSize) {
        throw imageError('corrupt LZMA data (distance beyond dictionary)', this.inPos);
      }
      let n = len;
      if (pos + n > limit) {
        if (limit < outEnd) n = limit - pos; // probe mode: cut the match
        else if (outEndIsCap) throw tooLarge(this.out.limit);
        else throw imageError('corrupt LZMA data (match runs past the end of the data)', this.inPos);
      }
      let src = pos - rep0 - 1;
      if (rep0 + 1 >= n) {
        buf.copyWithin(pos, src, src + n);
        pos += n;
      } else {
        const end = pos + n;
        while (pos < end) buf[pos++] = buf[src++]!;
      }
    }
    this.state = state;
    out.pos = pos;
    if (result === 'full' && this.inPos > inEnd) result = 'input';
    return result;
  }
}

/** Parsed 13-byte header of an LZMA-alone (`.lzma`) stream. */
export interface LzmaAloneHeader {
  lc: number;
  lp: number;
  pb: number;
  dictSize: number;
  /** Uncompressed size, or undefined when the header says "unknown" (all ones). */
  size: number | undefined;
}

export function parseLzmaAloneHeader(bytes: Uint8Array, offset = 0): LzmaAloneHeader | undefined {
  if (bytes.length < offset + 13) return undefined;
  const props = decodeLzmaProps(bytes[offset]!);
  if (!props) return undefined;
  const d = bytes[offset + 1]! | (bytes[offset + 2]! << 8) | (bytes[offset + 3]! << 16) | (bytes[offset + 4]! << 24);
  const dictSize = d >>> 0;
  let allOnes = true;
  for (let i = 5; i < 13; i++) if (bytes[offset + i] !== 0xff) allOnes = false;
  let size: number | undefined;
  if (!allOnes) {
    const lo = (bytes[offset + 5]! | (bytes[offset + 6]! << 8) | (bytes[offset + 7]! << 16) | (bytes[offset + 8]! << 24)) >>> 0;
    const hi = (bytes[offset + 9]! | (bytes[offset + 10]! << 8) | (bytes[offset + 11]! << 16) | (bytes[offset + 12]! << 24)) >>> 0;
    if (hi >= 0x200000) return undefined; // beyond 2^53: not a plausible size
    size = hi * 0x100000000 + lo;
  }
  return { lc: props[0], lp: props[1], pb: props[2], dictSize, size };
}

/** Decodes an LZMA-alone (`.lzma`) stream starting at offset 0 of `bytes`. */
export function decodeLzmaAlone(bytes: Uint8Array, opts: DecodeOptions = {}): Uint8Array {
  const limit = outputLimit(opts);
  const h = parseLzmaAloneHeader(bytes);
  if (!h) throw imageError(bytes.length < 13 ? 'truncated LZMA header' : 'invalid LZMA header (properties byte)', 0);
  const partial = opts.partial === true;
  if (h.size !== undefined && h.size > limit && !partial) throw tooLarge(limit);
  const dictSize = Math.max(h.dictSize, 4096);
  const hint = h.size ?? opts.sizeHint ?? bytes.length * 4;
  const out = new OutputBuffer(limit, Math.min(hint, limit), opts.stats);
  const dec = new LzmaDecoder(bytes, out, dictSize);
  dec.setProps(h.lc, h.lp, h.pb);
  dec.resetState();
  if (partial && bytes.length < 18) return new Uint8Array(0);
  dec.rcInit(13, bytes.length);
  const r = partial
    ? dec.decode(h.size ?? Infinity, bytes.length, true, false, limit)
    : dec.decode(h.size ?? limit, bytes.length, true, h.size === undefined);
  if (r === 'input' && !partial) throw imageError('truncated LZMA data', bytes.length, Errno.EIO);
  if (r === 'full' && h.size === undefined && !partial) throw tooLarge(limit);
  if (r === 'end' && h.size !== undefined && out.pos !== h.size) {
    throw imageError('corrupt LZMA data (end marker before the declared size)', dec.inputPos);
  }
  return out.result();
}

/** Dictionary size from the LZMA2 filter property byte (xz-file-format §5.3.1). */
export function lzma2DictSize(prop: number): number | undefined {
  const bits = prop & 0x3f;
  if (prop & 0xc0 || bits > 40) return undefined;
  if (bits === 40) return 0xffffffff;
  return (2 | (bits & 1)) * 2 ** ((bits >>> 1) + 11);
}

export interface Lzma2Result {
  /** Input position just after the LZMA2 end byte (or where decoding stopped). */
  inPos: number;
  /** False when decoding stopped early (probe mode, or input exhausted in probe mode). */
  complete: boolean;
}

/**
 * Decodes one LZMA2 stream from input[start, inEnd) appending to `out`.
 * With `stopAt`, stops quietly once out.pos >= stopAt or the input ends (probe mode).
 */
export function decodeLzma2(
  input: Uint8Array,
  start: number,
  inEnd: number,
  out: OutputBuffer,
  dictSize: number,
  stopAt?: number,
): Lzma2Result {
  const dec = new LzmaDecoder(input, out, dictSize);
  const probe = stopAt !== undefined;
  let pos = start;
  let needDictReset = true;
  let needProps = true;
  for (;;) {
    if (probe && out.pos >= stopAt) return { inPos: pos, complete: false };
    if (pos >= inEnd) {
      if (probe) return { inPos: pos, complete: false };
      throw imageError('truncated LZMA2 data', pos, Errno.EIO);
    }
    const control = input[pos]!;
    if (control === 0x00) return { inPos: pos + 1, complete: true };
    if (control >= 0xe0 || control === 0x01) {
      needProps = true;
      needDictReset = false;
      dec.dictStart = out.pos;
    } else if (needDictReset) {
      throw imageError('corrupt LZMA2 data (first chunk does not reset the dictionary)', pos);
    }
    if (control >= 0x80) {
      const hdr = control >= 0xc0 ? 6 : 5;
      if (pos + hdr > inEnd) {
        if (probe) return { inPos: pos, complete: false };
        throw imageError('truncated LZMA2 chunk header', pos, Errno.EIO);
      }
      const unpacked = (control & 0x1f) * 65536 + (input[pos + 1]! << 8) + input[pos + 2]! + 1;
      const packed = (input[pos + 3]! << 8) + input[pos + 4]! + 1;
      if (control >= 0xc0) {
        const props = decodeLzmaProps(input[pos + 5]!);
        if (!props || props[0] + props[1] > 4) throw imageError('corrupt LZMA2 data (invalid properties)', pos + 5);
        dec.setProps(props[0], props[1], props[2]);
        needProps = false;
      } else if (needProps) {
        throw imageError('corrupt LZMA2 data (missing properties)', pos);
      }
      if (control >= 0xa0) dec.resetState();
      pos += hdr;
      const chunkEnd = pos + packed;
      if (chunkEnd > inEnd && !probe) throw imageError('truncated LZMA2 chunk', pos, Errno.EIO);
      const end = Math.min(chunkEnd, inEnd);
      if (out.pos + unpacked > out.limit && !probe) throw tooLarge(out.limit);
      dec.rcInit(pos, end);
      const outEnd = out.pos + unpacked;
      if (probe) {
        dec.decode(outEnd, end, false, false, Math.min(stopAt, outEnd));
        if (out.pos < outEnd) return { inPos: dec.inputPos, complete: false };
      } else {
        out.ensure(unpacked);
        const r = dec.decode(outEnd, end, false, false);
        if (r !== 'full' || out.pos !== outEnd || dec.inputPos !== chunkEnd || !dec.rcFinishedCleanly()) {
          throw imageError('corrupt LZMA2 data (chunk does not end where its header says)', pos);
        }
      }
      pos = chunkEnd;
    } else if (control === 0x01 || control === 0x02) {
      if (pos + 3 > inEnd) {
        if (probe) return { inPos: pos, complete: false };
        throw imageError('truncated LZMA2 chunk header', pos, Errno.EIO);
      }
      const size = (input[pos + 1]! << 8) + input[pos + 2]! + 1;
      pos += 3;
      let n = size;
      if (pos + n > inEnd) {
        if (!probe) throw imageError('truncated LZMA2 stored chunk', pos, Errno.EIO);
        n = inEnd - pos;
      }
      if (probe) n = Math.min(n, Math.max(0, stopAt - out.pos));
      else if (out.pos + n > out.limit) throw tooLarge(out.limit);
      out.ensure(n);
      out.buf.set(input.subarray(pos, pos + n), out.pos);
      out.pos += n;
      if (n < size) return { inPos: pos + n, complete: false };
      pos += size;
    } else {
      throw imageError(`corrupt LZMA2 data (invalid control byte 0x${control.toString(16)})`, pos);
    }
  }
}
