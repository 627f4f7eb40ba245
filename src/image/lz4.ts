/**
 * LZ4 decoders, pure TypeScript: the block format, the legacy frame and the LZ4 frame format.
 *
 * Approach: the LZ4 block format (lz4_Block_format.md) is a sequence of (token, literals,
 * 2-byte offset, match) records decoded straight into the flat OutputBuffer; overlapping
 * matches are copied byte by byte, the others with copyWithin. Around it:
 *  - the legacy frame (magic 02 21 4C 18, what `lz4 -l` and the kernel's CONFIG_KERNEL_LZ4
 *    write): a sequence of [LE32 compressed size][block] with blocks of at most 8 MiB output,
 *    each independent. As in the kernel's unlz4 and the lz4 CLI, the magic may repeat (a new
 *    legacy frame); a "size" larger than LZ4_compressBound(8 MiB) ends the data — that is how
 *    the 4-byte decompressed size the kernel appends to its payload is skipped.
 *  - the LZ4 frame format (magic 04 22 4D 18, lz4_Frame_format.md): descriptor with header
 *    checksum, linked or independent blocks (stored blocks have the high size bit set),
 *    optional block and content checksums (xxHash32, verified), skippable frames
 *    (magic 0x184D2A5x), concatenated frames.
 * Reference behaviour: `lz4 -d` (and the kernel's lib/decompress_unlz4.c for legacy data).
 * Malformed input raises BtfkitError('IMAGE').
 */

import { BtfkitError, Errno } from '../errors.js';
import { type DecodeOptions, OutputBuffer, imageError, outputLimit, tooLarge } from './output.js';

export const LZ4_LEGACY_MAGIC = 0x184c2102;
export const LZ4_FRAME_MAGIC = 0x184d2204;
const LEGACY_BLOCK_SIZE = 8 * 1024 * 1024;
/** LZ4_COMPRESSBOUND(8 MiB): the largest legal compressed size of a legacy block. */
const LEGACY_BOUND = LEGACY_BLOCK_SIZE + ((LEGACY_BLOCK_SIZE / 255) | 0) + 16;

function le32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** Truncated input is reported with errno EIO; in probe mode it just ends the output. */
function isTruncation(e: unknown): boolean {
  return e instanceof BtfkitError && e.errno === Errno.EIO;
}

/** Thrown internally when a probe has produced enough output. */
class ProbeFull extends Error {}

/**
 * Decodes one LZ4 block src[start, end) appending to `out`, allowing matches back to
 * `windowStart`. Output beyond `outMax` (absolute position) is an error, or in probe mode
 * (`probe`) a quiet stop (ProbeFull).
 */
export function decodeLz4Block(src: Uint8Array, start: number, end: number, out: OutputBuffer, windowStart: number, outMax: number, probe = false): void {
  let buf = out.buf;
  let op = out.pos;
  let ip = start;
  const full = () => {
    out.pos = op;
    if (probe) throw new ProbeFull();
    if (outMax >= out.limit) throw tooLarge(out.limit);
    return imageError('corrupt LZ4 data (block decodes to more than its maximum size)', ip);
  };
  const room = (n: number) => {
    if (op + n > outMax) throw full();
    if (op + n > buf.length) {
      out.pos = op;
      out.ensure(n);
      buf = out.buf;
    }
  };
  for (;;) {
    if (ip >= end) throw imageError('truncated LZ4 block', ip, Errno.EIO);
    const token = src[ip++]!;
    let litLen = token >>> 4;
    if (litLen === 15) {
      let b: number;
      do {
        if (ip >= end) throw imageError('truncated LZ4 block (literal length)', ip, Errno.EIO);
        b = src[ip++]!;
        litLen += b;
      } while (b === 255);
    }
    if (litLen > 0) {
      if (ip + litLen > end) throw imageError('truncated LZ4 block (literals)', ip, Errno.EIO);
      if (op + litLen > outMax && probe) {
        const n = outMax - op;
        room(n);
        buf.set(src.subarray(ip, ip + n), op);
        op += n;
        throw full();
      }
      room(litLen);
      if (litLen < 32) {
        for (let i = 0; i < litLen; i++) buf[op + i] = src[ip + i]!;
      } else {
        buf.set(src.subarray(ip, ip + litLen), op);
      }
      op += litLen;
      ip += litLen;
    }
    if (ip === end) break; // the last sequence has literals only
    if (ip + 2 > end) throw imageError('truncated LZ4 block (offset)', ip, Errno.EIO);
    const offset = src[ip]! | (src[ip + 1]! << 8);
    ip += 2;
    if (offset === 0 || offset > op - windowStart) throw imageError('corrupt LZ4 data (match offset out of range)', ip - 2);
    let matchLen = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (ip >= end) throw imageError('truncated LZ4 block (match length)', ip, Errno.EIO);
        b = src[ip++]!;
        matchLen += b;
      } while (b === 255);
    }
    if (op + matchLen > outMax && probe) matchLen = outMax - op;
    room(matchLen);
    let m = op - offset;
    if (offset >= matchLen) {
      if (matchLen < 32) {
        for (let i = 0; i < matchLen; i++) buf[op + i] = buf[m + i]!;
      } else {
        buf.copyWithin(op, m, m + matchLen);
      }
      op += matchLen;
    } else {
      const e = op + matchLen;
      while (op < e) buf[op++] = buf[m++]!;
    }
    if (probe && op >= outMax) throw full();
  }
  out.pos = op;
}

