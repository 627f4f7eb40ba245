/**
 * The scenarios of the kernel selftest tools/testing/selftests/bpf/prog_tests/btf_distill.c
 * (docs/design.md §selftests), rebuilt with our builder and checked against the selftest's raw listings, plus
 * distill's error cases and byte-level details (strings, endianness, id map).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from '../model/btf.js';
import { Kind, IntEncoding } from '../format/kinds.js';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { dumpRaw } from '../dump/raw.js';
import { BtfkitError, Errno } from '../errors.js';
import { distillBase } from './distill.js';
import { relocate } from './relocate.js';

const SIGNED = IntEncoding.SIGNED;

/**
 * Raw listing of ids 1 … type_cnt−1 (base and split), one string per type as the selftest's
 * VALIDATE_RAW_BTF expects (its helper prints ENUM64 values without bpftool's LL suffix).
 */
export function listing(btf: Btf): string[] {
  const ids: number[] = [];
  for (let i = 1; i < btf.typeCount(); i++) ids.push(i);
  const text = new TextDecoder().decode(dumpRaw(btf, { rootIds: ids }));
  const out: string[] = [];
  for (const line of text.replace(/\n$/, '').split('\n')) {
    const l = line.replace(/ val=(-?\d+)U?LL$/, ' val=$1');
    if (l.startsWith('[')) out.push(l);
    else out[out.length - 1] += '\n' + l;
  }
  return out;
}

/** The base and split of selftest 1 (distilled_base). */
export function selftestBase(): { btf1: Btf; btf2: Btf } {
  const btf1 = Btf.create();
  btf1.addInt('int', 4, SIGNED); // [1]
  btf1.addPtr(1); // [2]
  btf1.addStruct('s1', 8); // [3]
  btf1.addField('f1', 2, 0, 0);
  btf1.addStruct('', 12); // [4]
  btf1.addField('f1', 1, 0, 0);
  btf1.addField('f2', 3, 32, 0);
  btf1.addInt('unsigned int', 4, 0); // [5]
  btf1.addUnion('u1', 12); // [6]
  btf1.addField('f1', 1, 0, 0);
  btf1.addField('f2', 2, 0, 0);
  btf1.addUnion('', 4); // [7]
  btf1.addField('f1', 1, 0, 0);
  btf1.addEnum('e1', 4); // [8]
  btf1.addEnumValue('v1', 1);
  btf1.addEnum('', 4); // [9]
  btf1.addEnumValue('av1', 2);
  btf1.addEnum64('e641', 8, true); // [10]
  btf1.addEnum64Value('v1', 1024n);
  btf1.addEnum64('', 8, true); // [11]
  btf1.addEnum64Value('v1', 1025n);
  btf1.addStruct('unneeded', 4); // [12]
  btf1.addField('f1', 1, 0, 0);
  btf1.addStruct('embedded', 4); // [13]
  btf1.addField('f1', 1, 0, 0);
  btf1.addFuncProto(1); // [14]
  btf1.addFuncParam('p1', 1);
  btf1.addArray(1, 1, 3); // [15]
  btf1.addStruct('from_proto', 4); // [16]
  btf1.addField('f1', 1, 0, 0);
  btf1.addUnion('u1', 4); // [17]
  btf1.addField('f1', 1, 0, 0);

  const btf2 = Btf.createSplit(btf1);
  btf2.addPtr(3); // [18]
  btf2.addPtr(4); // [19]
  btf2.addConst(6); // [20]
  btf2.addRestrict(7); // [21]
  btf2.addVolatile(8); // [22]
  btf2.addTypedef('et', 9); // [23]
  btf2.addConst(10); // [24]
  btf2.addPtr(11); // [25]
  btf2.addStruct('with_embedded', 4); // [26]
  btf2.addField('f1', 13, 0, 0);
  btf2.addFunc('fn', 0, 14); // [27]
  btf2.addTypedef('arraytype', 15); // [28]
  btf2.addFuncProto(1); // [29]
  btf2.addFuncParam('p1', 16);
  return { btf1, btf2 };
}

