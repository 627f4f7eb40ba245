/**
 * relocate(): libbpf's matching rules and quirks Q1–Q6 (docs/design.md §quirks), its error messages, the
 * validation step, the id map, atomicity, and the complete diagnosis that goes beyond libbpf.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from '../model/btf.js';
import { Kind, IntEncoding } from '../format/kinds.js';
import { serializeBtf } from '../format/write.js';
import { parseBtf } from '../format/parse.js';
import { BtfkitError, Errno } from '../errors.js';
import { relocate, tryRelocate, diagnoseRelocation, formatRelocationFailure, type RelocationFailure } from './relocate.js';

const SIGNED = IntEncoding.SIGNED;

/** A split on distilled base `d` whose first type points at (or, `embed`, embeds) distilled id 1. */
function splitOn(d: Btf, embed = false, target = 1): Btf {
  const s = Btf.createSplit(d);
  if (embed) {
    s.addStruct('holder', 64);
    s.addField('m', target, 0);
  } else s.addPtr(target);
  return s;
}

function failure(fn: () => unknown): BtfkitError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BtfkitError);
    assert.equal(e.code, 'RELOCATE');
    return e;
  }
  assert.fail('expected a relocation failure');
}

const details = (e: BtfkitError): RelocationFailure => e.details as RelocationFailure;

// ------------------------------------------------------------------ quirks

test('Q1 kind laxity: a distilled STRUCT maps onto a same-named UNION, FWD or even INT', () => {
  for (const make of [
    (b: Btf) => b.addUnion('s', 4),
    (b: Btf) => b.addFwd('s', 'struct'),
    (b: Btf) => b.addInt('s', 4, 0),
  ]) {
    const d = Btf.create();
    d.addStruct('s', 4);
    const base = Btf.create();
    base.addInt('int', 4, SIGNED);
    const id = make(base);
    const r = relocate(splitOn(d), base);
    assert.equal(r.idMap[1], id);
    assert.equal(r.btf.type(r.btf.startId), id);
  }
});

test('Q2 FWD flavour: libbpf tests the base record kflag', () => {
  const fwd = (flavour: 'struct' | 'union'): Btf => {
    const d = Btf.create();
    d.addFwd('f', flavour);
    return d;
  };
  // struct forward ↔ base struct without bitfields: ok; with bitfields (kflag): not mapped
  let base = Btf.create();
  base.addInt('int', 4, SIGNED);
  base.addStruct('f', 4);
  base.addField('a', 1, 0);
  assert.equal(relocate(splitOn(fwd('struct')), base).idMap[1], 2);
  base = Btf.create();
  base.addInt('int', 4, SIGNED);
  base.addStruct('f', 4);
  base.addField('a', 1, 0, 3); // bitfield → kflag 1
  let e = failure(() => relocate(splitOn(fwd('struct')), base));
  assert.equal(e.message, "distilled base BTF type 'f' [1] is not mapped to base BTF id");
  assert.equal(details(e).unmapped[0]!.problem, 'kind');
  // union forward ↔ base union only with kflag 1
  base = Btf.create();
  base.addInt('int', 4, SIGNED);
  base.addUnion('f', 4);
  base.addField('a', 1, 0);
  failure(() => relocate(splitOn(fwd('union')), base));
  base = Btf.create();
  base.addInt('int', 4, SIGNED);
  base.addUnion('f', 4);
  base.addField('a', 1, 0, 3);
  assert.equal(relocate(splitOn(fwd('union')), base).idMap[1], 2);
  // FWD ↔ FWD: same kflag only
  base = Btf.create();
  base.addFwd('f', 'union');
  failure(() => relocate(splitOn(fwd('struct')), base));
  assert.equal(relocate(splitOn(fwd('union')), base).idMap[1], 1);
});

test('Q3 FWD + STRUCT of one name: non-embedded → multiple; embedded → order-dependent', () => {
  const d = Btf.create();
  d.addStruct('s', 4);
  const fwdFirst = Btf.create();
  fwdFirst.addFwd('s', 'struct');
  fwdFirst.addStruct('s', 4);
  const structFirst = Btf.create();
  structFirst.addStruct('s', 4);
  structFirst.addFwd('s', 'struct');

  let e = failure(() => relocate(splitOn(d), fwdFirst));
  assert.equal(e.message, "distilled base BTF type 's' [1], size 4 has multiple candidates of the same size (ids [2, 1]) in base BTF");
  e = failure(() => relocate(splitOn(d), structFirst));
  assert.equal(e.message, "distilled base BTF type 's' [1], size 0 has multiple candidates of the same size (ids [2, 1]) in base BTF");
  const u = details(e).unmapped[0]!;
  assert.equal(u.problem, 'multiple');
  assert.deepEqual(u.candidates.map((c) => c.id), [1, 2]);

  // embedded: FWD first is rejected by size (0 ≠ 4), the STRUCT maps → success
  assert.equal(relocate(splitOn(d, true), fwdFirst).idMap[1], 2);
  // embedded: STRUCT first maps (sentinel overwritten), then the FWD is a second candidate
  e = failure(() => relocate(splitOn(d, true), structFirst));
  assert.equal(e.message, "distilled base BTF type 's' [1], size 0 has multiple candidates of the same size (ids [2, 1]) in base BTF");
});

