/**
 * Addresses as pahole sees them in a relocatable module: pahole opens the file through libdwfl
 * (dwfl_report_offline), which gives an ET_REL file an arbitrary section layout before the
 * DWARF is relocated, and pahole's encoder then reads those laid-out section addresses back.
 *
 * Approach (elfutils libdwfl, __libdwfl_elf_address_range and __libdwfl_relocate_value, in
 * our words): the SHF_ALLOC sections whose sh_addr is 0 are placed one after the other in
 * section-index order, each at the next multiple of its alignment, starting at the first
 * offline address (0x10000, rounded to 0x100); when a later section needs more alignment than
 * the start has, the start is rounded up and every section so far is placed again. Sections
 * that already have an address keep it (the start is then only shifted to stay congruent).
 * Non-ALLOC sections keep sh_addr (0 in a `.ko`). A relocation against a symbol of an ALLOC
 * section then yields st_value + that section's address + addend; against an absolute symbol
 * or a non-ALLOC section, st_value + addend.
 *
 * The DWARF reader (src/dwarf/sections.ts) applies relocations with every section at 0, which
 * is all the types and functions need; for a variable's address the encoder adds the laid-out
 * address of the relocation symbol's section, found here from the relocation entry at the
 * address's offset (entries read straight from the bytes, indexed once per section).
 */

import type { ElfFile, ElfSection } from '../elf/index.js';
import { ET_REL, SHF_ALLOC, SHN_ABS, SHN_COMMON, SHN_UNDEF, SHT_REL, SHT_RELA } from '../elf/index.js';

/** libdwfl's first address for offline modules, and the minimum alignment of an ET_REL module. */
const OFFLINE_BASE = 0x10000;
const REL_MIN_ALIGN = 0x100;

const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;

/** Section addresses (by section index) as libdwfl lays out the file. */
export function sectionLayout(elf: ElfFile): Float64Array {
  const secs = elf.sections;
  const addr = new Float64Array(secs.length);
  for (const s of secs) addr[s.index] = Number(s.addr);
  if (elf.header.type !== ET_REL) return addr;
  let base = alignUp(OFFLINE_BASE, REL_MIN_ALIGN);
  let start = base;
  let end = base;
  let bias = 0;
  let first = true;
  for (let i = 1; i < secs.length; i++) {
    const s = secs[i]!;
    if (!(s.flags & SHF_ALLOC)) continue;
    const align = s.addralign || 1;
    const next = alignUp(end, align);
    if (addr[i] === 0 || (bias === 0 && end > start && end !== next)) {
      addr[i] = next;
      if (end === base) {
        start = base = next;
      } else if (base % align !== 0) {
        start = end = base = alignUp(base, align);
        for (let j = 1; j <= i; j++) {
          const p = secs[j]!;
          if (!(p.flags & SHF_ALLOC)) continue;
          addr[j] = alignUp(end, p.addralign || 1);
          end = addr[j]! + p.size;
        }
        continue;
      }
      end = addr[i]! + s.size;
    } else {
      if (first || end < addr[i]! + s.size) end = addr[i]! + s.size;
      if (first || bias > addr[i]!) bias = addr[i]!;
      if ((addr[i]! - bias + base) % align !== 0) base = alignUp(base, align) + (bias % align);
    }
    first = false;
  }
  return addr;
}

/** One relocation section, read in place: entry i at byte i * ent. */
interface RelocTable {
  dv: DataView;
  n: number;
  ent: number;
  /** Entries in ascending offset order (as assemblers and `ld -r` write them): binary search. */
  sorted: boolean;
}

/**
 * What a relocatable file's relocations make of addresses read from its relocated DWARF:
 * `adjust(section, offset, value)` adds the laid-out address of the section of the symbol the
 * relocation at `offset` of `section` refers to (undefined when the symbol is undefined or
 * common: libdwfl cannot relocate it).
 */
export class AddressLayout {
  readonly addr: Float64Array;
  private readonly tables = new Map<string, RelocTable[]>();
  private readonly is64: boolean;
  private readonly le: boolean;

