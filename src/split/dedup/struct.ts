/**
 * Dedup stage 3: STRUCT/UNION and TYPEDEF types by type-graph equivalence.
 *
 * Approach: each own STRUCT/UNION/TYPEDEF not yet mapped looks up the candidates of its
 * shallow signature (names, sizes, member names and offsets; no referenced ids) and, for each
 * shallow-equal candidate, walks the candidate's and the canonical's type graphs side by side.
 * A struct's signature also covers the names of its member types (state.ts hashStruct): every
 * pair the walk meets must agree in name, and the canonical map only joins types of one name,
 * so candidates whose member types are named differently could only fail; leaving them out
 * keeps the others in libbpf's order (a key's entries are a subsequence of libbpf's key) and
 * spares the kernels' ~700 btf_trace_* anonymous unions (one libbpf signature) from walking
 * against each other.
 * The walk is depth-first in libbpf's order (ARRAY: index type, then element type; FUNC_PROTO:
 * return type, then parameters) on an explicit stack, so deep kernels cannot overflow the JS
 * stack, and stops at the first mismatch. Each visited canonical id records the candidate id
 * it stands for (the hypothetical map); meeting a canonical id again with another candidate
 * is a contradiction unless the two candidates are structurally identical within 16 levels
 * (the compiler sometimes emits duplicate arrays/structs inside one unit). A FWD matches a
 * STRUCT/UNION of its flavour and name; a base FWD that would have to resolve makes the match
 * count as "not equivalent" except for re-pointing that FWD. After a match, the hypothetical
 * map is merged into the canonical map (FWD resolution, plus structs of the candidate graph
 * mapped to canonical structs).
 *
 * Reference behaviour: libbpf v1.7.0 btf_dedup_is_equiv, btf_dedup_identical_types (including
 * its ARRAY case, which compares the first array's index/element ids with themselves and so
 * accepts any two compatible arrays), btf_dedup_merge_hypot_map, btf_dedup_struct_type(s).
 * Deviation on hostile inputs only: where libbpf would loop forever (reference cycles without a
 * struct) or explode exponentially, a step budget makes the comparison answer "not identical".
 */

import { KindId as Kind } from '../../format/kinds.js';
import { growU32 } from '../../model/grow.js';
import {
  type DedupState, dedupError, kindOf, vlenOf, resolveId, hypotClear, tableAdd, hashTypedef, hashStruct, equalTypedef, shallowEqualStruct,
  equalIntTag, compatEnum, equalCommon, compatArray, compatFnProto,
} from './state.js';

const IDENTICAL_BUDGET = 1 << 20;

/** btf_dedup_identical_types with a step budget; `false` when the budget runs out. */
function identical(d: DedupState, id1: number, id2: number, depth: number): boolean {
  const w = d.w;
  for (;;) {
    if (--d.budget < 0) return false;
    if (depth <= 0) return false;
    const a = d.off[id1]!;
    const b = d.off[id2]!;
    const k = kindOf(w, a);
    if (k !== kindOf(w, b)) return false;
    switch (k) {
      case Kind.UNKN:
        return true;
      case Kind.INT:
        return equalIntTag(w, a, b);
      case Kind.ENUM: case Kind.ENUM64:
        return compatEnum(w, a, b);
      case Kind.FWD: case Kind.FLOAT:
        return equalCommon(w, a, b);
      case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.PTR: case Kind.TYPEDEF:
      case Kind.FUNC: case Kind.TYPE_TAG:
        if (w[a + 1] !== w[b + 1] || w[a] !== w[b]) return false;
        id1 = w[a + 2]!;
        id2 = w[b + 2]!;
        continue;
      case Kind.ARRAY:
        // libbpf reads both arrays' ids from the first array: they are always "equal".
        return compatArray(w, a, b);
      case Kind.STRUCT: case Kind.UNION: {
        if (!shallowEqualStruct(w, a, b)) return false;
        const n = vlenOf(w, a);
        for (let i = 0, p = 4; i < n; i++, p += 3) {
          if (w[a + p] === w[b + p]) continue;
          if (!identical(d, w[a + p]!, w[b + p]!, depth - 1)) return false;
        }
        return true;
      }
      case Kind.FUNC_PROTO: {
        if (!compatFnProto(w, a, b)) return false;
        if (w[a + 2] !== w[b + 2] && !identical(d, w[a + 2]!, w[b + 2]!, depth - 1)) return false;
        const n = vlenOf(w, a);
        for (let i = 0, p = 4; i < n; i++, p += 2) {
          if (w[a + p] === w[b + p]) continue;
          if (!identical(d, w[a + p]!, w[b + p]!, depth - 1)) return false;
        }
        return true;
      }
      default:
        return false;
    }
  }
}

