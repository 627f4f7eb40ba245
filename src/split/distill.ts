/**
 * distillBase — libbpf v1.7.0 `btf__distill_base()`, byte-identical output.
 *
 * Approach: one pass over the split's id fields marks the referenced base types (an explicit
 * DFS stack that visits fields in libbpf's recursive order, so the first "unexpected
 * reference" error is the one libbpf reports; named STRUCT/UNION are not descended). The
 * distilled base (named INT/FLOAT/FWD verbatim, named STRUCT/UNION memberless, named
 * ENUM/ENUM64 as memberless sized ENUM) and the new split (all split records verbatim, then
 * the other marked base records in ascending id order) are assembled directly as word
 * arrays; ids are rewritten in one final pass . Strings are re-interned in record
 * and string-iterator order through byte-keyed hash sets (no JS strings on the hot path):
 * a string equal to a distilled-base string reuses it, otherwise it is appended to the new
 * split once (libbpf's strset with base-first lookup).
 *
 * Reference behaviour matched: libbpf v1.7.0 btf.c btf__distill_base / btf_add_distilled_type_ids /
 * btf_add_distilled_types / btf_update_distilled_type_ids, including the rewrite of the
 * (normally zero) type word of FWD records in the distilled base, and the outputs taking the
 * source's byte order.
 */

import { BtfkitError, Errno } from '../errors.js';
import { KindId as Kind, KINDS, MAX_KNOWN_KIND, recordWords, idFieldPos, ELEM_STR, ELEM_ID, ELEM_START, ELEM_WORDS, ID_FIXED, ID_WORD1, ID_WORD2 } from '../format/kinds.js';
import { Btf, CLASSIC_KIND_MASK, CLASSIC_VLEN_MASK, type BtfRaw, type DerivedKey } from '../model/btf.js';
import { ByteStrSet, IntMap, FNV_BASIS, FNV_PRIME } from './strset.js';

export { hashBytes } from './strset.js';
/** Field positions now live with the kind descriptors (format/kinds.ts); re-exported for callers. */
export { idFieldPos } from '../format/kinds.js';

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

/**
 * String-field layout of a kind: the name at word 0, then `vlen` elements of `stride` words
 * starting at word 3 (stride 0 = name only); -1 for a kind the iterator rejects. Derived from
 * the kind descriptors (strFieldPos is the general form).
 */
export function strFieldStride(kind: number): number {
  if (kind > MAX_KNOWN_KIND) return -1;
  return ELEM_STR[kind]! >= 0 ? ELEM_WORDS[kind]! : 0;
}

function distillError(msg: string, typeId?: number, errno: number = Errno.EINVAL): BtfkitError {
  return new BtfkitError('DISTILL', msg, { errno, where: typeId === undefined ? {} : { typeId } });
}

/** Marks a collected base id in the scratch array before it gets its new id. */
const MARKED = 0xffffffff;

/**
 * Scratch arrays reused by every distill against the same base (kept on the base model, so
 * a small module costs nothing proportional to the size of the base): `newId` over the base
 * ids, `own` over the split's string bytes. Every entry used is cleared on the way out.
 */
interface DistillScratch {
  newId: Uint32Array;
  own: Uint32Array;
}
const SCRATCH: DerivedKey<DistillScratch> = { name: 'distill scratch' };

function isPow2Le8(n: number): boolean {
  return n !== 0 && (n & (n - 1)) === 0 && n <= 8;
}

/** A growing int32 list. */
class IntList {
  a = new Int32Array(64);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.n * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
}

/** A type section under construction: words and record offsets. */
class RecordBuf {
  words = new Uint32Array(256);
  nWords = 0;
  offs = new Uint32Array(64);
  n = 0;
  /** Reserves a record of `nw` words; returns its word offset. */
  push(nw: number): number {
    if (this.nWords + nw > this.words.length) {
      let cap = this.words.length * 2;
      while (cap < this.nWords + nw) cap *= 2;
      const a = new Uint32Array(cap);
      a.set(this.words.subarray(0, this.nWords));
      this.words = a;
    }
    if (this.n === this.offs.length) {
      const a = new Uint32Array(this.n * 2);
      a.set(this.offs);
      this.offs = a;
    }
    this.offs[this.n++] = this.nWords;
    const at = this.nWords;
    this.nWords += nw;
    return at;
  }
}