const BASE1 = [
  "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
  "[2] PTR '(anon)' type_id=1",
  "[3] STRUCT 's1' size=8 vlen=1\n\t'f1' type_id=2 bits_offset=0",
  "[4] STRUCT '(anon)' size=12 vlen=2\n\t'f1' type_id=1 bits_offset=0\n\t'f2' type_id=3 bits_offset=32",
  "[5] INT 'unsigned int' size=4 bits_offset=0 nr_bits=32 encoding=(none)",
  "[6] UNION 'u1' size=12 vlen=2\n\t'f1' type_id=1 bits_offset=0\n\t'f2' type_id=2 bits_offset=0",
  "[7] UNION '(anon)' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
  "[8] ENUM 'e1' encoding=UNSIGNED size=4 vlen=1\n\t'v1' val=1",
  "[9] ENUM '(anon)' encoding=UNSIGNED size=4 vlen=1\n\t'av1' val=2",
  "[10] ENUM64 'e641' encoding=SIGNED size=8 vlen=1\n\t'v1' val=1024",
  "[11] ENUM64 '(anon)' encoding=SIGNED size=8 vlen=1\n\t'v1' val=1025",
  "[12] STRUCT 'unneeded' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
  "[13] STRUCT 'embedded' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
  "[14] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=1",
  "[15] ARRAY '(anon)' type_id=1 index_type_id=1 nr_elems=3",
  "[16] STRUCT 'from_proto' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
  "[17] UNION 'u1' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
];

test('selftest 1 distilled_base: distilled listing, then relocation onto the original base', () => {
  const { btf1, btf2 } = selftestBase();
  assert.deepEqual(listing(btf1), BASE1);
  assert.deepEqual(listing(btf2), [
    ...BASE1,
    "[18] PTR '(anon)' type_id=3",
    "[19] PTR '(anon)' type_id=4",
    "[20] CONST '(anon)' type_id=6",
    "[21] RESTRICT '(anon)' type_id=7",
    "[22] VOLATILE '(anon)' type_id=8",
    "[23] TYPEDEF 'et' type_id=9",
    "[24] CONST '(anon)' type_id=10",
    "[25] PTR '(anon)' type_id=11",
    "[26] STRUCT 'with_embedded' size=4 vlen=1\n\t'f1' type_id=13 bits_offset=0",
    "[27] FUNC 'fn' type_id=14 linkage=static",
    "[28] TYPEDEF 'arraytype' type_id=15",
    "[29] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=16",
  ]);

  const { base: btf3, split: btf4 } = distillBase(btf2);
  assert.equal(btf3.typeCount(), 8);
  assert.deepEqual(listing(btf4), [
    "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[2] STRUCT 's1' size=8 vlen=0",
    "[3] UNION 'u1' size=12 vlen=0",
    "[4] ENUM 'e1' encoding=UNSIGNED size=4 vlen=0",
    "[5] ENUM 'e641' encoding=UNSIGNED size=8 vlen=0",
    "[6] STRUCT 'embedded' size=4 vlen=0",
    "[7] STRUCT 'from_proto' size=4 vlen=0",
    "[8] PTR '(anon)' type_id=2",
    "[9] PTR '(anon)' type_id=20",
    "[10] CONST '(anon)' type_id=3",
    "[11] RESTRICT '(anon)' type_id=21",
    "[12] VOLATILE '(anon)' type_id=4",
    "[13] TYPEDEF 'et' type_id=22",
    "[14] CONST '(anon)' type_id=5",
    "[15] PTR '(anon)' type_id=23",
    "[16] STRUCT 'with_embedded' size=4 vlen=1\n\t'f1' type_id=6 bits_offset=0",
    "[17] FUNC 'fn' type_id=24 linkage=static",
    "[18] TYPEDEF 'arraytype' type_id=25",
    "[19] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=7",
    "[20] STRUCT '(anon)' size=12 vlen=2\n\t'f1' type_id=1 bits_offset=0\n\t'f2' type_id=2 bits_offset=32",
    "[21] UNION '(anon)' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
    "[22] ENUM '(anon)' encoding=UNSIGNED size=4 vlen=1\n\t'av1' val=2",
    "[23] ENUM64 '(anon)' encoding=SIGNED size=8 vlen=1\n\t'v1' val=1025",
    "[24] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=1",
    "[25] ARRAY '(anon)' type_id=1 index_type_id=1 nr_elems=3",
  ]);

  const r = relocate(btf4, btf1);
  assert.deepEqual(listing(r.btf), [
    ...BASE1,
    "[18] PTR '(anon)' type_id=3",
    "[19] PTR '(anon)' type_id=30",
    "[20] CONST '(anon)' type_id=6",
    "[21] RESTRICT '(anon)' type_id=31",
    "[22] VOLATILE '(anon)' type_id=8",
    "[23] TYPEDEF 'et' type_id=32",
    "[24] CONST '(anon)' type_id=10",
    "[25] PTR '(anon)' type_id=33",
    "[26] STRUCT 'with_embedded' size=4 vlen=1\n\t'f1' type_id=13 bits_offset=0",
    "[27] FUNC 'fn' type_id=34 linkage=static",
    "[28] TYPEDEF 'arraytype' type_id=35",
    "[29] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=16",
    "[30] STRUCT '(anon)' size=12 vlen=2\n\t'f1' type_id=1 bits_offset=0\n\t'f2' type_id=3 bits_offset=32",
    "[31] UNION '(anon)' size=4 vlen=1\n\t'f1' type_id=1 bits_offset=0",
    "[32] ENUM '(anon)' encoding=UNSIGNED size=4 vlen=1\n\t'av1' val=2",
    "[33] ENUM64 '(anon)' encoding=SIGNED size=8 vlen=1\n\t'v1' val=1025",
    "[34] FUNC_PROTO '(anon)' ret_type_id=1 vlen=1\n\t'p1' type_id=1",
    "[35] ARRAY '(anon)' type_id=1 index_type_id=1 nr_elems=3",
  ]);
  // the kernel-style id map: distilled ids → base ids, split ids shifted by nB − nD = 18 − 8
  assert.deepEqual([...r.idMap], [0, 1, 3, 6, 8, 10, 13, 16, ...Array.from({ length: 18 }, (_, i) => 18 + i)]);
  // inputs untouched; the relocated object sits on btf1
  assert.equal(btf4.base, btf3);
  assert.equal(r.btf.base, btf1);
  assert.equal(r.btf.startId, 18);
});

