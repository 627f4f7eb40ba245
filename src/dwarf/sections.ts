/**
 * The DWARF sections of an ELF file, ready to read: `.debug_info`, `.debug_abbrev`,
 * `.debug_str`, `.debug_str_offsets`, `.debug_line_str`, `.debug_addr`, `.debug_rnglists`,
 * `.debug_loclists` (and `.debug_ranges`/`.debug_loc` of DWARF 4).
 *
 * Approach: a kernel module is a relocatable ELF (`ld -r` output): offsets from `.debug_info`
 * into `.debug_str`, `.debug_abbrev`, `.debug_line` … and addresses of functions are left to
 * relocations in `.rela.debug_*`. As libdw (elfutils, which pahole reads DWARF with) does for
 * ET_REL files, each relocated section is copied once and every entry of its relocation
 * sections is applied (S + A, S the symbol's value, sections at address 0); the input bytes
 * are never written. Relocation entries are read straight from the bytes (a `.ko` can carry
 * millions), in one pass per section, without an object per entry.
 * Supported relocation types: x86-64 (R_X86_64_64/32/32S/NONE) and arm64 (ABS64/ABS32/NONE);
 * anything else, or an entry outside its section, is a BtfkitError('DWARF') naming the section
 * and byte offset.
 * Compressed sections (SHF_COMPRESSED: `gcc -gz`, `ld --compress-debug-sections`, `objcopy
 * --compress-debug-sections`, kbuild's CONFIG_DEBUG_INFO_COMPRESSED_*), as libelf's
 * elf_compress reads them: an Elf32/Elf64_Chdr (type, size, alignment) then zlib
 * (ELFCOMPRESS_ZLIB) or zstd (ELFCOMPRESS_ZSTD) data, decoded before the relocations apply.
 * The decoding itself is the caller's (options.decompress: the core has no zlib; btfkit's
 * Node layer passes node:zlib and its zstd decoders), and must give exactly the size the
 * header declares. pahole v1.31 reads zlib sections through libdw; zstd ones need an
 * elfutils built with zstd (Debian 12's 0.188 is not: pahole then writes no BTF).
 */

import { BtfkitError, Errno } from '../errors.js';
import type { ElfFile, ElfSection } from '../elf/index.js';
import { ET_REL, SHT_NOBITS, SHT_REL, SHT_RELA } from '../elf/index.js';
import { applyRela64 } from '../accel/accel.js';

export interface DwarfSections {
  info: Uint8Array;
  abbrev: Uint8Array;
  str: Uint8Array;
  strOffsets: Uint8Array;
  lineStr: Uint8Array;
  addr: Uint8Array;
  rnglists: Uint8Array;
  loclists: Uint8Array;
  ranges: Uint8Array;
  loc: Uint8Array;
  littleEndian: boolean;
  /** The file the sections came from, for messages. */
  file?: string;
}

const NAMES = {
  info: '.debug_info',
  abbrev: '.debug_abbrev',
  str: '.debug_str',
  strOffsets: '.debug_str_offsets',
  lineStr: '.debug_line_str',
  addr: '.debug_addr',
  rnglists: '.debug_rnglists',
  loclists: '.debug_loclists',
  ranges: '.debug_ranges',
  loc: '.debug_loc',
} as const;

/** Section names by the DwarfSections field they fill. */
export const DWARF_SECTION_NAMES: Readonly<Record<keyof typeof NAMES, string>> = NAMES;

const SHF_COMPRESSED = 0x800;
const SHF_GROUP = 0x200;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

export function dwarfError(message: string, section: string, offset?: number): BtfkitError {
  return new BtfkitError('DWARF', message, { errno: Errno.EINVAL, where: { section, ...(offset !== undefined ? { offset } : {}) } });
}

/** Decodes a compressed section's data to exactly `size` bytes (or throws): 'zlib' is RFC 1950 zlib data. */
export type SectionDecompressor = (format: 'zlib' | 'zstd', data: Uint8Array, size: number) => Uint8Array;

export interface DwarfReadOptions {
  /** Decoder of compressed (SHF_COMPRESSED) sections; without one, such a section is an error. */
  decompress?: SectionDecompressor;
  /** Whether relocations may be applied in WebAssembly (default true; false: JavaScript only, for the twin tests). */
  wasm?: boolean;
}

/** Largest decompressed DWARF section accepted (a hostile header cannot ask for more). */
export const MAX_DEBUG_SECTION = 2 ** 31;
const ELFCOMPRESS_ZLIB = 1;
const ELFCOMPRESS_ZSTD = 2;

/**
 * The section `name` as libdw takes it for a file's own DWARF: the first of that name outside
 * any section group (SHF_GROUP). An object built with -fdebug-types-section has each type unit
 * in a COMDAT group of its own (`.debug_info` in DWARF 5, `.debug_types` in DWARF 4), and
 * `ld -r` (a kbuild `.ko`) keeps the groups: libdw, and so pahole, read none of them.
 */
