/**
 * The layout facts pahole v1.31 derives from BTF before it prints a struct (`pahole -F btf`):
 * member byte offsets and sizes, bitfield positions, inferred alignments, holes, padding, natural
 * alignment and the inferred `__packed__` attribute.
 *
 * Approach: one LayoutModel per printing session, computing each struct/union's facts lazily
 * (memoised per type id, typed values only). pahole loads BTF into its own type graph
 * (btf_loader.c) and fixes up bitfields and alignments (class__fixup_btf_bitfields), finds holes
 * (class__find_holes) and infers packing (class__infer_packed_attributes,
 * union__infer_packed_attributes) while printing; the rules below reproduce those results,
 * including its integer widths (holes and padding are stored in 8/16-bit fields and wrap) and
 * its mutable "packed" marks, which a printed type can set on the types it contains and which
 * then show in later output of the same session.
 */

import { KindId as Kind } from '../format/kinds.js';
import type { Btf } from '../model/btf.js';

export const CACHELINE_SIZE = 64;
const MAX_DEPTH = 64;

export interface LayoutMember {
  type: number;
  /** null for an unnamed member (pahole's NULL name). */
  name: string | null;
  bitOffset: number;
  bitfieldSize: number;
  byteOffset: number;
  bitfieldOffset: number;
  byteSize: number;
  bitSize: number;
  alignment: number;
  /** Byte hole after this member (int), bit hole after it (u8). */
  hole: number;
  bitHole: number;
}

export interface LayoutClass {
  id: number;
  members: LayoutMember[];
  /** Inferred __aligned__ of the type itself (0: natural). */
  alignment: number;
  preHole: number;
  preBitHole: number;
  nrHoles: number;
  nrBitHoles: number;
  padding: number;
  bitPadding: number;
  holesSearched: boolean;
  packedInferred: boolean;
  isPacked: boolean;
  hasFlex: boolean | null;
  hasEmbeddedFlex: boolean | null;
}

export class LayoutModel {
  readonly btf: Btf;
  readonly ptrSize: number;
  private classes = new Map<number, LayoutClass>();
  private natAlign = new Map<number, number>();

  constructor(btf: Btf) {
    this.btf = btf;
    this.ptrSize = btf.ptrSize;
  }

  // ------------------------------------------------------------ the type graph

  /** pahole's cu__type: null for void and for ids that are not types in its graph. */
  exists(id: number): boolean {
    if (id <= 0 || !this.btf.hasType(id)) return false;
    const k = this.btf.kind(id);
    return k !== Kind.DATASEC && k !== Kind.DECL_TAG && k !== Kind.UNKN && k <= Kind.ENUM64;
  }

  kind(id: number): number {
    return this.btf.kind(id);
  }

  isStruct(id: number): boolean {
    const k = this.btf.kind(id);
    return k === Kind.STRUCT || (k === Kind.FWD && !this.btf.kflag(id));
  }

  isUnion(id: number): boolean {
    const k = this.btf.kind(id);
    return k === Kind.UNION || (k === Kind.FWD && this.btf.kflag(id));
  }

  isEnum(id: number): boolean {
    const k = this.btf.kind(id);
    return k === Kind.ENUM || k === Kind.ENUM64;
  }

  isModifier(id: number): boolean {
    const k = this.btf.kind(id);
    return k === Kind.CONST || k === Kind.VOLATILE || k === Kind.RESTRICT;
  }

  /** The type's name, or null when it has none (name_off 0). */
  name(id: number): string | null {
    const off = this.btf.nameOff(id);
    return off === 0 ? null : this.btf.str(off);
  }

  /** tag__strip_typedefs_and_modifiers applied to a reference: 0 when it ends nowhere. */
  strip(ref: number): number {
    let t = ref;
    for (let d = 0; d < MAX_DEPTH; d++) {
      if (!this.exists(t)) return 0;
      const k = this.btf.kind(t);
      if (k !== Kind.TYPEDEF && k !== Kind.CONST && k !== Kind.VOLATILE && k !== Kind.RESTRICT) return t;
      t = this.btf.type(t);
    }
    return 0;
  }

