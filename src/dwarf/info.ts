/**
 * `.debug_info` as an index of DIEs (debugging information entries) in typed arrays, with
 * attributes decoded on demand — the DWARF counterpart of the BTF model: no object per DIE.
 *
 * Approach: one pass over every unit (DWARF 2–5 headers, 32- and 64-bit DWARF) reads each
 * DIE's abbreviation code, records its offset, abbreviation, parent and next sibling, and
 * skips its attribute data by form; nothing else is decoded. An attribute is found later by
 * walking the DIE's (attribute, form) list from its abbreviation and skipping the forms before
 * it. Strings come from `.debug_str` (strp), `.debug_line_str` (line_strp), `.debug_str_offsets`
 * (strx*, based at the unit's DW_AT_str_offsets_base) or inline; references become DIE
 * indices (binary search over the sorted offsets). What libdw gives pahole, for the forms and
 * attributes gcc 12 and clang emit for kernel code.
 *
 * Every read is bounds-checked: malformed DWARF is a BtfkitError('DWARF') naming the section
 * and byte offset; the one pass over the data bounds the work by the section's size.
 */

import { Form, UnitType } from './constants.js';
import { formName } from './constants.js';
import { Abbrevs, OFF_SIZED, ADDR_SIZED, type AbbrevTable } from './abbrev.js';
import { uleb, sleb, slebBig, ulebBig, type Cursor } from './leb.js';
import { dwarfError, type DwarfSections } from './sections.js';
import { growI32, growU32 } from '../model/grow.js';

const INFO = '.debug_info';

export interface DwarfUnit {
  /** Offset of the unit header in `.debug_info`. */
  offset: number;
  /** Offset just past the unit. */
  end: number;
  version: number;
  unitType: number;
  addrSize: number;
  /** 4 for 32-bit DWARF, 8 for 64-bit DWARF. */
  offSize: number;
  abbrevOffset: number;
  /** Index of the unit's first DIE (its DW_TAG_compile_unit), and one past its last. */
  firstDie: number;
  endDie: number;
  /** DW_AT_str_offsets_base / addr_base / rnglists_base / loclists_base of the unit DIE (0 when absent). */
  strOffsetsBase: number;
  addrBase: number;
  rnglistsBase: number;
  loclistsBase: number;
}

/** A unit's DIEs as indexDies records them (indices from `firstDie`), `count` of them. */
export interface IndexedDies {
  count: number;
  off: Uint32Array;
  abbr: Uint32Array;
  attrOff: Uint32Array;
  par: Int32Array;
  sib: Int32Array;
}

/** Indexes one unit's DIEs [p, end) with its abbreviation table, or declines (null). */
export type DieIndexer = (u: {
  unit: DwarfUnit; ui: number; byCode: Int32Array; abbrevs: Abbrevs; p: number; end: number; firstDie: number;
}) => IndexedDies | null;

/** An attribute's place: the form and the offset of its data in `.debug_info`. */
interface AttrPlace {
  form: number;
  p: number;
  /** Index into the abbreviation attribute list (for implicit_const values). */
  a: number;
}

export class DwarfInfo {
  readonly sections: DwarfSections;
  readonly units: DwarfUnit[] = [];
  /** Number of DIEs. */
  n = 0;
  private off = new Uint32Array(0);
  private abbr = new Uint32Array(0);
  private attrOff = new Uint32Array(0);
  private par = new Int32Array(0);
  private sib = new Int32Array(0);
  private unitOf = new Uint32Array(0);
  private readonly abbrevs: Abbrevs;
  private readonly dv: DataView;
  private readonly le: boolean;
  private readonly place: AttrPlace = { form: 0, p: 0, a: 0 };
  /** One cursor for LEB128 reads (no object per read). */
  private readonly cur: Cursor = { p: 0 };
  private readonly utf8 = new TextDecoder('utf-8');

  /**
   * `indexer`: indexes a unit's DIEs elsewhere (src/accel/encode.ts, the same walk in C) and
   * returns them, or null to have this class do it (which then also reports any error).
   */
  constructor(sections: DwarfSections, private readonly indexer: DieIndexer | null = null) {
    this.sections = sections;
    const d = sections.info;
    this.dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    this.le = sections.littleEndian;
    this.abbrevs = new Abbrevs(sections.abbrev);
    // room for the DIEs up front (gcc and clang average 10-12 bytes per DIE), instead of
    // growing six arrays some twenty times on a large module; pages never written cost nothing
    this.reserve((d.length >>> 3) + 1024);
    let p = 0;
    while (p < d.length) p = this.indexUnit(p);
  }