// xxHash32 (used by the frame format's checksums).
const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

export function xxh32(b: Uint8Array, start = 0, end = b.length, seed = 0): number {
  let p = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    while (p <= limit) {
      v1 = Math.imul(rotl((v1 + Math.imul(le32(b, p), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(le32(b, p + 4), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(le32(b, p + 8), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(le32(b, p + 12), P2)) | 0, 13), P1);
      p += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + (end - start)) | 0;
  while (p + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(le32(b, p), P3)) | 0, 17), P4);
    p += 4;
  }
  while (p < end) {
    h = Math.imul(rotl((h + Math.imul(b[p]!, P5)) | 0, 11), P1);
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Decodes LZ4 legacy-frame data (magic 02 21 4C 18) at the start of `bytes`.
 * Trailing bytes that cannot be a block (such as the kernel's appended size) are ignored.
 */
export function decodeLz4Legacy(bytes: Uint8Array, opts: DecodeOptions = {}): Uint8Array {
  const limit = outputLimit(opts);
  const probe = opts.partial === true;
  if (le32(bytes, 0) !== LZ4_LEGACY_MAGIC || bytes.length < 4) throw imageError('not LZ4 legacy data (bad magic)', 0);
  const out = new OutputBuffer(limit, Math.min(limit, opts.sizeHint ?? bytes.length * 3), undefined, opts.stats);
  let pos = 4;
  try {
    for (;;) {
      if (pos === bytes.length) break;
      if (pos + 4 > bytes.length) {
        if (probe) break;
        throw imageError('truncated LZ4 legacy data', pos, Errno.EIO);
      }
      const size = le32(bytes, pos);
      // The kernel appends the decompressed size (LE32) to its payload: skip it.
      if (pos + 4 === bytes.length && size === out.pos && out.pos > 0) break;
      if (size === LZ4_LEGACY_MAGIC) {
        pos += 4;
        continue;
      }
      if (size === 0 || size > LEGACY_BOUND) break;
      if (pos + 4 + size > bytes.length) {
        if (probe) {
          decodeLz4Block(bytes, pos + 4, bytes.length, out, out.pos, Math.min(out.pos + LEGACY_BLOCK_SIZE, limit), true);
          break;
        }
        throw imageError('truncated LZ4 legacy block', pos, Errno.EIO);
      }
      const blockOut = out.pos;
      decodeLz4Block(bytes, pos + 4, pos + 4 + size, out, blockOut, Math.min(blockOut + LEGACY_BLOCK_SIZE, probe ? limit : Infinity), probe);
      if (out.pos > limit) throw tooLarge(limit);
      pos += 4 + size;
    }
  } catch (e) {
    if (!(e instanceof ProbeFull) && !(probe && isTruncation(e))) throw e;
  }
  return out.result();
}

/** Decodes LZ4 frame-format data (magic 04 22 4D 18, possibly several frames / skippable frames). */
export function decodeLz4Frame(bytes: Uint8Array, opts: DecodeOptions = {}): Uint8Array {
  const limit = outputLimit(opts);
  const probe = opts.partial === true;
  const end = bytes.length;
  const out = new OutputBuffer(limit, Math.min(limit, opts.sizeHint ?? end * 3), undefined, opts.stats);
  const truncated = (p: number) => imageError('truncated LZ4 frame', p, Errno.EIO);
  let pos = 0;
  let frames = 0;
  try {
    for (;;) {
      if (pos + 4 > end) {
        if (frames === 0) throw truncated(pos);
        break;
      }
      const magic = le32(bytes, pos);
      if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
        if (pos + 8 > end) throw truncated(pos);
        const skip = le32(bytes, pos + 4);
        if (pos + 8 + skip > end) throw truncated(pos);
        pos += 8 + skip;
        continue;
      }
      if (magic !== LZ4_FRAME_MAGIC) {
        if (frames === 0) throw imageError('not LZ4 frame data (bad magic)', pos);
        break; // trailing data after the last frame
      }
      frames++;
      const descStart = pos + 4;
      if (descStart + 3 > end) throw truncated(descStart);
      const flg = bytes[descStart]!;
      const bd = bytes[descStart + 1]!;
      if (flg >>> 6 !== 1) throw imageError('unsupported LZ4 frame version', descStart, Errno.ENOTSUP);
      if (flg & 0x02 || bd & 0x8f) throw imageError('corrupt LZ4 frame descriptor (reserved bits)', descStart);
      const independent = (flg & 0x20) !== 0;
      const blockChecksum = (flg & 0x10) !== 0;
      const hasContentSize = (flg & 0x08) !== 0;
      const contentChecksum = (flg & 0x04) !== 0;
      const hasDictId = (flg & 0x01) !== 0;
      const bsId = (bd >>> 4) & 7;
      if (bsId < 4) throw imageError('corrupt LZ4 frame descriptor (block size)', descStart + 1);
      const blockMax = 1 << (8 + 2 * bsId);
      const descLen = 2 + (hasContentSize ? 8 : 0) + (hasDictId ? 4 : 0);
      if (descStart + descLen + 1 > end) throw truncated(descStart);
      if (((xxh32(bytes, descStart, descStart + descLen) >>> 8) & 0xff) !== bytes[descStart + descLen]) {
        throw imageError('corrupt LZ4 frame descriptor (header checksum)', descStart + descLen);
      }
      if (hasDictId) throw imageError('unsupported LZ4 frame with a dictionary', descStart, Errno.ENOTSUP);
      let contentSize: number | undefined;
      if (hasContentSize) {
        contentSize = le32(bytes, descStart + 2) + le32(bytes, descStart + 6) * 0x100000000;
        if (out.pos + contentSize > limit && !probe) throw tooLarge(limit);
        if (!probe) out.reserve(contentSize);
      }
      pos = descStart + descLen + 1;
      const frameOut = out.pos;
      for (;;) {
        if (pos + 4 > end) throw truncated(pos);
        const word = le32(bytes, pos);
        pos += 4;
        if (word === 0) break; // EndMark
        const size = word & 0x7fffffff;
        const stored = word >>> 31 === 1;
        if (size > blockMax) throw imageError('corrupt LZ4 frame (block larger than the maximum)', pos - 4);
        if (pos + size + (blockChecksum ? 4 : 0) > end) {
          if (probe && !stored) {
            decodeLz4Block(bytes, pos, end, out, independent ? out.pos : frameOut, Math.min(out.pos + blockMax, limit), true);
          }
          throw truncated(pos);
        }
        if (blockChecksum && xxh32(bytes, pos, pos + size) !== le32(bytes, pos + size)) {
          throw imageError('corrupt LZ4 frame (block checksum)', pos + size);
        }
        if (stored) {
          let n = size;
          if (out.pos + n > limit) {
            if (!probe) throw tooLarge(limit);
            n = limit - out.pos;
          }
          out.ensure(n);
          out.buf.set(bytes.subarray(pos, pos + n), out.pos);
          out.pos += n;
          if (n < size) throw new ProbeFull();
        } else {
          const blockStart = out.pos;
          const max = probe ? Math.min(blockStart + blockMax, limit) : blockStart + blockMax;
          if (!probe && blockStart + blockMax > limit) {
            // decode with the real cap; exceeding it is "too large"
            decodeLz4Block(bytes, pos, pos + size, out, independent ? blockStart : frameOut, limit, false);
          } else {
            decodeLz4Block(bytes, pos, pos + size, out, independent ? blockStart : frameOut, max, probe);
          }
        }
        pos += size + (blockChecksum ? 4 : 0);
      }
      if (contentSize !== undefined && out.pos - frameOut !== contentSize) {
        throw imageError('corrupt LZ4 frame (content size mismatch)', pos);
      }
      if (contentChecksum) {
        if (pos + 4 > end) throw truncated(pos);
        if (xxh32(out.buf, frameOut, out.pos) !== le32(bytes, pos)) throw imageError('corrupt LZ4 frame (content checksum)', pos);
        pos += 4;
      }
    }
  } catch (e) {
    if (!(e instanceof ProbeFull) && !(probe && isTruncation(e))) throw e;
  }
  return out.result();
}
