/**
 * A flat, read-only view of a BTF object and its base chain, for the C emitter.
 *
 * Approach: libbpf's btf_dump works on `btf__type_by_id()` pointers into one array of
 * records. The model keeps base and split records in separate word arrays and resolves ids
 * through the chain; doing that for every access of a whole-vmlinux dump costs more than
 * the dump itself. So the emitter first builds one words array (`W`, shared with the model
 * when there is no base), one record offset per id (`O`), one kind byte per id (`K`), and
 * one string buffer (`S`) indexed directly by logical string offsets: string sections of a
 * chain are contiguous in the logical offset space, so concatenating them is enough.
 * Id 0 (void) has kind 0 and points at three zero words.
 */

import { BtfkitError } from '../../errors.js';
import { KindId as Kind, MAX_KNOWN_KIND } from '../../format/kinds.js';
import { missedKind } from '../missed-kind.js';
import type { Btf } from '../../model/btf.js';

export interface FlatBtf {
  /** type_cnt: ids are 0 .. n-1. */
  readonly n: number;
  /** All records of the chain, host order. */
  readonly W: Uint32Array;
  /** Word offset of each id's record in W (id 0 points at three zero words). */
  readonly O: Uint32Array;
  /** Kind of each id (0 for void). */
  readonly K: Uint8Array;
  /** String bytes by logical offset. */
  readonly S: Uint8Array;
  /**
   * Reference bits of each id: REF_MARKED when libbpf's btf_dump_mark_referenced() marks it,
   * REF_ORDER when btf_dump_order_type() can reach it from another type.
   */
  readonly R: Uint8Array;
  /** Mask applied to info to get vlen. */
  readonly vlenMask: number;
}

export const REF_MARKED = 1;
export const REF_ORDER = 2;

export function flatten(btf: Btf): FlatBtf {
  const chain: Btf[] = [];
  for (let b: Btf | null = btf; b; b = b.base) chain.unshift(b);
  const n = btf.typeCount();
  const O = new Uint32Array(n);
  const K = new Uint8Array(n);
  let W: Uint32Array;
  let S: Uint8Array;
  if (chain.length === 1) {
    // Reuse the model's arrays when three zero words follow the used ones (builder
    // capacity); otherwise copy once with room for the void record.
    const b = chain[0]!;
    if (b.raw().words.length >= b.nWords + 3 && b.raw().words[b.nWords] === 0 && b.raw().words[b.nWords + 1] === 0 && b.raw().words[b.nWords + 2] === 0) {
      W = b.raw().words;
    } else {
      W = new Uint32Array(b.nWords + 3);
      W.set(b.raw().words.subarray(0, b.nWords));
    }
    O[0] = b.nWords;
    O.set(b.raw().offs.subarray(0, b.nTypes), 1);
    S = b.raw().strs;
  } else {
    let words = 0;
    let strs = 0;
    for (const b of chain) {
      words += b.nWords;
      strs += b.strLen;
    }
    W = new Uint32Array(words + 3);
    S = new Uint8Array(strs + 1);
    let wp = 0;
    let sp = 0;
    for (const b of chain) {
      W.set(b.raw().words.subarray(0, b.nWords), wp);
      const offs = b.raw().offs;
      const start = b.startId;
      for (let i = 0; i < b.nTypes; i++) O[start + i] = offs[i]! + wp;
      wp += b.nWords;
      if (sp !== b.startStrOff)
        throw new BtfkitError('BTF_INVALID', `string sections of the base chain are not contiguous (${sp} != ${b.startStrOff})`);
      S.set(b.raw().strs.subarray(0, b.strLen), sp);
      sp += b.strLen;
    }
    O[0] = wp;
  }
  // One pass: kinds, and who refers to whom.
  const kindMask = btf.kindMask;
  const vm = btf.vlenMask;
  const R = new Uint8Array(n);
  for (let id = 1; id < n; id++) {
    const o = O[id]!;
    const k = (W[o + 1]! >>> 24) & kindMask;
    if (k === 0 || k > MAX_KNOWN_KIND)
      throw new BtfkitError('BTF_TYPES', `type [${id}]: unsupported BTF kind ${k} for C dump`, { where: { typeId: id } });
    K[id] = k;
    const kk = k as Kind;
    switch (kk) {
      case Kind.PTR: case Kind.TYPEDEF: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT:
      case Kind.TYPE_TAG:
        R[W[o + 2]!]! |= REF_MARKED | REF_ORDER;
        break;
      case Kind.FUNC: case Kind.VAR: case Kind.DECL_TAG:
        R[W[o + 2]!]! |= REF_MARKED;
        break;
      case Kind.ARRAY:
        R[W[o + 3]!]! |= REF_MARKED | REF_ORDER;
        R[W[o + 4]!]! |= REF_MARKED;
        break;
      case Kind.STRUCT: case Kind.UNION: {
        const vlen = W[o + 1]! & vm;
        for (let i = 0, p = o + 4; i < vlen; i++, p += 3) R[W[p]!]! |= REF_MARKED | REF_ORDER;
        break;
      }
      case Kind.FUNC_PROTO: {
        // libbpf marks the parameters (not the return type) as referenced; ordering
        // follows both.
        R[W[o + 2]!]! |= REF_ORDER;
        const vlen = W[o + 1]! & vm;
        for (let i = 0, p = o + 4; i < vlen; i++, p += 2) R[W[p]!]! |= REF_MARKED | REF_ORDER;
        break;
      }
      case Kind.DATASEC: {
        const vlen = W[o + 1]! & vm;
        for (let i = 0, p = o + 3; i < vlen; i++, p += 3) R[W[p]!]! |= REF_MARKED;
        break;
      }
      // No references.
      case Kind.UNKN: case Kind.INT: case Kind.ENUM: case Kind.FWD: case Kind.FLOAT: case Kind.ENUM64:
        break;
      default:
        missedKind(kk);
        break;
    }
  }
  return { n, W, O, K, S, R, vlenMask: btf.vlenMask };
}

const LONG_ALIASES = [
  'long', 'long int', 'int long', 'unsigned long', 'long unsigned', 'unsigned long int',
  'unsigned int long', 'long unsigned int', 'long int unsigned', 'int unsigned long', 'int long unsigned',
];

/**
 * libbpf determine_ptr_size(): the size of the first 4- or 8-byte INT named like `long`
 * (any spelling), or 0 when there is none.
 */
export function guessPtrSize(f: FlatBtf): number {
  const { W, O, K, S, n } = f;
  for (let id = 1; id < n; id++) {
    if (K[id] !== Kind.INT) continue;
    const o = O[id]!;
    const size = W[o + 2]!;
    if (size !== 4 && size !== 8) continue;
    const off = W[o]!;
    for (const a of LONG_ALIASES) {
      let i = 0;
      while (i < a.length && S[off + i] === a.charCodeAt(i)) i++;
      if (i === a.length && (S[off + i] ?? 0) === 0) return size;
    }
  }
  return 0;
}
