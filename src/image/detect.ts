/**
 * Content detection of BTF inputs: raw BTF, ELF, compressed data and x86 kernel images.
 *
 * Approach: formats are recognised by their magic bytes only, never by file name —
 *   raw BTF 9F EB / EB 9F (0xEB9F in either byte order), ELF 7F 'E' 'L' 'F',
 *   gzip 1F 8B 08, xz FD '7zXZ' 00, zstd 28 B5 2F FD, LZ4 legacy 02 21 4C 18 (`lz4 -l`,
 *   the kernel's format), LZ4 frame 04 22 4D 18, bzip2 'BZh'[1-9] and LZMA-alone, which has
 *   no magic: like `xz --format=auto` we accept a properties byte <= 224, a dictionary size
 *   of 2^n or 2^n + 2^(n-1) and an unknown or < 256 GiB uncompressed size.
 * An x86 bzImage (Documentation/arch/x86/boot.rst) is recognised by "HdrS" at 0x202; its
 * protected-mode code starts at (setup_sects + 1) * 512 (setup_sects at 0x1f1, 0 meaning 4)
 * and, with boot protocol >= 2.08, payload_offset / payload_length (0x248 / 0x24c) locate the
 * compressed vmlinux inside it; the kernel appends the decompressed size as LE32 to the
 * payload. Without a usable header (older protocol, damaged header, other image types such
 * as a bare compressed vmlinux or zImage) we fall back to scanning for compression magics,
 * like scripts/extract-vmlinux does, and return every plausible candidate, most reliable
 * first; the caller keeps the first one that decompresses to an ELF.
 * Pure code: no node: imports.
 */

import { parseLzmaAloneHeader } from './lzma.js';

export type CompressionFormat = 'gzip' | 'xz' | 'zstd' | 'lz4-legacy' | 'lz4' | 'bzip2' | 'lzma';

export type DetectedFormat = 'btf' | 'elf' | CompressionFormat | 'bzimage' | 'unknown';

export const COMPRESSION_FORMATS: readonly CompressionFormat[] = ['gzip', 'xz', 'zstd', 'lz4-legacy', 'lz4', 'bzip2', 'lzma'];

export function isCompressionFormat(s: string): s is CompressionFormat {
  return (COMPRESSION_FORMATS as readonly string[]).includes(s);
}

function at(b: Uint8Array, off: number, sig: readonly number[]): boolean {
  if (off < 0 || off + sig.length > b.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[off + i] !== sig[i]) return false;
  return true;
}

function le16(b: Uint8Array, p: number): number {
  return b[p]! | (b[p + 1]! << 8);
}

function le32(b: Uint8Array, p: number): number {
  return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] as const;
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd] as const;
const LZ4_LEGACY_MAGIC = [0x02, 0x21, 0x4c, 0x18] as const;
const LZ4_FRAME_MAGIC = [0x04, 0x22, 0x4d, 0x18] as const;
const BZIP2_BLOCK_MAGIC = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59] as const; // BCD pi
const BZIP2_EOS_MAGIC = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90] as const; // sqrt(pi): empty stream

export function isElfMagic(b: Uint8Array, off = 0): boolean {
  return at(b, off, ELF_MAGIC);
}

export function isBtfMagic(b: Uint8Array, off = 0): boolean {
  if (off + 4 > b.length) return false;
  const x = b[off]!;
  const y = b[off + 1]!;
  return (x === 0x9f && y === 0xeb) || (x === 0xeb && y === 0x9f);
}

/** LZMA-alone header plausibility, the `xz --format=auto` rules. */
export function isPlausibleLzmaHeader(b: Uint8Array, off = 0): boolean {
  const h = parseLzmaAloneHeader(b, off);
  if (!h) return false;
  const d = h.dictSize;
  if (d !== 0xffffffff) {
    // 2^n or 2^n + 2^(n-1)
    let ok = false;
    for (let n = 0; n < 32 && !ok; n++) {
      const p = 2 ** n;
      if (d === p || (n > 0 && d === p + p / 2)) ok = true;
    }
    if (!ok) return false;
  }
  return h.size === undefined || h.size < 2 ** 38;
}

