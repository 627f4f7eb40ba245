/**
 * `btfkit info`: a summary of one BTF object.
 *
 * Approach: header fields as parsed (or, for an object built or changed in code, the header
 * the canonical serializer would write), byte order, per-kind type counts from one pass over
 * the record infos, string table size and string count, and the split geometry
 * (start_id = btf__type_cnt(base), start string offset = the base chain's string bytes).
 * The counts follow libbpf's conventions: `types` excludes VOID, `typeCnt` is btf__type_cnt.
 * The result is plain JSON-serializable data; formatInfo renders it as aligned text.
 */

import { kindName, MAX_KNOWN_KIND } from '../format/kinds.js';
import { BTF_MAGIC } from '../format/parse.js';
import type { Btf, BtfHeader, Endian } from '../model/btf.js';

/** Header fields as the model records them (docs/design.md §format-header; layout fields are 0 before 2026). */
export type BtfInfoHeader = BtfHeader;

export interface BtfInfo {
  byteOrder: Endian;
  header: BtfInfoHeader;
  /** true: header as found in the input; false: what the serializer would write. */
  headerFromInput: boolean;
  /** Size of the raw BTF (header + sections). */
  rawSize: number;
  /** Number of own types, VOID excluded (libbpf btf__type_cnt - start_id). */
  types: number;
  /** libbpf btf__type_cnt: first unused id (VOID and base types included). */
  typeCnt: number;
  /** First own type id (1 for base BTF). */
  startId: number;
  /** Own type count per kind name, in kind order; kinds with no types are left out. */
  kinds: Record<string, number>;
  /** Own string table size in bytes. */
  strLen: number;
  /** Number of NUL-terminated strings in the own string table (the leading "" included). */
  strCount: number;
  /** Is this split BTF (has a base)? */
  split: boolean;
  /** First own logical string offset (0 for base BTF). */
  startStrOff: number;
  /** Types of the base chain, VOID excluded (0 for base BTF). */
  baseTypes: number;
  /** Number of base objects below this one (0 for base BTF, 2 for split-on-split). */
  baseDepth: number;
}

export function btfInfo(btf: Btf): BtfInfo {
  const parsed = btf.header !== null && btf.rawIfUnmodified() !== null;
  const typeLen = btf.nWords * 4;
  const layoutLen = btf.layout ? btf.layout.length : 0;
  const header: BtfInfoHeader = parsed
    ? { ...btf.header! }
    : {
        magic: BTF_MAGIC,
        version: 1,
        flags: 0,
        hdrLen: btf.layout ? 32 : 24,
        typeOff: 0,
        typeLen,
        strOff: typeLen,
        strLen: btf.strLen,
        layoutOff: btf.layout ? typeLen + btf.strLen : 0,
        layoutLen,
      };
  const rawSize = parsed
    ? btf.rawIfUnmodified()!.length
    : header.hdrLen + typeLen + btf.strLen + layoutLen;

  const counts = new Map<number, number>();
  const W = btf.raw().words;
  const offs = btf.raw().offs;
  const km = btf.kindMask;
  for (let i = 0; i < btf.nTypes; i++) {
    const k = (W[offs[i]! + 1]! >>> 24) & km;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  const kinds: Record<string, number> = {};
  for (const k of [...counts.keys()].sort((a, b) => a - b)) {
    kinds[k <= MAX_KNOWN_KIND && k > 0 ? kindName(k) : `UNKNOWN(${k})`] = counts.get(k)!;
  }

  let strCount = 0;
  const s = btf.raw().strs;
  for (let i = 0; i < btf.strLen; i++) if (s[i] === 0) strCount++;
  if (btf.strLen > 0 && s[btf.strLen - 1] !== 0) strCount++;

  let baseDepth = 0;
  for (let b = btf.base; b; b = b.base) baseDepth++;

  return {
    byteOrder: btf.endian,
    header,
    headerFromInput: parsed,
    rawSize,
    types: btf.nTypes,
    typeCnt: btf.typeCount(),
    startId: btf.startId,
    kinds,
    strLen: btf.strLen,
    strCount,
    split: btf.base !== null,
    startStrOff: btf.startStrOff,
    baseTypes: btf.base ? btf.startId - 1 : 0,
    baseDepth,
  };
}

function hex(n: number): string {
  return '0x' + n.toString(16);
}

/** Readable, aligned text of a BtfInfo (one "label: value" per line, then the kind table). */
export function formatInfo(info: BtfInfo): string {
  const h = info.header;
  const rows: [string, string][] = [
    ['byte order', `${info.byteOrder}-endian`],
    ['header', `magic ${hex(h.magic)}, version ${h.version}, flags ${hex(h.flags)}, hdr_len ${h.hdrLen}${info.headerFromInput ? '' : ' (as it would be written)'}`],
    ['type section', `offset ${h.typeOff}, ${h.typeLen} bytes`],
    ['string section', `offset ${h.strOff}, ${h.strLen} bytes, ${info.strCount} strings`],
  ];
  if (h.layoutLen) rows.push(['layout section', `offset ${h.layoutOff}, ${h.layoutLen} bytes`]);
  rows.push(['raw size', `${info.rawSize} bytes`]);
  const last = info.startId + info.types - 1;
  rows.push(['types', info.types ? `${info.types} (ids ${info.startId}..${last})` : '0']);
  if (info.split) {
    rows.push(['split', `yes: start id ${info.startId}, start string offset ${info.startStrOff}`]);
    rows.push(['base types', `${info.baseTypes}${info.baseDepth > 1 ? ` (${info.baseDepth} levels of base)` : ''}`]);
  } else rows.push(['split', 'no']);
  const lw = Math.max(...rows.map(([l]) => l.length)) + 2;
  let out = '';
  for (const [l, v] of rows) out += (l + ':').padEnd(lw) + v + '\n';
  const names = Object.keys(info.kinds);
  if (names.length) {
    out += 'kinds:\n';
    const nw = Math.max(...names.map((n) => n.length));
    const cw = Math.max(...names.map((n) => String(info.kinds[n]).length));
    for (const n of names) out += '  ' + n.padEnd(nw) + '  ' + String(info.kinds[n]).padStart(cw) + '\n';
  }
  return out;
}
