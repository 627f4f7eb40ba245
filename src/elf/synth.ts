/**
 * Test support: builds small synthetic ELF images (either class, either byte order) so that
 * tests can cover layouts no compiler produces: big-endian files without a cross compiler,
 * section-count and section-name-index escapes (SHN_XINDEX), SHT_SYMTAB_SHNDX, and
 * deliberately malformed headers. Approach: lay out the ELF header, optional program headers,
 * each section's data at its alignment, a generated `.shstrtab` (always the last section)
 * and the section header table at the end, exactly as a linker would. Not exported from
 * index.ts; no Node.js dependencies.
 */

import { EHDR_SIZE, PHDR_SIZE, SHDR_SIZE, SHN_XINDEX, SHT_NOBITS, SHT_STRTAB, SYM_SIZE } from './constants.js';

export interface SynthSection {
  name: string;
  type: number;
  flags?: number;
  addr?: bigint;
  /** File contents (ignored for SHT_NOBITS). */
  data?: Uint8Array;
  /** sh_size for SHT_NOBITS sections. */
  size?: number;
  link?: number;
  info?: number;
  align?: number;
  entsize?: number;
}

export interface SynthSegment {
  type: number;
  flags?: number;
  offset: number;
  filesz: number;
  vaddr?: bigint;
  memsz?: bigint;
  align?: bigint;
}

export interface SynthOptions {
  class: 32 | 64;
  littleEndian: boolean;
  type?: number;
  machine?: number;
  /** Sections after the null section 0; `.shstrtab` is appended after them. */
  sections: SynthSection[];
  segments?: SynthSegment[];
  /** Store the section count in section 0's sh_size and set e_shnum to 0. */
  escapeShnum?: boolean;
  /** Store the .shstrtab index in section 0's sh_link and set e_shstrndx to SHN_XINDEX. */
  escapeShstrndx?: boolean;
}

export interface SynthResult {
  bytes: Uint8Array;
  /** Index of the generated .shstrtab */
  shstrndx: number;
  /** File offset of the section header table */
  shoff: number;
  /** File offsets of each section's data, by index (0 for section 0) */
  offsets: number[];
}

function alignUp(n: number, a: number): number {
  return a <= 1 ? n : Math.ceil(n / a) * a;
}

