/**
 * Variables in module BTF (the `var` feature: per-CPU variables), as pahole v1.31 encodes them
 * (btf_encoder__encode_cu_variables, btf_encoder__add_datasec; dwarf_loader.c variable__new).
 *
 * Approach: per unit, after its types, decl tags and saved functions, the unit-level
 * DW_TAG_variable DIEs are visited in DIE order. A variable is encoded when:
 * - it is not a declaration (DW_AT_declaration present), it is not DW_AT_artificial, and its
 *   DW_AT_location is a single expression (not a location list) whose first operation is
 *   DW_OP_addr or DW_OP_addrx (pahole's "global" scope);
 * - that address, as libdwfl relocates it (layout.ts: every ALLOC section of the relocatable
 *   file at its laid-out address), falls in the first PROGBITS/NOBITS section whose range holds
 *   it, and that section is `.data..percpu`; the address minus that section's start is the
 *   variable's offset;
 * - after following DW_AT_specification (to a variable of the same unit; name, type,
 *   DW_AT_external and annotations come from there), it has a name that pahole does not filter
 *   (`__UNIQUE_ID`, `__tpstrtab_`, … prefixes) and that is a valid BTF name; at offset 0 the
 *   symbol table must also hold an STT_OBJECT of that name in that section;
 * - its type is not void and its size (pahole's tag__size) is neither 0 nor over 4 GiB.
 * It becomes a VAR (linkage: global-allocated when DW_AT_external, static otherwise) of the
 * unit's type, then its btf_decl_tag annotations, and a var_secinfo (VAR id, offset, type size)
 * of its section. After all units and the saved functions, each section with variables gets a
 * DATASEC, in section order: its var_secinfos sorted by offset (stably), size = last offset +
 * last size.
 */

import { Tag, At, type DwarfInfo } from '../dwarf/index.js';
import { SHT_NOBITS, SHT_PROGBITS, STT_OBJECT, type ElfFile, type ElfSection } from '../elf/index.js';
import type { Btf } from '../model/btf.js';
import { AddressLayout } from './layout.js';
import type { CuTypes } from './order.js';
import { refId, subrangeElements } from './types.js';
import { childDeclTags } from './tags.js';

const PERCPU = '.data..percpu';
const OP_ADDR = 0x03;
const OP_ADDRX = 0xa1;
const LINKAGE_STATIC = 0;
const LINKAGE_GLOBAL_ALLOCATED = 1;
/** pahole's KSYM_NAME_LEN for btf_name_valid. */
const KSYM_NAME_LEN = 128;
const FILTERED_PREFIXES = ['__UNIQUE_ID', '__tpstrtab_', '__exitcall_', '__gendwarfksyms_ptr_', '__func_stack_frame_non_standard_'];

interface SecInfo {
  type: number;
  offset: number;
  size: number;
}

/** What variable encoding keeps across units: the sections variables may go in, and their entries. */
export interface VariablesState {
  elf: ElfFile;
  /** Indices of the sections whose variables are encoded (`.data..percpu`). */
  include: Set<number>;
  layout: AddressLayout | null;
  secinfo: Map<number, SecInfo[]>;
}

export function newVariablesState(elf: ElfFile): VariablesState {
  const include = new Set<number>();
  for (const s of elf.sections) if (s.name === PERCPU) include.add(s.index);
  return { elf, include, layout: null, secinfo: new Map() };
}

const isDataSection = (s: ElfSection): boolean => s.type === SHT_PROGBITS || s.type === SHT_NOBITS;

/** Encodes the unit's per-CPU variables as VARs (and their decl tags), recording their places. */
export function encodeCuVariables(d: DwarfInfo, ct: CuTypes, idOff: number, btf: Btf, st: VariablesState): void {
  if (st.include.size === 0) return;
  for (let v = d.firstChild(ct.unit.firstDie); v >= 0; v = d.nextSibling(v)) {
    if (d.tag(v) !== Tag.variable) continue;
    if (d.has(v, At.declaration) || d.has(v, At.artificial)) continue;
    const raw = rawAddress(d, v);
    if (raw === undefined) continue;
    st.layout ??= new AddressLayout(st.elf);
    const addr = st.layout.adjust(raw.section, raw.offset, raw.value);
    if (addr === undefined) continue;
    const shndx = st.layout.sectionHolding(addr, isDataSection);
    if (!shndx || !st.include.has(shndx)) continue;
    const offset = addr - st.layout.addr[shndx]!;
    const def = specification(d, ct, v);
    const name = d.name(def);
    if (name === undefined || filtered(name)) continue;
    if (offset === 0 && !objectInSection(st.elf, name, shndx)) continue;
    if (!validName(name)) continue;
    const type = refId(d, ct, idOff, def);
    if (type === 0) continue;
    const size = typeSize(d, ct, d.ref(def, At.type), 0);
    if (size <= 0 || size > 0xffffffff || offset > 0xffffffff) continue;
    const linkage = d.has(def, At.external) ? LINKAGE_GLOBAL_ALLOCATED : LINKAGE_STATIC;
    const id = btf.addVar(name, linkage, type);
    for (const a of childDeclTags(d, def, -1)) btf.addDeclTag(a.value, id, a.component);
    let list = st.secinfo.get(shndx);
    if (!list) st.secinfo.set(shndx, (list = []));
    list.push({ type: id, offset, size });
  }
}

