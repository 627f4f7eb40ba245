/**
 * BTF from DWARF, as pahole v1.31 encodes a kernel module (`pahole -J --btf_base vmlinux` with
 * Linux 6.12's module features): the split BTF of `M.prebtf.ko` on the kernel's BTF, before
 * pahole's dedup. docs/encoder.md describes the stages and their reference behaviour.
 *
 * Stages: DWARF (src/dwarf) → per unit: its types table (order.ts) encoded (types.ts), its
 * functions saved (functions.ts) → after all units: the saved functions, kfunc decl tags.
 * Variables: the unit's per-CPU variables as VARs after its functions are saved, and the
 * `.data..percpu` DATASEC after the saved functions (variables.ts).
 */

import { readDwarf, Tag, UnitType, type DwarfInfo, type DwarfReadOptions } from '../dwarf/index.js';
import { BtfkitError, Errno } from '../errors.js';
import type { ElfFile } from '../elf/index.js';
import { Btf } from '../model/btf.js';
import { cuTypes } from './order.js';
import { encodeCuTypes, newEncoderState } from './types.js';
import { addDatasecs, encodeCuVariables, newVariablesState } from './variables.js';
import { encodeTypeTags } from './tags.js';
import { addSavedFunctions, elfFunctions, markKfuncs, saveCuFunctions, type FuncState } from './functions.js';

export interface EncodeOptions extends DwarfReadOptions {
  /** consistent_func: drop functions whose prototypes differ between units (default true). */
  skipInconsistent?: boolean;
}

/**
 * The module's split BTF on `base` (or, with a null base, standalone BTF, as `pahole -J` of an
 * object file), as pahole builds it before dedup.
 */
export function encodeModuleBtf(elf: ElfFile, base: Btf | null, opts: EncodeOptions = {}): Btf {
  refuseTypeUnits(elf, null);
  const d = readDwarf(elf, opts);
  refuseTypeUnits(elf, d);
  const btf = base ? Btf.createSplit(base) : Btf.create({ endian: elf.header.littleEndian ? 'little' : 'big' });
  const st = newEncoderState(btf, d.sections.str.length + d.sections.lineStr.length);
  const funcs = elfFunctions(elf);
  markKfuncs(elf, funcs);
  const states: FuncState[] = [];
  const vars = newVariablesState(elf);
  for (const unit of d.units) {
    if (unit.endDie === unit.firstDie) continue;
    const ct = cuTypes(d, unit);
    // decl tags come from DW_TAG_LLVM_annotation DIEs (clang): none in most units
    const annotated = d.unitUsesTag(unit, Tag.LLVM_annotation);
    const idOff = encodeCuTypes(d, ct, st);
    if (annotated) encodeTypeTags(d, ct, btf, idOff);
    saveCuFunctions(d, ct, idOff, btf, funcs, elf.header.machine, states);
    encodeCuVariables(d, ct, idOff, btf, vars);
  }
  addSavedFunctions(btf, states, opts.skipInconsistent ?? true);
  addDatasecs(btf, vars);
  return btf;
}

/**
 * DWARF type units (`-fdebug-types-section`: DWARF 4's `.debug_types`, DWARF 5's DW_UT_type
 * units, types referred to by DW_FORM_ref_sig8) are not encoded: pahole v1.31 reads them into
 * a unit of their own and encodes a module with them differently (minix built so gets a
 * smaller .BTF than without), which btfkit does not reproduce. kbuild never passes the flag.
 * Called before the DWARF is read (`.debug_types`), and after (DW_UT_type units).
 */
function refuseTypeUnits(elf: ElfFile, d: DwarfInfo | null): void {
  const tu = d?.units.find((u) => u.unitType === UnitType.type || u.unitType === UnitType.split_type);
  // in an object file (before ld -r), each type unit is a .debug_info (DWARF 5) or .debug_types
  // section of its own, in a COMDAT group
  const types = elf.sections.find((s) => s.name === '.debug_types' && s.size > 0);
  const infos = elf.sections.filter((s) => s.name === '.debug_info');
  if (tu === undefined && types === undefined && infos.length < 2) return;
  throw new BtfkitError('DWARF', 'DWARF type units (built with -fdebug-types-section) are not supported: build the module without that flag', {
    errno: Errno.ENOTSUP,
    where: tu !== undefined ? { section: '.debug_info', offset: tu.offset } : types !== undefined ? { section: '.debug_types', offset: types.offset } : { section: '.debug_info', offset: infos[1]!.offset },
  });
}

export { cuTypes, isTypeTag, type CuTypes } from './order.js';
export { encodeCuTypes, newEncoderState, type EncoderState } from './types.js';
export { elfFunctions, markKfuncs, type ElfFunction, type FuncState } from './functions.js';
