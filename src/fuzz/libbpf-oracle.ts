/**
 * An independent, deliberately small model of libbpf v1.7.0's accept/reject decision for raw
 * BTF (btf__new / btf__new_split), written from the rules in docs/design.md §format-header … §format-load-checks
 * and not from src/format/parse.ts: it shares no code with the parser (no Btf model, no kind
 * tables) so that a mistake in one is not silently repeated in the other.
 *
 * libbpf v1.7.0 knows the 24-byte header only: a longer native header is accepted and its
 * extra bytes ignored, kind is 5 bits and vlen 16 bits whatever hdr_len says, and a swapped
 * header must be exactly 24 bytes. (The 2026 "layout" format is not part of v1.7.0.)
 *
 * The result is accept (with the type count) or reject with libbpf's positive errno and the
 * step of §format-load-checks that rejected, so that a disagreement names the rule involved.
 */

import { Errno } from '../errors.js';

export const EINVAL = Errno.EINVAL;
export const ENOTSUP = Errno.ENOTSUP;

export type OracleStep =
  | 'size' // 1. shorter than the header
  | 'magic' // 2. bad magic / swapped with hdr_len != 24
  | 'hdr_len' // 3. size < hdr_len
  | 'total_size' // 4. strings end past the data
  | 'layout' // 5. types do not end before strings
  | 'align' // 6. type_off % 4
  | 'strings' // 7. string section rules
  | 'type_walk' // 8. unknown kind, record past the end, trailing bytes
  | 'sanity'; // 9. own types: names, referenced ids, FUNC -> FUNC_PROTO

export type OracleVerdict =
  | { accept: true; types: number; strLen: number }
  | { accept: false; errno: number; step: OracleStep; why: string };

/** What the oracle needs to know of a base: its type count and its logical string space. */
export interface OracleBase {
  /** type_cnt(base): 1 + number of types visible through the base. */
  typeCnt: number;
  /** Is `off` a valid string offset of the base (btf__str_by_offset != NULL)? */
  validStr(off: number): boolean;
  /** Kind of base type `id` (0 for void), for FUNC -> FUNC_PROTO checks on split types. */
  kindOf(id: number): number;
  /** start_str_off + str_len of the base: where a split's own string space starts. */
  strEnd: number;
}

const HDR = 24;
const MAX_STR_OFF = 0x7fffffff;

/** Record length in bytes per kind (docs/design.md §format-records), or -1 for kinds libbpf rejects. */
function recordBytes(kind: number, vlen: number): number {
  switch (kind) {
    case 1: return 16; // INT
    case 2: return 12; // PTR
    case 3: return 24; // ARRAY
    case 4: case 5: return 12 + 12 * vlen; // STRUCT, UNION
    case 6: return 12 + 8 * vlen; // ENUM
    case 7: case 8: case 9: case 10: case 11: case 12: return 12; // FWD TYPEDEF VOLATILE CONST RESTRICT FUNC
    case 13: return 12 + 8 * vlen; // FUNC_PROTO
    case 14: return 16; // VAR
    case 15: return 12 + 12 * vlen; // DATASEC
    case 16: return 12; // FLOAT
    case 17: return 16; // DECL_TAG
    case 18: return 12; // TYPE_TAG
    case 19: return 12 + 12 * vlen; // ENUM64
    default: return -1; // UNKN (0) and 20..31
  }
}

const reject = (errno: number, step: OracleStep, why: string): OracleVerdict => ({ accept: false, errno, step, why });