/**
 * The compression format whose magic starts at `off`, or undefined.
 * `strict` (used when scanning inside a larger image) demands more than the bare magic:
 * gzip flags/method, a zstd header with a clear reserved bit, a bzip2 block magic, and for
 * LZMA the 5D properties byte the kernel and `lzma` use.
 */
export function compressionAt(b: Uint8Array, off = 0, strict = false): CompressionFormat | undefined {
  if (off >= b.length) return undefined;
  switch (b[off]) {
    case 0xfd:
      return at(b, off, XZ_MAGIC) ? 'xz' : undefined;
    case 0x28:
      if (!at(b, off, ZSTD_MAGIC)) return undefined;
      if (strict && (off + 4 >= b.length || (b[off + 4]! & 0x08) !== 0)) return undefined;
      return 'zstd';
    case 0x02:
      return at(b, off, LZ4_LEGACY_MAGIC) ? 'lz4-legacy' : undefined;
    case 0x04:
      if (!at(b, off, LZ4_FRAME_MAGIC)) return undefined;
      if (strict && (off + 4 >= b.length || b[off + 4]! >>> 6 !== 1)) return undefined;
      return 'lz4';
    case 0x1f:
      if (b[off + 1] !== 0x8b) return undefined;
      if (strict && (b[off + 2] !== 0x08 || (b[off + 3]! & 0xe0) !== 0)) return undefined;
      return 'gzip';
    case 0x42: {
      if (b[off + 1] !== 0x5a || b[off + 2] !== 0x68) return undefined;
      const lvl = b[off + 3];
      if (lvl === undefined || lvl < 0x31 || lvl > 0x39) return undefined;
      if (strict && !at(b, off + 4, BZIP2_BLOCK_MAGIC) && !at(b, off + 4, BZIP2_EOS_MAGIC)) return undefined;
      return 'bzip2';
    }
    default:
      if (strict && b[off] !== 0x5d) return undefined;
      return isPlausibleLzmaHeader(b, off) ? 'lzma' : undefined;
  }
}

/** x86 boot protocol setup header (Documentation/arch/x86/boot.rst). */
export interface BzImageHeader {
  /** setup_sects as stored (0 means 4). */
  setupSects: number;
  /** Boot protocol version, e.g. 0x020f for 2.15. */
  protocolVersion: number;
  /** File offset of the protected-mode kernel: (setup_sects || 4) + 1 sectors. */
  setupSize: number;
  /** Absolute file offset of the compressed payload (protocol >= 2.08), when in bounds. */
  payloadOffset?: number;
  /** payload_length (protocol >= 2.08), when in bounds. */
  payloadLength?: number;
  /** The kernel_version string (e.g. "6.1.0-47-amd64 (debian-kernel@...) #1 SMP ..."), if present. */
  kernelVersion?: string;
}

/** Parses the bzImage setup header, or undefined when there is no "HdrS" at 0x202. */
export function parseBzImageHeader(b: Uint8Array): BzImageHeader | undefined {
  if (b.length < 0x250 || !at(b, 0x202, [0x48, 0x64, 0x72, 0x53])) return undefined;
  const setupSects = b[0x1f1]!;
  const protocolVersion = le16(b, 0x206);
  const setupSize = ((setupSects === 0 ? 4 : setupSects) + 1) * 512;
  const h: BzImageHeader = { setupSects, protocolVersion, setupSize };
  if (protocolVersion >= 0x0208) {
    const off = setupSize + le32(b, 0x248);
    const len = le32(b, 0x24c);
    if (len > 0 && off + len <= b.length) {
      h.payloadOffset = off;
      h.payloadLength = len;
    }
  }
  const kv = le16(b, 0x20e);
  if (kv !== 0 && kv + 0x200 < b.length) {
    let e = kv + 0x200;
    const s = e;
    while (e < b.length && e - s < 512 && b[e] !== 0) e++;
    let text = '';
    for (let i = s; i < e; i++) {
      const c = b[i]!;
      if (c < 0x20 || c > 0x7e) {
        text = '';
        break;
      }
      text += String.fromCharCode(c);
    }
    if (text) h.kernelVersion = text;
  }
  return h;
}

