/**
 * The LZMA symbol decoder: the hot loop of every .xz / .lzma input (lzma.ts drives it).
 *
 * Approach: LzmaDec.c / xz-embedded's decoder — a binary range decoder driving adaptive 11-bit
 * probabilities: is-match / is-rep decisions, literals (plain, or "matched" against the byte
 * at rep0 after a match), match and rep lengths (choice bits + 3/3/8-bit trees), distances
 * (6-bit slot, then a reverse bit-tree, or direct bits + 4 reverse-tree align bits). The output
 * buffer is the dictionary: a distance reaching before the last dictionary reset or beyond
 * the dictionary size is corrupt data.
 *
 * Written for V8's optimising compiler, by measurement (the xz rows of `npm run bench`):
 *  - decodeSymbols() is one plain function of typed arrays and int32 numbers: the state between
 *    calls lives in an Int32Array (no object properties, whose type feedback can be missing on
 *    a rarely taken path and throw the optimised code away), nothing is called or allocated in
 *    the loop, no error object is made in it (a status code goes back to the caller);
 *  - range and code are int32 holding the uint32 bit patterns, unsigned comparisons flip the
 *    sign bit; 2^n distances are shifts (Math.pow here cost ~10%);
 *  - the bit-tree decoders (literals, lengths, distance slots, align bits) are branchless:
 *    the decoded bit is a 0/1 value, the updates masks; only the range normalisation and
 *    the symbol-kind decisions branch;
 *  - the caller guarantees buffer room: the loop stops at `softLimit`, no match may cross
 *    `hardLimit` (and may only be cut there when `cut`).
 */

export const NUM_STATES = 12;
export const POS_STATES_MAX = 16;
export const MATCH_LEN_MIN = 2;
/** Longest match: 2 + 8 + 8 + 255. */
export const MATCH_LEN_MAX = 273;
const DIST_STATES = 4;
const DIST_SLOTS = 64;
const DIST_MODEL_START = 4;
const DIST_MODEL_END = 14;
const FULL_DISTANCES = 128;
const ALIGN_SIZE = 16;
export const PROB_INIT = 1024;

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
/** [(pos & lpMask) << lc | prev >> (8 - lc)][0x300] */
export const LITERAL = REP_LEN + LEN_SIZE;

// Decoder state between calls (Int32Array of ST_SIZE).
export const ST_RANGE = 0;
export const ST_CODE = 1;
export const ST_IN_POS = 2;
export const ST_OUT_POS = 3;
export const ST_STATE = 4;
export const ST_REP0 = 5;
export const ST_REP1 = 6;
export const ST_REP2 = 7;
export const ST_REP3 = 8;
export const ST_LC = 9;
export const ST_LP_MASK = 10;
export const ST_PB_MASK = 11;
export const ST_SIZE = 12;

// What decodeSymbols() returns.
/** The output reached softLimit. */
export const S_LIMIT = 0;
/** An end-of-stream marker was decoded. */
export const S_END_MARKER = 1;
/** The input ran out (a read went past inEnd). */
export const S_INPUT = 2;
/** Corrupt: a distance before the dictionary start or beyond its size. */
export const E_DISTANCE = 3;
/** Corrupt: an end marker where none is allowed. */
export const E_END_MARKER = 4;
/** A match runs past hardLimit (and cut is false). */
export const E_PAST_END = 5;

// One range-decoder bit, branchless (bit = 0/1): with bound = (range >>> 11) * prob,
// bit 0 ⇔ code < bound (unsigned); range becomes bound or range - bound, code loses bound on 1;
// the probability moves 1/32 of the way towards 0 or 2048: prob - ((prob - (bit ? 0 : 2017)) >> 5)
// equals LzmaDec.c's prob + ((2048 - prob) >> 5) for 0 and prob - (prob >> 5) for 1.

/**
 * Decodes symbols into buf from st[ST_OUT_POS] until the output reaches softLimit, the input
 * runs past inEnd, an end marker, or an error; returns one of the S_ / E_ codes above, with
 * the state (and, on errors, the input position) written back to st.
 */
