/**
 * ELF reader: `parseElf(bytes)` decodes the ELF header, the program header table and the
 * section header table of an ELF32/ELF64, little/big-endian file held in a Uint8Array,
 * without copying any section data (`sectionData` returns subarrays). Approach: read every
 * header through one DataView; validate each offset and size against the file length before
 * it is used, with comparisons of the form `size > length - offset` so that no sum can
 * overflow or lose precision; every count is bounded by the file length, so no allocation is
 * driven by an unchecked header field. Section names are resolved eagerly (they are few);
 * the symbol table and relocation entries are decoded lazily on first request.
 * Reference behaviour: libelf as used by libbpf's `btf_parse_elf` (sections found by name,
 * the last of a repeated name wins; `SHN_XINDEX`/`e_shnum == 0`/`PN_XNUM` escapes through
 * section 0; `e_shentsize` must equal the class's Shdr size; the section-name table must be
 * SHT_STRTAB and strings must be NUL-terminated inside their table) and the gABI for
 * `SHT_SYMTAB_SHNDX`. Every failure is a `BtfkitError` with code 'ELF' (or 'ELF_NO_SECTION'
 * from `requireSection`), errno `LIBBPF_ERRNO__FORMAT` as libbpf reports for a bad ELF.
 */

import { BtfkitError, Errno } from '../errors.js';
import {
  EHDR_SIZE,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  PHDR_SIZE,
  PN_XNUM,
  REL_SIZE,
  RELA_SIZE,
  SHDR_SIZE,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
  SYM_SIZE,
} from './constants.js';

export type ElfClass = 32 | 64;

/** The ELF file header, fields as stored (escapes such as e_shnum == 0 are not resolved here). */
export interface ElfHeader {
  readonly class: ElfClass;
  readonly littleEndian: boolean;
  /** e_ident[EI_VERSION] */
  readonly identVersion: number;
  readonly osabi: number;
  readonly abiVersion: number;
  readonly type: number;
  readonly machine: number;
  readonly version: number;
  readonly entry: bigint;
  readonly phoff: number;
  readonly shoff: number;
  readonly flags: number;
  readonly ehsize: number;
  readonly phentsize: number;
  readonly phnum: number;
  readonly shentsize: number;
  readonly shnum: number;
  readonly shstrndx: number;
}

export interface ElfSection {
  readonly index: number;
  /** Name from the section-name string table ('' when the file has none). */
  readonly name: string;
  /** sh_name */
  readonly nameOffset: number;
  readonly type: number;
  /** sh_flags (bits above 2^53 of a 64-bit value are not representable; the writer keeps the raw header). */
  readonly flags: number;
  readonly addr: bigint;
  /** sh_offset; for sections with file data it is checked: offset + size <= file length. */
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
  /** File offset of this section's header in the section header table. */
  readonly headerOffset: number;
}

export interface ElfProgramHeader {
  readonly index: number;
  readonly type: number;
  readonly flags: number;
  /** p_offset and p_filesz are checked against the file length. */
  readonly offset: number;
  readonly filesz: number;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
}

export interface ElfSymbol {
  readonly index: number;
  readonly name: string;
  readonly nameOffset: number;
  readonly value: bigint;
  readonly size: bigint;
  /** st_info; bind = info >> 4, type = info & 0xf */
  readonly info: number;
  readonly bind: number;
  readonly type: number;
  /** st_other; visibility = other & 3 */
  readonly other: number;
  /** Section index, with SHN_XINDEX resolved through SHT_SYMTAB_SHNDX. */
  readonly shndx: number;
  /** st_shndx as stored. */
  readonly rawShndx: number;
}

export interface ElfRelocationSection {
  readonly section: ElfSection;
  /** true for SHT_RELA, false for SHT_REL */
  readonly rela: boolean;
  /** sh_info: index of the section the relocations apply to */
  readonly target: number;
  /** sh_link: index of the symbol table */
  readonly symtab: number;
}

