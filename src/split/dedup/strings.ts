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
import { growU8 } from '../../model/grow.js';
import { latin1Key } from '../../model/strings.js';
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

/**
 * A set of byte strings laid out in one growing buffer, found by an open-addressing table of
 * their offsets keyed by an FNV-1a hash of the bytes (no JS string per lookup).
 */
class ByteStrSet {
  out: Uint8Array;
  len = 0;
  private slots: Int32Array;
  private count = 0;

  constructor(cap: number) {
    this.out = new Uint8Array(Math.max(64, cap));
    let n = 1024;
    while (n < cap / 8) n <<= 1;
    this.slots = new Int32Array(n).fill(-1);
  }

  /** Offset of bytes src[start, end) (without NUL) in the set, appending them when new. */
  add(src: Uint8Array, start: number, end: number): number {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
    const mask = this.slots.length - 1;
    const len = end - start;
    const out = this.out;
    for (let p = h & mask; ; p = (p + 1) & mask) {
      const o = this.slots[p]!;
      if (o < 0) break;
      if (out[o + len] !== 0) continue;
      let i = 0;
      while (i < len && out[o + i] === src[start + i]) i++;
      if (i === len) return o;
    }
    const off = this.len;
    this.out = growU8(this.out, off + len + 1);
    this.out.set(src.subarray(start, end), off);
    this.out[off + len] = 0;
    this.len = off + len + 1;
    this.insert(h, off);
    return off;
  }

  private insert(h: number, off: number): void {
    if (++this.count * 2 > this.slots.length) this.rehash();
    const mask = this.slots.length - 1;
    let p = h & mask;
    while (this.slots[p]! >= 0) p = (p + 1) & mask;
    this.slots[p] = off;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(-1);
    const mask = this.slots.length - 1;
    for (const off of old) {
      if (off < 0) continue;
      let h = 0x811c9dc5;
      for (let i = off; this.out[i] !== 0; i++) h = Math.imul(h ^ this.out[i]!, 0x01000193);
      let p = h & mask;
      while (this.slots[p]! >= 0) p = (p + 1) & mask;
      this.slots[p] = off;
    }
  }
}

/** Rewrites the own string fields in d.w and returns the new own string section. */
export function dedupStrings(d: DedupState): StringSection {
  const btf = d.btf;
  const src = ownSections(btf);
  const base = btf.base;
  const start = btf.startStrOff;
  const set = new ByteStrSet(src.strLen);
  if (!base) set.add(src.strs, 0, 0);
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
  return { strs: set.out, strLen: set.len };
}

/** The new offset of the own string at local offset `local`, met for the first time. */
function internStr(strs: Uint8Array, strLen: number, local: number, start: number, base: DedupState['btf']['base'], set: ByteStrSet, cache: Uint32Array): number {
  if (local >= strLen) throw dedupError(`invalid string offset ${start + local}`, Errno.EINVAL);
  let e = local;
  while (e < strLen && strs[e] !== 0) e++;
  const res = base ? base.findStrKey(latin1Key(strs, local, e)) : -1;
  const r = res >= 0 ? res : start + set.add(strs, local, e);
  cache[local] = r + 1;
  return r;
}