class Writer {
  readonly dv: DataView;
  constructor(
    readonly buf: Uint8Array,
    readonly le: boolean,
    readonly is64: boolean,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  u8(o: number, v: number) {
    this.dv.setUint8(o, v);
  }
  u16(o: number, v: number) {
    this.dv.setUint16(o, v, this.le);
  }
  u32(o: number, v: number) {
    this.dv.setUint32(o, v, this.le);
  }
  u64(o: number, v: bigint | number) {
    this.dv.setBigUint64(o, BigInt(v), this.le);
  }
  word(o: number, v: bigint | number) {
    if (this.is64) this.u64(o, v);
    else this.u32(o, Number(v));
  }
}

/** Concatenates NUL-terminated strings; returns the table and each string's offset. */
export function stringTable(names: string[]): { data: Uint8Array; offsets: number[] } {
  const enc = new TextEncoder();
  const parts = names.map((n) => enc.encode(n));
  const offsets: number[] = [];
  let total = 1;
  for (const p of parts) {
    offsets.push(total);
    total += p.length + 1;
  }
  const data = new Uint8Array(total);
  parts.forEach((p, i) => data.set(p, offsets[i]!));
  return { data, offsets };
}

export interface SynthSymbol {
  name: number;
  value?: bigint;
  size?: bigint;
  info?: number;
  other?: number;
  shndx?: number;
}

/** Packs symbol table entries (the caller includes the null symbol 0). */
export function packSymbols(cls: 32 | 64, le: boolean, syms: SynthSymbol[]): Uint8Array {
  const es = SYM_SIZE[cls];
  const buf = new Uint8Array(syms.length * es);
  const w = new Writer(buf, le, cls === 64);
  syms.forEach((s, i) => {
    const p = i * es;
    w.u32(p, s.name);
    if (cls === 64) {
      w.u8(p + 4, s.info ?? 0);
      w.u8(p + 5, s.other ?? 0);
      w.u16(p + 6, s.shndx ?? 0);
      w.u64(p + 8, s.value ?? 0n);
      w.u64(p + 16, s.size ?? 0n);
    } else {
      w.u32(p + 4, Number(s.value ?? 0n));
      w.u32(p + 8, Number(s.size ?? 0n));
      w.u8(p + 12, s.info ?? 0);
      w.u8(p + 13, s.other ?? 0);
      w.u16(p + 14, s.shndx ?? 0);
    }
  });
  return buf;
}

/** Builds an ELF image. Section indices: 0 = null, 1..n = opts.sections, n+1 = .shstrtab. */
export function buildElf(opts: SynthOptions): SynthResult {
  const cls = opts.class;
  const is64 = cls === 64;
  const secs: SynthSection[] = [...opts.sections];
  // Section names: a single table shared by equal names.
  const uniq = [...new Set([...secs.map((s) => s.name), '.shstrtab'])];
  const names = stringTable(uniq);
  const nameOff = new Map(uniq.map((n, i) => [n, names.offsets[i]!] as const));
  secs.push({ name: '.shstrtab', type: SHT_STRTAB, data: names.data });
  const shnum = secs.length + 1;
  const shstrndx = shnum - 1;

  let cursor: number = EHDR_SIZE[cls];
  const phoff = opts.segments?.length ? cursor : 0;
  cursor += (opts.segments?.length ?? 0) * PHDR_SIZE[cls];
  const offsets: number[] = [0];
  for (const s of secs) {
    if (s.type === SHT_NOBITS) {
      offsets.push(cursor);
      continue;
    }
    cursor = alignUp(cursor, s.align ?? 1);
    offsets.push(cursor);
    cursor += s.data?.length ?? 0;
  }
  const shoff = alignUp(cursor, is64 ? 8 : 4);
  const total = shoff + shnum * SHDR_SIZE[cls];
  const buf = new Uint8Array(total);
  const w = new Writer(buf, opts.littleEndian, is64);

  buf.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, opts.littleEndian ? 1 : 2, 1], 0);
  w.u16(16, opts.type ?? 1);
  w.u16(18, opts.machine ?? (is64 ? 62 : 3));
  w.u32(20, 1);
  const e = is64 ? 52 : 40;
  w.word(is64 ? 32 : 28, phoff);
  w.word(is64 ? 40 : 32, shoff);
  w.u16(e, EHDR_SIZE[cls]);
  w.u16(e + 2, opts.segments?.length ? PHDR_SIZE[cls] : 0);
  w.u16(e + 4, opts.segments?.length ?? 0);
  w.u16(e + 6, SHDR_SIZE[cls]);
  w.u16(e + 8, opts.escapeShnum ? 0 : shnum);
  w.u16(e + 10, opts.escapeShstrndx ? SHN_XINDEX : shstrndx);

  (opts.segments ?? []).forEach((ph, i) => {
    const p = phoff + i * PHDR_SIZE[cls];
    if (is64) {
      w.u32(p, ph.type);
      w.u32(p + 4, ph.flags ?? 0);
      w.u64(p + 8, ph.offset);
      w.u64(p + 16, ph.vaddr ?? 0n);
      w.u64(p + 24, ph.vaddr ?? 0n);
      w.u64(p + 32, ph.filesz);
      w.u64(p + 40, ph.memsz ?? BigInt(ph.filesz));
      w.u64(p + 48, ph.align ?? 0x1000n);
    } else {
      w.u32(p, ph.type);
      w.u32(p + 4, ph.offset);
      w.u32(p + 8, Number(ph.vaddr ?? 0n));
      w.u32(p + 12, Number(ph.vaddr ?? 0n));
      w.u32(p + 16, ph.filesz);
      w.u32(p + 20, Number(ph.memsz ?? BigInt(ph.filesz)));
      w.u32(p + 24, ph.flags ?? 0);
      w.u32(p + 28, Number(ph.align ?? 0x1000n));
    }
  });

  const sh = (i: number) => shoff + i * SHDR_SIZE[cls];
  // Section 0: escapes.
  if (opts.escapeShnum) w.word(sh(0) + (is64 ? 32 : 20), shnum);
  if (opts.escapeShstrndx) w.u32(sh(0) + (is64 ? 40 : 24), shstrndx);
  secs.forEach((s, k) => {
    const i = k + 1;
    const p = sh(i);
    const size = s.type === SHT_NOBITS ? (s.size ?? 0) : (s.data?.length ?? 0);
    if (s.type !== SHT_NOBITS && s.data) buf.set(s.data, offsets[i]!);
    w.u32(p, nameOff.get(s.name)!);
    w.u32(p + 4, s.type);
    if (is64) {
      w.u64(p + 8, s.flags ?? 0);
      w.u64(p + 16, s.addr ?? 0n);
      w.u64(p + 24, offsets[i]!);
      w.u64(p + 32, size);
      w.u32(p + 40, s.link ?? 0);
      w.u32(p + 44, s.info ?? 0);
      w.u64(p + 48, s.align ?? 1);
      w.u64(p + 56, s.entsize ?? 0);
    } else {
      w.u32(p + 8, s.flags ?? 0);
      w.u32(p + 12, Number(s.addr ?? 0n));
      w.u32(p + 16, offsets[i]!);
      w.u32(p + 20, size);
      w.u32(p + 24, s.link ?? 0);
      w.u32(p + 28, s.info ?? 0);
      w.u32(p + 32, s.align ?? 1);
      w.u32(p + 36, s.entsize ?? 0);
    }
  });
  return { bytes: buf, shstrndx, shoff, offsets };
}

/** Field offsets inside the ELF header and a section header, for tests that corrupt them. */
export function headerFields(cls: 32 | 64) {
  return cls === 64
    ? { phoff: 32, shoff: 40, ehsize: 52, phentsize: 54, phnum: 56, shentsize: 58, shnum: 60, shstrndx: 62 }
    : { phoff: 28, shoff: 32, ehsize: 40, phentsize: 42, phnum: 44, shentsize: 46, shnum: 48, shstrndx: 50 };
}

export function sectionFields(cls: 32 | 64) {
  return cls === 64
    ? { name: 0, type: 4, flags: 8, addr: 16, offset: 24, size: 32, link: 40, info: 44, align: 48, entsize: 56 }
    : { name: 0, type: 4, flags: 8, addr: 12, offset: 16, size: 20, link: 24, info: 28, align: 32, entsize: 36 };
}