test('Q4 ambiguity rules', () => {
  const d4 = Btf.create();
  d4.addStruct('s', 4);
  // two base structs of sizes 16 and 4 → the size-4 one
  let base = Btf.create();
  base.addStruct('s', 16);
  base.addStruct('s', 4);
  assert.equal(relocate(splitOn(d4), base).idMap[1], 2);
  // sizes 8 and 16 → not mapped (size)
  base = Btf.create();
  base.addStruct('s', 8);
  base.addStruct('s', 16);
  const e = failure(() => relocate(splitOn(d4), base));
  assert.equal(e.message, "distilled base BTF type 's' [1] is not mapped to base BTF id");
  const u = details(e).unmapped[0]!;
  assert.equal(u.problem, 'size');
  assert.equal(u.distilledSize, 4);
  assert.deepEqual(u.candidates.map((c) => [c.id, c.size]), [[1, 8], [2, 16]]);
  // two distilled s (4 and 8) onto a single base s (8) → both map to it
  const d48 = Btf.create();
  d48.addStruct('s', 4);
  d48.addStruct('s', 8);
  base = Btf.create();
  base.addStruct('s', 8);
  const sp = Btf.createSplit(d48);
  sp.addPtr(1);
  sp.addPtr(2);
  const r = relocate(sp, base);
  assert.deepEqual([...r.idMap.subarray(0, 3)], [0, 1, 1]);
  // two identical base ints → multiple candidates
  const dI = Btf.create();
  dI.addInt('int', 4, SIGNED);
  base = Btf.create();
  base.addInt('int', 4, SIGNED);
  base.addInt('int', 4, SIGNED);
  assert.equal(
    failure(() => relocate(splitOn(dI), base)).message,
    "distilled base BTF type 'int' [1], size 4 has multiple candidates of the same size (ids [2, 1]) in base BTF",
  );
});

test('Q5 ENUM vs ENUM64: size decides, kind and signedness do not', () => {
  const d8 = Btf.create();
  d8.addEnum('e64', 8);
  let base = Btf.create();
  base.addEnum64('e64', 8, true);
  assert.equal(relocate(splitOn(d8), base).idMap[1], 1);
  base = Btf.create();
  base.addEnum('e64', 8);
  assert.equal(relocate(splitOn(d8), base).idMap[1], 1);
  const d4 = Btf.create();
  d4.addEnum('e', 4);
  base = Btf.create();
  base.addEnum64('e', 4, false);
  assert.equal(relocate(splitOn(d4), base).idMap[1], 1);
  base = Btf.create();
  base.addEnum('e', 8);
  const u = details(failure(() => relocate(splitOn(d4), base))).unmapped[0]!;
  assert.equal(u.problem, 'size');
});

test('Q6 INT encoding must match exactly; nr_bits and bit offset are not compared', () => {
  const d = Btf.create();
  d.addInt('int', 4, SIGNED);
  let base = Btf.create();
  base.addInt('int', 4, 0);
  const e = failure(() => relocate(splitOn(d), base));
  assert.equal(e.message, "distilled base BTF type 'int' [1] is not mapped to base BTF id");
  const u = details(e).unmapped[0]!;
  assert.equal(u.problem, 'encoding');
  assert.match(u.reason, /SIGNED/);
  base = Btf.create();
  base.addRecord([base.addStr('int'), Kind.INT << 24, 4, (SIGNED << 24) | (3 << 16) | 7]);
  assert.equal(relocate(splitOn(d), base).idMap[1], 1);
});

// ------------------------------------------------------------------ validation & guards

test('step 1: the distilled base may only hold named INT, FLOAT, ENUM, STRUCT, UNION, FWD', () => {
  const anon = Btf.create();
  anon.addStruct('ok', 4);
  anon.addStruct(null, 4);
  let e = failure(() => relocate(splitOn(anon), Btf.create()));
  assert.equal(e.message, 'type [2], kind [4] is invalid for distilled base BTF; it is anonymous');
  assert.equal(e.errno, Errno.EINVAL);
  assert.deepEqual(details(e).unmapped.map((u) => [u.id, u.problem]), [[2, 'anonymous']]);

  const wrong = Btf.create();
  wrong.addInt('int', 4, SIGNED);
  wrong.addPtr(1);
  wrong.addEnum64('e', 8, false);
  e = failure(() => relocate(splitOn(wrong), Btf.create()));
  assert.equal(e.message, 'type [2] in distilled based BTF has unexpected kind [2]');
  assert.deepEqual(details(e).unmapped.map((u) => [u.id, u.problem]), [[2, 'invalid-kind'], [3, 'invalid-kind']]);
});

