/**
 * Stage 1 of a C dump, btf_dump_order_type (libbpf v1.7.0 btf_dump.c): the depth-first walk
 * that puts the named definitions a type needs into the emit queue, in the order they must be
 * written. A link is "strong" (the definition must come first: embedding, anonymous types) or
 * "weak" (a forward declaration will do: through a pointer); a cycle of strong links is
 * unsatisfiable (-ELOOP). Arrays, modifiers and prototypes are marked ORDERED once what they
 * refer to is, which libbpf does not do but which gives the same answers (see orderTypeStep).
 *
 * Also `unsettled`: which ids of a list can still change anything when dumped (used to skip
 * most of bpftool's rank-10 tail without walking it).
 */

import { KindId as Kind } from '../../format/kinds.js';
import { missedKind } from '../missed-kind.js';
import { growU32 } from '../../model/grow.js';
import { REF_MARKED } from './flat.js';
import { EINVAL, ELOOP, MAX_TYPE_DEPTH, ORDERED, ORDERING, warn, type EmitCtx } from './context.js';

function enqueue(c: EmitCtx, id: number): void {
  if (c.queueLen === c.queue.length) c.queue = growU32(c.queue, c.queueLen + 1);
  c.queue[c.queueLen++] = id;
}

/**
 * btf_dump_order_type with a bound on its nesting: a cycle that libbpf would follow forever
 * (no struct/union on it) is reported as an unsatisfiable cycle (-ELOOP), a chain deeper
 * than MAX_TYPE_DEPTH as too deep (-ELOOP, tooDeep set).
 */
export function orderType(c: EmitCtx, id: number, throughPtr: boolean): number {
  if (c.orderState[id] === ORDERED) return 1;
  const d = c.orderDepth;
  if (d === MAX_TYPE_DEPTH) {
    const path = c.orderPath;
    // Same id twice on the path: a loop libbpf would never leave.
    const seen = new Set<number>();
    let loop = -1;
    for (let i = 0; i < d && loop < 0; i++) {
      if (seen.has(path[i]!)) loop = path[i]!;
      seen.add(path[i]!);
    }
    c.tooDeep = loop < 0;
    c.cycleId = loop < 0 ? id : loop;
    if (loop >= 0) warn(c, `unsatisfiable type cycle, id:[${loop}]`);
    return -ELOOP;
  }
  c.orderPath[d] = id;
  c.orderDepth = d + 1;
  const r = orderTypeStep(c, id, throughPtr);
  c.orderDepth = d;
  return r;
}

/** btf_dump_order_type: 1 = strong link, 0 = weak link, < 0 = -errno. */
function orderTypeStep(c: EmitCtx, id: number, throughPtr: boolean): number {
  const st = c.orderState[id]!;
  if (st === ORDERED) return 1;
  const W = c.W;
  const o = c.O[id]!;
  const k = c.K[id] as Kind;
  if (st === ORDERING) {
    if ((k === Kind.STRUCT || k === Kind.UNION) && throughPtr && W[o] !== 0) return 0;
    c.cycleId = id;
    warn(c, `unsatisfiable type cycle, id:[${id}]`);
    return -ELOOP;
  }
  switch (k) {
    case Kind.INT: case Kind.FLOAT:
      c.orderState[id] = ORDERED;
      return 0;
    case Kind.PTR: {
      const err = orderType(c, W[o + 2]!, true);
      c.orderState[id] = ORDERED;
      return err;
    }
    case Kind.ARRAY: {
      // libbpf never marks arrays, modifiers and prototypes ORDERED, but once what they
      // refer to is ORDERED every later call returns 1, which is what ORDERED returns:
      // marking them saves walking the same chains again and again.
      const t = W[o + 3]!;
      const r = orderType(c, t, false);
      if (c.orderState[t] === ORDERED) c.orderState[id] = ORDERED;
      return r;
    }
    case Kind.STRUCT: case Kind.UNION: {
      // Part of a strong link only when embedded (no pointer on the path) or anonymous
      // (defined inline even behind a pointer).
      if (throughPtr && W[o] !== 0) return 0;
      const os = c.orderState;
      os[id] = ORDERING;
      const vlen = W[o + 1]! & c.vlenMask;
      for (let i = 0, p = o + 4; i < vlen; i++, p += 3) {
        // (An ORDERED member type would return 1 at once: no call.)
        if (os[W[p]!] === ORDERED) continue;
        const err = orderType(c, W[p]!, false);
        if (err < 0) return err;
      }
      if (W[o] !== 0) enqueue(c, id);
      c.orderState[id] = ORDERED;
      return 1;
    }
    case Kind.ENUM: case Kind.ENUM64: case Kind.FWD:
      // Named or unreferenced enums are top-level declarations; FWDs likewise.
      if (W[o] !== 0 || !(c.flat.R[id]! & REF_MARKED)) enqueue(c, id);
      c.orderState[id] = ORDERED;
      return 1;
    case Kind.TYPEDEF: {
      const isStrong = orderType(c, W[o + 2]!, throughPtr);
      if (isStrong < 0) return isStrong;
      // Like a struct w.r.t. forward declarations.
      if (throughPtr && !isStrong) return 0;
      enqueue(c, id);
      c.orderState[id] = ORDERED;
      return 1;
    }
    case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG: {
      const t = W[o + 2]!;
      const r = orderType(c, t, throughPtr);
      if (c.orderState[t] === ORDERED) c.orderState[id] = ORDERED;
      return r;
    }
    case Kind.FUNC_PROTO: {
      const os = c.orderState;
      let err = orderType(c, W[o + 2]!, throughPtr);
      if (err < 0) return err;
      let strong = err > 0;
      let all = os[W[o + 2]!] === ORDERED;
      const vlen = W[o + 1]! & c.vlenMask;
      for (let i = 0, p = o + 4; i < vlen; i++, p += 2) {
        if (os[W[p]!] === ORDERED) {
          strong = true;
          continue;
        }
        err = orderType(c, W[p]!, throughPtr);
        if (err < 0) return err;
        if (err > 0) strong = true;
        if (os[W[p]!] !== ORDERED) all = false;
      }
      if (all) os[id] = ORDERED;
      return strong ? 1 : 0;
    }
    case Kind.FUNC: case Kind.VAR: case Kind.DATASEC: case Kind.DECL_TAG:
      c.orderState[id] = ORDERED;
      return 0;
    case Kind.UNKN:
      return -EINVAL;
    default:
      missedKind(k);
      return -EINVAL;
  }
}