// ------------------------------------------------------------------ strings

/**
 * String re-interning shared by the distilled base and the new split: libbpf adds strings to
 * the distilled base first (base-first lookup), then to the new split, whole string at a time.
 */
class StringRemap {
  readonly baseSet = new ByteStrSet(true, 1024);
  readonly splitSet: ByteStrSet;
  /** Offset cache of the old base's strings: old offset → new offset + 1. */
  private readonly baseCache = new IntMap(1024);
  /** Strings go to the distilled base until `finishBase()`. */
  private toBase = true;
  private newBaseStrLen = 0;
  private readonly touched = new IntList();

  constructor(
    private readonly src: Btf,
    /** new offset + 1, by local offset of the split's own strings (scratch, cleared by `clear()`). */
    private readonly ownCache: Uint32Array,
  ) {
    const n = src.strLen;
    this.splitSet = new ByteStrSet(false, Math.max(64, n + (n >>> 2)));
  }

  finishBase(): void {
    this.newBaseStrLen = this.baseSet.len;
    this.toBase = false;
  }

  /** Interns the NUL-terminated string at buf[s] (limit `lim`): end and hash in one pass. */
  private intern(buf: Uint8Array, s: number, lim: number): number {
    let h = FNV_BASIS | 0;
    let e = s;
    for (; e < lim; e++) {
      const c = buf[e]!;
      if (c === 0) break;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    const r = this.baseSet.find(buf, s, e, h);
    if (r >= 0) return r;
    if (this.toBase) return this.baseSet.append(buf, s, e, h);
    return this.newBaseStrLen + this.splitSet.findOrAppend(buf, s, e, h);
  }

  /** The new offset of old logical string offset `off` (of type `typeId`, for errors). */
  map(off: number, typeId: number): number {
    if (off === 0) return 0;
    const src = this.src;
    const start = src.startStrOff;
    if (off >= start) {
      const l = off - start;
      const r0 = src.raw();
      if (l >= r0.strLen) throw distillError(`type [${typeId}]: invalid string offset ${off}`, typeId);
      const c = this.ownCache[l]!;
      if (c !== 0) return c - 1;
      const r = this.intern(r0.strs, l, r0.strLen);
      this.ownCache[l] = r + 1;
      this.touched.push(l);
      return r;
    }
    const c = this.baseCache.get(off);
    if (c !== 0) return c - 1;
    const b = src.strOwner(off);
    if (!b) throw distillError(`type [${typeId}]: invalid string offset ${off}`, typeId);
    const br = b.raw();
    const r = this.intern(br.strs, off - b.startStrOff, br.strLen);
    this.baseCache.set(off, r);
    return r;
  }

  /** Fast path of `map` for a split-own offset already mapped; else `map`. */
  mapCached(off: number, typeId: number): number {
    const l = off - this.src.startStrOff;
    if (l >= 0) {
      const c = this.ownCache[l];
      if (c !== undefined && c !== 0) return c - 1;
    }
    return this.map(off, typeId);
  }

  clear(): void {
    const t = this.touched;
    for (let j = 0; j < t.n; j++) this.ownCache[t.a[j]!] = 0;
  }
}

// ------------------------------------------------------------------ distill

/**
 * libbpf btf__distill_base(): splits `split`'s dependencies on its base into a minimal
 * distilled base plus a new split BTF on it. Neither input is modified.
 * Throws BtfkitError code 'DISTILL' (errno EINVAL) on libbpf's errors.
 */
export function distillBase(split: Btf): DistillResult {
  const oldBase = split.base;
  if (!oldBase) throw distillError('cannot distill: BTF is not split BTF (it has no base BTF)');
  const d = new Distiller(split, oldBase);
  try {
    d.markReferencedBaseTypes();
    d.addDistilledTypes();
    d.assembleNewSplit();
    d.updateIdsAndStrings();
    return d.result();
  } finally {
    d.clear();
  }
}

/** The state of one distill, stage by stage (libbpf's btf__distill_base steps). */
class Distiller {
  /** type_cnt(old base): the first split id. */
  readonly S: number;
  private readonly src: BtfRaw;
  private readonly flatBase: BtfRaw | null;
  /** Scratch over the base ids: 0, MARKED while collecting, then the new id. */
  private readonly newId: Uint32Array;
  private readonly marked = new IntList();
  private readonly strings: StringRemap;
  /** Record located by `loc`: its words and masks. */
  private rw: Uint32Array;
  private rKindMask = CLASSIC_KIND_MASK;
  private rVlenMask = CLASSIC_VLEN_MASK;
  // DFS stack of markReferencedBaseTypes: type id and next field index.
  private stId = new Int32Array(64);
  private stK = new Int32Array(64);
  private sp = 0;
  // Results of the stages.
  private readonly baseRecs = new RecordBuf();
  /** Marked base ids that go to the new split, ascending. */
  private readonly moved: number[] = [];
  private movedWords = 0;
  private order: Int32Array = new Int32Array(0);
  private nsw: Uint32Array = new Uint32Array(1);
  private nsOffs: Uint32Array = new Uint32Array(1);
  private nsTypes = 0;
  private nbCount = 0;

