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
import { visitStrFields } from '../../model/iter.js';
import { growU8 } from '../../model/grow.js';
import { latin1Key } from '../../model/strings.js';
import { ownSections } from './access.js';
import { type DedupState, dedupError, kindOf, vlenOf } from './state.js';

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
  let out = new Uint8Array(Math.max(64, src.strLen));
  let outLen = 0;
  if (!base) out[outLen++] = 0;
  const index = new Map<string, number>();
  if (!base) index.set('', 0);
  // old local offset -> new logical offset + 1 (0 = not yet seen)
  const cache = new Uint32Array(src.strLen + 1);
  const w = d.w;
  const visit = (p: number): void => {
    const so = w[p]!;
    if (so === 0 || so < start) return;
    const local = so - start;
    if (local >= src.strLen) throw dedupError(`invalid string offset ${so}`, Errno.EINVAL);
    const c = cache[local]!;
    if (c !== 0) {
      w[p] = c - 1;
      return;
    }
    let e = local;
    while (e < src.strLen && src.strs[e] !== 0) e++;
    const key = latin1Key(src.strs, local, e);
    let res = base ? base.findStrKey(key) : -1;
    if (res < 0) {
      const have = index.get(key);
      if (have !== undefined) res = start + have;
      else {
        const len = e - local;
        out = growU8(out, outLen + len + 1);
        out.set(src.strs.subarray(local, e), outLen);
        out[outLen + len] = 0;
        index.set(key, outLen);
        res = start + outLen;
        outLen += len + 1;
      }
    }
    cache[local] = res + 1;
    w[p] = res;
  };
  for (let id = d.startId; id < d.typeCount; id++) {
    const o = d.off[id]!;
    visitStrFields(w, o, kindOf(w, o), vlenOf(w, o), visit);
  }
  return { strs: out, strLen: outLen };
}