  /** tag__size. */
  size(id: number, depth = 0): number {
    if (!this.exists(id) || depth > MAX_DEPTH) return 0;
    const btf = this.btf;
    switch (btf.kind(id) as Kind) {
      case Kind.INT: return Math.floor(btf.intBits(id) / 8);
      case Kind.FLOAT: return btf.size(id);
      case Kind.PTR: return this.ptrSize;
      case Kind.ENUM: case Kind.ENUM64: return btf.size(id) || 4;
      case Kind.FUNC_PROTO: return this.ptrSize;
      case Kind.STRUCT: case Kind.UNION:
        return btf.size(id) === 1 && btf.vlen(id) === 0 ? 0 : btf.size(id);
      case Kind.FWD: return 0;
      case Kind.ARRAY: {
        const elem = btf.arrayElemType(id);
        return elem === 0 ? 0 : this.size(elem, depth + 1) * btf.arrayNelems(id);
      }
      case Kind.TYPEDEF: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.TYPE_TAG: case Kind.VAR: {
        const t = btf.type(id);
        return t === 0 ? 0 : this.size(t, depth + 1);
      }
      case Kind.FUNC: case Kind.DATASEC: case Kind.DECL_TAG: case Kind.UNKN:
        return 0;
    }
    return 0;
  }

  /** tag__natural_alignment (1 at least). */
  naturalAlignment(id: number, depth = 0): number {
    if (!this.exists(id) || depth > MAX_DEPTH) return 1;
    const btf = this.btf;
    const k = btf.kind(id);
    let a = 1;
    if (k === Kind.PTR) a = this.ptrSize;
    else if (k === Kind.INT) a = Math.floor(btf.intBits(id) / 8);
    else if (k === Kind.FLOAT) a = btf.size(id);
    else if (k === Kind.ENUM || k === Kind.ENUM64) a = btf.size(id) || 4;
    else if (this.isStruct(id) || this.isUnion(id)) a = this.typeNaturalAlignment(id, depth);
    else if (k === Kind.ARRAY) {
      const t = this.strip(btf.arrayElemType(id));
      if (t !== 0) a = this.naturalAlignment(t, depth + 1);
    }
    return a || 1;
  }

  private typeNaturalAlignment(id: number, depth: number): number {
    const cached = this.natAlign.get(id);
    if (cached !== undefined && cached !== 0) return cached;
    let a = 0;
    if (this.btf.kind(id) !== Kind.FWD) {
      const n = this.btf.vlen(id);
      for (let i = 0; i < n; i++) {
        const t = this.strip(this.btf.memberType(id, i));
        if (t === 0) continue;
        const ma = this.naturalAlignment(t, depth + 1);
        if (a < ma) a = ma;
      }
    }
    this.natAlign.set(id, a);
    return a;
  }

  // ------------------------------------------------------- per-struct facts

  /** The loader's facts for a STRUCT/UNION (members fixed up, holes found for structs). */
  cls(id: number): LayoutClass {
    let c = this.classes.get(id);
    if (c) return c;
    c = this.load(id);
    this.classes.set(id, c);
    if (this.isStruct(id)) this.findHoles(c);
    return c;
  }

  private load(id: number): LayoutClass {
    const btf = this.btf;
    const members: LayoutMember[] = [];
    const isFwd = btf.kind(id) === Kind.FWD;
    const n = isFwd ? 0 : btf.vlen(id);
    let smallest = 0;
    for (let i = 0; i < n; i++) {
      const bitOffset = btf.memberBitOffset(id, i);
      const m: LayoutMember = {
        type: btf.memberType(id, i),
        name: btf.memberNameOff(id, i) === 0 ? null : btf.str(btf.memberNameOff(id, i)),
        bitOffset,
        bitfieldSize: btf.memberBitfieldSize(id, i),
        byteOffset: Math.floor(bitOffset / 8),
        bitfieldOffset: 0,
        byteSize: 0,
        bitSize: 0,
        alignment: 0,
        hole: 0,
        bitHole: 0,
      };
      members.push(m);
      const t = this.strip(m.type);
      if (t === 0) continue;
      m.byteSize = this.size(t);
      m.bitSize = m.byteSize * 8;
      if (m.byteSize === 0) {
        m.alignment = inferAlignment(m.byteOffset, this.naturalAlignment(t), smallest);
        continue;
      }
      const k = btf.kind(t);
      if (k === Kind.INT || k === Kind.FLOAT || k === Kind.ENUM || k === Kind.ENUM64) {
        if (m.bitfieldSize) {
          m.byteOffset = Math.floor(Math.floor(m.bitOffset / m.bitSize) * m.bitSize / 8);
          m.bitfieldOffset = int8(m.bitOffset - m.byteOffset * 8);
          if (m.bitfieldOffset < 0) {
            m.bitfieldOffset = int8(m.bitfieldOffset + m.bitSize);
            m.byteOffset -= m.byteSize;
            m.bitOffset = m.byteOffset * 8 + m.bitfieldOffset;
          }
        } else {
          m.byteOffset = Math.floor(m.bitOffset / 8);
        }
      }
      m.alignment = inferAlignment(m.byteOffset, this.naturalAlignment(t), smallest);
      smallest = m.byteOffset + (m.bitfieldSize ? Math.floor((m.bitfieldOffset + m.bitfieldSize + 7) / 8) : m.byteSize);
    }
    const size = isFwd ? 0 : btf.size(id);
    return {
      id, members,
      alignment: inferAlignment(size, this.naturalAlignment(id), smallest),
      preHole: 0, preBitHole: 0, nrHoles: 0, nrBitHoles: 0, padding: 0, bitPadding: 0,
      holesSearched: false, packedInferred: false, isPacked: false, hasFlex: null, hasEmbeddedFlex: null,
    };
  }

