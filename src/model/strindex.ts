/**
 * An index of a string section: byte string → offset of its first occurrence, for libbpf's
 * btf__find_str / btf__add_str, without a JS string per indexed string.
 *
 * Approach: open addressing over an Int32Array of (offset + 1) entries, keyed by FNV-1a of
 * the string's bytes; a probe compares the bytes in the section itself. Building it is one
 * pass over the section (a vmlinux's 2–3 MB of strings hash in a few milliseconds, where a Map
 * keyed by decoded strings took hundreds). Lookups take latin1 keys (char code = byte), the
 * project's exact-bytes string form (strings.ts).
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

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
    let off = 0;
    while (off < len) {
      let h = FNV_OFFSET;
      let e = off;
      while (e < len && strs[e] !== 0) h = Math.imul(h ^ strs[e++]!, FNV_PRIME);
      this.insertHashed(off, e - off, h >>> 0);
      off = e + 1;
    }
  }

  /** Offset of the string with these bytes (a latin1 key), or -1. */
  find(key: string): number {
    let h = FNV_OFFSET;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), FNV_PRIME);
    const s = this.strs;
    const n = key.length;
    for (let i = (h >>> 0) & this.mask; ; i = (i + 1) & this.mask) {
      const v = this.slots[i]!;
      if (v === 0) return -1;
      const off = v - 1;
      if (s[off + n] !== 0) continue;
      let j = 0;
      while (j < n && s[off + j] === key.charCodeAt(j)) j++;
      if (j === n) return off;
    }
  }

  /** Indexes a string just appended at `off` (its bytes end with a NUL); `strs` may have grown. */
  added(strs: Uint8Array, off: number, len: number): void {
    this.strs = strs;
    let h = FNV_OFFSET;
    for (let i = off; i < off + len; i++) h = Math.imul(h ^ strs[i]!, FNV_PRIME);
    this.insertHashed(off, len, h >>> 0);
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
      let h = FNV_OFFSET;
      let e = off;
      while (s[e] !== 0) h = Math.imul(h ^ s[e++]!, FNV_PRIME);
      this.insertHashed(off, e - off, h >>> 0);
    }
  }
}
