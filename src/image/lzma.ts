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
import { type DecodeOptions, OutputBuffer, imageError, outputLimit, tooLarge, trustedPrealloc } from './output.js';

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

// All probabilities live in one Uint16Array (as LzmaDec.c's CLzmaProb array), at these offsets.
const LEN_CHOICE = 0;
const LEN_CHOICE2 = 1;
const LEN_LOW = 2; // [posState][8]
const LEN_MID = LEN_LOW + POS_STATES_MAX * 8; // [posState][8]
const LEN_HIGH = LEN_MID + POS_STATES_MAX * 8; // [256]
const LEN_SIZE = LEN_HIGH + 256;
const IS_MATCH = 0; // [state][posState]
const IS_REP = IS_MATCH + NUM_STATES * POS_STATES_MAX;
const IS_REP_G0 = IS_REP + NUM_STATES;
const IS_REP_G1 = IS_REP_G0 + NUM_STATES;
const IS_REP_G2 = IS_REP_G1 + NUM_STATES;
const IS_REP0_LONG = IS_REP_G2 + NUM_STATES; // [state][posState]
const DIST_SLOT = IS_REP0_LONG + NUM_STATES * POS_STATES_MAX; // [lenState][64]
const DIST_SPECIAL = DIST_SLOT + DIST_STATES * DIST_SLOTS;
const ALIGN = DIST_SPECIAL + FULL_DISTANCES - DIST_MODEL_END;
const MATCH_LEN = ALIGN + ALIGN_SIZE;
const REP_LEN = MATCH_LEN + LEN_SIZE;
const LITERAL = REP_LEN + LEN_SIZE; // [(pos & lpMask) << lc | prev >> (8 - lc)][0x300]

/** Properties byte → [lc, lp, pb]; undefined when out of range (>= 9*5*5). */
export function decodeLzmaProps(b: number): [number, number, number] | undefined {
  if (b >= 9 * 5 * 5) return undefined;
  const lc = b % 9;
  const rest = (b / 9) | 0;
  return [lc, rest % 5, (rest / 5) | 0];
}

