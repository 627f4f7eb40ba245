/**
 * `.xz` container decoder with the LZMA2, BCJ and delta filters — pure TypeScript.
 *
 * Approach: parse the container exactly as the xz file format spec (xz-file-format-1.x,
 * tukaani.org) lays it out — stream header (magic FD 37 7A 58 5A 00, flags, CRC32), blocks
 * (header with filter chain and CRC32, LZMA2 data, padding, check), index (verified against
 * the blocks decoded), stream footer ("YZ") and stream padding, then further concatenated
 * streams. Each block is decoded in one piece into the flat output buffer, after which the
 * non-last filters of its chain are undone in place, last to first:
 *   - BCJ x86 (id 0x04) — what the kernel's `xz --x86 --lzma2=...` payloads of an x86
 *     bzImage use, and the reason for this decoder: the pure JS/WASM xz packages reject it;
 *   - BCJ PowerPC (0x05), ARM (0x07), ARM-Thumb (0x08), SPARC (0x09), ARM64 (0x0A);
 *   - delta (0x03).
 * The BCJ code follows the logic of xz-embedded's xz_dec_bcj.c (public domain; the x86 one
 * in int32 arithmetic with a word-at-a-time skip, see bcjX86); applied to
 * a whole block at once it gives the same result as xz's streaming filter.
 * Checks: CRC32 and CRC64 are verified; SHA-256 and reserved check types are skipped.
 *
 * Reference behaviour: `xz -d` / `unxz`, except that bytes after the last stream (the
 * kernel appends a 4-byte size to its payload) are ignored instead of being an error.
 */

import { Errno } from '../errors.js';
import { crc32, crc64 } from './crc.js';
import { decodeLzma2, lzma2DictSize } from './lzma.js';
import { type DecodeOptions, OutputBuffer, imageError, outputLimit, tooLarge, trustedPrealloc } from './output.js';

export const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] as const;

const CHECK_SIZES = [0, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32, 64, 64, 64];
const CHECK_CRC32 = 1;
const CHECK_CRC64 = 4;

const FILTER_DELTA = 0x03;
const FILTER_X86 = 0x04;
const FILTER_POWERPC = 0x05;
const FILTER_IA64 = 0x06;
const FILTER_ARM = 0x07;
const FILTER_ARMTHUMB = 0x08;
const FILTER_SPARC = 0x09;
const FILTER_ARM64 = 0x0a;
const FILTER_LZMA2 = 0x21;

interface Filter {
  id: number;
  props: Uint8Array;
}

function le32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

function isXzMagic(b: Uint8Array, p: number): boolean {
  for (let i = 0; i < 6; i++) if (b[p + i] !== XZ_MAGIC[i]) return false;
  return true;
}

/** Reads a variable-length integer (xz-file-format §1.2); returns [value, next position]. */
function readVli(b: Uint8Array, p: number, end: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 9; i++) {
    if (p >= end) throw imageError('truncated xz data (integer)', p, Errno.EIO);
    const byte = b[p++]!;
    v += (byte & 0x7f) * mul;
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) throw imageError('corrupt xz data (non-minimal integer)', p - 1);
      if (v > Number.MAX_SAFE_INTEGER) throw imageError('xz integer too large', p - 1);
      return [v, p];
    }
    mul *= 128;
  }
  throw imageError('corrupt xz data (integer too long)', p);
}

// ---------------------------------------------------------------------------------------
// BCJ filters (decoder direction), after xz-embedded xz_dec_bcj.c.

/**
 * x86 BCJ: E8/E9 (CALL/JMP rel32) operands were made absolute by the encoder; make them
 * relative again. Positions are absolute indices into `buf`; the encoder's position of byte i
 * is startPos + (i - start), all in int32 arithmetic (mod 2^32, as the C code's uint32_t).
 * Most bytes are not E8/E9 (< 1% in a vmlinux): whole aligned words without one are skipped
 * with a SWAR test (bytes & 0xFE == 0xE8 ⇔ a zero byte in (word & 0xFEFEFEFE) ^ 0xE8E8E8E8).
 * The 3-bit mask of recent E8/E9 bytes: bit number = BITNUM_OF_MASK nibble, and masks 0, 1, 2
 * and 4 are the ones that allow a conversion (ALLOWED_MASKS bits), as xz_dec_bcj.c's tables.
 */
const BITNUM_OF_MASK = 0x33332210;
const ALLOWED_MASKS = 0x17;

