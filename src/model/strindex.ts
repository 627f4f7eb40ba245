/**
 * An index of a string section: byte string → offset of its first occurrence, for libbpf's
 * btf__find_str / btf__add_str, without a JS string per indexed string.
 *
 * Approach: open addressing over an Int32Array of (offset + 1) entries, keyed by a hash of
 * the string's length and bytes; a probe compares the bytes in the section itself. Building it
 * is one pass over the section (a vmlinux's 2–3 MB of strings, where a Map keyed by decoded
 * strings took hundreds of milliseconds): each string's end is found by the native
 * `indexOf(0)`, and a string longer than 16 bytes is hashed on its length, first 8 and last 8
 * bytes only (kernel names share prefixes and suffixes, rarely both at one length), so the
 * build reads about half the bytes. Lookups take latin1 keys (char code = byte), the project's
 * exact-bytes string form (strings.ts).
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Strings up to this length are hashed on every byte; longer ones on both ends. */
const FULL = 16;
const END = 8;

/** The hash of the `n` bytes at `off`. */
function hashBytes(s: Uint8Array, off: number, n: number): number {
  let h = Math.imul(FNV_OFFSET ^ n, FNV_PRIME);
  if (n <= FULL) {
    for (let i = off, e = off + n; i < e; i++) h = Math.imul(h ^ s[i]!, FNV_PRIME);
  } else {
    for (let i = off, e = off + END; i < e; i++) h = Math.imul(h ^ s[i]!, FNV_PRIME);
    for (let i = off + n - END, e = off + n; i < e; i++) h = Math.imul(h ^ s[i]!, FNV_PRIME);
  }
  return h >>> 0;
}

/** hashBytes of a latin1 key's bytes. */
function hashKey(key: string): number {
  const n = key.length;
  let h = Math.imul(FNV_OFFSET ^ n, FNV_PRIME);
  if (n <= FULL) {
    for (let i = 0; i < n; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
  } else {
    for (let i = 0; i < END; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
    for (let i = n - END; i < n; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
  }
  return h >>> 0;
}

/** End of the string at `off` (its NUL), or `len` when it has none before `len`. */
function strEndAt(s: Uint8Array, off: number, len: number): number {
  let e = off;
  while (e < len && s[e] !== 0) e++;
  return e;
}

export class StrIndex {
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  /** Indexes every string of `strs[0, len)` (the first of equal strings wins). */
  constructor(private strs: Uint8Array, len: number) {
    let cap = 1024;
    while (cap < len / 8) cap <<= 1;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    // hashBytes and strEndAt, inline: this loop runs once per process, mostly before V8
    // optimizes it, where every call costs
    let off = 0;
    while (off < len) {
      let e = off;
      while (e < len && strs[e] !== 0) e++;
      const n = e - off;
      let h = Math.imul(FNV_OFFSET ^ n, FNV_PRIME);
      if (n <= FULL) {
        for (let i = off; i < e; i++) h = Math.imul(h ^ strs[i]!, FNV_PRIME);
      } else {
        for (let i = off, x = off + END; i < x; i++) h = Math.imul(h ^ strs[i]!, FNV_PRIME);
        for (let i = e - END; i < e; i++) h = Math.imul(h ^ strs[i]!, FNV_PRIME);
      }
      h >>>= 0;
      // insertHashed, inline
      if ((this.count + 1) * 2 > this.slots.length) this.grow();
      const slots = this.slots;
      const mask = this.mask;
      for (let i = h & mask; ; i = (i + 1) & mask) {
        const v = slots[i]!;
        if (v === 0) {
          slots[i] = off + 1;
          this.count++;
          break;
        }
        const o = v - 1;
        if (strs[o + n] !== 0) continue;
        let j = 0;
        while (j < n && strs[o + j] === strs[off + j]) j++;
        if (j === n) break; // already there: the first occurrence stays
      }
      off = e + 1;
    }
  }

  /** Offset of the string with these bytes (a latin1 key), or -1. */
  find(key: string): number {
    const h = hashKey(key);
    const s = this.strs;
    const n = key.length;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i]!;
      if (v === 0) return -1;
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
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i]!;
      if (v === 0) return -1;
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
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const s = this.strs;
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i]!;
      if (v === 0) {
        this.slots[i] = off + 1;
        this.count++;
        return;
      }
      const o = v - 1;
      if (s[o + len] !== 0) continue;
      let j = 0;
      while (j < len && s[o + j] === s[off + j]) j++;
      if (j === len) return; // already there: the first occurrence stays
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.slots.length - 1;
    this.count = 0;
    const s = this.strs;
    for (const v of old) {
      if (v === 0) continue;
      const off = v - 1;
      const e = strEndAt(s, off, s.length);
      this.insertHashed(off, e - off, hashBytes(s, off, e - off));
    }
  }
}
