/**
 * The kernel's per-kind checks of a BTF record at load time (kernel/bpf/btf.c, the
 * check_meta of each entry of btf_kind_operations) and the per-kind details its verifier log
 * prints (log_details). CHECK_META is a table over every kind KindId knows: tsc points here
 * when a kind is added. Each check reads the record the Verifier is at and returns the bytes
 * of trailing data after the 12-byte prefix, or throws through the Verifier's loggers.
 */

import { Errno } from '../errors.js';
import { KindId as Kind } from '../format/kinds.js';
import type { Verifier } from './verify.js';

/** The kinds with a record (kind 0 is rejected before the table is consulted). */
export type CheckedKind = Exclude<Kind, Kind.UNKN>;

const BTF_MAX_TYPE = 0xfffff;
/** Bits of the INT data word that must be zero (~BTF_INT_MASK). */
const INT_RESERVED = 0xf0000000;
const BITS_PER_U128 = 128;

export function hex(v: number): string {
  return (v >>> 0).toString(16);
}

function roundupBytes(bits: number): number {
  return (bits >>> 3) + ((bits & 7) !== 0 ? 1 : 0);
}

type CheckMeta = (v: Verifier) => number;

/** btf_int_check_meta. */
const checkInt: CheckMeta = (v) => {
  const kind = Kind.INT;
  if (v.left < 4) v.basic(kind, `meta_left:${v.left} meta_needed:4`);
  if (v.vlen) v.typeErr(kind, 'vlen != 0');
  if (v.kflag) v.typeErr(kind, 'Invalid btf_info kind_flag');
  const d = v.words[v.w + 3]!;
  if (d & INT_RESERVED) v.basic(kind, `Invalid int_data:${hex(d)}`);
  const nrBits = (d & 0xff) + ((d >>> 16) & 0xff);
  if (nrBits > BITS_PER_U128) v.typeErr(kind, `nr_bits exceeds ${BITS_PER_U128}`);
  if (roundupBytes(nrBits) > v.st) v.typeErr(kind, 'nr_bits exceeds type_size');
  const enc = (d >>> 24) & 0x0f;
  if (enc !== 0 && enc !== 1 && enc !== 2 && enc !== 4) v.typeErr(kind, 'Unsupported encoding', true, Errno.ENOTSUPP);
  return 4;
};

/** btf_ref_type_check_meta (PTR, TYPEDEF, VOLATILE, CONST, RESTRICT, TYPE_TAG). */
function checkRef(kind: Kind.PTR | Kind.TYPEDEF | Kind.VOLATILE | Kind.CONST | Kind.RESTRICT | Kind.TYPE_TAG): CheckMeta {
  return (v) => {
    const nameOff = v.nameOff;
    if (v.vlen) v.typeErr(kind, 'vlen != 0');
    if (v.kflag && !(v.tagAttr && kind === Kind.TYPE_TAG)) v.typeErr(kind, 'Invalid btf_info kind_flag');
    if (v.st > BTF_MAX_TYPE) v.typeErr(kind, 'Invalid type_id');
    if (kind === Kind.TYPEDEF) {
      if (!nameOff || !v.ident(nameOff)) v.typeErr(kind, 'Invalid name');
    } else if (kind === Kind.TYPE_TAG) {
      if (v.emptyStr(nameOff)) v.typeErr(kind, 'Invalid name');
    } else if (nameOff) v.typeErr(kind, 'Invalid name');
    return 0;
  };
}

/** btf_array_check_meta. */
const checkArray: CheckMeta = (v) => {
  const kind = Kind.ARRAY;
  if (v.left < 12) v.basic(kind, `meta_left:${v.left} meta_needed:12`);
  if (v.nameOff) v.typeErr(kind, 'Invalid name');
  if (v.vlen) v.typeErr(kind, 'vlen != 0');
  if (v.kflag) v.typeErr(kind, 'Invalid btf_info kind_flag');
  if (v.st) v.typeErr(kind, 'size != 0');
  const elem = v.words[v.w + 3]!;
  if (!elem || elem > BTF_MAX_TYPE) v.typeErr(kind, 'Invalid elem');
  const index = v.words[v.w + 4]!;
  if (!index || index > BTF_MAX_TYPE) v.typeErr(kind, 'Invalid index');
  return 12;
};

/** btf_struct_check_meta (STRUCT, UNION). */
function checkComposite(kind: Kind.STRUCT | Kind.UNION): CheckMeta {
  return (v) => {
    const { vlen, kflag, st, words } = v;
    const need = vlen * 12;
    if (v.left < need) v.basic(kind, `meta_left:${v.left} meta_needed:${need}`);
    if (v.nameOff && !v.ident(v.nameOff)) v.typeErr(kind, 'Invalid name');
    const isUnion = kind === Kind.UNION;
    let last = 0;
    for (let i = 0, p = v.w + 3; i < vlen; i++, p += 3) {
      const mn = words[p]!;
      const mt = words[p + 1]!;
      const mo = words[p + 2]!;
      if (!v.nameOk(mn)) v.memberErr(kind, p, `Invalid member name_offset:${mn}`);
      if (mn && !v.ident(mn)) v.memberErr(kind, p, 'Invalid name');
      if (!mt || mt > BTF_MAX_TYPE) v.memberErr(kind, p, 'Invalid type_id');
      const bitOff = kflag ? mo & 0xffffff : mo;
      if (isUnion && bitOff) v.memberErr(kind, p, 'Invalid member bits_offset');
      if (last > bitOff) v.memberErr(kind, p, 'Invalid member bits_offset');
      if (roundupBytes(bitOff) > st) v.memberErr(kind, p, 'Member bits_offset exceeds its struct size');
      last = bitOff;
    }
    return need;
  };
}

