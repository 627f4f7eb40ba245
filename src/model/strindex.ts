/**
 * An index of a string section: byte string → offset of its first occurrence, for libbpf's
 * btf__find_str / btf__add_str, without a JS string per indexed string.
 *
 * Approach: open addressing over an Int32Array of (offset + 1, hash) pairs, keyed by a hash of
 * the string's length and 12 of its bytes (the first, middle and last four: kernel names that
 * share a prefix or suffix rarely share all three at one length); a probe compares the stored
 * hash first and the bytes in the section only when it matches, so that a lookup that fails
 * (most of a module's strings, against a kernel's) reads one slot, not the kernel's strings,
 * and growing moves entries without rehashing them. Building it is one pass over the section
 * (a vmlinux's 2–3 MB of strings, where a Map keyed by decoded strings took hundreds of
 * milliseconds) that finds each string's end several bytes at a time and reads 12 bytes of it,
 * instead of hashing every byte. That pass runs in WebAssembly where it can (src/accel/accel.c:
 * the same loop in C, 16 bytes at a time with SIMD), else in JavaScript (indexAll, four bytes at
 * a time): a one-shot command indexes a kernel's strings once, mostly before V8 has optimized
 * the JavaScript loop, which took 22–31 ms for Linux 6.12's 2.3 MB of strings inside a fresh
 * Node 20 `btfkit encode` against 11–18 ms in WebAssembly (instantiation, copies and the table's
 * page faults included). The table is sized by the strings counted first (tableSlots: half
 * full at most; 2 MB for a kernel's 114k strings, where one slot per 8 bytes took 4 MB, each
 * page of which a fresh process pays for in a page fault).
 * Lookups take latin1 keys (char code = byte), the project's exact-bytes string form
 * (strings.ts), or bytes.
 */

import { buildStrIndexSlots } from '../accel/accel.js';

const SEED = 0x9e3779b1;
const MIX = 0x85ebca6b;

/** The hash of the `n` bytes at `off`: length, first, middle and last four bytes. */
export function hashBytes(s: Uint8Array, off: number, n: number): number {
  let h = Math.imul(n ^ SEED, MIX);
  if (n >= 4) {
    const m = off + (n >>> 1) - 2;
    const l = off + n - 4;
    h = Math.imul(h ^ (s[off]! | (s[off + 1]! << 8) | (s[off + 2]! << 16) | (s[off + 3]! << 24)), MIX);
    h = Math.imul(h ^ (s[m]! | (s[m + 1]! << 8) | (s[m + 2]! << 16) | (s[m + 3]! << 24)), MIX);
    h = Math.imul(h ^ (s[l]! | (s[l + 1]! << 8) | (s[l + 2]! << 16) | (s[l + 3]! << 24)), MIX);
  } else {
    for (let i = off; i < off + n; i++) h = Math.imul(h ^ s[i]!, MIX);
  }
  return (h ^ (h >>> 15)) >>> 0;
}

/** hashBytes of a latin1 key's bytes. */
function hashKey(k: string): number {
  const n = k.length;
  let h = Math.imul(n ^ SEED, MIX);
  if (n >= 4) {
    const m = (n >>> 1) - 2;
    const l = n - 4;
    h = Math.imul(h ^ (k.charCodeAt(0) | (k.charCodeAt(1) << 8) | (k.charCodeAt(2) << 16) | (k.charCodeAt(3) << 24)), MIX);
    h = Math.imul(h ^ (k.charCodeAt(m) | (k.charCodeAt(m + 1) << 8) | (k.charCodeAt(m + 2) << 16) | (k.charCodeAt(m + 3) << 24)), MIX);
    h = Math.imul(h ^ (k.charCodeAt(l) | (k.charCodeAt(l + 1) << 8) | (k.charCodeAt(l + 2) << 16) | (k.charCodeAt(l + 3) << 24)), MIX);
  } else {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ k.charCodeAt(i), MIX);
  }
  return (h ^ (h >>> 15)) >>> 0;
}

/**
 * The slots of a table for the strings of `strs[0, len)`: at most half full with every string
 * counted (repeats too, so that it never fills), at least 1024 (strindex.h strindex_cap is its
 * twin). A kernel's ~114k strings take 2^18 slots (2 MB).
 */
export function tableSlots(strs: Uint8Array, len: number): number {
  let count = 0;
  for (let i = 0; i < len; i++) if (strs[i] === 0) count++;
  let cap = 1024;
  while (cap < 2 * count && cap < 2 ** 30) cap *= 2;
  return cap;
}

