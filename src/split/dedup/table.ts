/**
 * libbpf's dedup hash signatures and candidate table.
 *
 * Approach: libbpf combines u32 fields into an `unsigned long` (64-bit) with h = h * 31 + v
 * and uses it as the hashmap key. We keep only its low 32 bits ((h * 31 + v) mod 2^32, plain
 * int32 arithmetic) as the key. Keys are coarser than libbpf's, never finer: records libbpf
 * files under one key share ours. That takes nothing away from any lookup: a candidate is only
 * ever taken (or acted on: re-pointed enum forwards, struct walks) after an equality check on
 * the very fields its signature folds, so only candidates of the looked-up record's own
 * libbpf key are ever taken, and a key's chain lists those in libbpf's order whatever else
 * shares it (see below). The one lookup whose equality check covers less than the stored
 * signature, TYPEDEF (base typedefs are filed by name, info and type; own typedefs look up by
 * name and info), takes only own candidates, as libbpf's different keys imply (struct.ts).
 *
 * The candidate table reproduces the *order* in which libbpf's hashmap lists the entries of
 * one key: a new entry goes to the head of its bucket's chain, and each growth (when empty,
 * or when (size + 1) * 4 / 3 > capacity, capacity doubling from 4) re-links every chain by
 * pushing entries onto the heads of the new chains, which reverses the relative order of the
 * entries of one key. Growths are only counted (libbpf's rule), never performed: our buckets
 * are fixed (as many as the object has types, so chains stay short) and each is a singly
 * linked chain in libbpf's order, new entries at its head, that remembers the parity of the
 * growth count it was last put in order for. A chain touched after an odd number of growths
 * since then is first reversed in place (reversing a chain reverses the entries of each key
 * in it, which is all a growth does to one key's order). Each chain is reversed at most once
 * per growth, and only when touched. Storage is two typed arrays, no object per entry: per
 * bucket one word (head entry and parity), per entry four words side by side (key, value, the
 * value's record offset, next), so a probe of one entry touches one cache line, a candidate's
 * record is reached without a look at the offset table, and an append writes only its bucket
 * and its own entry.
 *
 * Reference behaviour: libbpf v1.7.0 hashmap.c (hashmap__append, hashmap_grow,
 * hashmap__for_each_key_entry) and btf.c hash_combine.
 */

import { growI32 } from '../../model/grow.js';
import type { PrepTable } from '../../accel/dedup.js';

/** A signature under construction: h = h * 31 + v over u32 values, mod 2^32 (an int32). */
export class Signature {
  v = 0;

  reset(x: number): this {
    this.v = x | 0;
    return this;
  }

  add(x: number): this {
    this.v = (Math.imul(this.v, 31) + x) | 0;
    return this;
  }

  /** The signature of the `n` words w[o, o + n): reset to the first, then each next one added. */
  words(w: Uint32Array, o: number, n: number): this {
    let h = w[o]! | 0;
    for (let i = 1; i < n; i++) h = (Math.imul(h, 31) + w[o + i]!) | 0;
    this.v = h;
    return this;
  }
}

/** A CandidateTable's storage and counters (see the class), as src/accel/dedup.ts copies them. */
export type TableState = PrepTable;

/** Words per entry: key, value, record offset, next (entry word position + E, 0 = none). */
const E = 4;

export class CandidateTable {
  /** Per bucket: (head entry word position + E) << 1 | the growth parity its chain is ordered for; 0 = empty. */
  private bk: Int32Array;
  private shift: number;
  private ents: Int32Array;
  /** Words used in ents. */
  private top = 0;
  /** libbpf's emulated capacity and the parity of its growths so far. */
  private cap = 0;
  private odd = 0;
  /** Entries as libbpf counts them (growth points), stored or skipped (skip()). */
  size = 0;

  /** `expected`: about how many entries there will be (sizes the buckets; more is fine). */
  constructor(expected: number) {
    let bits = 4;
    while (bits < 26 && 1 << bits < expected) bits++;
    this.shift = 32 - bits;
    this.bk = new Int32Array(1 << bits);
    this.ents = new Int32Array(E * Math.max(16, expected));
  }

  private bucket(key: number): number {
    return Math.imul(key ^ (key >>> 15), 0x9e3779b1) >>> this.shift;
  }

