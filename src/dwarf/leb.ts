/**
 * LEB128 numbers (DWARF 5 §7.6) read at a cursor. Values past 2^53 lose precision, as every
 * JavaScript number does; the few DWARF values that can be that large (64-bit enumerator
 * constants) are read as bigint by the attribute reader instead.
 */

import { dwarfError } from './sections.js';

export interface Cursor {
  p: number;
}

/** Unsigned LEB128 at `cur.p`, advancing it. */
export function uleb(d: Uint8Array, cur: Cursor, section: string): number {
  let p = cur.p;
  let b = d[p++];
  if (b === undefined) throw dwarfError('LEB128 number runs past the end of the section', section, cur.p);
  if (b < 0x80) {
    cur.p = p;
    return b;
  }
  let v = b & 0x7f;
  let mul = 128;
  for (;;) {
    b = d[p++];
    if (b === undefined) throw dwarfError('LEB128 number runs past the end of the section', section, cur.p);
    v += (b & 0x7f) * mul;
    if (b < 0x80) break;
    mul *= 128;
  }
  cur.p = p;
  return v;
}

/** Signed LEB128 at `cur.p`, advancing it. */
export function sleb(d: Uint8Array, cur: Cursor, section: string): number {
  let p = cur.p;
  let v = 0;
  let mul = 1;
  let b: number | undefined;
  do {
    b = d[p++];
    if (b === undefined) throw dwarfError('LEB128 number runs past the end of the section', section, cur.p);
    v += (b & 0x7f) * mul;
    mul *= 128;
  } while (b >= 0x80);
  if (b & 0x40) v -= mul;
  cur.p = p;
  return v;
}

/** LEB128 as a bigint (exact for every width), signed or unsigned. */
function lebBig(d: Uint8Array, cur: Cursor, section: string, signed: boolean): bigint {
  let p = cur.p;
  let v = 0n;
  let shift = 0n;
  let b: number | undefined;
  do {
    b = d[p++];
    if (b === undefined) throw dwarfError('LEB128 number runs past the end of the section', section, cur.p);
    v |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  } while (b >= 0x80);
  if (signed && b & 0x40) v -= 1n << shift;
  cur.p = p;
  return v;
}

export function slebBig(d: Uint8Array, cur: Cursor, section: string): bigint {
  return lebBig(d, cur, section, true);
}

export function ulebBig(d: Uint8Array, cur: Cursor, section: string): bigint {
  return lebBig(d, cur, section, false);
}