  /**
   * The index as it is, for code that reads the same DIEs elsewhere (src/accel/encode.ts):
   * per DIE its offset, abbreviation, attribute data offset, parent, next sibling and unit
   * (arrays of at least `n`), and the abbreviations (abbrev.ts). Read-only.
   */
  raw(): {
    off: Uint32Array; abbr: Uint32Array; attrOff: Uint32Array; par: Int32Array; sib: Int32Array; unitOf: Uint32Array; abbrevs: Abbrevs;
  } {
    return { off: this.off, abbr: this.abbr, attrOff: this.attrOff, par: this.par, sib: this.sib, unitOf: this.unitOf, abbrevs: this.abbrevs };
  }

  // ------------------------------------------------------------------ tree

  tag(die: number): number {
    return this.abbrevs.tag[this.abbr[die]!]!;
  }

  hasChildren(die: number): boolean {
    return this.abbrevs.children[this.abbr[die]!]! !== 0;
  }

  /** The parent DIE, or -1 for a unit's top DIE. */
  parent(die: number): number {
    return this.par[die]!;
  }

  /** The first child, or -1. */
  firstChild(die: number): number {
    if (!this.hasChildren(die)) return -1;
    const c = die + 1;
    return c < this.n && this.par[c] === die ? c : -1;
  }

  /** The next DIE with the same parent, or -1. */
  nextSibling(die: number): number {
    return this.sib[die]!;
  }

  /** The children of `die`, in order. */
  children(die: number): number[] {
    const out: number[] = [];
    for (let c = this.firstChild(die); c >= 0; c = this.sib[c]!) out.push(c);
    return out;
  }

  /** Offset of the DIE in `.debug_info` (what readelf and llvm-dwarfdump print). */
  offset(die: number): number {
    return this.off[die]!;
  }

  unit(die: number): DwarfUnit {
    return this.units[this.unitOf[die]!]!;
  }

  /** Can a DIE of unit `u` have this tag (does its abbreviation table have one)? */
  unitUsesTag(u: DwarfUnit, tag: number): boolean {
    return this.abbrevs.usesTag(this.abbrevs.table(u.abbrevOffset), tag);
  }

  /** The DIE at a `.debug_info` offset, or -1. */
  dieAt(offset: number): number {
    return this.dieIn(offset, 0, this.n - 1);
  }