/** libbpf v1.7.0's verdict on `bytes` (split on `base` when given). */
export function libbpfVerdict(bytes: Uint8Array, base: OracleBase | null = null): OracleVerdict {
  const size = bytes.length;
  // 1.
  if (size < HDR) return reject(EINVAL, 'size', 'BTF header not found');
  // 2.
  let le: boolean;
  if (bytes[0] === 0x9f && bytes[1] === 0xeb) le = true;
  else if (bytes[0] === 0xeb && bytes[1] === 0x9f) le = false;
  else return reject(EINVAL, 'magic', 'Invalid BTF magic');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number): number => dv.getUint32(o, le);
  const hdrLen = u32(4);
  // "native" for this model is little-endian (x86-64, arm64): a big-endian file is swapped.
  if (!le && hdrLen !== HDR) return reject(ENOTSUP, 'magic', 'non-native endianness with unsupported header length');
  const typeOff = u32(8);
  const typeLen = u32(12);
  const strOff = u32(16);
  const strLen = u32(20);
  // 3.
  if (size < hdrLen) return reject(EINVAL, 'hdr_len', 'header longer than the data');
  // 4. (computed in 64 bits in libbpf: no wrap-around)
  if (size - hdrLen < strOff + strLen) return reject(EINVAL, 'total_size', 'Invalid BTF total size');
  // 5.
  if (typeOff + typeLen > strOff) return reject(EINVAL, 'layout', 'Invalid BTF data sections layout');
  // 6.
  if (typeOff % 4 !== 0) return reject(EINVAL, 'align', 'type section not aligned');

  // 7. strings
  const strStart = hdrLen + strOff;
  if (!(base && strLen === 0)) {
    if (strLen === 0 || strLen - 1 > MAX_STR_OFF || bytes[strStart + strLen - 1] !== 0)
      return reject(EINVAL, 'strings', 'Invalid BTF string section');
    if (!base && bytes[strStart] !== 0) return reject(EINVAL, 'strings', 'Malformed BTF string section');
  }

  // 8. type walk: record offsets (bytes, relative to the type section)
  const typeStart = hdrLen + typeOff;
  const rec = (p: number, k: number): number => u32(typeStart + p + 4 * k);
  const offsets: number[] = [];
  let p = 0;
  while (p + 12 <= typeLen) {
    const info = rec(p, 1);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const n = recordBytes(kind, vlen);
    if (n < 0) return reject(EINVAL, 'type_walk', `Unsupported BTF_KIND:${kind}`);
    if (p + n > typeLen) return reject(EINVAL, 'type_walk', `BTF type [${offsets.length}] is malformed`);
    offsets.push(p);
    p += n;
  }
  if (p !== typeLen) return reject(EINVAL, 'type_walk', 'BTF types data is malformed');

  // 9. sanity of own types
  const startId = base ? base.typeCnt : 1;
  const typeCnt = startId + offsets.length;
  const startStr = base ? base.strEnd : 0;
  const strOk = (off: number): boolean => {
    if (off < startStr) return base !== null && base.validStr(off);
    return off - startStr < strLen;
  };
  const idOk = (id: number): boolean => id < typeCnt; // 0 is void, always valid
  const kindOf = (id: number): number => {
    if (id === 0) return 0;
    if (id < startId) return base!.kindOf(id);
    return (rec(offsets[id - startId]!, 1) >>> 24) & 0x1f;
  };
  for (let i = 0; i < offsets.length; i++) {
    const id = startId + i;
    const o = offsets[i]!;
    const w = (k: number): number => rec(o, k);
    const info = w(1);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const bad = (what: string): OracleVerdict => reject(EINVAL, 'sanity', `type [${id}]: ${what}`);
    if (!strOk(w(0))) return bad('invalid type name');
    switch (kind) {
      case 2: case 8: case 9: case 10: case 11: case 14: case 17: case 18:
        if (!idOk(w(2))) return bad('invalid referenced type');
        break;
      case 3:
        if (!idOk(w(3)) || !idOk(w(4))) return bad('invalid array type');
        break;
      case 4: case 5:
        for (let j = 0; j < vlen; j++) {
          if (!strOk(w(3 + 3 * j))) return bad('invalid field name');
          if (!idOk(w(4 + 3 * j))) return bad('invalid field type');
        }
        break;
      case 6:
        for (let j = 0; j < vlen; j++) if (!strOk(w(3 + 2 * j))) return bad('invalid enum name');
        break;
      case 19:
        for (let j = 0; j < vlen; j++) if (!strOk(w(3 + 3 * j))) return bad('invalid enum64 name');
        break;
      case 12:
        if (!idOk(w(2))) return bad('invalid func type');
        if (kindOf(w(2)) !== 13) return bad('FUNC does not refer to FUNC_PROTO');
        break;
      case 13:
        for (let j = 0; j < vlen; j++) {
          if (!strOk(w(3 + 2 * j))) return bad('invalid param name');
          if (!idOk(w(4 + 2 * j))) return bad('invalid param type');
        }
        break;
      case 15:
        for (let j = 0; j < vlen; j++) if (!idOk(w(3 + 3 * j))) return bad('invalid datasec var');
        break;
      default:
        break; // INT, FWD, FLOAT
    }
  }
  return { accept: true, types: offsets.length, strLen };
}

/**
 * An OracleBase for a base that the oracle itself accepted (re-walks it; for split tests).
 * Only single-level bases (no base of their own) are modelled.
 */
export function oracleBase(bytes: Uint8Array): OracleBase | null {
  const v = libbpfVerdict(bytes, null);
  if (!v.accept) return null;
  const le = bytes[0] === 0x9f;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number): number => dv.getUint32(o, le);
  const hdrLen = u32(4);
  const typeStart = hdrLen + u32(8);
  const typeLen = u32(12);
  const strLen = u32(20);
  const kinds: number[] = [0];
  for (let p = 0; p + 12 <= typeLen; ) {
    const info = u32(typeStart + p + 4);
    const kind = (info >>> 24) & 0x1f;
    kinds.push(kind);
    p += recordBytes(kind, info & 0xffff);
  }
  return {
    typeCnt: kinds.length,
    validStr: (off) => off < strLen,
    kindOf: (id) => kinds[id] ?? 0,
    strEnd: strLen,
  };
}

/** The header length field as the magic's byte order gives it (null without a magic or header). */
export function headerLength(bytes: Uint8Array): number | null {
  if (bytes.length < 8) return null;
  const le = bytes[0] === 0x9f && bytes[1] === 0xeb;
  const be = bytes[0] === 0xeb && bytes[1] === 0x9f;
  if (!le && !be) return null;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, le);
}
