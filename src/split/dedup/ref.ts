/**
 * Dedup stages 4 and 5: unambiguous forward declarations, then reference types.
 *
 * Approach: (4) every canonical STRUCT/UNION of the base and own types is indexed by name
 * offset (a name used by two of them is ambiguous); an own FWD still canonical for itself maps
 * to the single STRUCT/UNION of its name and flavour. (5) Each own PTR, CONST, VOLATILE,
 * RESTRICT, FUNC, TYPE_TAG, DECL_TAG, ARRAY and FUNC_PROTO first has its referenced ids
 * rewritten to their canonical ids (depth first: ARRAY element then index, FUNC_PROTO return
 * then parameters), which makes it stable, then takes the first exactly equal candidate of its
 * signature or becomes one. The depth-first walk uses an explicit stack whose frames hold the
 * type's id fields as a word range and stride (one field; ARRAY's two; FUNC_PROTO's return
 * type and every second word after it), so the walk has no per-kind code; meeting a type that
 * is still in progress is a reference loop (libbpf: -ELOOP). The signature and the equality of
 * every reference kind cover one prefix of its record (3 words; DECL_TAG 4, ARRAY 6,
 * FUNC_PROTO 3 + 2 per parameter), hashed and compared as plain words.
 *
 * Reference behaviour: libbpf v1.7.0 btf_dedup_fill_unique_names_map, btf_dedup_resolve_fwd(s),
 * btf_dedup_ref_type(s).
 */

import { KindId as Kind } from '../../format/kinds.js';
import { growU32 } from '../../model/grow.js';
import { type DedupState, IN_PROGRESS, ELOOP, dedupError, tableAdd } from './state.js';

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

/**
 * Words of a reference record that its signature and equality cover: the common three, plus
 * DECL_TAG's component index, ARRAY's element, index and count, FUNC_PROTO's parameters
 * (libbpf's hash and equal functions of these kinds fold and compare exactly these words).
 */
function sigWords(w: Uint32Array, o: number, k: number): number {
  if (k === Kind.FUNC_PROTO) return 3 + 2 * (w[o + 1]! & 0xffff);
  if (k === Kind.ARRAY) return 6;
  return k === Kind.DECL_TAG ? 4 : 3;
}

/** Finds the canonical id of a reference type whose referenced ids are final (btf_dedup_ref_type's lookup). */
function finishRef(d: DedupState, id: number, k: number): number {
  const w = d.w;
  const off = d.off;
  const o = off[id]!;
  const t = d.table;
  const nw = sigWords(w, o, k);
  const h = d.h.words(w, o, nw);
  let newId = id;
  for (let e = t.first(h.v); e >= 0; e = t.nextOf(e)) {
    const co = t.offOf(e);
    let i = 0;
    while (i < nw && w[o + i] === w[co + i]) i++;
    if (i === nw) {
      newId = t.value(e);
      break;
    }
  }
  d.map[id] = newId;
  if (newId === id) tableAdd(d, id);
  return newId;
}

/** Frame layout of the reference walk: id, word index of the next id field, end of the fields, step between them. */
const FRAME = 4;

/** Pushes the frame of reference type `id` (marked in progress): its id fields as (first, end, step). */
function pushRef(d: DedupState, s: Uint32Array, sp: number, id: number): void {
  const k = d.kinds[id]!;
  const o = d.off[id]!;
  let p = o + 2;
  let end = o + 3;
  let step = 1;
  switch (k) {
    case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.PTR: case Kind.FUNC:
    case Kind.TYPE_TAG: case Kind.DECL_TAG:
      break;
    case Kind.ARRAY:
      // element type, then index type
      p = o + 3;
      end = o + 5;
      break;
    case Kind.FUNC_PROTO:
      // return type, then each parameter's type
      end = o + 3 + 2 * (d.w[o + 1]! & 0xffff);
      step = 2;
      break;
    default:
      throw dedupError(`unexpected kind ${k} among reference types`, undefined, id);
  }
  d.map[id] = IN_PROGRESS;
  s[sp] = id;
  s[sp + 1] = p;
  s[sp + 2] = end;
  s[sp + 3] = step;
}

/** btf_dedup_ref_type on an explicit stack of frames; each id field is rewritten to its canonical id. */
function refType(d: DedupState, root: number, stack: { s: Uint32Array }): void {
  const map = d.map;
  const w = d.w;
  let s = stack.s;
  pushRef(d, s, 0, root);
  let sp = FRAME;
  frames: while (sp > 0) {
    let p = s[sp - 3]!;
    const end = s[sp - 2]!;
    const step = s[sp - 1]!;
    for (; p < end; p += step) {
      const child = w[p]!;
      let m = map[child]!;
      if (m >= 0) {
        // resolve_type_id: follow the map to a type canonical for itself
        if (m !== child) {
          let guard = map.length;
          for (let n = map[m]!; n >= 0 && n !== m; n = map[m]!) {
            m = n;
            if (--guard < 0) throw dedupError('cycle in the canonical map', ELOOP, child);
          }
          w[p] = m;
        }
        continue;
      }
      if (m === IN_PROGRESS) throw dedupError('reference loop', ELOOP, child);
      s[sp - 3] = p;
      if (sp + FRAME > s.length) s = stack.s = growU32(s, sp + FRAME);
      pushRef(d, s, sp, child);
      sp += FRAME;
      continue frames;
    }
    const id = s[sp - 4]!;
    const res = finishRef(d, id, d.kinds[id]!);
    sp -= FRAME;
    if (sp > 0) {
      // the parent's current field is this child: rewrite it and step past it
      const pp = s[sp - 3]!;
      w[pp] = res;
      s[sp - 3] = pp + s[sp - 1]!;
    }
  }
}

export function dedupRefTypes(d: DedupState): void {
  const stack = { s: new Uint32Array(FRAME * 64) };
  const map = d.map;
  for (let id = d.startId; id < d.typeCount; id++) {
    const m = map[id]!;
    if (m >= 0) continue;
    if (m === IN_PROGRESS) throw dedupError('reference loop', ELOOP, id);
    refType(d, id, stack);
  }
}
