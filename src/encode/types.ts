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
import { Tag, At, Ate, Form, tagName, AttrSet, type DwarfInfo } from '../dwarf/index.js';
import type { Btf } from '../model/btf.js';
import { KindId as Kind } from '../format/kinds.js';
import { growU32 } from '../model/grow.js';
import type { CuTypes } from './order.js';
import { addTypeTagOf, pointerTagTarget } from './tags.js';
import { StrCache } from './strcache.js';

const INT_SIGNED = 1;
const INT_BOOL = 4;
const VLEN_MAX = 0xffff;

/** What the encoder carries from one unit to the next (btf_encoder's index-type fields). */
export interface EncoderState {
  btf: Btf;
  /** Whether an "int" for array indices is known, and its id. */
  hasIndexType: boolean;
  arrayIndexId: number;
  /** An array was encoded, so an index type is needed. */
  needIndexType: boolean;
  /** BTF string offset of each DWARF string interned so far, by its bytes. */
  strs: StrCache;
  /** Scratch words of the record being built. */
  rec: Uint32Array;
  /** The attributes of a member DIE (slots M_*) and of an enumerator (E_*). */
  member: AttrSet;
  enumerator: AttrSet;
}

const E_NAME = 0;
const E_VALUE = 1;

const M_NAME = 0;
const M_TYPE = 1;
const M_BIT_SIZE = 2;
const M_DATA_BIT_OFFSET = 3;
const M_LOCATION = 4;
const M_BYTE_SIZE = 5;
const M_BIT_OFFSET = 6;

/** The state for encoding DWARF units into `btf`. */
export function newEncoderState(btf: Btf): EncoderState {
  return {
    btf, hasIndexType: false, arrayIndexId: 0, needIndexType: false, strs: new StrCache(), rec: new Uint32Array(256),
    member: new AttrSet([At.name, At.type, At.bit_size, At.data_bit_offset, At.data_member_location, At.byte_size, At.bit_offset]),
    enumerator: new AttrSet([At.name, At.const_value]),
  };
}

/**
 * btf__add_str of a DIE's string attribute, once per DWARF string (kernel headers repeat the
 * same member and type names in every unit): the BTF string offset, 0 when absent or empty.
 */
export function internStr(d: DwarfInfo, st: EncoderState, die: number, at: number = At.name): number {
  return internPos(d, st, d.strPos(die, at));
}

/** internStr of the string at DwarfInfo.strPos `pos` (-1: absent). */
function internPos(d: DwarfInfo, st: EncoderState, pos: number): number {
  if (pos < 0) return 0;
  const n = d.strLength(pos);
  if (n === 0) return 0;
  // the bytes as they are in DWARF (pahole copies them), no JS string
  const src = d.strSection(pos);
  const at = d.strOffset(pos);
  const cached = st.strs.get(src, at, n);
  if (cached >= 0) return cached;
  const off = st.btf.addStrBytes(src, at, n);
  st.strs.set(src, at, n, off);
  return off;
}

/** Appends the record in st.rec[0, n) with `info`; returns its id. */
function addRec(st: EncoderState, n: number): number {
  return st.btf.addRecordFrom(st.rec, 0, n);
}

function info(kind: number, vlen: number, kflag: boolean): number {
  return ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
}

/** A reference kind's record (name 0): PTR, CONST, VOLATILE, RESTRICT. */
function addRef(st: EncoderState, kind: number, nameOff: number, ref: number): number {
  const r = st.rec;
  r[0] = nameOff;
  r[1] = info(kind, 0, false);
  r[2] = ref;
  return addRec(st, 3);
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
  const small = smallIdOf(ct, d.ref(die, at));
  return small === 0 ? 0 : idOff + small;
}

/** The small id of DIE `t` in the unit's types table (0: none, void). */
function smallIdOf(ct: CuTypes, t: number): number {
  const u = ct.unit;
  if (t < u.firstDie || t >= u.endDie) return 0;
  return ct.smallId[t - u.firstDie]!;
}