  constructor(private readonly split: Btf, oldBase: Btf) {
    this.S = split.startId;
    this.src = split.raw();
    this.rw = this.src.words;
    this.flatBase = oldBase.base === null ? oldBase.raw() : null;
    const S = this.S;
    const sc = oldBase.derived(SCRATCH, () => ({ newId: new Uint32Array(S), own: new Uint32Array(0) }));
    if (sc.newId.length < S) sc.newId = new Uint32Array(Math.max(S, sc.newId.length * 2));
    const sl = this.src.strLen;
    if (sc.own.length < sl) sc.own = new Uint32Array(Math.max(sl, sc.own.length * 2));
    this.newId = sc.newId;
    this.strings = new StringRemap(split, sc.own);
  }

  /** Record location in the base chain, without allocation: sets `rw` and the masks, returns the word offset. */
  private loc(id: number): number {
    const fb = this.flatBase;
    if (fb) {
      this.rw = fb.words;
      this.rKindMask = fb.kindMask;
      this.rVlenMask = fb.vlenMask;
      return fb.offs[id - 1]!;
    }
    const b = this.split.typeOwner(id);
    const r = b.raw();
    this.rw = r.words;
    this.rKindMask = r.kindMask;
    this.rVlenMask = r.vlenMask;
    return r.offs[id - b.startId]!;
  }

  // ---- Stage 1 (btf_add_distilled_type_ids): mark the referenced base types, DFS in libbpf's
  // recursion order, so the first "unexpected reference" error is the one libbpf reports.

  markReferencedBaseTypes(): void {
    const { words, offs, kindMask, vlenMask, nTypes } = this.src;
    const S = this.S;
    const newId = this.newId;
    for (let i = 0; i < nTypes; i++) {
      const o = offs[i]!;
      const info = words[o + 1]!;
      const kind = (info >>> 24) & kindMask;
      if (kind > MAX_KNOWN_KIND) throw distillError(`type [${S + i}] has unsupported kind [${kind}] for the type id iterator`, S + i);
      // The id fields in libbpf's iterator order: the fixed ones, then one per element.
      const nf = ID_FIXED[kind]!;
      if (nf > 0) {
        const x = words[o + ID_WORD1[kind]!]!;
        if (x !== 0 && x < S && newId[x] === 0) this.visitRef(x);
      }
      if (nf > 1) {
        const x = words[o + ID_WORD2[kind]!]!;
        if (x !== 0 && x < S && newId[x] === 0) this.visitRef(x);
      }
      const ei = ELEM_ID[kind]!;
      if (ei < 0) continue;
      const ew = ELEM_WORDS[kind]!;
      const vlen = info & vlenMask;
      for (let k = 0, p = o + ELEM_START[kind]! + ei; k < vlen; k++, p += ew) {
        const x = words[p]!;
        if (x !== 0 && x < S && newId[x] === 0) this.visitRef(x);
      }
    }
  }

