/**
 * A kernel's parsed BTF in shared memory: parsed and validated once per run, then rebuilt in
 * every thread as a Btf over the same bytes, without a copy and without parsing again.
 *
 * Approach: the raw `.BTF` sits in a SharedArrayBuffer (KernelData.bytes). parseBtf validates
 * it once (libbpf's checks) and indexes the record offsets; what a Btf needs beyond the raw
 * bytes is then put in shared memory too: the record offsets (one u32 per type, in a
 * SharedArrayBuffer of exactly that size), the type words — a view onto the raw bytes when
 * they are in host byte order and 4-aligned (always for a kernel built for this machine's byte
 * order), else one host-order copy in a SharedArrayBuffer — and the strings, a view onto the
 * raw bytes. Structured cloning (workerData, postMessage) passes such views as views: every
 * thread then holds a few small objects per kernel, not ~15 MB of copies.
 * A thread rebuilds the Btf with Btf.fromParts (the model's public entry point for whole
 * sections; parse.ts itself ends with it) and marks it parsed from the raw bytes, as parseBtf
 * does. The kernels of a check are only read: nothing writes through these arrays (a Btf that
 * is modified grows into arrays of its own; setWord is for tests and fixtures).
 */

import { Btf, HOST_ENDIAN, WIDE_KIND_MASK, type BtfHeader, type BtfParts, type Endian } from '../model/btf.js';
import { parseBtf } from '../format/parse.js';

/** The parsed form of a base BTF, every large array in shared memory (see the file comment). */
export interface SharedBtf extends BtfParts {
  endian: Endian;
  header: BtfHeader | null;
  layout: Uint8Array | null;
  wide: boolean;
}

function isShared(a: ArrayBufferView): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && a.buffer instanceof SharedArrayBuffer;
}

/** A copy of `a[0, n)` in a SharedArrayBuffer of exactly that size. */
function sharedU32(a: Uint32Array, n: number): Uint32Array {
  const out = new Uint32Array(new SharedArrayBuffer(n * 4));
  out.set(a.subarray(0, n));
  return out;
}

/**
 * Parses (and validates) the base BTF in `bytes`, which must be backed by a SharedArrayBuffer,
 * into its shared form. Throws parseBtf's BtfkitError on bad BTF.
 */
export function shareBtf(bytes: Uint8Array): SharedBtf {
  if (!isShared(bytes)) throw new TypeError('shareBtf: the bytes must be in a SharedArrayBuffer');
  const btf = parseBtf(bytes);
  const r = btf.raw();
  const hdr = btf.header!;
  const typeStart = bytes.byteOffset + hdr.hdrLen + hdr.typeOff;
  const strStart = hdr.hdrLen + hdr.strOff;
  const words = btf.endian === HOST_ENDIAN && typeStart % 4 === 0
    ? new Uint32Array(bytes.buffer, typeStart, r.nWords)
    : sharedU32(r.words, r.nWords);
  return {
    endian: btf.endian,
    header: hdr,
    layout: btf.layout,
    wide: r.kindMask === WIDE_KIND_MASK,
    words,
    nWords: r.nWords,
    offs: sharedU32(r.offs, r.nTypes),
    nTypes: r.nTypes,
    strs: bytes.subarray(strStart, strStart + r.strLen),
    strLen: r.strLen,
  };
}

/** The Btf of a SharedBtf, over the shared arrays (no copy, no second parse). */
export function btfFromShared(s: SharedBtf, raw: Uint8Array, ptrSize: number): Btf {
  const btf = Btf.fromParts(null, s.endian, { words: s.words, nWords: s.nWords, offs: s.offs, nTypes: s.nTypes, strs: s.strs, strLen: s.strLen, shared: true }, { header: s.header, layout: s.layout, wide: s.wide, ptrSize });
  btf.setRaw(raw);
  return btf;
}

/** Bytes of a Btf's own type, offset and string arrays that are not in shared memory. */
export function unsharedBytes(btf: Btf): number {
  const r = btf.raw();
  let n = 0;
  for (const a of [r.words, r.offs, r.strs]) if (!isShared(a)) n += a.byteLength;
  return n;
}