  /** class__find_holes (structs only). */
  private findHoles(c: LayoutClass): void {
    if (c.holesSearched) return;
    const size = this.btf.kind(c.id) === Kind.FWD ? 0 : this.btf.size(c.id);
    let curBitfieldEnd = size * 8;
    let curBitfieldSize = 0;
    let lastSeenBit = 0;
    let inBitfield = false;
    let last: LayoutMember | null = null;
    c.nrHoles = 0;
    c.nrBitHoles = 0;
    for (const pos of c.members) {
      pos.bitHole = 0;
      pos.hole = 0;
      const bitStart = pos.bitOffset;
      const bitEnd = bitStart + (pos.bitfieldSize ? pos.bitfieldSize : pos.byteSize * 8);
      let bitHoles = 0;
      let byteHoles = 0;
      if (inBitfield) {
        const bitfieldEnd = Math.min(bitStart, curBitfieldEnd);
        bitHoles = int32(bitfieldEnd - lastSeenBit);
        lastSeenBit = bitfieldEnd;
      }
      if (pos.bitfieldSize) {
        const alignedStart = pos.byteOffset * 8;
        if (lastSeenBit < alignedStart && alignedStart <= bitStart) {
          byteHoles = int32(pos.byteOffset - Math.floor(lastSeenBit / 8));
          lastSeenBit = alignedStart;
        }
        bitHoles = int32(bitHoles + ((bitStart - lastSeenBit) >>> 0));
      } else {
        byteHoles = int32(Math.floor(bitStart / 8) - Math.floor(lastSeenBit / 8));
      }
      lastSeenBit = bitEnd >>> 0;
      if (pos.bitfieldSize) {
        inBitfield = true;
        if (bitEnd > curBitfieldEnd || pos.bitSize > curBitfieldSize) {
          curBitfieldSize = pos.bitSize;
          curBitfieldEnd = pos.byteOffset * 8 + curBitfieldSize;
          if (bitEnd > curBitfieldEnd) curBitfieldEnd += curBitfieldSize;
        }
      } else {
        inBitfield = false;
        curBitfieldSize = 0;
        curBitfieldEnd = bitEnd;
      }
      if (last) {
        last.hole = byteHoles;
        last.bitHole = bitHoles & 0xff;
      } else {
        c.preHole = byteHoles & 0xffff;
        c.preBitHole = bitHoles & 0xff;
      }
      if (bitHoles) c.nrBitHoles = (c.nrBitHoles + 1) & 0xff;
      if (byteHoles > 0) c.nrHoles = (c.nrHoles + 1) & 0xff;
      last = pos;
    }
    if (inBitfield) {
      const bitfieldEnd = Math.min(size * 8, curBitfieldEnd);
      c.bitPadding = (bitfieldEnd - lastSeenBit) & 0xff;
      lastSeenBit = bitfieldEnd;
    } else {
      c.bitPadding = 0;
    }
    c.padding = (size - Math.floor(lastSeenBit / 8)) & 0xffff;
    c.holesSearched = true;
  }

