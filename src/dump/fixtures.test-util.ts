/**
 * Test fixtures shared by the dump tests (not a test file itself: node --test skips it).
 */
import { Btf } from '../model/btf.js';
import { IntEncoding, FuncLinkage, VarLinkage } from '../format/kinds.js';

/** One type of every kind, with the corner cases bpftool formats specially. */
export function everyKind(): Btf {
  const b = Btf.create();
  const int = b.addInt('int', 4, IntEncoding.SIGNED); // 1
  const uchar = b.addInt('unsigned char', 1); // 2
  b.addInt('char', 1, IntEncoding.CHAR); // 3
  b.addInt('_Bool', 1, IntEncoding.BOOL); // 4
  const ptr = b.addPtr(int); // 5
  b.addArray(int, uchar, 16); // 6
  const s = b.addStruct('s', 12); // 7
  b.addField('a', int, 0);
  b.addField('b', uchar, 32, 3);
  b.addField(null, int, 64);
  b.addUnion(null, 4); // 8
  b.addField('x', int);
  b.addField('y', uchar);
  b.addEnum('e', 4); // 9
  b.addEnumValue('A', 0);
  b.addEnumValue('B', 0x80000000);
  b.addEnum('se', 4); // 10
  b.addEnumValue('N', -1);
  b.addEnumValue('P', 5);
  b.addEnum64('big', 8, false); // 11
  b.addEnum64Value('X', 0xffffffffffffffffn);
  b.addEnum64Value('Y', 1n);
  b.addEnum64('sbig', 8, true); // 12
  b.addEnum64Value('M', -9223372036854775808n);
  b.addEnum64Value('Q', -2n);
  b.addEnum64Value('R', 0x100000000n);
  b.addFwd('fs', 'struct'); // 13
  b.addFwd('fu', 'union'); // 14
  b.addTypedef('td', s); // 15
  const vol = b.addVolatile(int); // 16
  b.addConst(vol); // 17
  b.addRestrict(ptr); // 18
  const fp = b.addFuncProto(int); // 19
  b.addFuncParam('a', int);
  b.addFuncParam(null, ptr);
  b.addFuncParam(null, 0); // varargs
  const f = b.addFunc('f', FuncLinkage.GLOBAL, fp); // 20
  b.addFunc('g', FuncLinkage.STATIC, fp); // 21
  b.addFunc('h', FuncLinkage.EXTERN, fp); // 22
  const v = b.addVar('v', VarLinkage.STATIC, int); // 23
  const gv = b.addVar('gv', VarLinkage.GLOBAL_ALLOCATED, int); // 24
  b.addVar('ev', VarLinkage.GLOBAL_EXTERN, int); // 25
  const ds = b.addDatasec('.data', 16); // 26
  b.addDatasecVarInfo(v, 0, 4);
  b.addDatasecVarInfo(gv, 4, 4);
  b.addDatasecVarInfo(0, 8, 4);
  b.addDatasecVarInfo(int, 12, 4);
  // Point the last var info past the last id: bpftool then prints no "(KIND 'name')".
  b.setWord(b.startId + ds - 1, 3 + 3 * 3, 999);
  b.addFloat('double', 8); // 27
  b.addDeclTag('tag1', s, -1); // 28
  b.addDeclTag('tag2', s, 1); // 29
  b.addTypeTag('user', int); // 30
  b.addTypeTag('attr', int, true); // 31: kflag (type attr) is not printed by bpftool 7.7
  b.addDeclTag('dattr', f, -1, true); // 32
  return b;
}

export const EVERY_KIND_RAW = `[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED
[2] INT 'unsigned char' size=1 bits_offset=0 nr_bits=8 encoding=(none)
[3] INT 'char' size=1 bits_offset=0 nr_bits=8 encoding=CHAR
[4] INT '_Bool' size=1 bits_offset=0 nr_bits=8 encoding=BOOL
[5] PTR '(anon)' type_id=1
[6] ARRAY '(anon)' type_id=2 index_type_id=1 nr_elems=16
[7] STRUCT 's' size=12 vlen=3
\t'a' type_id=1 bits_offset=0
\t'b' type_id=2 bits_offset=32 bitfield_size=3
\t'(anon)' type_id=1 bits_offset=64
[8] UNION '(anon)' size=4 vlen=2
\t'x' type_id=1 bits_offset=0
\t'y' type_id=2 bits_offset=0
[9] ENUM 'e' encoding=UNSIGNED size=4 vlen=2
\t'A' val=0
\t'B' val=2147483648
[10] ENUM 'se' encoding=SIGNED size=4 vlen=2
\t'N' val=-1
\t'P' val=5
[11] ENUM64 'big' encoding=UNSIGNED size=8 vlen=2
\t'X' val=18446744073709551615ULL
\t'Y' val=1ULL
[12] ENUM64 'sbig' encoding=SIGNED size=8 vlen=3
\t'M' val=-9223372036854775808LL
\t'Q' val=-2LL
\t'R' val=4294967296LL
[13] FWD 'fs' fwd_kind=struct
[14] FWD 'fu' fwd_kind=union
[15] TYPEDEF 'td' type_id=7
[16] VOLATILE '(anon)' type_id=1
[17] CONST '(anon)' type_id=16
[18] RESTRICT '(anon)' type_id=5
[19] FUNC_PROTO '(anon)' ret_type_id=1 vlen=3
\t'a' type_id=1
\t'(anon)' type_id=5
\t'(anon)' type_id=0
[20] FUNC 'f' type_id=19 linkage=global
[21] FUNC 'g' type_id=19 linkage=static
[22] FUNC 'h' type_id=19 linkage=extern
[23] VAR 'v' type_id=1, linkage=static
[24] VAR 'gv' type_id=1, linkage=global
[25] VAR 'ev' type_id=1, linkage=extern
[26] DATASEC '.data' size=16 vlen=4
\ttype_id=23 offset=0 size=4 (VAR 'v')
\ttype_id=24 offset=4 size=4 (VAR 'gv')
\ttype_id=0 offset=8 size=4 (UNKNOWN '(anon)')
\ttype_id=999 offset=12 size=4
[27] FLOAT 'double' size=8
[28] DECL_TAG 'tag1' type_id=7 component_idx=-1
[29] DECL_TAG 'tag2' type_id=7 component_idx=1
[30] TYPE_TAG 'user' type_id=1
[31] TYPE_TAG 'attr' type_id=1
[32] DECL_TAG 'dattr' type_id=20 component_idx=-1
`;
