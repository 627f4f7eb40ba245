/**
 * Definitions of the C emitter (libbpf v1.7.0 btf_dump.c): btf_dump_emit_struct_def (members,
 * bitfields, the padding markers of btf_dump_emit_bit_padding, `__attribute__((packed))`),
 * btf_dump_emit_enum_def (signed/unsigned and 64-bit values, mode(byte)/mode(word) for unusual
 * sizes), typedefs, forward declarations, and the __PolyX_t aliases for missing base types.
 * Member and typedef declarators are written by decl.ts.
 */

import { BtfkitError, Errno } from '../../errors.js';
import { KindId as Kind } from '../../format/kinds.js';
import { MAX_INDENT, MAX_PAD_GAP, type EmitCtx } from './context.js';
import { emitDecl } from './decl.js';
import { ascii, L, NL, PADS, SPACE } from './literals.js';
import { resolveName, strEquals, writeTypeName } from './naming.js';
import { outputTooBig } from './writer.js';

/** GCC's __PolyX_t typedef targets that btf_dump aliases to base types. */
const MISSING_BASE_TYPES: ReadonlyArray<readonly [string, string]> = [
  ['__Poly8_t', 'unsigned char'],
  ['__Poly16_t', 'unsigned short'],
  ['__Poly64_t', 'unsigned long long'],
  ['__Poly128_t', 'unsigned __int128'],
];
const POLY_NAMES = MISSING_BASE_TYPES.map(([n]) => ascii(n));
const GNUC_VA_LIST = ascii('__gnuc_va_list');

export function emitMissingAliases(c: EmitCtx, id: number): void {
  const dup = resolveName(c, id, c.typeNames);
  const off = c.W[c.O[id]!]!;
  if (off === 0 || dup > 1) return;
  for (let i = 0; i < MISSING_BASE_TYPES.length; i++) {
    if (strEquals(c, off, POLY_NAMES[i]!)) {
      c.out.text(`typedef ${MISSING_BASE_TYPES[i]![1]} ${MISSING_BASE_TYPES[i]![0]};\n\n`);
      break;
    }
  }
}

export function emitStructFwd(c: EmitCtx, id: number): void {
  const w = c.out;
  w.lit(c.K[id] === Kind.STRUCT ? L.STRUCT : L.UNION);
  if (c.W[c.O[id]!] !== 0) w.byte(SPACE);
  writeTypeName(c, id);
}

export function emitFwdDef(c: EmitCtx, id: number): void {
  const w = c.out;
  const info = c.W[c.O[id]! + 1]!;
  w.lit(info >>> 31 ? L.UNION_ : L.STRUCT_);
  writeTypeName(c, id);
}

export function emitEnumFwd(c: EmitCtx, id: number): void {
  c.out.lit(L.ENUM_);
  writeTypeName(c, id);
}

export function emitTypedefDef(c: EmitCtx, id: number, lvl: number): void {
  const W = c.W;
  const o = c.O[id]!;
  const dup = resolveName(c, id, c.identNames);
  const nameOff = W[o]!;
  // Old GCC emits __gnuc_va_list as a typedef of void: write a valid one instead.
  if (W[o + 2] === 0 && dup <= 1 && nameOff !== 0 && strEquals(c, nameOff, GNUC_VA_LIST)) {
    c.out.lit(L.GNUC_VA);
    return;
  }
  c.out.lit(L.TYPEDEF_);
  emitDecl(c, W[o + 2]!, nameOff, dup, lvl);
}

