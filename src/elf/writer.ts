/**
 * ELF writer: `rewriteElf(file, changes)` replaces the contents of existing sections and/or
 * appends new sections, returning a new file (`rewriteElfParts`: the same file as parts, the
 * untouched ones slices of the input, see output.ts). Approach: everything that is not touched
 * keeps its bytes and its file offset: the output starts with the input up to the end of the
 * last kept piece (ELF header, program headers, segments, untouched sections). A replaced
 * section whose new data fits in its old room is rewritten in place (the rest of the room is
 * zeroed); a grown section moves to the end of the file (its old room is zeroed), followed by
 * the added sections, then by a rewritten section header table. Names of added sections are
 * appended to the section-name string table (which therefore grows and moves to the end unless
 * it already is last); existing sh_name offsets and all section indices stay the same, so
 * symbol tables, relocations and sh_link/sh_info need no change and are copied verbatim (the
 * section headers themselves are copied raw and only sh_offset/sh_size are patched).
 * Reference behaviour: `objcopy --update-section NAME=FILE --add-section NAME=FILE
 * [--set-section-flags NAME=alloc,readonly,contents]` (GNU binutils 2.40 and llvm-objcopy 14):
 * an updated section keeps its type, flags, address, alignment, entsize, link and info; an
 * added section is SHT_PROGBITS, address 0, sh_addralign 1, entsize/link/info 0, flags 0
 * (SHF_ALLOC with `--set-section-flags ...=alloc,readonly,contents`); updating a missing or
 * SHT_NOBITS section and adding an existing name are errors. Like llvm-objcopy (and unlike GNU
 * objcopy, which rebuilds the whole file and inserts new sections before .symtab) new section
 * headers are appended after the existing ones. Sections covered by a segment (ET_EXEC/ET_DYN)
 * may only be replaced by data of the same size; added sections are never part of a segment.
 * Bytes after the last kept piece that belong to no section (e.g. an appended module
 * signature or an old section header table) are dropped, as objcopy does, unless
 * `keepTrailingData` asks to append the bytes after the input's ELF data (`elfEnd`) again.
 * Stages of `rewriteElf`: what is replaced (`replacedData`), what is added (`checkAdditions`,
 * `growNameTable`), whether the touched sections may change or move (`movedSections`), the
 * new file layout (`planLayout`), then the bytes (`writeData`) and the section headers
 * (`writeHeaders`).
 */

import { BtfkitError, Errno } from '../errors.js';
import { EHDR_SIZE, PHDR_SIZE, SHDR_SIZE, SHN_LORESERVE, SHT_NOBITS, SHT_PROGBITS } from './constants.js';
import type { ElfFile } from './reader.js';
import { PatchedOutput } from './output.js';

/** A section to append. Defaults match `objcopy --add-section`. */
export interface NewSection {
  readonly name: string;
  readonly data: Uint8Array;
  /** sh_type, default SHT_PROGBITS */
  readonly type?: number;
  /** sh_flags, default 0; SHF_ALLOC (2) matches `--set-section-flags NAME=alloc,readonly,contents` */
  readonly flags?: number;
  /** sh_addralign, default 1; a power of two */
  readonly align?: number;
}

export interface ElfChanges {
  /** New contents for existing sections, by name (the last section of a repeated name). */
  readonly replace?: ReadonlyMap<string, Uint8Array>;
  /** Sections to append, in this order. */
  readonly add?: readonly NewSection[];
  /**
   * Keep the bytes after the ELF data (`file.bytes.subarray(file.elfEnd)`, e.g. a module
   * signature or an x86 vmlinux.bin relocation table) by appending them after the new section
   * header table. Default false: they are dropped, as objcopy does.
   */
  readonly keepTrailingData?: boolean;
}

/** Largest alignment honoured when a section is placed at the end of the file. */
const MAX_PLACEMENT_ALIGN = 1 << 24;

function fail(message: string, section?: string, offset?: number): never {
  const where: { offset?: number; section?: string } = {};
  if (offset !== undefined) where.offset = offset;
  if (section !== undefined) where.section = section;
  throw new BtfkitError('ELF', message, { errno: Errno.FORMAT, where });
}

function alignUp(n: number, a: number): number {
  return a <= 1 ? n : Math.ceil(n / a) * a;
}

function isPow2(a: number): boolean {
  if (!Number.isSafeInteger(a) || a <= 0) return false;
  while (a % 2 === 0) a /= 2;
  return a === 1;
}

function placementAlign(align: number, name: string): number {
  if (align <= 1) return 1;
  if (!isPow2(align)) fail(`section ${name}: alignment ${align} is not a power of two`, name);
  if (align > MAX_PLACEMENT_ALIGN) fail(`section ${name}: alignment ${align} is too large to place the section`, name);
  return align;
}

