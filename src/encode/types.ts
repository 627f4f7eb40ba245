/**
 * A compilation unit's types as pahole v1.31 encodes them into BTF, before dedup.
 *
 * Approach (dwarves btf_encoder.c, btf_encoder__encode_cu's first loop and
 * btf_encoder__encode_tag; dwarf_loader.c for what each DWARF attribute becomes): the unit's
 * types table (order.ts) is encoded in order, type k at id `idOff + k`, references as
 * `idOff + small id` (0 stays void). Base types become INT (SIGNED / BOOL encoding; sizes that
 * are not 1, 2, 4, 8 or 16 bytes become pahole's 4-byte "__SANITIZED_FAKE_INT__") or FLOAT;
 * struct/union declarations become FWD; members carry pahole's bit offsets (DW_AT_data_bit_offset,
 * or the DWARF 2 little-endian bit_offset form recomputed as class_member__cache_byte_size
 * does); arrays of any rank become one ARRAY of all the elements, indexed by the first
 * "int" seen in the BTF (or one added after the unit's types); enums become ENUM, or ENUM64
 * past 4 bytes (signed when their underlying type is); subroutine types become FUNC_PROTO
 * (a trailing void parameter for "...").
 * Tags pahole cannot encode (C++ references, _Atomic, string types) are a BtfkitError naming
 * the DIE, as pahole fails on them.
 */

import { BtfkitError, Errno } from '../errors.js';
import { Tag, At, Ate, Form, tagName, type DwarfInfo } from '../dwarf/index.js';
import type { Btf } from '../model/btf.js';
import type { CuTypes } from './order.js';

const INT_SIGNED = 1;
const INT_BOOL = 4;

/** What the encoder carries from one unit to the next (btf_encoder's index-type fields). */
export interface EncoderState {
  btf: Btf;
  /** Whether an "int" for array indices is known, and its id. */
  hasIndexType: boolean;
  arrayIndexId: number;
  /** An array was encoded, so an index type is needed. */
  needIndexType: boolean;
}

export function newEncoderState(btf: Btf): EncoderState {
  return { btf, hasIndexType: false, arrayIndexId: 0, needIndexType: false };
}

/** Encodes the unit's types table; returns the id offset the unit's small ids are relative to. */
export function encodeCuTypes(d: DwarfInfo, ct: CuTypes, st: EncoderState): number {
  const idOff = st.btf.typeCount() - 1;
  if (!st.hasIndexType) {
    const int = ct.order.findIndex((die) => d.tag(die) === Tag.base_type && d.name(die) === 'int');
    st.hasIndexType = int >= 0;
    st.arrayIndexId = idOff + (int >= 0 ? int + 1 : ct.order.length + 1);
  }
  let skipped = 0;
  for (let k = 0; k < ct.order.length; k++) {
    const id = encodeType(d, ct, st, idOff, ct.order[k]!);
    if (id === 0) {
      skipped++;
      continue;
    }
    if (id !== idOff + k + 1 - skipped) {
      throw encodeError(d, ct.order[k]!, `type id drift: ${id} instead of ${idOff + k + 1}`);
    }
  }
  if (st.needIndexType && !st.hasIndexType) {
    st.btf.addInt('int', 4, INT_SIGNED);
    st.hasIndexType = true;
  }
  return idOff;
}

/** The BTF id a reference attribute of `die` points at (0: void). */
export function refId(d: DwarfInfo, ct: CuTypes, idOff: number, die: number, at: number = At.type): number {
  const t = d.ref(die, at);
  if (t < 0) return 0;
  const u = ct.unit;
  if (t < u.firstDie || t >= u.endDie) return 0;
  const small = ct.smallId[t - u.firstDie]!;
  return small === 0 ? 0 : idOff + small;
}