/** btf_dump_emit_bit_padding. */
function emitBitPadding(c: EmitCtx, id: number, curOff: number, nextOff: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
  if (curOff >= nextOff) return; // no gap
  const longBits = c.ptrSize * 8;
  // libbpf writes one `long: 64;` line per word of the gap: refuse a gap (from a size or
  // offset the BTF claims) that no real struct has, or whose lines would not fit in the
  // output cap, before writing them.
  if (nextOff - curOff > MAX_PAD_GAP * 8) {
    throw new BtfkitError('BTF_INVALID', `padding gap of ${Math.floor((nextOff - curOff) / 8)} bytes at bit offset ${curOff} (more than ${MAX_PAD_GAP}: struct size or member offset not plausible)`, {
      errno: Errno.E2BIG,
      where: { typeId: id },
    });
  }
  const lineBytes = 9 + (lvl > MAX_INDENT ? MAX_INDENT : lvl);
  if (c.out.len + ((nextOff - curOff) / longBits) * lineBytes > c.out.limit) throw outputTooBig(c.out.limit);
  // pads: long, int, short, char
  let newOff = 0;
  let padBits = 0;
  let pad = 0;
  for (let i = 0; i < 4; i++) {
    padBits = i === 0 ? longBits : 32 >> (i - 1);
    pad = i;
    newOff = roundup(curOff, padBits);
    if (newOff <= nextOff) break;
  }
  if (newOff > curOff && newOff <= nextOff) {
    // An explicit `<type>: 0` marker is needed when the next field sits right on the
    // boundary but its own alignment would not bring it there, or when `<type>: X`
    // would fit in the remaining hole; bitfields get an explicit bit count.
    if (inBitfield ||
      (newOff === nextOff && roundup(curOff, nextAlign * 8) !== newOff) ||
      (newOff !== nextOff && nextOff - newOff <= newOff - curOff)) {
      padLine(c, pad, inBitfield ? newOff - curOff : 0, lvl);
    }
    curOff = newOff;
  }
  // Fill the rest with full-size markers, the last one possibly smaller.
  while (curOff !== nextOff) {
    const bits = Math.min(nextOff - curOff, padBits);
    if (bits === padBits) {
      const count = Math.floor((nextOff - curOff) / padBits);
      padLines(c, pad, padBits, lvl, count);
      curOff += count * padBits;
      continue;
    }
    for (let i = 3; i >= 0; i--) {
      pad = i;
      padBits = i === 0 ? longBits : 32 >> (i - 1);
      if (padBits < bits) continue;
      padLine(c, pad, bits, lvl);
      curOff += bits;
      break;
    }
  }
}

/** `count` identical padLine()s: one written, then copied in doubling blocks. */
function padLines(c: EmitCtx, pad: number, bits: number, lvl: number, count: number): void {
  const w = c.out;
  const start = w.len;
  padLine(c, pad, bits, lvl);
  const one = w.len - start;
  w.ensure((count - 1) * one);
  for (let done = 1; done < count;) {
    const k = Math.min(done, count - done);
    w.copyOwn(start, k * one);
    done += k;
  }
}

function padLine(c: EmitCtx, pad: number, bits: number, lvl: number): void {
  const w = c.out;
  w.byte(NL);
  w.tabs(lvl > MAX_INDENT ? MAX_INDENT : lvl);
  w.lit(PADS[pad]!);
  w.int(bits);
  w.byte(59); // ;
}

