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
 * Approach: the distinct strings in a pool of the cache's own, each as its value (4 bytes,
 * little-endian), its bytes and a NUL, indexed by a StrIndex (src/model/strindex.ts, the
 * index of BTF string sections: same hash, same table); a hit compares against the small pool,
 * not against the string's first copy somewhere in megabytes of DWARF.
 */

import { growU8 } from '../model/grow.js';
import { StrIndex } from '../model/strindex.js';

export class StrCache {
  private pool = new Uint8Array(1 << 16);
  private poolLen = 0;
  private readonly index = new StrIndex(this.pool, 0);

  /** The value of the `n` bytes at `at` in `src`, or -1. */
  get(src: Uint8Array, at: number, n: number): number {
    const o = this.index.findBytes(src, at, n);
    if (o < 0) return -1;
    const p = this.pool;
    return p[o - 4]! | (p[o - 3]! << 8) | (p[o - 2]! << 16) | (p[o - 1]! << 24);
  }

  /** Stores `val` (0 <= val < 2^31) for the `n` bytes at `at` in `src`, which get did not find. */
  set(src: Uint8Array, at: number, n: number, val: number): void {
    const o = this.poolLen + 4;
    const p = (this.pool = growU8(this.pool, o + n + 1));
    p[o - 4] = val & 0xff;
    p[o - 3] = (val >>> 8) & 0xff;
    p[o - 2] = (val >>> 16) & 0xff;
    p[o - 1] = val >>> 24;
    p.set(src.subarray(at, at + n), o);
    p[o + n] = 0;
    this.poolLen = o + n + 1;
    this.index.added(p, o, n);
  }
}