/** Selftests 2–5 share a two-int base. */
function twoInts(sizes: [number, number]): { btf1: Btf; btf2: Btf } {
  const btf1 = Btf.create();
  btf1.addInt('int', sizes[0], SIGNED);
  btf1.addInt('int', sizes[1], SIGNED);
  const btf2 = Btf.createSplit(btf1);
  btf2.addPtr(1);
  btf2.addConst(2);
  return { btf1, btf2 };
}

test('selftest 2 distilled_base_multi: two ints of different sizes both distilled; relocation succeeds', () => {
  const { btf1, btf2 } = twoInts([4, 8]);
  const d = distillBase(btf2);
  assert.equal(d.base.typeCount(), 3);
  assert.deepEqual(listing(d.base), [
    "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[2] INT 'int' size=8 bits_offset=0 nr_bits=64 encoding=SIGNED",
  ]);
  const r = relocate(d.split, btf1);
  assert.deepEqual(listing(r.btf), [
    "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[2] INT 'int' size=8 bits_offset=0 nr_bits=64 encoding=SIGNED",
    "[3] PTR '(anon)' type_id=1",
    "[4] CONST '(anon)' type_id=2",
  ]);
});

test('selftest 3 distilled_base_missing_err: the new base lacks the 8-byte int → EINVAL', () => {
  const { btf2 } = twoInts([4, 8]);
  const d = distillBase(btf2);
  const btf5 = Btf.create();
  btf5.addInt('int', 4, SIGNED);
  assert.throws(() => relocate(d.split, btf5), (e: unknown) => {
    assert.ok(e instanceof BtfkitError);
    assert.equal(e.code, 'RELOCATE');
    assert.equal(e.errno, Errno.EINVAL);
    assert.equal(e.message, "distilled base BTF type 'int' [2] is not mapped to base BTF id");
    return true;
  });
});

