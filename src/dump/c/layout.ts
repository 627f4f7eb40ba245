/**
 * Sizes and alignments as libbpf computes them: btf__resolve_size(), btf__align_of() and
 * btf_dump's btf_is_struct_packed().
 *
 * Approach: the same rules on the flat view. btf__align_of() is a pure function of the type
 * graph, and the emitter asks for it once per member of every struct (and recursively for
 * embedded ones), so results are memoized per id in a typed array.
 */

import { KindId as Kind } from '../../format/kinds.js';
import { missedKind } from '../missed-kind.js';
import type { FlatBtf } from './flat.js';
import { Errno } from '../../errors.js';

const MAX_RESOLVE_DEPTH = 32;
const UINT32_MAX = 0xffffffff;
/** libbpf error codes, negated, as btf__resolve_size returns them. */
const EINVAL = Errno.EINVAL;
const E2BIG = Errno.E2BIG;

export class Layout {
  /** align + 1 once computed (0 = not yet); 255 marks "in progress" for cycle safety. */
  private alignMemo: Uint8Array;

  /** btf__resolve_size results; NaN = not computed yet. */
  private sizeMemo: Float64Array;

  constructor(private readonly f: FlatBtf, readonly ptrSize: number) {
    this.alignMemo = new Uint8Array(f.n);
    this.sizeMemo = new Float64Array(f.n).fill(NaN);
  }

  /** btf__resolve_size: size in bytes, or a negative errno (memoized). */
  resolveSize(id: number): number {
    const m = this.sizeMemo[id]!;
    if (m === m) return m; // not NaN
    const r = this.computeSize(id);
    this.sizeMemo[id] = r;
    return r;
  }

  private computeSize(id: number): number {
    const { W, O, K } = this.f;
    let nelems = 1;
    let size = -1;
    for (let i = 0; i < MAX_RESOLVE_DEPTH; i++) {
      const k = K[id]!;
      if (id === 0 || k === Kind.FWD) break;
      const o = O[id]!;
      const kk = k as Kind;
      switch (kk) {
        case Kind.INT: case Kind.STRUCT: case Kind.UNION: case Kind.ENUM: case Kind.ENUM64:
        case Kind.DATASEC: case Kind.FLOAT:
          size = W[o + 2]!;
          i = MAX_RESOLVE_DEPTH;
          continue;
        case Kind.PTR:
          size = this.ptrSize;
          i = MAX_RESOLVE_DEPTH;
          continue;
        case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.VAR:
        case Kind.DECL_TAG: case Kind.TYPE_TAG:
          id = W[o + 2]!;
          break;
        case Kind.ARRAY: {
          const ne = W[o + 5]!;
          if (nelems && ne > Math.floor(UINT32_MAX / nelems)) return -E2BIG;
          nelems = (nelems * ne) >>> 0;
          id = W[o + 3]!;
          break;
        }
        case Kind.UNKN: case Kind.FWD: case Kind.FUNC: case Kind.FUNC_PROTO:
          return -EINVAL;
        default:
          missedKind(kk);
          return -EINVAL;
      }
    }
    if (size < 0) return -EINVAL;
    if (nelems && size > Math.floor(UINT32_MAX / nelems)) return -E2BIG;
    return nelems * size;
  }

  /** btf__align_of: alignment in bytes, 0 when unknown (void, FWD, FUNC_PROTO, ...). */
  alignOf(id: number): number {
    const m = this.alignMemo[id]!;
    if (m !== 0) return m === 255 ? 0 : m - 1;
    const { W, O, K } = this.f;
    const o = O[id]!;
    let r: number;
    const k = K[id] as Kind;
    switch (k) {
      case Kind.INT: case Kind.ENUM: case Kind.ENUM64: case Kind.FLOAT:
        r = Math.min(this.ptrSize, W[o + 2]!);
        break;
      case Kind.PTR:
        r = this.ptrSize;
        break;
      case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG:
        this.alignMemo[id] = 255;
        r = this.alignOf(W[o + 2]!);
        break;
      case Kind.ARRAY:
        this.alignMemo[id] = 255;
        r = this.alignOf(W[o + 3]!);
        break;
      case Kind.STRUCT: case Kind.UNION: {
        this.alignMemo[id] = 255;
        r = this.compositeAlign(id, o);
        break;
      }
      case Kind.UNKN: case Kind.FWD: case Kind.FUNC: case Kind.FUNC_PROTO: case Kind.VAR: case Kind.DATASEC:
      case Kind.DECL_TAG:
        r = 0;
        break;
      default:
        missedKind(k);
        r = 0;
    }
    // Alignments above 253 cannot be memoized in a byte; they do not occur in practice.
    this.alignMemo[id] = r < 254 ? r + 1 : 0;
    return r;
  }

  private compositeAlign(id: number, o: number): number {
    const W = this.f.W;
    const info = W[o + 1]!;
    const vlen = info & this.f.vlenMask;
    const kflag = info >>> 31 === 1;
    let maxAlign = 1;
    for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
      const a = this.alignOf(W[p + 1]!);
      if (a <= 0) return a;
      if (a > maxAlign) maxAlign = a;
      const off = W[p + 2]!;
      // A non-bitfield member off its natural alignment means the struct is packed.
      if ((!kflag || off >>> 24 === 0) && off % (8 * a) !== 0) return 1;
    }
    if (W[o + 2]! % maxAlign !== 0) return 1;
    return maxAlign;
  }

  /** btf_dump's btf_is_struct_packed. */
  isStructPacked(id: number): boolean {
    const W = this.f.W;
    const o = this.f.O[id]!;
    const info = W[o + 1]!;
    const vlen = info & this.f.vlenMask;
    const kflag = info >>> 31 === 1;
    let maxAlign = 1;
    for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
      const a = this.alignOf(W[p + 1]!);
      const off = W[p + 2]!;
      const bitSz = kflag ? off >>> 24 : 0;
      if (a && bitSz === 0 && off % (8 * a) !== 0) return true;
      if (a > maxAlign) maxAlign = a;
    }
    return W[o + 2]! % maxAlign !== 0;
  }
}
