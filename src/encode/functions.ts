/**
 * Functions in module BTF, as pahole v1.31 chooses and encodes them (optimized_func,
 * consistent_func; the kernel's module flags).
 *
 * Approach, by pahole's stages:
 *  - ELF functions (btf_encoder.c elf_functions__collect): the STT_FUNC symbols, named up to
 *    their first '.', without `.cold`/`.part` pieces; sorted by name and grouped; a group whose
 *    symbols sit at different addresses is ambiguous (pahole never checks the last group).
 *  - Per unit (dwarf_loader.c parameter__new, ftype__recode_dwarf_types,
 *    cu__resolve_func_ret_types_optimized): each subprogram's parameters, their names and types
 *    through DW_AT_abstract_origin when they have none; a register parameter is "optimized"
 *    without a location (or with a constant), and uses an "unexpected register" when its location
 *    is another register than the ABI's; an out-of-line copy shares its findings with its abstract
 *    origin. A function with an unexpected register is flagged unless a parameter is a struct.
 *  - Saving (btf_encoder__encode_cu): not a declaration, every parameter named, name found among
 *    the ELF functions; the parameter names are interned now (this fixes the string order).
 *  - After every unit (btf_encoder__add_saved_funcs): states sorted by name (a stable sort, as
 *    glibc's), same-name states combined (prototypes compared with pahole's loose types__match);
 *    kept unless an unexpected register, an inconsistent prototype, an uncertain location or an
 *    ambiguous address; each as FUNC_PROTO + FUNC (static linkage), then kfunc decl tags.
 *  - kfuncs (decl_tag_kfuncs): functions in the module's BTF_SET8 kfunc sets get a `bpf_kfunc`
 *    decl tag right after their FUNC (and `bpf_fastcall` for KF_FASTCALL ones).
 *  - Uncertain locations (packed.ts): a named packed struct passed by value past the register
 *    parameters.
 */

import { Tag, At, type DwarfInfo } from '../dwarf/index.js';
import { locationExprs, parameterReg } from '../dwarf/index.js';
import type { ElfFile } from '../elf/index.js';
import type { Btf } from '../model/btf.js';
import { KindId as K } from '../format/kinds.js';
import { refId } from './types.js';
import { functionAnnotations } from './tags.js';
import { hasUncertainArgLoc, newPackedCache, nrRegisterParams } from './packed.js';
import type { CuTypes } from './order.js';

export interface ElfFunction {
  name: string;
  ambiguous: boolean;
  kfunc: boolean;
  /** The flags of its entry in the kfunc set (KF_*). */
  kfuncFlags: number;
}

const SET8_PREFIX = '__BTF_ID__set8__';
const FUNC_PREFIX = '__BTF_ID__func__';
const SET8_KFUNCS = 1;
const KF_FASTCALL = 1 << 12;

const STT_FUNC = 2;
const EM_X86_64 = 62;
const EM_AARCH64 = 183;

/** The sorted, grouped function names of the ELF symbol table. */
export function elfFunctions(elf: ElfFile): ElfFunction[] {
  const syms: { name: string; addr: bigint }[] = [];
  for (const s of elf.symbols()) {
    if (s.type !== STT_FUNC || !s.name) continue;
    const dot = s.name.indexOf('.');
    if (dot >= 0) {
      const suffix = s.name.slice(dot);
      if (suffix.includes('.cold') || suffix.includes('.part')) continue;
    }
    syms.push({ name: dot >= 0 ? s.name.slice(0, dot) : s.name, addr: s.value });
  }
  syms.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: ElfFunction[] = [];
  for (let i = 0; i < syms.length; ) {
    let j = i + 1;
    while (j < syms.length && syms[j]!.name === syms[i]!.name) j++;
    let ambiguous = false;
    if (j < syms.length) {
      // pahole decides a group when the next name starts, so the last group stays unambiguous
      let addr = 0n;
      for (let k = i; k < j; k++) {
        const a = syms[k]!.addr;
        if (addr && addr !== a) ambiguous = true;
        else addr = a;
      }
    }
    out.push({ name: syms[i]!.name, ambiguous, kfunc: false, kfuncFlags: 0 });
    i = j;
  }
  return out;
}

/**
 * Marks the functions listed in the module's kfunc sets (btf_encoder__collect_kfuncs): the
 * `__BTF_ID__set8__*` symbols of `.BTF_ids` whose set header has BTF_SET8_KFUNCS give address
 * ranges; a `__BTF_ID__func__NAME__N` symbol inside one names a kfunc, and the 8-byte entry at
 * its address holds (id, flags).
 */
