/**
 * Dedup stage 1: string deduplication.
 *
 * Approach: visit every string field of the own types in libbpf's string-iterator order; the
 * first time a string is met it is appended to a fresh string section (a base BTF's starts
 * with the empty string), later occurrences reuse its offset; a split BTF's string that also
 * exists in the base chain takes the base's offset instead. Unreferenced strings disappear.
 * A per-old-offset cache means each distinct offset is decoded once. Fields with offset 0 or
 * pointing into the base are left alone. The stage is skipped, as libbpf skips it, for objects
 * whose strings libbpf considers already deduplicated (built from scratch: an empty split
 * string section or a base section holding only "\0", and every object built by add_btf).
 *
 * Reference behaviour: libbpf v1.7.0 btf_dedup_strings / strs_dedup_remap_str_off and the
 * strs_deduped flag set by btf_ensure_modifiable.
 */

import { Errno } from '../../errors.js';
import { ELEM_START, ELEM_STR, ELEM_WORDS } from '../../format/kinds.js';
import { ByteStrSet, FNV_BASIS, FNV_PRIME } from '../strset.js';
import { ownSections } from './access.js';
import { type DedupState, dedupError } from './state.js';

export interface StringSection {
  strs: Uint8Array;
  strLen: number;
}

/** Does libbpf treat the object's strings as already deduplicated (str_len 0, or "\0" alone in a base)? */
export function stringsLookDeduped(btf: DedupState['btf']): boolean {
  const n = ownSections(btf).strLen;
  return n === 0 || (btf.base === null && n === 1);
}

/** Rewrites the own string fields in d.w and returns the new own string section. */
export function dedupStrings(d: DedupState): StringSection {
  const btf = d.btf;
  const src = ownSections(btf);
  const base = btf.base;
  const start = btf.startStrOff;
  // a non-split object's set starts with "" at 0 (libbpf's strset does)
  const set = new ByteStrSet(!base, src.strLen + 1);
  // old local offset -> new logical offset + 1 (0 = not yet seen)
  const cache = new Uint32Array(src.strLen + 1);
  const strLen = src.strLen;
  const w = d.w;
  const off = d.off;
  // libbpf's string-iterator order, inline: name_off, then each element's name (if any)
  for (let id = d.startId; id < d.typeCount; id++) {
    const o = off[id]!;
    const info = w[o + 1]!;
    const kind = (info >>> 24) & 0x1f;
    const es = ELEM_STR[kind]!;
    const n = es < 0 ? 0 : info & 0xffff;
    const ew = ELEM_WORDS[kind]!;
    for (let i = -1, p = o; i < n; i++) {
      const so = w[p]!;
      if (so !== 0 && so >= start) {
        const c = cache[so - start]!; // undefined past the end: internStr throws
        if (c > 0) w[p] = c - 1;
        else w[p] = internStr(src.strs, strLen, so - start, start, base, set, cache);
      }
      p = i < 0 ? o + ELEM_START[kind]! + es : p + ew;
    }
  }
  return { strs: set.bytes, strLen: set.len };
}

/** The new offset of the own string at local offset `local`, met for the first time. */
function internStr(strs: Uint8Array, strLen: number, local: number, start: number, base: DedupState['btf']['base'], set: ByteStrSet, cache: Uint32Array): number {
  if (local >= strLen) throw dedupError(`invalid string offset ${start + local}`, Errno.EINVAL);
  let e = local;
  let h = FNV_BASIS | 0;
  for (let b = strs[e]!; b !== 0 && e < strLen; b = strs[++e]!) h = Math.imul(h ^ b, FNV_PRIME);
  const res = base ? base.findStrBytes(strs, local, e - local) : -1;
  const r = res >= 0 ? res : start + set.findOrAppend(strs, local, e, h);
  cache[local] = r + 1;
  return r;
}
