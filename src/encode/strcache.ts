/**
 * The encoder's string cache: the bytes of a DWARF string → the BTF string offset they were
 * interned at (btf__add_str's answer), so that each distinct name is looked up in the kernel's
 * and the module's string tables once.
 *
 * Keyed by content, not by where the string is: `ld -r` keeps every unit's copy of a string
 * (a ZFS build's .debug_str holds 1.09M strings, 31k of them distinct), so a cache keyed by
 * string position answered 15% of a large module's lookups and grew to millions of entries;
 * by content it answers all but one per distinct string and stays small.
 *
 * Approach: open addressing over one Int32Array of 4-word slots (hash, pool offset + 1, length,
 * value), grown at half load; the hash is StrIndex's (length and 12 sampled bytes, see
 * src/model/strindex.ts). Each distinct string's bytes are kept in a pool of their own, one
 * after the other, so that the comparison after a hash match reads that small pool rather than
 * the string's first copy somewhere in megabytes of DWARF (a cache miss per lookup).
 */

import { growU8 } from '../model/grow.js';

export class StrCache {
  /** Slot i at 4i: hash, pool offset + 1 (0: empty), length, value. */
  private slots: Int32Array;
  private mask: number;
  private count = 0;
  private pool = new Uint8Array(1 << 16);
  private poolLen = 0;

  constructor(capacity = 4096) {
    let cap = 1024;
    while (cap < capacity * 2) cap <<= 1;
    this.slots = new Int32Array(cap * 4);
    this.mask = cap - 1;
  }

  /** The value of the `n` bytes at `at` in `src` (hash `h`), or -1. */
  get(src: Uint8Array, at: number, n: number, h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const pool = this.pool;
    const tag = h | 0;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const p = 4 * i;
      const o1 = slots[p + 1]!;
      if (o1 === 0) return -1;
      if (slots[p] !== tag || slots[p + 2] !== n) continue;
      const o = o1 - 1;
      let j = 0;
      while (j < n && pool[o + j] === src[at + j]) j++;
      if (j === n) return slots[p + 3]!;
    }
  }

  /** Stores `val` for the `n` bytes at `at` in `src` (hash `h`), which get did not find. */
  set(src: Uint8Array, at: number, n: number, h: number, val: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const o = this.poolLen;
    this.pool = growU8(this.pool, o + n);
    this.pool.set(src.subarray(at, at + n), o);
    this.poolLen = o + n;
    this.insert(h | 0, o + 1, n, val);
    this.count++;
  }

  private insert(tag: number, o1: number, n: number, val: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = tag & mask;
    while (slots[4 * i + 1] !== 0) i = (i + 1) & mask;
    const p = 4 * i;
    slots[p] = tag;
    slots[p + 1] = o1;
    slots[p + 2] = n;
    slots[p + 3] = val;
  }

  /** Twice the slots; entries move by their stored hashes (distinct strings: no comparisons). */
  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    for (let p = 0; p < old.length; p += 4) if (old[p + 1] !== 0) this.insert(old[p]!, old[p + 1]!, old[p + 2]!, old[p + 3]!);
  }
}