test('selftest 4 distilled_base_multi_err: identical ints in base and distilled base → EINVAL', () => {
  const { btf1, btf2 } = twoInts([4, 4]);
  const d = distillBase(btf2);
  assert.deepEqual(listing(d.base), [
    "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[2] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
  ]);
  assert.throws(() => relocate(d.split, btf1), {
    code: 'RELOCATE',
    errno: Errno.EINVAL,
    message: "distilled base BTF type 'int' [1], size 4 has multiple candidates of the same size (ids [2, 1]) in base BTF",
  });
});

test('selftest 5 distilled_base_multi_err2: one distilled int, two identical ints in the new base → EINVAL', () => {
  const btf1 = Btf.create();
  btf1.addInt('int', 4, SIGNED);
  const btf2 = Btf.createSplit(btf1);
  btf2.addPtr(1);
  const d = distillBase(btf2);
  assert.equal(d.base.typeCount(), 2);
  const btf5 = Btf.create();
  btf5.addInt('int', 4, SIGNED);
  btf5.addInt('int', 4, SIGNED);
  assert.throws(() => relocate(d.split, btf5), {
    code: 'RELOCATE',
    message: "distilled base BTF type 'int' [1], size 4 has multiple candidates of the same size (ids [2, 1]) in base BTF",
  });
});

test('selftest 6 distilled_base_embedded_err: embedded s1 changes size → EINVAL (fixed marking)', () => {
  const btf1 = Btf.create();
  btf1.addInt('int', 4, SIGNED);
  btf1.addStruct('s1', 4);
  btf1.addField('f1', 1, 0, 0);
  const btf2 = Btf.createSplit(btf1);
  btf2.addStruct('with_embedded', 8);
  btf2.addField('e1', 2, 0, 0);
  const d = distillBase(btf2);
  assert.equal(d.base.typeCount(), 2);
  assert.deepEqual(listing(d.split), ["[1] STRUCT 's1' size=4 vlen=0", "[2] STRUCT 'with_embedded' size=8 vlen=1\n\t'e1' type_id=1 bits_offset=0"]);
  const btf5 = Btf.create();
  btf5.addInt('int', 4, SIGNED);
  btf5.addStruct('s1', 8);
  btf5.addField('f1', 1, 0, 0);
  assert.throws(() => relocate(d.split, btf5), { code: 'RELOCATE', message: "distilled base BTF type 's1' [1] is not mapped to base BTF id" });
});

test('selftest 7 distilled_base_vmlinux-like: typedef + pointer over a larger base', () => {
  // The selftest uses the running kernel's vmlinux; any base with an `int` shows the shape.
  const base = Btf.create();
  base.addInt('char', 1, IntEncoding.SIGNED);
  base.addStruct('task_struct', 100);
  base.addInt('int', 4, SIGNED);
  base.addPtr(2);
  const intId = base.findByNameKind('int', Kind.INT);
  const split = Btf.createSplit(base);
  const myint = split.addTypedef('myint', intId);
  split.addPtr(myint);
  const d = distillBase(split);
  assert.deepEqual(listing(d.split), [
    "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
    "[2] TYPEDEF 'myint' type_id=1",
    "[3] PTR '(anon)' type_id=2",
  ]);
});