/** See unsettled(). memo: 1 settled, 2 not, 3 being visited (a cycle: not settled). */
function settled(c: EmitCtx, id: number, memo: Uint8Array, depth: number): boolean {
  if (c.orderState[id] === ORDERED) return true;
  const m = memo[id]!;
  if (m !== 0) return m === 1;
  if (depth === MAX_TYPE_DEPTH) return false;
  memo[id] = 3;
  const W = c.W;
  const o = c.O[id]!;
  const os = c.orderState;
  let ok = false;
  const k = c.K[id] as Kind;
  switch (k) {
    case Kind.PTR: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.TYPE_TAG:
      ok = settled(c, W[o + 2]!, memo, depth + 1);
      break;
    case Kind.ARRAY:
      ok = settled(c, W[o + 3]!, memo, depth + 1);
      break;
    case Kind.FUNC_PROTO: {
      ok = settled(c, W[o + 2]!, memo, depth + 1);
      const vlen = W[o + 1]! & c.vlenMask;
      for (let i = 0, p = o + 4; ok && i < vlen; i++, p += 2) ok = os[W[p]!] === ORDERED || settled(c, W[p]!, memo, depth + 1);
      break;
    }
    case Kind.STRUCT: case Kind.UNION: {
      ok = W[o] === 0;
      const vlen = W[o + 1]! & c.vlenMask;
      for (let i = 0, p = o + 4; ok && i < vlen; i++, p += 3) ok = os[W[p]!] === ORDERED || settled(c, W[p]!, memo, depth + 1);
      break;
    }
    case Kind.ENUM: case Kind.ENUM64: case Kind.FWD:
      ok = W[o] === 0 && (c.flat.R[id]! & REF_MARKED) !== 0;
      break;
    // Not settled until ORDERED (their first order call answers 0, later ones 1).
    case Kind.UNKN: case Kind.INT: case Kind.FLOAT: case Kind.TYPEDEF: case Kind.FUNC: case Kind.VAR:
    case Kind.DATASEC: case Kind.DECL_TAG:
      ok = false;
      break;
    default:
      missedKind(k);
      ok = false;
  }
  memo[id] = ok ? 1 : 2;
  return ok;
}

/**
 * The ids of `ids` (in their order) whose dumpType() may still write something or change
 * state that a later dumpType() can observe, given what was dumped so far; dumping the
 * others is a no-op now and stays one (needed for the tail of bpftool's order: see dumpC).
 *
 * A type is *settled* when orderType() on it, now or after any further dumps, returns 1,
 * queues nothing and changes no state except marking settled types ORDERED, which only
 * turns the same answer into an early return. Settled are: ORDERED types; a PTR, ARRAY or
 * modifier whose target is settled; a FUNC_PROTO whose return and parameter types are;
 * an anonymous struct/union whose member types are (never queued, defined inline); an
 * anonymous, referenced enum or FWD (not queued). Named definitions that are not ORDERED
 * yet (typedefs, FWDs, ...), INT/FLOAT and FUNC/VAR/DATASEC/DECL_TAG that are not (their
 * first answer is 0, later ones 1) and anything on a reference cycle are not settled.
 * Once settled, a type stays settled (ORDERED is never undone), so dropping the dumps of
 * settled ids from a sequence leaves every other dump, and so the output, unchanged.
 * (One caveat: a chain deeper than MAX_TYPE_DEPTH that is refused when walked may not be
 * walked at all then; real BTF nests a few dozen levels.)
 */
export function unsettled(c: EmitCtx, ids: Uint32Array): Uint32Array {
  const memo = new Uint8Array(c.flat.n);
  const keep = new Uint32Array(ids.length);
  const { W, O, K } = c;
  const os = c.orderState;
  let m = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    // Most are a pointer, modifier or array of an ORDERED type, or a prototype whose
    // return and parameter types are all ORDERED: settled, no call needed.
    const k = K[id];
    const o = O[id]!;
    if ((k === Kind.PTR || k === Kind.CONST || k === Kind.VOLATILE || k === Kind.RESTRICT || k === Kind.TYPE_TAG) && os[W[o + 2]!] === ORDERED) continue;
    if (k === Kind.ARRAY && os[W[o + 3]!] === ORDERED) continue;
    if (k === Kind.FUNC_PROTO) {
      let all = os[W[o + 2]!] === ORDERED;
      const vlen = W[o + 1]! & c.vlenMask;
      for (let j = 0, p = o + 4; all && j < vlen; j++, p += 2) all = os[W[p]!] === ORDERED;
      if (all) continue;
    }
    if (!settled(c, id, memo, 0)) keep[m++] = id;
  }
  return keep.subarray(0, m);
}