/** btf_dump_emit_struct_def. */
export function emitStructDef(c: EmitCtx, id: number, lvl: number): void {
  const W = c.W;
  const o = c.O[id]!;
  const w = c.out;
  const isStruct = c.K[id] === Kind.STRUCT;
  const info = W[o + 1]!;
  const vlen = info & c.vlenMask;
  const kflag = info >>> 31 === 1;
  const size = W[o + 2]!;
  const layout = c.layout;
  const align = layout.alignOf(id);
  const packed = isStruct ? layout.isStructPacked(id) : false;

  w.lit(isStruct ? L.STRUCT : L.UNION);
  if (W[o] !== 0) w.byte(SPACE);
  writeTypeName(c, id);
  w.lit(L.OPEN);

  const inner = lvl + 1 > MAX_INDENT ? MAX_INDENT : lvl + 1;
  let off = 0;
  let prevBitfield = false;
  for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
    const fname = W[p]!;
    const mtype = W[p + 1]!;
    const ow = W[p + 2]!;
    let mSz = kflag ? ow >>> 24 : 0;
    const mOff = kflag ? ow & 0xffffff : ow;
    // (The member's alignment only matters when there is a gap before it.)
    if (off < mOff) emitBitPadding(c, id, off, mOff, packed ? 1 : layout.alignOf(mtype), prevBitfield && mSz !== 0, lvl + 1);
    w.nlTabs(inner);
    emitDecl(c, mtype, fname, 0, lvl + 1);
    if (mSz) {
      w.lit(L.COLON);
      w.int(mSz);
      off = mOff + mSz;
      prevBitfield = true;
    } else {
      mSz = layout.resolveSize(mtype);
      if (mSz < 0) mSz = 0;
      off = mOff + mSz * 8;
      prevBitfield = false;
    }
    w.byte(59); // ;
  }
  // Pad at the end, if necessary.
  if (isStruct) emitBitPadding(c, id, off, size * 8, align, false, lvl + 1);
  // Keep `struct empty {}` on one line.
  if (vlen || size) {
    w.byte(NL);
    w.tabs(lvl > MAX_INDENT ? MAX_INDENT : lvl);
    w.byte(125); // }
  } else {
    w.byte(125);
  }
  if (packed) w.lit(L.PACKED);
}

/** `\n<tabs>NAME[___N] = ` of an enumerator (counted at every emission, as libbpf does). */
function emitEnumeratorName(c: EmitCtx, nameOff: number, ind: number): void {
  const w = c.out;
  // Enumerators share a namespace with typedef names.
  const dup = c.identNames.inc(nameOff);
  w.byte(NL);
  w.tabs(ind);
  w.str(nameOff);
  if (dup > 1) {
    w.lit(L.DUP);
    w.uint(dup);
  }
  w.lit(L.ASSIGN);
}

/** btf_dump_emit_enum_def. */
export function emitEnumDef(c: EmitCtx, id: number, lvl: number): void {
  const W = c.W;
  const o = c.O[id]!;
  const w = c.out;
  const info = W[o + 1]!;
  const vlen = info & c.vlenMask;
  const isSigned = info >>> 31 === 1;
  const is64 = c.K[id] === Kind.ENUM64;

  w.lit(L.ENUM);
  if (W[o] !== 0) w.byte(SPACE);
  writeTypeName(c, id);
  if (!vlen) return;
  w.lit(L.OPEN);
  const ind = lvl + 1 > MAX_INDENT ? MAX_INDENT : lvl + 1;
  if (!is64) {
    for (let i = 0, p = o + 3; i < vlen; i++, p += 2) {
      emitEnumeratorName(c, W[p]!, ind);
      const v = W[p + 1]!;
      if (isSigned) w.int(v | 0);
      else w.uint(v);
      w.byte(44); // ,
    }
  } else {
    for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
      emitEnumeratorName(c, W[p]!, ind);
      const lo = W[p + 1]!;
      const hi = W[p + 2]!;
      if (hi === 0) w.uint(lo);
      else if (isSigned && hi === 0xffffffff && lo >= 0x80000000) w.int(lo - 0x100000000);
      else {
        const u = (BigInt(hi) << 32n) | BigInt(lo);
        w.big(isSigned ? BigInt.asIntN(64, u) : u);
      }
      w.lit(isSigned ? L.LL_COMMA : L.ULL_COMMA);
    }
  }
  w.byte(NL);
  w.tabs(lvl > MAX_INDENT ? MAX_INDENT : lvl);
  w.byte(125); // }

  // Enums of unusual sizes.
  const size = W[o + 2]!;
  if (size === 1) {
    w.lit(L.MODE_BYTE);
  } else if (size === 8 && c.ptrSize === 8) {
    // An 8-byte enum comes naturally only from a value that needs 64 bits.
    let needsWordMode = true;
    if (is64) {
      for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
        if (W[p + 2] !== 0) {
          needsWordMode = false;
          break;
        }
      }
    }
    if (needsWordMode) w.lit(L.MODE_WORD);
  }
}

function roundup(x: number, y: number): number {
  return Math.ceil(x / y) * y;
}