export interface ElfRelocation {
  readonly offset: bigint;
  readonly sym: number;
  readonly type: number;
  /** 0n for SHT_REL */
  readonly addend: bigint;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const TWO32 = 0x1_0000_0000;

function fail(message: string, offset?: number, section?: string): never {
  const where: { offset?: number; section?: string } = {};
  if (offset !== undefined) where.offset = offset;
  if (section !== undefined) where.section = section;
  throw new BtfkitError('ELF', message, { errno: Errno.FORMAT, where });
}

function hex(n: number): string {
  return n > MAX_SAFE ? '>= 2^53' : `0x${n.toString(16)}`;
}

/** True if `bytes` starts with the ELF magic "\x7fELF". */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** Little helper around a DataView that reads class-dependent fields. */
class Fields {
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
function newBudget(fileLength: number): { left: number } {
  return { left: 4 * fileLength + 64 * 1024 * 1024 };
}

/**
 * A string table with NUL-terminated strings looked up by byte offset. Lookups share a
 * budget of decoded bytes (a few times the file size) so that hostile tables whose strings
 * overlap heavily cannot make decoding quadratic in time or memory.
 */
class StringTable {
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

/** A parsed ELF file. Holds a reference to (not a copy of) the input bytes. */
export class ElfFile {
  readonly bytes: Uint8Array;
  readonly header: ElfHeader;
  readonly sections: readonly ElfSection[];
  readonly programHeaders: readonly ElfProgramHeader[];
  /** Index of the section-name string table after resolving SHN_XINDEX (0: none). */
  readonly shstrndx: number;
  /** True when e_shnum == 0 and the section count is held in section 0's sh_size. */
  readonly shnumEscaped: boolean;

  private readonly byName: Map<string, ElfSection>;
  private readonly fields: Fields;
  private readonly budget: { left: number };
  private symCache: readonly ElfSymbol[] | undefined;

  /** @internal use parseElf */
  constructor(
    bytes: Uint8Array,
    header: ElfHeader,
    sections: ElfSection[],
    programHeaders: ElfProgramHeader[],
    shstrndx: number,
    shnumEscaped: boolean,
  ) {
    this.bytes = bytes;
    this.header = header;
    this.fields = new Fields(bytes, header.littleEndian, header.class === 64);
    this.sections = sections;
    this.programHeaders = programHeaders;
    this.shstrndx = shstrndx;
    this.shnumEscaped = shnumEscaped;
    this.budget = newBudget(bytes.length);
    this.byName = new Map();
    for (const s of sections) if (s.index !== 0) this.byName.set(s.name, s); // last one wins
  }

  get is64(): boolean {
    return this.header.class === 64;
  }
  get littleEndian(): boolean {
    return this.header.littleEndian;
  }

  /**
   * End of the ELF data proper: the largest end offset of the ELF header, the program and
   * section header tables, every segment and every section with file contents. Bytes after it
   * (`bytes.subarray(elfEnd)`) belong to no ELF structure, e.g. an appended module signature
   * ("~Module signature appended~") or the relocation table after an x86 vmlinux.bin.
   */
  get elfEnd(): number {
    const h = this.header;
    let end = Math.min(Math.max(h.ehsize, EHDR_SIZE[h.class]), this.bytes.length);
    if (this.programHeaders.length > 0) end = Math.max(end, h.phoff + this.programHeaders.length * PHDR_SIZE[h.class]);
    if (this.sections.length > 0) end = Math.max(end, h.shoff + this.sections.length * SHDR_SIZE[h.class]);
    for (const p of this.programHeaders) if (p.filesz > 0) end = Math.max(end, p.offset + p.filesz);
    for (const s of this.sections) if (s.index > 0 && s.type !== SHT_NOBITS && s.size > 0) end = Math.max(end, s.offset + s.size);
    return end;
  }

  /** The section with this name; if the name repeats, the last one (as libbpf does). */
  section(name: string): ElfSection | undefined {
    return this.byName.get(name);
  }

  /** Like `section`, but a missing section is a BtfkitError 'ELF_NO_SECTION' (errno ENODATA). */
  requireSection(name: string): ElfSection {
    const s = this.byName.get(name);
    if (s === undefined) {
      throw new BtfkitError('ELF_NO_SECTION', `failed to find '${name}' ELF section`, {
        errno: Errno.ENODATA,
        where: { section: name },
      });
    }
    return s;
  }

  /** The section's bytes as a subarray of the file (no copy); empty for SHT_NOBITS. */
  sectionData(sec: ElfSection): Uint8Array {
    if (sec.type === SHT_NOBITS || sec.size === 0) return this.bytes.subarray(0, 0);
    return this.bytes.subarray(sec.offset, sec.offset + sec.size);
  }

  /** The SHT_SYMTAB section, if any (there may be at most one). */
  symbolTable(): ElfSection | undefined {
    let found: ElfSection | undefined;
    for (const s of this.sections) {
      if (s.type !== SHT_SYMTAB) continue;
      if (found !== undefined) fail(`multiple symbol tables (sections ${found.index} and ${s.index})`, s.headerOffset, s.name);
      found = s;
    }
    return found;
  }

  /** Symbols of the SHT_SYMTAB section (entry 0 included); [] if there is none. Decoded once, then cached. */
  symbols(): readonly ElfSymbol[] {
    if (this.symCache === undefined) this.symCache = this.readSymbols();
    return this.symCache;
  }

