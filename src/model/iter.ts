/**
 * The two field iterators of libbpf's btf_iter.c (docs/design.md §field-order).
 *
 * They visit the word positions of a record that hold type ids ("ID iterator") or string
 * offsets ("string iterator"), in the fixed order that distill's string placement and
 * relocation's id rewriting depend on. Positions are indexes into the owner's `words`, so a
 * caller can read or rewrite in place without allocating per field.
 */

import { BtfkitError } from '../errors.js';
import { KindId as Kind } from '../format/kinds.js';
import type { Btf } from './btf.js';

export type FieldVisitor = (pos: number) => void;

/** Visits the id fields of the record at word `o` (kind/vlen already decoded). */
export function visitIdFields(words: Uint32Array, o: number, kind: number, vlen: number, visit: FieldVisitor): void {
  switch (kind) {
    case Kind.INT: case Kind.FLOAT: case Kind.ENUM: case Kind.ENUM64:
      return;
    case Kind.FWD: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.PTR:
    case Kind.TYPEDEF: case Kind.FUNC: case Kind.VAR: case Kind.DECL_TAG: case Kind.TYPE_TAG:
      visit(o + 2);
      return;
    case Kind.ARRAY:
      visit(o + 3);
      visit(o + 4);
      return;
    case Kind.STRUCT: case Kind.UNION:
      for (let i = 0, p = o + 4; i < vlen; i++, p += 3) visit(p);
      return;
    case Kind.FUNC_PROTO:
      visit(o + 2);
      for (let i = 0, p = o + 4; i < vlen; i++, p += 2) visit(p);
      return;
    case Kind.DATASEC:
      for (let i = 0, p = o + 3; i < vlen; i++, p += 3) visit(p);
      return;
    case Kind.UNKN:
      return;
    default:
      throw new BtfkitError('BTF_INVALID', `unsupported kind ${kind} for the type id iterator`);
  }
}

/** Visits the string-offset fields of the record at word `o`. */
export function visitStrFields(words: Uint32Array, o: number, kind: number, vlen: number, visit: FieldVisitor): void {
  switch (kind) {
    case Kind.INT: case Kind.FLOAT: case Kind.FWD: case Kind.ARRAY: case Kind.CONST: case Kind.VOLATILE:
    case Kind.RESTRICT: case Kind.PTR: case Kind.TYPEDEF: case Kind.FUNC: case Kind.VAR:
    case Kind.DECL_TAG: case Kind.TYPE_TAG: case Kind.DATASEC:
      visit(o);
      return;
    case Kind.ENUM:
      visit(o);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 2) visit(p);
      return;
    case Kind.ENUM64:
      visit(o);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 3) visit(p);
      return;
    case Kind.STRUCT: case Kind.UNION:
      visit(o);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 3) visit(p);
      return;
    case Kind.FUNC_PROTO:
      visit(o);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 2) visit(p);
      return;
    case Kind.UNKN:
      return;
    default:
      throw new BtfkitError('BTF_INVALID', `unsupported kind ${kind} for the string iterator`);
  }
}

/** The type ids a type refers to, in iterator order. */
export function typeIdFields(btf: Btf, id: number): number[] {
  if (id === 0) return [];
  const b = btf.typeOwner(id);
  const o = b.offs[id - b.startId]!;
  const out: number[] = [];
  visitIdFields(b.words, o, btf.kind(id), btf.vlen(id), (p) => out.push(b.words[p]!));
  return out;
}

/** The string offsets a type uses, in iterator order. */
export function strOffFields(btf: Btf, id: number): number[] {
  if (id === 0) return [];
  const b = btf.typeOwner(id);
  const o = b.offs[id - b.startId]!;
  const out: number[] = [];
  visitStrFields(b.words, o, btf.kind(id), btf.vlen(id), (p) => out.push(b.words[p]!));
  return out;
}