export function dwarfSection(elf: ElfFile, name: string): ElfSection | undefined {
  return elf.sections.find((s) => s.name === name && (s.flags & SHF_GROUP) === 0);
}

/** True when the file has a `.debug_info` section (DWARF to read). */
export function hasDwarf(elf: ElfFile): boolean {
  const s = dwarfSection(elf, '.debug_info');
  return s !== undefined && s.type !== SHT_NOBITS && s.size > 0;
}

/**
 * The DWARF sections of `elf`, relocated when it is a relocatable file. A missing
 * `.debug_info` is ELF_NO_SECTION (ENODATA), as for a missing `.BTF`.
 */
export function readDwarfSections(elf: ElfFile, opts: DwarfReadOptions = {}): DwarfSections {
  if (!hasDwarf(elf)) {
    throw new BtfkitError('ELF_NO_SECTION', 'no DWARF: the file has no .debug_info section (built without -g?)', {
      errno: Errno.ENODATA,
      where: { section: '.debug_info' },
    });
  }
  const relocs = relocationsByTarget(elf);
  // the symbol values, made once for every relocated section (the file has one symbol table)
  let values: Float64Array | undefined;
  const symbols = (): Float64Array => (values ??= symbolValues(elf));
  const get = (name: string): Uint8Array => {
    const sec = dwarfSection(elf, name);
    if (!sec || sec.type === SHT_NOBITS || sec.size === 0) return new Uint8Array(0);
    const rels = relocs.get(sec.index);
    const relocate = rels !== undefined && elf.header.type === ET_REL;
    // a decoded section is a fresh buffer: relocated in place; the file's bytes are copied first
    if (sec.flags & SHF_COMPRESSED) {
      const data = uncompressed(elf, sec, opts);
      return relocate ? relocated(elf, sec, data, rels, symbols, opts) : data;
    }
    return relocate ? relocated(elf, sec, elf.sectionData(sec).slice(), rels, symbols, opts) : elf.sectionData(sec);
  };
  return {
    info: get(NAMES.info),
    abbrev: get(NAMES.abbrev),
    str: get(NAMES.str),
    strOffsets: get(NAMES.strOffsets),
    lineStr: get(NAMES.lineStr),
    addr: get(NAMES.addr),
    rnglists: get(NAMES.rnglists),
    loclists: get(NAMES.loclists),
    ranges: get(NAMES.ranges),
    loc: get(NAMES.loc),
    littleEndian: elf.header.littleEndian,
  };
}

function relocationsByTarget(elf: ElfFile): Map<number, ElfSection[]> {
  const out = new Map<number, ElfSection[]>();
  for (const s of elf.sections) {
    if (s.type !== SHT_RELA && s.type !== SHT_REL) continue;
    const list = out.get(s.info);
    if (list) list.push(s);
    else out.set(s.info, [s]);
  }
  return out;
}

/** Symbol values (st_value) of the file's symbol table, as numbers. */
function symbolValues(elf: ElfFile): Float64Array {
  const syms = elf.symbols();
  const values = new Float64Array(syms.length);
  for (let i = 0; i < syms.length; i++) values[i] = Number(syms[i]!.value);
  return values;
}

/**
 * The data of compressed section `sec`: its header (Elf64_Chdr: type, reserved, size,
 * alignment; Elf32_Chdr: type, size, alignment) checked, the rest decoded by `opts.decompress`.
 */
function uncompressed(elf: ElfFile, sec: ElfSection, opts: DwarfReadOptions): Uint8Array {
  const raw = elf.sectionData(sec);
  const le = elf.header.littleEndian;
  const is64 = elf.header.class === 64;
  const hdr = is64 ? 24 : 12;
  if (raw.length < hdr) throw dwarfError(`compressed section of ${raw.length} bytes is shorter than its ${hdr}-byte header`, sec.name, sec.offset);
  const dv = new DataView(raw.buffer, raw.byteOffset, hdr);
  const type = dv.getUint32(0, le);
  const size = is64 ? readU64(dv, 8, le) : dv.getUint32(4, le);
  const format = type === ELFCOMPRESS_ZLIB ? 'zlib' : type === ELFCOMPRESS_ZSTD ? 'zstd' : null;
  if (format === null) throw dwarfError(`unknown compression type ${type} (ELFCOMPRESS_ZLIB is 1, ELFCOMPRESS_ZSTD 2)`, sec.name, sec.offset);
  if (size > MAX_DEBUG_SECTION) throw dwarfError(`compressed section claims ${size} bytes, more than the ${MAX_DEBUG_SECTION} accepted`, sec.name, sec.offset);
  if (!opts.decompress) throw dwarfError(`${format}-compressed section, and no decompressor was given (DwarfReadOptions.decompress)`, sec.name, sec.offset);
  let out: Uint8Array;
  try {
    out = opts.decompress(format, raw.subarray(hdr), size);
  } catch (e) {
    throw dwarfError(`cannot decode its ${format} data: ${e instanceof Error ? e.message : String(e)}`, sec.name, sec.offset + hdr);
  }
  if (out.length !== size) throw dwarfError(`${format} data decodes to ${out.length} bytes, its header says ${size}`, sec.name, sec.offset + hdr);
  return out;
}

