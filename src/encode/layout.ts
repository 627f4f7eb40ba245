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

/** The symbol of each relocation entry of the sections applying to one target, by offset. */
interface RelocIndex {
  offsets: Float64Array;
  syms: Uint32Array;
}

/**
 * What a relocatable file's relocations make of addresses read from its relocated DWARF:
 * `adjust(section, offset, value)` adds the laid-out address of the section of the symbol the
 * relocation at `offset` of `section` refers to (undefined when the symbol is undefined or
 * common: libdwfl cannot relocate it).
 */
export class AddressLayout {
  readonly addr: Float64Array;
  private readonly index = new Map<string, RelocIndex>();

  constructor(private readonly elf: ElfFile) {
    this.addr = sectionLayout(elf);
  }

  adjust(section: string, offset: number, value: number): number | undefined {
    if (this.elf.header.type !== ET_REL) return value;
    const ri = this.relocs(section);
    const k = lowerBound(ri.offsets, offset);
    if (k >= ri.offsets.length || ri.offsets[k] !== offset) return value;
    const sym = ri.syms[k]!;
    if (sym === 0) return value;
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

  private relocs(section: string): RelocIndex {
    let ri = this.index.get(section);
    if (!ri) {
      ri = readRelocs(this.elf, section);
      this.index.set(section, ri);
    }
    return ri;
  }
}

/** Offsets and symbols of the (non-NONE) relocations applying to `section`, sorted by offset. */
function readRelocs(elf: ElfFile, section: string): RelocIndex {
  const target = elf.section(section);
  const offs: number[] = [];
  const syms: number[] = [];
  const is64 = elf.header.class === 64;
  const le = elf.header.littleEndian;
  if (target) {
    for (const rel of elf.sections) {
      if ((rel.type !== SHT_RELA && rel.type !== SHT_REL) || rel.info !== target.index) continue;
      const ent = is64 ? (rel.type === SHT_RELA ? 24 : 16) : rel.type === SHT_RELA ? 12 : 8;
      const b = elf.sectionData(rel);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let p = 0; p + ent <= b.length; p += ent) {
        let off: number, sym: number, type: number;
        if (is64) {
          off = dv.getUint32(p + (le ? 0 : 4), le) + dv.getUint32(p + (le ? 4 : 0), le) * 0x100000000;
          type = dv.getUint32(p + (le ? 8 : 12), le);
          sym = dv.getUint32(p + (le ? 12 : 8), le);
        } else {
          off = dv.getUint32(p, le);
          const info = dv.getUint32(p + 4, le);
          sym = info >>> 8;
          type = info & 0xff;
        }
        if (type === 0) continue;
        offs.push(off);
        syms.push(sym);
      }
    }
  }
  const order = offs.map((_, i) => i);
  let sorted = true;
  for (let i = 1; i < offs.length && sorted; i++) sorted = offs[i - 1]! <= offs[i]!;
  if (!sorted) order.sort((a, b) => offs[a]! - offs[b]! || a - b);
  const ri: RelocIndex = { offsets: new Float64Array(offs.length), syms: new Uint32Array(offs.length) };
  for (let i = 0; i < order.length; i++) {
    ri.offsets[i] = offs[order[i]!]!;
    ri.syms[i] = syms[order[i]!]!;
  }
  return ri;
}

function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
