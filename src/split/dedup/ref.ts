/**
 * Dedup stages 4 and 5: unambiguous forward declarations, then reference types.
 *
 * Approach: (4) every canonical STRUCT/UNION of the base and own types is indexed by name
 * offset (a name used by two of them is ambiguous); an own FWD still canonical for itself maps
 * to the single STRUCT/UNION of its name and flavour. (5) Each own PTR, CONST, VOLATILE,
 * RESTRICT, FUNC, TYPE_TAG, DECL_TAG, ARRAY and FUNC_PROTO first has its referenced ids
 * rewritten to their canonical ids (depth first: ARRAY element then index, FUNC_PROTO return
 * then parameters), which makes it stable, then takes the first exactly equal candidate of its
 * signature or becomes one. The depth-first walk uses an explicit stack; meeting a type that is
 * still in progress is a reference loop (libbpf: -ELOOP).
 *
 * Reference behaviour: libbpf v1.7.0 btf_dedup_fill_unique_names_map, btf_dedup_resolve_fwd(s),
 * btf_dedup_ref_type(s).
 */

import { KindId as Kind } from '../../format/kinds.js';
import { growU32 } from '../../model/grow.js';
import {
  type DedupState, IN_PROGRESS, ELOOP, dedupError, kindOf, vlenOf, resolveId, tableAdd,
  hashCommon, hashIntTag, hashArray, hashFnProto, equalCommon, equalIntTag, equalArray, equalFnProto,
} from './state.js';

export function dedupResolveFwds(d: DedupState): void {
  const w = d.w;
  const off = d.off;
  const kinds = d.kinds;
  const map = d.map;
  // only the names of the own FWDs still canonical matter: name -> -1 (no STRUCT/UNION yet),
  // the one canonical STRUCT/UNION of that name, or 0 (ambiguous)
  const names = new Map<number, number>();
  for (let id = d.startId; id < d.typeCount; id++) {
    if (kinds[id] === Kind.FWD && map[id] === id) names.set(w[off[id]!]!, -1);
  }
  if (names.size === 0) return;
  for (let id = 1; id < d.typeCount; id++) {
    const k = kinds[id];
    if ((k !== Kind.STRUCT && k !== Kind.UNION) || map[id] !== id) continue;
    const no = w[off[id]!]!;
    const have = names.get(no);
    if (have !== undefined) names.set(no, have === -1 ? id : 0);
  }
  for (let id = d.startId; id < d.typeCount; id++) {
    if (kinds[id] !== Kind.FWD || map[id] !== id) continue;
    const o = off[id]!;
    const cand = names.get(w[o]!)!;
    if (cand <= 0) continue;
    const ck = kinds[cand];
    const isUnionFwd = w[o + 1]! >>> 31 === 1;
    if ((ck === Kind.STRUCT && isUnionFwd) || (ck === Kind.UNION && !isUnionFwd)) continue;
    map[id] = cand;
  }
}

/** Number of referenced-id fields of a reference type and the word index of field i. */
function refCount(w: Uint32Array, o: number): number {
  switch (kindOf(w, o)) {
    case Kind.ARRAY: return 2;
    case Kind.FUNC_PROTO: return 1 + vlenOf(w, o);
    default: return 1;
  }
}

function refPos(w: Uint32Array, o: number, i: number): number {
  switch (kindOf(w, o)) {
    case Kind.ARRAY: return i === 0 ? 3 : 4;
    case Kind.FUNC_PROTO: return i === 0 ? 2 : 4 + 2 * (i - 1);
    default: return 2;
  }
}

function startRef(d: DedupState, id: number): void {
  const k = kindOf(d.w, d.off[id]!);
  d.map[id] = IN_PROGRESS;
  switch (k) {
    case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.PTR: case Kind.FUNC:
    case Kind.TYPE_TAG: case Kind.DECL_TAG: case Kind.ARRAY: case Kind.FUNC_PROTO:
      return;
    default:
      throw dedupError(`unexpected kind ${k} among reference types`, undefined, id);
  }
}

/** Finds the canonical id of a reference type whose referenced ids are final. */
function finishRef(d: DedupState, id: number): number {
  const w = d.w;
  const off = d.off;
  const o = off[id]!;
  const t = d.table;
  const k = kindOf(w, o);
  if (k === Kind.DECL_TAG) hashIntTag(d, o);
  else if (k === Kind.ARRAY) hashArray(d, o);
  else if (k === Kind.FUNC_PROTO) hashFnProto(d, o);
  else hashCommon(d, o);
  let newId = id;
  for (let e = t.first(d.h.lo, d.h.hi); e >= 0; e = t.nextOf(e)) {
    const c = t.value(e);
    if (refEqual(w, k, o, off[c]!)) {
      newId = c;
      break;
    }
  }
  d.map[id] = newId;
  if (newId === id) tableAdd(d, id);
  return newId;
}

/** The equality of a reference kind `k` (libbpf: btf_equal_int_tag / _array / _fnproto / _common). */
function refEqual(w: Uint32Array, k: number, a: number, b: number): boolean {
  if (k === Kind.DECL_TAG) return equalIntTag(w, a, b);
  if (k === Kind.ARRAY) return equalArray(w, a, b);
  if (k === Kind.FUNC_PROTO) return equalFnProto(w, a, b);
  return equalCommon(w, a, b);
}

/** btf_dedup_ref_type on an explicit stack of (id, next field) frames. */
function refType(d: DedupState, root: number, stack: { s: Uint32Array }): void {
  const map = d.map;
  if (map[root] === IN_PROGRESS) throw dedupError('reference loop', ELOOP, root);
  if (map[root]! >= 0) return;
  const w = d.w;
  startRef(d, root);
  let s = stack.s;
  s[0] = root;
  s[1] = 0;
  let sp = 2;
  while (sp > 0) {
    const id = s[sp - 2]!;
    const i = s[sp - 1]!;
    const o = d.off[id]!;
    if (i < refCount(w, o)) {
      const p = o + refPos(w, o, i);
      const child = w[p]!;
      if (map[child] === IN_PROGRESS) throw dedupError('reference loop', ELOOP, child);
      if (map[child]! >= 0) {
        w[p] = resolveId(d, child);
        s[sp - 1] = i + 1;
        continue;
      }
      startRef(d, child);
      s = stack.s = growU32(s, sp + 2);
      s[sp] = child;
      s[sp + 1] = 0;
      sp += 2;
      continue;
    }
    const res = finishRef(d, id);
    sp -= 2;
    if (sp > 0) {
      const pid = s[sp - 2]!;
      const pi = s[sp - 1]!;
      const po = d.off[pid]!;
      w[po + refPos(w, po, pi)] = res;
      s[sp - 1] = pi + 1;
    }
  }
}

export function dedupRefTypes(d: DedupState): void {
  const stack = { s: new Uint32Array(128) };
  for (let id = d.startId; id < d.typeCount; id++) refType(d, id, stack);
}
