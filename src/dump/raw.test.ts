import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from '../model/btf.js';
import { IntEncoding, VarLinkage, Kind } from '../format/kinds.js';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { dumpRaw, dumpRawTo } from './raw.js';
import { everyKind, EVERY_KIND_RAW } from './fixtures.test-util.js';

const text = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

test('raw dump: every kind, built with the builder', () => {
  assert.equal(text(dumpRaw(everyKind())), EVERY_KIND_RAW);
});

test('raw dump: the same after serialize + parse', () => {
  const b = everyKind();
  // The var info patched to id 999 would fail libbpf's checks; restore a valid id first.
  const ds = 26;
  b.setWord(b.startId + ds - 1, 3 + 3 * 3, 1);
  const parsed = parseBtf(serializeBtf(b));
  const want = EVERY_KIND_RAW.replace("\ttype_id=999 offset=12 size=4\n", "\ttype_id=1 offset=12 size=4 (INT 'int')\n");
  assert.equal(text(dumpRaw(parsed)), want);
});

test('raw dump: bpftool fallbacks (unknown encodings, linkages, kinds; invalid names; raw name bytes)', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, IntEncoding.SIGNED); // 1
  b.setWord(b.startId, 3, (3 << 24) | (8 << 16) | 24); // encoding SIGNED|CHAR, offset 8, 24 bits
  const fp = b.addFuncProto(0); // 2
  b.addRecord([b.addStr('weird'), ((Kind.FUNC << 24) | 3) >>> 0, fp]); // 3: FUNC linkage 3
  b.addRecord([b.addStr('wv'), (Kind.VAR << 24) >>> 0, int, 7]); // 4: VAR linkage 7
  b.addRecord([b.addStr('k20'), (20 << 24) >>> 0, 0]); // 5: kind 20
  b.addRecord([123456, (Kind.PTR << 24) >>> 0, int]); // 6: name offset past the strings
  b.addRecord([b.addStrKey('caf\xe9\xff\x01'), (Kind.TYPEDEF << 24) >>> 0, int]); // 7: non-UTF-8 name
  b.addRecord([b.addStr('x'), ((Kind.FWD << 24) | 0x80000000) >>> 0, 0]); // 8: FWD union
  const out = dumpRaw(b);
  assert.equal(
    text(out),
    `[1] INT 'int' size=4 bits_offset=8 nr_bits=24 encoding=UNKN
[2] FUNC_PROTO '(anon)' ret_type_id=0 vlen=0
[3] FUNC 'weird' type_id=2 linkage=(unknown)
[4] VAR 'wv' type_id=1, linkage=(unknown)
[5] UNKNOWN 'k20'
[6] PTR '(invalid)' type_id=1
[7] TYPEDEF 'caf\xe9\xff\x01' type_id=1
[8] FWD 'x' fwd_kind=union
`,
  );
});

test('raw dump: split BTF prints only its own ids, resolving names and DATASEC vars through the base', () => {
  const base = Btf.create();
  const int = base.addInt('int', 4, IntEncoding.SIGNED); // 1
  const bv = base.addVar('base_var', VarLinkage.GLOBAL_ALLOCATED, int); // 2
  const split = Btf.createSplit(base);
  assert.equal(split.startId, 3);
  const p = split.addPtr(int); // 3
  split.addTypedef('int', p); // 4: name reuses the base string
  const sv = split.addVar('split_var', VarLinkage.STATIC, p); // 5
  split.addDatasec('.bss', 16); // 6
  split.addDatasecVarInfo(bv, 0, 4);
  split.addDatasecVarInfo(sv, 8, 8);
  const want = `[3] PTR '(anon)' type_id=1
[4] TYPEDEF 'int' type_id=3
[5] VAR 'split_var' type_id=3, linkage=static
[6] DATASEC '.bss' size=16 vlen=2
\ttype_id=2 offset=0 size=4 (VAR 'base_var')
\ttype_id=5 offset=8 size=8 (VAR 'split_var')
`;
  assert.equal(text(dumpRaw(split)), want);
  // And after a round trip through raw bytes (split strings start after the base's).
  const reparsed = parseBtf(serializeBtf(split), { base: parseBtf(serializeBtf(base)) });
  assert.equal(text(dumpRaw(reparsed)), want);
});

test('raw dump: rootIds dumps the given ids (base and void included), in order', () => {
  const base = Btf.create();
  const int = base.addInt('int', 4, IntEncoding.SIGNED);
  const split = Btf.createSplit(base);
  split.addPtr(int);
  assert.equal(
    text(dumpRaw(split, { rootIds: [2, 1, 0] })),
    "[2] PTR '(anon)' type_id=1\n[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n[0] UNKNOWN '(anon)'\n",
  );
  assert.throws(() => dumpRaw(split, { rootIds: [3] }), /invalid type id 3/);
});

test('raw dump: an empty BTF prints nothing', () => {
  assert.equal(dumpRaw(Btf.create()).length, 0);
});

test('raw dump: streaming output equals the one-shot output', () => {
  const b = everyKind();
  for (let i = 0; i < 200; i++) b.addTypedef(`t${i}`, 7);
  const chunks: Uint8Array[] = [];
  dumpRawTo(b, (c) => chunks.push(c), { chunkSize: 100 });
  assert.ok(chunks.length > 1);
  assert.equal(chunks.map(text).join(''), text(dumpRaw(b)));
});
