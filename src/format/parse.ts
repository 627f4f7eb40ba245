/**
 * Raw BTF bytes → model (libbpf btf_new / btf__new_split).
 *
 * Approach: validate the header, read the type and string sections where they are when the
 * input is host-order and 4-byte aligned (else copy the type section once into a host-order
 * Uint32Array, byte-swapping every word for opposite-endian input), walk it once to index
 * record offsets while pre-checking libbpf's sanity rules (in WebAssembly for a BTF without a
 * base: src/accel/walk.h), and run the full sanity check over the
 * object's own types only when that walk found a doubtful record (it then names the first
 * bad one, as libbpf's check order does). Checks, their order
 * and their error codes follow libbpf v1.7.0 (docs/design.md §format-endian, §format-load-checks): what libbpf accepts is
 * accepted, what it rejects is rejected with the same errno, and the error names the type id
 * and byte offset. The 2026 format (header ≥ 32 bytes with layout_off/layout_len, 24-bit
 * vlen, 7-bit kind, layout section sizing unknown kinds) is read too.
 */

import { BtfkitError, Errno } from '../errors.js';
import { Btf, HOST_ENDIAN, WIDE_HDR_LEN, WIDE_KIND_MASK, WIDE_VLEN_MASK, CLASSIC_KIND_MASK, CLASSIC_VLEN_MASK, type BtfHeader, type Endian } from '../model/btf.js';
import { growU32 } from '../model/grow.js';
import { RECORD_WALK_TABLES, walkRecords, type RecordWalk } from '../accel/dedup.js';
import { KindId as Kind, MAX_KNOWN_KIND, recordWords, kindName, KINDS, INFO_WORDS, ELEM_WORDS, ELEM_START, ELEM_ID, ELEM_STR, ID_WORD1, ID_WORD2, SANITY_IDS } from './kinds.js';

/** The BTF magic (BTF_MAGIC), read in the data's byte order. */
export const BTF_MAGIC = 0xeb9f;

/** Byte-swaps words[0, n) in place (opposite-endian input). */
export function swapWords(words: Uint32Array, n: number = words.length): void {
  for (let i = 0; i < n; i++) {
    const v = words[i]!;
    words[i] = ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
  }
}
const BTF_MAX_STR_OFFSET = 0x7fffffff;
const BTF_MAX_NR_TYPES = 0x7fffffff;
export const CLASSIC_HDR_LEN = 24;
export const LAYOUT_HDR_LEN = WIDE_HDR_LEN;

export interface ParseOptions {
  /** Base BTF when parsing split BTF. */
  base?: Btf | null;
  /** Name of the section or file, for error messages. */
  section?: string;
  /** Whether the record walk may run in WebAssembly (default true; false: JavaScript only, for the twin tests). */
  wasm?: boolean;
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

  const kindMask = wide ? WIDE_KIND_MASK : CLASSIC_KIND_MASK;
  const vlenMask = wide ? WIDE_VLEN_MASK : CLASSIC_VLEN_MASK;
  const startId = base ? base.typeCount() : 1;

  // ---- strings (libbpf btf_parse_str_sec)
  const strStart = hdr.hdrLen + hdr.strOff;
  if (!(base && hdr.strLen === 0)) {
    if (hdr.strLen === 0 || hdr.strLen - 1 > BTF_MAX_STR_OFFSET || bytes[strStart + hdr.strLen - 1] !== 0)
      fail('BTF_STRINGS', 'Invalid BTF string section', Errno.EINVAL, { offset: strStart, section });
    if (!base && bytes[strStart] !== 0)
      fail('BTF_STRINGS', 'Malformed BTF string section, did you forget to provide base BTF?', Errno.EINVAL, { offset: strStart, section });
  }
  // host-order input with its records on a 4-byte boundary (a kernel's .BTF, /sys/kernel/btf):
  // the model reads the sections where they are (BtfParts.shared); else they are copied
  const typeStart = hdr.hdrLen + hdr.typeOff;
  const nw = hdr.typeLen >>> 2;
  const shared = !swapped && (bytes.byteOffset + typeStart) % 4 === 0;
  const strs = shared ? bytes.subarray(strStart, strStart + hdr.strLen) : bytes.slice(strStart, strStart + hdr.strLen);