  private enter(x: number): void {
    const o = this.loc(x);
    const rw = this.rw;
    const kind = (rw[o + 1]! >>> 24) & this.rKindMask;
    const role = kind <= MAX_KNOWN_KIND ? KINDS[kind]!.distill : 'reject';
    if (role === 'reject')
      throw distillError(`unexpected reference to base type[${x}] of kind [${kind}] when creating distilled base BTF.`, x);
    this.newId[x] = MARKED;
    this.marked.push(x);
    // Named composites stay memberless in the distilled base: not descended into.
    if (role === 'composite' && rw[o] !== 0) return;
    if (this.sp === this.stId.length) {
      const a = new Int32Array(this.sp * 2);
      a.set(this.stId);
      this.stId = a;
      const b = new Int32Array(this.sp * 2);
      b.set(this.stK);
      this.stK = b;
    }
    this.stId[this.sp] = x;
    this.stK[this.sp] = 0;
    this.sp++;
  }

  private visitRef(x: number): void {
    const S = this.S;
    const newId = this.newId;
    this.enter(x);
    while (this.sp > 0) {
      const sp = this.sp;
      const id = this.stId[sp - 1]!;
      const k = this.stK[sp - 1]!;
      const o = this.loc(id);
      const rw = this.rw;
      const info = rw[o + 1]!;
      const p = idFieldPos((info >>> 24) & this.rKindMask, info & this.rVlenMask, k);
      if (p < 0) {
        this.sp--;
        continue;
      }
      this.stK[sp - 1] = k + 1;
      const y = rw[o + p]!;
      if (y === 0 || y >= S || newId[y] !== 0) continue;
      this.enter(y);
    }
  }

  // ---- Stage 2 (btf_add_distilled_types): the distilled base, in ascending old id order.

  addDistilledTypes(): void {
    const marked = this.marked;
    const order = (this.order = marked.a.subarray(0, marked.n).sort());
    const bufs = this.baseRecs;
    const strings = this.strings;
    for (let j = 0; j < order.length; j++) {
      const x = order[j]!;
      const o = this.loc(x);
      const rw = this.rw;
      const nameOff = rw[o]!;
      const info = rw[o + 1]!;
      const kind = (info >>> 24) & this.rKindMask;
      const vlen = info & this.rVlenMask;
      const role = KINDS[kind]!.distill;
      switch (role) {
        case 'keep': {
          const n = recordWords(kind, vlen);
          const at = bufs.push(n);
          bufs.words.set(rw.subarray(o, o + n), at);
          bufs.words[at] = strings.map(nameOff, x);
          break;
        }
        case 'composite':
        case 'enum': {
          if (nameOff === 0) {
            this.move(x, kind, vlen);
            continue;
          }
          const size = rw[o + 2]!;
          if (role === 'enum' && !isPow2Le8(size))
            throw distillError(`base type [${x}]: enum byte size ${size} is not a power of 2 <= 8; cannot add it to distilled base BTF`, x);
          const name = strings.map(nameOff, x);
          const at = bufs.push(3);
          bufs.words[at] = name;
          bufs.words[at + 1] = ((role === 'enum' ? Kind.ENUM : kind) << 24) >>> 0;
          bufs.words[at + 2] = size;
          break;
        }
        case 'move':
          this.move(x, kind, vlen);
          continue;
        case 'reject':
          throw distillError(`unexpected reference to base type[${x}] of kind [${kind}] when creating distilled base BTF.`, x);
        default: {
          const never: never = role;
          throw new Error(`unhandled distill role ${String(never)}`);
        }
      }
      this.newId[x] = bufs.n; // distilled base ids are 1, 2, … in append order
    }
    strings.finishBase();
    this.nbCount = 1 + bufs.n; // type_cnt(new base)
    const srcN = this.src.nTypes;
    for (let j = 0, id = this.nbCount + srcN; j < this.moved.length; j++, id++) this.newId[this.moved[j]!] = id;
  }

  private move(x: number, kind: number, vlen: number): void {
    this.moved.push(x);
    this.movedWords += recordWords(kind, vlen);
  }

  // ---- Stage 3: the new split = the split's records verbatim, then the moved base records.

  assembleNewSplit(): void {
    const src = this.src;
    const moved = this.moved;
    this.nsTypes = src.nTypes + moved.length;
    const nsw = (this.nsw = new Uint32Array(Math.max(src.nWords + this.movedWords, 1)));
    nsw.set(src.words.subarray(0, src.nWords));
    const nsOffs = (this.nsOffs = new Uint32Array(Math.max(this.nsTypes, 1)));
    nsOffs.set(src.offs.subarray(0, src.nTypes));
    let w = src.nWords;
    for (let j = 0; j < moved.length; j++) {
      const o = this.loc(moved[j]!);
      const rw = this.rw;
      const info = rw[o + 1]!;
      const n = recordWords((info >>> 24) & this.rKindMask, info & this.rVlenMask);
      nsw.set(rw.subarray(o, o + n), w);
      nsOffs[src.nTypes + j] = w;
      w += n;
    }
  }

