/**
 * Stable sorts of type ids by integer and string keys for the C dump's sort (sort.ts), built on
 * native sorts of 64-bit keys: a key is two u32 halves written through a Uint32Array view of a
 * BigUint64Array (no BigInt arithmetic), sorted by the typed array's native sort, which is fast
 * even before the JIT has warmed up; the key's low bits hold the element's position, so the
 * sort is stable and the permutation can be read back. Strings are ordered as strcmp does, by
 * an MSD radix sort over their bytes, 5 bytes a level.
 */

const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index of the low / high u32 half of a 64-bit element in a Uint32Array view. */
const LO = LITTLE ? 0 : 1;
const HI = LITTLE ? 1 : 0;
/** Max elements of one keyed sort: positions take the low 24 bits of a key. */
export const MAX_KEYED = 1 << 24;

/**
 * Native sorts of 64-bit keys. The keys are written as two u32 halves through a Uint32Array
 * view of a BigUint64Array (no BigInt arithmetic) and sorted with the typed array's native
 * sort, which runs at full speed even before the JIT has warmed up. A key's low bits hold the
 * element's position, so the sort is stable and the permutation can be read back.
 */
export class KeySort {
  private big: BigUint64Array;
  /** The keys as u32 halves (LO, HI) per element. */
  readonly u32: Uint32Array;

  constructor(n: number) {
    this.big = new BigUint64Array(Math.max(1, n));
    this.u32 = new Uint32Array(this.big.buffer);
  }

  sort(m: number): void {
    this.big.subarray(0, m).sort();
  }
}

/** Keys for ids[lo, lo+m): string bytes d .. d+4 of key[id] (zero after the NUL), position. */
function strKeys(S: Uint8Array, ids: Uint32Array, lo: number, m: number, key: Uint32Array, d: number, ks: KeySort): void {
  const u32 = ks.u32;
  for (let i = 0; i < m; i++) {
    const p = key[ids[lo + i]!]! + d;
    let h = 0;
    let b4 = 0;
    const b0 = S[p]! | 0;
    if (b0 !== 0) {
      const b1 = S[p + 1]! | 0;
      if (b1 === 0) h = b0 << 24;
      else {
        const b2 = S[p + 2]! | 0;
        if (b2 === 0) h = (b0 << 24) | (b1 << 16);
        else {
          const b3 = S[p + 3]! | 0;
          h = (b0 << 24) | (b1 << 16) | (b2 << 8) | b3;
          if (b3 !== 0) b4 = S[p + 4]! | 0;
        }
      }
    }
    u32[(i << 1) + HI] = h >>> 0;
    u32[(i << 1) + LO] = ((b4 << 24) | i) >>> 0;
  }
}

/** Reorders ids[lo, lo+m) as the sorted keys say (position = key.lo & posMask). */
export function applyPermutation(ids: Uint32Array, lo: number, m: number, ks: KeySort, tmp: Uint32Array, posMask: number): void {
  const u32 = ks.u32;
  for (let i = 0; i < m; i++) tmp[i] = ids[lo + ((u32[(i << 1) + LO]! & posMask) >>> 0)]!;
  ids.set(tmp.subarray(0, m), lo);
}

/** Records the runs of equal digits (key.hi, key.lo >>> 24) of sorted keys [0, m) at absolute positions. */
function markDigitRuns(ks: KeySort, lo: number, m: number, runEnd: Uint32Array, refine: Uint8Array): void {
  const u32 = ks.u32;
  for (let s = 0; s < m;) {
    const h = u32[(s << 1) + HI]!;
    const l = u32[(s << 1) + LO]! >>> 24;
    let e = s + 1;
    while (e < m && u32[(e << 1) + HI] === h && u32[(e << 1) + LO]! >>> 24 === l) e++;
    runEnd[lo + s] = lo + e;
    refine[lo + s] = l !== 0 && e - s > 1 ? 1 : 0;
    s = e;
  }
}

/**
 * Stable sort of ids[lo, hi) by the string at key[id] (strcmp order). MSD: each level sorts
 * by the next 5 string bytes (bytes after the NUL count as 0) with a native keyed sort, then
 * refines runs whose 5 bytes are equal and whose strings go on. Small ranges use insertion
 * sort. Equal strings keep their relative order.
 */
export class StringSorter {
  private readonly tmp: Uint32Array;
  /** Scratch by absolute position: end of the run starting there, and whether to refine it. */
  private readonly runEnd: Uint32Array;
  private readonly refine: Uint8Array;

  constructor(private readonly S: Uint8Array, n: number, private readonly ks: KeySort) {
    this.tmp = new Uint32Array(n);
    this.runEnd = new Uint32Array(n + 1);
    this.refine = new Uint8Array(n + 1);
  }

  /** strcmp of the strings at x and y from byte d on. */
  cmp(x: number, y: number, d: number): number {
    const S = this.S;
    if (x === y) return 0;
    for (let i = d; ; i++) {
      const bx = S[x + i]! | 0;
      const by = S[y + i]! | 0;
      if (bx !== by) return bx - by;
      if (bx === 0) return 0;
    }
  }

  sort(ids: Uint32Array, lo: number, hi: number, key: Uint32Array, d: number): void {
    const m = hi - lo;
    if (m <= 16 || m > MAX_KEYED) {
      this.insertion(ids, lo, hi, key, d);
      return;
    }
    // Each loop is its own function: V8 then optimizes them as whole functions instead of
    // on-stack-replacing one loop per call and deoptimizing at the next (cold-start cost).
    strKeys(this.S, ids, lo, m, key, d, this.ks);
    this.ks.sort(m);
    applyPermutation(ids, lo, m, this.ks, this.tmp, 0xffffff);
    // Runs of equal 5-byte digits whose strings go on are refined at d + 5. Run bounds are
    // recorded first (by absolute position): the recursion reuses the key buffer, and a
    // child only writes inside its own run.
    markDigitRuns(this.ks, lo, m, this.runEnd, this.refine);
    const runEnd = this.runEnd;
    const refine = this.refine;
    for (let s = lo; s < hi;) {
      const e = runEnd[s]!;
      if (refine[s]) this.sort(ids, s, e, key, d + 5);
      s = e;
    }
  }

  private insertion(ids: Uint32Array, lo: number, hi: number, key: Uint32Array, d: number): void {
    for (let i = lo + 1; i < hi; i++) {
      const v = ids[i]!;
      const kv = key[v]!;
      let j = i - 1;
      while (j >= lo && this.cmp(key[ids[j]!]!, kv, d) > 0) {
        ids[j + 1] = ids[j]!;
        j--;
      }
      ids[j + 1] = v;
    }
  }
}

/** Stable sort of ids[s, e) by word[id] (native keyed sort). */
export function sortByWord(ids: Uint32Array, s: number, e: number, word: Uint32Array, ks: KeySort, tmp: Uint32Array): void {
  const m = e - s;
  wordKeys(ids, s, m, word, ks);
  ks.sort(m);
  applyPermutation(ids, s, m, ks, tmp, 0xffffffff);
}

function wordKeys(ids: Uint32Array, s: number, m: number, word: Uint32Array, ks: KeySort): void {
  const u32 = ks.u32;
  for (let i = 0; i < m; i++) {
    u32[(i << 1) + HI] = word[ids[s + i]!]!;
    u32[(i << 1) + LO] = i;
  }
}