  /** The head link (entry position + E, 0 = none) of bucket b, its chain put in libbpf's current order. */
  private head(b: number): number {
    const v = this.bk[b]!;
    if ((v & 1) === this.odd) return v >>> 1;
    // an odd number of growths since the chain was ordered: reverse it
    const ents = this.ents;
    let prev = 0;
    let cur = v >>> 1;
    while (cur !== 0) {
      const next = ents[cur - E + 3]!;
      ents[cur - E + 3] = prev;
      prev = cur;
      cur = next;
    }
    this.bk[b] = (prev << 1) | this.odd;
    return prev;
  }

  /** libbpf's growth rule (hashmap_needs_to_grow before an append), counted only. */
  private count(): void {
    if (this.cap === 0 || Math.floor(((this.size + 1) * 4) / 3) > this.cap) {
      this.cap = this.cap === 0 ? 4 : this.cap * 2;
      this.odd ^= 1;
    }
    this.size++;
  }

  /**
   * `n` entries that no lookup can ever take (dedupPrep's filter): counted as libbpf's appends
   * (their growths flip the orientation), not stored. Jumps from growth point to growth point:
   * an append at count c grows when floor((c + 1) * 4 / 3) > cap, i.e. c >= ceil(3 (cap + 1) / 4) - 1.
   */
  skip(n = 1): void {
    let cap = this.cap;
    let odd = this.odd;
    let c = this.size;
    const end = c + n;
    while (c < end) {
      const at = cap === 0 ? c : Math.max(c, Math.ceil((3 * (cap + 1)) / 4) - 1);
      if (at >= end) break;
      cap = cap === 0 ? 4 : cap * 2;
      odd ^= 1;
      c = at + 1;
    }
    this.cap = cap;
    this.odd = odd;
    this.size = end;
  }

  /** The storage and counters, for a builder outside this class (accel.c btfkit_dedup_prep) to continue from. */
  get state(): TableState {
    return { bk: this.bk, shift: this.shift, ents: this.ents, top: this.top, cap: this.cap, odd: this.odd, size: this.size };
  }

  /** Takes the entries and counters a builder made from `state` (the same bucket count). */
  adopt(s: Omit<TableState, 'shift'>): void {
    if (s.bk.length !== this.bk.length) throw new RangeError('CandidateTable.adopt: another bucket count');
    this.bk = s.bk;
    this.ents = s.ents;
    this.top = s.top;
    this.cap = s.cap;
    this.odd = s.odd;
    this.size = s.size;
  }

  /** hashmap__append(key, value); `off` is the value's record offset. */
  append(key: number, value: number, off: number): void {
    this.count();
    this.link(key, value, off);
  }

  /**
   * A secondary index over some of `main`'s entries under other keys: its growths are
   * `main`'s (the parity that orders its chains is main's), so each of its keys lists its
   * entries in the order main's lists them. Call before link/first/nextOf.
   */
  follow(main: CandidateTable): void {
    this.odd = main.odd;
  }

  /** Stores an entry at the head of its chain without counting it (append's second half; a follower's append). */
  link(key: number, value: number, off: number): void {
    const e = this.top;
    if (e + E > this.ents.length) this.ents = growI32(this.ents, e + E);
    this.top = e + E;
    const b = this.bucket(key);
    const h = this.head(b);
    const ents = this.ents;
    ents[e] = key;
    ents[e + 1] = value;
    ents[e + 2] = off;
    ents[e + 3] = h;
    this.bk[b] = ((e + E) << 1) | this.odd;
  }

  /** First entry with this key (in libbpf's iteration order), or -1. */
  first(key: number): number {
    const ents = this.ents;
    key |= 0;
    let e = this.head(this.bucket(key)) - E;
    while (e >= 0 && ents[e] !== key) e = ents[e + 3]! - E;
    return e;
  }

  /** The entry after `e` with the same key, or -1. */
  nextOf(e: number): number {
    const ents = this.ents;
    const key = ents[e]!;
    e = ents[e + 3]! - E;
    while (e >= 0 && ents[e] !== key) e = ents[e + 3]! - E;
    return e;
  }

  /** The value of entry `e` (from first/nextOf). */
  value(e: number): number {
    return this.ents[e + 1]!;
  }

  /** The record offset stored with entry `e`'s value. */
  offOf(e: number): number {
    return this.ents[e + 2]!;
  }
}
