/**
 * libbpf's dedup hash signatures and candidate table.
 *
 * Approach: libbpf combines u32 fields into an `unsigned long` (64-bit) with h = h * 31 + v.
 * We keep the 64-bit value as two u32 halves (lo, hi): lo * 31 + v stays below 2^37, exact in
 * a double, and its carry goes into hi (hi * 31 via Math.imul). Two signatures are the same
 * key only when both halves are equal, exactly as libbpf's `long` keys compare.
 *
 * The candidate table reproduces the *order* in which libbpf's hashmap lists the entries of
 * one key: a new entry goes to the head of its bucket's chain, and each growth (when empty,
 * or when (size + 1) * 4 / 3 > capacity, capacity doubling from 4) re-links every chain by
 * pushing entries onto the heads of the new chains, which reverses the relative order of the
 * entries of one key. We never re-link: the buckets are fixed (as many as the object has
 * types, so chains stay short), and each chain is doubly linked in the orientation it would
 * have after an even number of growths: an entry appended after an even number of growths
 * goes to its front, one appended after an odd number to its back, and an iteration walks it
 * forward or backward by the parity of the growths so far. Reversing a whole chain reverses
 * the entries of each key in it, so each key sees libbpf's order. Growths are only counted
 * (libbpf's rule), never performed. Storage is typed arrays, no object per entry.
 *
 * Reference behaviour: libbpf v1.7.0 hashmap.c (hashmap__append, hashmap_grow,
 * hashmap__for_each_key_entry) and btf.c hash_combine.
 */

import { growI32, growU32 } from '../../model/grow.js';

const INV_TWO32 = 1 / 4294967296;

/** A 64-bit hash under construction: h = h * 31 + v over u32 values. */
export class Hash64 {
  lo = 0;
  hi = 0;

  reset(v: number): this {
    this.lo = v >>> 0;
    this.hi = 0;
    return this;
  }

  add(v: number): this {
    const t = this.lo * 31 + (v >>> 0);
    const lo = t >>> 0;
    // (t - lo) * 2^-32 is the exact carry (below 31)
    this.hi = (Math.imul(this.hi, 31) + (t - lo) * INV_TWO32) >>> 0;
    this.lo = lo;
    return this;
  }
}

export class CandidateTable {
  /** Per bucket: first and last entry + 1 of its chain, stored orientation (0 = none). */
  private heads: Int32Array;
  private tails: Int32Array;
  private bits: number;
  private keyLo: Int32Array;
  private keyHi: Int32Array;
  private vals: Uint32Array;
  /** Links of the stored orientation, entry + 1 (0 = none). */
  private next: Int32Array;
  private prev: Int32Array;
  /** libbpf's emulated capacity and the parity of its growths so far. */
  private cap = 0;
  private odd = 0;
  /** Entries as libbpf counts them (growth points), stored or skipped (skip()). */
  size = 0;
  /** Entries stored. */
  private n = 0;

  /** `expected`: about how many entries there will be (sizes the buckets; more is fine). */
  constructor(expected: number) {
    let bits = 4;
    while (bits < 26 && 1 << bits < expected) bits++;
    this.bits = bits;
    this.heads = new Int32Array(1 << bits);
    this.tails = new Int32Array(1 << bits);
    const n = Math.max(16, expected);
    this.keyLo = new Int32Array(n);
    this.keyHi = new Int32Array(n);
    this.vals = new Uint32Array(n);
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
  }

  private bucket(lo: number, hi: number): number {
    return Math.imul((lo ^ Math.imul(hi, 0x85ebca6b)) | 0, 0x9e3779b1) >>> (32 - this.bits);
  }