function encodeType(d: DwarfInfo, ct: CuTypes, st: EncoderState, idOff: number, die: number): number {
  const btf = st.btf;
  const ref = () => refId(d, ct, idOff, die);
  const tag = d.tag(die);
  switch (tag) {
    case Tag.base_type:
      return encodeBaseType(d, st, die);
    case Tag.const_type:
      return btf.addConst(ref());
    case Tag.pointer_type:
      return btf.addPtr(ref());
    case Tag.restrict_type:
      return btf.addRestrict(ref());
    case Tag.volatile_type:
      return btf.addVolatile(ref());
    case Tag.typedef:
      return btf.addTypedef(d.name(die) ?? '', ref());
    case Tag.structure_type: case Tag.class_type: case Tag.union_type: {
      const name = d.name(die) ?? null;
      if (d.num(die, At.declaration, 0)) return btf.addFwd(name ?? '', tag === Tag.union_type ? 'union' : 'struct');
      return encodeComposite(d, ct, st, idOff, die);
    }
    case Tag.array_type:
      st.needIndexType = true;
      return btf.addArray(st.arrayIndexId, ref(), arrayElements(d, die));
    case Tag.enumeration_type:
      return encodeEnum(d, st, die);
    case Tag.subroutine_type:
      return encodeProto(d, ct, st, idOff, die);
    case Tag.unspecified_type:
      return 0;
    default:
      throw encodeError(d, die, `${tagName(tag)} cannot be encoded in BTF`);
  }
}

function encodeBaseType(d: DwarfInfo, st: EncoderState, die: number): number {
  let name = d.name(die) ?? '';
  const encoding = d.num(die, At.encoding, 0);
  const bits = d.num(die, At.byte_size, 0) * 8;
  let enc = 0;
  if (encoding === Ate.signed || encoding === Ate.signed_char) enc = INT_SIGNED;
  else if (encoding === Ate.boolean) enc = INT_BOOL;
  else if (encoding === Ate.float) return st.btf.addFloat(name, bits / 8);
  else if (encoding === Ate.complex_float || encoding === 0x9 /* DW_ATE_imaginary_float */) {
    throw encodeError(d, die, 'complex, interval and imaginary float types are not supported');
  }
  let bytes = (bits + 7) >>> 3;
  if (!bytes || (bytes & (bytes - 1)) || bytes > 16) {
    name = '__SANITIZED_FAKE_INT__';
    bytes = 4;
  }
  return st.btf.addInt(name, bytes, enc);
}

/** Elements of all dimensions (upper_bound + 1, or count; 0 for a flexible dimension). */
export function arrayElements(d: DwarfInfo, die: number): number {
  let n = 1;
  for (let c = d.firstChild(die); c >= 0; c = d.nextSibling(c)) {
    if (d.tag(c) !== Tag.subrange_type) continue;
    let dim = 0;
    if (d.has(c, At.upper_bound)) dim = Number(BigInt.asUintN(64, d.bigValue(c, At.upper_bound) ?? 0n) + 1n) >>> 0;
    else if (d.has(c, At.count)) dim = Number(BigInt.asUintN(32, d.bigValue(c, At.count) ?? 0n));
    n = Math.imul(n, dim) >>> 0;
  }
  return n;
}

function encodeComposite(d: DwarfInfo, ct: CuTypes, st: EncoderState, idOff: number, die: number): number {
  const btf = st.btf;
  const isUnion = d.tag(die) === Tag.union_type;
  const size = d.num(die, At.byte_size, 0);
  const name = d.name(die) ?? null;
  const id = isUnion ? btf.addUnion(name, size) : btf.addStruct(name, size);
  for (let m = d.firstChild(die); m >= 0; m = d.nextSibling(m)) {
    const t = d.tag(m);
    if (t !== Tag.member && t !== Tag.inheritance) continue;
    const { bitOffset, bitfieldSize, isStatic } = memberPlacement(d, m, isUnion);
    if (isStatic) continue;
    // pahole adds the id offset even to a void (0) member type
    const small = refId(d, ct, 0, m);
    btf.addField(d.name(m) ?? null, idOff + small, bitOffset, bitfieldSize);
  }
  return id;
}

/** A member's bit offset and bitfield size as pahole computes them (class_member__new, __cache_byte_size). */
function memberPlacement(d: DwarfInfo, m: number, inUnion: boolean): { bitOffset: number; bitfieldSize: number; isStatic: boolean } {
  const bitfieldSize = d.num(m, At.bit_size, 0);
  if (d.has(m, At.data_bit_offset)) return { bitOffset: d.num(m, At.data_bit_offset, 0), bitfieldSize, isStatic: false };
  let byteOffset = 0;
  let isStatic = false;
  if (d.has(m, At.data_member_location)) byteOffset = memberLocation(d, m);
  else isStatic = !inUnion;
  if (bitfieldSize === 0) return { bitOffset: byteOffset * 8, bitfieldSize, isStatic };
  let byteSize = d.num(m, At.byte_size, 0);
  if (byteSize === 0) byteSize = storageSize(d, m);
  if (byteSize === 0) return { bitOffset: byteOffset * 8, bitfieldSize, isStatic };
  const bitSize = byteSize * 8;
  // DWARF 2 style: offset of the field's most significant bit from the storage unit's
  let bitfieldOffset = bitSize - d.num(m, At.bit_offset, 0) - bitfieldSize;
  let bitOffset = byteOffset * 8 + bitfieldOffset;
  if (bitfieldOffset < 0) {
    bitfieldOffset += bitSize;
    byteOffset -= byteSize;
    bitOffset = byteOffset * 8 + bitfieldOffset;
  }
  return { bitOffset, bitfieldSize, isStatic };
}

