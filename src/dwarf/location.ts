/**
 * Location descriptions of a DIE attribute (DW_AT_location and the like): a single
 * expression (exprloc, or a block in DWARF 2/3), or a location list in `.debug_loc`
 * (DWARF 2–4) or `.debug_loclists` (DWARF 5, by offset or by DW_FORM_loclistx index).
 *
 * Approach: the list is walked entry by entry and the expression of each location
 * description is returned in order, as libdw's dwarf_getlocations hands them to pahole;
 * base-address entries and the end marker carry no expression and are not returned. The
 * encoder needs only the expressions (which register holds a parameter), not the ranges.
 */

import { Form } from './constants.js';
import { uleb, type Cursor } from './leb.js';
import { dwarfError } from './sections.js';
import type { DwarfInfo } from './info.js';

/** The location expressions of attribute `at` of `die`, in order; [] when absent. */
export function locationExprs(d: DwarfInfo, die: number, at: number): Uint8Array[] {
  const form = d.form(die, at);
  switch (form) {
    case 0:
      return [];
    case Form.exprloc: case Form.block: case Form.block1: case Form.block2: case Form.block4:
      return [d.block(die, at)!];
    case Form.loclistx: {
      const u = d.unit(die);
      const index = d.num(die, at);
      const tbl = d.sections.loclists;
      const at0 = u.loclistsBase + index * u.offSize;
      if (at0 + u.offSize > tbl.length) throw dwarfError(`location list index ${index} is past the offsets table`, '.debug_loclists', at0);
      return loclists(d, die, u.loclistsBase + readOff(tbl, at0, u.offSize, d.sections.littleEndian));
    }
    case Form.sec_offset: case Form.data4: case Form.data8: {
      const off = d.num(die, at);
      return d.unit(die).version >= 5 ? loclists(d, die, off) : loc(d, die, off);
    }
    default:
      return [];
  }
}

function readOff(b: Uint8Array, p: number, size: number, le: boolean): number {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (size === 4) return dv.getUint32(p, le);
  return dv.getUint32(p + (le ? 0 : 4), le) + dv.getUint32(p + (le ? 4 : 0), le) * 0x100000000;
}

const LLE_END = 0, LLE_BASE_ADDRESSX = 1, LLE_STARTX_ENDX = 2, LLE_STARTX_LENGTH = 3, LLE_OFFSET_PAIR = 4;
const LLE_DEFAULT = 5, LLE_BASE_ADDRESS = 6, LLE_START_END = 7, LLE_START_LENGTH = 8;

/** A DWARF 5 location list at `off` of `.debug_loclists`. */
function loclists(d: DwarfInfo, die: number, off: number): Uint8Array[] {
  const S = '.debug_loclists';
  const b = d.sections.loclists;
  const addrSize = d.unit(die).addrSize;
  const out: Uint8Array[] = [];
  const cur: Cursor = { p: off };
  const expr = (): void => {
    const len = uleb(b, cur, S);
    if (cur.p + len > b.length) throw dwarfError('location expression runs past the end of the section', S, cur.p);
    out.push(b.subarray(cur.p, cur.p + len));
    cur.p += len;
  };
  for (;;) {
    if (cur.p >= b.length) throw dwarfError('location list runs past the end of the section', S, cur.p);
    const kind = b[cur.p++]!;
    switch (kind) {
      case LLE_END: return out;
      case LLE_BASE_ADDRESSX: uleb(b, cur, S); break;
      case LLE_STARTX_ENDX: case LLE_STARTX_LENGTH: case LLE_OFFSET_PAIR: uleb(b, cur, S); uleb(b, cur, S); expr(); break;
      case LLE_DEFAULT: expr(); break;
      case LLE_BASE_ADDRESS: cur.p += addrSize; break;
      case LLE_START_END: cur.p += 2 * addrSize; expr(); break;
      case LLE_START_LENGTH: cur.p += addrSize; uleb(b, cur, S); expr(); break;
      default: throw dwarfError(`unknown location list entry kind 0x${kind.toString(16)}`, S, cur.p - 1);
    }
  }
}

/** A DWARF 2–4 location list at `off` of `.debug_loc`. */
function loc(d: DwarfInfo, die: number, off: number): Uint8Array[] {
  const S = '.debug_loc';
  const b = d.sections.loc;
  const le = d.sections.littleEndian;
  const a = d.unit(die).addrSize;
  const out: Uint8Array[] = [];
  let p = off;
  const allOnes = a === 8 ? 0xffffffffffffffff : 0xffffffff;
  for (;;) {
    if (p + 2 * a > b.length) throw dwarfError('location list runs past the end of the section', S, p);
    const start = readOff(b, p, a, le);
    const end = readOff(b, p + a, a, le);
    p += 2 * a;
    if (start === 0 && end === 0) return out;
    if (start === allOnes) continue; // base address selection
    if (p + 2 > b.length) throw dwarfError('location expression runs past the end of the section', S, p);
    const len = le ? b[p]! | (b[p + 1]! << 8) : (b[p]! << 8) | b[p + 1]!;
    p += 2;
    if (p + len > b.length) throw dwarfError('location expression runs past the end of the section', S, p);
    out.push(b.subarray(p, p + len));
    p += len;
  }
}

const OP_REG0 = 0x50, OP_REG31 = 0x6f, OP_STACK_VALUE = 0x9f, OP_ENTRY_VALUE = 0xa3, OP_GNU_ENTRY_VALUE = 0xf3;

/**
 * What pahole's parameter__reg reads from a parameter's locations: `expected` (a DW_OP_regN
 * opcode) when the first location is that register, or any location is
 * DW_OP_entry_value(that register); otherwise the register of the first location, or of the
 * last entry value seen; -1 when no location is a lone register. A trailing
 * DW_OP_stack_value is ignored.
 */
export function parameterReg(exprs: readonly Uint8Array[], expected: number): number {
  let ret = -1;
  for (let n = 0; n < exprs.length; n++) {
    const e = exprs[n]!;
    const op = soleOp(e);
    if (op < 0) continue;
    const atom = e[0]!;
    if (atom >= OP_REG0 && atom <= OP_REG31) {
      if (n !== 0) continue;
      ret = atom;
      if (ret === expected) return ret;
    } else if (atom === OP_ENTRY_VALUE || atom === OP_GNU_ENTRY_VALUE) {
      const cur: Cursor = { p: 1 };
      const len = uleb(e, cur, '.debug_loclists');
      if (len === 1 && cur.p + 1 <= e.length) {
        const inner = e[cur.p]!;
        ret = inner;
        if (ret === expected) return ret;
      }
    }
  }
  return ret;
}

/** Length of the expression's first operation when it is the only one (a trailing stack_value
 * aside), else -1. Only the operations parameterReg looks at need their length known. */
function soleOp(e: Uint8Array): number {
  if (e.length === 0) return -1;
  const atom = e[0]!;
  let len: number;
  if (atom >= OP_REG0 && atom <= OP_REG31) len = 1;
  else if (atom === OP_ENTRY_VALUE || atom === OP_GNU_ENTRY_VALUE) {
    const cur: Cursor = { p: 1 };
    const n = uleb(e, cur, '.debug_loclists');
    len = cur.p + n;
  } else return -1;
  if (len === e.length) return len;
  if (len === e.length - 1 && e[len] === OP_STACK_VALUE) return len;
  return -1;
}