  private readSymbols(): ElfSymbol[] {
    const symtab = this.symbolTable();
    if (symtab === undefined) return [];
    const f = this.fields;
    const is64 = this.is64;
    const entsize = SYM_SIZE[this.header.class];
    if (symtab.entsize !== entsize) {
      fail(`symbol table sh_entsize is ${symtab.entsize}, expected ${entsize}`, symtab.headerOffset, symtab.name);
    }
    if (symtab.size % entsize !== 0) {
      fail(`symbol table size ${symtab.size} is not a multiple of its entry size ${entsize}`, symtab.headerOffset, symtab.name);
    }
    const strtab = this.linkedStrtab(symtab);
    const count = symtab.size / entsize;
    // Extended section indices: the SHT_SYMTAB_SHNDX section linked to this symbol table.
    let shndxData: Uint8Array | undefined;
    let shndxSec: ElfSection | undefined;
    for (const s of this.sections) {
      if (s.type === SHT_SYMTAB_SHNDX && s.link === symtab.index) {
        shndxSec = s;
        shndxData = this.sectionData(s);
        break;
      }
    }
    const out: ElfSymbol[] = new Array(count);
    const base = symtab.offset;
    for (let i = 0; i < count; i++) {
      const p = base + i * entsize;
      let nameOffset: number, info: number, other: number, rawShndx: number, value: bigint, size: bigint;
      if (is64) {
        nameOffset = f.u32(p);
        info = f.u8(p + 4);
        other = f.u8(p + 5);
        rawShndx = f.u16(p + 6);
        value = f.u64(p + 8);
        size = f.u64(p + 16);
      } else {
        nameOffset = f.u32(p);
        value = BigInt(f.u32(p + 4));
        size = BigInt(f.u32(p + 8));
        info = f.u8(p + 12);
        other = f.u8(p + 13);
        rawShndx = f.u16(p + 14);
      }
      let shndx = rawShndx;
      if (rawShndx === SHN_XINDEX) {
        if (shndxData === undefined || shndxSec === undefined) {
          fail(`symbol ${i} has st_shndx SHN_XINDEX but there is no SHT_SYMTAB_SHNDX section`, p, symtab.name);
        }
        if ((i + 1) * 4 > shndxData.length) {
          fail(`symbol ${i} has st_shndx SHN_XINDEX but ${shndxSec.name} holds only ${Math.floor(shndxData.length / 4)} entries`, shndxSec.offset, shndxSec.name);
        }
        shndx = f.u32(shndxSec.offset + i * 4);
      }
      const name = nameOffset === 0 && strtab.data.length === 0 ? '' : strtab.get(nameOffset, `symbol ${i} name`);
      out[i] = { index: i, name, nameOffset, value, size, info, bind: info >> 4, type: info & 0xf, other, shndx, rawShndx };
    }
    return out;
  }

  private linkedStrtab(sec: ElfSection): StringTable {
    const link = sec.link;
    if (link === SHN_UNDEF || link >= this.sections.length) {
      fail(`${sec.name}: sh_link ${link} is not a valid section index (${this.sections.length} sections)`, sec.headerOffset, sec.name);
    }
    const str = this.sections[link]!;
    if (str.type !== SHT_STRTAB) {
      fail(`${sec.name}: sh_link ${link} points to section ${str.name || link} of type ${str.type}, not SHT_STRTAB`, sec.headerOffset, sec.name);
    }
    return new StringTable(this.sectionData(str), str.name, str.offset, this.budget);
  }

  /** SHT_REL and SHT_RELA sections with the index of the section they apply to. */
  relocationSections(): ElfRelocationSection[] {
    const out: ElfRelocationSection[] = [];
    for (const s of this.sections) {
      if (s.type === SHT_REL || s.type === SHT_RELA) {
        out.push({ section: s, rela: s.type === SHT_RELA, target: s.info, symtab: s.link });
      }
    }
    return out;
  }

