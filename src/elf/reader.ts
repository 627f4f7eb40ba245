/**
 * ELF reader: `parseElf(bytes)` decodes the ELF header, the program header table and the
 * section header table of an ELF32/ELF64, little/big-endian file held in a Uint8Array,
 * without copying any section data (`sectionData` returns subarrays). Approach: read every
 * header through one DataView; validate each offset and size against the file length before
 * it is used, with comparisons of the form `size > length - offset` so that no sum can
 * overflow or lose precision; every count is bounded by the file length, so no allocation is
 * driven by an unchecked header field. Section names are resolved eagerly (they are few);
 * the symbol table and relocation entries are decoded lazily on first request.
 * Stages of `parseElf`, one function each: identification + file header (`readHeader`), the
 * section header table's place and counts with section 0's escapes (`locateSectionTable`), the
 * raw section headers (`readSectionHeaders`), their file ranges (`checkSectionRanges`), section
 * names (`nameSections`), and the program header table (`readProgramHeaders`). The lazy parts
 * (symbols, relocations) live in file.ts; types in types.ts; field and string helpers in fields.ts.
 * Reference behaviour: libelf as used by libbpf's `btf_parse_elf` (sections found by name,
 * the last of a repeated name wins; `SHN_XINDEX`/`e_shnum == 0`/`PN_XNUM` escapes through
 * section 0; `e_shentsize` must equal the class's Shdr size; the section-name table must be
 * SHT_STRTAB and strings must be NUL-terminated inside their table) and the gABI for
 * `SHT_SYMTAB_SHNDX`. Every failure is a `BtfkitError` with code 'ELF' (or 'ELF_NO_SECTION'
 * from `requireSection`), errno `LIBBPF_ERRNO__FORMAT` as libbpf reports for a bad ELF.
 */

import {
  EHDR_SIZE,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  PHDR_SIZE,
  PN_XNUM,
  SHDR_SIZE,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_NOBITS,
  SHT_STRTAB,
} from './constants.js';
import { Fields, MAX_SAFE, StringTable, fail, hex, isElf, newBudget } from './fields.js';
import { ElfFile } from './file.js';
import type { ElfClass, ElfHeader, ElfProgramHeader, ElfSection } from './types.js';

export { isElf } from './fields.js';
export { ElfFile } from './file.js';
export type { ElfClass, ElfHeader, ElfSection, ElfProgramHeader, ElfSymbol, ElfRelocationSection, ElfRelocation } from './types.js';

/** File offsets of the class-dependent fields of the ELF header (after e_version @20). */
interface HeaderLayout {
  readonly entry: number;
  readonly phoff: number;
  readonly shoff: number;
  readonly flags: number;
  /** e_ehsize; e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx follow, 2 bytes each. */
  readonly ehsize: number;
}
const LAYOUT64: HeaderLayout = { entry: 24, phoff: 32, shoff: 40, flags: 48, ehsize: 52 };
const LAYOUT32: HeaderLayout = { entry: 24, phoff: 28, shoff: 32, flags: 36, ehsize: 40 };

/** What the section header table's place and section 0's escapes resolve to. */
interface SectionTable {
  /** Number of section headers (e_shnum, or section 0's sh_size when e_shnum == 0). */
  readonly shnum: number;
  /** Index of the section-name table (e_shstrndx, or section 0's sh_link for SHN_XINDEX). */
  readonly shstrndx: number;
  readonly shnumEscaped: boolean;
  /** Section 0's sh_info: the program header count when e_phnum == PN_XNUM. */
  readonly sec0Info: number;
}

/** A section header as stored, before its name is resolved. */
type RawSection = Omit<ElfSection, 'index' | 'name'>;

/** Parses an ELF file. Throws BtfkitError('ELF') on any structural problem. */
export function parseElf(bytes: Uint8Array): ElfFile {
  const header = readHeader(bytes);
  const f = new Fields(bytes, header.littleEndian, header.class === 64);
  const table = locateSectionTable(f, header, bytes.length);
  const raws = readSectionHeaders(f, header, table.shnum);
  checkSectionRanges(raws, bytes.length);
  const sections = nameSections(bytes, raws, table.shstrndx, newBudget(bytes.length));
  const programHeaders = readProgramHeaders(f, header, table, bytes.length);
  return new ElfFile(bytes, header, sections, programHeaders, table.shstrndx, table.shnumEscaped);
}