function bcjX86(buf: Uint8Array, start: number, end: number, startPos: number): void {
  const last = end - 4; // a conversion needs the opcode and 4 bytes
  const pcBias = (startPos - start + 5) | 0;
  const words = (buf.byteOffset & 3) === 0 ? new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2) : undefined;
  let prevPos = start - 4; // no E8/E9 seen yet
  let prevMask = 0;
  let i = start;
  while (i < last) {
    if (words !== undefined && (i & 3) === 0 && i + 4 <= last) {
      const x = (words[i >>> 2]! & 0xfefefefe) ^ 0xe8e8e8e8;
      if ((((x - 0x01010101) | 0) & ~x & 0x80808080) === 0) {
        i += 4;
        continue;
      }
    }
    if ((buf[i]! & 0xfe) !== 0xe8) {
      i++;
      continue;
    }
    const d = i - prevPos;
    prevPos = i;
    if (d > 3) {
      prevMask = 0;
    } else {
      prevMask = (prevMask << (d - 1)) & 7;
      if (prevMask !== 0) {
        const b = buf[i + 4 - ((BITNUM_OF_MASK >>> (prevMask << 2)) & 15)]!;
        if (((ALLOWED_MASKS >>> prevMask) & 1) === 0 || b === 0 || b === 0xff) {
          prevMask = (prevMask << 1) | 1;
          i++;
          continue;
        }
      }
    }
    const b4 = buf[i + 4]!;
    if (b4 === 0 || b4 === 0xff) {
      const pc = (i + pcBias) | 0;
      let src = buf[i + 1]! | (buf[i + 2]! << 8) | (buf[i + 3]! << 16) | (b4 << 24);
      let dest = (src - pc) | 0;
      if (prevMask !== 0) {
        const j = ((BITNUM_OF_MASK >>> (prevMask << 2)) & 15) << 3;
        for (;;) {
          const b = (dest >>> (24 - j)) & 0xff;
          if (b !== 0 && b !== 0xff) break;
          src = dest ^ ((1 << (32 - j)) - 1);
          dest = (src - pc) | 0;
        }
      }
      dest = (dest << 7) >> 7; // keep 25 bits, sign-extended from bit 24
      buf[i + 1] = dest;
      buf[i + 2] = dest >> 8;
      buf[i + 3] = dest >> 16;
      buf[i + 4] = dest >> 24;
      i += 5;
    } else {
      prevMask = (prevMask << 1) | 1;
      i++;
    }
  }
}

function bcjPowerPc(buf: Uint8Array, start: number, end: number, startPos: number): void {
  for (let i = 0; start + i + 4 <= end; i += 4) {
    const p = start + i;
    let instr = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
    if (((instr & 0xfc000003) >>> 0) === 0x48000001) {
      instr &= 0x03fffffc;
      instr = (instr - (startPos + i)) >>> 0;
      instr = ((instr & 0x03fffffc) | 0x48000001) >>> 0;
      buf[p] = instr >>> 24;
      buf[p + 1] = (instr >>> 16) & 0xff;
      buf[p + 2] = (instr >>> 8) & 0xff;
      buf[p + 3] = instr & 0xff;
    }
  }
}

function bcjArm(buf: Uint8Array, start: number, end: number, startPos: number): void {
  for (let i = 0; start + i + 4 <= end; i += 4) {
    const p = start + i;
    if (buf[p + 3] === 0xeb) {
      let addr = buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16);
      addr = ((addr << 2) - (startPos + i + 8)) >>> 0;
      addr >>>= 2;
      buf[p] = addr & 0xff;
      buf[p + 1] = (addr >>> 8) & 0xff;
      buf[p + 2] = (addr >>> 16) & 0xff;
    }
  }
}

function bcjArmThumb(buf: Uint8Array, start: number, end: number, startPos: number): void {
  for (let i = 0; start + i + 4 <= end; i += 2) {
    const p = start + i;
    if ((buf[p + 1]! & 0xf8) === 0xf0 && (buf[p + 3]! & 0xf8) === 0xf8) {
      let addr = ((buf[p + 1]! & 0x07) << 19) | (buf[p]! << 11) | ((buf[p + 3]! & 0x07) << 8) | buf[p + 2]!;
      addr = ((addr << 1) - (startPos + i + 4)) >>> 0;
      addr >>>= 1;
      buf[p + 1] = 0xf0 | ((addr >>> 19) & 0x07);
      buf[p] = (addr >>> 11) & 0xff;
      buf[p + 3] = 0xf8 | ((addr >>> 8) & 0x07);
      buf[p + 2] = addr & 0xff;
      i += 2;
    }
  }
}

