/**
 * Low-level helpers of the ELF reader: the 'ELF' error, a DataView wrapper that reads
 * class- and byte-order-dependent fields, and NUL-terminated string tables whose lookups share
 * a decoding budget (so hostile, heavily overlapping strings cannot make decoding quadratic).
 */

import { BtfkitError, Errno } from '../errors.js';

export const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TWO32 = 0x1_0000_0000;

export function fail(message: string, offset?: number, section?: string): never {
  const where: { offset?: number; section?: string } = {};
  if (offset !== undefined) where.offset = offset;
  if (section !== undefined) where.section = section;
  throw new BtfkitError('ELF', message, { errno: Errno.FORMAT, where });
}

export function hex(n: number): string {
  return n > MAX_SAFE ? '>= 2^53' : `0x${n.toString(16)}`;
}

/** True if `bytes` starts with the ELF magic "\x7fELF". */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Little helper around a DataView that reads class-dependent fields. */
export class Fields {
  readonly dv: DataView;
  constructor(
    bytes: Uint8Array,
    readonly le: boolean,
    readonly is64: boolean,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8(off: number): number {
    return this.dv.getUint8(off);
  }
  u16(off: number): number {
    return this.dv.getUint16(off, this.le);
  }
  u32(off: number): number {
    return this.dv.getUint32(off, this.le);
  }
  /** 64-bit unsigned as a number; exact below 2^53, approximate (but > 2^53) above. */
  u64n(off: number): number {
    const a = this.dv.getUint32(off, this.le);
    const b = this.dv.getUint32(off + 4, this.le);
    return this.le ? b * TWO32 + a : a * TWO32 + b;
  }
  u64(off: number): bigint {
    return this.dv.getBigUint64(off, this.le);
  }
  /** Word-sized (Elf32_Word / Elf64_Xword etc.) unsigned field as a number. */
  wordN(off: number): number {
    return this.is64 ? this.u64n(off) : this.u32(off);
  }
  wordB(off: number): bigint {
    return this.is64 ? this.u64(off) : BigInt(this.u32(off));
  }
}

const utf8 = new TextDecoder('utf-8');

/** Decoding budget for string lookups: a few times the file size, plus slack. */
export function newBudget(fileLength: number): { left: number } {
  return { left: 4 * fileLength + 64 * 1024 * 1024 };
}

/**
 * A string table with NUL-terminated strings looked up by byte offset. Lookups share a
 * budget of decoded bytes (a few times the file size) so that hostile tables whose strings
 * overlap heavily cannot make decoding quadratic in time or memory.
 */
export class StringTable {
  private readonly cache = new Map<number, string>();
  constructor(
    readonly data: Uint8Array,
    readonly sectionName: string,
    readonly fileOffset: number,
    private readonly budget: { left: number },
  ) {}

  get(off: number, what: string): string {
    const cached = this.cache.get(off);
    if (cached !== undefined) return cached;
    const data = this.data;
    if (off >= data.length) {
      fail(`${what}: string offset ${off} is outside ${this.sectionName} (size ${data.length})`, this.fileOffset + off, this.sectionName);
    }
    const end = data.indexOf(0, off);
    if (end < 0) {
      fail(`${what}: string at offset ${off} of ${this.sectionName} is not NUL-terminated`, this.fileOffset + off, this.sectionName);
    }
    const len = end - off;
    this.budget.left -= len + 1;
    if (this.budget.left < 0) {
      fail(`${what}: string tables reference more text than the file can hold (overlapping strings?)`, this.fileOffset + off, this.sectionName);
    }
    const s = decode(data, off, end);
    this.cache.set(off, s);
    return s;
  }
}

function decode(data: Uint8Array, start: number, end: number): string {
  if (end - start <= 48) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = data[i]!;
      if (c >= 0x80) return utf8.decode(data.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(data.subarray(start, end));
}
