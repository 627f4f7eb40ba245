/**
 * Dedup stages 0 and 2: hashing the base, then primitive types.
 *
 * Approach: for a split BTF every base type is canonical for itself and is entered in the
 * candidate table under its signature (base TYPEDEFs, FWDs and reference kinds under the
 * common name/info/size-or-type signature, which is why a split TYPEDEF identical to a base
 * one is not merged with it). Then each own INT, FLOAT, FWD, ENUM and ENUM64, in id order,
 * takes the first equal candidate of its signature, or becomes a candidate itself. An enum
 * forward (vlen 0) resolves to a compatible full enum; a full enum met after a canonical enum
 * forward re-points that forward to itself and keeps looking. libbpf keys enums by name
 * alone (so a forward finds its full enum), which puts every anonymous enum under one key; a
 * full enum whose name has no enum forward among the candidates can only take an equal enum,
 * so it looks in a second table keyed by the whole enum (state.ts enumTable), whose chains
 * follow the first table's order, and scans only the equal ones.
 *
 * Reference behaviour: libbpf v1.7.0 btf_dedup_prep and btf_dedup_prim_type(s).
 */

import { dedupPrepTables } from '../../accel/dedup.js';
import { ownSections } from './access.js';
import { KindId as Kind } from '../../format/kinds.js';
import {
  type DedupState, dedupError, tableAdd, hashCommon, hashIntTag, hashEnum, hashStruct, hashArray,
  hashFnProto, equalCommon, equalIntTag, equalEnum, compatEnum, isEnumFwd, kindOf, enumSigWords, tableAddEnum,
} from './state.js';

/**
 * Base types: self-canonical (their map and kind entries are set here, not by newState) and
 * hashed as candidates (btf_dedup_prep).
 *
 * A candidate is only ever taken by an own type whose equality check it passes, and every
 * check (equal_common and the others, compat_enum) starts with the name; for anonymous
 * structs, unions, enums and function prototypes the member, value and parameter names must
 * match too. So a base type that no own type could equal (its name, or an anonymous one's
 * element names, used by no own type) is only counted in the table (hashmap's growth points,
 * which decide the order of each key's entries), not hashed and stored: a module's split BTF
 * names ~1% of a kernel's 100k types.
 */
export function dedupPrep(d: DedupState, stringsDeduped: boolean, wasm = true): void {
  if (d.startId === 1) return; // no base
  // with strings already deduplicated, the names are found in WebAssembly too
  let names = stringsDeduped ? null : ownNames(d, stringsDeduped);
  if (wasm && prepInWasm(d, names)) return;
  names ??= ownNames(d, stringsDeduped);
  const map = d.map;
  for (let id = 1; id < d.startId; id++) map[id] = id;
  prepBase(d, names);
}

/**
 * dedupPrep's pass over the base types in JavaScript: kinds set and candidates entered (map
 * already set). Its twin, accel.c btfkit_dedup_prep, runs where WebAssembly can; exported for
 * the test that compares the two.
 */
