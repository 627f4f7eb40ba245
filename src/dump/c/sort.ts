/**
 * bpftool's default ordering of `btf dump ... format c` (sort_btf_c in bpftool v7.7.0's
 * btf.c): every id, VOID included, sorted by
 *   1. a rank (anonymous enums 0, named enums 1, ints/floats 2, named structs/unions 3,
 *      named function prototypes 4, everything else 10; named typedefs, type tags, decl
 *      tags and arrays take the rank of what they refer to),
 *   2. a sort name (own name; for refs, the name of the referred type; for anonymous enums,
 *      the first enumerator's name) compared with strcmp,
 *   3. the own name (strcmp),
 *   4. a 64-bit "disambiguation hash" of names and members (unsigned compare),
 *   5. the id.
 * bpftool then dumps entries 1 .. n-1 of the sorted array: entry 0 (the smallest, which is
 * not VOID) is skipped. That quirk is part of the reference output and is reproduced.
 *
 * Approach: the comparator is a lexicographic key, so instead of a comparison sort the ids
 * are put in order with stable counting sorts (LSD) on integer keys: strings are replaced by
 * their rank among all distinct names (an MSD radix sort over the string bytes), and the
 * hash is computed only for the runs that tie on (rank, sort name, own name), then those
 * runs are radix-sorted by hash. 64-bit hash arithmetic is done on two 32-bit halves.
 * The keyed and string sorts are in keysort.ts, the hash in disambig.ts.
 */

import { KindId as Kind } from '../../format/kinds.js';
import { missedKind } from '../missed-kind.js';
import { MAX_TYPE_DEPTH, tooDeep } from './context.js';
import { DisambigHash } from './disambig.js';
import { REF_ORDER, type FlatBtf } from './flat.js';
import { KeySort, MAX_KEYED, StringSorter, sortByWord } from './keysort.js';

const MAX_RANK = 10;
/**
 * Longest reference chain followed (the emitter's MAX_TYPE_DEPTH). bpftool recurses without a
 * bound and never returns on a cycle of references; real C never comes near it. Longer chains
 * and cycles are refused with ELOOP.
 */
const MAX_CHAIN = MAX_TYPE_DEPTH;

/** btf_type_rank(btf, id, false). */
function typeRank(f: FlatBtf, id: number): number {
  const { W, O, K } = f;
  const start = id;
  let hasName = false;
  for (let guard = 0; guard < MAX_CHAIN; guard++) {
    const o = O[id]!;
    if (id !== 0 && W[o] !== 0) hasName = true;
    const k = K[id] as Kind;
    switch (k) {
      case Kind.ENUM: case Kind.ENUM64:
        return hasName ? 1 : 0;
      case Kind.INT: case Kind.FLOAT:
        return 2;
      case Kind.STRUCT: case Kind.UNION:
        return hasName ? 3 : MAX_RANK;
      case Kind.FUNC_PROTO:
        return hasName ? 4 : MAX_RANK;
      case Kind.ARRAY:
        if (!hasName) return MAX_RANK;
        id = W[o + 3]!;
        break;
      case Kind.TYPE_TAG: case Kind.CONST: case Kind.PTR: case Kind.VOLATILE: case Kind.RESTRICT:
      case Kind.TYPEDEF: case Kind.DECL_TAG:
        if (!hasName) return MAX_RANK;
        id = W[o + 2]!;
        break;
      case Kind.UNKN: case Kind.FWD: case Kind.FUNC: case Kind.VAR: case Kind.DATASEC:
        return MAX_RANK;
      default:
        missedKind(k);
        return MAX_RANK;
    }
  }
  throw tooDeep(start);
}

/** btf_type_sort_name(btf, id, false), as a logical string offset. */
function sortName(f: FlatBtf, id: number): number {
  const { W, O, K } = f;
  const start = id;
  let fromRef = false;
  for (let guard = 0; guard < MAX_CHAIN; guard++) {
    if (id === 0) return 0;
    const o = O[id]!;
    const k = K[id] as Kind;
    switch (k) {
      case Kind.ENUM: case Kind.ENUM64: {
        const nameOff = W[o]!;
        if (!fromRef && nameOff === 0 && (W[o + 1]! & f.vlenMask) !== 0) return W[o + 3]!;
        return nameOff;
      }
      case Kind.ARRAY:
        id = W[o + 3]!;
        fromRef = true;
        break;
      case Kind.TYPE_TAG: case Kind.CONST: case Kind.PTR: case Kind.VOLATILE: case Kind.RESTRICT:
      case Kind.TYPEDEF: case Kind.DECL_TAG:
        id = W[o + 2]!;
        fromRef = true;
        break;
      case Kind.UNKN: case Kind.INT: case Kind.STRUCT: case Kind.UNION: case Kind.FWD: case Kind.FUNC:
      case Kind.FUNC_PROTO: case Kind.VAR: case Kind.DATASEC: case Kind.FLOAT:
        return W[o]!;
      default:
        missedKind(k);
        return W[o]!;
    }
  }
  throw tooDeep(start);
}

