/**
 * "Uncertain parameter location": a function that takes, past the parameters passed in
 * registers, a named struct by value that pahole v1.31 infers to be packed is left out of BTF
 * (btf_encoder.c ftype__has_uncertain_arg_loc; the stack slot of such an argument is not where
 * a BPF trampoline would look for it).
 *
 * Approach, in pahole's terms (dwarves.c class__infer_packed_attributes and what it calls;
 * dwarf_loader.c class_member__new and class_member__cache_byte_size for the member layout):
 *  - a struct is packed when it has no hole and no tail padding yet a member sits at an offset
 *    that is not a multiple of its natural alignment, or its size is not a multiple of its
 *    largest member's natural alignment (DW_AT_alignment is not read: `pahole -J` ignores it);
 *  - a struct with holes or padding is not packed, but the structs embedded in it at unnatural
 *    offsets are marked packed on the way (and that answer is kept for them);
 *  - natural alignment: pointers the address size, base types and enums their size, structs and
 *    unions their members' largest, arrays their element's; at least 1;
 *  - holes come from pahole's member walk (class__find_holes) over the members' byte and bit
 *    offsets as its loader computed them (bitfields re-based on their storage unit).
 * Answers are cached per compilation unit, as pahole's are per CU, so the order in which
 * functions are looked at matters exactly as in pahole: callers ask in the unit's DIE order.
 * Only C is handled (no inheritance or static members).
 */

import { Tag, At, type DwarfInfo } from '../dwarf/index.js';
import { arrayElements, memberLocationOf } from './types.js';

/** pahole's arch__nr_register_params. */
export function nrRegisterParams(machine: number): number {
  switch (machine) {
    case 22: return 5; // EM_S390
    case 2: case 43: case 62: return 6; // EM_SPARC, EM_SPARCV9, EM_X86_64
    case 183: case 93: case 40: case 8: case 20: case 21: case 243: return 8; // AARCH64, ARC, ARM, MIPS, PPC, PPC64, RISCV
    default: return 0;
  }
}

/** Per-unit answers: whether a struct is packed (once inferred), natural alignments. */
export interface PackedCache {
  packed: Map<number, boolean>;
  alignment: Map<number, number>;
  addrSize: number;
}

export function newPackedCache(addrSize: number): PackedCache {
  return { packed: new Map(), alignment: new Map(), addrSize };
}

/**
 * Whether a function with these parameters (their type DIEs, -1 for none) has an argument past
 * the register ones that is a named, packed struct.
 */
export function hasUncertainArgLoc(d: DwarfInfo, cache: PackedCache, paramTypes: readonly number[], nrRegs: number): boolean {
  if (paramTypes.length < nrRegs) return false;
  for (let i = nrRegs; i < paramTypes.length; i++) {
    const t = paramTypes[i]!;
    if (t < 0 || !isStruct(d.tag(t)) || d.name(t) === undefined) continue;
    if (inferPacked(d, cache, t)) return true;
  }
  return false;
}

function isStruct(tag: number): boolean {
  return tag === Tag.structure_type || tag === Tag.interface_type || tag === Tag.class_type;
}

/** The member layout pahole's loader leaves (byte_offset, bit_offset, sizes). */
interface Member {
  die: number;
  byteOffset: number;
  bitOffset: number;
  byteSize: number;
  bitSize: number;
  bitfieldSize: number;
}

