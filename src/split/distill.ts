/**
 * distillBase — libbpf v1.7.0 `btf__distill_base()` (docs/design.md §distill), byte-identical output.
 *
 * Approach: one pass over the split's id fields marks the referenced base types (an explicit
 * DFS stack that visits fields in libbpf's recursive order, so the first "unexpected
 * reference" error is the one libbpf reports; named STRUCT/UNION are not descended). The
 * distilled base (named INT/FLOAT/FWD verbatim, named STRUCT/UNION memberless, named
 * ENUM/ENUM64 as memberless sized ENUM) and the new split (all split records verbatim, then
 * the other marked base records in ascending id order) are assembled directly as word
 * arrays; ids are rewritten in one final pass (docs/design.md §distill-ids). Strings are re-interned in record
 * and string-iterator order through byte-keyed hash sets (no JS strings on the hot path):
 * a string equal to a distilled-base string reuses it, otherwise it is appended to the new
 * split once (docs/design.md §distill-strings, libbpf's strset with base-first lookup).
 *
 * Reference behaviour matched: libbpf v1.7.0 btf.c btf__distill_base / btf_add_distilled_type_ids /
 * btf_add_distilled_types / btf_update_distilled_type_ids, including the rewrite of the
 * (normally zero) type word of FWD records in the distilled base, and the outputs taking the
 * source's byte order.
 */

import { BtfkitError, Errno } from '../errors.js';
import { KindId as Kind, recordWords } from '../format/kinds.js';
import { Btf } from '../model/btf.js';

export interface DistillResult {
  /** The distilled base: a standalone base BTF of memberless named types. */
  base: Btf;
  /** The new split BTF on `base`. */
  split: Btf;
  /**
   * Old id (numbering of the input split over its original base, indexes 0 … type_cnt−1) →
   * id in the new numbering (distilled base id, or new split id). 0 for base types that the
   * split does not need (and for void).
   */
  idMap: Uint32Array;
}

// ------------------------------------------------------------------ byte string set

