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

import { readDwarf, Tag, type DwarfReadOptions } from '../dwarf/index.js';
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
  const d = readDwarf(elf, opts);
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

export { cuTypes, isTypeTag, type CuTypes } from './order.js';
export { encodeCuTypes, newEncoderState, type EncoderState } from './types.js';
export { elfFunctions, markKfuncs, type ElfFunction, type FuncState } from './functions.js';