function encodeType(d: DwarfInfo, ct: CuTypes, st: EncoderState, idOff: number, die: number): number {
  const btf = st.btf;
  const tag = d.tag(die);
  switch (tag) {
    case Tag.base_type:
      return encodeBaseType(d, st, die);
    case Tag.const_type:
      return addRef(st, Kind.CONST, 0, refId(d, ct, idOff, die));
    case Tag.pointer_type: {
      const tagged = pointerTagTarget(d, ct, idOff, die);
      return addRef(st, Kind.PTR, 0, tagged >= 0 ? tagged : refId(d, ct, idOff, die));
    }
    case Tag.LLVM_annotation:
      return addTypeTagOf(d, ct, idOff, btf, die, (ptr) => refId(d, ct, idOff, ptr));
    case Tag.restrict_type:
      return addRef(st, Kind.RESTRICT, 0, refId(d, ct, idOff, die));
    case Tag.volatile_type:
      return addRef(st, Kind.VOLATILE, 0, refId(d, ct, idOff, die));
    case Tag.typedef: {
      const name = internStr(d, st, die);
      // btf__add_typedef refuses a typedef without a name
      if (name === 0) return btf.addTypedef('', refId(d, ct, idOff, die));
      return addRef(st, Kind.TYPEDEF, name, refId(d, ct, idOff, die));
    }
    case Tag.structure_type: case Tag.class_type: case Tag.union_type: {
      if (d.num(die, At.declaration, 0)) {
        const name = internStr(d, st, die);
        if (name === 0) return btf.addFwd('', tag === Tag.union_type ? 'union' : 'struct');
        const r = st.rec;
        r[0] = name;
        r[1] = info(Kind.FWD, 0, tag === Tag.union_type);
        r[2] = 0;
        return addRec(st, 3);
      }
      return encodeComposite(d, ct, st, idOff, die);
    }
    case Tag.array_type: {
      st.needIndexType = true;
      const r = st.rec;
      r[0] = 0;
      r[1] = info(Kind.ARRAY, 0, false);
      r[2] = 0;
      r[3] = refId(d, ct, idOff, die);
      r[4] = st.arrayIndexId;
      r[5] = arrayElements(d, die);
      return addRec(st, 6);
    }
    case Tag.enumeration_type:
      return encodeEnum(d, st, die);
    case Tag.subroutine_type:
      return encodeProto(d, ct, st, idOff, die);
    case Tag.unspecified_type:
      return 0;
    default: {
      // pahole prints this line, drops the whole module's BTF and still exits 0 (kbuild goes on)
      const pahole = `Unsupported ${tagName(tag)}(0x${tag.toString(16)}): type: 0x${refId(d, ct, idOff, die).toString(16)}`;
      throw encodeError(d, die, `${tagName(tag)} cannot be encoded in BTF (pahole leaves the module without BTF: "${pahole}")`);
    }
  }
}

function encodeBaseType(d: DwarfInfo, st: EncoderState, die: number): number {
  const encoding = d.num(die, At.encoding, 0);
  const bits = d.num(die, At.byte_size, 0) * 8;
  let enc = 0;
  if (encoding === Ate.signed || encoding === Ate.signed_char) enc = INT_SIGNED;
  else if (encoding === Ate.boolean) enc = INT_BOOL;
  else if (encoding === Ate.float) return st.btf.addFloat(d.name(die) ?? '', bits / 8);
  else if (encoding === Ate.complex_float || encoding === 0x9 /* DW_ATE_imaginary_float */) {
    // pahole's line; like any type it cannot encode, the module is left without BTF
    throw encodeError(d, die, 'complex float type cannot be encoded in BTF (pahole leaves the module without BTF: "Complex, interval and imaginary float types are not supported")');
  }
  const bytes = (bits + 7) >>> 3;
  if (!bytes || (bytes & (bytes - 1)) || bytes > 16) return st.btf.addInt('__SANITIZED_FAKE_INT__', 4, enc);
  const name = internStr(d, st, die);
  // btf__add_int refuses a nameless int
  if (name === 0) return st.btf.addInt('', bytes, enc);
  const r = st.rec;
  r[0] = name;
  r[1] = info(Kind.INT, 0, false);
  r[2] = bytes;
  r[3] = ((enc << 24) | (bytes * 8)) >>> 0;
  return addRec(st, 4);
}