export function prepBase(d: DedupState, names: OwnNames): void {
  const w = d.w;
  const bits = names.bits;
  const { off, kinds, table } = d;
  const start = d.startId;
  // this loop over the whole base runs once per process, mostly before V8 optimizes it: the
  // common case (a named type no own type names) is inline, and skipped entries are counted
  // in runs
  let skipped = 0;
  for (let id = 1; id < start; id++) {
    const o = off[id]!;
    const k = (w[o + 1]! >>> 24) & 0x1f;
    kinds[id] = k;
    if (k === Kind.VAR || k === Kind.DATASEC) continue;
    if (k === Kind.UNKN || k > Kind.ENUM64) throw dedupError(`unknown kind ${k}`, undefined, id);
    const name = w[o]!;
    if (name !== 0 ? (bits[name >>> 5]! & (1 << (name & 31))) === 0 : !couldMatch(w, o, k, names)) {
      skipped++;
      continue;
    }
    if (skipped) {
      table.skip(skipped);
      skipped = 0;
    }
    switch (k) {
      case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.PTR: case Kind.FWD:
      case Kind.TYPEDEF: case Kind.FUNC: case Kind.FLOAT: case Kind.TYPE_TAG:
        hashCommon(d, o);
        break;
      case Kind.INT: case Kind.DECL_TAG:
        hashIntTag(d, o);
        break;
      case Kind.ENUM: case Kind.ENUM64:
        hashEnum(d, o);
        tableAddEnum(d, id);
        continue;
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
    tableAdd(d, id);
  }
  if (skipped) table.skip(skipped);
}

/**
 * dedupPrep's pass in WebAssembly (accel.c btfkit_dedup_prep, its twin: the same kinds, table
 * entries and enum names); false when WebAssembly cannot be used, and the pass runs here.
 */
function prepInWasm(d: DedupState, names: OwnNames | null): boolean {
  const r = dedupPrepTables({
    w: d.w, off: d.off, start: d.startId, typeCount: d.typeCount, limit: d.btf.startStrOff, names,
    table: d.table.state, enumTable: d.enumTable.state,
  });
  if (r === null) return false;
  if (typeof r === 'number') throw dedupError(`unknown kind ${kindOf(d.w, d.off[-r]!)}`, undefined, -r);
  d.map.set(r.map.subarray(1), 1);
  d.kinds.set(r.kinds.subarray(1), 1);
  d.table.adopt(r.table);
  d.enumTable.adopt(r.enumTable);
  for (const n of r.enumFwdNames) d.enumFwdNames.add(n);
  return true;
}

export interface OwnNames {
  bits: Uint32Array;
  /** Own anonymous types per kind; anonEnumFwd: an anonymous enum without values (compatible with any). */
  anonKinds: Uint8Array;
  anonEnumFwd: boolean;
  /** Element names (members, enum values, parameters) of the own anonymous types. */
  elemBits: Uint32Array;
}

export function ownNames(d: DedupState, stringsDeduped: boolean): OwnNames {
  const w = d.w;
  const limit = d.btf.startStrOff;
  const bits = new Uint32Array((limit >>> 5) + 1);
  const elemBits = new Uint32Array((limit >>> 5) + 1);
  const anonKinds = new Uint8Array(32);
  let anonEnumFwd = false;
  // Own names are compared after string dedup, which maps an own string equal to a base string
  // to that base string's (first) offset: an own offset is marked as the base offset it becomes.
  // When the string stage is skipped (merge: strings already deduplicated), own offsets stay
  // own offsets and can never equal a base name: they mark nothing.
  const base = stringsDeduped ? null : d.btf.base;
  const strs = ownSections(d.btf).strs;
  const mark = (a: Uint32Array, off: number): void => {
    if (off >= limit) {
      if (base === null) return;
      const at = off - limit;
      let end = at;
      while (end < strs.length && strs[end] !== 0) end++;
      off = end > at ? base.findStrBytes(strs, at, end - at) : 0;
      if (off < 0) return;
    }
    a[off >>> 5]! |= 1 << (off & 31);
  };
  for (let id = d.startId; id < d.typeCount; id++) {
    const o = d.off[id]!;
    const name = w[o]!;
    if (name !== 0) {
      mark(bits, name);
      continue;
    }
    const k = kindOf(w, o);
    anonKinds[k] = 1;
    const n = w[o + 1]! & 0xffff;
    switch (k) {
      case Kind.STRUCT: case Kind.UNION: case Kind.ENUM64:
        for (let i = 0; i < n; i++) mark(elemBits, w[o + 3 + 3 * i]!);
        if (k === Kind.ENUM64 && n === 0) anonEnumFwd = true;
        break;
      case Kind.ENUM: case Kind.FUNC_PROTO:
        for (let i = 0; i < n; i++) mark(elemBits, w[o + 3 + 2 * i]!);
        if (k === Kind.ENUM && n === 0) anonEnumFwd = true;
        break;
      default:
        break;
    }
  }
  return { bits, anonKinds, anonEnumFwd, elemBits };
}

const has = (a: Uint32Array, off: number): boolean => (a[off >>> 5]! & (1 << (off & 31))) !== 0;

/** Could an own type ever pass an equality check against base record `o` (see dedupPrep)? */
function couldMatch(w: Uint32Array, o: number, k: number, names: OwnNames): boolean {
  const name = w[o]!;
  if (name !== 0) return has(names.bits, name);
  const n = w[o + 1]! & 0xffff;
  const eb = names.elemBits;
  switch (k) {
    case Kind.STRUCT: case Kind.UNION:
      if (!names.anonKinds[k]) return false;
      for (let i = 0; i < n; i++) {
        const m = w[o + 3 + 3 * i]!;
        if (m !== 0 && !has(eb, m)) return false;
      }
      return true;
    case Kind.ENUM: case Kind.ENUM64: {
      // an enum matches an enum64 (compat_enum); a valueless anonymous enum matches any
      if (!names.anonKinds[Kind.ENUM] && !names.anonKinds[Kind.ENUM64]) return false;
      if (names.anonEnumFwd) return true;
      const step = k === Kind.ENUM ? 2 : 3;
      for (let i = 0; i < n; i++) {
        const m = w[o + 3 + step * i]!;
        if (m !== 0 && !has(eb, m)) return false;
      }
      return true;
    }
    case Kind.FUNC_PROTO:
      if (!names.anonKinds[k]) return false;
      for (let i = 0; i < n; i++) {
        const m = w[o + 3 + 2 * i]!;
        if (m !== 0 && !has(eb, m)) return false;
      }
      return true;
    default:
      return names.anonKinds[k] === 1;
  }
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
      for (let e = t.first(d.h.v); e >= 0; e = t.nextOf(e)) {
        const c = t.value(e);
        if (equalIntTag(w, o, d.off[c]!)) {
          newId = c;
          break;
        }
      }
      break;
    }
    case Kind.ENUM: case Kind.ENUM64: {
      const name = w[o]!;
      if ((w[o + 1]! & 0xffff) !== 0 && !d.enumFwdNames.has(name)) {
        // no enum forward of this name among the candidates: only an equal enum can be taken
        // and nothing is re-pointed, so the enum table's chain of the whole signature holds
        // all the candidates that matter, in libbpf's order
        const et = d.enumTable;
        const h = d.h.words(w, o, enumSigWords(w, o));
        et.follow(t);
        for (let e = et.first(h.v); e >= 0; e = et.nextOf(e)) {
          const c = et.value(e);
          if (equalEnum(w, o, d.off[c]!)) {
            newId = c;
            break;
          }
        }
        d.map[id] = newId;
        if (newId === id) {
          hashEnum(d, o);
          tableAddEnum(d, id);
        }
        return;
      }
      hashEnum(d, o);
      for (let e = t.first(d.h.v); e >= 0; e = t.nextOf(e)) {
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
      for (let e = t.first(d.h.v); e >= 0; e = t.nextOf(e)) {
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
  if (newId !== id) return;
  if (k === Kind.ENUM || k === Kind.ENUM64) {
    hashEnum(d, o);
    tableAddEnum(d, id);
  } else {
    tableAdd(d, id);
  }
}

export function dedupPrimTypes(d: DedupState): void {
  const kinds = d.kinds;
  for (let id = d.startId; id < d.typeCount; id++) {
    // only these kinds do anything in primType (the per-id kind array spares reading records)
    const k = kinds[id];
    if (k === Kind.INT || k === Kind.ENUM || k === Kind.ENUM64 || k === Kind.FWD || k === Kind.FLOAT) primType(d, id);
  }
}