interface Range {
  readonly start: number;
  readonly end: number;
  readonly what: string;
}

/** Returns a new ELF image with the given sections replaced and/or added. The input is not modified. */
export function rewriteElf(file: ElfFile, changes: ElfChanges): Uint8Array {
  return rewrite(file, changes).bytes();
}

/**
 * rewriteElf's image as consecutive parts, most of them slices of the input's own bytes (what
 * is not rewritten is not copied): for writing a large file out without a second copy of it.
 * The parts share memory with `file.bytes`, which must not change until they are written.
 */
export function rewriteElfParts(file: ElfFile, changes: ElfChanges): Uint8Array[] {
  return rewrite(file, changes).parts();
}

function rewrite(file: ElfFile, changes: ElfChanges): PatchedOutput {
  if (file.sections.length === 0) {
    fail('the file has no section header table; sections cannot be replaced or added');
  }
  const adds = changes.add ?? [];
  const newData = replacedData(file, changes.replace ?? new Map<string, Uint8Array>());
  const addNames = checkAdditions(file, adds);
  const newNameOffsets = growNameTable(file, addNames, newData);
  const ranges = keptRanges(file);
  const moved = movedSections(file, newData, ranges);
  const plan = planLayout(file, newData, moved, adds, ranges, changes.keepTrailingData === true);
  const out = writeData(file, newData, moved, adds, plan);
  writeHeaders(file, out, newData, adds, newNameOffsets, plan);
  return out;
}

/** Stage 1: the sections to replace, by index (updating a missing, SHT_NOBITS or name-table section is an error). */
function replacedData(file: ElfFile, replace: ReadonlyMap<string, Uint8Array>): Map<number, Uint8Array> {
  const newData = new Map<number, Uint8Array>();
  for (const [name, data] of replace) {
    const sec = file.section(name);
    if (sec === undefined) {
      throw new BtfkitError('ELF_NO_SECTION', `section '${name}' not found, can't be updated`, {
        errno: Errno.ENODATA,
        where: { section: name },
      });
    }
    if (sec.type === SHT_NOBITS) fail(`section '${name}' has no contents (SHT_NOBITS) and can't be updated`, name, sec.headerOffset);
    if (sec.index === file.shstrndx) fail(`section '${name}' is the section name table and can't be updated`, name, sec.headerOffset);
    newData.set(sec.index, data);
  }
  return newData;
}

/** Stage 2: the sections to add are valid (new name, sane type/flags/alignment); their names, encoded. */
function checkAdditions(file: ElfFile, adds: readonly NewSection[]): Uint8Array[] {
  const is64 = file.header.class === 64;
  const encoder = new TextEncoder();
  const addNames: Uint8Array[] = [];
  const seen = new Set<string>();
  for (const a of adds) {
    if (a.name === '' || a.name.includes('\0')) fail(`can't add section '${a.name}': invalid name`, a.name);
    if (file.section(a.name) !== undefined || seen.has(a.name)) {
      fail(`can't add section '${a.name}': a section with that name already exists`, a.name);
    }
    for (const [k, v] of [['type', a.type], ['flags', a.flags], ['align', a.align]] as const) {
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 0 || (k === 'type' && v > 0xffffffff) || (!is64 && v > 0xffffffff))) {
        fail(`can't add section '${a.name}': bad ${k} ${v}`, a.name);
      }
    }
    if ((a.type ?? SHT_PROGBITS) === SHT_NOBITS) fail(`can't add section '${a.name}': SHT_NOBITS sections have no contents`, a.name);
    seen.add(a.name);
    addNames.push(encoder.encode(a.name));
  }
  if (adds.length > 0 && file.shstrndx === 0) {
    fail('the file has no section name table (e_shstrndx is 0); sections cannot be added');
  }
  return addNames;
}

/**
 * Stage 3: the grown section-name table (old contents + each new name and its NUL) joins the
 * replaced sections; returns the sh_name of each added section.
 */
function growNameTable(file: ElfFile, addNames: readonly Uint8Array[], newData: Map<number, Uint8Array>): number[] {
  const newNameOffsets: number[] = [];
  if (addNames.length === 0) return newNameOffsets;
  const shstrtab = file.sections[file.shstrndx]!;
  const old = file.sectionData(shstrtab);
  let total = old.length;
  for (const n of addNames) {
    newNameOffsets.push(total);
    total += n.length + 1;
  }
  const buf = new Uint8Array(total);
  buf.set(old, 0);
  for (let i = 0; i < addNames.length; i++) buf.set(addNames[i]!, newNameOffsets[i]!);
  newData.set(shstrtab.index, buf);
  return newNameOffsets;
}