/**
 * Elements of all dimensions (upper_bound + 1, or count; 0 for a flexible dimension). As
 * pahole reads them (attr_upper_bound, libdw's dwarf_formudata): a bound that is not a constant
 * (a VLA's: a reference to the variable holding it, or an expression) counts as 0 elements, and
 * then DW_AT_count is not looked at.
 */
export function arrayElements(d: DwarfInfo, die: number): number {
  let n = 1;
  for (let c = d.firstChild(die); c >= 0; c = d.nextSibling(c)) {
    if (d.tag(c) === Tag.subrange_type) n = Math.imul(n, subrangeElements(d, c)) >>> 0;
  }
  return n;
}

/** Elements of one DW_TAG_subrange_type (pahole's attr_upper_bound, as 32 bits). */
export function subrangeElements(d: DwarfInfo, c: number): number {
  if (d.has(c, At.upper_bound)) {
    const v = constantOf(d, c, At.upper_bound);
    return v === undefined ? 0 : Number(BigInt.asUintN(32, BigInt.asUintN(64, v) + 1n));
  }
  if (d.has(c, At.count)) return Number(BigInt.asUintN(32, constantOf(d, c, At.count) ?? 0n));
  return 0;
}

/** The value of a constant-class attribute; undefined for another form (a reference, an expression). */
function constantOf(d: DwarfInfo, die: number, at: number): bigint | undefined {
  return locationKind(d.form(die, at)) === LOC_CONST ? d.bigValue(die, at) : undefined;
}

function encodeComposite(d: DwarfInfo, ct: CuTypes, st: EncoderState, idOff: number, die: number): number {
  const isUnion = d.tag(die) === Tag.union_type;
  const size = d.num(die, At.byte_size, 0);
  // btf__add_struct/union then btf__add_field per member: the names are interned in this order
  let r = st.rec;
  r[0] = internStr(d, st, die);
  r[2] = size >>> 0;
  let n = 3;
  let kflag = false;
  const place = { bitOffset: 0, bitfieldSize: 0 };
  const set = st.member;
  for (let m = d.firstChild(die); m >= 0; m = d.nextSibling(m)) {
    const t = d.tag(m);
    // pahole's type__for_each_data_member: DW_TAG_member only (not a C++ base class), static
    // members too (a C++ DWARF 4 static data member: no location, encoded at offset 0)
    if (t !== Tag.member) continue;
    d.gather(m, set);
    memberPlacement(d, m, set, place);
    const { bitOffset, bitfieldSize } = place;
    // pahole adds the id offset even to a void (0) member type
    const type = idOff + smallIdOf(ct, d.refIn(m, set, M_TYPE));
    const isBitfield = bitfieldSize !== 0 || bitOffset % 8 !== 0;
    if (isBitfield && (bitfieldSize > 255 || bitOffset >= 1 << 24)) throw new BtfkitError('BTF_INVALID', 'add_field: bitfield too large');
    if (isUnion && bitOffset) throw new BtfkitError('BTF_INVALID', 'add_field: union members must be at offset 0');
    if ((n - 3) / 3 + 1 > VLEN_MAX) throw new BtfkitError('BTF_INVALID', `too many members/values (vlen > ${VLEN_MAX})`, { errno: Errno.E2BIG });
    if (isBitfield) kflag = true;
    const nameOff = internPos(d, st, d.strPosIn(m, set, M_NAME));
    r = st.rec = growU32(r, n + 3);
    r[n] = nameOff;
    r[n + 1] = type;
    r[n + 2] = (bitOffset | (bitfieldSize << 24)) >>> 0;
    n += 3;
  }
  r[1] = info(isUnion ? Kind.UNION : Kind.STRUCT, (n - 3) / 3, kflag);
  return addRec(st, n);
}