/** Word index of a STRUCT/UNION/FUNC_PROTO/ARRAY/reference record's child i (see childCount). */
function childPos(kind: number, i: number): number {
  switch (kind) {
    case Kind.ARRAY: return i === 0 ? 4 : 3;
    case Kind.STRUCT: case Kind.UNION: return 4 + 3 * i;
    case Kind.FUNC_PROTO: return i === 0 ? 2 : 2 + 2 * i;
    default: return 2;
  }
}

/**
 * The shallow comparison of one pair once it is new to the hypothetical map: 0 not
 * equivalent, 1 equivalent with nothing below, otherwise the number of child pairs + 1.
 */
function shallowPair(d: DedupState, cand: number, canon: number, ck: number, kk: number): number {
  const w = d.w;
  const a = d.off[cand]!;
  const b = d.off[canon]!;
  if (w[a] !== w[b]) return 0;
  if (ck !== kk) {
    if (ck !== Kind.FWD && kk !== Kind.FWD) return 0;
    let real: number;
    let fwd: number;
    if (ck === Kind.FWD) {
      real = kk;
      fwd = w[a + 1]! >>> 31 ? Kind.UNION : Kind.STRUCT;
    } else {
      real = ck;
      fwd = w[b + 1]! >>> 31 ? Kind.UNION : Kind.STRUCT;
      if (fwd === real && canon < d.startId) d.hypotAdjustCanon = true;
    }
    return fwd === real ? 1 : 0;
  }
  switch (ck) {
    case Kind.STRUCT: case Kind.UNION: {
      if (w[a + 1] !== w[b + 1] || w[a + 2] !== w[b + 2]) return 0;
      const n = w[a + 1]! & 0xffff;
      for (let i = 0, p = 3; i < n; i++, p += 3) {
        if (w[a + p] !== w[b + p] || w[a + p + 2] !== w[b + p + 2]) return 0;
      }
      return n === 0 ? 1 : 1 + n;
    }
    case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.PTR: case Kind.TYPEDEF:
    case Kind.FUNC: case Kind.TYPE_TAG:
      return w[a + 1] !== w[b + 1] ? 0 : 2;
    case Kind.INT:
      return equalIntTag(w, a, b) ? 1 : 0;
    case Kind.ENUM: case Kind.ENUM64:
      return compatEnum(w, a, b) ? 1 : 0;
    case Kind.FWD: case Kind.FLOAT:
      return equalCommon(w, a, b) ? 1 : 0;
    case Kind.ARRAY:
      return compatArray(w, a, b) ? 3 : 0;
    case Kind.FUNC_PROTO:
      return compatFnProto(w, a, b) ? 2 + (w[a + 1]! & 0xffff) : 0;
    default:
      throw dedupError(`unexpected kind ${ck} in a type graph`, undefined, cand);
  }
}

/** Frame layout of the equivalence walk: candidate offset, canonical offset, kind, next child, child count. */
const FRAME = 5;

/**
 * Work memory of the struct stage, plus the memo of one failed first-child walk.
 *
 * Within one structType call the canonical map does not change between two candidates
 * (only a successful match merges the hypothetical map), and every candidate walk starts with
 * the root pair alone in the hypothetical map. The walk below the root's first child pair
 * (c1, k1) therefore takes the same course for every candidate sharing that pair, unless it
 * looks up the root's canonical id in the hypothetical map. So when such a sub-walk fails
 * without having looked at its own root, a later candidate with the same (c1, k1) whose
 * canonical root the failed walk never looked up fails at the same step: the memo answers
 * "not equivalent" without walking. (Kernels hold ~700 anonymous unions of one signature,
 * the btf_trace_* ones, whose first member leads into the same large graph: merging two
 * kernels repeats that failing walk once per pair of them.)
 */