/** Stage 1: e_ident (magic, class, byte order) and the file header, fields as stored. */
function readHeader(bytes: Uint8Array): ElfHeader {
  const len = bytes.length;
  if (len < 16) fail(`file too short for an ELF identification (${len} bytes, need 16)`, 0);
  if (!isElf(bytes)) fail('not an ELF file (bad magic)', 0);
  const cls = bytes[4]!;
  const data = bytes[5]!;
  if (cls !== ELFCLASS32 && cls !== ELFCLASS64) fail(`e_ident[EI_CLASS] is ${cls}, expected 1 (ELFCLASS32) or 2 (ELFCLASS64)`, 4);
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) fail(`e_ident[EI_DATA] is ${data}, expected 1 (LSB) or 2 (MSB)`, 5);
  const elfClass: ElfClass = cls === ELFCLASS64 ? 64 : 32;
  const is64 = elfClass === 64;
  const le = data === ELFDATA2LSB;
  const ehdrSize = EHDR_SIZE[elfClass];
  if (len < ehdrSize) fail(`ELF header truncated: file has ${len} bytes, ELF${elfClass} header needs ${ehdrSize}`, 0);
  const f = new Fields(bytes, le, is64);
  // e_type @16, e_machine @18, e_version @20, then class-dependent layout.
  const o = is64 ? LAYOUT64 : LAYOUT32;
  const e = o.ehsize;
  return {
    class: elfClass,
    littleEndian: le,
    identVersion: bytes[6]!,
    osabi: bytes[7]!,
    abiVersion: bytes[8]!,
    type: f.u16(16),
    machine: f.u16(18),
    version: f.u32(20),
    entry: f.wordB(o.entry),
    phoff: f.wordN(o.phoff),
    shoff: f.wordN(o.shoff),
    flags: f.u32(o.flags),
    ehsize: f.u16(e),
    phentsize: f.u16(e + 2),
    phnum: f.u16(e + 4),
    shentsize: f.u16(e + 6),
    shnum: f.u16(e + 8),
    shstrndx: f.u16(e + 10),
  };
}

/**
 * Stage 2: the section header table's entry size and extent, and the escapes held in section 0
 * (e_shnum == 0: count in sh_size; e_shstrndx == SHN_XINDEX: index in sh_link). No table
 * (e_shoff == 0) means no sections.
 */
function locateSectionTable(f: Fields, header: ElfHeader, len: number): SectionTable {
  if (header.shoff === 0) return { shnum: 0, shstrndx: 0, shnumEscaped: false, sec0Info: 0 };
  const is64 = header.class === 64;
  const o = is64 ? LAYOUT64 : LAYOUT32;
  const shdrSize = SHDR_SIZE[header.class];
  if (header.shentsize !== shdrSize) {
    fail(`bad e_shentsize ${header.shentsize}: ELF${header.class} section headers are ${shdrSize} bytes`, o.ehsize + 6);
  }
  const shoff = header.shoff;
  if (shoff > len || shdrSize > len - shoff) {
    fail(`section header table at offset ${hex(shoff)} extends past end of file (size ${len})`, o.shoff);
  }
  // Section 0 carries the escapes for large counts.
  const s0size = f.wordN(shoff + (is64 ? 32 : 20));
  const s0link = f.u32(shoff + (is64 ? 40 : 24));
  const sec0Info = f.u32(shoff + (is64 ? 44 : 28));
  const shnumEscaped = header.shnum === 0;
  const shnum = shnumEscaped ? s0size : header.shnum;
  if (shnum > (len - shoff) / shdrSize) {
    fail(
      `section header table at offset ${hex(shoff)} with ${shnum > MAX_SAFE ? '>= 2^53' : shnum} entries of ${shdrSize} bytes extends past end of file (size ${len})`,
      shoff,
    );
  }
  const shstrndx = header.shstrndx === SHN_XINDEX ? s0link : header.shstrndx;
  if (shstrndx !== SHN_UNDEF && shstrndx >= shnum) {
    fail(`bad e_shstrndx ${shstrndx}: the file has ${shnum} sections`, o.ehsize + 10);
  }
  return { shnum, shstrndx, shnumEscaped, sec0Info };
}

/** Stage 3: the raw section headers (names need the string table's header, so they come later). */
function readSectionHeaders(f: Fields, header: ElfHeader, shnum: number): RawSection[] {
  const is64 = header.class === 64;
  const shdrSize = SHDR_SIZE[header.class];
  const raws: RawSection[] = new Array(shnum);
  for (let i = 0; i < shnum; i++) {
    const p = header.shoff + i * shdrSize;
    let r: RawSection;
    if (is64) {
      r = {
        nameOffset: f.u32(p),
        type: f.u32(p + 4),
        flags: f.u64n(p + 8),
        addr: f.u64(p + 16),
        offset: f.u64n(p + 24),
        size: f.u64n(p + 32),
        link: f.u32(p + 40),
        info: f.u32(p + 44),
        addralign: f.u64n(p + 48),
        entsize: f.u64n(p + 56),
        headerOffset: p,
      };
    } else {
      r = {
        nameOffset: f.u32(p),
        type: f.u32(p + 4),
        flags: f.u32(p + 8),
        addr: BigInt(f.u32(p + 12)),
        offset: f.u32(p + 16),
        size: f.u32(p + 20),
        link: f.u32(p + 24),
        info: f.u32(p + 28),
        addralign: f.u32(p + 32),
        entsize: f.u32(p + 36),
        headerOffset: p,
      };
    }
    raws[i] = r;
  }
  return raws;
}

