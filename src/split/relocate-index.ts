/**
 * Relocation's lookup of new-base types by name: one direct scan of the base on the first
 * relocation onto it (a two-byte prefix filter, then FNV-1a of the name bytes against the
 * distilled names), and from the second on a hash index of its named types, cached on the
 * base model. Only the kinds relocation matches (RELOC_KEY of the kind descriptors) are kept
 * in the scan index; the full index (every named type) is built only to explain a failure.
 */

import { RELOC_KEY } from '../format/kinds.js';
import type { Btf, DerivedKey } from '../model/btf.js';
import { growI32, growU32, growU8 } from '../model/grow.js';
import { hashBytes, FNV_BASIS, FNV_PRIME } from './strset.js';

/** One level of a base chain, as the scans read it. */
interface Level {
  words: Uint32Array;
  offs: Uint32Array;
  startId: number;
  nTypes: number;
  strs: Uint8Array;
  strLen: number;
  startStrOff: number;
  kindMask: number;
}

export function levelsOf(b: Btf): Level[] {
  const out: Level[] = [];
  for (let x: Btf | null = b; x; x = x.base) {
    const r = x.raw();
    out.unshift({ words: r.words, offs: r.offs, startId: x.startId, nTypes: r.nTypes, strs: r.strs, strLen: r.strLen, startStrOff: x.startStrOff, kindMask: r.kindMask });
  }
  return out;
}


export interface Matches {
  count: number;
  ids: Int32Array;
  groups: Int32Array;
}

/**
 * Hash index of the named types of a base (cached per base object): the "scan" index holds
 * the kinds relocation matches (INT, FLOAT, ENUM, ENUM64, FWD, STRUCT, UNION), the full one
 * (built only to explain a failure) every named type.
 */
interface BaseNameIndex {
  /** chainKey() when built (chained bases only). */
  chain: string;
  count: number;
  /** Type ids of the named types, ascending. */
  ids: Uint32Array;
  kinds: Uint8Array;
  /** FNV-1a hash of each one's name bytes (int32). */
  hashes: Int32Array;
  /** Byte length of each one's name. */
  lens: Uint32Array;
  /** Hash buckets: first entry + 1 (0 = empty); `next` chains entries in ascending id order. */
  head: Int32Array;
  next: Int32Array;
}

/** The indexes live on the base model (dropped when it is modified). */
const SCAN_INDEX: DerivedKey<BaseNameIndex> = { name: 'relocate scan index' };
const FULL_INDEX: DerivedKey<BaseNameIndex> = { name: 'relocate full index' };
/** Set once a relocation onto the base scanned it directly (the second one builds the index). */
const SEEN: DerivedKey<true> = { name: 'relocate seen' };

/**
 * The cached index, if it is still valid. The model drops it when the base itself changes;
 * the lower levels of a chained base are checked through their generations.
 */
function validIndex(base: Btf, all: boolean): BaseNameIndex | null {
  const c = base.peekDerived(all ? FULL_INDEX : SCAN_INDEX);
  return c && (base.base === null || c.chain === chainKey(base)) ? c : null;
}

function cachedIndex(base: Btf, all: boolean): BaseNameIndex {
  const c = validIndex(base, all);
  if (c) return c;
  const key = all ? FULL_INDEX : SCAN_INDEX;
  base.invalidateDerived(key);
  return base.derived(key, () => buildIndex(base, all));
}

/** Generations and sizes of the lower levels of a chained base. */
function chainKey(base: Btf): string {
  let k = '';
  for (let x = base.base; x; x = x.base) k += `${x.generation}:${x.nTypes}:${x.strLen};`;
  return k;
}

function buildIndex(base: Btf, all: boolean): BaseNameIndex {
  let cap = 1024;
  let ids: Uint32Array = new Uint32Array(cap);
  let kinds: Uint8Array = new Uint8Array(cap);
  let hashes: Int32Array = new Int32Array(cap);
  let lens: Uint32Array = new Uint32Array(cap);
  let count = 0;
  for (const L of levelsOf(base)) {
    const words = L.words;
    const offs = L.offs;
    const km = L.kindMask;
    for (let i = 0; i < L.nTypes; i++) {
      const o = offs[i]!;
      const no = words[o]!;
      if (no === 0) continue;
      const kind = (words[o + 1]! >>> 24) & km;
      if (!all && RELOC_KEY[kind] !== 1) continue;
      let buf = L.strs;
      let s = no - L.startStrOff;
      let lim = L.strLen;
      if (s < 0 || s >= lim) {
        const ow = base.strOwner(no);
        if (!ow) continue; // invalid name offset: libbpf would crash; never matches here
        buf = ow.raw().strs;
        s = no - ow.startStrOff;
        lim = ow.strLen;
      }
      let h = FNV_BASIS | 0;
      let e = s;
      for (; e < lim; e++) {
        const ch = buf[e]!;
        if (ch === 0) break;
        h = Math.imul(h ^ ch, FNV_PRIME);
      }
      if (count === cap) {
        cap *= 2;
        ids = growU32(ids, cap);
        hashes = growI32(hashes, cap);
        lens = growU32(lens, cap);
        kinds = growU8(kinds, cap);
      }
      ids[count] = L.startId + i;
      kinds[count] = kind;
      hashes[count] = h;
      lens[count] = e - s;
      count++;
    }
  }
  let size = 1024;
  while (size < count * 2) size <<= 1;
  const head = new Int32Array(size);
  const next = new Int32Array(Math.max(count, 1));
  for (let j = count - 1; j >= 0; j--) {
    const slot = hashes[j]! & (size - 1);
    next[j] = head[slot]!;
    head[slot] = j + 1;
  }
  return { chain: base.base === null ? '' : chainKey(base), count, ids, kinds, hashes, lens, head, next };
}