  // ---- types (libbpf btf_parse_type_sec)
  let words: Uint32Array;
  if (shared) {
    words = new Uint32Array(bytes.buffer, bytes.byteOffset + typeStart, nw);
  } else {
    words = new Uint32Array(nw);
    new Uint8Array(words.buffer).set(bytes.subarray(typeStart, typeStart + nw * 4));
    if (swapped) swapWords(words, nw);
  }
  const strLimit = (base ? base.startStrOff + base.strLen : 0) + hdr.strLen;
  // the walk in WebAssembly (dedup.c, walk.h) where it can run, for a BTF that has no base (a
  // kernel's 110k types, walked once per command before V8 has optimized the JavaScript; its
  // copy of the records stays for the dedup); the same walk in JavaScript otherwise
  // (parse.test.ts runs both)
  const idx =
    (base === null && layout === null && opts.wasm !== false ? walkRecords(words, hdr.typeLen, strLimit, kindMask, vlenMask, MAX_KNOWN_KIND, WALK_TABLES) : null) ??
    indexRecords(words, hdr.typeLen, kindMask, vlenMask, layout, endian, { strLimit, startId, base });
  const n = idx.n;
  const w = idx.w;
  if (idx.err !== 0) {
    const at = { typeId: startId + n, offset: typeStart + w * 4, section };
    const kind = (words[w + 1]! >>> 24) & kindMask;
    if (idx.err === IDX_UNKNOWN_KIND) fail('BTF_TYPES', `Unsupported BTF_KIND:${kind}`, Errno.EINVAL, at);
    if (idx.err === IDX_PAST_END)
      fail('BTF_TYPES', `BTF type [${startId + n}] is malformed: ${kindName(kind)} record of ${idx.rw * 4} bytes at offset ${typeStart + w * 4} runs past the end of the type section`, Errno.EINVAL, at);
    fail('BTF_TYPES', 'too many BTF types', Errno.E2BIG, { section });
  }
  if (w * 4 !== hdr.typeLen)
    fail('BTF_TYPES', `BTF types data is malformed: ${hdr.typeLen - w * 4} trailing bytes after the last type`, Errno.EINVAL, { typeId: startId + n, offset: typeStart + w * 4, section });
  const btf = Btf.fromParts(base, endian, { words, nWords: nw, offs: idx.offs, nTypes: n, strs, strLen: hdr.strLen, shared }, { header: hdr, layout, wide });

  // the index pass found every record sound (the common case), or the full check names the first bad one
  if (idx.suspect || idx.maxRef >= btf.typeCount()) sanityCheck(btf, typeStart, section);
  btf.setRaw(bytes);
  return btf;
}

const IDX_UNKNOWN_KIND = 1;
const IDX_PAST_END = 2;
const IDX_TOO_MANY = 3;

/** Where indexRecords stopped (the record walk's result, in either language: dedup.ts RecordWalk). */
export type RecordIndex = RecordWalk;

/** What indexRecords needs for the sanity pre-check: string limit, first own id, base. */
export interface SanityLimits {
  strLimit: number;
  startId: number;
  base: Btf | null;
}

/**
 * Walks the type section once, recording the word offset of each record, and pre-checks
 * libbpf's sanity rules on the way (sanityScan's checks, without naming anything): string
 * offsets below the limit, the largest referenced id (compared with the type count at the
 * end), FUNC → an earlier FUNC_PROTO. Anything doubtful (a bad value, a FUNC whose prototype
 * comes later) marks the result suspect, and the full check runs as a second pass. Kept free
 * of message formatting so that V8 optimizes it quickly: on a 100k-type vmlinux this loop
 * runs once per process, mostly before the JIT has warmed up, and one pass instead of two
 * halves that cost.
 */