function members(d: DwarfInfo, cache: PackedCache, sdie: number, inUnion: boolean): Member[] {
  const out: Member[] = [];
  for (let m = d.firstChild(sdie); m >= 0; m = d.nextSibling(m)) {
    if (d.tag(m) !== Tag.member) continue;
    const hasBitOffset = d.has(m, At.data_bit_offset);
    let bitOffset = 0;
    let byteOffset = 0;
    let bitfieldOffset = 0;
    if (hasBitOffset) bitOffset = d.num(m, At.data_bit_offset, 0) >>> 0;
    else {
      if (d.has(m, At.data_member_location)) byteOffset = memberLocationOf(d, m) >>> 0;
      else if (!inUnion) continue; // static: skipped by every walk here
      bitOffset = (byteOffset * 8) >>> 0;
      bitfieldOffset = int8(d.num(m, At.bit_offset, 0));
    }
    let byteSize = d.num(m, At.byte_size, 0);
    const bitfieldSize = d.num(m, At.bit_size, 0) & 0xff;
    let bitSize: number;
    if (bitfieldSize === 0) {
      if (byteSize === 0) byteSize = typeSize(d, cache, d.ref(m, At.type));
      bitSize = (byteSize * 8) >>> 0;
      out.push({ die: m, byteOffset, bitOffset, byteSize, bitSize, bitfieldSize });
      continue;
    }
    if (byteSize === 0) {
      const t = stripTypedefsAndModifiers(d, m);
      byteSize = t < 0 ? 0 : typeSize(d, cache, t);
    }
    bitSize = (byteSize * 8) >>> 0;
    if (byteSize !== 0) {
      if (!hasBitOffset) {
        bitfieldOffset = int8(bitSize - bitfieldOffset - bitfieldSize);
        bitOffset = (byteOffset * 8 + bitfieldOffset) >>> 0;
      } else {
        byteOffset = Math.floor(bitOffset / 8);
        bitfieldOffset = int8(bitOffset - byteOffset * 8);
      }
      if (bitfieldOffset < 0) {
        bitfieldOffset = int8(bitfieldOffset + bitSize);
        byteOffset = (byteOffset - byteSize) >>> 0;
        bitOffset = (byteOffset * 8 + bitfieldOffset) >>> 0;
      }
      bitfieldOffset = int8(bitfieldOffset + (byteOffset % byteSize) * 8);
      byteOffset = ((Math.floor(bitOffset / bitSize) * bitSize) / 8) >>> 0;
      // (an int8 against a uint32: compared unsigned)
      if ((bitfieldOffset >>> 0) >= bitSize) byteOffset = (byteOffset + byteSize) >>> 0;
    }
    out.push({ die: m, byteOffset, bitOffset, byteSize, bitSize, bitfieldSize });
  }
  return out;
}

function int8(v: number): number {
  return (v << 24) >> 24;
}

function isModifier(tag: number): boolean {
  return tag === Tag.const_type || tag === Tag.volatile_type || tag === Tag.restrict_type || tag === Tag.atomic_type;
}

/** The type of `die` with typedefs and modifiers stripped; -1 for none (void). */
function stripTypedefsAndModifiers(d: DwarfInfo, die: number): number {
  let t = d.ref(die, At.type);
  for (let guard = 0; t >= 0 && guard < 256; guard++) {
    const tag = d.tag(t);
    if (tag !== Tag.typedef && !isModifier(tag)) return t;
    t = d.ref(t, At.type);
  }
  return -1;
}

/** pahole's tag__size of a type DIE (bytes). */
function typeSize(d: DwarfInfo, cache: PackedCache, t: number): number {
  let mult = 1;
  for (let guard = 0; t >= 0 && guard < 256; guard++) {
    const tag = d.tag(t);
    switch (tag) {
      case Tag.pointer_type: case Tag.reference_type:
        return mult * cache.addrSize;
      case Tag.base_type:
        return mult * d.num(t, At.byte_size, 0);
      case Tag.enumeration_type:
        return mult * (d.num(t, At.byte_size, 0) || 4);
      case Tag.subroutine_type:
        return mult * (d.num(t, At.byte_size, 0) || cache.addrSize);
      default:
        break;
    }
    if (!d.has(t, At.type)) return isStruct(tag) || tag === Tag.union_type ? mult * d.num(t, At.byte_size, 0) : 0;
    if (tag === Tag.array_type) mult = Math.imul(mult, arrayElements(d, t)) >>> 0;
    t = d.ref(t, At.type);
  }
  return 0;
}

/** tag__natural_alignment. */
function naturalAlignment(d: DwarfInfo, cache: PackedCache, t: number): number {
  let a = 1;
  if (t < 0) return a;
  const tag = d.tag(t);
  if (tag === Tag.pointer_type) a = cache.addrSize;
  else if (tag === Tag.base_type) a = d.num(t, At.byte_size, 0);
  else if (tag === Tag.enumeration_type) a = d.num(t, At.byte_size, 0) || 4;
  else if (isStruct(tag) || tag === Tag.union_type) a = typeNaturalAlignment(d, cache, t);
  else if (tag === Tag.array_type) {
    const e = stripTypedefsAndModifiers(d, t);
    if (e >= 0) a = naturalAlignment(d, cache, e);
  }
  return a || 1;
}