/** After the saved functions: one DATASEC per section that has variables, in section order. */
export function addDatasecs(btf: Btf, st: VariablesState): void {
  const sections = [...st.secinfo.keys()].sort((a, b) => a - b);
  for (const shndx of sections) {
    const list = st.secinfo.get(shndx)!.slice().sort((a, b) => cmpOffset(a.offset, b.offset));
    const last = list[list.length - 1]!;
    btf.addDatasec(st.elf.sections[shndx]!.name, (last.offset + last.size) >>> 0);
    for (const e of list) btf.addDatasecVarInfo(e.type, e.offset, e.size);
  }
}

/** pahole compares offsets as the int difference of two u32. */
function cmpOffset(a: number, b: number): number {
  return (a - b) | 0;
}

/**
 * The first location operation's address as read from the relocated DWARF, with where it was
 * read (for the relocation lookup); undefined unless pahole would call the variable global.
 */
function rawAddress(d: DwarfInfo, v: number): { section: string; offset: number; value: number } | undefined {
  const e = d.block(v, At.location);
  if (!e || e.length === 0) return undefined;
  const u = d.unit(v);
  const le = d.sections.littleEndian;
  if (e[0] === OP_ADDR) {
    if (e.length < 1 + u.addrSize) return undefined;
    const info = d.sections.info;
    return { section: '.debug_info', offset: e.byteOffset - info.byteOffset + 1, value: readAddr(e, 1, u.addrSize, le) };
  }
  if (e[0] === OP_ADDRX) {
    let index = 0;
    let mul = 1;
    let i = 1;
    for (; i < e.length; i++, mul *= 128) {
      index += (e[i]! & 0x7f) * mul;
      if (e[i]! < 0x80) break;
    }
    if (i >= e.length) return undefined;
    const at = u.addrBase + index * u.addrSize;
    const tbl = d.sections.addr;
    if (at + u.addrSize > tbl.length) return undefined;
    return { section: '.debug_addr', offset: at, value: readAddr(tbl, at, u.addrSize, le) };
  }
  return undefined;
}

function readAddr(b: Uint8Array, p: number, size: number, le: boolean): number {
  let v = 0;
  for (let i = 0; i < size; i++) v += b[p + (le ? i : size - 1 - i)]! * 2 ** (8 * i);
  return v;
}

/** The variable DIE its name and type come from: its DW_AT_specification when that is a variable of the unit, else itself. */
function specification(d: DwarfInfo, ct: CuTypes, v: number): number {
  if (!d.has(v, At.specification)) return v;
  const s = d.ref(v, At.specification);
  return s >= ct.unit.firstDie && s < ct.unit.endDie && d.tag(s) === Tag.variable ? s : v;
}

function filtered(name: string): boolean {
  return name.startsWith('_') && FILTERED_PREFIXES.some((p) => name.startsWith(p));
}

/** pahole's btf_name_valid: [A-Za-z_.][A-Za-z0-9_.]*, at most KSYM_NAME_LEN characters. */
function validName(name: string): boolean {
  return name.length <= KSYM_NAME_LEN && /^[A-Za-z_.][A-Za-z0-9_.]*$/.test(name);
}

/** pahole's variable_in_sec: an STT_OBJECT symbol named `name` in section `shndx`. */
function objectInSection(elf: ElfFile, name: string, shndx: number): boolean {
  for (const s of elf.symbols()) if (s.shndx === shndx && s.type === STT_OBJECT && s.name === name) return true;
  return false;
}

/**
 * pahole's tag__size of the type DIE `t` (-1 for a missing or looping type): pointers are the
 * address size, base types and enums their byte size (an enum without one: 4), structs and
 * unions their byte size (0 for a memberless 1-byte one), arrays element size times all
 * dimensions, typedefs and qualifiers the size of what they name.
 */
function typeSize(d: DwarfInfo, ct: CuTypes, t: number, depth: number): number {
  if (t < ct.unit.firstDie || t >= ct.unit.endDie || ct.smallId[t - ct.unit.firstDie] === 0 || depth > 64) return -1;
  const tag = d.tag(t);
  switch (tag) {
    case Tag.pointer_type: case Tag.reference_type:
      return ct.unit.addrSize;
    case Tag.base_type:
      return d.num(t, At.byte_size, 0) & 0x1fff;
    case Tag.enumeration_type:
      return d.num(t, At.byte_size, 0) || 4;
    case Tag.structure_type: case Tag.class_type: case Tag.union_type: case Tag.interface_type: {
      const size = d.num(t, At.byte_size, 0);
      return size === 1 && memberCount(d, t) === 0 ? 0 : size;
    }
    default:
      break;
  }
  if (!d.has(t, At.type)) return tag === Tag.typedef ? d.num(t, At.byte_size, 0) : 0;
  const inner = typeSize(d, ct, d.ref(t, At.type), depth + 1);
  if (inner < 0) return inner;
  if (tag !== Tag.array_type) return inner;
  let n = 1;
  for (let c = d.firstChild(t); c >= 0; c = d.nextSibling(c)) {
    if (d.tag(c) === Tag.subrange_type) n *= subrangeElements(d, c);
  }
  return inner * n;
}

/** Members pahole counts in a struct/union (DW_TAG_member children that are not static). */
function memberCount(d: DwarfInfo, t: number): number {
  let n = 0;
  for (let c = d.firstChild(t); c >= 0; c = d.nextSibling(c)) {
    if (d.tag(c) === Tag.member && !d.has(c, At.external) && !d.has(c, At.declaration)) n++;
  }
  return n;
}