/** btf_enum_check_meta / btf_enum64_check_meta. */
function checkEnum(kind: Kind.ENUM | Kind.ENUM64): CheckMeta {
  const ew = kind === Kind.ENUM ? 2 : 3;
  return (v) => {
    const { vlen, st, words } = v;
    const need = vlen * ew * 4;
    if (v.left < need) v.basic(kind, `meta_left:${v.left} meta_needed:${need}`);
    if (st > 8 || st === 0 || (st & (st - 1)) !== 0) v.typeErr(kind, 'Unexpected size');
    if (v.nameOff && !v.ident(v.nameOff)) v.typeErr(kind, 'Invalid name');
    for (let i = 0, p = v.w + 3; i < vlen; i++, p += ew) {
      const vn = words[p]!;
      if (!v.nameOk(vn)) v.enumNameErr(kind, i, p, vn);
      if (!vn || !v.ident(vn)) v.typeErr(kind, 'Invalid name');
    }
    return need;
  };
}

/** btf_fwd_check_meta. */
const checkFwd: CheckMeta = (v) => {
  const kind = Kind.FWD;
  if (v.vlen) v.typeErr(kind, 'vlen != 0');
  if (v.st) v.typeErr(kind, 'type != 0');
  if (!v.nameOff || !v.ident(v.nameOff)) v.typeErr(kind, 'Invalid name');
  return 0;
};

/** btf_func_check_meta. */
const checkFunc: CheckMeta = (v) => {
  const kind = Kind.FUNC;
  if (!v.nameOff || !v.ident(v.nameOff)) v.typeErr(kind, 'Invalid name');
  if (v.vlen > 1) v.typeErr(kind, 'Invalid func linkage'); // only static (0) and global (1)
  if (v.kflag) v.typeErr(kind, 'Invalid btf_info kind_flag');
  return 0;
};

/** btf_func_proto_check_meta. */
const checkFuncProto: CheckMeta = (v) => {
  const kind = Kind.FUNC_PROTO;
  const need = v.vlen * 8;
  if (v.left < need) v.basic(kind, `meta_left:${v.left} meta_needed:${need}`);
  if (v.nameOff) v.typeErr(kind, 'Invalid name');
  if (v.kflag) v.typeErr(kind, 'Invalid btf_info kind_flag');
  return need;
};

/** btf_var_check_meta. */
const checkVar: CheckMeta = (v) => {
  const kind = Kind.VAR;
  if (v.left < 4) v.basic(kind, `meta_left:${v.left} meta_needed:4`);
  if (v.vlen) v.typeErr(kind, 'vlen != 0');
  if (v.kflag) v.typeErr(kind, 'Invalid btf_info kind_flag');
  if (!v.nameOff || !v.ident(v.nameOff)) v.typeErr(kind, 'Invalid name');
  if (!v.st || v.st > BTF_MAX_TYPE) v.typeErr(kind, 'Invalid type_id');
  const linkage = v.words[v.w + 3]!;
  if (linkage !== 0 && linkage !== 1) v.typeErr(kind, 'Linkage not supported');
  return 4;
};

/** btf_datasec_check_meta. */
const checkDatasec: CheckMeta = (v) => {
  const kind = Kind.DATASEC;
  const { vlen, st, words } = v;
  const need = vlen * 12;
  if (v.left < need) v.basic(kind, `meta_left:${v.left} meta_needed:${need}`);
  if (!st) v.typeErr(kind, 'size == 0');
  if (v.kflag) v.typeErr(kind, 'Invalid btf_info kind_flag');
  if (!v.nameOff || !v.section(v.nameOff)) v.typeErr(kind, 'Invalid name');
  let lastEnd = 0;
  let sum = 0;
  for (let i = 0, p = v.w + 3; i < vlen; i++, p += 3) {
    const vt = words[p]!;
    const vo = words[p + 1]!;
    const vs = words[p + 2]!;
    if (!vt || vt > BTF_MAX_TYPE) v.vsiErr(kind, p, 'Invalid type_id');
    if (vo < lastEnd || vo >= st) v.vsiErr(kind, p, 'Invalid offset');
    if (!vs || vs > st) v.vsiErr(kind, p, 'Invalid size');
    lastEnd = vo + vs;
    if (lastEnd > st) v.vsiErr(kind, p, 'Invalid offset+size');
    sum += vs;
  }
  if (st < sum) v.typeErr(kind, 'Invalid btf_info size');
  return need;
};

