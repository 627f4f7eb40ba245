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
 * Approach: open addressing over one Int32Array of 4-word slots (hash, section + 1, offset,
 * value), grown at half load; the hash is StrIndex's (length and 12 sampled bytes, see
 * src/model/strindex.ts). A slot's string is its first occurrence, read where it lies in the
 * DWARF sections the cache was made for; a probe compares the stored hash first and the bytes
 * only when it matches.
 */

export class StrCache {
  /** Slot i at 4i: hash, section index + 1 (0: empty), offset in that section, value. */
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  /** `sections`: the string sources, indexed as get/set's `sec` (their bytes never change). */
  constructor(private readonly sections: readonly Uint8Array[], capacity = 4096) {
    let cap = 1024;
    while (cap < capacity * 2) cap <<= 1;
    this.slots = new Int32Array(cap * 4);
    this.mask = cap - 1;
  }

  /** The value of the `n` bytes at `at` in sections[sec] (hash `h`), or -1. */
  get(sec: number, at: number, n: number, h: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const src = this.sections[sec]!;
    const tag = h | 0;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const p = 4 * i;
      const s = slots[p + 1]!;
      if (s === 0) return -1;
      if (slots[p] !== tag) continue;
      const have = this.sections[s - 1]!;
      const o = slots[p + 2]!;
      if (have[o + n] !== 0) continue;
      let j = 0;
      while (j < n && have[o + j] === src[at + j]) j++;
      if (j === n) return slots[p + 3]!;
    }
  }

  /** Stores `val` for the string at `at` in sections[sec] (hash `h`), which get did not find. */
  set(sec: number, at: number, h: number, val: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    this.insert(h | 0, sec + 1, at, val);
    this.count++;
  }

  private insert(tag: number, sec1: number, at: number, val: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = tag & mask;
    while (slots[4 * i + 1] !== 0) i = (i + 1) & mask;
    const p = 4 * i;
    slots[p] = tag;
    slots[p + 1] = sec1;
    slots[p + 2] = at;
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
