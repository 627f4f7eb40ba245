/**
 * Raw BTF bytes → model (libbpf btf_new / btf__new_split).
 *
 * Approach: validate the header, copy the type section once into a host-order Uint32Array
 * (byte-swapping every word for opposite-endian input), walk it once to index record
 * offsets, then run libbpf's sanity check over the object's own types. Checks, their order
 * and their error codes follow libbpf v1.7.0 (docs/design.md §format-endian, §format-load-checks): what libbpf accepts is
 * accepted, what it rejects is rejected with the same errno, and the error names the type id
 * and byte offset. The 2026 format (header ≥ 32 bytes with layout_off/layout_len, 24-bit
 * vlen, 7-bit kind, layout section sizing unknown kinds) is read too.
 */

import { BtfkitError, Errno } from '../errors.js';
import { Btf, HOST_ENDIAN, type BtfHeader, type Endian } from '../model/btf.js';
import { growU32 } from '../model/grow.js';
import { KindId as Kind, MAX_KNOWN_KIND, recordWords, kindName, elemWords } from './kinds.js';

export const BTF_MAGIC = 0xeb9f;
const BTF_MAX_STR_OFFSET = 0x7fffffff;
const BTF_MAX_NR_TYPES = 0x7fffffff;
export const CLASSIC_HDR_LEN = 24;
export const LAYOUT_HDR_LEN = 32;

export interface ParseOptions {
  /** Base BTF when parsing split BTF. */
  base?: Btf | null;
  /** Name of the section or file, for error messages. */
  section?: string;
}

function fail(code: 'BTF_HEADER' | 'BTF_STRINGS' | 'BTF_TYPES' | 'BTF_TYPE_REF' | 'BTF_UNSUPPORTED', msg: string, errno: number, where: { typeId?: number; offset?: number; section?: string }): never {
  throw new BtfkitError(code, msg, { errno, where });
}

/** Detects a BTF magic at the start of `bytes`: the byte order, or null. */
export function btfMagicEndian(bytes: Uint8Array): Endian | null {
  if (bytes.length < 2) return null;
  if (bytes[0] === 0x9f && bytes[1] === 0xeb) return 'little';
  if (bytes[0] === 0xeb && bytes[1] === 0x9f) return 'big';
  return null;
}