/** What a whole buffer is, by content. */
export function detectFormat(b: Uint8Array): DetectedFormat {
  if (isBtfMagic(b)) return 'btf';
  if (isElfMagic(b)) return 'elf';
  const c = compressionAt(b, 0, false);
  if (c !== undefined && c !== 'lzma') return c;
  if (parseBzImageHeader(b)) return 'bzimage';
  if (c === 'lzma') return 'lzma';
  return 'unknown';
}

export interface PayloadCandidate {
  format: CompressionFormat;
  /** Offset of the compressed data in the image. */
  offset: number;
  /** Length of the compressed data (exact from the header; to the end of the file when scanned). */
  length: number;
  /** 'header': from payload_offset/payload_length; 'scan': a magic found by scanning. */
  source: 'header' | 'scan';
  /** Decompressed size the kernel appended to a header-located payload (a hint only). */
  expectedSize?: number;
}

export interface FindPayloadOptions {
  /** Maximum number of scanned candidates returned (default 32). */
  maxCandidates?: number;
  /** false: only the candidate the setup header names, no scan of the image (default true). */
  scan?: boolean;
}

/** Scan priority: strong magics first, LZMA (the weakest) last. */
const SCAN_ORDER: readonly CompressionFormat[] = ['xz', 'zstd', 'lz4-legacy', 'bzip2', 'lz4', 'gzip', 'lzma'];

/**
 * Candidate locations of the compressed kernel inside a kernel image, best first:
 * the setup-header payload (if any), then magics found by scanning the rest of the file.
 */
export function findKernelPayload(b: Uint8Array, opts: FindPayloadOptions = {}): PayloadCandidate[] {
  const max = opts.maxCandidates ?? 32;
  const out: PayloadCandidate[] = [];
  const hdr = parseBzImageHeader(b);
  let headerOff = -1;
  if (hdr?.payloadOffset !== undefined && hdr.payloadLength !== undefined) {
    const f = compressionAt(b, hdr.payloadOffset, false);
    if (f) {
      headerOff = hdr.payloadOffset;
      const c: PayloadCandidate = { format: f, offset: hdr.payloadOffset, length: hdr.payloadLength, source: 'header' };
      if (hdr.payloadLength >= 8) c.expectedSize = le32(b, hdr.payloadOffset + hdr.payloadLength - 4);
      out.push(c);
    }
  }
  if (opts.scan === false) return out;
  const hits = new Map<CompressionFormat, number[]>();
  for (const f of SCAN_ORDER) hits.set(f, []);
  const start = hdr ? Math.min(hdr.setupSize, b.length) : 0;
  const n = b.length;
  for (let i = start; i < n; i++) {
    const c = b[i];
    // quick filter on the first byte of every magic
    if (c !== 0xfd && c !== 0x28 && c !== 0x02 && c !== 0x04 && c !== 0x1f && c !== 0x42 && c !== 0x5d) continue;
    if (i === headerOff) continue;
    const f = compressionAt(b, i, true);
    if (f === undefined) continue;
    const list = hits.get(f)!;
    if (list.length < max) list.push(i);
  }
  let scanned = 0;
  for (const f of SCAN_ORDER) {
    for (const off of hits.get(f)!) {
      if (scanned >= max) break;
      out.push({ format: f, offset: off, length: n - off, source: 'scan' });
      scanned++;
    }
  }
  return out;
}