  /**
   * hashmap__append of n keys and values in order (what n append calls do): a loop with
   * nothing but the linking, whose bucket misses the CPU can overlap.
   */
  appendAll(los: Int32Array, his: Int32Array, values: Uint32Array, n: number): void {
    if (this.n + n > this.vals.length) {
      const need = this.n + n;
      this.keyLo = growI32(this.keyLo, need);
      this.keyHi = growI32(this.keyHi, need);
      this.vals = growU32(this.vals, need);
      this.next = growI32(this.next, need);
      this.prev = growI32(this.prev, need);
    }
    const { keyLo, keyHi, vals, next, prev, heads, tails } = this;
    const shift = 32 - this.bits;
    let cap = this.cap;
    let odd = this.odd;
    let e = this.n;
    let c = this.size;
    for (let i = 0; i < n; i++, e++, c++) {
      if (cap === 0 || Math.floor(((c + 1) * 4) / 3) > cap) {
        cap = cap === 0 ? 4 : cap * 2;
        odd ^= 1;
      }
      const lo = los[i]!;
      const hi = his[i]!;
      keyLo[e] = lo;
      keyHi[e] = hi;
      vals[e] = values[i]!;
      const b = Math.imul((lo ^ Math.imul(hi, 0x85ebca6b)) | 0, 0x9e3779b1) >>> shift;
      const f = heads[b]!;
      if (f === 0) {
        heads[b] = tails[b] = e + 1;
        next[e] = prev[e] = 0;
      } else if (odd === 0) {
        next[e] = f;
        prev[e] = 0;
        prev[f - 1] = e + 1;
        heads[b] = e + 1;
      } else {
        const l = tails[b]!;
        prev[e] = l;
        next[e] = 0;
        next[l - 1] = e + 1;
        tails[b] = e + 1;
      }
    }
    this.cap = cap;
    this.odd = odd;
    this.n = e;
    this.size = c;
  }

  /**
   * `n` entries that no lookup can ever take (dedupPrep's filter): counted as libbpf's appends
   * (their growths flip the orientation), not stored.
   */
  skip(n = 1): void {
    let cap = this.cap;
    let odd = this.odd;
    const end = this.size + n;
    for (let c = this.size; c < end; c++) {
      if (cap === 0 || Math.floor(((c + 1) * 4) / 3) > cap) {
        cap = cap === 0 ? 4 : cap * 2;
        odd ^= 1;
      }
    }
    this.cap = cap;
    this.odd = odd;
    this.size = end;
  }

  /** hashmap__append(key, value). */
  append(lo: number, hi: number, value: number): void {
    // libbpf's growth rule, counted only
    if (this.cap === 0 || Math.floor(((this.size + 1) * 4) / 3) > this.cap) {
      this.cap = this.cap === 0 ? 4 : this.cap * 2;
      this.odd ^= 1;
    }
    const e = this.n++;
    if (e >= this.vals.length) {
      this.keyLo = growI32(this.keyLo, e + 1);
      this.keyHi = growI32(this.keyHi, e + 1);
      this.vals = growU32(this.vals, e + 1);
      this.next = growI32(this.next, e + 1);
      this.prev = growI32(this.prev, e + 1);
    }
    this.keyLo[e] = lo;
    this.keyHi[e] = hi;
    this.vals[e] = value;
    this.size++;
    const b = this.bucket(lo, hi);
    const f = this.heads[b]!;
    if (f === 0) {
      this.heads[b] = this.tails[b] = e + 1;
      this.next[e] = this.prev[e] = 0;
    } else if (this.odd === 0) {
      // libbpf's head is the stored front
      this.next[e] = f;
      this.prev[e] = 0;
      this.prev[f - 1] = e + 1;
      this.heads[b] = e + 1;
    } else {
      const l = this.tails[b]!;
      this.prev[e] = l;
      this.next[e] = 0;
      this.next[l - 1] = e + 1;
      this.tails[b] = e + 1;
    }
  }

  /** First entry with this key (in libbpf's iteration order), or -1. */
  first(lo: number, hi: number): number {
    const b = this.bucket(lo, hi);
    return this.scan((this.odd === 0 ? this.heads[b]! : this.tails[b]!) - 1, lo | 0, hi | 0);
  }

  /** The entry after `e` with the same key, or -1. */
  nextOf(e: number): number {
    return this.scan(this.step(e), this.keyLo[e]!, this.keyHi[e]!);
  }

  value(e: number): number {
    return this.vals[e]!;
  }

  private step(e: number): number {
    return (this.odd === 0 ? this.next[e]! : this.prev[e]!) - 1;
  }

  private scan(e: number, lo: number, hi: number): number {
    while (e >= 0 && (this.keyLo[e] !== lo || this.keyHi[e] !== hi)) e = this.step(e);
    return e;
  }
}
