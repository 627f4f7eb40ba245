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

import { recordWords } from '../../format/kinds.js';
import { type DedupState, MAX_NR_TYPES, dedupError, kindOf, vlenOf, forEachIdPos, resolveId } from './state.js';

export interface CompactTypes {
  words: Uint32Array;
  nWords: number;
  offs: Uint32Array;
  nTypes: number;
  /**
   * Old id -> new id, for every id below the input's type count: built on the first call
   * (a module's dedup on a kernel would otherwise pass over all 100k base ids for a map that
   * the encoder never reads).
   */
  idMap: () => Uint32Array;
}

export function compactAndRemap(d: DedupState): CompactTypes {
  const w = d.w;
  const start = d.startId;
  // new ids of the own types (index: id - startId); base ids keep theirs
  const renum = new Uint32Array(Math.max(d.typeCount - start, 1));
  const newId = (id: number): number => (id < start ? id : renum[id - start]!);
  let nWords = 0;
  let nTypes = 0;
  for (let id = start; id < d.typeCount; id++) {
    if (d.map[id] !== id) {
      renum[id - start] = 0xffffffff;
      continue;
    }
    const o = d.off[id]!;
    nWords += recordWords(kindOf(w, o), vlenOf(w, o));
    renum[id - start] = start + nTypes++;
  }
  const words = new Uint32Array(Math.max(nWords, 1));
  const offs = new Uint32Array(Math.max(nTypes, 1));
  let pos = 0;
  let n = 0;
  for (let id = d.startId; id < d.typeCount; id++) {
    if (d.map[id] !== id) continue;
    const o = d.off[id]!;
    const len = recordWords(kindOf(w, o), vlenOf(w, o));
    words.set(w.subarray(o, o + len), pos);
    offs[n++] = pos;
    pos += len;
  }
  const remap = (p: number): void => {
    const nid = newId(resolveId(d, words[p]!));
    if (nid > MAX_NR_TYPES) throw dedupError(`type id ${words[p]} has no canonical type`);
    words[p] = nid;
  };
  for (let i = 0; i < nTypes; i++) forEachIdPos(words, offs[i]!, remap);
  let idMap: Uint32Array | null = null;
  const getIdMap = (): Uint32Array => {
    if (!idMap) {
      idMap = new Uint32Array(d.typeCount);
      for (let id = 1; id < d.typeCount; id++) idMap[id] = newId(resolveId(d, id));
    }
    return idMap;
  };
  return { words, nWords, offs, nTypes, idMap: getIdMap };
}