export class StrIndex {
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  /**
   * Indexes every string of `strs[0, len)` (the first of equal strings wins): in WebAssembly
   * (src/accel, the same loop compiled) where it can run, else here.
   */
  constructor(private strs: Uint8Array, len: number) {
    const built = len > 0 ? buildStrIndexSlots(strs, len) : null;
    if (built !== null && built !== 'full') {
      this.slots = built.slots;
      this.mask = built.cap - 1;
      this.count = built.count;
      return;
    }
    const cap = tableSlots(strs, len);
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
    this.indexAll(len);
  }

  /** The table as it is: (offset + 1, hash) pairs, mask + 1 of them (accel's C code looks strings up in it). */
  table(): { slots: Int32Array; mask: number } {
    return { slots: this.slots, mask: this.mask };
  }

  /** The constructor's loop in JavaScript (accel.c btfkit_strindex_build is its twin). */
  private indexAll(len: number): void {
    const strs = this.strs;
    // the section as 32-bit words for the search of NULs (a copy when it is not 4-aligned)
    let bytes = strs;
    if (strs.byteOffset & 3) {
      bytes = new Uint8Array(len + 4);
      bytes.set(strs.subarray(0, len));
    }
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, len >>> 2);
    const nw = len >>> 2;
    // one pass: each string's end found a word at a time, then hashed and entered (calling
    // hashBytes and insertHashed measured no slower than copies of them written inline here)
    let off = 0;
    while (off < len) {
      let e = off;
      while (e < len && (e & 3) !== 0 && strs[e] !== 0) e++;
      if (e < len && strs[e] !== 0) {
        // aligned: skip the words without a zero byte
        let w = e >>> 2;
        while (w < nw) {
          const v = words[w]!;
          if (((v - 0x01010101) & ~v & 0x80808080) !== 0) break;
          w++;
        }
        e = w << 2;
        while (e < len && strs[e] !== 0) e++;
      }
      const n = e - off;
      const h = hashBytes(strs, off, n);
      this.insertHashed(off, n, h);
      off = e + 1;
    }
  }

  /** Offset of the string with these bytes (a latin1 key), or -1. */
  find(key: string): number {
    const h = hashKey(key);
    const s = this.strs;
    const n = key.length;
    const slots = this.slots;
    const tag = h | 0;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = slots[2 * i]!;
      if (v === 0) return -1;
      if (slots[2 * i + 1] !== tag) continue;
      const off = v - 1;
      if (s[off + n] !== 0) continue;
      let j = 0;
      while (j < n && s[off + j] === key.charCodeAt(j)) j++;
      if (j === n) return off;
    }
  }

  /** Offset of the string with the `n` bytes `src[at, at + n)`, or -1. */
  findBytes(src: Uint8Array, at: number, n: number): number {
    const h = hashBytes(src, at, n);
    const s = this.strs;
    const slots = this.slots;
    const tag = h | 0;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = slots[2 * i]!;
      if (v === 0) return -1;
      if (slots[2 * i + 1] !== tag) continue;
      const off = v - 1;
      if (s[off + n] !== 0) continue;
      let j = 0;
      while (j < n && s[off + j] === src[at + j]) j++;
      if (j === n) return off;
    }
  }

  /** Indexes a string just appended at `off` (its bytes end with a NUL); `strs` may have grown. */
  added(strs: Uint8Array, off: number, len: number): void {
    this.strs = strs;
    this.insertHashed(off, len, hashBytes(strs, off, len));
  }

  private insertHashed(off: number, len: number, h: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    const s = this.strs;
    const slots = this.slots;
    const tag = h | 0;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = slots[2 * i]!;
      if (v === 0) {
        slots[2 * i] = off + 1;
        slots[2 * i + 1] = tag;
        this.count++;
        return;
      }
      if (slots[2 * i + 1] !== tag) continue;
      const o = v - 1;
      if (s[o + len] !== 0) continue;
      let j = 0;
      while (j < len && s[o + j] === s[off + j]) j++;
      if (j === len) return; // already there: the first occurrence stays
    }
  }

  /** Twice the slots; entries move by their stored hashes (distinct strings: no comparisons). */
  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    const slots = this.slots;
    const mask = this.mask;
    for (let k = 0; k < old.length; k += 2) {
      const v = old[k]!;
      if (v === 0) continue;
      const tag = old[k + 1]!;
      let i = (tag >>> 0) & mask;
      while (slots[2 * i] !== 0) i = (i + 1) & mask;
      slots[2 * i] = v;
      slots[2 * i + 1] = tag;
    }
  }
}
