/**
 * A parsed ELF file (`ElfFile`, built by `parseElf` in reader.ts): section lookup by name (the
 * last of a repeated name wins, as libbpf's libelf walk), zero-copy section data, and the
 * symbol table and relocation entries, decoded lazily on first request. The symbol table follows
 * the gABI: at most one SHT_SYMTAB, names from its sh_link string table, SHN_XINDEX resolved
 * through the SHT_SYMTAB_SHNDX section linked to it.
 */

import { BtfkitError, Errno } from '../errors.js';
import {
  EHDR_SIZE,
  PHDR_SIZE,
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
import { Fields, StringTable, fail, newBudget } from './fields.js';
import type { ElfHeader, ElfProgramHeader, ElfRelocation, ElfRelocationSection, ElfSection, ElfSymbol } from './types.js';

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
