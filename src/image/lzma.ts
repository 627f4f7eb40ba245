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
 * The symbol loop itself is lzma-core.ts (decodeSymbols, written for V8); the class here keeps
 * its state, sizes the output around it and turns its status codes into results and errors.
 *
 * Every malformed input raises BtfkitError('IMAGE'); reading past the input is detected
 * (typed-array reads beyond the end yield 0 and are checked once per symbol).
 */

import { Errno } from '../errors.js';
import {
  E_DISTANCE,
  E_END_MARKER,
  E_PAST_END,
  LITERAL,
  MATCH_LEN_MAX,
  PROB_INIT,
  S_END_MARKER,
  S_INPUT,
  ST_CODE,
  ST_IN_POS,
  ST_LC,
  ST_LP_MASK,
  ST_OUT_POS,
  ST_PB_MASK,
  ST_RANGE,
  ST_REP0,
  ST_SIZE,
  ST_STATE,
  decodeSymbols,
} from './lzma-core.js';
import { type DecodeOptions, OutputBuffer, imageError, outputLimit, tooLarge, trustedPrealloc } from './output.js';

/** Properties byte → [lc, lp, pb]; undefined when out of range (>= 9*5*5). */
export function decodeLzmaProps(b: number): [number, number, number] | undefined {
  if (b >= 9 * 5 * 5) return undefined;
  const lc = b % 9;
  const rest = (b / 9) | 0;
  return [lc, rest % 5, (rest / 5) | 0];
}

/**
 * The LZMA decoder of one stream; its state survives across LZMA2 chunks. The symbol loop is
 * decodeSymbols() (lzma-core.ts); this class keeps its state, sizes the output buffer around
 * it and turns its status codes into results and errors.
 */
export class LzmaDecoder {
  private readonly input: Uint8Array;
  /** Range coder, positions, state and reps (lzma-core.ts ST_*). */
  private readonly st = new Int32Array(ST_SIZE);
  private probs: Uint16Array = new Uint16Array(LITERAL + 0x300);

  readonly out: OutputBuffer;
  dictStart = 0;
  dictSize: number;

  constructor(input: Uint8Array, out: OutputBuffer, dictSize: number) {
    this.input = input;
    this.out = out;
    this.dictSize = dictSize;
  }

  get inputPos(): number {
    return this.st[ST_IN_POS]!;
  }

  setProps(lc: number, lp: number, pb: number): void {
    this.st[ST_LC] = lc;
    this.st[ST_LP_MASK] = (1 << lp) - 1;
    this.st[ST_PB_MASK] = (1 << pb) - 1;
    const n = LITERAL + (0x300 << (lc + lp));
    if (this.probs.length !== n) this.probs = new Uint16Array(n);
  }

  /** State reset: all probabilities to 1/2, state and reps to 0. */
  resetState(): void {
    this.st.fill(0, ST_STATE, ST_REP0 + 4);
    this.probs.fill(PROB_INIT);
  }

  /** Starts the range decoder at `pos` (5 bytes: a zero byte, then the big-endian code). */
  rcInit(pos: number, end: number): void {
    if (pos + 5 > end) throw imageError('truncated LZMA data (range coder init)', pos);
    if (this.input[pos] !== 0) throw imageError('corrupt LZMA data (range coder init byte is not 0)', pos);
    const b = this.input;
    const code = (b[pos + 1]! << 24) | (b[pos + 2]! << 16) | (b[pos + 3]! << 8) | b[pos + 4]!;
    if (code === -1) throw imageError('corrupt LZMA data (range coder init)', pos);
    this.st[ST_CODE] = code;
    this.st[ST_RANGE] = -1; // 0xffffffff
    this.st[ST_IN_POS] = pos + 5;
  }

  /** True when the range decoder ended cleanly (LZMA2 requires code == 0 at a chunk end). */
  rcFinishedCleanly(): boolean {
    return this.st[ST_CODE] === 0;
  }

  /**
   * Decodes symbols until the output reaches `outEnd` or an end marker is found.
   * `inEnd` bounds the input (reading past it means corrupt or truncated data; reads past the
   * array yield undefined → 0 and are caught by the check once per symbol).
   * `outEndIsCap`: `outEnd` is the output size limit rather than a known size, so a match
   * running past it means "too large" rather than "corrupt".
   * `stopAt` < outEnd (probe mode) stops early, cutting a match, once stopAt bytes exist.
   * Returns 'end' after an end-of-stream marker, 'input' when the input ran out, else 'full'.
   */
  decode(outEnd: number, inEnd: number, allowEndMarker: boolean, outEndIsCap: boolean, stopAt = outEnd): 'end' | 'full' | 'input' {
    const out = this.out;
    const st = this.st;
    const limit = Math.min(outEnd, stopAt);
    const cut = limit < outEnd;
    const dictMax = Math.min(this.dictSize, 0x7fffffff);
    st[ST_OUT_POS] = out.pos;
    for (;;) {
      // Room: the whole rest up to `limit`, or else stop early enough for any match to fit.
      let soft = limit;
      let hard = limit;
      if (out.buf.length < limit) {
        out.ensure(Math.min(limit - out.pos, MATCH_LEN_MAX + 1));
        if (out.buf.length < limit) {
          soft = out.buf.length - MATCH_LEN_MAX;
          hard = out.buf.length;
        }
      }
      const status = decodeSymbols(st, this.probs, this.input, out.buf, soft, hard, cut, inEnd, this.dictStart, dictMax, allowEndMarker);
      out.pos = st[ST_OUT_POS]!;
      const at = st[ST_IN_POS]!;
      switch (status) {
        case S_END_MARKER:
          return 'end';
        case S_INPUT:
          return 'input';
        case E_DISTANCE:
          throw imageError('corrupt LZMA data (distance beyond dictionary)', at);
        case E_END_MARKER:
          throw imageError('corrupt LZMA data (unexpected end marker)', at);
        case E_PAST_END:
          if (outEndIsCap) throw tooLarge(out.limit);
          throw imageError('corrupt LZMA data (match runs past the end of the data)', at);
      }
      if (out.pos >= limit) return at > inEnd ? 'input' : 'full';
    }
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
