/**
 * Dedup stages 0 and 2: hashing the base, then primitive types.
 *
 * Approach: for a split BTF every base type is canonical for itself and is entered in the
 * candidate table under its signature (base TYPEDEFs, FWDs and reference kinds under the
 * common name/info/size-or-type signature, which is why a split TYPEDEF identical to a base
 * one is not merged with it). Then each own INT, FLOAT, FWD, ENUM and ENUM64, in id order,
 * takes the first equal candidate of its signature, or becomes a candidate itself. An enum
 * forward (vlen 0) resolves to a compatible full enum; a full enum met after a canonical enum
 * forward re-points that forward to itself and keeps looking.
 *
 * Reference behaviour: libbpf v1.7.0 btf_dedup_prep and btf_dedup_prim_type(s).
 */

import { KindId as Kind } from '../../format/kinds.js';
import {
  type DedupState, dedupError, tableAdd, hashCommon, hashIntTag, hashEnum, hashStruct, hashArray,
  hashFnProto, equalCommon, equalIntTag, equalEnum, compatEnum, isEnumFwd, kindOf,
} from './state.js';

/** Base types: self-canonical and hashed as candidates (btf_dedup_prep). */
export function dedupPrep(d: DedupState): void {
  const w = d.w;
  const n = Math.max(d.startId - 1, 0);
  // signatures first, then all appended in id order (the table's loop stays short)
  const los = new Int32Array(n);
  const his = new Int32Array(n);
  const ids = new Uint32Array(n);
  let m = 0;
  for (let id = 1; id < d.startId; id++) {
    d.map[id] = id;
    const o = d.off[id]!;
    const k = kindOf(w, o);
    switch (k) {
      case Kind.VAR: case Kind.DATASEC:
        continue;
      case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.PTR: case Kind.FWD:
      case Kind.TYPEDEF: case Kind.FUNC: case Kind.FLOAT: case Kind.TYPE_TAG:
        hashCommon(d, o);
        break;
      case Kind.INT: case Kind.DECL_TAG:
        hashIntTag(d, o);
        break;
      case Kind.ENUM: case Kind.ENUM64:
        hashEnum(d, o);
        break;
      case Kind.STRUCT: case Kind.UNION:
        hashStruct(d, o);
        break;
      case Kind.ARRAY:
        hashArray(d, o);
        break;
      case Kind.FUNC_PROTO:
        hashFnProto(d, o);
        break;
      default:
        throw dedupError(`unknown kind ${k}`, undefined, id);
    }
    los[m] = d.h.lo;
    his[m] = d.h.hi;
    ids[m++] = id;
  }
  d.table.appendAll(los, his, ids, m);
}

/** One primitive type (btf_dedup_prim_type). */
function primType(d: DedupState, id: number): void {
  const w = d.w;
  const o = d.off[id]!;
  const t = d.table;
  let newId = id;
  const k = kindOf(w, o);
  switch (k) {
    case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.PTR: case Kind.TYPEDEF:
    case Kind.ARRAY: case Kind.STRUCT: case Kind.UNION: case Kind.FUNC: case Kind.FUNC_PROTO:
    case Kind.VAR: case Kind.DATASEC: case Kind.DECL_TAG: case Kind.TYPE_TAG:
      return;
    case Kind.INT: {
      hashIntTag(d, o);
      for (let e = t.first(d.h.lo, d.h.hi); e >= 0; e = t.nextOf(e)) {
        const c = t.value(e);
        if (equalIntTag(w, o, d.off[c]!)) {
          newId = c;
          break;
        }
      }
      break;
    }
    case Kind.ENUM: case Kind.ENUM64: {
      hashEnum(d, o);
      for (let e = t.first(d.h.lo, d.h.hi); e >= 0; e = t.nextOf(e)) {
        const c = t.value(e);
        const co = d.off[c]!;
        if (equalEnum(w, o, co)) {
          newId = c;
          break;
        }
        if (compatEnum(w, o, co)) {
          if (isEnumFwd(w, o)) {
            newId = c;
            break;
          }
          d.map[c] = id;
        }
      }
      break;
    }
    case Kind.FWD: case Kind.FLOAT: {
      hashCommon(d, o);
      for (let e = t.first(d.h.lo, d.h.hi); e >= 0; e = t.nextOf(e)) {
        const c = t.value(e);
        if (equalCommon(w, o, d.off[c]!)) {
          newId = c;
          break;
        }
      }
      break;
    }
    default:
      throw dedupError(`unknown kind ${k}`, undefined, id);
  }
  d.map[id] = newId;
  if (newId === id) tableAdd(d, id);
}

export function dedupPrimTypes(d: DedupState): void {
  const kinds = d.kinds;
  for (let id = d.startId; id < d.typeCount; id++) {
    // only these kinds do anything in primType (the per-id kind array spares reading records)
    const k = kinds[id];
    if (k === Kind.INT || k === Kind.ENUM || k === Kind.ENUM64 || k === Kind.FWD || k === Kind.FLOAT) primType(d, id);
  }
}
