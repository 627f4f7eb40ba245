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

import { dwarfSection, readDwarfSections, DwarfInfo, Tag, UnitType, type DwarfReadOptions } from '../dwarf/index.js';
import { BtfkitError, Errno } from '../errors.js';
import type { ElfFile } from '../elf/index.js';
import { Btf } from '../model/btf.js';
import { cuTypes, type CuTypes } from './order.js';
import { WasmTypeEncoder, type BaseStrings } from '../accel/encode.js';
import { encodeCuTypes, newEncoderState, type EncoderState } from './types.js';
import { addDatasecs, encodeCuVariables, newVariablesState, type VariablesState } from './variables.js';
import { encodeTypeTags } from './tags.js';
import { addSavedFunctions, elfFunctions, markKfuncs, saveCuFunctions, type ElfFunction, type FuncState } from './functions.js';

export interface EncodeOptions extends DwarfReadOptions {
  /** consistent_func: drop functions whose prototypes differ between units (default true). */
  skipInconsistent?: boolean;
  /**
   * Encode the units' types in WebAssembly where it can be used (src/accel/encode.c, the
   * twin of order.ts and types.ts), and relocate the DWARF there (DwarfReadOptions.wasm);
   * default true. The result is the same either way.
   */
  wasm?: boolean;
}

/**
 * The module's split BTF on `base` (or, with a null base, standalone BTF, as `pahole -J` of an
 * object file), as pahole builds it before dedup.
 */
export function encodeModuleBtf(elf: ElfFile, base: Btf | null, opts: EncodeOptions = {}): Btf {
  const sections = readDwarfSections(elf, opts);
  // the WebAssembly encoder (not for a base that is itself split: its C code looks strings up
  // in one base section only) indexes the DIEs as it gets them; the kernel's strings go in
  // first (with their table when the kernel's Btf has one, else it is built there)
  const started = opts.wasm === false || (base !== null && base.base !== null) ? null : WasmTypeEncoder.start(sections, base === null ? null : baseStrings(base, elf));
  const d = new DwarfInfo(sections, started?.indexer ?? null);
  refuseTypeUnits(elf, d);
  const btf = base ? Btf.createSplit(base) : Btf.create({ endian: elf.header.littleEndian ? 'little' : 'big' });
  const st = newEncoderState(btf);
  const funcs = elfFunctions(elf);
  markKfuncs(elf, funcs);
  const states: FuncState[] = [];
  const vars = newVariablesState(elf);
  const wasm = started !== null && openWasmEncoder(started, d, btf) ? started : null;
  // while it runs, the WebAssembly encoder interns the JavaScript's strings too (functions,
  // variables): the JavaScript then indexes neither the kernel's strings nor the own ones
  btf.setInterner(wasm);
  try {
    encodeUnits(d, btf, elf, st, funcs, states, vars, wasm);
    addSavedFunctions(btf, states, opts.skipInconsistent ?? true);
    addDatasecs(btf, vars);
  } finally {
    btf.setInterner(null);
  }
  return btf;
}

/** Every unit's types (in WebAssembly where it can), functions and variables, in unit order. */
function encodeUnits(d: DwarfInfo, btf: Btf, elf: ElfFile, st: EncoderState, funcs: ElfFunction[], states: FuncState[], vars: VariablesState, wasm: WasmTypeEncoder | null): void {
  d.units.forEach((unit, ui) => {
    if (unit.endDie === unit.firstDie) return;
    // decl tags come from DW_TAG_LLVM_annotation DIEs (clang): none in most units
    const annotated = d.unitUsesTag(unit, Tag.LLVM_annotation);
    let ct: CuTypes | null = null;
    let idOff = btf.typeCount() - 1;
    if (wasm !== null && !annotated) {
      // strings added without the encoder (none while it interns them): told before the unit
      const raw = btf.raw();
      if (raw.strLen > wasm.ownLen) wasm.sync(raw.strs.subarray(wasm.ownLen, raw.strLen));
      const r = wasm.unit(ui, idOff, st);
      if (r !== null) {
        btf.appendParts(r.words, r.words.length, r.offs, r.nTypes, r.strs, r.strs.length);
        ct = { unit, order: r.order, smallId: r.smallId };
      }
    }
    if (ct === null) {
      ct = cuTypes(d, unit);
      idOff = encodeCuTypes(d, ct, st);
    }
    if (annotated) encodeTypeTags(d, ct, btf, idOff);
    saveCuFunctions(d, ct, idOff, btf, funcs, elf.header.machine, states);
    encodeCuVariables(d, ct, idOff, btf, vars);
  });
}