/** `out` (`sec`'s data, a buffer of the caller's own) with every entry of `rels` applied to it. */
function relocated(elf: ElfFile, sec: ElfSection, out: Uint8Array, rels: readonly ElfSection[], symbols: () => Float64Array, opts: DwarfReadOptions): Uint8Array {
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const le = elf.header.littleEndian;
  const is64 = elf.header.class === 64;
  for (const rel of rels) {
    const values = symbols();
    if (!elf.sections[rel.link]) throw dwarfError(`sh_link ${rel.link} is not a section`, rel.name);
    // a module's (little-endian ELF64 RELA, ~13k entries in a small one's .rela.debug_info) in
    // WebAssembly where it can run (src/accel: the same steps; the JavaScript reports what it cannot do)
    if (le && is64 && rel.type === SHT_RELA && rel.size % 24 === 0 && opts.wasm !== false && applyRela64(out, elf.sectionData(rel), values, elf.header.machine)) continue;
    applyRelocations(elf, rel, values, dv, le, is64, sec.name);
  }
  return out;
}

function applyRelocations(elf: ElfFile, rel: ElfSection, values: Float64Array, dv: DataView, le: boolean, is64: boolean, target: string): void {
  const rela = rel.type === SHT_RELA;
  const ent = is64 ? (rela ? 24 : 16) : rela ? 12 : 8;
  if (rel.size % ent !== 0) throw dwarfError(`relocation section size ${rel.size} is not a multiple of ${ent}`, rel.name, rel.headerOffset);
  const src = elf.sectionData(rel);
  const rv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const machine = elf.header.machine;
  const n = rel.size / ent;
  for (let i = 0; i < n; i++) {
    const p = i * ent;
    let off: number, sym: number, type: number, addend: number;
    if (is64) {
      off = rv.getUint32(p + (le ? 0 : 4), le) + rv.getUint32(p + (le ? 4 : 0), le) * 0x100000000;
      const infoLo = rv.getUint32(p + (le ? 8 : 12), le);
      sym = rv.getUint32(p + (le ? 12 : 8), le);
      type = infoLo;
      addend = rela ? rv.getUint32(p + (le ? 16 : 20), le) + rv.getInt32(p + (le ? 20 : 16), le) * 0x100000000 : 0;
    } else {
      off = rv.getUint32(p, le);
      const info = rv.getUint32(p + 4, le);
      sym = info >>> 8;
      type = info & 0xff;
      addend = rela ? rv.getInt32(p + 8, le) : 0;
    }
    const width = relocWidth(machine, type);
    if (width === 0) continue;
    if (width < 0) throw dwarfError(`relocation type ${type} (machine ${machine}) is not supported`, rel.name, rel.offset + p);
    if (sym >= values.length) throw dwarfError(`relocation symbol ${sym} is not in the symbol table (${values.length} symbols)`, rel.name, rel.offset + p);
    if (off + width > dv.byteLength) throw dwarfError(`relocation at ${off} is outside ${target} (${dv.byteLength} bytes)`, rel.name, rel.offset + p);
    const v = values[sym]! + (rela ? addend : width === 8 ? readU64(dv, off, le) : dv.getUint32(off, le));
    if (width === 8) writeU64(dv, off, v, le);
    else dv.setUint32(off, v >>> 0, le);
  }
}

/** Bytes a relocation type writes (0: nothing to do, -1: not supported). */
function relocWidth(machine: number, type: number): number {
  if (machine === EM_X86_64) {
    switch (type) {
      case 0: return 0; // R_X86_64_NONE
      case 1: return 8; // R_X86_64_64
      case 10: case 11: return 4; // R_X86_64_32, R_X86_64_32S
      default: return -1;
    }
  }
  if (machine === EM_AARCH64) {
    switch (type) {
      case 0: return 0;
      case 257: return 8; // R_AARCH64_ABS64
      case 258: return 4; // R_AARCH64_ABS32
      default: return -1;
    }
  }
  return -1;
}

function readU64(dv: DataView, off: number, le: boolean): number {
  const lo = dv.getUint32(off + (le ? 0 : 4), le);
  const hi = dv.getUint32(off + (le ? 4 : 0), le);
  return hi * 0x100000000 + lo;
}

function writeU64(dv: DataView, off: number, v: number, le: boolean): void {
  const hi = Math.floor(v / 0x100000000) >>> 0;
  const lo = (v - Math.floor(v / 0x100000000) * 0x100000000) >>> 0;
  dv.setUint32(off + (le ? 0 : 4), lo, le);
  dv.setUint32(off + (le ? 4 : 0), hi, le);
}
