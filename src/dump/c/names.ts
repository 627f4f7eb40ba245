/**
 * libbpf btf_dump's name maps (`type_names`, `ident_names`): string -> number of times the
 * name was seen, used to give duplicates a `___N` suffix.
 *
 * Approach: keys are BTF strings, so the map stores their logical offsets into the flat
 * string buffer instead of JS strings. It is an open-addressing hash table on the string
 * bytes (equal strings at different offsets are the same key, as with libbpf's strcmp), with
 * typed arrays for keys, hashes and counts. No allocation per lookup.
 */

export class NameCounter {
  private keys: Int32Array;
  private hashes: Uint32Array;
  private counts: Uint32Array;
  private mask: number;
  private size = 0;

  constructor(private readonly S: Uint8Array, capacity = 1 << 12) {
    let cap = 16;
    while (cap < capacity * 2) cap <<= 1;
    this.keys = new Int32Array(cap).fill(-1);
    this.hashes = new Uint32Array(cap);
    this.counts = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** libbpf btf_dump_name_dups: increments the count of the string at `off`, returns the new count. */
  inc(off: number): number {
    const S = this.S;
    // FNV-1a over the bytes up to the NUL.
    let h = 0x811c9dc5;
    let e = off;
    for (let c = S[e]; c !== 0 && c !== undefined; c = S[++e]) h = Math.imul(h ^ c, 0x01000193);
    h >>>= 0;
    const len = e - off;
    const keys = this.keys;
    let i = h & this.mask;
    for (;;) {
      const k = keys[i]!;
      if (k < 0) break;
      if (this.hashes[i] === h && (k === off || sameStr(S, k, off, len))) {
        return ++this.counts[i]!;
      }
      i = (i + 1) & this.mask;
    }
    keys[i] = off;
    this.hashes[i] = h;
    this.counts[i] = 1;
    if (++this.size * 2 > keys.length) this.grow();
    return 1;
  }

  private grow(): void {
    const oldK = this.keys;
    const oldH = this.hashes;
    const oldC = this.counts;
    const cap = oldK.length * 2;
    this.keys = new Int32Array(cap).fill(-1);
    this.hashes = new Uint32Array(cap);
    this.counts = new Uint32Array(cap);
    this.mask = cap - 1;
    for (let j = 0; j < oldK.length; j++) {
      const k = oldK[j]!;
      if (k < 0) continue;
      let i = oldH[j]! & this.mask;
      while (this.keys[i]! >= 0) i = (i + 1) & this.mask;
      this.keys[i] = k;
      this.hashes[i] = oldH[j]!;
      this.counts[i] = oldC[j]!;
    }
  }
}

/** Is the string at `b` equal to the `len` bytes at `a` (followed by NUL)? */
function sameStr(S: Uint8Array, b: number, a: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (S[a + i] !== S[b + i]) return false;
  const t = S[b + len];
  return t === 0 || t === undefined;
}
