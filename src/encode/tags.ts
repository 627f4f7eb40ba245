/**
 * `btf_decl_tag` annotations (clang's DW_TAG_LLVM_annotation; gcc 12 emits none), as pahole
 * v1.31 collects them (dwarf_loader.c add_llvm_annotation and its callers) and encodes them.
 *
 * Approach: an annotation named `btf_decl_tag` carries its value in DW_AT_const_value. On a
 * struct/union its children annotate it (component -1) and its members' children annotate the
 * member (component = the member's index); on a typedef, component -1; on a function, its own
 * children (-1) and its parameters' children (the parameter's index), in DIE order. Struct,
 * union and typedef tags are added after the unit's types (btf_encoder__encode_cu's second loop);
 * function tags after the function (btf_encoder__add_func).
 *
 * `btf_type_tag` annotations (clang's __user, __rcu, __percpu on pointers; dwarf_loader.c
 * die__create_new_pointer_tag and dwarf_cu__recode_btf_type_tag_ptr): each one of a pointer's
 * `btf_type_tag` children, in DIE order, is a type of the unit numbered just before the pointer
 * (order.ts); it becomes a TYPE_TAG of its value referring to the previous one (the first to the
 * pointee), and the pointer refers to the last one: `int tag1 tag2 *p` is PTR → tag2 → tag1 →
 * int. Annotations of other names, and on other types, are not type tags.
 */

import { Tag, At, type DwarfInfo } from '../dwarf/index.js';
import type { Btf } from '../model/btf.js';
import type { CuTypes } from './order.js';

export interface Annotation {
  value: string;
  component: number;
}

function declTag(d: DwarfInfo, a: number): string | undefined {
  if (d.tag(a) !== Tag.LLVM_annotation || d.name(a) !== 'btf_decl_tag') return undefined;
  return d.str(a, At.const_value) ?? '';
}

/** The decl-tag annotations of the children of `die`, with `component`. */
function childTags(d: DwarfInfo, die: number, component: number, out: Annotation[]): void {
  for (let c = d.firstChild(die); c >= 0; c = d.nextSibling(c)) {
    const v = declTag(d, c);
    if (v !== undefined) out.push({ value: v, component });
  }
}

/** The decl-tag annotations among the children of `die` (a variable's: component -1). */
export function childDeclTags(d: DwarfInfo, die: number, component: number): Annotation[] {
  const out: Annotation[] = [];
  childTags(d, die, component, out);
  return out;
}

/** A struct's, union's or typedef's annotations in pahole's order. */
function typeAnnotations(d: DwarfInfo, die: number): Annotation[] {
  const out: Annotation[] = [];
  const tag = d.tag(die);
  if (tag === Tag.typedef) {
    childTags(d, die, -1, out);
    return out;
  }
  let member = 0;
  for (let c = d.firstChild(die); c >= 0; c = d.nextSibling(c)) {
    const t = d.tag(c);
    if (t === Tag.member || t === Tag.inheritance) childTags(d, c, member++, out);
    else {
      const v = declTag(d, c);
      if (v !== undefined) out.push({ value: v, component: -1 });
    }
  }
  return out;
}

/** Decl tags of the unit's structs, unions and typedefs, after its types. */
export function encodeTypeTags(d: DwarfInfo, ct: CuTypes, btf: Btf, idOff: number): void {
  for (let k = 0; k < ct.order.length; k++) {
    const die = ct.order[k]!;
    const tag = d.tag(die);
    if (tag !== Tag.structure_type && tag !== Tag.union_type && tag !== Tag.typedef) continue;
    for (const a of typeAnnotations(d, die)) btf.addDeclTag(a.value, idOff + k + 1, a.component);
  }
}

/** A function's annotations: its parameters' (by index) and its own, in DIE order. */
export function functionAnnotations(d: DwarfInfo, fn: number): Annotation[] {
  const out: Annotation[] = [];
  let param = 0;
  for (let c = d.firstChild(fn); c >= 0; c = d.nextSibling(c)) {
    const t = d.tag(c);
    if (t === Tag.formal_parameter) childTags(d, c, param++, out);
    else {
      const v = declTag(d, c);
      if (v !== undefined) out.push({ value: v, component: -1 });
    }
  }
  return out;
}

/** The `btf_type_tag` annotations of a pointer DIE, in DIE order. */
export function typeTagChildren(d: DwarfInfo, ptr: number): number[] {
  const out: number[] = [];
  for (let c = d.firstChild(ptr); c >= 0; c = d.nextSibling(c)) {
    if (d.tag(c) === Tag.LLVM_annotation && d.name(c) === 'btf_type_tag') out.push(c);
  }
  return out;
}

/**
 * The type-tag annotation of `ptr` numbered just before `die` in the unit's table (order.ts
 * numbers a pointer's tags consecutively, right before the pointer), or -1.
 */
function tagBefore(d: DwarfInfo, ct: CuTypes, die: number, ptr: number): number {
  const small = ct.smallId[die - ct.unit.firstDie]!;
  if (small < 2) return -1;
  const prev = ct.order[small - 2]!;
  return d.tag(prev) === Tag.LLVM_annotation && d.parent(prev) === ptr ? prev : -1;
}

/**
 * What a pointer with `btf_type_tag` annotations points at: its last annotation (pahole chains
 * pointer → last tag → … → first tag → pointee); -1 when it has none (it points at its
 * DW_AT_type).
 */
export function pointerTagTarget(d: DwarfInfo, ct: CuTypes, idOff: number, ptr: number): number {
  const last = tagBefore(d, ct, ptr, ptr);
  return last < 0 ? -1 : idOff + ct.smallId[last - ct.unit.firstDie]!;
}

/** A `btf_type_tag` annotation as a TYPE_TAG: its value, referring to the previous tag of its pointer, or the pointee. */
export function addTypeTagOf(d: DwarfInfo, ct: CuTypes, idOff: number, btf: Btf, annot: number, pointee: (ptr: number) => number): number {
  const ptr = d.parent(annot);
  const prev = tagBefore(d, ct, annot, ptr);
  const ref = prev < 0 ? pointee(ptr) : idOff + ct.smallId[prev - ct.unit.firstDie]!;
  return btf.addTypeTag(d.str(annot, At.const_value) ?? '', ref);
}