  /** The DIE at `offset` among DIEs [lo, hi], or -1. */
  private dieIn(offset: number, lo: number, hi: number): number {
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const o = this.off[mid]!;
      if (o === offset) return mid;
      if (o < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  // ------------------------------------------------------------------ attributes

  has(die: number, at: number): boolean {
    return this.find(die, at);
  }

  /** The form of attribute `at` of `die`, or 0 when absent. */
  form(die: number, at: number): number {
    return this.find(die, at) ? this.place.form : 0;
  }

  /** The attribute names of `die`, in order. */
  attributes(die: number): number[] {
    const ab = this.abbrevs;
    const k = this.abbr[die]!;
    const out: number[] = [];
    for (let a = ab.attrStart[k]!, e = a + ab.attrCount[k]!; a < e; a++) out.push(ab.attrName[a]!);
    return out;
  }

  /**
   * An unsigned constant (data1/2/4/8, udata, implicit_const, flag, sec_offset), or `dflt`.
   * sdata is returned signed. data8 values past 2^53 lose precision: use `bigValue`.
   */
  num(die: number, at: number, dflt = -1): number {
    if (!this.find(die, at)) return dflt;
    const { form, p, a } = this.place;
    return this.numAt(die, at, form, p, a);
  }

  private numAt(die: number, at: number, form: number, p: number, a: number): number {
    switch (form) {
      case Form.data1: case Form.ref1: case Form.flag: case Form.strx1: case Form.addrx1:
        return this.u8(p);
      case Form.data2: case Form.ref2: case Form.strx2: case Form.addrx2:
        return this.u16(p);
      case Form.data4: case Form.ref4: case Form.strx4: case Form.addrx4:
        return this.u32(p);
      case Form.data8: case Form.ref8: case Form.ref_sig8:
        return this.u64(p);
      case Form.udata: case Form.ref_udata: case Form.strx: case Form.addrx: case Form.loclistx: case Form.rnglistx:
        return this.lebAt(p, false);
      case Form.sdata:
        return this.lebAt(p, true);
      case Form.implicit_const:
        return this.abbrevs.attrConst[a]!;
      case Form.flag_present:
        return 1;
      case Form.sec_offset: case Form.strp: case Form.line_strp: case Form.ref_addr:
        return this.unit(die).offSize === 8 ? this.u64(p) : this.u32(p);
      case Form.addr:
        return this.unit(die).addrSize === 8 ? this.u64(p) : this.u32(p);
      default:
        throw dwarfError(`attribute 0x${at.toString(16)} has ${formName(form)}, not a constant`, INFO, p);
    }
  }

  /**
   * A constant exactly, as a bigint: data1/2/4/8 and udata zero-extended, sdata and
   * implicit_const sign-extended (DWARF leaves the signedness of dataN to the consumer:
   * see `signed`), or undefined when absent.
   */
  bigValue(die: number, at: number): bigint | undefined {
    if (!this.find(die, at)) return undefined;
    const { form, p, a } = this.place;
    switch (form) {
      case Form.data1: return BigInt(this.u8(p));
      case Form.data2: return BigInt(this.u16(p));
      case Form.data4: return BigInt(this.u32(p));
      case Form.data8: return (BigInt(this.u32(p + (this.le ? 4 : 0))) << 32n) | BigInt(this.u32(p + (this.le ? 0 : 4)));
      case Form.udata: return ulebBig(this.sections.info, { p }, INFO);
      case Form.sdata: return slebBig(this.sections.info, { p }, INFO);
      case Form.implicit_const: return BigInt(this.abbrevs.attrConst[a]!);
      default:
        throw dwarfError(`attribute 0x${at.toString(16)} has ${formName(form)}, not a constant`, INFO, p);
    }
  }

  /** Byte width of a dataN form of attribute `at` (1, 2, 4, 8), 0 for LEB128 and other forms. */
  dataWidth(die: number, at: number): number {
    if (!this.find(die, at)) return 0;
    switch (this.place.form) {
      case Form.data1: return 1;
      case Form.data2: return 2;
      case Form.data4: return 4;
      case Form.data8: return 8;
      default: return 0;
    }
  }

  flag(die: number, at: number): boolean {
    return this.find(die, at) && (this.place.form === Form.flag_present || this.num(die, at, 0) !== 0);
  }

  /** A reference attribute as a DIE index; -1 when absent or pointing at no DIE. */
  ref(die: number, at: number): number {
    if (!this.find(die, at)) return -1;
    const { form, p } = this.place;
    return this.refAt(die, at, form, p);
  }

  private refAt(die: number, at: number, form: number, p: number): number {
    let target: number;
    switch (form) {
      case Form.ref1: target = this.u8(p); break;
      case Form.ref2: target = this.u16(p); break;
      case Form.ref4: target = this.u32(p); break;
      case Form.ref8: target = this.u64(p); break;
      case Form.ref_udata: target = this.lebAt(p, false); break;
      case Form.ref_addr: {
        const t = this.unit(die).offSize === 8 ? this.u64(p) : this.u32(p);
        return this.refTarget(t, p);
      }
      // a type unit's signature (-fdebug-types-section): the type units are in section groups,
      // which libdw does not read for a file's own DWARF (sections.ts), so pahole finds no DIE
      // there and takes the type as void: so does this reader
      case Form.ref_sig8:
        return -1;
      default:
        throw dwarfError(`attribute 0x${at.toString(16)} has ${formName(form)}, not a reference`, INFO, p);
    }
    // a unit-relative reference: a DIE of the same unit, searched there first
    const u = this.unit(die);
    const t = this.dieIn(u.offset + target, u.firstDie, u.endDie - 1);
    return t >= 0 ? t : this.refTarget(u.offset + target, p);
  }

  private refTarget(offset: number, p: number): number {
    const t = this.dieAt(offset);
    if (t < 0) throw dwarfError(`reference to offset 0x${offset.toString(16)}, where no DIE starts`, INFO, p);
    return t;
  }

  /** A string attribute (string, strp, line_strp, strx*), or undefined when absent. */
  str(die: number, at: number): string | undefined {
    if (!this.find(die, at)) return undefined;
    const { form, p } = this.place;
    const s = this.sections;
    switch (form) {
      case Form.string: return this.cstr(s.info, p, INFO);
      case Form.strp: return this.cstr(s.str, this.offsetAt(die, p), '.debug_str');
      case Form.line_strp: return this.cstr(s.lineStr, this.offsetAt(die, p), '.debug_line_str');
      case Form.strx: case Form.GNU_str_index: return this.strx(die, this.lebAt(p, false), p);
      case Form.strx1: return this.strx(die, this.u8(p), p);
      case Form.strx2: return this.strx(die, this.u16(p), p);
      case Form.strx3: return this.strx(die, this.u24(p), p);
      case Form.strx4: return this.strx(die, this.u32(p), p);
      default:
        throw dwarfError(`attribute 0x${at.toString(16)} has ${formName(form)}, not a string`, INFO, p);
    }
  }

  /**
   * Where a string attribute's bytes are, as one number (equal numbers: the same bytes), or -1
   * when absent: `.debug_str` offset * 4 (strp, strx*), `.debug_line_str` offset * 4 + 1,
   * `.debug_info` offset * 4 + 2 (inline). For callers that intern the same strings many times.
   */
  strPos(die: number, at: number): number {
    if (!this.find(die, at)) return -1;
    const { form, p } = this.place;
    return this.strPosAt(die, at, form, p);
  }

  /** The section bytes of the string at strPos `pos` (see strOffset, strLength). */
  strSection(pos: number): Uint8Array {
    const k = pos % 4;
    return k === 0 ? this.sections.str : k === 1 ? this.sections.lineStr : this.sections.info;
  }

  /** The offset in strSection(pos) of the string at strPos `pos`. */
  strOffset(pos: number): number {
    return (pos - (pos % 4)) / 4;
  }

  /** The length in bytes (before its NUL) of the string at strPos `pos`; checked as `str` checks it. */
  strLength(pos: number): number {
    const d = this.strSection(pos);
    const off = this.strOffset(pos);
    const k = pos % 4;
    const section = k === 0 ? '.debug_str' : k === 1 ? '.debug_line_str' : INFO;
    if (off >= d.length) throw dwarfError(`string offset ${off} is past the end of ${section} (${d.length} bytes)`, section, off);
    let e = off;
    while (e < d.length && d[e] !== 0) e++;
    if (e >= d.length) throw dwarfError('string is not NUL-terminated', section, off);
    return e - off;
  }

  private strPosAt(die: number, at: number, form: number, p: number): number {
    switch (form) {
      case Form.string: return p * 4 + 2;
      case Form.strp: return this.offsetAt(die, p) * 4;
      case Form.line_strp: return this.offsetAt(die, p) * 4 + 1;
      case Form.strx: case Form.GNU_str_index: return this.strxOffset(die, this.lebAt(p, false), p) * 4;
      case Form.strx1: return this.strxOffset(die, this.u8(p), p) * 4;
      case Form.strx2: return this.strxOffset(die, this.u16(p), p) * 4;
      case Form.strx3: return this.strxOffset(die, this.u24(p), p) * 4;
      case Form.strx4: return this.strxOffset(die, this.u32(p), p) * 4;
      default:
        throw dwarfError(`attribute 0x${at.toString(16)} has ${formName(form)}, not a string`, INFO, p);
    }
  }

  /** A block or exprloc attribute's bytes, or undefined when absent. */
  block(die: number, at: number): Uint8Array | undefined {
    if (!this.find(die, at)) return undefined;
    const { form, p } = this.place;
    return this.blockAt(form, p);
  }

  private blockAt(form: number, p: number): Uint8Array | undefined {
    const d = this.sections.info;
    const cur: Cursor = { p };
    let len: number;
    switch (form) {
      case Form.block1: len = this.u8(p); cur.p = p + 1; break;
      case Form.block2: len = this.u16(p); cur.p = p + 2; break;
      case Form.block4: len = this.u32(p); cur.p = p + 4; break;
      case Form.block: case Form.exprloc: len = uleb(d, cur, INFO); break;
      default: return undefined;
    }
    if (cur.p + len > d.length) throw dwarfError('block runs past the end of the section', INFO, p);
    return d.subarray(cur.p, cur.p + len);
  }

  /** DW_AT_name. */
  name(die: number): string | undefined {
    return this.str(die, 0x03);
  }

  // ------------------------------------------------------------------ several attributes at once

  /**
   * Finds every attribute of `set` on `die` in one walk over its data (where `num`, `ref` …
   * walk once per attribute): afterwards `set.form[slot]` is the form of `set.ats[slot]`, 0 when
   * absent, and the *In readers decode it.
   */
  gather(die: number, set: AttrSet): void {
    const ab = this.abbrevs;
    const k = this.abbr[die]!;
    const u = this.units[this.unitOf[die]!]!;
    const slotOf = set.slotOf;
    const forms = set.form;
    // a few slots: a loop, not a call of fill() per DIE
    for (let i = 0; i < forms.length; i++) forms[i] = 0;
    if (u.offSize === 4 && u.addrSize === 8) {
      // positions known from the abbreviation (Abbrevs.attrPos): no walk over the data
      const base = this.attrOff[die]!;
      const pos = ab.attrPos;
      let a = ab.attrStart[k]!;
      const e = a + ab.attrCount[k]!;
      for (; a < e; a++) {
        const at = ab.attrName[a]!;
        const slot = at < slotOf.length ? slotOf[at]! : -1;
        if (slot < 0) continue;
        const ps = pos[a]!;
        const form = ab.attrForm[a]!;
        if (ps < 0 || form === Form.indirect) break;
        if (forms[slot] === 0) {
          forms[slot] = form;
          set.p[slot] = base + ps;
          set.a[slot] = a;
        }
      }
      if (a === e) return;
      for (let i = 0; i < forms.length; i++) forms[i] = 0;
    }
    this.gatherWalk(die, set, k, u);
  }

  /** gather by walking the DIE's data (variable-size forms before a wanted attribute). */
  private gatherWalk(die: number, set: AttrSet, k: number, u: DwarfUnit): void {
    const ab = this.abbrevs;
    const slotOf = set.slotOf;
    let p = this.attrOff[die]!;
    const size = ab.attrSize;
    for (let a = ab.attrStart[k]!, e = a + ab.attrCount[k]!; a < e; a++) {
      const at = ab.attrName[a]!;
      const slot = at < slotOf.length ? slotOf[at]! : -1;
      if (slot < 0) {
        const sz = size[a]!;
        if (sz >= 0) {
          p += sz;
          continue;
        }
        if (sz === OFF_SIZED) {
          p += u.offSize;
          continue;
        }
      }
      let form = ab.attrForm[a]!;
      if (form === Form.indirect) {
        const cur = this.cur;
        cur.p = p;
        form = uleb(this.sections.info, cur, INFO);
        p = cur.p;
      }
      if (slot >= 0 && set.form[slot] === 0) {
        set.form[slot] = form;
        set.p[slot] = p;
        set.a[slot] = a;
      }
      p = this.skip(form, p, u);
    }
  }

  /** `num` of a gathered attribute. */
  numIn(die: number, set: AttrSet, slot: number, dflt = -1): number {
    const form = set.form[slot]!;
    return form === 0 ? dflt : this.numAt(die, set.ats[slot]!, form, set.p[slot]!, set.a[slot]!);
  }

  /** `ref` of a gathered attribute. */
  refIn(die: number, set: AttrSet, slot: number): number {
    const form = set.form[slot]!;
    return form === 0 ? -1 : this.refAt(die, set.ats[slot]!, form, set.p[slot]!);
  }

  /** `strPos` of a gathered attribute. */
  strPosIn(die: number, set: AttrSet, slot: number): number {
    const form = set.form[slot]!;
    return form === 0 ? -1 : this.strPosAt(die, set.ats[slot]!, form, set.p[slot]!);
  }

  /** `block` of a gathered attribute. */
  blockIn(set: AttrSet, slot: number): Uint8Array | undefined {
    const form = set.form[slot]!;
    return form === 0 ? undefined : this.blockAt(form, set.p[slot]!);
  }

  // ------------------------------------------------------------------ internals

  private find(die: number, at: number): boolean {
    const ab = this.abbrevs;
    const k = this.abbr[die]!;
    const u = this.units[this.unitOf[die]!]!;
    if (u.offSize === 4 && u.addrSize === 8) {
      // the position from the abbreviation (Abbrevs.attrPos), when the data before it is fixed
      for (let a = ab.attrStart[k]!, e = a + ab.attrCount[k]!; a < e; a++) {
        if (ab.attrName[a] !== at) continue;
        const ps = ab.attrPos[a]!;
        const form = ab.attrForm[a]!;
        if (ps < 0 || form === Form.indirect) return this.findWalk(die, at, k, u);
        this.place.form = form;
        this.place.p = this.attrOff[die]! + ps;
        this.place.a = a;
        return true;
      }
      return false;
    }
    return this.findWalk(die, at, k, u);
  }

  /** find by walking the DIE's data. */
  private findWalk(die: number, at: number, k: number, u: DwarfUnit): boolean {
    const ab = this.abbrevs;
    let p = this.attrOff[die]!;
    const size = ab.attrSize;
    for (let a = ab.attrStart[k]!, e = a + ab.attrCount[k]!; a < e; a++) {
      if (ab.attrName[a] !== at) {
        // the common case: a fixed-size form before the wanted attribute
        const sz = size[a]!;
        if (sz >= 0) {
          p += sz;
          continue;
        }
        if (sz === OFF_SIZED) {
          p += u.offSize;
          continue;
        }
      }
      let form = ab.attrForm[a]!;
      if (form === Form.indirect) {
        const cur = this.cur;
        cur.p = p;
        form = uleb(this.sections.info, cur, INFO);
        p = cur.p;
      }
      if (ab.attrName[a] === at) {
        this.place.form = form;
        this.place.p = p;
        this.place.a = a;
        return true;
      }
      p = this.skip(form, p, u);
    }
    return false;
  }

  /** Offset just past data of `form` at `p`. */
  private skip(form: number, p: number, u: DwarfUnit): number {
    const d = this.sections.info;
    switch (form) {
      case Form.flag_present: case Form.implicit_const: return p;
      case Form.data1: case Form.ref1: case Form.flag: case Form.strx1: case Form.addrx1: return p + 1;
      case Form.data2: case Form.ref2: case Form.strx2: case Form.addrx2: return p + 2;
      case Form.strx3: case Form.addrx3: return p + 3;
      case Form.data4: case Form.ref4: case Form.strx4: case Form.addrx4: case Form.ref_sup4: return p + 4;
      case Form.data8: case Form.ref8: case Form.ref_sig8: case Form.ref_sup8: return p + 8;
      case Form.data16: return p + 16;
      case Form.addr: return p + u.addrSize;
      case Form.strp: case Form.line_strp: case Form.sec_offset: case Form.strp_sup: case Form.GNU_ref_alt: case Form.GNU_strp_alt:
        return p + u.offSize;
      case Form.ref_addr: return p + (u.version <= 2 ? u.addrSize : u.offSize);
      case Form.udata: case Form.sdata: case Form.ref_udata: case Form.strx: case Form.addrx: case Form.loclistx: case Form.rnglistx:
      case Form.GNU_addr_index: case Form.GNU_str_index: {
        while (p < d.length && d[p]! >= 0x80) p++;
        if (p >= d.length) throw dwarfError('LEB128 number runs past the end of the section', INFO, p);
        return p + 1;
      }
      case Form.string: {
        const z = d.indexOf(0, p);
        if (z < 0) throw dwarfError('string runs past the end of the section', INFO, p);
        return z + 1;
      }
      case Form.block1: return p + 1 + this.u8(p);
      case Form.block2: return p + 2 + this.u16(p);
      case Form.block4: return p + 4 + this.u32(p);
      case Form.block: case Form.exprloc: {
        const cur = this.cur;
        cur.p = p;
        const len = uleb(d, cur, INFO);
        return cur.p + len;
      }
      case Form.indirect: {
        const cur = { p };
        const f = uleb(d, cur, INFO);
        if (f === Form.indirect) throw dwarfError('DW_FORM_indirect names DW_FORM_indirect', INFO, p);
        return this.skip(f, cur.p, u);
      }
      default:
        throw dwarfError(`unknown attribute form 0x${form.toString(16)}`, INFO, p);
    }
  }

  /** Parses the unit header at `p`, indexes its DIEs; returns the offset past the unit. */
  private indexUnit(p: number): number {
    const d = this.sections.info;
    const start = p;
    if (p + 11 > d.length) throw dwarfError('unit header truncated', INFO, p);
    let len = this.u32(p);
    let offSize = 4;
    p += 4;
    if (len === 0xffffffff) {
      len = this.u64(p);
      p += 8;
      offSize = 8;
    } else if (len >= 0xfffffff0) {
      throw dwarfError(`reserved unit length 0x${len.toString(16)}`, INFO, start);
    }
    const end = p + len;
    if (end > d.length) throw dwarfError(`unit length ${len} runs past the end of the section (${d.length} bytes)`, INFO, start);
    const version = this.u16(p);
    p += 2;
    if (version < 2 || version > 5) throw dwarfError(`DWARF version ${version} is not supported (2 to 5)`, INFO, start + (offSize === 8 ? 12 : 4));
    let unitType: number = UnitType.compile;
    let addrSize: number;
    let abbrevOffset: number;
    if (version >= 5) {
      unitType = this.u8(p);
      addrSize = this.u8(p + 1);
      abbrevOffset = offSize === 8 ? this.u64(p + 2) : this.u32(p + 2);
      p += 2 + offSize;
      if (unitType === UnitType.skeleton || unitType === UnitType.split_compile) p += 8;
      else if (unitType === UnitType.type || unitType === UnitType.split_type) p += 8 + offSize;
      else if (unitType !== UnitType.compile && unitType !== UnitType.partial) {
        throw dwarfError(`unit type 0x${unitType.toString(16)} is not supported`, INFO, start);
      }
    } else {
      abbrevOffset = offSize === 8 ? this.u64(p) : this.u32(p);
      addrSize = this.u8(p + offSize);
      p += offSize + 1;
    }
    if (addrSize !== 4 && addrSize !== 8) throw dwarfError(`address size ${addrSize} is not supported`, INFO, start);
    if (p > end) throw dwarfError('unit header is longer than the unit', INFO, start);
    const unit: DwarfUnit = {
      offset: start, end, version, unitType, addrSize, offSize, abbrevOffset,
      firstDie: this.n, endDie: this.n, strOffsetsBase: 0, addrBase: 0, rnglistsBase: 0, loclistsBase: 0,
    };
    const ui = this.units.length;
    this.units.push(unit);
    const table = this.abbrevs.table(abbrevOffset);
    if (!this.indexElsewhere(unit, ui, table, p, end)) this.indexDies(unit, ui, table, p, end);
    unit.endDie = this.n;
    if (unit.endDie > unit.firstDie) this.readUnitBases(unit);
    return end;
  }

  /** The unit's DIEs from `indexer`, appended to the index; false when there is none or it declined. */
  private indexElsewhere(u: DwarfUnit, ui: number, table: AbbrevTable, p: number, end: number): boolean {
    if (this.indexer === null || !(table.byCode instanceof Int32Array)) return false;
    const r = this.indexer({ unit: u, ui, byCode: table.byCode, abbrevs: this.abbrevs, p, end, firstDie: this.n });
    if (r === null) return false;
    const n = this.n + r.count;
    if (n > this.off.length) this.grow(n);
    this.off.set(r.off.subarray(0, r.count), this.n);
    this.abbr.set(r.abbr.subarray(0, r.count), this.n);
    this.attrOff.set(r.attrOff.subarray(0, r.count), this.n);
    this.par.set(r.par.subarray(0, r.count), this.n);
    this.sib.set(r.sib.subarray(0, r.count), this.n);
    this.unitOf.fill(ui, this.n, n);
    this.n = n;
    return true;
  }

  private indexDies(u: DwarfUnit, ui: number, table: AbbrevTable, p: number, end: number): void {
    // One pass over every DIE of the unit: written for the interpreter as much as for the
    // optimizer (it runs once per process), so the per-DIE work is inline: the one-byte code
    // of LEB128, the dense code table, the record's typed arrays, the depth stacks.
    const d = this.sections.info;
    const ab = this.abbrevs;
    const size = ab.attrSize;
    // 32-bit DWARF, 8-byte addresses: the sizes Abbrevs.fixedSize is computed for
    const usual = u.offSize === 4 && u.addrSize === 8;
    const fixed = ab.fixedSize;
    const dense = table.byCode instanceof Int32Array ? table.byCode : null;
    /** Parent DIE and last DIE seen (to link siblings) at each depth. */
    let parents = new Int32Array(64);
    let last = new Int32Array(65);
    let depth = 0;
    last[0] = -1;
    const cur: Cursor = { p };
    let off = this.off, abbr = this.abbr, attrOff = this.attrOff, par = this.par, sib = this.sib, unitOf = this.unitOf;
    while (p < end) {
      const dieStart = p;
      let code = d[p]!;
      if (code < 0x80) p++;
      else {
        cur.p = p;
        code = uleb(d, cur, INFO);
        p = cur.p;
      }
      if (code === 0) {
        if (depth === 0) continue; // padding after the unit DIE tree
        depth--;
        continue;
      }
      const k = dense ? (code < dense.length ? dense[code]! : -1) : ab.lookup(table, code);
      if (k < 0) throw dwarfError(`abbreviation code ${code} is not in the unit's table (offset ${u.abbrevOffset})`, INFO, dieStart);
      const die = this.n++;
      if (die === off.length) {
        this.grow();
        off = this.off; abbr = this.abbr; attrOff = this.attrOff; par = this.par; sib = this.sib; unitOf = this.unitOf;
      }
      off[die] = dieStart;
      abbr[die] = k;
      attrOff[die] = p;
      par[die] = depth ? parents[depth - 1]! : -1;
      sib[die] = -1;
      unitOf[die] = ui;
      const prev = last[depth]!;
      if (prev >= 0) sib[prev] = die;
      last[depth] = die;
      const fs = usual ? fixed[k]! : -1;
      if (fs >= 0) p += fs;
      else {
        for (let a = ab.attrStart[k]!, e = a + ab.attrCount[k]!; a < e; a++) {
          const sz = size[a]!;
          p = sz >= 0 ? p + sz : sz === OFF_SIZED ? p + u.offSize : sz === ADDR_SIZED ? p + u.addrSize : this.skip(ab.attrForm[a]!, p, u);
        }
      }
      if (p > end) throw dwarfError('DIE attributes run past the end of the unit', INFO, dieStart);
      if (ab.children[k]) {
        if (depth + 1 >= parents.length) {
          parents = growI32(parents, depth + 2);
          last = growI32(last, depth + 3);
        }
        parents[depth] = die;
        depth++;
        last[depth] = -1;
      }
    }
  }

  private reserve(cap: number): void {
    this.off = new Uint32Array(cap);
    this.abbr = new Uint32Array(cap);
    this.attrOff = new Uint32Array(cap);
    this.unitOf = new Uint32Array(cap);
    this.par = new Int32Array(cap);
    this.sib = new Int32Array(cap);
  }

  /** Room for `n` DIEs in the index arrays (default: the DIEs so far). */
  private grow(n = this.n): void {
    this.off = growU32(this.off, n);
    this.abbr = growU32(this.abbr, n);
    this.attrOff = growU32(this.attrOff, n);
    this.unitOf = growU32(this.unitOf, n);
    this.par = growI32(this.par, n);
    this.sib = growI32(this.sib, n);
  }

  private readUnitBases(u: DwarfUnit): void {
    const top = u.firstDie;
    u.strOffsetsBase = this.num(top, 0x72, u.version >= 5 ? 8 : 0);
    u.addrBase = this.num(top, 0x73, 0);
    u.rnglistsBase = this.num(top, 0x74, 0);
    u.loclistsBase = this.num(top, 0x8c, 0);
  }

  private strx(die: number, index: number, p: number): string {
    return this.cstr(this.sections.str, this.strxOffset(die, index, p), '.debug_str');
  }

  /** The `.debug_str` offset of string index `index` of the unit of `die`. */
  private strxOffset(die: number, index: number, p: number): number {
    const u = this.unit(die);
    const so = this.sections.strOffsets;
    const at = u.strOffsetsBase + index * u.offSize;
    if (at + u.offSize > so.length) throw dwarfError(`string index ${index} is past the end of .debug_str_offsets`, INFO, p);
    const dv = new DataView(so.buffer, so.byteOffset, so.byteLength);
    return u.offSize === 8 ? dv.getUint32(at + (this.le ? 0 : 4), this.le) + dv.getUint32(at + (this.le ? 4 : 0), this.le) * 0x100000000 : dv.getUint32(at, this.le);
  }

  private lebAt(p: number, signed: boolean): number {
    const cur = this.cur;
    cur.p = p;
    return signed ? sleb(this.sections.info, cur, INFO) : uleb(this.sections.info, cur, INFO);
  }

  private offsetAt(die: number, p: number): number {
    return this.unit(die).offSize === 8 ? this.u64(p) : this.u32(p);
  }

  private cstr(d: Uint8Array, off: number, section: string): string {
    if (off >= d.length) throw dwarfError(`string offset ${off} is past the end of ${section} (${d.length} bytes)`, section, off);
    let e = off;
    let ascii = true;
    while (e < d.length && d[e] !== 0) {
      if (d[e]! >= 0x80) ascii = false;
      e++;
    }
    if (e >= d.length) throw dwarfError('string is not NUL-terminated', section, off);
    if (ascii && e - off < 64) {
      let s = '';
      for (let i = off; i < e; i++) s += String.fromCharCode(d[i]!);
      return s;
    }
    return this.utf8.decode(d.subarray(off, e));
  }

  private u8(p: number): number {
    if (p >= this.dv.byteLength) throw dwarfError('attribute data past the end of the section', INFO, p);
    return this.dv.getUint8(p);
  }
  private u16(p: number): number {
    if (p + 2 > this.dv.byteLength) throw dwarfError('attribute data past the end of the section', INFO, p);
    return this.dv.getUint16(p, this.le);
  }
  private u24(p: number): number {
    if (p + 3 > this.dv.byteLength) throw dwarfError('attribute data past the end of the section', INFO, p);
    const b0 = this.dv.getUint8(p), b1 = this.dv.getUint8(p + 1), b2 = this.dv.getUint8(p + 2);
    return this.le ? b0 | (b1 << 8) | (b2 << 16) : (b0 << 16) | (b1 << 8) | b2;
  }
  private u32(p: number): number {
    if (p + 4 > this.dv.byteLength) throw dwarfError('attribute data past the end of the section', INFO, p);
    return this.dv.getUint32(p, this.le);
  }
  private u64(p: number): number {
    if (p + 8 > this.dv.byteLength) throw dwarfError('attribute data past the end of the section', INFO, p);
    const lo = this.dv.getUint32(p + (this.le ? 0 : 4), this.le);
    const hi = this.dv.getUint32(p + (this.le ? 4 : 0), this.le);
    return hi * 0x100000000 + lo;
  }
}

/** The attributes one `DwarfInfo.gather` call looks for, and where it found them. */
export class AttrSet {
  /** Slot of each attribute name (below 0x80), -1 for names not in the set. */
  readonly slotOf = new Int8Array(0x80).fill(-1);
  readonly form: Int32Array;
  readonly p: Int32Array;
  readonly a: Int32Array;

  /** `ats[slot]`: attribute names below 0x80 (DW_AT_name, DW_AT_type, ...). */
  constructor(readonly ats: readonly number[]) {
    ats.forEach((at, slot) => {
      if (at >= 0x80) throw new RangeError(`AttrSet: attribute 0x${at.toString(16)} is not below 0x80`);
      this.slotOf[at] = slot;
    });
    this.form = new Int32Array(ats.length);
    this.p = new Int32Array(ats.length);
    this.a = new Int32Array(ats.length);
  }
}

/** Reads the DWARF of already gathered sections. */
export function parseDwarf(sections: DwarfSections): DwarfInfo {
  return new DwarfInfo(sections);
}