export function markKfuncs(elf: ElfFile, funcs: readonly ElfFunction[]): void {
  const sec = elf.section('.BTF_ids');
  if (!sec) return;
  const data = elf.sectionData(sec);
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = elf.header.littleEndian;
  const base = Number(sec.addr);
  const syms = elf.symbols().filter((s) => s.shndx === sec.index);
  const ranges: [number, number][] = [];
  for (const s of syms) {
    if (!s.name.startsWith(SET8_PREFIX)) continue;
    const off = Number(s.value) - base;
    if (off < 0 || off + 8 > data.length) continue;
    if (dv.getUint32(off + 4, le) & SET8_KFUNCS) ranges.push([Number(s.value), Number(s.value + s.size)]);
  }
  for (const s of syms) {
    const name = btfIdFuncName(s.name);
    if (name === undefined) continue;
    const addr = Number(s.value);
    if (!ranges.some(([a, b]) => a <= addr && addr < b)) continue;
    const off = addr - base;
    if (off < 0 || off + 8 > data.length) continue;
    const fn = findElfFunction(funcs, name);
    if (fn) {
      fn.kfunc = true;
      fn.kfuncFlags = dv.getUint32(off + 4, le);
    }
  }
}

/** `__BTF_ID__func__vfs_close__1` → `vfs_close` (pahole's get_func_name). */
function btfIdFuncName(sym: string): string | undefined {
  if (!sym.startsWith(FUNC_PREFIX)) return undefined;
  const rest = sym.slice(FUNC_PREFIX.length);
  if (!rest.includes('__')) return undefined;
  const us = rest.lastIndexOf('_');
  if (us <= 0 || rest[us - 1] !== '_') return undefined;
  return rest.slice(0, us - 1);
}

