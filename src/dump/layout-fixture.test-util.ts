/**
 * A small built BTF whose structs exercise the corners of pahole's layout output that a
 * kernel may not show in a few hundred types: a packed struct, a 64-byte aligned member,
 * bit holes and bitfields spanning units, flexible arrays (last and embedded), pointers to
 * anonymous structs, function pointers with named parameters, const pointers, volatile,
 * arrays of anonymous structs, signed 64-bit and 1-byte enums, typedef'd anonymous unions,
 * a union holding a struct whose alignment does not divide it, a forward declaration, an empty
 * struct. scripts/golden-layout.ts writes it (synthetic.btf) with pahole's output of its types.
 */

import { Btf } from '../model/btf.js';

export const SYNTHETIC_TYPES = [
  'packed_s', 'bits', 'flex', 'uses_flex', 'aligned64', 'odd_union', 'decls', 'sgn64', 'small_enum',
  'anon_u_t', 'empty', 'holder', 'fnptr_t', 'arr_t',
];

export function syntheticLayoutBtf(): Btf {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const uint = b.addInt('unsigned int', 4);
  const ch = b.addInt('char', 1, 2);
  const long = b.addInt('long', 8, 1);
  const u16 = b.addInt('short unsigned int', 2);
  const u64 = b.addInt('long long unsigned int', 8);

  // struct packed_s { char a; int b; } __packed (size 5)
  b.addStruct('packed_s', 5);
  b.addField('a', ch, 0);
  b.addField('b', int, 8);

  // bitfields with a bit hole, a byte hole and a unit-spanning field
  b.addStruct('bits', 24);
  b.addField('a', uint, 0, 3);
  b.addField('b', uint, 3, 5);
  b.addField('c', uint, 10, 4);
  b.addField('d', ch, 16);
  b.addField('e', u16, 24 + 8, 12);
  b.addField('f', long, 128);

  // flexible array last, and embedded in another struct
  const idx = int;
  const flexArr = b.addArray(idx, ch, 0);
  const flex = b.addStruct('flex', 4);
  b.addField('n', int, 0);
  b.addField('data', flexArr, 32);
  b.addStruct('uses_flex', 16);
  b.addField('x', long, 0);
  b.addField('f', flex, 64);

  // a member aligned on a cacheline
  b.addStruct('aligned64', 128);
  b.addField('a', int, 0);
  b.addField('b', int, 64 * 8);

  // a union of size 6 holding a 4-aligned struct: marks the struct packed
  const inner = b.addStruct(null, 4);
  b.addField('p', u16, 0);
  b.addField('q', u16, 16);
  const raw6 = b.addArray(idx, ch, 6);
  b.addUnion('odd_union', 6);
  b.addField(null, inner, 0);
  b.addField('raw', raw6, 0);

  // pointers, const, volatile, function pointers, array of anonymous structs
  const cch = b.addConst(ch);
  const pcch = b.addPtr(cch);
  const pch = b.addPtr(ch);
  const cpch = b.addConst(pch);
  const ppch = b.addPtr(cpch);
  const vint = b.addVolatile(int);
  const anonPtrTarget = b.addStruct(null, 8);
  b.addField('v', long, 0);
  const pAnon = b.addPtr(anonPtrTarget);
  const proto = b.addFuncProto(int);
  b.addFuncParam('dev', pch);
  b.addFuncParam('len', uint);
  const pproto = b.addPtr(proto);
  const vproto = b.addFuncProto(0);
  b.addFuncParam(null, int);
  b.addFuncParam(null, 0);
  const pvproto = b.addPtr(vproto);
  const elem = b.addStruct(null, 4);
  b.addField('lo', u16, 0);
  b.addField('hi', u16, 16);
  const elems = b.addArray(idx, elem, 3);
  const anonEnum = b.addEnum(null, 4);
  b.addEnumValue('ZERO', 0);
  b.addEnumValue('MINUS', -1 >>> 0);
  const fwd = b.addFwd('opaque', 'struct');
  const pfwd = b.addPtr(fwd);
  const tail = b.addArray(idx, u64, 0);
  b.addStruct('decls', 80);
  b.addField('name', pcch, 0);
  b.addField('argv', ppch, 64);
  b.addField('counter', vint, 128);
  b.addField('kind', anonEnum, 160);
  b.addField('inner', pAnon, 192);
  b.addField('cb', pproto, 256);
  b.addField('log', pvproto, 320);
  b.addField('pairs', elems, 384);
  b.addField('op', pfwd, 512);
  b.addField('tail', tail, 576);

  // enums: signed 64-bit, and 1-byte
  const e64 = b.addEnum64('sgn64', 8, true);
  b.addEnum64Value('S_NEG', -5n);
  b.addEnum64Value('S_BIG', 1n << 40n);
  const e8 = b.addEnum('small_enum', 1);
  b.addEnumValue('SE_A', 1);
  b.addEnumValue('SE_BB', 2);

  // typedef'd anonymous union, an empty struct, a struct holding the enums and packed_s
  const au = b.addUnion(null, 8);
  b.addField('l', long, 0);
  b.addField('i', int, 0);
  b.addTypedef('anon_u_t', au);
  const empty = b.addStruct('empty', 0);
  const packedS = b.findByName('packed_s');
  const anonU = b.findByName('anon_u_t');
  b.addStruct('holder', 24);
  b.addField('e', e8, 0);
  b.addField('ps', packedS, 8);
  b.addField('nothing', empty, 56);
  b.addField('big', e64, 64);
  b.addField('u', anonU, 128);
  b.addTypedef('fnptr_t', pproto);
  const int4 = b.addArray(idx, int, 4);
  b.addTypedef('arr_t', int4);
  return b;
}