/** Does the name of base type `id` equal `bytes`? */
function nameIs(base: Btf, id: number, bytes: Uint8Array): boolean {
  const no = base.nameOff(id);
  const ow = base.strOwner(no);
  if (!ow) return false;
  const r = ow.raw();
  const s = no - ow.startStrOff;
  const n = bytes.length;
  if (s + n >= r.strLen || r.strs[s + n] !== 0) return false;
  let k = 0;
  while (k < n && bytes[k] === r.strs[s + k]) k++;
  return k === n;
}

/** Ids (ascending) of the types of `base` named exactly `bytes`: all kinds, or (`scanOnly`) only INT … UNION. */
export function typesNamed(base: Btf, bytes: Uint8Array, scanOnly = false): number[] {
  const ix = cachedIndex(base, !scanOnly);
  const h = hashBytes(bytes, 0, bytes.length);
  const out: number[] = [];
  const head = ix.head;
  const next = ix.next;
  for (let e = head[h & (head.length - 1)]!; e !== 0; e = next[e - 1]!) {
    const j = e - 1;
    if (ix.hashes[j] !== h || ix.lens[j] !== bytes.length) continue;
    if (scanOnly && RELOC_KEY[ix.kinds[j]!] !== 1) continue;
    if (nameIs(base, ix.ids[j]!, bytes)) out.push(ix.ids[j]!);
  }
  return out;
}

/**
 * The new-base types that relocation considers for each distilled name group: named INT,
 * FLOAT, ENUM, ENUM64, FWD, STRUCT, UNION whose name bytes equal the group's, ascending id.
 */
export function findNamedMatches(base: Btf, gBytes: Uint8Array[], gHash: number[], gSlots: Int32Array, gMask: number): Matches {
  if (validIndex(base, false) || base.peekDerived(SEEN)) {
    const pairs: number[] = [];
    for (let g = 0; g < gBytes.length; g++) for (const id of typesNamed(base, gBytes[g]!, true)) pairs.push(id, g);
    const order = Array.from({ length: pairs.length >> 1 }, (_, i) => i).sort((a, b) => pairs[2 * a]! - pairs[2 * b]!);
    const ids = new Int32Array(order.length);
    const groups = new Int32Array(order.length);
    order.forEach((p, i) => {
      ids[i] = pairs[2 * p]!;
      groups[i] = pairs[2 * p + 1]!;
    });
    return { count: order.length, ids, groups };
  }
  base.derived(SEEN, () => true);
  return scanMatches(base, gBytes, gHash, gSlots, gMask);
}

/** One direct pass over the base (first relocation onto it): a two-byte prefix filter, then the name hash. */
function scanMatches(base: Btf, gBytes: Uint8Array[], gHash: number[], gSlots: Int32Array, gMask: number): Matches {
  const prefix = new Uint8Array(65536);
  for (const gb of gBytes) prefix[gb.length === 0 ? 0 : gb[0]! | ((gb.length > 1 ? gb[1]! : 0) << 8)] = 1;
  let ids: Int32Array = new Int32Array(256);
  let groups: Int32Array = new Int32Array(256);
  let count = 0;
  for (const L of levelsOf(base)) {
    const words = L.words;
    const offs = L.offs;
    const km = L.kindMask;
    for (let i = 0; i < L.nTypes; i++) {
      const o = offs[i]!;
      const no = words[o]!;
      if (no === 0) continue;
      if (RELOC_KEY[(words[o + 1]! >>> 24) & km] !== 1) continue;
      let buf = L.strs;
      let s = no - L.startStrOff;
      let lim = L.strLen;
      if (s < 0 || s >= lim) {
        const ow = base.strOwner(no);
        if (!ow) continue;
        buf = ow.raw().strs;
        s = no - ow.startStrOff;
        lim = ow.strLen;
      }
      const c0 = buf[s]!;
      if (prefix[c0 === 0 ? 0 : c0 | ((s + 1 < lim ? buf[s + 1]! : 0) << 8)] === 0) continue;
      let h = FNV_BASIS | 0;
      let e = s;
      for (; e < lim; e++) {
        const c = buf[e]!;
        if (c === 0) break;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
      for (let slot = h & gMask; ; slot = (slot + 1) & gMask) {
        const v = gSlots[slot]!;
        if (v === 0) break;
        const gb = gBytes[v - 1]!;
        if (gHash[v - 1] !== h || gb.length !== e - s) continue;
        let k = 0;
        while (k < gb.length && gb[k] === buf[s + k]) k++;
        if (k !== gb.length) continue;
        if (count === ids.length) {
          ids = growI32(ids, count + 1);
          groups = growI32(groups, count + 1);
        }
        ids[count] = L.startId + i;
        groups[count] = v - 1;
        count++;
        break;
      }
    }
  }
  return { count, ids, groups };
}