test('guards: non-split input, and the distilled base itself as new base → EINVAL', () => {
  const d = Btf.create();
  d.addInt('int', 4, SIGNED);
  assert.equal(failure(() => relocate(d, d)).errno, Errno.EINVAL);
  const s = splitOn(d);
  assert.equal(failure(() => relocate(s, d)).errno, Errno.EINVAL);
});

test('a new-base type whose name is the empty string matches the void entry', () => {
  const d = Btf.create();
  d.addStruct('s', 4);
  const base = Btf.create();
  const ab = base.addStr('ab'); // "\0ab\0": offset 3 is the empty string after "ab"
  base.addRecord([ab + 2, Kind.STRUCT << 24, 8]);
  base.addStruct('s', 4);
  const e = failure(() => relocate(splitOn(d), base));
  assert.equal(e.message, 'base BTF id [1] maps to invalid distilled base BTF id [0]');
  const f = details(e);
  assert.equal(f.unmapped[0]!.problem, 'base-empty-name');
  assert.deepEqual(f.unmapped[0]!.candidates.map((c) => c.id), [1]);
});

test('step 5: a split string inside the distilled section that names no type → ENOENT, libbpf text', () => {
  const d = Btf.create();
  d.addStruct('s', 4);
  d.addStr('xyz');
  const split = Btf.createSplit(d);
  split.addStruct('holder', 8);
  split.addField('xyz', 1, 0); // member name reuses the distilled base's 'xyz'
  const base = Btf.create();
  base.addStruct('s', 4);
  const before = serializeBtf(split).slice();
  const e = failure(() => relocate(split, base));
  assert.equal(e.errno, Errno.ENOENT);
  assert.equal(e.message, "string '' [offset 3] is not mapped to base BTF");
  assert.deepEqual(details(e).unmappedStrings, [{ typeId: 2, offset: 3, string: 'xyz' }]);
  // libbpf leaves a half-rewritten object here; we never touch the input
  assert.deepEqual(serializeBtf(split), before);
  assert.equal(split.base, d);
});

// ------------------------------------------------------------------ result shape

test('relocation rewrites ids and string offsets, keeps header and lengths, and never mutates the input', () => {
  const d = Btf.create();
  d.addInt('int', 4, SIGNED); // 1
  d.addStruct('dev', 16); // 2
  const split = Btf.createSplit(d);
  split.addStruct('mine', 24); // 3
  split.addField('d', 2, 0);
  split.addField('int', 1, 128); // member name equal to a distilled name
  split.addPtr(3); // 4
  const base = Btf.create();
  base.addStr('padding-string');
  base.addStruct('dev', 16); // 1
  base.addInt('int', 4, SIGNED); // 2
  base.addFwd('other', 'struct'); // 3
  const raw = serializeBtf(split).slice();
  const r = relocate(split, base);
  assert.deepEqual(serializeBtf(split), raw);
  const out = serializeBtf(r.btf);
  assert.equal(out.length, raw.length);
  assert.deepEqual([...r.idMap], [0, 2, 1, 4, 5]);
  assert.equal(r.btf.startId, 4);
  assert.equal(r.btf.startStrOff, base.strLen);
  assert.equal(r.btf.memberType(4, 0), 1);
  assert.equal(r.btf.memberType(4, 1), 2);
  assert.equal(r.btf.name(4), 'mine');
  assert.equal(r.btf.str(r.btf.memberNameOff(4, 1)), 'int');
  assert.equal(r.btf.memberNameOff(4, 1), base.findStr('int'));
  assert.equal(r.btf.type(5), 4);
  // re-parses on the new base
  const again = parseBtf(out, { base });
  assert.equal(again.name(4), 'mine');
});

test('byte order is kept', () => {
  const d = Btf.create({ endian: 'big' });
  d.addInt('int', 4, SIGNED);
  const split = splitOn(d);
  const base = Btf.create({ endian: 'little' });
  base.addInt('int', 4, SIGNED);
  const r = relocate(split, base);
  assert.equal(r.btf.endian, 'big');
  assert.deepEqual([...serializeBtf(r.btf).subarray(0, 2)], [0xeb, 0x9f]);
});

// ------------------------------------------------------------------ diagnosis

