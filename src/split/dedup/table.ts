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
 * entries of one key. We keep one list per key (keys found by open addressing) instead of
 * bucket chains, and never re-link: a list is stored in the orientation it would have after
 * an even number of growths, so an entry appended after an even number of growths goes to
 * its front and one appended after an odd number to its back, and an iteration walks it
 * forward or backward by the parity of growths so far. Growths are only counted (libbpf's
 * rule), never performed on the entries. Storage is typed arrays, no object per entry.
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

/** Per key slot: lo, hi, first entry + 1, last entry + 1 (0 = free slot / none). */
const SLOT = 4;

export class CandidateTable {
  private slots = new Int32Array(SLOT * 1024);
  private slotMask = 1023;
  private nKeys = 0;
  private vals = new Uint32Array(64);
  /** Links of the stored orientation, entry + 1 (0 = none). */
  private next = new Int32Array(64);
  private prev = new Int32Array(64);
  /** libbpf's emulated capacity and the parity of its growths so far. */
  private cap = 0;
  private odd = 0;
  size = 0;

  private slotOf(lo: number, hi: number): number {
    return (Math.imul((lo ^ Math.imul(hi, 0x85ebca6b)) | 0, 0x9e3779b1) >>> 12) & this.slotMask;
  }

  /** Slot index (× SLOT) of key (lo, hi), or -1. */
  private find(lo: number, hi: number): number {
    const slots = this.slots;
    const mask = this.slotMask;
    lo |= 0;
    hi |= 0;
    for (let i = this.slotOf(lo, hi); ; i = (i + 1) & mask) {
      const q = i * SLOT;
      if (slots[q + 2] === 0) return -1;
      if (slots[q] === lo && slots[q + 1] === hi) return q;
    }
  }

  private growSlots(): void {
    const old = this.slots;
    const n = (this.slotMask + 1) * 2;
    this.slots = new Int32Array(SLOT * n);
    this.slotMask = n - 1;
    for (let q = 0; q < old.length; q += SLOT) {
      if (old[q + 2] === 0) continue;
      let i = this.slotOf(old[q]!, old[q + 1]!);
      while (this.slots[i * SLOT + 2] !== 0) i = (i + 1) & this.slotMask;
      this.slots.set(old.subarray(q, q + SLOT), i * SLOT);
    }
  }

  /** hashmap__append(key, value). */
  append(lo: number, hi: number, value: number): void {
    // libbpf's growth rule, counted only
    if (this.cap === 0 || Math.floor(((this.size + 1) * 4) / 3) > this.cap) {
      this.cap = this.cap === 0 ? 4 : this.cap * 2;
      this.odd ^= 1;
    }
    const e = this.size;
    if (e >= this.vals.length) {
      this.vals = growU32(this.vals, e + 1);
      this.next = growI32(this.next, e + 1);
      this.prev = growI32(this.prev, e + 1);
    }
    this.vals[e] = value;
    this.size++;
    let q = this.find(lo, hi);
    if (q < 0) {
      if ((this.nKeys + 1) * 2 > this.slotMask + 1) this.growSlots();
      const slots = this.slots;
      const mask = this.slotMask;
      let i = this.slotOf(lo | 0, hi | 0);
      while (slots[i * SLOT + 2] !== 0) i = (i + 1) & mask;
      q = i * SLOT;
      slots[q] = lo | 0;
      slots[q + 1] = hi | 0;
      slots[q + 2] = e + 1;
      slots[q + 3] = e + 1;
      this.next[e] = 0;
      this.prev[e] = 0;
      this.nKeys++;
      return;
    }
    const slots = this.slots;
    if (this.odd === 0) {
      // libbpf's head, in the stored orientation: the front
      const f = slots[q + 2]!;
      this.next[e] = f;
      this.prev[e] = 0;
      this.prev[f - 1] = e + 1;
      slots[q + 2] = e + 1;
    } else {
      const l = slots[q + 3]!;
      this.prev[e] = l;
      this.next[e] = 0;
      this.next[l - 1] = e + 1;
      slots[q + 3] = e + 1;
    }
  }

  /** First entry with this key (in libbpf's iteration order), or -1. */
  first(lo: number, hi: number): number {
    const q = this.find(lo, hi);
    if (q < 0) return -1;
    return this.slots[q + (this.odd === 0 ? 2 : 3)]! - 1;
  }

  /** The entry after `e` with the same key, or -1. */
  nextOf(e: number): number {
    return (this.odd === 0 ? this.next[e]! : this.prev[e]!) - 1;
  }

  value(e: number): number {
    return this.vals[e]!;
  }
}