export function findElfFunction(funcs: readonly ElfFunction[], name: string): ElfFunction | undefined {
  let lo = 0;
  let hi = funcs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const n = funcs[mid]!.name;
    if (n === name) return funcs[mid];
    if (n < name) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** Registers of the first parameters (as DW_OP_regN opcodes), per machine. */
export function registerParams(machine: number): number[] {
  if (machine === EM_X86_64) return [0x55, 0x54, 0x51, 0x52, 0x58, 0x59];
  if (machine === EM_AARCH64) return [0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57];
  return [];
}

/** A saved function: what btf_encoder_func_state holds. */
export interface FuncState {
  elf: ElfFunction;
  btf: Btf;
  retType: number;
  params: { nameOff: number; type: number }[];
  /** Decl-tag annotations (values interned at save time, as pahole does). */
  annots: { valueOff: number; component: number }[];
  optimized: boolean;
  unexpectedReg: boolean;
  inconsistent: boolean;
  uncertainLoc: boolean;
}

interface ParamFacts {
  hasLoc: boolean;
  optimized: boolean;
  unexpectedReg: boolean;
}

/** Parameter facts of the unit's subprograms, with the sharing to abstract origins done. */
function paramFacts(d: DwarfInfo, fns: readonly number[], regs: readonly number[]): Map<number, ParamFacts> {
  const facts = new Map<number, ParamFacts>();
  const get = (p: number): ParamFacts => {
    let f = facts.get(p);
    if (!f) facts.set(p, (f = { hasLoc: false, optimized: false, unexpectedReg: false }));
    return f;
  };
  for (const fn of fns) {
    let idx = 0;
    for (const p of params(d, fn)) {
      const f = get(p);
      const i = idx++;
      if (i >= regs.length) continue;
      const hasConst = d.has(p, At.const_value);
      f.hasLoc = d.has(p, At.location);
      if (f.hasLoc) {
        const actual = parameterReg(locationExprs(d, p, At.location), regs[i]!);
        if (actual < 0) f.optimized = true;
        else if (actual !== regs[i]) f.unexpectedReg = true;
      } else if (hasConst) f.optimized = true;
    }
  }
  // ftype__recode_dwarf_types: a parameter without a type takes its origin's, and tells it
  // what it found (in functions-table order, as the recoding runs)
  for (const fn of fns) {
    for (const p of params(d, fn)) {
      if (d.has(p, At.type)) continue;
      const o = d.has(p, At.abstract_origin) ? d.ref(p, At.abstract_origin) : -1;
      if (o < 0) continue;
      const f = get(p);
      const of = get(o);
      if (f.hasLoc) of.hasLoc = true;
      if (f.optimized) of.optimized = true;
      if (f.unexpectedReg) of.unexpectedReg = true;
    }
  }
  return facts;
}

/** The formal parameters of a subprogram (direct children). */
function params(d: DwarfInfo, fn: number): number[] {
  const out: number[] = [];
  for (let c = d.firstChild(fn); c >= 0; c = d.nextSibling(c)) if (d.tag(c) === Tag.formal_parameter) out.push(c);
  return out;
}

/** DW_AT_name, through DW_AT_abstract_origin then DW_AT_specification when absent. */
function fnName(d: DwarfInfo, fn: number): string | undefined {
  const own = d.name(fn);
  if (own !== undefined) return own;
  for (const at of [At.abstract_origin, At.specification]) {
    if (!d.has(fn, at)) continue;
    const o = d.ref(fn, at);
    if (o >= 0) return d.name(o);
  }
  return undefined;
}

/** A parameter's name and the DIE its type comes from (itself, or its abstract origin). */
function paramSource(d: DwarfInfo, p: number): { name: string | undefined; typeDie: number } {
  if (d.has(p, At.type) || !d.has(p, At.abstract_origin)) return { name: d.name(p), typeDie: p };
  const o = d.ref(p, At.abstract_origin);
  return { name: d.name(o), typeDie: o };
}

function isStructParam(d: DwarfInfo, typeDie: number): boolean {
  let t = d.has(typeDie, At.type) ? d.ref(typeDie, At.type) : -1;
  for (let guard = 0; t >= 0 && guard < 64; guard++) {
    const tag = d.tag(t);
    if (tag === Tag.structure_type) return true;
    if (tag !== Tag.const_type && tag !== Tag.typedef) return false;
    t = d.has(t, At.type) ? d.ref(t, At.type) : -1;
  }
  return false;
}

/** Saves the unit's functions that pahole would (btf_encoder__encode_cu's function loop). */
export function saveCuFunctions(d: DwarfInfo, ct: CuTypes, idOff: number, btf: Btf, funcs: readonly ElfFunction[], machine: number, out: FuncState[]): void {
  // Only subprograms named like an ELF function can be saved, and a parameter's facts go only
  // to its abstract origin's (a subprogram of the same name): the others (a unit's many inline
  // functions from headers) are not looked at further.
  const fns: number[] = [];
  const elfOf: ElfFunction[] = [];
  if (funcs.length === 0) return;
  for (let c = d.firstChild(ct.unit.firstDie); c >= 0; c = d.nextSibling(c)) {
    if (d.tag(c) !== Tag.subprogram) continue;
    const name = fnName(d, c);
    const elf = name === undefined ? undefined : findElfFunction(funcs, name);
    if (!elf) continue;
    fns.push(c);
    elfOf.push(elf);
  }
  const regs = registerParams(machine);
  const facts = paramFacts(d, fns, regs);
  // decl tags are DW_TAG_LLVM_annotation children (clang's): a unit without any has none to look for
  const annotated = d.unitUsesTag(ct.unit, Tag.LLVM_annotation);
  const packed = newPackedCache(ct.unit.addrSize);
  const nrRegs = nrRegisterParams(machine);
  for (let i = 0; i < fns.length; i++) {
    const fn = fns[i]!;
    if (d.has(fn, At.declaration)) continue;
    const ps = params(d, fn).map((p) => ({ p, ...paramSource(d, p) }));
    if (ps.some((x) => !x.name)) continue;
    const elf = elfOf[i]!;
    let optimized = false;
    let unexpected = false;
    for (const x of ps) {
      const f = facts.get(x.p)!;
      if (f.optimized || !f.hasLoc) optimized = true;
      if (f.unexpectedReg) unexpected = true;
    }
    if (unexpected && ps.some((x) => isStructParam(d, x.typeDie))) unexpected = false;
    let retDie = fn;
    if (!d.has(fn, At.type) && d.has(fn, At.abstract_origin)) retDie = d.ref(fn, At.abstract_origin);
    const varargs = hasVarargs(d, fn);
    const state: FuncState = {
      elf, btf,
      retType: refId(d, ct, idOff, retDie),
      params: ps.map((x) => ({ nameOff: btf.addStr(x.name!), type: refId(d, ct, idOff, x.typeDie) })),
      annots: [],
      optimized, unexpectedReg: unexpected, inconsistent: false,
      uncertainLoc: hasUncertainArgLoc(d, packed, ps.map((x) => d.ref(x.typeDie, At.type)), nrRegs),
    };
    if (annotated) for (const a of functionAnnotations(d, fn)) state.annots.push({ valueOff: btf.addStr(a.value), component: a.component });
    if (varargs) state.params.push({ nameOff: 0, type: 0 });
    out.push(state);
  }
}

function hasVarargs(d: DwarfInfo, fn: number): boolean {
  for (let c = d.firstChild(fn); c >= 0; c = d.nextSibling(c)) if (d.tag(c) === Tag.unspecified_parameters) return true;
  return false;
}

/** btf_encoder__add_saved_funcs: sorted, combined, filtered, encoded. */
export function addSavedFunctions(btf: Btf, states: FuncState[], skipInconsistent: boolean): void {
  const sorted = states.slice().sort((a, b) => (a.elf.name < b.elf.name ? -1 : a.elf.name > b.elf.name ? 1 : 0));
  for (let i = 0; i < sorted.length; ) {
    const s = sorted[i]!;
    let j = i + 1;
    while (j < sorted.length && sorted[j]!.elf === s.elf) combine(s, sorted[j++]!);
    const keep = !skipInconsistent || (!s.unexpectedReg && !s.inconsistent && !s.uncertainLoc && !s.elf.ambiguous);
    if (keep) {
      const proto = btf.addFuncProto(s.retType);
      for (const p of s.params) btf.addFuncParam(p.nameOff ? btf.str(p.nameOff) : null, p.type);
      const fn = btf.addFunc(s.elf.name, 0, proto);
      if (s.elf.kfunc) {
        btf.addDeclTag('bpf_kfunc', fn, -1);
        if (s.elf.kfuncFlags & KF_FASTCALL) btf.addDeclTag('bpf_fastcall', fn, -1);
      }
      for (const a of s.annots) btf.addDeclTag(btf.str(a.valueOff), fn, a.component);
    }
    i = j;
  }
}

function combine(a: FuncState, b: FuncState): void {
  const optimized = a.optimized || b.optimized;
  const unexpected = a.unexpectedReg || b.unexpectedReg;
  let inconsistent = a.inconsistent || b.inconsistent;
  const uncertain = a.uncertainLoc || b.uncertainLoc;
  if (!unexpected && !inconsistent && !funcsMatch(a, b)) inconsistent = true;
  a.optimized = b.optimized = optimized;
  a.unexpectedReg = b.unexpectedReg = unexpected;
  a.inconsistent = b.inconsistent = inconsistent;
  a.uncertainLoc = b.uncertainLoc = uncertain;
}

function funcsMatch(a: FuncState, b: FuncState): boolean {
  if (a.params.length !== b.params.length) return false;
  if (!typesMatch(a.btf, a.retType, b.btf, b.retType)) return false;
  for (let i = 0; i < a.params.length; i++) if (!typesMatch(a.btf, a.params[i]!.type, b.btf, b.params[i]!.type)) return false;
  return true;
}

function fwdKind(b: Btf, id: number): number {
  const k = b.kind(id);
  return k === K.FWD ? (b.kflag(id) ? K.UNION : K.STRUCT) : k;
}

/** pahole's types__match: loose structural equality (const skipped on one side, names for named types). */
function typesMatch(b1: Btf, id1: number, b2: Btf, id2: number): boolean {
  for (let guard = 0; guard < 1024; guard++) {
    if (b1 === b2 && id1 === id2) return true;
    if (!id1 || !id2) return id1 === id2;
    const k1 = fwdKind(b1, id1);
    const k2 = fwdKind(b2, id2);
    if (k1 !== k2) {
      if (k1 === K.CONST) { id1 = b1.type(id1); continue; }
      if (k2 === K.CONST) { id2 = b2.type(id2); continue; }
      return false;
    }
    const names = () => b1.str(b1.nameOff(id1)) === b2.str(b2.nameOff(id2));
    switch (k1) {
      case K.INT:
        return b1.size(id1) === b2.size(id2) && b1.word(id1, 3) === b2.word(id2, 3) && names();
      case K.FLOAT:
        return b1.size(id1) === b2.size(id2) && names();
      case K.TYPEDEF: case K.STRUCT: case K.UNION: case K.ENUM: case K.ENUM64:
        return names();
      case K.PTR: case K.VOLATILE: case K.CONST: case K.RESTRICT: case K.TYPE_TAG:
        id1 = b1.type(id1);
        id2 = b2.type(id2);
        continue;
      case K.ARRAY:
        if (b1.word(id1, 5) !== b2.word(id2, 5)) return false;
        id1 = b1.word(id1, 3);
        id2 = b2.word(id2, 3);
        continue;
      case K.FUNC_PROTO:
        // pahole compares the return types once per parameter, never the parameters
        return b1.vlen(id1) === b2.vlen(id2) && typesMatch(b1, b1.type(id1), b2, b2.type(id2));
      default:
        return false;
    }
  }
  return false;
}