/**
 * The core LZMA decoder; state survives across LZMA2 chunks.
 *
 * Speed: decode() keeps the range coder (range, code, input position), the state and the
 * reps in local variables and spells out every bit decoding in place (what the C decoders
 * do with macros) instead of a method call per bit on fields and per-table arrays: the 4229
 * .ko.xz modules of Debian 6.12.107 decode in ~8.6 s of CPU instead of ~10.0 (the one large
 * xz vmlinux ~equal).
 * range and code are kept as int32 (their uint32 value's bit pattern) so that V8 keeps them
 * in integer registers; unsigned comparisons flip the sign bit first.
 */
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
  private probs: Uint16Array = new Uint16Array(LITERAL + 0x300);

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
    const n = LITERAL + (0x300 << (lc + lp));
    if (this.probs.length !== n) this.probs = new Uint16Array(n);
  }

  /** State reset: all probabilities to 1/2, state and reps to 0. */
  resetState(): void {
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
    this.probs.fill(PROB_INIT);
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

  /**
   * Decodes symbols until the output reaches `outEnd` or an end marker is found.
   * `inEnd` bounds the input (reading past it means corrupt or truncated data; reads past the
   * array yield undefined → 0 and are caught by the check once per symbol).
   * `outEndIsCap`: `outEnd` is the output size limit rather than a known size, so a match
   * running past it means "too large" rather than "corrupt".
   * `stopAt` < outEnd (probe mode) stops early, cutting a match, once stopAt bytes exist.
   * Returns 'end' after an end-of-stream marker, 'input' when the input ran out, else 'full'.
   * Every `prob = p[i]` block below is one binary decision of the range decoder (LzmaDec.c's
   * IF_BIT_0 / UPDATE_0 / UPDATE_1 / NORMALIZE).
   */
  decode(outEnd: number, inEnd: number, allowEndMarker: boolean, outEndIsCap: boolean, stopAt = outEnd): 'end' | 'full' | 'input' {
    const out = this.out;
    let buf = out.buf;
    let pos = out.pos | 0;
    const limit = Math.min(outEnd, stopAt);
    let growAt = buf.length >= limit ? Infinity : buf.length - 274;
    const input = this.input;
    const p = this.probs;
    const lc = this.lc | 0;
    const lcShift = 8 - lc;
    const lpMask = this.lpMask | 0;
    const pbMask = this.pbMask | 0;
    const dictStart = this.dictStart | 0;
    const dictMax = Math.min(this.dictSize, 0x7fffffff) | 0;
    let range = this.range | 0;
    let code = this.code | 0;
    let inPos = this.inPos | 0;
    let state = this.state | 0;
    let rep0 = this.rep0 | 0;
    let rep1 = this.rep1 | 0;
    let rep2 = this.rep2 | 0;
    let rep3 = this.rep3 | 0;
    let result: 'end' | 'full' | 'input' = 'full';
    let prob = 0;
    let bound = 0;
    let i = 0;
    let m = 0;

    while (pos < limit) {
      if (inPos > inEnd) {
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
      i = IS_MATCH + (state << 4) + posState;
      prob = p[i]!;
      bound = Math.imul(range >>> 11, prob);
      if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
        range = bound;
        p[i] = prob + ((2048 - prob) >>> 5);
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++]!;
        }
        // literal
        const prev = pos > dictStart ? buf[pos - 1]! : 0;
        const base = LITERAL + 0x300 * (((pos & lpMask) << lc) + (prev >>> lcShift));
        m = 1;
        if (state < 7) {
          do {
            i = base + m;
            prob = p[i]!;
            bound = Math.imul(range >>> 11, prob);
            const bit = +((code ^ 0x80000000) >= (bound ^ 0x80000000));
            const mask = -bit;
            range = bound ^ ((((range - bound) | 0) ^ bound) & mask);
            code = (code - (bound & mask)) | 0;
            p[i] = prob - ((prob - (2017 & (bit - 1))) >> 5);
            m = (m << 1) | bit;
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos++]!;
            }
          } while (m < 0x100);
          state = state < 4 ? 0 : state - 3;
        } else {
          let matchByte = buf[pos - rep0 - 1]!;
          let offs = 0x100;
          do {
            matchByte <<= 1;
            const mbit = matchByte & offs;
            i = base + offs + mbit + m;
            prob = p[i]!;
            bound = Math.imul(range >>> 11, prob);
            if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
              range = bound;
              p[i] = prob + ((2048 - prob) >>> 5);
              m <<= 1;
              offs &= ~mbit;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              p[i] = prob - (prob >>> 5);
              m = (m << 1) | 1;
              offs &= mbit;
            }
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos++]!;
            }
          } while (m < 0x100);
          state = state < 10 ? state - 3 : state - 6;
        }
        buf[pos++] = m & 0xff;
        continue;
      }
      range = (range - bound) | 0;
      code = (code - bound) | 0;
      p[i] = prob - (prob >>> 5);
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | input[inPos++]!;
      }

      let lenProbs: number;
      i = IS_REP + state;
      prob = p[i]!;
      bound = Math.imul(range >>> 11, prob);
      if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
        range = bound;
        p[i] = prob + ((2048 - prob) >>> 5);
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++]!;
        }
        // simple match: the distance is decoded after the length
        lenProbs = MATCH_LEN;
        state = state < 7 ? 7 : 10;
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        rep0 = 0; // decoded below
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        p[i] = prob - (prob >>> 5);
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++]!;
        }
        lenProbs = REP_LEN;
        i = IS_REP_G0 + state;
        prob = p[i]!;
        bound = Math.imul(range >>> 11, prob);
        if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
          range = bound;
          p[i] = prob + ((2048 - prob) >>> 5);
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++]!;
          }
          i = IS_REP0_LONG + (state << 4) + posState;
          prob = p[i]!;
          bound = Math.imul(range >>> 11, prob);
          if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
            range = bound;
            p[i] = prob + ((2048 - prob) >>> 5);
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos++]!;
            }
            // short rep: one byte at rep0
            if (rep0 >= pos - dictStart) {
              this.inPos = inPos;
              throw imageError('corrupt LZMA data (distance beyond dictionary)', inPos);
            }
            state = state < 7 ? 9 : 11;
            buf[pos] = buf[pos - rep0 - 1]!;
            pos++;
            continue;
          }
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          p[i] = prob - (prob >>> 5);
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++]!;
          }
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          p[i] = prob - (prob >>> 5);
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++]!;
          }
          let dist: number;
          i = IS_REP_G1 + state;
          prob = p[i]!;
          bound = Math.imul(range >>> 11, prob);
          if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
            range = bound;
            p[i] = prob + ((2048 - prob) >>> 5);
            dist = rep1;
          } else {
            range = (range - bound) | 0;
            code = (code - bound) | 0;
            p[i] = prob - (prob >>> 5);
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos++]!;
            }
            i = IS_REP_G2 + state;
            prob = p[i]!;
            bound = Math.imul(range >>> 11, prob);
            if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
              range = bound;
              p[i] = prob + ((2048 - prob) >>> 5);
              dist = rep2;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              p[i] = prob - (prob >>> 5);
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++]!;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        state = state < 7 ? 8 : 11;
      }

      // Length: choice bits, then a 3-bit (low, mid) or 8-bit (high) tree.
      let treeBase: number;
      let treeTop: number;
      let len: number;
      i = lenProbs + LEN_CHOICE;
      prob = p[i]!;
      bound = Math.imul(range >>> 11, prob);
      if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
        range = bound;
        p[i] = prob + ((2048 - prob) >>> 5);
        treeBase = lenProbs + LEN_LOW + (posState << 3);
        treeTop = 8;
        len = MATCH_LEN_MIN;
      } else {
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        p[i] = prob - (prob >>> 5);
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++]!;
        }
        i = lenProbs + LEN_CHOICE2;
        prob = p[i]!;
        bound = Math.imul(range >>> 11, prob);
        if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
          range = bound;
          p[i] = prob + ((2048 - prob) >>> 5);
          treeBase = lenProbs + LEN_MID + (posState << 3);
          treeTop = 8;
          len = MATCH_LEN_MIN + 8;
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          p[i] = prob - (prob >>> 5);
          treeBase = lenProbs + LEN_HIGH;
          treeTop = 256;
          len = MATCH_LEN_MIN + 16;
        }
      }
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | input[inPos++]!;
      }
      m = 1;
      do {
        i = treeBase + m;
        prob = p[i]!;
        bound = Math.imul(range >>> 11, prob);
        if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
          range = bound;
          p[i] = prob + ((2048 - prob) >>> 5);
          m <<= 1;
        } else {
          range = (range - bound) | 0;
          code = (code - bound) | 0;
          p[i] = prob - (prob >>> 5);
          m = (m << 1) | 1;
        }
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++]!;
        }
      } while (m < treeTop);
      len += m - treeTop;

      if (lenProbs === MATCH_LEN) {
        // Distance of a simple match: 6-bit slot, then reverse-tree or direct + align bits.
        const slotBase = DIST_SLOT + (len - MATCH_LEN_MIN < DIST_STATES - 1 ? len - MATCH_LEN_MIN : DIST_STATES - 1) * DIST_SLOTS;
        m = 1;
        do {
          i = slotBase + m;
          prob = p[i]!;
          bound = Math.imul(range >>> 11, prob);
          if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
            range = bound;
            p[i] = prob + ((2048 - prob) >>> 5);
            m <<= 1;
          } else {
            range = (range - bound) | 0;
            code = (code - bound) | 0;
            p[i] = prob - (prob >>> 5);
            m = (m << 1) | 1;
          }
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++]!;
          }
        } while (m < DIST_SLOTS);
        const slot = m - DIST_SLOTS;
        let dist: number;
        if (slot < DIST_MODEL_START) {
          dist = slot;
        } else {
          const numDirect = (slot >>> 1) - 1;
          dist = (2 | (slot & 1)) << numDirect; // int32: wraps to negative for slots 62, 63
          let revBase: number;
          let revBits: number;
          if (slot < DIST_MODEL_END) {
            revBase = DIST_SPECIAL + dist - slot - 1;
            revBits = numDirect;
          } else {
            let direct = 0;
            for (let k = numDirect - 4; k > 0; k--) {
              range = range >>> 1;
              let b = 0;
              if ((code ^ 0x80000000) >= (range ^ 0x80000000)) {
                code = (code - range) | 0;
                b = 1;
              }
              direct = (direct << 1) | b;
              if (range >>> 24 === 0) {
                range <<= 8;
                code = (code << 8) | input[inPos++]!;
              }
            }
            dist = (dist + (direct << 4)) | 0;
            revBase = ALIGN;
            revBits = 4;
          }
          m = 1;
          for (let k = 0; k < revBits; k++) {
            i = revBase + m;
            prob = p[i]!;
            bound = Math.imul(range >>> 11, prob);
            if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
              range = bound;
              p[i] = prob + ((2048 - prob) >>> 5);
              m <<= 1;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              p[i] = prob - (prob >>> 5);
              m = (m << 1) | 1;
              dist = (dist + (1 << k)) | 0;
            }
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos++]!;
            }
          }
        }
        if (dist === -1) {
          if (!allowEndMarker) {
            this.inPos = inPos;
            throw imageError('corrupt LZMA data (unexpected end marker)', inPos);
          }
          rep0 = rep1; // the marker is not a distance (the decoder is done anyway)
          result = 'end';
          break;
        }
        rep0 = dist;
      }
      if ((rep0 ^ 0x80000000) >= ((pos - dictStart) ^ 0x80000000) || rep0 >= dictMax) {
        this.inPos = inPos;
        throw imageError('corrupt LZMA data (distance beyond dictionary)', inPos);
      }
      let n = len;
      if (pos + n > limit) {
        if (limit < outEnd) n = limit - pos; // probe mode: cut the match
        else if (outEndIsCap) throw tooLarge(this.out.limit);
        else {
          this.inPos = inPos;
          throw imageError('corrupt LZMA data (match runs past the end of the data)', inPos);
        }
      }
      let src = pos - rep0 - 1;
      if (n > 64 && rep0 + 1 >= n) {
        // long non-overlapping copy: memmove; short ones (most) cost less as a loop
        buf.copyWithin(pos, src, src + n);
        pos += n;
      } else {
        const end = pos + n;
        while (pos < end) buf[pos++] = buf[src++]!;
      }
    }
    this.range = range;
    this.code = code;
    this.inPos = inPos;
    this.state = state;
    this.rep0 = rep0;
    this.rep1 = rep1;
    this.rep2 = rep2;
    this.rep3 = rep3;
    out.pos = pos;
    if (result === 'full' && inPos > inEnd) result = 'input';
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
  const out = new OutputBuffer(limit, Math.min(hint, limit), trustedPrealloc(bytes.length), opts.stats);
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