export function indexRecords(words: Uint32Array, typeLen: number, kindMask: number, vlenMask: number, layout: Uint8Array | null, endian: Endian, lim: SanityLimits): RecordIndex {
  let offs = new Uint32Array(Math.max(16, Math.min(words.length >>> 2, 1 << 22)));
  let n = 0;
  let w = 0;
  const typeLenWords = typeLen / 4; // may be fractional: trailing bytes < 4
  const lastStart = typeLen - 12;
  const strLimit = lim.strLimit;
  const startId = lim.startId;
  const base = lim.base;
  let suspect = false;
  let maxRef = 0;
  while (w * 4 <= lastStart) {
    const info = words[w + 1]!;
    const kind = (info >>> 24) & kindMask;
    let rw = recordWords(kind, info & vlenMask);
    if (rw < 0) {
      rw = layoutRecordWords(layout, kind, info & vlenMask, endian);
      if (rw < 0) return { offs, n, w, err: IDX_UNKNOWN_KIND, rw, suspect, maxRef };
    }
    if (w + rw > typeLenWords) return { offs, n, w, err: IDX_PAST_END, rw, suspect, maxRef };
    if (n >= BTF_MAX_NR_TYPES) return { offs, n, w, err: IDX_TOO_MANY, rw, suspect, maxRef };
    if (n === offs.length) offs = growU32(offs, n + 1);
    offs[n++] = w;
    // sanityScan's checks, inline (kinds past MAX_KNOWN_KIND: its own rules, in sanityScan)
    if (words[w]! >= strLimit || kind > MAX_KNOWN_KIND) suspect = true;
    else {
      const r1 = SANITY_REF1[kind]!;
      if (r1 !== 0 && words[w + r1]! > maxRef) maxRef = words[w + r1]!;
      const r2 = SANITY_REF2[kind]!;
      if (r2 !== 0 && words[w + r2]! > maxRef) maxRef = words[w + r2]!;
      const stride = SANITY_STRIDE[kind]!;
      if (stride !== 0) {
        const nameAt = ELEM_STR[kind]!;
        const refAt = ELEM_ID[kind]!;
        const vlen = info & vlenMask;
        for (let j = 0, p = w + ELEM_START[kind]!; j < vlen; j++, p += stride) {
          if (nameAt >= 0 && words[p + nameAt]! >= strLimit) suspect = true;
          if (refAt >= 0 && words[p + refAt]! > maxRef) maxRef = words[p + refAt]!;
        }
      }
      if (kind === Kind.FUNC) {
        const t = words[w + 2]!;
        if (t < startId) {
          if (base === null || base.kind(t) !== Kind.FUNC_PROTO) suspect = true;
        } else if (t - startId >= n - 1 || ((words[offs[t - startId]! + 1]! >>> 24) & kindMask) !== Kind.FUNC_PROTO) suspect = true;
      }
    }
    w += rw;
  }
  return { offs, n, w, err: 0, rw: 0, suspect, maxRef };
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

/** What sanityScan found wrong. */
const enum Bad {
  TypeName,
  ElemName,
  RefId,
  NotProto,
  Kind,
}

/** The first bad record of sanityScan: its index, what is wrong, the offending value. */
interface SanityFinding {
  index: number;
  what: Bad;
  value: number;
}

/**
 * libbpf btf_sanity_check over the object's own types (docs/design.md §format-load-checks, the sanity pass): string offsets and
 * referenced ids valid, FUNC refers to a FUNC_PROTO. The scan formats nothing; the message
 * is built for the first bad record only.
 */
function sanityCheck(btf: Btf, typeStart: number, section: string | undefined): void {
  const bad = sanityScan(btf);
  if (bad === null) return;
  const id = btf.startId + bad.index;
  const r = btf.raw();
  const where = { typeId: id, offset: typeStart + r.offs[bad.index]! * 4, section };
  const v = bad.value;
  switch (bad.what) {
    case Bad.TypeName:
      fail('BTF_TYPE_REF', `btf: type [${id}]: invalid type name (string offset ${v})`, Errno.EINVAL, where);
      break;
    case Bad.ElemName: {
      const kind = (r.words[r.offs[bad.index]! + 1]! >>> 24) & r.kindMask;
      fail('BTF_TYPE_REF', `btf: type [${id}]: invalid ${KINDS[kind]!.elemStrWhat} (string offset ${v})`, Errno.EINVAL, where);
      break;
    }
    case Bad.RefId:
      fail('BTF_TYPE_REF', `btf: type [${id}]: invalid referenced type ID ${v}`, Errno.EINVAL, where);
      break;
    case Bad.NotProto:
      fail('BTF_TYPE_REF', `btf: type [${id}]: referenced type [${v}] is not FUNC_PROTO`, Errno.EINVAL, where);
      break;
    case Bad.Kind:
      fail('BTF_TYPES', `btf: type [${id}]: unrecognized kind ${v}`, Errno.EINVAL, where);
      break;
    default: {
      const never: never = bad.what;
      throw new Error(`unhandled sanity finding ${String(never)}`);
    }
  }
}

/**
 * The checks of sanityCheck: the first bad record, or null. A string offset is valid when it
 * is below the end of this object's strings: the string sections of a base chain are
 * contiguous from 0 (each split starts where its base ends). One path for every kind, driven
 * by the descriptor tables of kinds.ts, so that V8 has type feedback for all of it after the
 * first few records: no deoptimization when the first ENUM64 or DATASEC comes along, late in
 * a vmlinux.
 */
function sanityScan(btf: Btf): SanityFinding | null {
  const r = btf.raw();
  const words = r.words;
  const offs = r.offs;
  const cnt = btf.typeCount();
  const startId = btf.startId;
  const kindMask = r.kindMask;
  const vlenMask = r.vlenMask;
  const strLimit = btf.startStrOff + r.strLen;
  const unknownOk = btf.layout !== null;
  const nTypes = r.nTypes;
  for (let i = 0; i < nTypes; i++) {
    const o = offs[i]!;
    if (words[o]! >= strLimit) return { index: i, what: Bad.TypeName, value: words[o]! };
    const info = words[o + 1]!;
    const kind = (info >>> 24) & kindMask;
    if (kind > MAX_KNOWN_KIND || kind === 0) {
      // Kinds beyond libbpf's, admitted by a 2026 layout section: nothing to check.
      if (kind > MAX_KNOWN_KIND && unknownOk) continue;
      return { index: i, what: Bad.Kind, value: kind };
    }
    const r1 = SANITY_REF1[kind]!;
    if (r1 !== 0 && words[o + r1]! >= cnt) return { index: i, what: Bad.RefId, value: words[o + r1]! };
    const r2 = SANITY_REF2[kind]!;
    if (r2 !== 0 && words[o + r2]! >= cnt) return { index: i, what: Bad.RefId, value: words[o + r2]! };
    const stride = SANITY_STRIDE[kind]!;
    if (stride !== 0) {
      const nameAt = ELEM_STR[kind]!;
      const refAt = ELEM_ID[kind]!;
      const vlen = info & vlenMask;
      for (let j = 0, p = o + ELEM_START[kind]!; j < vlen; j++, p += stride) {
        if (nameAt >= 0 && words[p + nameAt]! >= strLimit) return { index: i, what: Bad.ElemName, value: words[p + nameAt]! };
        if (refAt >= 0 && words[p + refAt]! >= cnt) return { index: i, what: Bad.RefId, value: words[p + refAt]! };
      }
    }
    if (kind === Kind.FUNC) {
      const t = words[o + 2]!;
      const tk = t >= startId ? (words[offs[t - startId]! + 1]! >>> 24) & kindMask : btf.kind(t);
      if (tk !== Kind.FUNC_PROTO) return { index: i, what: Bad.NotProto, value: t };
    }
  }
  return null;
}

/**
 * sanityScan's per-kind tables, derived from the kind descriptors: the record words of the
 * fixed type ids libbpf validates (0: none), and the element stride of kinds whose elements
 * hold a name or a type id (0: elements not checked).
 */
const SANITY_REF1 = new Uint8Array(MAX_KNOWN_KIND + 1);
const SANITY_REF2 = new Uint8Array(MAX_KNOWN_KIND + 1);
const SANITY_STRIDE = new Uint8Array(MAX_KNOWN_KIND + 1);
for (let k = 1; k <= MAX_KNOWN_KIND; k++) {
  if (SANITY_IDS[k] !== 0) {
    SANITY_REF1[k] = ID_WORD1[k]!;
    SANITY_REF2[k] = ID_WORD2[k]!;
  }
  if (ELEM_STR[k]! >= 0 || ELEM_ID[k]! >= 0) SANITY_STRIDE[k] = ELEM_WORDS[k]!;
}

/** indexRecords' kind tables as walk.h's struct walk_tables reads them (eight tables of 32 bytes, by kind). */
export const WALK_TABLES = new Uint8Array(RECORD_WALK_TABLES);
[INFO_WORDS, ELEM_WORDS, SANITY_REF1, SANITY_REF2, SANITY_STRIDE, ELEM_STR, ELEM_ID, ELEM_START].forEach((tab: ArrayLike<number>, i) => {
  for (let k = 0; k <= MAX_KNOWN_KIND; k++) WALK_TABLES[32 * i + k] = tab[k]! & 0xff;
});
