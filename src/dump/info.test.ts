import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from '../model/btf.js';
import { IntEncoding } from '../format/kinds.js';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { btfInfo, formatInfo } from './info.js';
import { everyKind } from './fixtures.test-util.js';

test('btfInfo: parsed base BTF', () => {
  const built = everyKind();
  built.setWord(built.startId + 25, 3 + 3 * 3, 1); // the fixture's var info id 999 would be rejected
  const bytes = serializeBtf(built);
  const info = btfInfo(parseBtf(bytes));
  assert.equal(info.byteOrder, 'little');
  assert.equal(info.headerFromInput, true);
  assert.deepEqual(info.header, {
    magic: 0xeb9f, version: 1, flags: 0, hdrLen: 24,
    typeOff: 0, typeLen: built.nWords * 4, strOff: built.nWords * 4, strLen: built.strLen,
    layoutOff: 0, layoutLen: 0,
  });
  assert.equal(info.rawSize, bytes.length);
  assert.equal(info.types, 32);
  assert.equal(info.typeCnt, 33);
  assert.equal(info.startId, 1);
  assert.equal(info.split, false);
  assert.equal(info.baseTypes, 0);
  assert.deepEqual(info.kinds, {
    INT: 4, PTR: 1, ARRAY: 1, STRUCT: 1, UNION: 1, ENUM: 2, FWD: 2, TYPEDEF: 1, VOLATILE: 1,
    CONST: 1, RESTRICT: 1, FUNC: 3, FUNC_PROTO: 1, VAR: 3, DATASEC: 1, FLOAT: 1, DECL_TAG: 3,
    TYPE_TAG: 2, ENUM64: 2,
  });
  assert.deepEqual(Object.keys(info.kinds)[0], 'INT');
  // JSON-serializable as is.
  assert.deepEqual(JSON.parse(JSON.stringify(info)), info);
});

test('btfInfo: split BTF and a header computed for a built object', () => {
  const base = Btf.create();
  const int = base.addInt('int', 4, IntEncoding.SIGNED);
  base.addPtr(int);
  const split = Btf.createSplit(base);
  split.addTypedef('t', int);
  const info = btfInfo(split);
  assert.equal(info.headerFromInput, false);
  assert.equal(info.split, true);
  assert.equal(info.startId, 3);
  assert.equal(info.baseTypes, 2);
  assert.equal(info.baseDepth, 1);
  assert.equal(info.types, 1);
  assert.equal(info.typeCnt, 4);
  assert.equal(info.startStrOff, base.strLen);
  assert.equal(info.strLen, 2); // "t\0"
  assert.equal(info.strCount, 1);
  assert.equal(info.header.typeLen, 12);
  assert.equal(info.rawSize, 24 + 12 + 2);
  assert.deepEqual(info.kinds, { TYPEDEF: 1 });
});

test('formatInfo: aligned labels and kind table', () => {
  const base = Btf.create();
  const int = base.addInt('int', 4, IntEncoding.SIGNED);
  base.addPtr(int);
  base.addPtr(int);
  const b = parseBtf(serializeBtf(base));
  const out = formatInfo(btfInfo(b));
  assert.equal(
    out,
    `byte order:     little-endian
header:         magic 0xeb9f, version 1, flags 0x0, hdr_len 24
type section:   offset 0, 40 bytes
string section: offset 40, 5 bytes, 2 strings
raw size:       69 bytes
types:          3 (ids 1..3)
split:          no
kinds:
  INT  1
  PTR  2
`,
  );
  const split = Btf.createSplit(b);
  split.addPtr(3);
  const s = formatInfo(btfInfo(split));
  assert.match(s, /^split: +yes: start id 4, start string offset 5$/m);
  assert.match(s, /^base types: +3$/m);
  assert.match(s, /\(as it would be written\)/);
});