function bcjSparc(buf: Uint8Array, start: number, end: number, startPos: number): void {
  for (let i = 0; start + i + 4 <= end; i += 4) {
    const p = start + i;
    let instr = ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
    const top = instr >>> 22;
    if (top === 0x100 || top === 0x1ff) {
      instr = ((instr << 2) - (startPos + i)) >>> 0;
      instr >>>= 2;
      instr = ((0x40000000 - (instr & 0x400000)) | 0x40000000 | (instr & 0x3fffff)) >>> 0;
      buf[p] = instr >>> 24;
      buf[p + 1] = (instr >>> 16) & 0xff;
      buf[p + 2] = (instr >>> 8) & 0xff;
      buf[p + 3] = instr & 0xff;
    }
  }
}

function bcjArm64(buf: Uint8Array, start: number, end: number, startPos: number): void {
  for (let i = 0; start + i + 4 <= end; i += 4) {
    const p = start + i;
    let instr = le32(buf, p);
    const pc = (startPos + i) >>> 0;
    if (instr >>> 26 === 0x25) {
      const addr = (instr - (pc >>> 2)) >>> 0;
      instr = (0x94000000 | (addr & 0x03ffffff)) >>> 0;
    } else if (((instr & 0x9f000000) >>> 0) === 0x90000000) {
      let addr = ((instr >>> 29) & 3) | ((instr >>> 3) & 0x1ffffc);
      if ((addr + 0x020000) & 0x1c0000) continue;
      addr = (addr - (pc >>> 12)) >>> 0;
      instr = (instr & 0x9000001f) >>> 0;
      instr = (instr | ((addr & 3) << 29)) >>> 0;
      instr = (instr | ((addr & 0x03fffc) << 3)) >>> 0;
      instr = (instr | ((0 - (addr & 0x020000)) & 0xe00000)) >>> 0;
    } else {
      continue;
    }
    buf[p] = instr & 0xff;
    buf[p + 1] = (instr >>> 8) & 0xff;
    buf[p + 2] = (instr >>> 16) & 0xff;
    buf[p + 3] = instr >>> 24;
  }
}

function deltaDecode(buf: Uint8Array, start: number, end: number, distance: number): void {
  for (let i = start + distance; i < end; i++) buf[i] = (buf[i]! + buf[i - distance]!) & 0xff;
}

function validateFilter(f: Filter, last: boolean, at: number): void {
  if (last) {
    if (f.id !== FILTER_LZMA2) throw imageError(`unsupported xz filter 0x${f.id.toString(16)} (the last filter must be LZMA2)`, at, Errno.ENOTSUP);
    if (f.props.length !== 1 || lzma2DictSize(f.props[0]!) === undefined) throw imageError('corrupt xz data (LZMA2 properties)', at);
    return;
  }
  switch (f.id) {
    case FILTER_DELTA:
      if (f.props.length !== 1) throw imageError('corrupt xz data (delta filter properties)', at);
      return;
    case FILTER_X86:
    case FILTER_POWERPC:
    case FILTER_ARM:
    case FILTER_ARMTHUMB:
    case FILTER_SPARC:
    case FILTER_ARM64:
      if (f.props.length !== 0 && f.props.length !== 4) throw imageError('corrupt xz data (BCJ filter properties)', at);
      return;
    case FILTER_IA64:
    default:
      throw imageError(`unsupported xz filter 0x${f.id.toString(16)}`, at, Errno.ENOTSUP);
  }
}

function applyFilter(f: Filter, buf: Uint8Array, start: number, end: number): void {
  if (f.id === FILTER_DELTA) {
    deltaDecode(buf, start, end, f.props[0]! + 1);
    return;
  }
  const startPos = f.props.length === 4 ? le32(f.props, 0) : 0;
  switch (f.id) {
    case FILTER_X86:
      return bcjX86(buf, start, end, startPos);
    case FILTER_POWERPC:
      return bcjPowerPc(buf, start, end, startPos);
    case FILTER_ARM:
      return bcjArm(buf, start, end, startPos);
    case FILTER_ARMTHUMB:
      return bcjArmThumb(buf, start, end, startPos);
    case FILTER_SPARC:
      return bcjSparc(buf, start, end, startPos);
    case FILTER_ARM64:
      return bcjArm64(buf, start, end, startPos);
  }
}