test('selftest 8 distilled_endianness: outputs take the source byte order and re-parse', () => {
  for (const endian of ['big', 'little'] as const) {
    const base = Btf.create({ endian });
    base.addInt('int', 4, SIGNED);
    const split = Btf.createSplit(base);
    split.addPtr(1);
    assert.equal(split.endian, endian);
    const d = distillBase(split);
    assert.equal(d.base.typeCount(), 2);
    assert.equal(d.base.endian, endian);
    assert.equal(d.split.endian, endian);
    const rawBase = serializeBtf(d.base);
    assert.deepEqual([...rawBase.subarray(0, 2)], endian === 'big' ? [0xeb, 0x9f] : [0x9f, 0xeb]);
    const nb1 = parseBtf(rawBase);
    const ns1 = parseBtf(serializeBtf(d.split), { base: nb1 });
    assert.equal(nb1.endian, endian);
    assert.equal(ns1.endian, endian);
    assert.deepEqual(listing(ns1), ["[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED", "[2] PTR '(anon)' type_id=1"]);
  }
});

// ------------------------------------------------------------------ errors

test('distill errors: not split BTF', () => {
  const b = Btf.create();
  b.addInt('int', 4, SIGNED);
  assert.throws(() => distillBase(b), { code: 'DISTILL', errno: Errno.EINVAL });
});

test('distill errors: references to base FUNC / VAR (directly or through a chain) are rejected with libbpf text', () => {
  const base = Btf.create();
  base.addInt('int', 4, SIGNED); // 1
  const proto = base.addFuncProto(1); // 2
  const fn = base.addFunc('f', 1, proto); // 3
  const v = base.addVar('v', 1, 1); // 4
  const split = Btf.createSplit(base);
  split.addDeclTag('tag', fn, -1);
  assert.throws(() => distillBase(split), (e: unknown) => {
    assert.ok(e instanceof BtfkitError);
    assert.equal(e.code, 'DISTILL');
    assert.equal(e.errno, Errno.EINVAL);
    assert.equal(e.message, 'unexpected reference to base type[3] of kind [12] when creating distilled base BTF.');
    assert.equal(e.where.typeId, 3);
    return true;
  });
  const split2 = Btf.createSplit(base);
  split2.addDatasec('.data', 4);
  split2.addDatasecVarInfo(v, 0, 4);
  assert.throws(() => distillBase(split2), { message: 'unexpected reference to base type[4] of kind [14] when creating distilled base BTF.' });
});

test('distill errors: the first bad reference in libbpf depth-first order is reported', () => {
  const base = Btf.create();
  base.addInt('int', 4, SIGNED); // 1
  const proto = base.addFuncProto(1); // 2
  base.addFunc('a', 1, proto); // 3
  base.addFunc('b', 1, proto); // 4
  // [5] PTR → [6] TYPEDEF → [4] FUNC b ; split refers to [5] first, then to [3]
  base.addRecord([0, Kind.PTR << 24, 6]);
  base.addRecord([base.addStr('td'), Kind.TYPEDEF << 24, 4]);
  const split = Btf.createSplit(base);
  split.addStruct('s', 16);
  split.addField('p', 5, 0);
  split.addField('q', 3, 64);
  assert.throws(() => distillBase(split), { message: 'unexpected reference to base type[4] of kind [12] when creating distilled base BTF.' });
});

test('distill errors: a named enum whose size is not a power of two cannot be distilled', () => {
  const base = Btf.create();
  base.addRecord([base.addStr('odd'), Kind.ENUM << 24, 3]);
  const split = Btf.createSplit(base);
  split.addPtr(1);
  assert.throws(() => distillBase(split), { code: 'DISTILL', errno: Errno.EINVAL });
});

// ------------------------------------------------------------------ details

test('distill: named struct members are not followed; anonymous ones are; FWD kflag and INT data copied verbatim', () => {
  const base = Btf.create();
  const i = base.addInt('long', 8, SIGNED); // 1
  base.addStruct('inner', 8); // 2 (reachable only via named struct members → not collected)
  base.addField('x', i, 0);
  base.addStruct('outer', 16); // 3
  base.addField('in', 2, 0);
  base.addFwd('uf', 'union'); // 4
  base.addRecord([base.addStr('bits'), Kind.INT << 24, 4, (SIGNED << 24) | (5 << 16) | 27]); // 5: odd INT
  const split = Btf.createSplit(base);
  split.addPtr(3);
  split.addPtr(4);
  split.addConst(5);
  const d = distillBase(split);
  assert.deepEqual(listing(d.base), [
    "[1] STRUCT 'outer' size=16 vlen=0",
    "[2] FWD 'uf' fwd_kind=union",
    "[3] INT 'bits' size=4 bits_offset=5 nr_bits=27 encoding=SIGNED",
  ]);
  // strings: "\0outer\0uf\0bits\0", split section empty
  assert.equal(new TextDecoder('latin1').decode(d.base.raw().strs.subarray(0, d.base.strLen)), '\0outer\0uf\0bits\0');
  assert.equal(d.split.strLen, 0);
  // idMap: old ids → new ids
  const m = d.idMap;
  assert.equal(m.length, split.typeCount());
  assert.deepEqual([...m], [0, 0, 0, 1, 2, 3, 4, 5, 6]);
});