/**
 * The kernel's strings as the WebAssembly encoder takes them, with its StrIndex table when
 * built, and the strings the module's BTF may get besides its DWARF's: the names of its
 * sections (a DATASEC's) and the kfunc decl tags (functions.ts).
 */
function baseStrings(base: Btf, elf: ElfFile): BaseStrings {
  const r = base.raw();
  const extraStrs = (): Uint8Array => {
    const names = ['bpf_kfunc', 'bpf_fastcall', ...new Set(elf.sections.map((s) => s.name))];
    const out = new Uint8Array(names.reduce((n, s) => n + s.length + 1, 0));
    let at = 0;
    for (const s of names) {
      for (let i = 0; i < s.length; i++) out[at++] = s.charCodeAt(i) & 0xff;
      out[at++] = 0;
    }
    return out;
  };
  return { strs: r.strs, strLen: r.strLen, table: base.hasOwnStrTable() ? base.ownStrTable() : null, extraStrs };
}

/** The rest of the WebAssembly encoder's input (false: it cannot go on). */
function openWasmEncoder(enc: WasmTypeEncoder, d: DwarfInfo, btf: Btf): boolean {
  const raw = d.raw();
  const own = btf.raw();
  return enc.open({
    nDies: d.n, off: raw.off, abbr: raw.abbr, attrOff: raw.attrOff, par: raw.par, sib: raw.sib, unitOf: raw.unitOf,
    abbrevs: raw.abbrevs,
    units: d.units,
    startStrOff: btf.startStrOff,
    ownStrs: own.strs.subarray(0, own.strLen),
  });
}

/**
 * DWARF type units (`-fdebug-types-section`). As a compiler leaves them (an object file, or a
 * kbuild `.ko`: `ld -r` keeps section groups), each is a section group of its own, which libdw
 * does not read (sections.ts dwarfSection): pahole encodes the unit's own types only, and a type
 * referred to by signature (DW_FORM_ref_sig8) is void to it, as to this encoder (its structs,
 * enums and typedefs are missing from the BTF: minix so built gets a 12122-byte .BTF against
 * 17001). Type units merged into the file's own DWARF (DW_UT_type units in `.debug_info`, or a
 * `.debug_types` outside any group: a final link, or `ld -r --force-group-allocation`) are read
 * by libdw and encoded by pahole in ways this encoder does not reproduce: refused, naming where.
 */
function refuseTypeUnits(elf: ElfFile, d: DwarfInfo): void {
  const tu = d.units.find((u) => u.unitType === UnitType.type || u.unitType === UnitType.split_type);
  const types = dwarfSection(elf, '.debug_types');
  if (tu === undefined && (types === undefined || types.size === 0)) return;
  throw new BtfkitError('DWARF', 'DWARF type units merged into the file\'s own debug info are not supported (as a compiler leaves them, with -fdebug-types-section, they are)', {
    errno: Errno.ENOTSUP,
    where: tu !== undefined ? { section: '.debug_info', offset: tu.offset } : { section: '.debug_types', offset: types!.offset },
  });
}

export { cuTypes, isTypeTag, type CuTypes } from './order.js';
export { encodeCuTypes, newEncoderState, type EncoderState } from './types.js';
export { elfFunctions, markKfuncs, type ElfFunction, type FuncState } from './functions.js';
