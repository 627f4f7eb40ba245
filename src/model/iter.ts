/**
 * The two field iterators of libbpf's btf_iter.c, driven by the kind descriptors
 * (format/kinds.ts): the word positions of a record that hold type ids ("ID iterator") or
 * string offsets ("string iterator"), in the fixed order that distill's string placement and
 * relocation's id rewriting depend on. Positions are indexes into the owner's words, so a
 * caller can read or rewrite in place without allocating per field.
 */

import { BtfkitError } from '../errors.js';
import { MAX_KNOWN_KIND, ID_FIXED, ID_WORD1, ID_WORD2, ELEM_ID, ELEM_STR, ELEM_START, ELEM_WORDS, KindId as Kind } from '../format/kinds.js';
import type { Btf } from './btf.js';

export type FieldVisitor = (pos: number) => void;

/** Visits the id fields of the record at word `o` (kind/vlen already decoded). */
export function visitIdFields(words: Uint32Array, o: number, kind: number, vlen: number, visit: FieldVisitor): void {
  if (kind > MAX_KNOWN_KIND) throw new BtfkitError('BTF_INVALID', `unsupported kind ${kind} for the type id iterator`);
  const nf = ID_FIXED[kind]!;
  if (nf > 0) visit(o + ID_WORD1[kind]!);
  if (nf > 1) visit(o + ID_WORD2[kind]!);
  const ei = ELEM_ID[kind]!;
  if (ei < 0) return;
  const ew = ELEM_WORDS[kind]!;
  for (let i = 0, p = o + ELEM_START[kind]! + ei; i < vlen; i++, p += ew) visit(p);
}

/** Visits the string-offset fields of the record at word `o`. */
export function visitStrFields(words: Uint32Array, o: number, kind: number, vlen: number, visit: FieldVisitor): void {
  if (kind > MAX_KNOWN_KIND) throw new BtfkitError('BTF_INVALID', `unsupported kind ${kind} for the string iterator`);
  if (kind === Kind.UNKN) return;
  visit(o);
  const es = ELEM_STR[kind]!;
  if (es < 0) return;
  const ew = ELEM_WORDS[kind]!;
  for (let i = 0, p = o + ELEM_START[kind]! + es; i < vlen; i++, p += ew) visit(p);
}

/** The type ids a type refers to, in iterator order. */
export function typeIdFields(btf: Btf, id: number): number[] {
  if (id === 0) return [];
  const b = btf.typeOwner(id);
  const r = b.raw();
  const o = r.offs[id - b.startId]!;
  const out: number[] = [];
  visitIdFields(r.words, o, btf.kind(id), btf.vlen(id), (p) => out.push(r.words[p]!));
  return out;
}

/** The string offsets a type uses, in iterator order. */
export function strOffFields(btf: Btf, id: number): number[] {
  if (id === 0) return [];
  const b = btf.typeOwner(id);
  const r = b.raw();
  const o = r.offs[id - b.startId]!;
  const out: number[] = [];
  visitStrFields(r.words, o, btf.kind(id), btf.vlen(id), (p) => out.push(r.words[p]!));
  return out;
}
