/**
 * The order in which pahole numbers a compilation unit's types: its per-CU types table.
 *
 * Approach (dwarves v1.31 dwarf_loader.c, die__process_unit and the die__create_new_* it
 * calls): the unit's children are visited in DIE order; a type DIE is numbered after the
 * types nested inside it, because its nested definitions are added while it is being built
 * and it is added by its caller afterwards. Nested types come from the children of structs
 * and unions (every child that is not a member, inheritance or annotation), of subroutine
 * types (every child that is not a parameter), and of functions, their lexical blocks and
 * inline expansions (types defined in a body). A DW_TAG_unspecified_type at unit level gets
 * no number (it encodes as void); nested, it does. Small ids start at 1; 0 is void.
 * A C++ namespace's children are numbered like nested types (a type after its own nested ones),
 * so that a C++ unit's numbers are pahole's up to the type it fails on (a reference, say).
 */

import { Tag, type DwarfInfo, type DwarfUnit } from '../dwarf/index.js';
import { typeTagChildren } from './tags.js';

/** Tags that are types in pahole's sense (tag__is_tag_type). */
export function isTypeTag(tag: number): boolean {
  switch (tag) {
    case Tag.structure_type: case Tag.class_type: case Tag.interface_type: case Tag.union_type:
    case Tag.typedef: case Tag.rvalue_reference_type: case Tag.enumeration_type: case Tag.array_type:
    case Tag.string_type: case Tag.base_type: case Tag.const_type: case Tag.pointer_type:
    case Tag.ptr_to_member_type: case Tag.reference_type: case Tag.restrict_type: case Tag.subroutine_type:
    case Tag.unspecified_type: case Tag.volatile_type: case Tag.atomic_type: case Tag.LLVM_annotation:
      return true;
    default:
      return false;
  }
}

export interface CuTypes {
  unit: DwarfUnit;
  /** DIE indices of the types table; entry k has small id k + 1. */
  order: number[];
  /** Small id of each DIE of the unit (index: die - unit.firstDie); 0 for none (void). */
  smallId: Int32Array;
}

/** pahole's types table of one unit. */
export function cuTypes(d: DwarfInfo, unit: DwarfUnit): CuTypes {
  const ct: CuTypes = { unit, order: [], smallId: new Int32Array(unit.endDie - unit.firstDie) };
  const top = unit.firstDie;
  for (let c = d.firstChild(top); c >= 0; c = d.nextSibling(c)) {
    visit(d, ct, c);
    const tag = d.tag(c);
    if (isTypeTag(tag) && tag !== Tag.unspecified_type && tag !== Tag.LLVM_annotation) add(ct, c);
  }
  return ct;
}

function add(ct: CuTypes, die: number): void {
  ct.order.push(die);
  ct.smallId[die - ct.unit.firstDie] = ct.order.length;
}

/** The nested types a DIE's construction adds, in pahole's order. */
function visit(d: DwarfInfo, ct: CuTypes, die: number): void {
  switch (d.tag(die)) {
    case Tag.structure_type: case Tag.class_type: case Tag.interface_type: case Tag.union_type:
      for (let c = d.firstChild(die); c >= 0; c = d.nextSibling(c)) {
        switch (d.tag(c)) {
          case Tag.member: case Tag.inheritance: case Tag.LLVM_annotation: case Tag.subrange_type: case Tag.variant_part:
          case Tag.template_type_parameter: case Tag.template_value_parameter: case Tag.GNU_template_parameter_pack:
          case Tag.GNU_formal_parameter_pack:
            continue;
          default:
            nested(d, ct, c);
        }
      }
      return;
    case Tag.subroutine_type:
      for (let c = d.firstChild(die); c >= 0; c = d.nextSibling(c)) {
        const t = d.tag(c);
        if (t === Tag.formal_parameter || t === Tag.unspecified_parameters || t === Tag.subrange_type) continue;
        nested(d, ct, c);
      }
      return;
    case Tag.subprogram:
      body(d, ct, die);
      return;
    case Tag.namespace:
      // C++: every child is built and put in the tables (die__process_namespace)
      for (let c = d.firstChild(die); c >= 0; c = d.nextSibling(c)) nested(d, ct, c);
      return;
    case Tag.pointer_type:
      // its btf_type_tag annotations are types numbered before it (tags.ts)
      for (const a of typeTagChildren(d, die)) add(ct, a);
      return;
    default:
      return;
  }
}

/** A nested DIE: its own nested types, then itself when it is a type. */
function nested(d: DwarfInfo, ct: CuTypes, c: number): void {
  if (!isKnownTag(d.tag(c))) return;
  visit(d, ct, c);
  // an annotation is a type only as a pointer's btf_type_tag (visit's pointer case)
  if (isTypeTag(d.tag(c)) && d.tag(c) !== Tag.LLVM_annotation) add(ct, c);
}

/** Children of a function, lexical block or inline expansion (die__process_function). */
function body(d: DwarfInfo, ct: CuTypes, die: number): void {
  for (let c = d.firstChild(die); c >= 0; c = d.nextSibling(c)) {
    switch (d.tag(c)) {
      case Tag.call_site: case Tag.call_site_parameter: case Tag.GNU_call_site: case Tag.GNU_call_site_parameter:
      case Tag.dwarf_procedure: case Tag.template_type_parameter: case Tag.template_value_parameter:
      case Tag.GNU_template_parameter_pack: case Tag.GNU_formal_parameter_pack:
      case Tag.formal_parameter: case Tag.variable: case Tag.unspecified_parameters: case Tag.label:
      case Tag.LLVM_annotation:
        continue;
      case Tag.lexical_block: case Tag.inlined_subroutine:
        body(d, ct, c);
        continue;
      default:
        nested(d, ct, c);
    }
  }
}

/** Tags __die__process_tag builds something for (others are "not supported" and skipped). */
function isKnownTag(tag: number): boolean {
  return isTypeTag(tag) || tag === Tag.subprogram || tag === Tag.variable || tag === Tag.constant
    || tag === Tag.namespace || tag === Tag.imported_declaration || tag === Tag.imported_module;
}