  /**
   * Entries of one relocation section. r_info is split the standard way
   * (ELF64: sym = info >> 32, type = info & 0xffffffff; ELF32: sym = info >> 8, type = info & 0xff);
   * the MIPS64 little-endian r_info layout is not special-cased.
   */
  relocations(rel: ElfRelocationSection): ElfRelocation[] {
    const s = rel.section;
    const cls = this.header.class;
    const entsize = rel.rela ? RELA_SIZE[cls] : REL_SIZE[cls];
    if (s.size % entsize !== 0) {
      fail(`relocation section size ${s.size} is not a multiple of its entry size ${entsize}`, s.headerOffset, s.name);
    }
    const f = this.fields;
    const n = s.size / entsize;
    const out: ElfRelocation[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const p = s.offset + i * entsize;
      if (this.is64) {
        const info = f.u64(p + 8);
        out[i] = { offset: f.u64(p), sym: Number(info >> 32n), type: Number(info & 0xffffffffn), addend: rel.rela ? f.dv.getBigInt64(p + 16, f.le) : 0n };
      } else {
        const info = f.u32(p + 4);
        out[i] = { offset: BigInt(f.u32(p)), sym: info >>> 8, type: info & 0xff, addend: rel.rela ? BigInt(f.dv.getInt32(p + 8, f.le)) : 0n };
      }
    }
    return out;
  }
}

/** Parses an ELF file. Throws BtfkitError('ELF') on any structural problem. */
export function parseElf(bytes: Uint8Array): ElfFile {
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
  const o = is64 ? { entry: 24, phoff: 32, shoff: 40, flags: 48, ehsize: 52 } : { entry: 24, phoff: 28, shoff: 32, flags: 36, ehsize: 40 };
  const e = o.ehsize;
  const header: ElfHeader = {
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

  const budget = newBudget(len);

  // ---- section header table ----
  const shdrSize = SHDR_SIZE[elfClass];
  const sections: ElfSection[] = [];
  let shnum = 0;
  let shstrndx = 0;
  let shnumEscaped = false;
  let sec0Info = 0;
  if (header.shoff !== 0) {
    if (header.shentsize !== shdrSize) {
      fail(`bad e_shentsize ${header.shentsize}: ELF${elfClass} section headers are ${shdrSize} bytes`, e + 6);
    }
    const shoff = header.shoff;
    if (shoff > len || shdrSize > len - shoff) {
      fail(`section header table at offset ${hex(shoff)} extends past end of file (size ${len})`, o.shoff);
    }
    // Section 0 carries the escapes for large counts.
    const s0size = f.wordN(shoff + (is64 ? 32 : 20));
    const s0link = f.u32(shoff + (is64 ? 40 : 24));
    sec0Info = f.u32(shoff + (is64 ? 44 : 28));
    if (header.shnum === 0) {
      shnumEscaped = true;
      shnum = s0size;
    } else {
      shnum = header.shnum;
    }
    if (shnum > (len - shoff) / shdrSize) {
      fail(
        `section header table at offset ${hex(shoff)} with ${shnum > MAX_SAFE ? '>= 2^53' : shnum} entries of ${shdrSize} bytes extends past end of file (size ${len})`,
        shoff,
      );
    }
    shstrndx = header.shstrndx === SHN_XINDEX ? s0link : header.shstrndx;
    if (shstrndx !== SHN_UNDEF && shstrndx >= shnum) {
      fail(`bad e_shstrndx ${shstrndx}: the file has ${shnum} sections`, e + 10);
    }
  }

  // Raw headers first (names need the string table's header).
  interface Raw {
    nameOffset: number;
    type: number;
    flags: number;
    addr: bigint;
    offset: number;
    size: number;
    link: number;
    info: number;
    addralign: number;
    entsize: number;
    headerOffset: number;
  }
  const raws: Raw[] = new Array(shnum);
  for (let i = 0; i < shnum; i++) {
    const p = header.shoff + i * shdrSize;
    let r: Raw;
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

  // Check every section's file range before anything reads it. Section 0 (SHT_NULL) holds the
  // escape values in sh_size, not a file range.
  for (let i = 1; i < shnum; i++) {
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

  let names: StringTable | undefined;
  if (shstrndx !== SHN_UNDEF) {
    const r = raws[shstrndx]!;
    if (r.type !== SHT_STRTAB) {
      fail(`bad e_shstrndx ${shstrndx}: section ${shstrndx} has type ${r.type}, not SHT_STRTAB`, r.headerOffset);
    }
    const d = r.size === 0 ? bytes.subarray(0, 0) : bytes.subarray(r.offset, r.offset + r.size);
    names = new StringTable(d, 'the section name table', r.offset, budget);
  }
  for (let i = 0; i < shnum; i++) {
    const r = raws[i]!;
    let name = '';
    if (names !== undefined && !(i === 0 && r.nameOffset === 0)) {
      name = names.get(r.nameOffset, `section ${i} name`);
    }
    sections.push({ index: i, name, ...r });
  }

  // ---- program header table ----
  const programHeaders: ElfProgramHeader[] = [];
  let phnum = header.phnum;
  if (phnum === PN_XNUM && shnum > 0) phnum = sec0Info;
  if (phnum !== 0) {
    const phdrSize = PHDR_SIZE[elfClass];
    if (header.phentsize !== phdrSize) {
      fail(`bad e_phentsize ${header.phentsize}: ELF${elfClass} program headers are ${phdrSize} bytes`, e + 2);
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
  }

  return new ElfFile(bytes, header, sections, programHeaders, shstrndx, shnumEscaped);
}
