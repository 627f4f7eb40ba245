/**
 * Dedup stages 6 and 7: compaction and id remapping.
 *
 * Approach: the own types that are canonical for themselves are copied, in id order, into a
 * fresh record array and numbered from the object's first own id; base ids keep theirs. Every
 * type-id field of the kept records (VAR and DATASEC included) is then replaced by the new id
 * of the canonical type it resolves to. The same numbering gives the old-id -> new-id map that
 * libbpf keeps to itself.
 *
 * Reference behaviour: libbpf v1.7.0 btf_dedup_compact_types, btf_dedup_remap_types.
 */

import { recordWords, ID_FIXED, ID_WORD1, ID_WORD2, ELEM_ID, ELEM_START, ELEM_WORDS } from '../../format/kinds.js';
import { type DedupState, MAX_NR_TYPES, dedupError, kindOf, vlenOf, resolveId } from './state.js';

export interface CompactTypes {
  words: Uint32Array;
  nWords: number;
  offs: Uint32Array;
  nTypes: number;
  /** Old id -> new id, for every id below the input's type count. */
  idMap: Uint32Array;
}

export function compactAndRemap(d: DedupState): CompactTypes {
  const w = d.w;
  // the hypothetical map is done with: its memory holds the new numbering (as libbpf does)
  const renum = new Uint32Array(d.hypot.buffer, d.hypot.byteOffset, d.typeCount);
  renum[0] = 0;
  for (let id = 1; id < d.startId; id++) renum[id] = id;
  let nWords = 0;
  let nTypes = 0;
  for (let id = d.startId; id < d.typeCount; id++) {
    if (d.map[id] !== id) {
      renum[id] = 0xffffffff;
      continue;
    }
    const o = d.off[id]!;
    nWords += recordWords(kindOf(w, o), vlenOf(w, o));
    renum[id] = d.startId + nTypes++;
  }
  const words = new Uint32Array(Math.max(nWords, 1));
  const offs = new Uint32Array(Math.max(nTypes, 1));
  let pos = 0;
  let n = 0;
  for (let id = d.startId; id < d.typeCount; id++) {
    if (d.map[id] !== id) continue;
    const o = d.off[id]!;
    const len = recordWords(kindOf(w, o), vlenOf(w, o));
    for (let j = 0; j < len; j++) words[pos + j] = w[o + j]!;
    offs[n++] = pos;
    pos += len;
  }
  // every id's final new id first (0xffffffff: its canonical type is not kept), then the fields
  const idMap = new Uint32Array(d.typeCount);
  for (let id = 1; id < d.typeCount; id++) idMap[id] = renum[resolveId(d, id)]!;
  for (let i = 0; i < nTypes; i++) {
    const o = offs[i]!;
    const info = words[o + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const nf = ID_FIXED[kind]!;
    if (nf > 0) remapField(words, o + ID_WORD1[kind]!, idMap);
    if (nf > 1) remapField(words, o + ID_WORD2[kind]!, idMap);
    const ei = ELEM_ID[kind]!;
    if (ei < 0) continue;
    const ew = ELEM_WORDS[kind]!;
    const n = info & 0xffff;
    for (let j = 0, p = o + ELEM_START[kind]! + ei; j < n; j++, p += ew) remapField(words, p, idMap);
  }
  return { words, nWords, offs, nTypes, idMap };
}

function remapField(words: Uint32Array, p: number, idMap: Uint32Array): void {
  const nid = idMap[words[p]!]!;
  if (nid > MAX_NR_TYPES) throw dedupError(`type id ${words[p]} has no canonical type`);
  words[p] = nid;
}