  // ------------------------------------------------ packing (mutable marks)

  /** class__infer_packed_attributes. */
  inferPacked(id: number): boolean {
    if (!this.isStruct(id)) return false;
    const c = this.cls(id);
    if (c.packedInferred) return c.isPacked;
    if (c.padding !== 0 || c.nrHoles !== 0) {
      this.markUnnaturalMembers(c);
      c.isPacked = false;
    } else {
      let maxAlign = 1;
      let packed = false;
      for (const pos of c.members) {
        const t = this.strip(pos.type);
        const na = this.naturalAlignment(t);
        if (na === 1) continue;
        if (maxAlign < na) maxAlign = na & 0xffff;
        if (pos.byteOffset % na !== 0) {
          packed = true;
          break;
        }
      }
      const size = this.btf.kind(id) === Kind.FWD ? 0 : this.btf.size(id);
      if (packed || (maxAlign !== 1 && c.alignment === 1) || size % maxAlign !== 0) c.isPacked = true;
    }
    c.packedInferred = true;
    return c.isPacked;
  }

  /** type__check_structs_at_unnatural_alignments. */
  private markUnnaturalMembers(c: LayoutClass): void {
    for (const pos of c.members) {
      const t = this.strip(pos.type);
      if (t === 0 || !this.isStruct(t)) continue;
      if (pos.byteOffset % this.naturalAlignment(t) !== 0) {
        const mc = this.cls(t);
        mc.isPacked = true;
        mc.packedInferred = true;
      }
    }
  }

  private unionInferred = new Set<number>();

  /** union__infer_packed_attributes. */
  inferUnionPacked(id: number): void {
    if (this.unionInferred.has(id)) return;
    const size = this.btf.kind(id) === Kind.FWD ? 0 : this.btf.size(id);
    for (const pos of this.cls(id).members) {
      const t = this.strip(pos.type);
      if (t === 0 || !this.isStruct(t)) continue;
      if (size % this.naturalAlignment(t) !== 0) {
        const mc = this.cls(t);
        mc.isPacked = true;
        mc.packedInferred = true;
      }
    }
    this.unionInferred.add(id);
  }

  /** Current packed mark of a struct (as printed). */
  isPacked(id: number): boolean {
    return this.isStruct(id) && this.cls(id).isPacked;
  }

  // -------------------------------------------------------- flexible arrays

  /** class__has_flexible_array: the last member's own type is a 0-element array. */
  hasFlexibleArray(id: number): boolean {
    const c = this.cls(id);
    if (c.hasFlex !== null) return c.hasFlex;
    let r = false;
    const last = c.members[c.members.length - 1];
    if (last && this.exists(last.type) && this.btf.kind(last.type) === Kind.ARRAY) r = this.btf.arrayNelems(last.type) === 0;
    c.hasFlex = r;
    return r;
  }

  /** class__has_embedded_flexible_array. */
  hasEmbeddedFlexibleArray(id: number, depth = 0): boolean {
    if (!this.isStruct(id)) return false;
    const c = this.cls(id);
    if (c.hasEmbeddedFlex !== null) return c.hasEmbeddedFlex;
    let r = false;
    if (depth < MAX_DEPTH) {
      for (const pos of c.members) {
        const t = this.strip(pos.type);
        if (t === 0 || !this.isStruct(t)) continue;
        r = this.hasFlexibleArray(t);
        if (r) break;
        if (t === id) continue;
        r = this.hasEmbeddedFlexibleArray(t, depth + 1);
        if (r) break;
      }
    }
    c.hasEmbeddedFlex = r;
    return r;
  }
}

/** class__infer_alignment with a 64-byte cacheline. */
export function inferAlignment(byteOffset: number, natural: number, smallest: number): number {
  const delta = (byteOffset - smallest) >>> 0;
  let a = 0;
  if (delta !== 0 && byteOffset % 2 === 0) a = (1 << (32 - Math.clz32(delta))) >>> 0;
  if (a <= natural || a === 1) return 0;
  if (a < CACHELINE_SIZE && CACHELINE_SIZE % a === 0 && byteOffset % CACHELINE_SIZE === 0) return CACHELINE_SIZE;
  return a;
}

function int8(v: number): number {
  return (v << 24) >> 24;
}
function int32(v: number): number {
  return v | 0;
}
