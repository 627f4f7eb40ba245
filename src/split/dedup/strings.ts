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

/** FNV-1a over bytes src[start, end). */
function fnv(src: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
  return h;
}

/**
 * A set of byte strings laid out in one growing buffer, found by an open-addressing table of
 * their offsets + 1 (0 = free slot) and hashes, keyed by an FNV-1a hash of the bytes (no JS
 * string per lookup, no hash recomputed when the table grows).
 */
class ByteStrSet {
  out: Uint8Array;
  len = 0;
  private slots: Int32Array;
  private hashes: Int32Array;
  private count = 0;

  constructor(cap: number) {
    this.out = new Uint8Array(Math.max(64, cap + 1));
    let n = 1024;
    while (n < cap / 8) n <<= 1;
    this.slots = new Int32Array(n);
    this.hashes = new Int32Array(n);
  }

  /** Offset of bytes src[start, end) (without NUL, FNV-1a hash `h`) in the set, appending them when new. */
  add(src: Uint8Array, start: number, end: number, h: number): number {
    h |= 0; // as the Int32Array of hashes keeps it (the empty string's FNV basis is above 2^31)
    const slots = this.slots;
    const mask = slots.length - 1;
    const len = end - start;
    const out = this.out;
    let p = h & mask;
    for (; ; p = (p + 1) & mask) {
      const o1 = slots[p]!;
      if (o1 === 0) break;
      if (this.hashes[p] !== h) continue;
      const o = o1 - 1;
      if (out[o + len] !== 0) continue;
      let i = 0;
      while (i < len && out[o + i] === src[start + i]) i++;
      if (i === len) return o;
    }
    const off = this.len;
    const dst = (this.out = growU8(out, off + len + 1));
    for (let i = 0; i < len; i++) dst[off + i] = src[start + i]!;
    dst[off + len] = 0;
    this.len = off + len + 1;
    slots[p] = off + 1;
    this.hashes[p] = h;
    if (++this.count * 2 > slots.length) this.rehash();
    return off;
  }

  private rehash(): void {
    const old = this.slots;
    const oldH = this.hashes;
    const n = old.length * 2;
    const slots = (this.slots = new Int32Array(n));
    const hashes = (this.hashes = new Int32Array(n));
    const mask = n - 1;
    for (let q = 0; q < old.length; q++) {
      if (old[q] === 0) continue;
      const h = oldH[q]!;
      let p = h & mask;
      while (slots[p] !== 0) p = (p + 1) & mask;
      slots[p] = old[q]!;
      hashes[p] = h;
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
  if (!base) set.add(src.strs, 0, 0, fnv(src.strs, 0, 0));
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
  let h = 0x811c9dc5;
  for (let b = strs[e]!; b !== 0 && e < strLen; b = strs[++e]!) h = Math.imul(h ^ b, 0x01000193);
  const res = base ? base.findStrKey(latin1Key(strs, local, e)) : -1;
  const r = res >= 0 ? res : start + set.add(strs, local, e, h);
  cache[local] = r + 1;
  return r;
}
