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
 * entries of one key. The bucket function is our own: entries of one key always share a
 * bucket, so the per-key order depends only on the append and growth sequence, which we
 * replay exactly. Storage is typed arrays (key halves, value, next link), no object per entry.
 *
 * Reference behaviour: libbpf v1.7.0 hashmap.c (hashmap__append, hashmap_grow,
 * hashmap__for_each_key_entry) and btf.c hash_combine.
 */

import { growI32, growU32 } from '../../model/grow.js';

const TWO32 = 4294967296;

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
    const carry = Math.floor(t / TWO32);
    this.lo = t >>> 0;
    this.hi = (Math.imul(this.hi, 31) + carry) >>> 0;
    return this;
  }
}

export class CandidateTable {
  private keyLo = new Uint32Array(64);
  private keyHi = new Uint32Array(64);
  private vals = new Uint32Array(64);
  private next = new Int32Array(64);
  private buckets = new Int32Array(0);
  private bits = 0;
  private cap = 0;
  /** Entries as libbpf counts them (growth points), stored or skipped. */
  size = 0;
  /** Entries stored. */
  private n = 0;

  private bucket(lo: number, hi: number): number {
    if (this.bits === 0) return 0;
    return Math.imul((lo ^ Math.imul(hi, 0x85ebca6b)) >>> 0, 0x9e3779b1) >>> (32 - this.bits);
  }

  private grow(): void {
    const bits = Math.max(this.bits + 1, 2);
    const cap = 2 ** bits;
    const nb = new Int32Array(cap).fill(-1);
    const old = this.buckets;
    this.bits = bits;
    for (let b = 0; b < this.cap; b++) {
      let e = old[b]!;
      while (e >= 0) {
        const nx = this.next[e]!;
        const h = this.bucket(this.keyLo[e]!, this.keyHi[e]!);
        this.next[e] = nb[h]!;
        nb[h] = e;
        e = nx;
      }
    }
    this.buckets = nb;
    this.cap = cap;
  }

  /**
   * `n` entries that no lookup can ever take: the table grows as libbpf's does when they are
   * appended (each growth reverses the order of every key's entries), but they are not stored.
   */
  skip(n = 1): void {
    const end = this.size + n;
    while (this.size < end) {
      // the next size at which an append grows the table (hashmap_needs_to_grow)
      let g = Math.max(this.size, Math.floor(((this.cap + 1) * 3) / 4) - 2);
      while (!(this.cap === 0 || Math.floor(((g + 1) * 4) / 3) > this.cap)) g++;
      if (g >= end) {
        this.size = end;
        return;
      }
      this.size = g;
      this.grow();
      this.size++;
    }
  }

  /** hashmap__append(key, value). */
  append(lo: number, hi: number, value: number): void {
    if (this.cap === 0 || Math.floor(((this.size + 1) * 4) / 3) > this.cap) this.grow();
    const e = this.n++;
    if (e >= this.vals.length) {
      this.keyLo = growU32(this.keyLo, e + 1);
      this.keyHi = growU32(this.keyHi, e + 1);
      this.vals = growU32(this.vals, e + 1);
      this.next = growI32(this.next, e + 1);
    }
    const h = this.bucket(lo, hi);
    this.keyLo[e] = lo;
    this.keyHi[e] = hi;
    this.vals[e] = value;
    this.next[e] = this.buckets[h]!;
    this.buckets[h] = e;
    this.size++;
  }

  /** First entry with this key (in libbpf's iteration order), or -1. */
  first(lo: number, hi: number): number {
    if (this.cap === 0) return -1;
    return this.scan(this.buckets[this.bucket(lo, hi)]!, lo, hi);
  }

  /** The entry after `e` with the same key, or -1. */
  nextOf(e: number): number {
    return this.scan(this.next[e]!, this.keyLo[e]!, this.keyHi[e]!);
  }

  value(e: number): number {
    return this.vals[e]!;
  }

  private scan(e: number, lo: number, hi: number): number {
    while (e >= 0 && (this.keyLo[e] !== lo || this.keyHi[e] !== hi)) e = this.next[e]!;
    return e;
  }
}
