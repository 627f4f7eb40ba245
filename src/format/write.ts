/**
 * Model → raw BTF bytes (libbpf btf__raw_data / btf_get_raw_data).
 *
 * Approach: an object that was parsed and never modified returns its input bytes when the
 * requested byte order is the input's, as libbpf does. Anything else is laid out canonically
 * (docs/design.md §format-header, §format-serialize): a 24-byte header with type_off = 0 and str_off = type_len, the type
 * words in the requested byte order, then the string bytes. A model that carries a 2026
 * layout section is written with the 32-byte header and the layout after the strings.
 * Only the object's own types and strings are written; a split object never includes its base.
 */

import { Btf, HOST_ENDIAN, type Endian } from '../model/btf.js';
import { BTF_MAGIC, CLASSIC_HDR_LEN, LAYOUT_HDR_LEN } from './parse.js';

export function serializeBtf(btf: Btf, endian: Endian = btf.endian): Uint8Array {
  const raw = btf.rawIfUnmodified();
  if (raw && endian === btf.endian) return raw;

  const layout = btf.layout;
  const r = btf.raw();
  const hdrLen = layout ? LAYOUT_HDR_LEN : CLASSIC_HDR_LEN;
  const typeLen = r.nWords * 4;
  const strLen = r.strLen;
  const layoutLen = layout ? layout.length : 0;
  const out = new Uint8Array(hdrLen + typeLen + strLen + layoutLen);
  const dv = new DataView(out.buffer);
  const le = endian === 'little';
  dv.setUint16(0, BTF_MAGIC, le);
  out[2] = 1;
  out[3] = 0;
  dv.setUint32(4, hdrLen, le);
  dv.setUint32(8, 0, le);
  dv.setUint32(12, typeLen, le);
  dv.setUint32(16, typeLen, le);
  dv.setUint32(20, strLen, le);
  if (layout) {
    dv.setUint32(24, typeLen + strLen, le);
    dv.setUint32(28, layoutLen, le);
  }
  const words = r.words.subarray(0, r.nWords);
  if (endian === HOST_ENDIAN) {
    out.set(new Uint8Array(words.buffer, words.byteOffset, typeLen), hdrLen);
  } else {
    for (let i = 0, p = hdrLen; i < words.length; i++, p += 4) dv.setUint32(p, words[i]!, le);
  }
  out.set(r.strs.subarray(0, strLen), hdrLen + typeLen);
  if (layout) out.set(layout, hdrLen + typeLen + strLen);
  return out;
}