interface StructCtx {
  s: Uint32Array;
  /** Per canonical id: the generation of the last memoized failed walk that looked it up (allocated at the first such walk). */
  seen: Int32Array;
  gen: number;
  memoC: number;
  memoK: number;
  /** Generation of the memoized failed walk; 0 = no memo. */
  memoGen: number;
}

/**
 * btf_dedup_is_equiv as an explicit-stack walk: true when the graphs are equivalent. Pairs are
 * visited in libbpf's recursion order; the first non-equivalent pair ends the walk.
 */
function isEquiv(d: DedupState, cand: number, canon: number, stack: StructCtx): boolean {
  const w = d.w;
  const off = d.off;
  const map = d.map;
  const hypot = d.hypot;
  const kinds = d.kinds;
  let hypotList = d.hypotList;
  let hc = d.hypotCnt;
  let s = stack.s;
  let sp = 0;
  let c = cand;
  let k = canon;
  let ok = true;
  // first-child memo: the root's canonical id, the pair below it, the walk's generation
  // (0: not below the first child), where its hypothetical-map entries start, whether it met the root
  let seen = stack.seen;
  let rootK = -1;
  let c1 = 0;
  let k1 = 0;
  let gen = 0;
  let subStart = 0;
  let hitRoot = false;
  walk: for (;;) {
    // resolve_type_id of both sides
    let rc = c;
    let rk = k;
    let guard = d.typeCount;
    for (let m = map[rc]!; m >= 0 && m !== rc; m = map[rc]!) {
      rc = m;
      if (--guard < 0) throw dedupError('cycle in the canonical map', undefined, c);
    }
    for (let m = map[rk]!; m >= 0 && m !== rk; m = map[rk]!) {
      rk = m;
      if (--guard < 0) throw dedupError('cycle in the canonical map', undefined, k);
    }
    if (rc !== rk) {
      // resolve_fwd_id of the canonical side (kinds[] spares reading records on map hits)
      if (kinds[k] === Kind.FWD && kinds[rk] !== Kind.FWD) k = rk;
      if (gen !== 0) {
        if (k === rootK) hitRoot = true;
      } else if (rootK < 0) {
        rootK = k;
      }
      const hyp = hypot[k]! - 1;
      if (hyp >= 0) {
        if (hyp !== c) {
          d.budget = IDENTICAL_BUDGET;
          if (!identical(d, hyp, c, 16)) {
            ok = false;
            break walk;
          }
        }
      } else {
        if (hc === hypotList.length) hypotList = d.hypotList = growU32(hypotList, hc + 1);
        hypotList[hc++] = k;
        hypot[k] = c + 1;
        const b = off[k]!;
        const kk = kinds[k]!;
        const a = off[c]!;
        const ck = kinds[c]!;
        let r: number;
        if (ck === kk && (ck === Kind.STRUCT || ck === Kind.UNION)) {
          // the common case, inline: shallow struct equality
          r = 0;
          if (w[a] === w[b] && w[a + 1] === w[b + 1] && w[a + 2] === w[b + 2]) {
            const n = w[a + 1]! & 0xffff;
            let i = 0;
            for (let p = a + 3, q = b + 3; i < n; i++, p += 3, q += 3) {
              if (w[p] !== w[q] || w[p + 2] !== w[q + 2]) break;
            }
            if (i === n) r = n + 1;
          }
        } else {
          r = shallowPair(d, c, k, ck, kk);
        }
        if (r === 0) {
          ok = false;
          break walk;
        }
        if (r > 1) {
          if (sp + FRAME > s.length) s = stack.s = growU32(s, sp + FRAME);
          s[sp] = a;
          s[sp + 1] = b;
          s[sp + 2] = ck;
          s[sp + 3] = 0;
          s[sp + 4] = r - 1;
          sp += FRAME;
        }
      }
    }
    for (;;) {
      if (sp === 0) break walk;
      const i = s[sp - 2]!;
      if (i < s[sp - 1]!) {
        const kind = s[sp - 3]!;
        const p = kind === Kind.STRUCT || kind === Kind.UNION ? 4 + 3 * i : childPos(kind, i);
        s[sp - 2] = i + 1;
        c = w[s[sp - 5]! + p]!;
        k = w[s[sp - 4]! + p]!;
        if (sp === FRAME) {
          if (i === 0) {
            if (stack.memoGen !== 0 && c === stack.memoC && k === stack.memoK && seen[rootK] !== stack.memoGen) {
              ok = false;
              break walk;
            }
            c1 = c;
            k1 = k;
            gen = ++stack.gen;
            subStart = hc;
          } else {
            gen = 0;
          }
        }
        break;
      }
      sp -= FRAME;
    }
  }
  d.hypotCnt = hc;
  if (!ok && gen !== 0 && !hitRoot) {
    // the ids the failed sub-walk looked up: the entries it added (before it only the root was there)
    if (seen.length === 0) seen = stack.seen = new Int32Array(d.typeCount);
    for (let i = subStart; i < hc; i++) seen[hypotList[i]!] = gen;
    stack.memoC = c1;
    stack.memoK = k1;
    stack.memoGen = gen;
  }
  return ok;
}