/** btf_float_check_meta. */
const checkFloat: CheckMeta = (v) => {
  const kind = Kind.FLOAT;
  if (v.vlen) v.typeErr(kind, 'vlen != 0');
  if (v.kflag) v.typeErr(kind, 'Invalid btf_info kind_flag');
  const st = v.st;
  if (st !== 2 && st !== 4 && st !== 8 && st !== 12 && st !== 16) v.typeErr(kind, 'Invalid type_size');
  return 0;
};

/** btf_decl_tag_check_meta. */
const checkDeclTag: CheckMeta = (v) => {
  const kind = Kind.DECL_TAG;
  if (v.left < 4) v.basic(kind, `meta_left:${v.left} meta_needed:4`);
  if (v.emptyStr(v.nameOff)) v.typeErr(kind, 'Invalid value');
  if (v.vlen) v.typeErr(kind, 'vlen != 0');
  if (v.kflag && !v.tagAttr) v.typeErr(kind, 'Invalid btf_info kind_flag');
  if ((v.words[v.w + 3]! | 0) < -1) v.typeErr(kind, 'Invalid component_idx');
  return 4;
};

/** The kernel's btf_kind_operations, check_meta column: one entry per kind. */
export const CHECK_META: { readonly [K in CheckedKind]: CheckMeta } = {
  [Kind.INT]: checkInt,
  [Kind.PTR]: checkRef(Kind.PTR),
  [Kind.ARRAY]: checkArray,
  [Kind.STRUCT]: checkComposite(Kind.STRUCT),
  [Kind.UNION]: checkComposite(Kind.UNION),
  [Kind.ENUM]: checkEnum(Kind.ENUM),
  [Kind.FWD]: checkFwd,
  [Kind.TYPEDEF]: checkRef(Kind.TYPEDEF),
  [Kind.VOLATILE]: checkRef(Kind.VOLATILE),
  [Kind.CONST]: checkRef(Kind.CONST),
  [Kind.RESTRICT]: checkRef(Kind.RESTRICT),
  [Kind.FUNC]: checkFunc,
  [Kind.FUNC_PROTO]: checkFuncProto,
  [Kind.VAR]: checkVar,
  [Kind.DATASEC]: checkDatasec,
  [Kind.FLOAT]: checkFloat,
  [Kind.DECL_TAG]: checkDeclTag,
  [Kind.TYPE_TAG]: checkRef(Kind.TYPE_TAG),
  [Kind.ENUM64]: checkEnum(Kind.ENUM64),
};

/** log_details of the current record, as separate log calls (one dmesg line each). */
export function logDetails(v: Verifier, kind: CheckedKind): string[] {
  const words = v.words;
  const w = v.w;
  const st = words[w + 2]!;
  switch (kind) {
    case Kind.INT: {
      const d = words[w + 3]!;
      const enc = (d >>> 24) & 0x0f;
      const es = enc === 0 ? '(none)' : enc === 1 ? 'SIGNED' : enc === 2 ? 'CHAR' : enc === 4 ? 'BOOL' : 'UNKN';
      return [`size=${st} bits_offset=${(d >>> 16) & 0xff} nr_bits=${d & 0xff} encoding=${es}`];
    }
    case Kind.PTR: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT:
    case Kind.TYPE_TAG: case Kind.FUNC:
      return [`type_id=${st}`];
    case Kind.FWD:
      return [words[w + 1]! >>> 31 ? 'union' : 'struct'];
    case Kind.ARRAY:
      return [`type_id=${words[w + 3]} index_type_id=${words[w + 4]} nr_elems=${words[w + 5]}`];
    case Kind.STRUCT: case Kind.UNION: case Kind.ENUM: case Kind.ENUM64: case Kind.DATASEC:
      return [`size=${st} vlen=${words[w + 1]! & 0xffff}`];
    case Kind.FUNC_PROTO: {
      const n = words[w + 1]! & 0xffff;
      const out = [`return=${st} args=(`];
      const pt = (i: number) => words[w + 4 + 2 * i]!;
      const pn = (i: number) => v.strOf(words[w + 3 + 2 * i]!);
      if (n === 0) out.push('void');
      else if (n === 1 && pt(0) === 0) out.push('vararg');
      else {
        out.push(`${pt(0)} ${pn(0)}`);
        for (let i = 1; i < n - 1; i++) out.push(`, ${pt(i)} ${pn(i)}`);
        if (n > 1) out.push(pt(n - 1) ? `, ${pt(n - 1)} ${pn(n - 1)}` : ', vararg');
      }
      out.push(')');
      return out;
    }
    case Kind.VAR:
      return [`type_id=${st} linkage=${words[w + 3]}`];
    case Kind.FLOAT:
      return [`size=${st}`];
    case Kind.DECL_TAG:
      return [`type=${st} component_idx=${words[w + 3]! | 0}`];
    default: {
      const never: never = kind;
      return [`unknown kind ${String(never)}`];
    }
  }
}