interface Placement {
  bitOffset: number;
  bitfieldSize: number;
}

/** A member's bit offset and bitfield size as pahole computes them (class_member__new, __cache_byte_size), into `out`. */
function memberPlacement(d: DwarfInfo, m: number, set: AttrSet, out: Placement): void {
  const bitfieldSize = d.numIn(m, set, M_BIT_SIZE, 0);
  out.bitfieldSize = bitfieldSize;
  if (set.form[M_DATA_BIT_OFFSET] !== 0) {
    out.bitOffset = d.numIn(m, set, M_DATA_BIT_OFFSET, 0);
    return;
  }
  // no location (a C++ static member): offset 0
  let byteOffset = 0;
  if (set.form[M_LOCATION] !== 0) byteOffset = memberLocation(d, m, set);
  // pahole's bit_offset is 32 bits: byte_offset * 8 wraps
  out.bitOffset = (byteOffset * 8) >>> 0;
  if (bitfieldSize === 0) return;
  let byteSize = d.numIn(m, set, M_BYTE_SIZE, 0);
  if (byteSize === 0) byteSize = storageSize(d, d.refIn(m, set, M_TYPE));
  if (byteSize === 0) return;
  const bitSize = byteSize * 8;
  // DWARF 2 style: offset of the field's most significant bit from the storage unit's
  let bitfieldOffset = bitSize - d.numIn(m, set, M_BIT_OFFSET, 0) - bitfieldSize;
  out.bitOffset = (byteOffset * 8 + bitfieldOffset) >>> 0;
  if (bitfieldOffset < 0) {
    bitfieldOffset += bitSize;
    byteOffset -= byteSize;
    out.bitOffset = (byteOffset * 8 + bitfieldOffset) >>> 0;
  }
}

/**
 * DW_AT_data_member_location as pahole's __attr_offset reads it into its 32-bit byte offset: a
 * constant; an expression (exprOffset); any other form (a location list) 0.
 */
function memberLocation(d: DwarfInfo, m: number, set: AttrSet): number {
  const form = set.form[M_LOCATION]!;
  const kind = locationKind(form);
  return kind === LOC_EXPR ? exprOffset(d.blockIn(set, M_LOCATION)!) : kind === LOC_CONST ? d.numIn(m, set, M_LOCATION, 0) >>> 0 : 0;
}

/** DW_AT_data_member_location of member `m`, read on its own (packed.ts). */
export function memberLocationOf(d: DwarfInfo, m: number): number {
  const kind = locationKind(d.form(m, At.data_member_location));
  return kind === LOC_EXPR ? exprOffset(d.block(m, At.data_member_location)!) : kind === LOC_CONST ? d.num(m, At.data_member_location, 0) >>> 0 : 0;
}

const LOC_OTHER = 0;
const LOC_EXPR = 1;
const LOC_CONST = 2;

/**
 * The class of an attribute form, as pahole reads a DW_AT_data_member_location of it: an
 * expression, a constant, or neither (a location list: 0); constantOf uses it too.
 */
function locationKind(form: number): number {
  switch (form) {
    case Form.block: case Form.block1: case Form.block2: case Form.block4: case Form.exprloc:
      return LOC_EXPR;
    case Form.data1: case Form.data2: case Form.data4: case Form.data8:
    case Form.udata: case Form.sdata: case Form.implicit_const:
      return LOC_CONST;
    default:
      return LOC_OTHER;
  }
}

/**
 * pahole's dwarf_expr: DW_OP_plus_uconst N and DW_OP_constu N give N; any other expression (a
 * GCC variable-length member's, say) UINT64_MAX, kept as 0xffffffff in the 32-bit byte offset.
 */
function exprOffset(b: Uint8Array): number {
  if (b.length < 2) return 0;
  if (b[0] !== 0x23 && b[0] !== 0x10) return 0xffffffff;
  let v = 0;
  let mul = 1;
  for (let i = 1; i < b.length; i++) {
    v += (b[i]! & 0x7f) * mul;
    if (b[i]! < 0x80) break;
    mul *= 128;
  }
  return v;
}