/** btf_dedup_merge_hypot_map. */
function mergeHypot(d: DedupState): void {
  const kinds = d.kinds;
  const map = d.map;
  const list = d.hypotList;
  const adjust = d.hypotAdjustCanon;
  for (let i = 0; i < d.hypotCnt; i++) {
    const canonId = list[i]!;
    const tId = resolveId(d, d.hypot[canonId]! - 1);
    const cId = resolveId(d, canonId);
    const tk = kinds[tId]!;
    const ck = kinds[cId]!;
    if (tk !== Kind.FWD && ck === Kind.FWD) map[cId] = tId;
    if (adjust) continue;
    if (tk === Kind.FWD && ck !== Kind.FWD) map[tId] = cId;
    if ((tk === Kind.STRUCT || tk === Kind.UNION) && ck !== Kind.FWD && map[cId]! >= 0 && map[tId]! < 0) map[tId] = cId;
  }
}

function structType(d: DedupState, id: number, stack: StructCtx): void {
  if (d.map[id]! >= 0) return;
  stack.memoGen = 0;
  const w = d.w;
  const o = d.off[id]!;
  const kind = kindOf(w, o);
  if (kind !== Kind.STRUCT && kind !== Kind.UNION && kind !== Kind.TYPEDEF) return;
  const isTypedef = kind === Kind.TYPEDEF;
  if (isTypedef) hashTypedef(d, o);
  else hashStruct(d, o);
  const key = d.h.v;
  let newId = id;
  const t = d.table;
  for (let e = t.first(key); e >= 0; e = t.nextOf(e)) {
    const cand = t.value(e);
    // a base typedef is filed under libbpf's common signature, which an own typedef's never equals
    if (isTypedef && cand < d.startId) continue;
    const co = t.offOf(e);
    if (isTypedef ? !equalTypedef(w, o, co) : !shallowEqualStruct(w, o, co)) continue;
    hypotClear(d);
    if (!isEquiv(d, id, cand, stack)) continue;
    mergeHypot(d);
    stack.memoGen = 0;
    if (d.hypotAdjustCanon) continue;
    newId = cand;
    break;
  }
  d.map[id] = newId;
  if (newId === id) {
    d.h.v = key;
    tableAdd(d, id);
  }
}

export function dedupStructTypes(d: DedupState): void {
  const stack: StructCtx = { s: new Uint32Array(3 * 64), seen: new Int32Array(0), gen: 0, memoC: 0, memoK: 0, memoGen: 0 };
  const kinds = d.kinds;
  for (let id = d.startId; id < d.typeCount; id++) {
    const k = kinds[id];
    if (k === Kind.STRUCT || k === Kind.UNION || k === Kind.TYPEDEF) structType(d, id, stack);
  }
}
