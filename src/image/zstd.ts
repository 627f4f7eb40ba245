/**
 * Zstandard frame walker, pure TypeScript (no decompression here).
 *
 * Approach: follow RFC 8878 §3.1 frame by frame — magic 28 B5 2F FD, frame header descriptor,
 * optional window descriptor / dictionary id / frame content size, then the 3-byte block
 * headers (last-block bit, type raw/RLE/compressed, size) and the optional 4-byte checksum;
 * skippable frames (magic 0x184D2A50..5F) are stepped over. This tells, without decoding,
 * where the zstd data ends (so the 4-byte size the kernel appends to a payload can be cut
 * off before handing the frames to a decoder, which would reject it) and the declared total
 * content size (so the output cap can be enforced before allocating).
 * Reference: `zstd -lv` reports the same frame count and decompressed size.
 */

import { Errno } from '../errors.js';
import { imageError } from './output.js';

export const ZSTD_MAGIC = 0xfd2fb528;

export interface ZstdFrames {
  /** Offset just past the last frame. */
  end: number;
  /** Number of (non-skippable) frames. */
  frames: number;
  /** Sum of the declared content sizes, or undefined when some frame does not declare it. */
  contentSize: number | undefined;
  /** Upper bound of the decompressed size: 128 KiB per block (RFC 8878 Block_Maximum_Size). */
  maxSize: number;
  /**
   * Largest window a decoder must allocate for a frame that does not declare its content size (or declares 0)
   * (RFC 8878 §3.1.1.1.2 Window_Descriptor); 0 when every frame declares its size.
   */
  maxWindow: number;
  /**
   * Each (non-skippable) frame as three numbers: its offset, the offset just past it, and its
   * declared content size (-1 when it declares none), for decoders that take one frame a call.
   */
  spans: number[];
}

function le32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

/** Walks the zstd frames at the start of `bytes`; stops at the first non-frame bytes. */
export function walkZstdFrames(bytes: Uint8Array): ZstdFrames {
  const end = bytes.length;
  let pos = 0;
  let frames = 0;
  let total: number | undefined = 0;
  let blocks = 0;
  let maxWindow = 0;
  const spans: number[] = [];
  const truncated = (p: number) => imageError('truncated zstd data', p, Errno.EIO);
  while (pos + 4 <= end) {
    const magic = le32(bytes, pos);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      if (pos + 8 > end) throw truncated(pos);
      const size = le32(bytes, pos + 4);
      if (pos + 8 + size > end) throw truncated(pos);
      pos += 8 + size;
      continue;
    }
    if (magic !== ZSTD_MAGIC) break;
    const fhd = bytes[pos + 4];
    if (fhd === undefined) throw truncated(pos + 4);
    if (fhd & 0x08) throw imageError('corrupt zstd frame header (reserved bit)', pos + 4);
    const fcsFlag = fhd >>> 6;
    const single = (fhd & 0x20) !== 0;
    const checksum = (fhd & 0x04) !== 0;
    const didSize = [0, 1, 2, 4][fhd & 3]!;
    const fcsSize = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag]!;
    let p = pos + 5 + (single ? 0 : 1) + didSize;
    if (p + fcsSize > end) throw truncated(p);
    let fcs: number | undefined;
    switch (fcsSize) {
      case 1:
        fcs = bytes[p]!;
        break;
      case 2:
        fcs = (bytes[p]! | (bytes[p + 1]! << 8)) + 256;
        break;
      case 4:
        fcs = le32(bytes, p);
        break;
      case 8:
        fcs = le32(bytes, p) + le32(bytes, p + 4) * 0x100000000;
        break;
    }
    p += fcsSize;
    if ((fcs === undefined || fcs === 0) && !single) {
      const wd = bytes[pos + 5]!;
      const wb = 2 ** (10 + (wd >>> 3));
      maxWindow = Math.max(maxWindow, wb + (wb / 8) * (wd & 7));
    }
    let frameBlocks = 0;
    for (;;) {
      if (p + 3 > end) throw truncated(p);
      const h = bytes[p]! | (bytes[p + 1]! << 8) | (bytes[p + 2]! << 16);
      const last = h & 1;
      const type = (h >>> 1) & 3;
      const size = h >>> 3;
      if (type === 3) throw imageError('corrupt zstd data (reserved block type)', p);
      if (size > 131072) throw imageError('corrupt zstd data (block larger than 128 KiB)', p);
      frameBlocks++;
      p += 3 + (type === 1 ? 1 : size);
      if (p > end) throw truncated(p);
      if (last) break;
    }
    if (checksum) p += 4;
    if (p > end) throw truncated(p);
    blocks += frameBlocks;
    if (fcs !== undefined && fcs > frameBlocks * 131072) throw imageError('corrupt zstd frame (declared size larger than its blocks can hold)', pos);
    frames++;
    spans.push(pos, p, fcs ?? -1);
    total = fcs === undefined || total === undefined ? undefined : total + fcs;
    pos = p;
  }
  if (frames === 0) throw imageError('not zstd data (bad magic)', 0);
  return { end: pos, frames, contentSize: total, maxSize: blocks * 131072, maxWindow, spans };
}