test('diagnosis lists every unmapped type with its reason, embedding sites and candidates', () => {
  const d = Btf.create();
  d.addInt('int', 4, SIGNED); // 1 ok
  d.addStruct('device', 744); // 2 size (embedded via typedef + array)
  d.addStruct('gone', 8); // 3 missing
  d.addStruct('tdonly', 8); // 4 kind (only a typedef in the new base)
  d.addFwd('fw', 'union'); // 5 kind (flavour)
  d.addInt('u8', 1, 0); // 6 encoding
  d.addStruct('dup', 4); // 7 multiple
  const split = Btf.createSplit(d);
  const td = split.addTypedef('device_t', 2); // 8
  const arr = split.addArray(1, td, 2); // 9
  split.addStruct('holder', 2000); // 10
  split.addField('devs', arr, 0);
  split.addField('g', 3, 11904);
  split.addStruct('other', 744); // 11
  split.addField('dev', 2, 0);
  for (const t of [4, 5, 6, 7]) split.addPtr(t);

  const base = Btf.create();
  base.addInt('int', 4, SIGNED); // 1
  base.addStruct('device', 752); // 2
  base.addTypedef('tdonly', 1); // 3
  base.addFwd('fw', 'struct'); // 4
  base.addInt('u8', 1, IntEncoding.CHAR); // 5
  base.addStruct('dup', 4); // 6
  base.addFwd('dup', 'struct'); // 7

  const f = diagnoseRelocation(split, base);
  assert.ok(f);
  // libbpf stops at the first problem in base-scan order: the second candidate for 'dup'
  assert.equal(f.message, "distilled base BTF type 'dup' [7], size 0 has multiple candidates of the same size (ids [7, 6]) in base BTF");
  assert.deepEqual(
    f.unmapped.map((u) => [u.id, u.name, u.kind, u.problem]),
    [
      [2, 'device', 'STRUCT', 'size'],
      [3, 'gone', 'STRUCT', 'missing'],
      [4, 'tdonly', 'STRUCT', 'kind'],
      [5, 'fw', 'FWD', 'kind'],
      [6, 'u8', 'INT', 'encoding'],
      [7, 'dup', 'STRUCT', 'multiple'],
    ],
  );
  const dev = f.unmapped[0]!;
  assert.equal(dev.distilledSize, 744);
  assert.deepEqual(dev.candidates, [{ id: 2, kind: 'STRUCT', size: 752 }]);
  assert.deepEqual(dev.embeddedIn, [
    { typeId: 10, typeName: 'struct holder', member: 'devs', memberIndex: 0, via: ['array[2]', 'typedef device_t'] },
    { typeId: 11, typeName: 'struct other', member: 'dev', memberIndex: 0, via: [] },
  ]);
  assert.deepEqual(f.unmapped[2]!.candidates, [{ id: 3, kind: 'TYPEDEF' }]);
  assert.deepEqual(f.unmapped[5]!.candidates.map((c) => c.id), [6, 7]);
  assert.equal(f.distilledTypes, 7);
  assert.equal(f.baseTypes, 7);

  const text = formatRelocationFailure(f);
  assert.match(text, /6 of 7 distilled base types cannot be mapped/);
  assert.match(text, /\[2\] struct device \(744 bytes\): size/);
  assert.match(text, /embedded in struct holder \[10\] member 'devs' via array\[2\] → typedef device_t/);
  assert.match(text, /\[3\] struct gone \(8 bytes\): missing/);

  // relocate() throws the same failure, tryRelocate() returns it
  const e = failure(() => relocate(split, base));
  assert.equal(e.message, f.message);
  assert.deepEqual(e.details, f);
  assert.equal(e.where.typeId, 2);
  const t = tryRelocate(split, base);
  assert.equal(t.ok, false);
  if (!t.ok) assert.deepEqual(t.failure, f);
});

test('diagnoseRelocation returns null and tryRelocate ok on success', () => {
  const d = Btf.create();
  d.addInt('int', 4, SIGNED);
  const base = Btf.create();
  base.addInt('int', 4, SIGNED);
  const split = splitOn(d);
  assert.equal(diagnoseRelocation(split, base), null);
  const t = tryRelocate(split, base);
  assert.equal(t.ok, true);
  if (t.ok) assert.deepEqual([...t.idMap], [0, 1, 2]);
});

test('a base that is modified between relocations is re-indexed', () => {
  const d = Btf.create();
  d.addStruct('late', 4);
  const split = splitOn(d);
  const base = Btf.create();
  base.addInt('int', 4, SIGNED);
  failure(() => relocate(split, base));
  failure(() => relocate(split, base)); // second use builds the cached index
  base.addStruct('late', 4);
  assert.equal(relocate(split, base).idMap[1], 2);
  assert.equal(relocate(split, base).idMap[1], 2);
});
