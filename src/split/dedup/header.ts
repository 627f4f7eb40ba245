/**
 * The header libbpf writes for a deduplicated BTF that came from parsed bytes.
 *
 * Approach: `serializeBtf` writes a fresh classic header (24 bytes, version 1, flags 0, types
 * at offset 0). libbpf instead keeps the header it parsed: btf__dedup() makes the object
 * modifiable by copying the input's header (all hdr_len bytes, so version, flags, hdr_len,
 * type_off and any bytes past the 24 it knows are kept as they were), compaction then sets
 * only type_len, str_off (= type_len) and str_len, and btf__raw_data() writes that header
 * followed directly by the types and strings (even when the kept type_off is not 0).
 * `withParsedHeader` rebuilds a serialized result that way from the input's own header bytes.
 * Objects built from scratch (merge's empty destination) have the fresh header already.
 *
 * Reference behaviour: libbpf v1.7.0 btf_ensure_modifiable (header copy),
 * btf_dedup_compact_types (type_len, str_off), btf_get_raw_data (header, then data).
 */

import { btfMagicEndian } from '../../format/parse.js';

const CLASSIC_HDR_LEN = 24;

/** The header bytes (hdr_len of them) at the start of raw BTF `bytes`, or null. */
export function parsedHeaderBytes(bytes: Uint8Array | null): Uint8Array | null {
  if (!bytes || bytes.length < CLASSIC_HDR_LEN) return null;
  const endian = btfMagicEndian(bytes);
  if (!endian) return null;
  const hdrLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, endian === 'little');
  if (hdrLen < CLASSIC_HDR_LEN || hdrLen > bytes.length) return null;
  return bytes.subarray(0, hdrLen);
}

/**
 * `out` (serialized with a classic 24-byte header, no layout section) re-headed with the
 * input's parsed header `hdr`, as libbpf writes it; `out` itself when the two agree.
 */
export function withParsedHeader(out: Uint8Array, hdr: Uint8Array | null): Uint8Array {
  if (!hdr || hdr.length < CLASSIC_HDR_LEN || out.length < CLASSIC_HDR_LEN) return out;
  const endian = btfMagicEndian(hdr);
  if (!endian || endian !== btfMagicEndian(out)) return out;
  const le = endian === 'little';
  const od = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (od.getUint32(4, le) !== CLASSIC_HDR_LEN) return out;
  const typeLen = od.getUint32(12, le);
  const strLen = od.getUint32(20, le);
  const res = new Uint8Array(hdr.length + out.length - CLASSIC_HDR_LEN);
  res.set(hdr, 0);
  const rd = new DataView(res.buffer);
  rd.setUint32(12, typeLen, le);
  rd.setUint32(16, typeLen, le);
  rd.setUint32(20, strLen, le);
  res.set(out.subarray(CLASSIC_HDR_LEN), hdr.length);
  return res;
}
