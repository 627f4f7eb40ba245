/**
 * `.debug_abbrev`: the abbreviation tables that give each DIE its tag, whether it has
 * children, and the (attribute, form) list its data follows.
 *
 * Approach: every table a unit names (by offset) is parsed once into flat typed arrays shared
 * by all units: per abbreviation its tag, children flag and a slice of the attribute lists
 * (names, forms, DW_FORM_implicit_const values). A code → abbreviation map per table is an
 * Int32Array when codes are dense (gcc and clang number them 1, 2, 3 …), a Map otherwise.
 */

import { Form } from './constants.js';
import { dwarfError } from './sections.js';
import { uleb, sleb } from './leb.js';
import { growF64, growI32, growU32, growU8 } from '../model/grow.js';

const SECTION = '.debug_abbrev';

/** attrSize markers: the unit's offset size, its address size, or read the data to know. */
export const OFF_SIZED = -1;
export const ADDR_SIZED = -2;
export const VARIABLE = -3;

/** The data size of a form, when it does not depend on the data itself (see attrSize). */
function formSize(form: number): number {
  switch (form) {
    case Form.flag_present: case Form.implicit_const: return 0;
    case Form.data1: case Form.ref1: case Form.flag: case Form.strx1: case Form.addrx1: return 1;
    case Form.data2: case Form.ref2: case Form.strx2: case Form.addrx2: return 2;
    case Form.strx3: case Form.addrx3: return 3;
    case Form.data4: case Form.ref4: case Form.strx4: case Form.addrx4: case Form.ref_sup4: return 4;
    case Form.data8: case Form.ref8: case Form.ref_sig8: case Form.ref_sup8: return 8;
    case Form.data16: return 16;
    case Form.strp: case Form.line_strp: case Form.sec_offset: case Form.strp_sup: case Form.GNU_ref_alt: case Form.GNU_strp_alt:
      return OFF_SIZED;
    case Form.addr: return ADDR_SIZED;
    default: return VARIABLE; // LEB128s, strings, blocks, indirect, ref_addr (size by version), unknown forms
  }
}

/** formSize of the forms below 0x30 (DWARF 5's and older), looked up instead of switched on. */
const FORM_SIZES = Int8Array.from({ length: 0x30 }, (_, f) => formSize(f));

export interface AbbrevTable {
  /** code → abbreviation index (-1 / missing: unknown code). */
  byCode: Int32Array | Map<number, number>;
  /** The table's abbreviations are [first, end) of the flat arrays. */
  first: number;
  end: number;
}

/** All abbreviations of all tables, flat. */
export class Abbrevs {
  tag: Uint32Array;
  children: Uint8Array;
  attrStart: Uint32Array;
  attrCount: Uint32Array;
  n = 0;
  attrName: Uint32Array;
  attrForm: Uint32Array;
  /** DW_FORM_implicit_const values (0 for other forms). */
  attrConst: Float64Array;
  /**
   * Bytes of each attribute's data when its form has a fixed size (>= 0), or how to size it:
   * OFF_SIZED (the unit's offset size), ADDR_SIZED (its address size), VARIABLE (read it).
   */
  attrSize: Int32Array;
  /**
   * Where each attribute's data starts from the DIE's first attribute byte, in units of 32-bit
   * DWARF with 8-byte addresses (what gcc and clang emit for 64-bit kernels), when every
   * attribute before it has a fixed size there; -1 otherwise. Lets a reader go straight to an
   * attribute (DwarfInfo.find, gather) instead of skipping the ones before it.
   */
  attrPos: Int32Array;
  /** Per abbreviation: the size of all its attributes' data in those units when fixed, else -1. */
  fixedSize: Int32Array;
  nAttrs = 0;
  private readonly tables = new Map<number, AbbrevTable>();

  /**
   * The arrays are sized for the most the section can hold, so that parsing never grows them:
   * an abbreviation takes at least four bytes (code, tag, children flag, the terminating pair
   * of its attribute list), an attribute at least two (pages never written cost nothing).
   * Only tables that units refer to at overlapping offsets (hostile input) can need more.
   */
  constructor(private readonly data: Uint8Array) {
    const abbrevs = (data.length >>> 2) + 1;
    const attrs = (data.length >>> 1) + 1;
    this.tag = new Uint32Array(abbrevs);
    this.children = new Uint8Array(abbrevs);
    this.attrStart = new Uint32Array(abbrevs);
    this.attrCount = new Uint32Array(abbrevs);
    this.fixedSize = new Int32Array(abbrevs);
    this.attrName = new Uint32Array(attrs);
    this.attrForm = new Uint32Array(attrs);
    this.attrConst = new Float64Array(attrs);
    this.attrSize = new Int32Array(attrs);
    this.attrPos = new Int32Array(attrs);
  }