test('distill: string placement reuses distilled names and duplicates base-only strings into the split', () => {
  const base = Btf.create();
  const i = base.addInt('int', 4, SIGNED); // 1
  base.addStruct('named', 4); // 2
  base.addField('f1', i, 0);
  base.addStruct(null, 8); // 3 anonymous, moved to the split
  base.addField('f1', i, 0);
  base.addField('named', 2, 32);
  const split = Btf.createSplit(base);
  split.addStruct('s', 12);
  split.addField('f1', 3, 0); // member name shared with the base string 'f1'
  split.addField('named', i, 64); // equals a distilled base name
  split.addField('zz', i, 80);
  const d = distillBase(split);
  // distilled base strings: '\0int\0named\0'; split: 's', 'f1', 'zz' in first-use order
  assert.equal(new TextDecoder('latin1').decode(d.base.raw().strs.subarray(0, d.base.strLen)), '\0int\0named\0');
  assert.equal(new TextDecoder('latin1').decode(d.split.raw().strs.subarray(0, d.split.strLen)), 's\0f1\0zz\0');
  assert.equal(d.split.memberNameOff(d.split.startId, 1), d.base.findStr('named'));
  assert.deepEqual(listing(d.split).slice(2), [
    "[3] STRUCT 's' size=12 vlen=3\n\t'f1' type_id=4 bits_offset=0\n\t'named' type_id=1 bits_offset=64\n\t'zz' type_id=1 bits_offset=80",
    "[4] STRUCT '(anon)' size=8 vlen=2\n\t'f1' type_id=1 bits_offset=0\n\t'named' type_id=2 bits_offset=32",
  ]);
});

test('distill: nothing referenced → void-only distilled base, split ids start at 1', () => {
  const base = Btf.create();
  base.addInt('int', 4, SIGNED);
  const split = Btf.createSplit(base);
  const p = split.addPtr(0);
  split.addTypedef('vp', p);
  const d = distillBase(split);
  assert.equal(d.base.typeCount(), 1);
  assert.equal(d.base.strLen, 1);
  assert.deepEqual(listing(d.split), ["[1] PTR '(anon)' type_id=0", "[2] TYPEDEF 'vp' type_id=1"]);
  // bytes: 24-byte header, no types, the string section '\0'
  assert.equal(serializeBtf(d.base).length, 25);
});

test('distill does not modify its input and can run again (scratch state is cleared)', () => {
  const { btf2 } = selftestBase();
  const before = serializeBtf(btf2).slice();
  const a = distillBase(btf2);
  const b = distillBase(btf2);
  assert.deepEqual(serializeBtf(btf2), before);
  assert.deepEqual(serializeBtf(a.base), serializeBtf(b.base));
  assert.deepEqual(serializeBtf(a.split), serializeBtf(b.split));
  // after a failing distill the next one is still correct
  const base = Btf.create();
  base.addInt('int', 4, SIGNED);
  const proto = base.addFuncProto(1);
  const fn = base.addFunc('f', 1, proto);
  const bad = Btf.createSplit(base);
  bad.addPtr(1);
  bad.addDeclTag('t', fn, -1);
  assert.throws(() => distillBase(bad));
  const c = distillBase(btf2);
  assert.deepEqual(serializeBtf(c.split), serializeBtf(a.split));
});