/**
 * The uncompressed size that the index of a single xz stream ending exactly at the end of
 * `bytes` records (a .ko.xz), read from the back (footer → backward size → index records);
 * undefined when there is no such index. Only a size hint: decodeXz checks the index anyway.
 */
export function xzIndexTotal(bytes: Uint8Array): number | undefined {
  const end = bytes.length;
  if (end < 24 || bytes[end - 2] !== 0x59 || bytes[end - 1] !== 0x5a) return undefined;
  const indexSize = (le32(bytes, end - 8) + 1) * 4;
  const start = end - 12 - indexSize;
  if (start < 12 || bytes[start] !== 0) return undefined;
  try {
    let [count, p] = readVli(bytes, start + 1, end - 12);
    let total = 0;
    for (; count > 0; count--) {
      let u: number;
      [, p] = readVli(bytes, p, end - 12);
      [u, p] = readVli(bytes, p, end - 12);
      total += u;
    }
    return total;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------

/**
 * Decodes all concatenated xz streams at the start of `bytes` (trailing non-xz bytes are
 * ignored). Throws BtfkitError('IMAGE') on any format, check or size problem.
 */
export function decodeXz(bytes: Uint8Array, opts: DecodeOptions = {}): Uint8Array {
  const limit = outputLimit(opts);
  const partial = opts.partial === true;
  const end = bytes.length;
  const claim = opts.sizeHint ?? (partial ? undefined : xzIndexTotal(bytes)) ?? end * 4;
  const out = new OutputBuffer(limit, Math.min(limit, claim), trustedPrealloc(end), opts.stats, opts.into);
  const truncated = (p: number) => imageError('truncated xz data', p, Errno.EIO);
  let pos = 0;
  if (!isXzMagic(bytes, 0)) throw imageError('not xz data (bad magic)', 0);

  for (;;) {
    // Stream header.
    if (pos + 12 > end) {
      if (partial) return out.result();
      throw truncated(pos);
    }
    if (bytes[pos + 6] !== 0 || (bytes[pos + 7]! & 0xf0) !== 0) throw imageError('unsupported xz stream flags', pos + 6, Errno.ENOTSUP);
    if (crc32(bytes, pos + 6, pos + 8) !== le32(bytes, pos + 8)) throw imageError('corrupt xz stream header (CRC32)', pos);
    const checkType = bytes[pos + 7]!;
    const checkSize = CHECK_SIZES[checkType]!;
    const streamStart = pos;
    pos += 12;
    const records: Array<[number, number]> = [];

    // Blocks.
    for (;;) {
      if (pos >= end) {
        if (partial) return out.result();
        throw truncated(pos);
      }
      const sizeByte = bytes[pos]!;
      if (sizeByte === 0) break; // index indicator
      const blockStart = pos;
      const hdrSize = (sizeByte + 1) * 4;
      if (pos + hdrSize > end) {
        if (partial) return out.result();
        throw truncated(pos);
      }
      if (crc32(bytes, pos, pos + hdrSize - 4) !== le32(bytes, pos + hdrSize - 4)) throw imageError('corrupt xz block header (CRC32)', pos);
      const flags = bytes[pos + 1]!;
      if (flags & 0x3c) throw imageError('unsupported xz block flags', pos + 1, Errno.ENOTSUP);
      const hdrEnd = pos + hdrSize - 4;
      let p = pos + 2;
      let compSize: number | undefined;
      let uncompSize: number | undefined;
      if (flags & 0x40) [compSize, p] = readVli(bytes, p, hdrEnd);
      if (flags & 0x80) [uncompSize, p] = readVli(bytes, p, hdrEnd);
      const nFilters = (flags & 3) + 1;
      const filters: Filter[] = [];
      for (let i = 0; i < nFilters; i++) {
        let id: number;
        let propSize: number;
        [id, p] = readVli(bytes, p, hdrEnd);
        [propSize, p] = readVli(bytes, p, hdrEnd);
        if (p + propSize > hdrEnd) throw imageError('corrupt xz block header (filter properties)', p);
        const f = { id, props: bytes.subarray(p, p + propSize) };
        validateFilter(f, i === nFilters - 1, p);
        filters.push(f);
        p += propSize;
      }
      for (; p < hdrEnd; p++) if (bytes[p] !== 0) throw imageError('corrupt xz block header (padding)', p);

      const dataStart = pos + hdrSize;
      const dictSize = lzma2DictSize(filters[nFilters - 1]!.props[0]!)!;
      const outStart = out.pos;
      if (uncompSize !== undefined && !partial) {
        if (outStart + uncompSize > limit) throw tooLarge(limit);
        out.reserve(uncompSize);
      }
      const dataEnd = compSize !== undefined ? Math.min(end, dataStart + compSize) : end;
      const r = decodeLzma2(bytes, dataStart, dataEnd, out, dictSize, partial ? limit : undefined);
      for (let i = nFilters - 2; i >= 0; i--) applyFilter(filters[i]!, out.buf, outStart, out.pos);
      if (!r.complete) return out.result();
      const cSize = r.inPos - dataStart;
      const uSize = out.pos - outStart;
      if (compSize !== undefined && compSize !== cSize) throw imageError('corrupt xz block (compressed size mismatch)', dataStart);
      if (uncompSize !== undefined && uncompSize !== uSize) throw imageError('corrupt xz block (uncompressed size mismatch)', dataStart);
      pos = r.inPos;
      while ((pos - blockStart) & 3) {
        if (pos >= end) {
          if (partial) return out.result();
          throw truncated(pos);
        }
        if (bytes[pos] !== 0) throw imageError('corrupt xz block (padding)', pos);
        pos++;
      }
      if (pos + checkSize > end) {
        if (partial) return out.result();
        throw truncated(pos);
      }
      if (checkType === CHECK_CRC32) {
        if ((opts.crc32 ?? crc32)(out.buf, outStart, out.pos) !== le32(bytes, pos)) throw imageError('corrupt xz data (CRC32 check failed)', pos);
      } else if (checkType === CHECK_CRC64) {
        const [lo, hi] = crc64(out.buf, outStart, out.pos);
        if (lo !== le32(bytes, pos) || hi !== le32(bytes, pos + 4)) throw imageError('corrupt xz data (CRC64 check failed)', pos);
      }
      pos += checkSize;
      records.push([hdrSize + cSize + checkSize, uSize]);
    }

    // Index.
    const indexStart = pos;
    let p = pos + 1;
    let count: number;
    [count, p] = readVli(bytes, p, end);
    if (count !== records.length) throw imageError('corrupt xz index (record count)', indexStart);
    for (let i = 0; i < count; i++) {
      let unpadded: number;
      let uncompressed: number;
      [unpadded, p] = readVli(bytes, p, end);
      [uncompressed, p] = readVli(bytes, p, end);
      if (unpadded !== records[i]![0] || uncompressed !== records[i]![1]) throw imageError('corrupt xz index (record mismatch)', p);
    }
    while ((p - indexStart) & 3) {
      if (p >= end) throw truncated(p);
      if (bytes[p] !== 0) throw imageError('corrupt xz index (padding)', p);
      p++;
    }
    if (p + 4 > end) throw truncated(p);
    if (crc32(bytes, indexStart, p) !== le32(bytes, p)) throw imageError('corrupt xz index (CRC32)', p);
    p += 4;

    // Stream footer.
    if (p + 12 > end) throw truncated(p);
    if (bytes[p + 10] !== 0x59 || bytes[p + 11] !== 0x5a) throw imageError('corrupt xz stream footer (magic)', p + 10);
    if (crc32(bytes, p + 4, p + 10) !== le32(bytes, p)) throw imageError('corrupt xz stream footer (CRC32)', p);
    if ((le32(bytes, p + 4) + 1) * 4 !== p - indexStart) throw imageError('corrupt xz stream footer (backward size)', p + 4);
    if (bytes[p + 8] !== bytes[streamStart + 6] || bytes[p + 9] !== bytes[streamStart + 7]) throw imageError('corrupt xz stream footer (flags)', p + 8);
    pos = p + 12;

    // Stream padding (groups of four zero bytes), then maybe another stream.
    let q = pos;
    while (q + 4 <= end && bytes[q] === 0 && bytes[q + 1] === 0 && bytes[q + 2] === 0 && bytes[q + 3] === 0) q += 4;
    if (q + 12 <= end && isXzMagic(bytes, q)) {
      pos = q;
      continue;
    }
    return out.result();
  }
}