/** File ranges that keep their place: segments, and the ELF header and program header table. */
interface KeptRanges {
  readonly segments: Range[];
  readonly fixed: Range[];
}

function keptRanges(file: ElfFile): KeptRanges {
  const cls = file.header.class;
  const segments: Range[] = [];
  for (const ph of file.programHeaders) {
    if (ph.filesz > 0) segments.push({ start: ph.offset, end: ph.offset + ph.filesz, what: `segment ${ph.index}` });
  }
  const ehdrEnd = Math.max(EHDR_SIZE[cls], Math.min(file.header.ehsize, file.bytes.length));
  const fixed: Range[] = [{ start: 0, end: ehdrEnd, what: 'the ELF header' }];
  if (file.programHeaders.length > 0) {
    const ph0 = file.header.phoff;
    fixed.push({ start: ph0, end: ph0 + file.programHeaders.length * PHDR_SIZE[cls], what: 'the program header table' });
  }
  return { segments, fixed };
}

function overlaps(a: Range, b: Range): boolean {
  return a.start < b.end && b.start < a.end;
}

/**
 * Stage 4: each touched section may be rewritten (it overlaps no header table or other
 * section, and keeps its size inside a segment); the ones that grow move to the end.
 */
function movedSections(file: ElfFile, newData: ReadonlyMap<number, Uint8Array>, ranges: KeptRanges): Set<number> {
  const secs = file.sections;
  const moved = new Set<number>();
  for (const [idx, data] of newData) {
    const sec = secs[idx]!;
    const r: Range = { start: sec.offset, end: sec.offset + sec.size, what: `section ${sec.name}` };
    if (data.length !== sec.size) {
      for (const seg of ranges.segments) {
        const hit = sec.size === 0 ? seg.start <= sec.offset && sec.offset < seg.end : overlaps(r, seg);
        if (hit) {
          fail(
            `section '${sec.name}' at offset ${sec.offset} lies in ${seg.what}; its size can't change (${sec.size} -> ${data.length})`,
            sec.name,
            sec.offset,
          );
        }
      }
    }
    if (sec.size > 0) {
      for (const x of ranges.fixed) {
        if (overlaps(r, x)) fail(`section '${sec.name}' at offset ${sec.offset} overlaps ${x.what}; it can't be rewritten`, sec.name, sec.offset);
      }
      for (const o of secs) {
        if (o.index === 0 || o.index === idx || o.type === SHT_NOBITS || o.size === 0) continue;
        if (overlaps(r, { start: o.offset, end: o.offset + o.size, what: '' })) {
          fail(`section '${sec.name}' at offset ${sec.offset} overlaps section '${o.name}' at offset ${o.offset}; it can't be rewritten`, sec.name, sec.offset);
        }
      }
    }
    if (data.length > sec.size) moved.add(idx);
  }
  return moved;
}

/** Where everything goes in the output. */
interface Layout {
  /** End of the input prefix copied as is. */
  readonly keptEnd: number;
  /** New offsets of moved sections, by index. */
  readonly newOffset: ReadonlyMap<number, number>;
  readonly addOffsets: readonly number[];
  /** Offset and entry count of the new section header table. */
  readonly shoff: number;
  readonly shnum: number;
  readonly trailer: Uint8Array;
  readonly total: number;
}

/**
 * Stage 5: the input is kept up to the end of its last kept piece; moved sections, then added
 * ones (each at its alignment), then the section header table, then any kept trailing data.
 */
function planLayout(
  file: ElfFile,
  newData: ReadonlyMap<number, Uint8Array>,
  moved: ReadonlySet<number>,
  adds: readonly NewSection[],
  ranges: KeptRanges,
  keepTrailingData: boolean,
): Layout {
  const bytes = file.bytes;
  const secs = file.sections;
  const is64 = file.header.class === 64;
  let keptEnd = 0;
  for (const x of ranges.fixed) keptEnd = Math.max(keptEnd, x.end);
  for (const s of ranges.segments) keptEnd = Math.max(keptEnd, s.end);
  for (const s of secs) {
    if (s.index === 0 || moved.has(s.index) || s.type === SHT_NOBITS) continue;
    if (s.size > 0) keptEnd = Math.max(keptEnd, s.offset + s.size);
    else if (s.offset <= bytes.length) keptEnd = Math.max(keptEnd, s.offset);
  }

  const newOffset = new Map<number, number>();
  let cursor = keptEnd;
  const movedOrder = [...moved].sort((a, b) => a - b);
  for (const idx of movedOrder) {
    const sec = secs[idx]!;
    const off = alignUp(cursor, placementAlign(sec.addralign, sec.name));
    newOffset.set(idx, off);
    cursor = off + newData.get(idx)!.length;
  }
  const addOffsets: number[] = [];
  for (const a of adds) {
    const off = alignUp(cursor, placementAlign(a.align ?? 1, a.name));
    addOffsets.push(off);
    cursor = off + a.data.length;
  }
  const shoff = alignUp(cursor, is64 ? 8 : 4);
  const shnum = secs.length + adds.length;
  const trailer = keepTrailingData ? bytes.subarray(file.elfEnd) : bytes.subarray(0, 0);
  const total = shoff + shnum * SHDR_SIZE[file.header.class] + trailer.length;
  if (!is64 && total > 0xffffffff) fail(`the output (${total} bytes) is too large for ELF32`);
  if (shnum > 0xffffffff) fail(`too many sections (${shnum})`);
  return { keptEnd, newOffset, addOffsets, shoff, shnum, trailer, total };
}