/** DW_AT_data_member_location: a constant, or a DW_OP_plus_uconst expression (DWARF 2). */
export function memberLocation(d: DwarfInfo, m: number): number {
  const form = d.form(m, At.data_member_location);
  if (form === Form.block || form === Form.block1 || form === Form.block2 || form === Form.block4 || form === Form.exprloc) {
    const b = d.block(m, At.data_member_location)!;
    return exprOffset(b);
  }
  return d.num(m, At.data_member_location, 0);
}

/** pahole's dwarf_expr: DW_OP_plus_uconst N and DW_OP_constu N give N; anything else 0. */
function exprOffset(b: Uint8Array): number {
  if (b.length < 2 || (b[0] !== 0x23 && b[0] !== 0x10)) return 0;
  let v = 0;
  let mul = 1;
  for (let i = 1; i < b.length; i++) {
    v += (b[i]! & 0x7f) * mul;
    if (b[i]! < 0x80) break;
    mul *= 128;
  }
  return v;
}

/** Byte size of a bitfield's storage from its type, typedefs and modifiers stripped. */
function storageSize(d: DwarfInfo, m: number): number {
  let t = d.ref(m, At.type);
  for (let guard = 0; t >= 0 && guard < 64; guard++) {
    const tag = d.tag(t);
    if (tag === Tag.typedef || tag === Tag.const_type || tag === Tag.volatile_type || tag === Tag.restrict_type || tag === Tag.atomic_type) {
      t = d.ref(t, At.type);
      continue;
    }
    const size = d.num(t, At.byte_size, 0);
    if (size) return size;
    return tag === Tag.enumeration_type ? 4 : 0;
  }
  return 0;
}

function encodeEnum(d: DwarfInfo, st: EncoderState, die: number): number {
  const btf = st.btf;
  const size = d.num(die, At.byte_size, 0) || 4;
  const name = d.name(die) ?? null;
  const under = d.ref(die, At.type);
  const enc = under >= 0 ? d.num(under, At.encoding, 0) : 0;
  const isSigned = enc === Ate.signed || enc === Ate.signed_char;
  const values: [string, bigint][] = [];
  for (let e = d.firstChild(die); e >= 0; e = d.nextSibling(e)) {
    if (d.tag(e) !== Tag.enumerator) continue;
    // libdw's dwarf_formudata: dataN zero-extended, sdata as its two's complement
    values.push([d.name(e) ?? '', BigInt.asIntN(64, BigInt.asUintN(64, d.bigValue(e, At.const_value) ?? 0n))]);
  }
  if (size <= 4) {
    const id = btf.addEnum(name, size);
    for (const [n, v] of values) btf.addEnumValue(n, Number(v));
    return id;
  }
  const id = btf.addEnum64(name, size, isSigned);
  for (const [n, v] of values) btf.addEnum64Value(n, v);
  return id;
}

function encodeProto(d: DwarfInfo, ct: CuTypes, st: EncoderState, idOff: number, die: number): number {
  const btf = st.btf;
  const id = btf.addFuncProto(refId(d, ct, idOff, die));
  let varargs = false;
  for (let c = d.firstChild(die); c >= 0; c = d.nextSibling(c)) {
    const t = d.tag(c);
    if (t === Tag.formal_parameter) btf.addFuncParam(d.name(c) ?? null, refId(d, ct, idOff, c));
    else if (t === Tag.unspecified_parameters) varargs = true;
  }
  if (varargs) btf.addFuncParam(null, 0);
  return id;
}

export function encodeError(d: DwarfInfo, die: number, message: string): BtfkitError {
  return new BtfkitError('DWARF', `DIE 0x${d.offset(die).toString(16)}: ${message}`, {
    errno: Errno.EINVAL,
    where: { section: '.debug_info', offset: d.offset(die) },
  });
}
