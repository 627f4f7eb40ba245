/**
 * Types of the ELF reader's results: the file header, section and program headers, symbols and
 * relocations, with fields as stored in the file (numbers where they fit, bigints for
 * addresses and 64-bit values that may exceed 2^53).
 */

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