  /** The table at `offset` of `.debug_abbrev`, parsed on first use. */
  table(offset: number): AbbrevTable {
    let t = this.tables.get(offset);
    if (!t) {
      t = this.parseTable(offset);
      this.tables.set(offset, t);
    }
    return t;
  }

  lookup(t: AbbrevTable, code: number): number {
    if (t.byCode instanceof Int32Array) return code < t.byCode.length ? t.byCode[code]! : -1;
    return t.byCode.get(code) ?? -1;
  }

  /**
   * One table, in one pass. It runs once per table and process, before V8 optimizes anything,
   * so the per-attribute work is inline: the fixed sizes of the standard forms from a table
   * (formSize for the others), the arrays written in place (grown first when full).
   */
  private parseTable(offset: number): AbbrevTable {
    const d = this.data;
    if (offset >= d.length) throw dwarfError(`abbreviation table offset ${offset} is past the end (${d.length} bytes)`, SECTION, offset);
    const cur = { p: offset };
    const first = this.n;
    const codes: number[] = [];
    const idx: number[] = [];
    let maxCode = 0;
    for (;;) {
      const at = cur.p;
      const code = uleb(d, cur, SECTION);
      if (code === 0) break;
      const tag = uleb(d, cur, SECTION);
      if (cur.p >= d.length) throw dwarfError('abbreviation truncated', SECTION, at);
      const children = d[cur.p++]!;
      const k = this.newAbbrev(tag, children);
      let pos = 0;
      let count = 0;
      for (;;) {
        const name = uleb(d, cur, SECTION);
        const form = uleb(d, cur, SECTION);
        if (name === 0 && form === 0) break;
        const value = form === Form.implicit_const ? sleb(d, cur, SECTION) : 0;
        const i = this.nAttrs++;
        if (i === this.attrName.length) this.growAttrs();
        const sz = form < FORM_SIZES.length ? FORM_SIZES[form]! : formSize(form);
        this.attrName[i] = name;
        this.attrForm[i] = form;
        this.attrConst[i] = value;
        this.attrSize[i] = sz;
        this.attrPos[i] = pos;
        if (pos >= 0) pos = sz >= 0 ? pos + sz : sz === OFF_SIZED ? pos + 4 : sz === ADDR_SIZED ? pos + 8 : -1;
        count++;
      }
      this.attrCount[k] = count;
      this.fixedSize[k] = pos;
      codes.push(code);
      idx.push(k);
      if (code > maxCode) maxCode = code;
    }
    let byCode: Int32Array | Map<number, number>;
    if (maxCode <= 4 * codes.length + 64) {
      byCode = new Int32Array(maxCode + 1).fill(-1);
      for (let i = 0; i < codes.length; i++) byCode[codes[i]!] = idx[i]!;
    } else {
      byCode = new Map();
      for (let i = 0; i < codes.length; i++) byCode.set(codes[i]!, idx[i]!);
    }
    return { byCode, first, end: this.n };
  }

  /** Does any abbreviation of table `t` have this tag (can any DIE of its units have it)? */
  usesTag(t: AbbrevTable, tag: number): boolean {
    for (let k = t.first; k < t.end; k++) if (this.tag[k] === tag) return true;
    return false;
  }

  private growAbbrevs(): void {
    const n = this.n;
    this.tag = growU32(this.tag, n);
    this.attrStart = growU32(this.attrStart, n);
    this.attrCount = growU32(this.attrCount, n);
    this.children = growU8(this.children, n);
    this.fixedSize = growI32(this.fixedSize, n);
  }

  private growAttrs(): void {
    const n = this.nAttrs;
    this.attrName = growU32(this.attrName, n);
    this.attrForm = growU32(this.attrForm, n);
    this.attrConst = growF64(this.attrConst, n);
    this.attrSize = growI32(this.attrSize, n);
    this.attrPos = growI32(this.attrPos, n);
  }

  private newAbbrev(tag: number, children: number): number {
    const k = this.n++;
    if (k === this.tag.length) this.growAbbrevs();
    this.tag[k] = tag;
    this.children[k] = children;
    this.attrStart[k] = this.nAttrs;
    this.attrCount[k] = 0;
    return k;
  }
}