/** type__natural_alignment: the largest natural alignment of the members (0 for none). */
function typeNaturalAlignment(d: DwarfInfo, cache: PackedCache, t: number): number {
  const known = cache.alignment.get(t);
  if (known) return known;
  cache.alignment.set(t, 0); // a struct that contains itself (through an array of it) stops here
  let a = 0;
  const inUnion = d.tag(t) === Tag.union_type;
  for (let m = d.firstChild(t); m >= 0; m = d.nextSibling(m)) {
    if (d.tag(m) !== Tag.member) continue;
    if (!inUnion && !d.has(m, At.data_member_location) && !d.has(m, At.data_bit_offset)) continue;
    const mt = stripTypedefsAndModifiers(d, m);
    if (mt < 0) continue;
    a = Math.max(a, naturalAlignment(d, cache, mt));
  }
  cache.alignment.set(t, a);
  return a;
}

/** class__find_holes, reduced to what packing needs: any byte hole, and the tail padding. */
function holesAndPadding(size: number, ms: readonly Member[]): { holes: number; padding: number } {
  let curBitfieldEnd = (size * 8) >>> 0;
  let curBitfieldSize = 0;
  let lastSeenBit = 0;
  let inBitfield = false;
  let holes = 0;
  for (const m of ms) {
    const bitStart = m.bitOffset;
    const bitEnd = (m.bitfieldSize ? bitStart + m.bitfieldSize : bitStart + m.byteSize * 8) >>> 0;
    let byteHoles = 0;
    if (inBitfield) lastSeenBit = Math.min(bitStart, curBitfieldEnd);
    if (m.bitfieldSize) {
      const alignedStart = (m.byteOffset * 8) >>> 0;
      if (lastSeenBit < alignedStart && alignedStart <= bitStart) {
        byteHoles = (m.byteOffset - Math.floor(lastSeenBit / 8)) | 0;
        lastSeenBit = alignedStart;
      }
    } else {
      byteHoles = (Math.floor(bitStart / 8) - Math.floor(lastSeenBit / 8)) | 0;
    }
    lastSeenBit = bitEnd;
    if (m.bitfieldSize) {
      inBitfield = true;
      if (bitEnd > curBitfieldEnd || m.bitSize > curBitfieldSize) {
        curBitfieldSize = m.bitSize;
        curBitfieldEnd = (m.byteOffset * 8 + curBitfieldSize) >>> 0;
        if (bitEnd > curBitfieldEnd) curBitfieldEnd = (curBitfieldEnd + curBitfieldSize) >>> 0;
      }
    } else {
      inBitfield = false;
      curBitfieldSize = 0;
      curBitfieldEnd = bitEnd;
    }
    if (byteHoles > 0) holes++;
  }
  if (inBitfield) lastSeenBit = Math.min((size * 8) >>> 0, curBitfieldEnd);
  return { holes, padding: (size - Math.floor(lastSeenBit / 8)) & 0xffff };
}

/** class__infer_packed_attributes. */
function inferPacked(d: DwarfInfo, cache: PackedCache, s: number): boolean {
  const known = cache.packed.get(s);
  if (known !== undefined) return known;
  const size = d.num(s, At.byte_size, 0);
  const ms = members(d, cache, s, false);
  const { holes, padding } = holesAndPadding(size, ms);
  let packed = false;
  if (padding !== 0 || holes !== 0) {
    // structs embedded at offsets unnatural for them must be packed themselves
    for (const m of ms) {
      const mt = stripTypedefsAndModifiers(d, m.die);
      if (mt < 0 || !isStruct(d.tag(mt))) continue;
      if (m.byteOffset % naturalAlignment(d, cache, mt) !== 0) cache.packed.set(mt, true);
    }
  } else {
    let maxAlign = 1;
    for (const m of ms) {
      const a = naturalAlignment(d, cache, stripTypedefsAndModifiers(d, m.die));
      if (a === 1) continue;
      maxAlign = Math.max(maxAlign, a & 0xffff);
      if (m.byteOffset % a !== 0) {
        packed = true;
        break;
      }
    }
    // (pahole -J loads no DW_AT_alignment, so its "aligned(1) with wider members" rule never fires)
    if (!packed && size % maxAlign !== 0) packed = true;
  }
  cache.packed.set(s, packed);
  return packed;
}
