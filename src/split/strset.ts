/**
 * Byte-keyed string sets and small integer maps for distill and relocate: libbpf's strset
 * semantics (whole-string lookup, append on miss) over raw bytes, with no JS strings on the
 * hot path. FNV-1a hashes the bytes.
 */

export const FNV_BASIS = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a over bytes[start, end), as an int32. */
export function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = FNV_BASIS | 0;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, FNV_PRIME);
  return h | 0;
}

/**
 * A string section under construction with libbpf strset semantics (whole-string lookup,
 * append on miss), keyed by raw bytes through an open-addressing table. Each slot is two
 * int32s side by side (offset + 1, hash), so a probe touches one cache line.
 */
export class ByteStrSet {
  bytes: Uint8Array;
  len = 0;
  private tab: Int32Array;
  private mask: number; // slot mask
  private count = 0;

  /** `capHint`: expected bytes; the table starts at about one slot per 8 bytes. */
  constructor(base: boolean, capHint: number) {
    this.bytes = new Uint8Array(Math.max(64, capHint));
    let size = 64;
    while (size < capHint >>> 3) size <<= 1;
    this.tab = new Int32Array(size * 2);
    this.mask = size - 1;
    if (base) {
      // A new base object starts with "\0"; libbpf's strset indexes it, so "" is found at 0.
      this.bytes[0] = 0;
      this.len = 1;
      this.insert(0, FNV_BASIS | 0);
    }
  }

  private insert(off: number, h: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.rehash();
    const tab = this.tab;
    let i = h & this.mask;
    while (tab[2 * i] !== 0) i = (i + 1) & this.mask;
    tab[2 * i] = off + 1;
    tab[2 * i + 1] = h;
    this.count++;
  }

  private rehash(): void {
    const old = this.tab;
    const size = (this.mask + 1) * 2;
    const tab = new Int32Array(size * 2);
    const mask = size - 1;
    for (let j = 0; j < old.length; j += 2) {
      const v = old[j]!;
      if (v === 0) continue;
      const h = old[j + 1]!;
      let i = h & mask;
      while (tab[2 * i] !== 0) i = (i + 1) & mask;
      tab[2 * i] = v;
      tab[2 * i + 1] = h;
    }
    this.tab = tab;
    this.mask = mask;
  }

  /** Local offset of the string src[start, end) (hash `h`), or -1. */
  find(src: Uint8Array, start: number, end: number, h: number): number {
    const n = end - start;
    const bytes = this.bytes;
    const tab = this.tab;
    const mask = this.mask;
    let i = h & mask;
    for (;;) {
      const v = tab[2 * i]!;
      if (v === 0) return -1;
      if (tab[2 * i + 1] === h) {
        const off = v - 1;
        if (off + n < this.len && bytes[off + n] === 0) {
          let k = 0;
          while (k < n && bytes[off + k] === src[start + k]) k++;
          if (k === n) return off;
        }
      }
      i = (i + 1) & mask;
    }
  }

  /** Local offset of src[start, end), appended first when absent. */
  findOrAppend(src: Uint8Array, start: number, end: number, h: number): number {
    const r = this.find(src, start, end, h);
    return r >= 0 ? r : this.append(src, start, end, h);
  }

  /** Appends src[start, end) + NUL (caller checked it is absent); returns its local offset. */
  append(src: Uint8Array, start: number, end: number, h: number): number {
    const n = end - start;
    const off = this.len;
    if (off + n + 1 > this.bytes.length) {
      let cap = this.bytes.length * 2;
      while (cap < off + n + 1) cap *= 2;
      const nb = new Uint8Array(cap);
      nb.set(this.bytes.subarray(0, this.len));
      this.bytes = nb;
    }
    const bytes = this.bytes;
    for (let k = 0; k < n; k++) bytes[off + k] = src[start + k]!;
    bytes[off + n] = 0;
    this.len = off + n + 1;
    this.insert(off, h);
    return off;
  }
}

/** Small open-addressing map u32 (non-zero) → u32, for string offsets into the old base. */
export class IntMap {
  private keys: Uint32Array;
  private vals: Uint32Array;
  private mask: number;
  private count = 0;
  constructor(capHint: number) {
    let size = 256;
    while (size < capHint * 2) size <<= 1;
    this.keys = new Uint32Array(size);
    this.vals = new Uint32Array(size);
    this.mask = size - 1;
  }
  /** Value + 1, or 0 when absent. */
  get(k: number): number {
    let i = Math.imul(k, 0x9e3779b1) >>> 0 & this.mask;
    for (;;) {
      const kk = this.keys[i]!;
      if (kk === k) return this.vals[i]! + 1;
      if (kk === 0) return 0;
      i = (i + 1) & this.mask;
    }
  }
  set(k: number, v: number): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    let i = Math.imul(k, 0x9e3779b1) >>> 0 & this.mask;
    for (;;) {
      const kk = this.keys[i]!;
      if (kk === k) { this.vals[i] = v; return; }
      if (kk === 0) break;
      i = (i + 1) & this.mask;
    }
    this.keys[i] = k;
    this.vals[i] = v;
    this.count++;
  }
  private grow(): void {
    const ok = this.keys;
    const ov = this.vals;
    const size = ok.length * 2;
    this.keys = new Uint32Array(size);
    this.vals = new Uint32Array(size);
    this.mask = size - 1;
    this.count = 0;
    for (let j = 0; j < ok.length; j++) if (ok[j] !== 0) this.set(ok[j]!, ov[j]!);
  }
}