/**
 * Stage 4: every section's file range lies inside the file, checked before anything reads it.
 * Section 0 (SHT_NULL) holds the escape values in sh_size, not a file range.
 */
function checkSectionRanges(raws: readonly RawSection[], len: number): void {
  for (let i = 1; i < raws.length; i++) {
    const r = raws[i]!;
    if (r.type === SHT_NOBITS) {
      if (r.size > MAX_SAFE) fail(`section ${i}: SHT_NOBITS sh_size ${hex(r.size)} is too large`, r.headerOffset);
      continue;
    }
    if (r.size === 0) continue;
    if (r.offset > len || r.size > len - r.offset) {
      fail(
        `section ${i}: data at offset ${hex(r.offset)} with sh_size ${hex(r.size)} extends past end of file (size ${len})`,
        r.headerOffset,
      );
    }
  }
}

/** Stage 5: section names from the section-name table (SHT_STRTAB), '' when there is none. */
function nameSections(bytes: Uint8Array, raws: readonly RawSection[], shstrndx: number, budget: { left: number }): ElfSection[] {
  let names: StringTable | undefined;
  if (shstrndx !== SHN_UNDEF) {
    const r = raws[shstrndx]!;
    if (r.type !== SHT_STRTAB) {
      fail(`bad e_shstrndx ${shstrndx}: section ${shstrndx} has type ${r.type}, not SHT_STRTAB`, r.headerOffset);
    }
    const d = r.size === 0 ? bytes.subarray(0, 0) : bytes.subarray(r.offset, r.offset + r.size);
    names = new StringTable(d, 'the section name table', r.offset, budget);
  }
  const sections: ElfSection[] = [];
  for (let i = 0; i < raws.length; i++) {
    const r = raws[i]!;
    let name = '';
    if (names !== undefined && !(i === 0 && r.nameOffset === 0)) {
      name = names.get(r.nameOffset, `section ${i} name`);
    }
    sections.push({ index: i, name, ...r });
  }
  return sections;
}

/** Stage 6: the program header table (e_phnum == PN_XNUM: count in section 0's sh_info). */
function readProgramHeaders(f: Fields, header: ElfHeader, table: SectionTable, len: number): ElfProgramHeader[] {
  const programHeaders: ElfProgramHeader[] = [];
  let phnum = header.phnum;
  if (phnum === PN_XNUM && table.shnum > 0) phnum = table.sec0Info;
  if (phnum === 0) return programHeaders;
  const is64 = header.class === 64;
  const o = is64 ? LAYOUT64 : LAYOUT32;
  const phdrSize = PHDR_SIZE[header.class];
  if (header.phentsize !== phdrSize) {
    fail(`bad e_phentsize ${header.phentsize}: ELF${header.class} program headers are ${phdrSize} bytes`, o.ehsize + 2);
  }
  const phoff = header.phoff;
  if (phoff > len || phnum > (len - phoff) / phdrSize) {
    fail(`program header table at offset ${hex(phoff)} with ${phnum} entries extends past end of file (size ${len})`, o.phoff);
  }
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phdrSize;
    let ph: ElfProgramHeader;
    if (is64) {
      ph = {
        index: i,
        type: f.u32(p),
        flags: f.u32(p + 4),
        offset: f.u64n(p + 8),
        vaddr: f.u64(p + 16),
        paddr: f.u64(p + 24),
        filesz: f.u64n(p + 32),
        memsz: f.u64(p + 40),
        align: f.u64(p + 48),
      };
    } else {
      ph = {
        index: i,
        type: f.u32(p),
        offset: f.u32(p + 4),
        vaddr: BigInt(f.u32(p + 8)),
        paddr: BigInt(f.u32(p + 12)),
        filesz: f.u32(p + 16),
        memsz: BigInt(f.u32(p + 20)),
        flags: f.u32(p + 24),
        align: BigInt(f.u32(p + 28)),
      };
    }
    if (ph.filesz !== 0 && (ph.offset > len || ph.filesz > len - ph.offset)) {
      fail(`program header ${i}: segment at offset ${hex(ph.offset)} with p_filesz ${hex(ph.filesz)} extends past end of file (size ${len})`, p);
    }
    programHeaders.push(ph);
  }
  return programHeaders;
}