/** Byte size of a bitfield's storage from its type `t` (a DIE, -1 for none), typedefs and modifiers stripped. */
function storageSize(d: DwarfInfo, t: number): number {
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
  if (size === 1 || size === 2 || size === 4) return encodeEnum32(d, st, die, size);
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

/**
 * An ENUM of 1, 2 or 4 bytes as btf__add_enum + btf__add_enum_value build it (names interned
 * in that order; a negative value sets kflag), its record written whole.
 */
function encodeEnum32(d: DwarfInfo, st: EncoderState, die: number, size: number): number {
  let r = st.rec;
  r[0] = internStr(d, st, die);
  r[2] = size;
  let n = 3;
  let kflag = false;
  const set = st.enumerator;
  for (let e = d.firstChild(die); e >= 0; e = d.nextSibling(e)) {
    if (d.tag(e) !== Tag.enumerator) continue;
    d.gather(e, set);
    const nameOff = internPos(d, st, d.strPosIn(e, set, E_NAME));
    // btf__add_enum_value refuses a nameless value
    if (nameOff === 0) throw new BtfkitError('BTF_INVALID', 'add_enum_value: a name is required', { errno: Errno.EINVAL });
    const form = set.form[E_VALUE]!;
    let v: number;
    if (form === Form.data1 || form === Form.data2 || form === Form.data4 || form === Form.sdata || form === Form.implicit_const) {
      v = d.numIn(e, set, E_VALUE, 0);
    } else {
      // libdw's dwarf_formudata: data8 and udata as 64 bits, read as the signed value pahole stores
      v = Number(BigInt.asIntN(64, BigInt.asUintN(64, d.bigValue(e, At.const_value) ?? 0n)));
    }
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
      throw new BtfkitError('BTF_INVALID', 'add_enum_value: value out of range', { errno: Errno.E2BIG });
    }
    if ((n - 3) / 2 + 1 > VLEN_MAX) throw new BtfkitError('BTF_INVALID', `too many members/values (vlen > ${VLEN_MAX})`, { errno: Errno.E2BIG });
    if (v < 0) kflag = true;
    r = st.rec = growU32(r, n + 2);
    r[n] = nameOff;
    r[n + 1] = v >>> 0;
    n += 2;
  }
  r[1] = info(Kind.ENUM, (n - 3) / 2, kflag);
  return addRec(st, n);
}

function encodeProto(d: DwarfInfo, ct: CuTypes, st: EncoderState, idOff: number, die: number): number {
  // btf__add_func_proto then btf__add_func_param per parameter (names interned in order)
  let r = st.rec;
  r[0] = 0;
  r[2] = refId(d, ct, idOff, die);
  let n = 3;
  let varargs = false;
  for (let c = d.firstChild(die); c >= 0; c = d.nextSibling(c)) {
    const t = d.tag(c);
    if (t === Tag.formal_parameter) {
      const nameOff = internStr(d, st, c);
      const type = refId(d, ct, idOff, c);
      r = st.rec = growU32(r, n + 2);
      r[n] = nameOff;
      r[n + 1] = type;
      n += 2;
    } else if (t === Tag.unspecified_parameters) varargs = true;
  }
  if (varargs) {
    r = st.rec = growU32(r, n + 2);
    r[n] = 0;
    r[n + 1] = 0;
    n += 2;
  }
  if ((n - 3) / 2 > VLEN_MAX) throw new BtfkitError('BTF_INVALID', `too many members/values (vlen > ${VLEN_MAX})`, { errno: Errno.E2BIG });
  r[1] = info(Kind.FUNC_PROTO, (n - 3) / 2, false);
  return addRec(st, n);
}

export function encodeError(d: DwarfInfo, die: number, message: string): BtfkitError {
  return new BtfkitError('DWARF', `DIE 0x${d.offset(die).toString(16)}: ${message}`, {
    errno: Errno.EINVAL,
    where: { section: '.debug_info', offset: d.offset(die) },
  });
}