const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

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
class ByteStrSet {
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
class IntMap {
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

// ------------------------------------------------------------------ field positions

/**
 * Word index (relative to the record start) of the k-th type-id field in libbpf's ID
 * iterator order (docs/design.md §field-order); -1 after the last field; -2 for a kind the iterator rejects.
 */
export function idFieldPos(kind: number, vlen: number, k: number): number {
  switch (kind) {
    case Kind.INT: case Kind.FLOAT: case Kind.ENUM: case Kind.ENUM64: case Kind.UNKN:
      return -1;
    case Kind.FWD: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.PTR:
    case Kind.TYPEDEF: case Kind.FUNC: case Kind.VAR: case Kind.DECL_TAG: case Kind.TYPE_TAG:
      return k === 0 ? 2 : -1;
    case Kind.ARRAY:
      return k < 2 ? 3 + k : -1;
    case Kind.STRUCT: case Kind.UNION:
      return k < vlen ? 4 + 3 * k : -1;
    case Kind.FUNC_PROTO:
      return k === 0 ? 2 : k <= vlen ? 2 + 2 * k : -1;
    case Kind.DATASEC:
      return k < vlen ? 3 + 3 * k : -1;
    default:
      return -2;
  }
}

/**
 * String-field layout of a kind (docs/design.md §field-order): the name at word 0, then `vlen` elements of
 * `stride` words starting at word 3 (stride 0 = name only); -1 for a kind the iterator rejects.
 */
export function strFieldStride(kind: number): number {
  switch (kind) {
    case Kind.ENUM: case Kind.FUNC_PROTO:
      return 2;
    case Kind.ENUM64: case Kind.STRUCT: case Kind.UNION:
      return 3;
    case Kind.INT: case Kind.FLOAT: case Kind.FWD: case Kind.ARRAY: case Kind.CONST: case Kind.VOLATILE:
    case Kind.RESTRICT: case Kind.PTR: case Kind.TYPEDEF: case Kind.FUNC: case Kind.VAR:
    case Kind.DECL_TAG: case Kind.TYPE_TAG: case Kind.DATASEC: case Kind.UNKN:
      return 0;
    default:
      return -1;
  }
}

function distillError(msg: string, typeId?: number, errno: number = Errno.EINVAL): BtfkitError {
  return new BtfkitError('DISTILL', msg, { errno, where: typeId === undefined ? {} : { typeId } });
}

/** Marks a collected base id in the scratch array before it gets its new id. */
const MARKED = 0xffffffff;
let scratch = new Uint32Array(0);
let ownScratch = new Uint32Array(0);

function isPow2Le8(n: number): boolean {
  return n !== 0 && (n & (n - 1)) === 0 && n <= 8;
}

// ------------------------------------------------------------------ distill

/**
 * libbpf btf__distill_base(): splits `split`'s dependencies on its base into a minimal
 * distilled base plus a new split BTF on it. Neither input is modified.
 * Throws BtfkitError code 'DISTILL' (errno EINVAL) on the errors of docs/design.md §distill-contract.
 */
export function distillBase(split: Btf): DistillResult {
  const src = split;
  const oldBase = src.base;
  if (!oldBase) throw distillError('cannot distill: BTF is not split BTF (it has no base BTF)');

  const S = src.startId; // type_cnt(old base): first split id
  const nSrc = src.typeCount();
  const srcWords = src.words;
  const srcOffs = src.offs;
  const srcKindMask = src.kindMask;
  const srcVlenMask = src.vlenMask;
  const srcNTypes = src.nTypes;

  // Record location in the base chain, without allocation: sets `rw`, returns the word offset.
  let rw: Uint32Array = srcWords;
  let rKindMask = 0x1f;
  let rVlenMask = 0xffff;
  const flatBase = oldBase.base === null ? oldBase : null;
  const loc = (id: number): number => {
    if (flatBase) {
      rw = flatBase.words;
      rKindMask = flatBase.kindMask;
      rVlenMask = flatBase.vlenMask;
      return flatBase.offs[id - 1]!;
    }
    const b = src.typeOwner(id);
    rw = b.words;
    rKindMask = b.kindMask;
    rVlenMask = b.vlenMask;
    return b.offs[id - b.startId]!;
  };

  // ---- Phase A: mark referenced base types (docs/design.md §distill-collect), DFS in libbpf's recursion order.
  // `newId` is a reused scratch array over the base ids (MARKED while collecting, then the new
  // id); only the entries listed in `marked` are touched and they are cleared on the way out,
  // so a small module costs nothing proportional to the size of the base.
  if (scratch.length < S) scratch = new Uint32Array(Math.max(S, scratch.length * 2));
  const newId = scratch;
  let marked = new Int32Array(64);
  let nMarked = 0;
  let touched = new Int32Array(256); // own-string cache entries to clear
  let nTouched = 0;
  try {
    let stId = new Int32Array(64);
    let stK = new Int32Array(64);
    let sp = 0;

    const enter = (x: number): void => {
      const o = loc(x);
      const info = rw[o + 1]!;
      const kind = (info >>> 24) & rKindMask;
      switch (kind) {
        case Kind.INT: case Kind.FLOAT: case Kind.FWD: case Kind.ARRAY: case Kind.STRUCT: case Kind.UNION:
        case Kind.TYPEDEF: case Kind.ENUM: case Kind.ENUM64: case Kind.PTR: case Kind.CONST: case Kind.RESTRICT:
        case Kind.VOLATILE: case Kind.FUNC_PROTO: case Kind.TYPE_TAG:
          break;
        default:
          throw distillError(`unexpected reference to base type[${x}] of kind [${kind}] when creating distilled base BTF.`, x);
      }
      newId[x] = MARKED;
      if (nMarked === marked.length) {
        const a = new Int32Array(nMarked * 2);
        a.set(marked);
        marked = a;
      }
      marked[nMarked++] = x;
      if ((kind === Kind.STRUCT || kind === Kind.UNION) && rw[o] !== 0) return;
      if (sp === stId.length) {
        const a = new Int32Array(sp * 2);
        a.set(stId);
        stId = a;
        const b = new Int32Array(sp * 2);
        b.set(stK);
        stK = b;
      }
      stId[sp] = x;
      stK[sp] = 0;
      sp++;
    };

    const visitRef = (x: number): void => {
      if (x === 0 || x >= S || newId[x] !== 0) return;
      enter(x);
      while (sp > 0) {
        const id = stId[sp - 1]!;
        const k = stK[sp - 1]!;
        const o = loc(id);
        const info = rw[o + 1]!;
        const p = idFieldPos((info >>> 24) & rKindMask, info & rVlenMask, k);
        if (p < 0) {
          sp--;
          continue;
        }
        stK[sp - 1] = k + 1;
        const y = rw[o + p]!;
        if (y === 0 || y >= S || newId[y] !== 0) continue;
        enter(y);
      }
    };

    for (let i = 0; i < srcNTypes; i++) {
      const o = srcOffs[i]!;
      const info = srcWords[o + 1]!;
      const kind = (info >>> 24) & srcKindMask;
      const vlen = info & srcVlenMask;
      for (let k = 0; ; k++) {
        const p = idFieldPos(kind, vlen, k);
        if (p === -1) break;
        if (p === -2) throw distillError(`type [${S + i}] has unsupported kind [${kind}] for the type id iterator`, S + i);
        const x = srcWords[o + p]!;
        if (x !== 0 && x < S && newId[x] === 0) visitRef(x);
      }
    }

    // ---- String re-interning shared by phases B and C (docs/design.md §distill-strings).
    const srcStartStr = src.startStrOff;
    const srcStrs = src.strs;
    const srcStrLen = src.strLen;
    // new offset + 1, by local offset of the split's own strings (reused scratch, cleared below)
    if (ownScratch.length < srcStrLen) ownScratch = new Uint32Array(Math.max(srcStrLen, ownScratch.length * 2));
    const ownCache = ownScratch;
    const baseCache = new IntMap(1024);
    const baseSet = new ByteStrSet(true, 1024);
    const splitSet = new ByteStrSet(false, Math.max(64, srcStrLen + (srcStrLen >>> 2)));
    let toBase = true;
    let newBaseStrLen = 0; // fixed once phase B is done

    // Interns the NUL-terminated string at buf[s] (limit `lim`): end and hash in one pass.
    const intern = (buf: Uint8Array, s: number, lim: number): number => {
      let h = FNV_BASIS | 0;
      let e = s;
      for (; e < lim; e++) {
        const c = buf[e]!;
        if (c === 0) break;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
      const r = baseSet.find(buf, s, e, h);
      if (r >= 0) return r;
      if (toBase) return baseSet.append(buf, s, e, h);
      return newBaseStrLen + splitSet.findOrAppend(buf, s, e, h);
    };

    const mapStr = (off: number, typeId: number): number => {
      if (off === 0) return 0;
      if (off >= srcStartStr) {
        const l = off - srcStartStr;
        if (l >= srcStrLen) throw distillError(`type [${typeId}]: invalid string offset ${off}`, typeId);
        const c = ownCache[l]!;
        if (c !== 0) return c - 1;
        const r = intern(srcStrs, l, srcStrLen);
        ownCache[l] = r + 1;
        if (nTouched === touched.length) {
          const a = new Int32Array(nTouched * 2);
          a.set(touched);
          touched = a;
        }
        touched[nTouched++] = l;
        return r;
      }
      const c = baseCache.get(off);
      if (c !== 0) return c - 1;
      const b = src.strOwner(off);
      if (!b) throw distillError(`type [${typeId}]: invalid string offset ${off}`, typeId);
      const l = off - b.startStrOff;
      const r = intern(b.strs, l, b.strLen);
      baseCache.set(off, r);
      return r;
    };

    // ---- Phase B: the distilled base (docs/design.md §distill-base).
    let bw = new Uint32Array(256);
    let bnw = 0;
    let boffs = new Uint32Array(64);
    let bn = 0;
    const moved: number[] = []; // marked base ids that go to the new split, ascending
    let movedWords = 0;
    const pushBase = (n: number): number => {
      if (bnw + n > bw.length) {
        let cap = bw.length * 2;
        while (cap < bnw + n) cap *= 2;
        const a = new Uint32Array(cap);
        a.set(bw.subarray(0, bnw));
        bw = a;
      }
      if (bn === boffs.length) {
        const a = new Uint32Array(bn * 2);
        a.set(boffs);
        boffs = a;
      }
      boffs[bn++] = bnw;
      const at = bnw;
      bnw += n;
      return at;
    };

    const order = marked.subarray(0, nMarked).sort();
    for (let j = 0; j < nMarked; j++) {
      const x = order[j]!;
      const o = loc(x);
      const nameOff = rw[o]!;
      const info = rw[o + 1]!;
      const kind = (info >>> 24) & rKindMask;
      const vlen = info & rVlenMask;
      switch (kind) {
        case Kind.INT: case Kind.FLOAT: case Kind.FWD: {
          const n = recordWords(kind, vlen);
          const words = rw;
          const at = pushBase(n);
          bw.set(words.subarray(o, o + n), at);
          bw[at] = mapStr(nameOff, x);
          break;
        }
        case Kind.STRUCT: case Kind.UNION:
          if (nameOff === 0) {
            moved.push(x);
            movedWords += recordWords(kind, vlen);
            continue;
          } else {
            const size = rw[o + 2]!;
            const name = mapStr(nameOff, x);
            const at = pushBase(3);
            bw[at] = name;
            bw[at + 1] = (kind << 24) >>> 0;
            bw[at + 2] = size;
          }
          break;
        case Kind.ENUM: case Kind.ENUM64:
          if (nameOff === 0) {
            moved.push(x);
            movedWords += recordWords(kind, vlen);
            continue;
          } else {
            const size = rw[o + 2]!;
            if (!isPow2Le8(size))
              throw distillError(`base type [${x}]: enum byte size ${size} is not a power of 2 <= 8; cannot add it to distilled base BTF`, x);
            const name = mapStr(nameOff, x);
            const at = pushBase(3);
            bw[at] = name;
            bw[at + 1] = (Kind.ENUM << 24) >>> 0;
            bw[at + 2] = size;
          }
          break;
        default:
          // ARRAY, TYPEDEF, PTR, CONST, RESTRICT, VOLATILE, FUNC_PROTO, TYPE_TAG
          moved.push(x);
          movedWords += recordWords(kind, vlen);
          continue;
      }
      newId[x] = bn; // distilled base ids are 1, 2, … in append order
    }
    newBaseStrLen = baseSet.len;
    toBase = false;
    const nbCount = 1 + bn; // type_cnt(new base)
    for (let j = 0, id = nbCount + srcNTypes; j < moved.length; j++, id++) newId[moved[j]!] = id;

    // ---- Phase C: the new split = split records verbatim, then the moved base records (docs/design.md §distill-base).
    const nsTypes = srcNTypes + moved.length;
    const nsWordsN = src.nWords + movedWords;
    const nsw = new Uint32Array(Math.max(nsWordsN, 1));
    nsw.set(srcWords.subarray(0, src.nWords));
    const nsOffs = new Uint32Array(Math.max(nsTypes, 1));
    nsOffs.set(srcOffs.subarray(0, srcNTypes));
    {
      let w = src.nWords;
      for (let j = 0; j < moved.length; j++) {
        const o = loc(moved[j]!);
        const info = rw[o + 1]!;
        const n = recordWords((info >>> 24) & rKindMask, info & rVlenMask);
        nsw.set(rw.subarray(o, o + n), w);
        nsOffs[srcNTypes + j] = w;
        w += n;
      }
    }

    // ---- Phase D, together with the strings: strings in record order, then string-iterator
    // order (docs/design.md §distill-strings), and type ids (docs/design.md §distill-ids), in one pass over the new split's records.
    const diff = S - nbCount;
    const remap = (v: number): number => (v < S ? (newId[v] !== 0 ? newId[v]! : v) : v - diff);
    const str = (p: number, typeId: number): void => {
      const off = nsw[p]!;
      if (off >= srcStartStr) {
        const c = ownCache[off - srcStartStr];
        if (c !== undefined && c !== 0) {
          nsw[p] = c - 1;
          return;
        }
      }
      nsw[p] = mapStr(off, typeId);
    };
    for (let i = 0; i < nsTypes; i++) {
      const o = nsOffs[i]!;
      const info = nsw[o + 1]!;
      const isSrc = i < srcNTypes;
      const kind = (info >>> 24) & (isSrc ? srcKindMask : 0x1f);
      const vlen = info & (isSrc ? srcVlenMask : 0xffff);
      const typeId = isSrc ? S + i : moved[i - srcNTypes]!;
      switch (kind) {
        case Kind.INT: case Kind.FLOAT:
          str(o, typeId);
          break;
        case Kind.ENUM:
          str(o, typeId);
          for (let k = 0, p = o + 3; k < vlen; k++, p += 2) str(p, typeId);
          break;
        case Kind.ENUM64:
          str(o, typeId);
          for (let k = 0, p = o + 3; k < vlen; k++, p += 3) str(p, typeId);
          break;
        case Kind.STRUCT: case Kind.UNION:
          str(o, typeId);
          for (let k = 0, p = o + 3; k < vlen; k++, p += 3) {
            str(p, typeId);
            nsw[p + 1] = remap(nsw[p + 1]!);
          }
          break;
        case Kind.FUNC_PROTO:
          str(o, typeId);
          nsw[o + 2] = remap(nsw[o + 2]!);
          for (let k = 0, p = o + 3; k < vlen; k++, p += 2) {
            str(p, typeId);
            nsw[p + 1] = remap(nsw[p + 1]!);
          }
          break;
        case Kind.ARRAY:
          str(o, typeId);
          nsw[o + 3] = remap(nsw[o + 3]!);
          nsw[o + 4] = remap(nsw[o + 4]!);
          break;
        case Kind.DATASEC:
          str(o, typeId);
          for (let k = 0, p = o + 3; k < vlen; k++, p += 3) nsw[p] = remap(nsw[p]!);
          break;
        case Kind.FWD: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.PTR:
        case Kind.TYPEDEF: case Kind.FUNC: case Kind.VAR: case Kind.DECL_TAG: case Kind.TYPE_TAG:
          str(o, typeId);
          nsw[o + 2] = remap(nsw[o + 2]!);
          break;
        default:
          throw distillError(`type [${typeId}] has unsupported kind [${kind}] for the string iterator`, typeId);
      }
    }
    // libbpf's id pass starts at id 1, so it also visits the distilled base's own records: only
    // FWD has an id field (its type word, normally 0).
    for (let i = 0; i < bn; i++) {
      const o = boffs[i]!;
      if (((bw[o + 1]! >>> 24) & 0x1f) === Kind.FWD) bw[o + 2] = remap(bw[o + 2]!);
    }

    const newBase = Btf.fromParts(null, src.endian, {
      words: bw,
      nWords: bnw,
      offs: boffs,
      nTypes: bn,
      strs: baseSet.bytes,
      strLen: baseSet.len,
    });
    const newSplit = Btf.fromParts(newBase, src.endian, {
      words: nsw,
      nWords: nsWordsN,
      offs: nsOffs,
      nTypes: nsTypes,
      strs: splitSet.bytes,
      strLen: splitSet.len,
    });

    // The full id map is built on first use only (it is as large as the old base).
    const keptIds = order.slice();
    const keptNew = new Uint32Array(nMarked);
    for (let j = 0; j < nMarked; j++) keptNew[j] = newId[keptIds[j]!]!;
    let idMap: Uint32Array | null = null;
    return {
      base: newBase,
      split: newSplit,
      get idMap(): Uint32Array {
        if (!idMap) {
          idMap = new Uint32Array(nSrc);
          for (let j = 0; j < keptIds.length; j++) idMap[keptIds[j]!] = keptNew[j]!;
          for (let x = S; x < nSrc; x++) idMap[x] = x - diff;
        }
        return idMap;
      },
    };
  } finally {
    for (let j = 0; j < nMarked; j++) newId[marked[j]!] = 0;
    for (let j = 0; j < nTouched; j++) ownScratch[touched[j]!] = 0;
  }
}
