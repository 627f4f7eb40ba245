/**
 * libbpf btf_dump's name maps (`type_names`, `ident_names`): string -> number of times the
 * name was seen, used to give duplicates a `___N` suffix.
 *
 * Approach: keys are BTF strings, so the map stores their logical offsets into the flat
 * string buffer instead of JS strings. It is an open-addressing hash table on the string
 * bytes (equal strings at different offsets are the same key, as with libbpf's strcmp). One
 * Int32Array holds the slots, four words each (key offset, hash, count, unused), so a probe
 * touches one cache line; the table starts small and doubles at half full (a vmlinux header
 * counts ~30k names). No allocation per lookup.
 */

const SLOT = 4;

export class NameCounter {
  /** Per slot: key offset (-1 = empty), hash, count, unused. */
  private t: Int32Array;
  private mask: number;
  private size = 0;

  constructor(private readonly S: Uint8Array, capacity = 1 << 12) {
    let cap = 16;
    while (cap < capacity * 2) cap <<= 1;
    this.t = new Int32Array(cap * SLOT).fill(-1);
    this.mask = cap - 1;
  }

  /** libbpf btf_dump_name_dups: increments the count of the string at `off`, returns the new count. */
  inc(off: number): number {
    const S = this.S;
    // FNV-1a over the bytes up to the NUL (or the end of the buffer).
    let h = 0x811c9dc5 | 0;
    let e = off;
    for (;;) {
      const c = S[e]!;
      if (!(c > 0)) break;
      h = Math.imul(h ^ c, 0x01000193);
      e++;
    }
    const len = e - off;
    const t = this.t;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const q = i * SLOT;
      const k = t[q]!;
      // (Compared before the emptiness test, so that V8 has seen the comparison by the time
      // it optimizes this function: otherwise the first collision would deoptimize it.)
      const sameHash = t[q + 1] === h;
      if (k < 0) break;
      if (sameHash && (k === off || sameStr(S, k, off, len))) return ++t[q + 2]!;
      i = (i + 1) & mask;
    }
    const q = i * SLOT;
    t[q] = off;
    t[q + 1] = h;
    t[q + 2] = 1;
    if (++this.size * 2 > mask + 1) this.grow();
    return 1;
  }

  private grow(): void {
    const old = this.t;
    const cap = (this.mask + 1) * 2;
    const t = new Int32Array(cap * SLOT).fill(-1);
    const mask = cap - 1;
    for (let q = 0; q < old.length; q += SLOT) {
      const k = old[q]!;
      if (k < 0) continue;
      let i = old[q + 1]! & mask;
      while (t[i * SLOT]! >= 0) i = (i + 1) & mask;
      const r = i * SLOT;
      t[r] = k;
      t[r + 1] = old[q + 1]!;
      t[r + 2] = old[q + 2]!;
    }
    this.t = t;
    this.mask = mask;
  }
}

/** Is the string at `b` equal to the `len` bytes at `a` (followed by NUL)? */
function sameStr(S: Uint8Array, b: number, a: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (S[a + i] !== S[b + i]) return false;
  const t = S[b + len];
  return t === 0 || t === undefined;
}