/** Reads the header without validating the sections (for `info` and diagnostics). */
export function readHeader(bytes: Uint8Array): { header: BtfHeader; endian: Endian } {
  const section = undefined;
  if (bytes.length < CLASSIC_HDR_LEN) fail('BTF_HEADER', 'BTF header not found (input shorter than 24 bytes)', Errno.EINVAL, { offset: 0, section });
  const endian = btfMagicEndian(bytes);
  if (!endian) {
    const m = bytes[0]! | (bytes[1]! << 8);
    fail('BTF_HEADER', `Invalid BTF magic: ${m.toString(16)}`, Errno.EINVAL, { offset: 0 });
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = endian === 'little';
  const hdrLen = dv.getUint32(4, le);
  const long = hdrLen >= LAYOUT_HDR_LEN && bytes.length >= LAYOUT_HDR_LEN;
  const header: BtfHeader = {
    magic: BTF_MAGIC,
    version: bytes[2]!,
    flags: bytes[3]!,
    hdrLen,
    typeOff: dv.getUint32(8, le),
    typeLen: dv.getUint32(12, le),
    strOff: dv.getUint32(16, le),
    strLen: dv.getUint32(20, le),
    layoutOff: long ? dv.getUint32(24, le) : 0,
    layoutLen: long ? dv.getUint32(28, le) : 0,
  };
  return { header, endian };
}

/**
 * Parses raw BTF. With `opts.base` the result is split BTF on that base.
 * Throws BtfkitError with libbpf's errno on anything libbpf would reject.
 */
export function parseBtf(bytes: Uint8Array, opts: ParseOptions = {}): Btf {
  const base = opts.base ?? null;
  const section = opts.section;
  const { header: hdr, endian } = readHeader(bytes);
  const swapped = endian !== HOST_ENDIAN;
  const wide = hdr.hdrLen >= LAYOUT_HDR_LEN;

  if (swapped && hdr.hdrLen !== CLASSIC_HDR_LEN && hdr.hdrLen !== LAYOUT_HDR_LEN) {
    fail('BTF_UNSUPPORTED', `Can't load BTF with non-native endianness due to unsupported header length ${hdr.hdrLen}`, Errno.ENOTSUP, { offset: 4, section });
  }
  const size = bytes.length;
  if (size < hdr.hdrLen) fail('BTF_HEADER', `BTF header len ${hdr.hdrLen} larger than data size ${size}`, Errno.EINVAL, { offset: 4, section });
  const metaLeft = size - hdr.hdrLen;
  if (metaLeft < hdr.strOff + hdr.strLen) fail('BTF_HEADER', `Invalid BTF total size: ${size} (string section ends at ${hdr.hdrLen + hdr.strOff + hdr.strLen})`, Errno.EINVAL, { offset: 16, section });
  if (hdr.typeOff + hdr.typeLen > hdr.strOff)
    fail('BTF_HEADER', `Invalid BTF data sections layout: type data at ${hdr.typeOff} + ${hdr.typeLen}, strings data at ${hdr.strOff} + ${hdr.strLen}`, Errno.EINVAL, { offset: 8, section });
  if (hdr.typeOff % 4) fail('BTF_HEADER', 'BTF type section is not aligned to 4 bytes', Errno.EINVAL, { offset: 8, section });
  let layout: Uint8Array | null = null;
  if (wide && hdr.layoutLen > 0) {
    if (metaLeft < hdr.layoutOff + hdr.layoutLen)
      fail('BTF_HEADER', `BTF layout section (${hdr.layoutOff} + ${hdr.layoutLen}) extends past the end of the data`, Errno.EINVAL, { offset: 24, section });
    if (hdr.layoutLen % 4) fail('BTF_HEADER', `BTF layout section length ${hdr.layoutLen} is not a multiple of 4`, Errno.EINVAL, { offset: 28, section });
    layout = bytes.slice(hdr.hdrLen + hdr.layoutOff, hdr.hdrLen + hdr.layoutOff + hdr.layoutLen);
  }

  const btf = new Btf(base, endian);
  btf.header = hdr;
  btf.layout = layout;
  if (wide) {
    btf.kindMask = 0x7f;
    btf.vlenMask = 0xffffff;
  }

  // ---- strings (libbpf btf_parse_str_sec)
  const strStart = hdr.hdrLen + hdr.strOff;
  if (!(base && hdr.strLen === 0)) {
    if (hdr.strLen === 0 || hdr.strLen - 1 > BTF_MAX_STR_OFFSET || bytes[strStart + hdr.strLen - 1] !== 0)
      fail('BTF_STRINGS', 'Invalid BTF string section', Errno.EINVAL, { offset: strStart, section });
    if (!base && bytes[strStart] !== 0)
      fail('BTF_STRINGS', 'Malformed BTF string section, did you forget to provide base BTF?', Errno.EINVAL, { offset: strStart, section });
  }
  btf.strs = bytes.slice(strStart, strStart + hdr.strLen);
  btf.strLen = hdr.strLen;

  // ---- types (libbpf btf_parse_type_sec)
  const typeStart = hdr.hdrLen + hdr.typeOff;
  const nw = hdr.typeLen >>> 2;
  const words = new Uint32Array(nw);
  const wb = new Uint8Array(words.buffer);
  wb.set(bytes.subarray(typeStart, typeStart + nw * 4));
  if (swapped) {
    for (let i = 0; i < nw; i++) {
      const v = words[i]!;
      words[i] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
    }
  }
  const idx = indexRecords(words, hdr.typeLen, btf.kindMask, btf.vlenMask, layout, endian);
  const n = idx.n;
  const w = idx.w;
  if (idx.err !== 0) {
    const at = { typeId: btf.startId + n, offset: typeStart + w * 4, section };
    const kind = (words[w + 1]! >>> 24) & btf.kindMask;
    if (idx.err === IDX_UNKNOWN_KIND) fail('BTF_TYPES', `Unsupported BTF_KIND:${kind}`, Errno.EINVAL, at);
    if (idx.err === IDX_PAST_END)
      fail('BTF_TYPES', `BTF type [${btf.startId + n}] is malformed: ${kindName(kind)} record of ${idx.rw * 4} bytes at offset ${typeStart + w * 4} runs past the end of the type section`, Errno.EINVAL, at);
    fail('BTF_TYPES', 'too many BTF types', Errno.E2BIG, { section });
  }
  if (w * 4 !== hdr.typeLen)
    fail('BTF_TYPES', `BTF types data is malformed: ${hdr.typeLen - w * 4} trailing bytes after the last type`, Errno.EINVAL, { typeId: btf.startId + n, offset: typeStart + w * 4, section });
  const offs = idx.offs;

  btf.words = words;
  btf.nWords = nw;
  btf.offs = offs;
  btf.nTypes = n;

  sanityCheck(btf, typeStart, section);
  btf.setRaw(bytes);
  return btf;
}

const IDX_UNKNOWN_KIND = 1;
const IDX_PAST_END = 2;
const IDX_TOO_MANY = 3;

/** Where indexRecords stopped: records found, word position, and why (0 = end of section). */
interface RecordIndex {
  offs: Uint32Array;
  n: number;
  w: number;
  err: number;
  /** Words of the record at w (IDX_PAST_END). */
  rw: number;
}

/**
 * Walks the type section once, recording the word offset of each record. Kept small and
 * free of message formatting so that V8 optimizes it quickly: on a 100k-type vmlinux this
 * loop runs once per process, mostly before the JIT has warmed up.
 */
function indexRecords(words: Uint32Array, typeLen: number, kindMask: number, vlenMask: number, layout: Uint8Array | null, endian: Endian): RecordIndex {
  let offs = new Uint32Array(Math.max(16, Math.min(words.length >>> 2, 1 << 22)));
  let n = 0;
  let w = 0;
  const typeLenWords = typeLen / 4; // may be fractional: trailing bytes < 4
  const lastStart = typeLen - 12;
  while (w * 4 <= lastStart) {
    const info = words[w + 1]!;
    const kind = (info >>> 24) & kindMask;
    let rw = recordWords(kind, info & vlenMask);
    if (rw < 0) {
      rw = layoutRecordWords(layout, kind, info & vlenMask, endian);
      if (rw < 0) return { offs, n, w, err: IDX_UNKNOWN_KIND, rw };
    }
    if (w + rw > typeLenWords) return { offs, n, w, err: IDX_PAST_END, rw };
    if (n >= BTF_MAX_NR_TYPES) return { offs, n, w, err: IDX_TOO_MANY, rw };
    if (n === offs.length) offs = growU32(offs, n + 1);
    offs[n++] = w;
    w += rw;
  }
  return { offs, n, w, err: 0, rw: 0 };
}

/** Record size of a kind unknown to libbpf, from the 2026 layout section, or -1. */
function layoutRecordWords(layout: Uint8Array | null, kind: number, vlen: number, endian: Endian): number {
  if (!layout || kind === 0 || kind <= MAX_KNOWN_KIND) return -1;
  const o = kind * 4;
  if (o + 4 > layout.length) return -1;
  const infoSz = layout[o]!;
  const elemSz = layout[o + 1]!;
  void endian;
  if (infoSz % 4 || elemSz % 4) return -1;
  return 3 + infoSz / 4 + (elemSz / 4) * vlen;
}

/** What sanityScan found wrong (set with the record it returns). */
const enum Bad {
  TypeName,
  FieldName,
  EnumName,
  ParamName,
  RefId,
  NotProto,
  Kind,
}
let badWhat = Bad.TypeName;
let badValue = 0;

/** Records what is wrong with record `i`; returns `i`. */
function found(i: number, what: Bad, value: number): number {
  badWhat = what;
  badValue = value;
  return i;
}

/**
 * libbpf btf_sanity_check over the object's own types (docs/design.md §format-load-checks, the sanity pass): string offsets and
 * referenced ids valid, FUNC refers to a FUNC_PROTO. The scan formats nothing; the message
 * is built for the first bad record only.
 */
function sanityCheck(btf: Btf, typeStart: number, section: string | undefined): void {
  const bad = sanityScan(btf);
  if (bad < 0) return;
  const id = btf.startId + bad;
  const where = { typeId: id, offset: typeStart + btf.offs[bad]! * 4, section };
  const v = badValue;
  switch (badWhat) {
    case Bad.TypeName: case Bad.FieldName: case Bad.EnumName: case Bad.ParamName: {
      const what = ['type name', 'field name', 'enum name', 'param name'][badWhat]!;
      fail('BTF_TYPE_REF', `btf: type [${id}]: invalid ${what} (string offset ${v})`, Errno.EINVAL, where);
      break;
    }
    case Bad.RefId:
      fail('BTF_TYPE_REF', `btf: type [${id}]: invalid referenced type ID ${v}`, Errno.EINVAL, where);
      break;
    case Bad.NotProto:
      fail('BTF_TYPE_REF', `btf: type [${id}]: referenced type [${v}] is not FUNC_PROTO`, Errno.EINVAL, where);
      break;
    default:
      fail('BTF_TYPES', `btf: type [${id}]: unrecognized kind ${v}`, Errno.EINVAL, where);
  }
}

/**
 * The checks of sanityCheck: the index of the first bad record (what is wrong in badWhat /
 * badValue), or -1. A string offset is valid when it is below the end of this object's
 * strings: the string sections of a base chain are contiguous from 0 (each split starts
 * where its base ends).
 */
function sanityScan(btf: Btf): number {
  const words = btf.words;
  const offs = btf.offs;
  const cnt = btf.typeCount();
  const startId = btf.startId;
  const kindMask = btf.kindMask;
  const vlenMask = btf.vlenMask;
  const strLimit = btf.startStrOff + btf.strLen;
  const unknownOk = btf.layout !== null;
  const nTypes = btf.nTypes;
  for (let i = 0; i < nTypes; i++) {
    const o = offs[i]!;
    if (words[o]! >= strLimit) return found(i, Bad.TypeName, words[o]!);
    const info = words[o + 1]!;
    const kind = (info >>> 24) & kindMask;
    if (kind > MAX_KNOWN_KIND || kind === 0) {
      // Kinds beyond libbpf's, admitted by a 2026 layout section: nothing to check.
      if (kind > MAX_KNOWN_KIND && unknownOk) continue;
      return found(i, Bad.Kind, kind);
    }
    // One path for every kind, driven by per-kind tables (see SANITY_*), so that V8 has
    // type feedback for all of it after the first few records: no deoptimization when the
    // first ENUM64 or DATASEC comes along, late in a vmlinux.
    const r1 = SANITY_REF1[kind]!;
    if (r1 !== 0 && words[o + r1]! >= cnt) return found(i, Bad.RefId, words[o + r1]!);
    const r2 = SANITY_REF2[kind]!;
    if (r2 !== 0 && words[o + r2]! >= cnt) return found(i, Bad.RefId, words[o + r2]!);
    const stride = SANITY_STRIDE[kind]!;
    if (stride !== 0) {
      const nameAt = SANITY_ELEM_NAME[kind]!;
      const refAt = SANITY_ELEM_REF[kind]!;
      const vlen = info & vlenMask;
      for (let j = 0, p = o + 3; j < vlen; j++, p += stride) {
        if (nameAt >= 0 && words[p + nameAt]! >= strLimit) return found(i, SANITY_ELEM_BAD[kind]!, words[p + nameAt]!);
        if (refAt >= 0 && words[p + refAt]! >= cnt) return found(i, Bad.RefId, words[p + refAt]!);
      }
    }
    if (kind === Kind.FUNC) {
      const t = words[o + 2]!;
      const tk = t >= startId ? (words[offs[t - startId]! + 1]! >>> 24) & kindMask : btf.kind(t);
      if (tk !== Kind.FUNC_PROTO) return found(i, Bad.NotProto, t);
    }
  }
  return -1;
}

/** sanityScan's per-kind checks: word offsets of referenced type ids in the record (0: none). */
const SANITY_REF1 = new Uint8Array(MAX_KNOWN_KIND + 1);
const SANITY_REF2 = new Uint8Array(MAX_KNOWN_KIND + 1);
/** Per element: words (kinds.ts; 0: elements not checked), word of a name (-1: none), word of a type id (-1: none), what a bad name is. */
const SANITY_STRIDE = new Uint8Array(MAX_KNOWN_KIND + 1);
const SANITY_ELEM_NAME = new Int8Array(MAX_KNOWN_KIND + 1).fill(-1);
const SANITY_ELEM_REF = new Int8Array(MAX_KNOWN_KIND + 1).fill(-1);
const SANITY_ELEM_BAD = new Uint8Array(MAX_KNOWN_KIND + 1);
for (const k of [Kind.PTR, Kind.CONST, Kind.VOLATILE, Kind.RESTRICT, Kind.TYPEDEF, Kind.TYPE_TAG, Kind.VAR, Kind.DECL_TAG, Kind.FUNC]) SANITY_REF1[k] = 2;
SANITY_REF1[Kind.ARRAY] = 3;
SANITY_REF2[Kind.ARRAY] = 4;
function sanityElems(kind: number, nameAt: number, refAt: number, bad: Bad): void {
  SANITY_STRIDE[kind] = elemWords(kind);
  SANITY_ELEM_NAME[kind] = nameAt;
  SANITY_ELEM_REF[kind] = refAt;
  SANITY_ELEM_BAD[kind] = bad;
}
sanityElems(Kind.STRUCT, 0, 1, Bad.FieldName);
sanityElems(Kind.UNION, 0, 1, Bad.FieldName);
sanityElems(Kind.ENUM, 0, -1, Bad.EnumName);
sanityElems(Kind.ENUM64, 0, -1, Bad.EnumName);
sanityElems(Kind.FUNC_PROTO, 0, 1, Bad.ParamName);
sanityElems(Kind.DATASEC, -1, 0, Bad.RefId);