/** Stage 6: the kept prefix, replaced data in place (rest of the room zeroed) or moved, added data. */
function writeData(file: ElfFile, newData: ReadonlyMap<number, Uint8Array>, moved: ReadonlySet<number>, adds: readonly NewSection[], plan: Layout): PatchedOutput {
  const secs = file.sections;
  const keptEnd = plan.keptEnd;
  const out = new PatchedOutput(file.bytes, keptEnd, plan.total);
  for (const [idx, data] of newData) {
    const sec = secs[idx]!;
    if (moved.has(idx)) {
      if (sec.offset < keptEnd) out.fill(0, sec.offset, Math.min(sec.offset + sec.size, keptEnd));
      out.set(data, plan.newOffset.get(idx)!);
    } else {
      out.set(data, sec.offset);
      out.fill(0, sec.offset + data.length, sec.offset + sec.size);
    }
  }
  for (let i = 0; i < adds.length; i++) out.set(adds[i]!.data, plan.addOffsets[i]!);
  return out;
}

/**
 * Stage 7: the section header table (existing headers copied raw with sh_offset/sh_size
 * patched, added ones appended), the trailing data, and e_shoff/e_shnum (section 0's sh_size
 * holds the count when it does not fit in e_shnum). e_shstrndx is unchanged: indices never move.
 */
function writeHeaders(
  file: ElfFile,
  out: PatchedOutput,
  newData: ReadonlyMap<number, Uint8Array>,
  adds: readonly NewSection[],
  newNameOffsets: readonly number[],
  plan: Layout,
): void {
  const bytes = file.bytes;
  const secs = file.sections;
  const cls = file.header.class;
  const is64 = cls === 64;
  const le = file.header.littleEndian;
  const shdrSize = SHDR_SIZE[cls];
  const { shoff, shnum } = plan;
  const setWord = (off: number, v: number) => {
    if (is64) {
      const hi = Math.floor(v / 0x1_0000_0000);
      const lo = v >>> 0;
      out.setU32(off + (le ? 0 : 4), lo, le);
      out.setU32(off + (le ? 4 : 0), hi, le);
    } else {
      out.setU32(off, v, le);
    }
  };
  // Field offsets inside a section header.
  const F = is64
    ? { name: 0, type: 4, flags: 8, addr: 16, offset: 24, size: 32, link: 40, info: 44, align: 48, entsize: 56 }
    : { name: 0, type: 4, flags: 8, addr: 12, offset: 16, size: 20, link: 24, info: 28, align: 32, entsize: 36 };

  for (const sec of secs) {
    const h = shoff + sec.index * shdrSize;
    out.set(bytes.subarray(sec.headerOffset, sec.headerOffset + shdrSize), h);
    const data = newData.get(sec.index);
    if (data !== undefined) {
      setWord(h + F.size, data.length);
      const off = plan.newOffset.get(sec.index);
      if (off !== undefined) setWord(h + F.offset, off);
    }
  }
  const escaped = file.shnumEscaped || shnum >= SHN_LORESERVE;
  if (escaped) setWord(shoff + F.size, shnum); // section 0's sh_size holds the count
  for (let i = 0; i < adds.length; i++) {
    const a = adds[i]!;
    const h = shoff + (secs.length + i) * shdrSize;
    out.setU32(h + F.name, newNameOffsets[i]!, le);
    out.setU32(h + F.type, a.type ?? SHT_PROGBITS, le);
    setWord(h + F.flags, a.flags ?? 0);
    setWord(h + F.offset, plan.addOffsets[i]!);
    setWord(h + F.size, a.data.length);
    setWord(h + F.align, a.align ?? 1);
  }

  out.set(plan.trailer, shoff + shnum * shdrSize);

  // ELF header: e_shoff and e_shnum.
  setWord(is64 ? 40 : 32, shoff);
  out.setU16(is64 ? 60 : 48, escaped ? 0 : shnum, le);
}