  constructor(private readonly elf: ElfFile) {
    this.addr = sectionLayout(elf);
    this.is64 = elf.header.class === 64;
    this.le = elf.header.littleEndian;
  }

  adjust(section: string, offset: number, value: number): number | undefined {
    if (this.elf.header.type !== ET_REL) return value;
    const sym = this.symbolAt(section, offset);
    if (sym <= 0) return value;
    const s = this.elf.symbols()[sym];
    if (!s) return undefined;
    if (s.shndx === SHN_UNDEF || s.shndx === SHN_COMMON) return undefined;
    if (s.shndx === SHN_ABS || s.shndx >= this.addr.length) return value;
    const sec = this.elf.sections[s.shndx];
    return sec && sec.flags & SHF_ALLOC ? value + this.addr[s.shndx]! : value;
  }

  /** The first PROGBITS/NOBITS section whose laid-out range holds `a` (pahole's get_elf_section), or 0. */
  sectionHolding(a: number, isDataSection: (s: ElfSection) => boolean): number {
    const secs = this.elf.sections;
    for (let i = 1; i < secs.length; i++) {
      const s = secs[i]!;
      if (!isDataSection(s)) continue;
      const lo = this.addr[i]!;
      if (lo <= a && a - lo < s.size) return i;
    }
    return 0;
  }

  /** The symbol index of the (non-NONE) relocation at `offset` of `section`, or -1. */
  private symbolAt(section: string, offset: number): number {
    let tables = this.tables.get(section);
    if (!tables) {
      tables = relocTables(this.elf, section, this.is64, this.le);
      this.tables.set(section, tables);
    }
    let found = -1;
    for (const t of tables) {
      if (t.sorted) {
        let lo = 0;
        let hi = t.n;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (this.offsetOf(t, mid) < offset) lo = mid + 1;
          else hi = mid;
        }
        for (; lo < t.n && this.offsetOf(t, lo) === offset; lo++) found = this.symOf(t, lo, found);
      } else {
        for (let i = 0; i < t.n; i++) if (this.offsetOf(t, i) === offset) found = this.symOf(t, i, found);
      }
    }
    return found;
  }

  private offsetOf(t: RelocTable, i: number): number {
    const p = i * t.ent;
    const le = this.le;
    return this.is64 ? t.dv.getUint32(p + (le ? 0 : 4), le) + t.dv.getUint32(p + (le ? 4 : 0), le) * 0x100000000 : t.dv.getUint32(p, le);
  }

  /** The entry's symbol, or `prev` when its type is NONE (libdwfl leaves the field alone). */
  private symOf(t: RelocTable, i: number, prev: number): number {
    const p = i * t.ent;
    const le = this.le;
    if (this.is64) {
      if (t.dv.getUint32(p + (le ? 8 : 12), le) === 0) return prev;
      return t.dv.getUint32(p + (le ? 12 : 8), le);
    }
    const info = t.dv.getUint32(p + 4, le);
    return (info & 0xff) === 0 ? prev : info >>> 8;
  }
}

/** The relocation sections applying to `section`, each checked for offset order once. */
function relocTables(elf: ElfFile, section: string, is64: boolean, le: boolean): RelocTable[] {
  const target = elf.section(section);
  const out: RelocTable[] = [];
  if (!target) return out;
  for (const rel of elf.sections) {
    if ((rel.type !== SHT_RELA && rel.type !== SHT_REL) || rel.info !== target.index) continue;
    const ent = is64 ? (rel.type === SHT_RELA ? 24 : 16) : rel.type === SHT_RELA ? 12 : 8;
    const b = elf.sectionData(rel);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const n = Math.floor(b.length / ent);
    let sorted = true;
    let prev = -1;
    for (let i = 0; i < n && sorted; i++) {
      const p = i * ent;
      const off = is64 ? dv.getUint32(p + (le ? 0 : 4), le) + dv.getUint32(p + (le ? 4 : 0), le) * 0x100000000 : dv.getUint32(p, le);
      sorted = off >= prev;
      prev = off;
    }
    out.push({ dv, n, ent, sorted });
  }
  return out;
}
