import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from './btf.js';
import { Kind } from '../format/kinds.js';
import { serializeBtf } from '../format/write.js';
import { parseBtf } from '../format/parse.js';
import { typeIdFields, strOffFields } from './iter.js';
import { BtfkitError } from '../errors.js';

test('string interning: base first, then own, append on miss; no suffix sharing', () => {
  const base = Btf.create();
  assert.equal(base.addStr('int'), 1);
  assert.equal(base.addStr('nt'), 5); // no suffix sharing
  assert.equal(base.addStr('int'), 1);
  base.addInt('int', 4, 1);
  const split = Btf.createSplit(base);
  assert.equal(split.startStrOff, base.strLen);
  assert.equal(split.strLen, 0);
  assert.equal(split.addStr('int'), 1); // found in base
  const off = split.addStr('long');
  assert.equal(off, base.strLen); // first own string at start_str_off
  assert.equal(split.addStr('long'), off);
  assert.equal(split.str(off), 'long');
  assert.equal(split.str(1), 'int');
  assert.equal(split.findStr('nope'), -1);
  // UTF-8 names are stored as bytes
  const u = split.addStr('naïve');
  assert.equal(split.str(u), 'naïve');
  assert.equal(split.strLen, 5 + 7);
});

test('builder encodings follow libbpf', () => {
  const b = Btf.create();
  const i = b.addInt('int', 4, 1);
  assert.equal(b.word(i, 3), (1 << 24) | 32);
  const s = b.addStruct('s', 8);
  b.addField('a', i, 0);
  assert.equal(b.kflag(s), false);
  b.addField('b', i, 33); // non-byte offset makes it a bitfield struct
  assert.equal(b.kflag(s), true);
  assert.equal(b.vlen(s), 2);
  b.addField('c', i, 40, 4);
  assert.equal(b.memberOffsetWord(s, 2), 40 | (4 << 24));
  const u = b.addUnion(null, 4);
  assert.throws(() => b.addField('x', i, 8), BtfkitError);
  assert.equal(b.nameOff(u), 0);
  const e = b.addEnum('e', 4);
  b.addEnumValue('A', 1);
  assert.equal(b.kflag(e), false);
  b.addEnumValue('B', -2);
  assert.equal(b.kflag(e), true);
  assert.equal(b.enumValue(e, 1), -2);
  const e64 = b.addEnum64('e64', 8, false);
  b.addEnum64Value('BIG', 0xfffffffffn);
  assert.equal(b.enum64Value(e64, 0), 0xfffffffffn);
  assert.equal(b.word(e64, 4), 0xffffffff);
  assert.equal(b.word(e64, 5), 0xf);
  const fs = b.addFwd('fs', 'struct');
  const fu = b.addFwd('fu', 'union');
  const fe = b.addFwd('fe', 'enum');
  assert.equal(b.kind(fs), Kind.FWD);
  assert.equal(b.kflag(fs), false);
  assert.equal(b.kflag(fu), true);
  assert.equal(b.kind(fe), Kind.ENUM);
  assert.equal(b.size(fe), 4);
  const a = b.addArray(i, s, 3);
  assert.deepEqual(typeIdFields(b, a), [s, i]); // element first, then index
  const fp = b.addFuncProto(i);
  b.addFuncParam('x', s);
  b.addFuncParam(null, 0);
  assert.deepEqual(typeIdFields(b, fp), [i, s, 0]);
  assert.deepEqual(strOffFields(b, s), [b.nameOff(s), b.memberNameOff(s, 0), b.memberNameOff(s, 1), b.memberNameOff(s, 2)]);
  const f = b.addFunc('f', 2, fp);
  assert.equal(b.vlen(f), 2);
  assert.throws(() => b.addFunc('g', 0, -1), BtfkitError);
  const v = b.addVar('v', 1, i);
  b.addDatasec('.data', 4);
  b.addDatasecVarInfo(v, 0, 4);
  const dt = b.addDeclTag('tag', f, -1);
  assert.equal(b.declTagComponentIdx(dt), -1);
  const tt = b.addTypeTag('user', i, true);
  assert.equal(b.kflag(tt), true);
  // serialize and parse back: same accessors
  const p = parseBtf(serializeBtf(b));
  assert.equal(p.typeCount(), b.typeCount());
  for (let id = 1; id < b.typeCount(); id++) {
    assert.equal(p.info(id), b.info(id));
    assert.equal(p.name(id), b.name(id));
  }
  assert.equal(p.findByNameKind('s', Kind.STRUCT), s);
  assert.equal(p.findByNameKind('s', Kind.UNION), -1);
  assert.equal(p.findByName('void'), 0);
});

test('split on split: ids and string offsets chain through both bases', () => {
  const a = Btf.create();
  a.addInt('int', 4, 1);
  const b = Btf.createSplit(a);
  const p = b.addPtr(1);
  const c = Btf.createSplit(b);
  assert.equal(c.startId, 3);
  assert.equal(c.startStrOff, a.strLen + b.strLen);
  const t = c.addTypedef('pint', p);
  assert.equal(c.kind(t), Kind.TYPEDEF);
  assert.equal(c.kind(p), Kind.PTR);
  assert.equal(c.name(1), 'int');
  // round trip of each layer
  const a2 = parseBtf(serializeBtf(a));
  const b2 = parseBtf(serializeBtf(b), { base: a2 });
  const c2 = parseBtf(serializeBtf(c), { base: b2 });
  assert.equal(c2.name(t), 'pint');
  assert.equal(c2.type(t), p);
});

test("builder: forward type references are allowed, as libbpf's validate_type_id allows them", () => {
  // pahole's encoder adds a pointer before the type it points to
  const b = Btf.create();
  const p = b.addPtr(2);
  const i = b.addInt('int', 4, 1);
  assert.deepEqual([p, i, b.type(p)], [1, 2, 2]);
  assert.throws(() => b.addPtr(-1), BtfkitError);
  assert.throws(() => b.addPtr(0x80000000), BtfkitError);
});
