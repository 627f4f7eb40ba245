/**
 * bpftool's btf_type_disambig_hash (v7.7.0 btf.c), the 4th key of the C dump's sort: a 64-bit
 * hash (h = h * 31 + x, libbpf's str_hash for names) over a type's name, its enumerator names,
 * its members' names and (not recursively) their types' hashes, and what a reference refers
 * to. The 64-bit arithmetic is done on two u32 halves; results are left in a `U64` owned by
 * the caller (no module-level state), and memoized per (id, include members).
 */

import { KindId as Kind } from '../../format/kinds.js';
import { missedKind } from '../missed-kind.js';
import { MAX_TYPE_DEPTH, tooDeep } from './context.js';
import type { FlatBtf } from './flat.js';

/** A 64-bit value as two u32 halves: where the hash functions leave their result. */
export class U64 {
  hi = 0;
  lo = 0;
}

/** (hi, lo) = (hi, lo) * 31 + (vHi, vLo) mod 2^64, into r. */
function hasher(r: U64, hi: number, lo: number, vHi: number, vLo: number): void {
  const l = lo * 31;
  const lm = l >>> 0;
  const carry1 = (l - lm) / 4294967296;
  let h = (Math.imul(hi, 31) + carry1) >>> 0;
  const s = lm + vLo;
  const sl = s >>> 0;
  h = (h + vHi + (s - sl) / 4294967296) >>> 0;
  r.hi = h;
  r.lo = sl;
}

/** libbpf str_hash (h = h * 31 + (signed char)c), into r. */
function strHash(r: U64, S: Uint8Array, off: number): void {
  let hi = 0;
  let lo = 0;
  for (let p = off; ; p++) {
    const c = S[p]! | 0;
    if (c === 0) break;
    // (hi, lo) * 31 + sign-extended c
    const l = lo * 31 + (c < 128 ? c : c - 256);
    const lm = l >>> 0;
    hi = (Math.imul(hi, 31) + Math.floor((l - lm) / 4294967296)) >>> 0;
    lo = lm;
  }
  r.hi = hi;
  r.lo = lo;
}

/** btf_name_hasher(hash, name_off), into r. */
function nameHasher(r: U64, S: Uint8Array, hi: number, lo: number, nameOff: number): void {
  if (nameOff === 0) {
    r.hi = hi;
    r.lo = lo;
    return;
  }
  strHash(r, S, nameOff);
  hasher(r, hi, lo, r.hi, r.lo);
}

export class DisambigHash {
  /** Result of the last hash(). */
  readonly r = new U64();
  /** Memo per (id, include_members): hi, lo, state (1 = done). */
  private readonly hi: Uint32Array[];
  private readonly lo: Uint32Array[];
  private readonly done: Uint8Array[];

  constructor(private readonly f: FlatBtf) {
    this.hi = [new Uint32Array(f.n), new Uint32Array(f.n)];
    this.lo = [new Uint32Array(f.n), new Uint32Array(f.n)];
    this.done = [new Uint8Array(f.n), new Uint8Array(f.n)];
  }

  /** btf_type_disambig_hash(btf, id, inc), into r. */
  hash(id: number, inc: boolean, depth = 0): void {
    const r = this.r;
    const m = inc ? 1 : 0;
    if (this.done[m]![id] === 1) {
      r.hi = this.hi[m]![id]!;
      r.lo = this.lo[m]![id]!;
      return;
    }
    const { W, O, K, S } = this.f;
    const o = O[id]!;
    let hi = 0;
    let lo = 0;
    if (id !== 0) {
      nameHasher(r, S, 0, 0, W[o]!);
      hi = r.hi;
      lo = r.lo;
    }
    if (depth === MAX_TYPE_DEPTH) throw tooDeep(id);
    if (id !== 0) {
      const k = K[id] as Kind;
      switch (k) {
        case Kind.ENUM: case Kind.ENUM64: {
          const vlen = W[o + 1]! & this.f.vlenMask;
          const stride = K[id] === Kind.ENUM ? 2 : 3;
          for (let i = 0, p = o + 3; i < vlen; i++, p += stride) {
            nameHasher(r, S, hi, lo, W[p]!);
            hi = r.hi;
            lo = r.lo;
          }
          break;
        }
        case Kind.STRUCT: case Kind.UNION: {
          if (!inc) break;
          const vlen = W[o + 1]! & this.f.vlenMask;
          for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
            nameHasher(r, S, hi, lo, W[p]!);
            hi = r.hi;
            lo = r.lo;
            this.hash(W[p + 1]!, false, depth + 1);
            hasher(r, hi, lo, r.hi, r.lo);
            hi = r.hi;
            lo = r.lo;
          }
          break;
        }
        case Kind.TYPE_TAG: case Kind.CONST: case Kind.PTR: case Kind.VOLATILE: case Kind.RESTRICT:
        case Kind.TYPEDEF: case Kind.DECL_TAG:
          this.hash(W[o + 2]!, inc, depth + 1);
          hasher(r, hi, lo, r.hi, r.lo);
          hi = r.hi;
          lo = r.lo;
          break;
        case Kind.ARRAY:
          hasher(r, hi, lo, 0, W[o + 5]!);
          hi = r.hi;
          lo = r.lo;
          this.hash(W[o + 3]!, inc, depth + 1);
          hasher(r, hi, lo, r.hi, r.lo);
          hi = r.hi;
          lo = r.lo;
          break;
        // The name only.
        case Kind.UNKN: case Kind.INT: case Kind.FWD: case Kind.FUNC: case Kind.FUNC_PROTO: case Kind.VAR:
        case Kind.DATASEC: case Kind.FLOAT:
          break;
        default:
          missedKind(k);
          break;
      }
    }
    this.hi[m]![id] = hi;
    this.lo[m]![id] = lo;
    this.done[m]![id] = 1;
    r.hi = hi;
    r.lo = lo;
  }
}
