/**
 * Dedup stages 6 and 7: compaction and id remapping.
 *
 * Approach: the own types that are canonical for themselves are numbered, in id order, from
 * the object's first own id (base ids keep theirs) and copied into a fresh record array, runs
 * of consecutive kept records in one block copy. Every type-id field of the kept records (VAR
 * and DATASEC included) is then replaced by the new id of the canonical type it resolves to
 * (the canonical map, then the new numbering of own ids; base ids keep theirs). The
 * same numbering gives the old-id -> new-id map that libbpf keeps to itself; it is built only
 * when read (the commands never read it).
 *
 * Reference behaviour: libbpf v1.7.0 btf_dedup_compact_types, btf_dedup_remap_types.
 */

import { ID_FIXED, ID_WORD1, ID_WORD2, ELEM_ID, ELEM_START, ELEM_WORDS, INFO_WORDS } from '../../format/kinds.js';
import { type DedupState, MAX_NR_TYPES, dedupError } from './state.js';

export interface CompactTypes {
  words: Uint32Array;
  nWords: number;
  offs: Uint32Array;
  nTypes: number;
  /** Old id -> new id, for every id below the input's type count (built on the first call). */
  idMap: () => Uint32Array;
}

const DROPPED = 0xffffffff;

export function compactAndRemap(d: DedupState): CompactTypes {
  const { w, off, map, kinds } = d;
  const start = d.startId;
  const typeCount = d.typeCount;
  // the hypothetical map is done with: its memory holds the new numbering of own ids (as libbpf
  // does); an own id that is not kept gets DROPPED
  const renum = new Uint32Array(d.hypot.buffer, d.hypot.byteOffset, typeCount);
  let nWords = 0;
  let nTypes = 0;
  for (let id = start; id < typeCount; id++) {
    if (map[id] !== id) {
      renum[id] = DROPPED;
      continue;
    }
    const k = kinds[id]!;
    nWords += 3 + INFO_WORDS[k]! + ELEM_WORDS[k]! * (w[off[id]! + 1]! & 0xffff);
    renum[id] = start + nTypes++;
  }
  const words = new Uint32Array(Math.max(nWords, 1));
  const offs = new Uint32Array(Math.max(nTypes, 1));
  copyKept(d, words, offs);
  const resolve = finalId(map, renum, start, typeCount);
  for (let i = 0; i < nTypes; i++) {
    const o = offs[i]!;
    const info = words[o + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const nf = ID_FIXED[kind]!;
    if (nf > 0) remapField(words, o + ID_WORD1[kind]!, resolve);
    if (nf > 1) remapField(words, o + ID_WORD2[kind]!, resolve);
    const ei = ELEM_ID[kind]!;
    if (ei < 0) continue;
    const ew = ELEM_WORDS[kind]!;
    const n = info & 0xffff;
    for (let j = 0, p = o + ELEM_START[kind]! + ei; j < n; j++, p += ew) remapField(words, p, resolve);
  }
  let idMap: Uint32Array | null = null;
  return {
    words, nWords, offs, nTypes,
    idMap: () => (idMap ??= buildIdMap(typeCount, resolve)),
  };
}

/** Copies the kept records (map[id] === id) in id order into `words`, their offsets into `offs`. */
function copyKept(d: DedupState, words: Uint32Array, offs: Uint32Array): void {
  const { w, off, map, kinds } = d;
  const typeCount = d.typeCount;
  let pos = 0;
  let n = 0;
  let id = d.startId;
  while (id < typeCount) {
    if (map[id] !== id) {
      id++;
      continue;
    }
    // a run of kept ids whose records lie back to back
    const from = off[id]!;
    let to = from;
    for (; id < typeCount && map[id] === id && off[id] === to; id++) {
      offs[n++] = pos + (to - from);
      const k = kinds[id]!;
      to += 3 + INFO_WORDS[k]! + ELEM_WORDS[k]! * (w[to + 1]! & 0xffff);
    }
    if (to - from > 32) words.set(w.subarray(from, to), pos);
    else for (let j = from; j < to; j++) words[pos + j - from] = w[j]!;
    pos += to - from;
  }
}

function remapField(words: Uint32Array, p: number, resolve: (x: number) => number): void {
  const nid = resolve(words[p]!);
  if (nid > MAX_NR_TYPES) throw dedupError(`type id ${words[p]} has no canonical type`);
  words[p] = nid;
}

/**
 * An id's number in the output: the canonical map followed to its end, then an own id's new
 * number (`renum`); a base id resolves to itself, except a base forward that the object's full
 * type took over.
 */
export function finalId(map: Int32Array, renum: Uint32Array, start: number, typeCount: number): (x: number) => number {
  return (x: number): number => {
    let r = x;
    let guard = typeCount;
    for (let m = map[r]!; m >= 0 && m !== r; m = map[r]!) {
      r = m;
      if (--guard < 0) throw dedupError('cycle in the canonical map', undefined, x);
    }
    return r < start ? r : renum[r]!;
  };
}

/** Old id -> new id for every id below `typeCount`. */
export function buildIdMap(typeCount: number, resolve: (x: number) => number): Uint32Array {
  const idMap = new Uint32Array(typeCount);
  for (let id = 1; id < typeCount; id++) idMap[id] = resolve(id);
  return idMap;
}