/** Stable counting sort of `src` (ids) by key[id] in [0, range) into `dst`. */
function countingPass(src: Uint32Array, dst: Uint32Array, key: Uint8Array, range: number): void {
  const c = new Int32Array(range + 1);
  const n = src.length;
  for (let i = 0; i < n; i++) c[key[src[i]!]! + 1]!++;
  for (let k = 1; k <= range; k++) c[k]! += c[k - 1]!;
  for (let i = 0; i < n; i++) {
    const id = src[i]!;
    dst[c[key[id]!]!++] = id;
  }
}

/**
 * Stable sort of ids[s, e) by the 64-bit (hi, lo) of each id: native keyed sorts on
 * (hi, position), then on (lo, position) within runs of equal hi.
 */
function sortRunByHash(ids: Uint32Array, s: number, e: number, hi: Uint32Array, lo: Uint32Array, ks: KeySort, tmp: Uint32Array): void {
  const len = e - s;
  // Already in order? (Common: equal hashes, ordered by id.)
  let sorted = true;
  for (let i = s + 1; i < e; i++) {
    const u = ids[i - 1]!;
    const v = ids[i]!;
    if (hi[u]! > hi[v]! || (hi[u] === hi[v] && lo[u]! > lo[v]!)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return;
  if (len <= 32 || len > MAX_KEYED) {
    for (let i = s + 1; i < e; i++) {
      const v = ids[i]!;
      const vh = hi[v]!;
      const vl = lo[v]!;
      let j = i - 1;
      while (j >= s) {
        const u = ids[j]!;
        const uh = hi[u]!;
        if (uh < vh || (uh === vh && lo[u]! <= vl)) break;
        ids[j + 1] = u;
        j--;
      }
      ids[j + 1] = v;
    }
    return;
  }
  sortByWord(ids, s, e, hi, ks, tmp);
  for (let rs = s; rs < e;) {
    const h = hi[ids[rs]!]!;
    let re = rs + 1;
    while (re < e && hi[ids[re]!] === h) re++;
    if (re - rs > 1) sortByWord(ids, rs, re, lo, ks, tmp);
    rs = re;
  }
}


/** End of the run of equal strings key[id] that starts at ids[s] (before hi). */
function runEnd(ss: StringSorter, ids: Uint32Array, s: number, hi: number, key: Uint32Array): number {
  const k0 = key[ids[s]!]!;
  let e = s + 1;
  while (e < hi && ss.cmp(k0, key[ids[e]!]!, 0) === 0) e++;
  return e;
}

/** rank, sort name and own name of each id in `ids`. */
function computeKeys(f: FlatBtf, ids: Uint32Array, rank: Uint8Array, sortOff: Uint32Array, ownOff: Uint32Array): void {
  const { W, O } = f;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    rank[id] = typeRank(f, id);
    sortOff[id] = sortName(f, id);
    ownOff[id] = id === 0 ? 0 : W[O[id]!]!;
  }
}

/** Sort keys of ids and the machinery to order them. */
class Sorter {
  readonly rank: Uint8Array;
  readonly sortOff: Uint32Array;
  readonly ownOff: Uint32Array;
  private readonly ss: StringSorter;
  private readonly ks: KeySort;
  private readonly tmp: Uint32Array;
  private readonly dh: DisambigHash;
  private readonly hHi: Uint32Array;
  private readonly hLo: Uint32Array;
  /** Scratch by position: the type whose hash an element has (see byHash). */
  private readonly term: Uint32Array;

  /** Sorting machinery for `f`; the keys of the ids in `keyed` are computed up front. */
  constructor(private readonly f: FlatBtf, keyed: Uint32Array) {
    const n = f.n;
    this.rank = new Uint8Array(n);
    this.sortOff = new Uint32Array(n);
    this.ownOff = new Uint32Array(n);
    computeKeys(f, keyed, this.rank, this.sortOff, this.ownOff);
    this.ks = new KeySort(n);
    this.tmp = new Uint32Array(n);
    this.ss = new StringSorter(f.S, n, this.ks);
    this.dh = new DisambigHash(f);
    this.hHi = new Uint32Array(n);
    this.hLo = new Uint32Array(n);
    this.term = new Uint32Array(n);
  }

  /** Computes the keys of more ids. */
  addKeys(ids: Uint32Array): void {
    computeKeys(this.f, ids, this.rank, this.sortOff, this.ownOff);
  }

  /** bpftool's btf_type_compare: < 0 when a sorts before b. */
  compare(a: number, b: number): number {
    const r = this.rank[a]! - this.rank[b]!;
    if (r) return r;
    const s = this.ss.cmp(this.sortOff[a]!, this.sortOff[b]!, 0);
    if (s) return s;
    const o = this.ss.cmp(this.ownOff[a]!, this.ownOff[b]!, 0);
    if (o) return o;
    const h = this.dh.r;
    this.dh.hash(a, true);
    const ah = h.hi;
    const al = h.lo;
    this.dh.hash(b, true);
    if (ah !== h.hi) return ah < h.hi ? -1 : 1;
    if (al !== h.lo) return al < h.lo ? -1 : 1;
    return a - b;
  }

  /** Sorts `src` (ids in increasing order) with the comparator; returns a new array. */
  sort(src: Uint32Array): Uint32Array {
    const n = src.length;
    const ids = new Uint32Array(n);
    const { rank, sortOff, ss } = this;
    // Rank first (stable from id order), then each rank group by sort name, each equal
    // sort-name run by own name, each equal own-name run by hash; all stable, so the id
    // breaks the remaining ties.
    countingPass(src, ids, rank, MAX_RANK + 1);
    for (let s = 0; s < n;) {
      const r = rank[ids[s]!]!;
      let e = s + 1;
      while (e < n && rank[ids[e]!] === r) e++;
      ss.sort(ids, s, e, sortOff, 0);
      for (let rs = s; rs < e;) {
        const re = runEnd(ss, ids, rs, e, sortOff);
        if (re - rs > 1) this.byOwn(ids, rs, re);
        rs = re;
      }
      s = e;
    }
    return ids;
  }

  private byOwn(ids: Uint32Array, s: number, e: number): void {
    const { ownOff, ss } = this;
    ss.sort(ids, s, e, ownOff, 0);
    for (let rs = s; rs < e;) {
      const re = runEnd(ss, ids, rs, e, ownOff);
      if (re - rs > 1) this.byHash(ids, rs, re);
      rs = re;
    }
  }

  /**
   * Orders a run of equal (rank, sort name, own name) by hash, then id. An unnamed PTR /
   * CONST / VOLATILE / RESTRICT adds nothing to the hash (hash = 0 * 31 + hash of what it
   * refers to), so each element hashes like the first type its chain of those reaches; when
   * that type is the same for the whole run, all hashes are equal and the run is already in
   * order (by id). That skips hashing big structs' members for the many runs made of
   * `struct foo *`, `const struct foo`, ...
   */
  private byHash(ids: Uint32Array, s: number, e: number): void {
    if (hashTerminals(this.f, ids, s, e, this.term)) return;
    hashRun(this.f, this.dh, ids, s, e, this.term, this.hHi, this.hLo);
    sortRunByHash(ids, s, e, this.hHi, this.hLo, this.ks, this.tmp);
  }
}

/**
 * For ids[s, e): the type each one hashes like (through unnamed PTR / CONST / VOLATILE /
 * RESTRICT) into term[]; true when it is the same type for all (equal hashes).
 */
function hashTerminals(f: FlatBtf, ids: Uint32Array, s: number, e: number, term: Uint32Array): boolean {
  const { W, O, K } = f;
  let same = true;
  let first = -1;
  for (let i = s; i < e; i++) {
    let t = ids[i]!;
    for (let guard = 0; guard < MAX_CHAIN; guard++) {
      const k = K[t];
      if ((k === Kind.PTR || k === Kind.CONST || k === Kind.VOLATILE || k === Kind.RESTRICT) && t !== 0 && W[O[t]!] === 0) t = W[O[t]! + 2]!;
      else break;
    }
    term[i] = t;
    if (first < 0) first = t;
    else if (t !== first) same = false;
  }
  return same;
}

/** The hashes of ids[s, e) (by their term[] types) into hHi/hLo[id]. */
function hashRun(f: FlatBtf, dh: DisambigHash, ids: Uint32Array, s: number, e: number, term: Uint32Array, hHi: Uint32Array, hLo: Uint32Array): void {
  const { W, O, K } = f;
  const h = dh.r;
  for (let i = s; i < e; i++) {
    const t = term[i]!;
    const id = ids[i]!;
    if (t === 0 || (K[t] === Kind.FUNC_PROTO && W[O[t]!] === 0)) {
      // Unnamed, and no members, values or referred type: hash 0 (the common case here).
      hHi[id] = 0;
      hLo[id] = 0;
      continue;
    }
    dh.hash(t, true);
    hHi[id] = h.hi;
    hLo[id] = h.lo;
  }
}

/**
 * bpftool's sorted array of all type ids (VOID included), exactly as sort_btf_c() leaves
 * it: bpftool dumps entries 1 .. n-1 of it.
 */
export function bpftoolSortOrder(f: FlatBtf): Uint32Array {
  const all = new Uint32Array(f.n);
  for (let i = 0; i < f.n; i++) all[i] = i;
  return new Sorter(f, all).sort(all);
}

/**
 * bpftool's sequence of btf_dump__dump_type() calls for a whole-BTF C dump, in two parts,
 * minus calls that cannot have any effect:
 *  - `head`: the ids of rank < 10 in sorted order (the skipped first entry left out);
 *  - `tail`: the ids of rank 10 (anonymous types, pointers and modifiers, FWDs, typedefs of
 *    those, ...), in id order and not sorted yet. bpftool dumps them after the head, in
 *    sorted order. About 80% of a vmlinux's sorted ids are here, but once the head is
 *    dumped almost all of them are settled (CEmitter.unsettled): the caller filters them
 *    with the emitter's state after the head and sorts only the rest with `sortTail`.
 * Left out before sorting: VOID, and FUNC / VAR / DATASEC / DECL_TAG types that no type
 * refers to in a way btf_dump_order_type() follows (such a call only marks the type itself
 * as ordered, which nothing reads); a vmlinux's ~45k FUNCs are all such.
 * When no id ranks below 10 (tiny BTF), everything is sorted into `head` and `tail` is
 * empty, so the skipped entry is found among all of them.
 */
export interface DumpPlan {
  readonly head: Uint32Array;
  readonly tail: Uint32Array;
  /** Orders ids taken from `tail` (in id order) as bpftool's sort does. */
  sortTail(ids: Uint32Array): Uint32Array;
}

export function bpftoolDumpPlan(f: FlatBtf): DumpPlan {
  const { K, R, n } = f;
  const inert = new Uint8Array(n);
  inert[0] = 1;
  const sorter = new Sorter(f, new Uint32Array(0));
  const rank = sorter.rank;
  let nRanked = 0;
  let nTail = 0;
  for (let id = 1; id < n; id++) {
    const k = K[id];
    if ((k === Kind.FUNC || k === Kind.VAR || k === Kind.DATASEC || k === Kind.DECL_TAG) && !(R[id]! & REF_ORDER)) inert[id] = 1;
    else if ((rank[id] = typeRank(f, id)) < MAX_RANK) nRanked++;
    else nTail++;
  }
  let ranked = new Uint32Array(nRanked);
  let tail = new Uint32Array(nTail);
  for (let id = 1, i = 0, j = 0; id < n; id++) {
    if (inert[id]) continue;
    if (rank[id]! < MAX_RANK) ranked[i++] = id;
    else tail[j++] = id;
  }
  if (nRanked === 0) {
    ranked = tail;
    tail = new Uint32Array(0);
  }
  sorter.addKeys(ranked);
  const sorted = sorter.sort(ranked);
  const sortTail = (ids: Uint32Array): Uint32Array => {
    sorter.addKeys(ids);
    return sorter.sort(ids);
  };
  if (sorted.length === 0) return { head: sorted, tail, sortTail };
  // bpftool skips the overall first entry: the first sorted one here unless an inert id
  // sorts before it. FUNC, VAR, DATASEC (and VOID) always rank 10; a DECL_TAG takes its
  // target's.
  const first = sorted[0]!;
  const firstRank = rank[first]!;
  const one = new Uint32Array(1);
  for (let id = 0; id < n; id++) {
    if (!inert[id] || (firstRank < MAX_RANK && K[id] !== Kind.DECL_TAG)) continue;
    one[0] = id;
    sorter.addKeys(one);
    if (rank[id]! <= firstRank && sorter.compare(id, first) < 0) return { head: sorted, tail, sortTail };
  }
  return { head: sorted.subarray(1), tail, sortTail };
}

/**
 * The ids bpftool passes to btf_dump__dump_type() for a whole-BTF C dump, in order, minus
 * the inert ones (see bpftoolDumpPlan): head, then the whole tail sorted. Emitting these
 * gives the same output as bpftool's full sequence, including the skipped entry 0.
 */
export function bpftoolDumpOrder(f: FlatBtf): Uint32Array {
  const plan = bpftoolDumpPlan(f);
  const tail = plan.sortTail(plan.tail);
  const all = new Uint32Array(plan.head.length + tail.length);
  all.set(plan.head);
  all.set(tail, plan.head.length);
  return all;
}