  // ---- Stage 4 (btf_update_distilled_type_ids), with the strings: in record order, then
  // string-iterator order, and the type ids, in one pass over the new split's records.

  updateIdsAndStrings(): void {
    const S = this.S;
    const newId = this.newId;
    const diff = S - this.nbCount;
    const remap = (v: number): number => (v < S ? (newId[v] !== 0 ? newId[v]! : v) : v - diff);
    const nsw = this.nsw;
    const nsOffs = this.nsOffs;
    const strings = this.strings;
    const { kindMask: srcKindMask, vlenMask: srcVlenMask, nTypes: srcN } = this.src;
    for (let i = 0; i < this.nsTypes; i++) {
      const o = nsOffs[i]!;
      const info = nsw[o + 1]!;
      const isSrc = i < srcN;
      const typeId = isSrc ? S + i : this.moved[i - srcN]!;
      // A moved record keeps its format: the masks of the base it came from.
      if (!isSrc) this.loc(typeId);
      const kind = (info >>> 24) & (isSrc ? srcKindMask : this.rKindMask);
      const vlen = info & (isSrc ? srcVlenMask : this.rVlenMask);
      if (kind === Kind.UNKN || kind > MAX_KNOWN_KIND)
        throw distillError(`type [${typeId}] has unsupported kind [${kind}] for the string iterator`, typeId);
      nsw[o] = strings.mapCached(nsw[o]!, typeId);
      const ew = ELEM_WORDS[kind]!;
      const es = ELEM_STR[kind]!;
      const ei = ELEM_ID[kind]!;
      const e0 = o + ELEM_START[kind]!;
      if (es >= 0) for (let k = 0, p = e0 + es; k < vlen; k++, p += ew) nsw[p] = strings.mapCached(nsw[p]!, typeId);
      const nf = ID_FIXED[kind]!;
      if (nf > 0) nsw[o + ID_WORD1[kind]!] = remap(nsw[o + ID_WORD1[kind]!]!);
      if (nf > 1) nsw[o + ID_WORD2[kind]!] = remap(nsw[o + ID_WORD2[kind]!]!);
      if (ei >= 0) for (let k = 0, p = e0 + ei; k < vlen; k++, p += ew) nsw[p] = remap(nsw[p]!);
    }
    // libbpf's id pass starts at id 1, so it also visits the distilled base's own records: only
    // FWD has an id field (its type word, normally 0).
    const b = this.baseRecs;
    for (let i = 0; i < b.n; i++) {
      const o = b.offs[i]!;
      if (((b.words[o + 1]! >>> 24) & CLASSIC_KIND_MASK) === Kind.FWD) b.words[o + 2] = remap(b.words[o + 2]!);
    }
  }

  result(): DistillResult {
    const src = this.split;
    const b = this.baseRecs;
    const strings = this.strings;
    const newBase = Btf.fromParts(null, src.endian, { words: b.words, nWords: b.nWords, offs: b.offs, nTypes: b.n, strs: strings.baseSet.bytes, strLen: strings.baseSet.len });
    const newSplit = Btf.fromParts(newBase, src.endian, {
      words: this.nsw,
      nWords: this.src.nWords + this.movedWords,
      offs: this.nsOffs,
      nTypes: this.nsTypes,
      strs: strings.splitSet.bytes,
      strLen: strings.splitSet.len,
    });
    // The full id map is built on first use only (it is as large as the old base).
    const S = this.S;
    const nSrc = src.typeCount();
    const diff = S - this.nbCount;
    const keptIds = this.order.slice();
    const keptNew = new Uint32Array(keptIds.length);
    for (let j = 0; j < keptIds.length; j++) keptNew[j] = this.newId[keptIds[j]!]!;
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
  }

  /** Clears the scratch entries this run touched. */
  clear(): void {
    const m = this.marked;
    for (let j = 0; j < m.n; j++) this.newId[m.a[j]!] = 0;
    this.strings.clear();
  }
}