export function decodeSymbols(
  st: Int32Array,
  p: Uint16Array,
  input: Uint8Array,
  buf: Uint8Array,
  softLimit: number,
  hardLimit: number,
  cut: boolean,
  inEnd: number,
  dictStart: number,
  dictMax: number,
  allowEndMarker: boolean,
): number {
  let range = st[ST_RANGE]!;
  let code = st[ST_CODE]!;
  let inPos = st[ST_IN_POS]!;
  let pos = st[ST_OUT_POS]!;
  let state = st[ST_STATE]!;
  let rep0 = st[ST_REP0]!;
  let rep1 = st[ST_REP1]!;
  let rep2 = st[ST_REP2]!;
  let rep3 = st[ST_REP3]!;
  const lc = st[ST_LC]!;
  const lcShift = 8 - lc;
  const lpMask = st[ST_LP_MASK]!;
  const pbMask = st[ST_PB_MASK]!;
  let status = S_LIMIT;
  let prob = 0;
  let bound = 0;
  let bit = 0;
  let i = 0;
  let m = 0;

  while (pos < softLimit) {
    if (inPos > inEnd) {
      status = S_INPUT;
      break;
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
      // Literal.
      const prev = pos > dictStart ? buf[pos - 1]! : 0;
      const base = LITERAL + 0x300 * (((pos & lpMask) << lc) + (prev >>> lcShift));
      m = 1;
      if (state < 7) {
        do {
          i = base + m;
          prob = p[i]!;
          bound = Math.imul(range >>> 11, prob);
          bit = +((code ^ 0x80000000) >= (bound ^ 0x80000000));
          range = bound ^ ((((range - bound) | 0) ^ bound) & -bit);
          code = (code - (bound & -bit)) | 0;
          p[i] = prob - ((prob - (2017 & (bit - 1))) >> 5);
          m = (m << 1) | bit;
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++]!;
          }
        } while (m < 0x100);
        state = state < 4 ? 0 : state - 3;
      } else {
        // Matched literal: while the bits agree with the byte at rep0, a second set of
        // probabilities (offset 0x100 + match bit) is used.
        let matchByte = buf[pos - rep0 - 1]!;
        let offs = 0x100;
        do {
          matchByte <<= 1;
          const mbit = matchByte & offs;
          i = base + offs + mbit + m;
          prob = p[i]!;
          bound = Math.imul(range >>> 11, prob);
          bit = +((code ^ 0x80000000) >= (bound ^ 0x80000000));
          range = bound ^ ((((range - bound) | 0) ^ bound) & -bit);
          code = (code - (bound & -bit)) | 0;
          p[i] = prob - ((prob - (2017 & (bit - 1))) >> 5);
          m = (m << 1) | bit;
          offs &= mbit ^ (bit - 1); // bit 1: keep mbit; bit 0: keep ~mbit
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++]!;
          }
        } while (m < 0x100);
        state = state < 10 ? state - 3 : state - 6;
      }
      buf[pos++] = m;
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
      // Simple match: the distance is decoded after the length.
      lenProbs = MATCH_LEN;
      state = state < 7 ? 7 : 10;
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
          // Short rep: one byte at rep0.
          if (rep0 >= pos - dictStart) {
            status = E_DISTANCE;
            break;
          }
          state = state < 7 ? 9 : 11;
          buf[pos] = buf[pos - rep0 - 1]!;
          pos++;
          continue;
        }
        range = (range - bound) | 0;
        code = (code - bound) | 0;
        p[i] = prob - (prob >>> 5);
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
        rep1 = rep0;
        rep0 = dist;
      }
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | input[inPos++]!;
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
      bit = +((code ^ 0x80000000) >= (bound ^ 0x80000000));
      range = bound ^ ((((range - bound) | 0) ^ bound) & -bit);
      code = (code - (bound & -bit)) | 0;
      p[i] = prob - ((prob - (2017 & (bit - 1))) >> 5);
      m = (m << 1) | bit;
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | input[inPos++]!;
      }
    } while (m < treeTop);
    len += m - treeTop;

    if (lenProbs === MATCH_LEN) {
      // Distance of a simple match: 6-bit slot, then reverse-tree or direct + align bits.
      // As int32: slots 62 and 63 give "negative" (>= 2^31) distances, never valid, and the
      // end marker 0xFFFFFFFF is -1.
      const slotBase = DIST_SLOT + (len < MATCH_LEN_MIN + DIST_STATES - 1 ? len - MATCH_LEN_MIN : DIST_STATES - 1) * DIST_SLOTS;
      m = 1;
      do {
        i = slotBase + m;
        prob = p[i]!;
        bound = Math.imul(range >>> 11, prob);
        bit = +((code ^ 0x80000000) >= (bound ^ 0x80000000));
        range = bound ^ ((((range - bound) | 0) ^ bound) & -bit);
        code = (code - (bound & -bit)) | 0;
        p[i] = prob - ((prob - (2017 & (bit - 1))) >> 5);
        m = (m << 1) | bit;
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++]!;
        }
      } while (m < DIST_SLOTS);
      const slot = m - DIST_SLOTS;
      let dist = slot;
      if (slot >= DIST_MODEL_START) {
        const numDirect = (slot >>> 1) - 1;
        dist = (2 | (slot & 1)) << numDirect;
        let revBase: number;
        let revBits: number;
        if (slot < DIST_MODEL_END) {
          revBase = DIST_SPECIAL + dist - slot - 1;
          revBits = numDirect;
        } else {
          // Direct bits: range halves, the bit is whether code was >= it.
          let direct = 0;
          for (let k = numDirect - 4; k > 0; k--) {
            range = range >>> 1;
            code = (code - range) | 0;
            const t = code >> 31; // -1 when code was < range (bit 0)
            code = (code + (range & t)) | 0;
            direct = (direct << 1) + t + 1;
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
          bit = +((code ^ 0x80000000) >= (bound ^ 0x80000000));
          range = bound ^ ((((range - bound) | 0) ^ bound) & -bit);
          code = (code - (bound & -bit)) | 0;
          p[i] = prob - ((prob - (2017 & (bit - 1))) >> 5);
          m = (m << 1) | bit;
          dist = (dist + (bit << k)) | 0;
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++]!;
          }
        }
      }
      if (dist === -1) {
        status = allowEndMarker ? S_END_MARKER : E_END_MARKER;
        break;
      }
      rep3 = rep2;
      rep2 = rep1;
      rep1 = rep0;
      rep0 = dist;
    }
    // Unsigned: a "negative" distance is >= 2^31, beyond any buffer.
    if ((rep0 ^ 0x80000000) >= ((pos - dictStart) ^ 0x80000000) || rep0 >= dictMax) {
      status = E_DISTANCE;
      break;
    }
    let end = pos + len;
    if (end > hardLimit) {
      if (!cut) {
        status = E_PAST_END;
        break;
      }
      end = hardLimit;
    }
    let src = pos - rep0 - 1;
    if (rep0 >= 3 && end + 3 < buf.length) {
      // Four bytes a step (all from before pos when the distance is >= 4); up to 3 bytes
      // past `end` are written too, with bytes that later output overwrites.
      do {
        buf[pos] = buf[src]!;
        buf[pos + 1] = buf[src + 1]!;
        buf[pos + 2] = buf[src + 2]!;
        buf[pos + 3] = buf[src + 3]!;
        pos += 4;
        src += 4;
      } while (pos < end);
      pos = end;
    } else {
      while (pos < end) buf[pos++] = buf[src++]!;
    }
  }
  st[ST_RANGE] = range;
  st[ST_CODE] = code;
  st[ST_IN_POS] = inPos;
  st[ST_OUT_POS] = pos;
  st[ST_STATE] = state;
  st[ST_REP0] = rep0;
  st[ST_REP1] = rep1;
  st[ST_REP2] = rep2;
  st[ST_REP3] = rep3;
  return status;
}
