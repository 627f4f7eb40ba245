/**
 * Every kind through every part: for each BTF kind KindId knows (vlen 0, 1 and many where vlen
 * counts elements), build it with the builder, serialize, parse back, visit its id and string
 * fields (exactly the expected ones), distill and relocate it (as a split type, and as a base
 * type a split refers to), and dump it raw, as JSON and as C. A kind without a case here, or
 * without a descriptor in kinds.ts, fails the first test (and tsc, through the mapped types).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from '../model/btf.js';
import { typeIdFields, strOffFields } from '../model/iter.js';
import { KindId, KINDS, KIND_NAMES, MAX_KNOWN_KIND, recordWords, idFieldPos, strFieldPos, IntEncoding } from './kinds.js';
import { parseBtf } from './parse.js';
import { serializeBtf } from './write.js';
import { distillBase } from '../split/distill.js';
import { relocate } from '../split/relocate.js';
import { dumpRaw } from '../dump/raw.js';
import { dumpJson } from '../dump/json.js';
import { dumpCText } from '../dump/c.js';
import { BtfkitError } from '../errors.js';

/** Base types every case may refer to: [1] int, [2] struct bs { int x; }. */
const INT = 1;
const BS = 2;
function makeBase(): Btf {
  const b = Btf.create({ endian: 'little' });
  b.addInt('int', 4, IntEncoding.SIGNED);
  b.addStruct('bs', 4);
  b.addField('x', INT, 0);
  return b;
}

interface Built {
  /** The type under test. */
  id: number;
  /** Its type-id fields, in libbpf's iterator order. */
  ids: number[];
  /** Its string fields, decoded, in iterator order ('' for an anonymous name). */
  strs: string[];
}

interface Case {
  /** vlens to build with: element counts, or (FUNC) linkages. */
  vlens: readonly number[];
  build(t: Btf, n: number): Built;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const ref = (add: (t: Btf) => number, name = ''): Case => ({
  vlens: [0],
  build: (t) => ({ id: add(t), ids: [INT], strs: [name] }),
});

/** One case per kind that has a record: the mapped type makes tsc ask for a new kind's case. */
const CASES: { readonly [K in Exclude<KindId, KindId.UNKN>]: Case } = {
  [KindId.INT]: { vlens: [0], build: (t) => ({ id: t.addInt('myint', 8, 0), ids: [], strs: ['myint'] }) },
  [KindId.PTR]: ref((t) => t.addPtr(INT)),
  [KindId.ARRAY]: { vlens: [0], build: (t) => ({ id: t.addArray(INT, BS, 3), ids: [BS, INT], strs: [''] }) },
  [KindId.STRUCT]: {
    vlens: [0, 1, 3],
    build: (t, n) => {
      const id = t.addStruct('st', 4 * n);
      for (const i of range(n)) t.addField(`m${i}`, INT, 32 * i);
      return { id, ids: range(n).map(() => INT), strs: ['st', ...range(n).map((i) => `m${i}`)] };
    },
  },
  [KindId.UNION]: {
    vlens: [0, 1, 3],
    build: (t, n) => {
      const id = t.addUnion('un', 4);
      for (const i of range(n)) t.addField(`u${i}`, i === 1 ? BS : INT, 0);
      return { id, ids: range(n).map((i) => (i === 1 ? BS : INT)), strs: ['un', ...range(n).map((i) => `u${i}`)] };
    },
  },
  [KindId.ENUM]: {
    vlens: [0, 1, 3],
    build: (t, n) => {
      const id = t.addEnum('en', 4);
      for (const i of range(n)) t.addEnumValue(`E${i}`, i - 1);
      return { id, ids: [], strs: ['en', ...range(n).map((i) => `E${i}`)] };
    },
  },
  [KindId.FWD]: { vlens: [0], build: (t) => ({ id: t.addFwd('fw', 'union'), ids: [0], strs: ['fw'] }) },
  [KindId.TYPEDEF]: ref((t) => t.addTypedef('td', INT), 'td'),
  [KindId.VOLATILE]: ref((t) => t.addVolatile(INT)),
  [KindId.CONST]: ref((t) => t.addConst(INT)),
  [KindId.RESTRICT]: ref((t) => t.addRestrict(INT)),
  [KindId.FUNC]: {
    vlens: [0, 1], // linkage static, global
    build: (t, linkage) => {
      const proto = t.addFuncProto(INT);
      t.addFuncParam('a', INT);
      return { id: t.addFunc('fn', linkage, proto), ids: [proto], strs: ['fn'] };
    },
  },
  [KindId.FUNC_PROTO]: {
    vlens: [0, 1, 3],
    build: (t, n) => {
      const id = t.addFuncProto(INT);
      for (const i of range(n)) t.addFuncParam(`p${i}`, i === 2 ? BS : INT);
      return { id, ids: [INT, ...range(n).map((i) => (i === 2 ? BS : INT))], strs: ['', ...range(n).map((i) => `p${i}`)] };
    },
  },
  [KindId.VAR]: { vlens: [0], build: (t) => ({ id: t.addVar('v', 1, INT), ids: [INT], strs: ['v'] }) },
  [KindId.DATASEC]: {
    vlens: [0, 1, 3],
    build: (t, n) => {
      const vars = range(n).map((i) => t.addVar(`v${i}`, 1, INT));
      const id = t.addDatasec('.data', 4 * Math.max(n, 1));
      for (const i of range(n)) t.addDatasecVarInfo(vars[i]!, 4 * i, 4);
      return { id, ids: vars, strs: ['.data'] };
    },
  },
  [KindId.FLOAT]: { vlens: [0], build: (t) => ({ id: t.addFloat('fl', 8), ids: [], strs: ['fl'] }) },
  [KindId.DECL_TAG]: { vlens: [0], build: (t) => ({ id: t.addDeclTag('tag', BS, 0), ids: [BS], strs: ['tag'] }) },
  [KindId.TYPE_TAG]: ref((t) => t.addTypeTag('tt', INT), 'tt'),
  [KindId.ENUM64]: {
    vlens: [0, 1, 3],
    build: (t, n) => {
      const id = t.addEnum64('e64', 8, false);
      for (const i of range(n)) t.addEnum64Value(`V${i}`, 1n << BigInt(40 + i));
      return { id, ids: [], strs: ['e64', ...range(n).map((i) => `V${i}`)] };
    },
  },
};

const kinds = range(MAX_KNOWN_KIND).map((i) => i + 1);
const caseOf = (k: number): Case => {
  const c = (CASES as Record<number, Case | undefined>)[k];
  if (!c) throw new Error(`no every-kind case for kind ${k} (${KIND_NAMES[k]})`);
  return c;
};

test('every kind has a descriptor and a case here; the descriptor is consistent with the record', () => {
  assert.equal(KINDS.length, MAX_KNOWN_KIND + 1);
  for (const k of kinds) {
    const d = KINDS[k];
    assert.ok(d, `kind ${k} has no descriptor`);
    assert.equal(d.id, k);
    assert.equal(d.name, KIND_NAMES[k]);
    caseOf(k);
    // element words hold their ids/strings inside the element
    if (d.elemId >= 0) assert.ok(d.elemId < d.elemWords, d.name);
    if (d.elemStr >= 0) assert.ok(d.elemStr < d.elemWords, d.name);
    for (const p of d.ids) assert.ok(p >= 2 && p < 3 + d.infoWords, `${d.name}: id word ${p} outside the fixed part`);
    assert.equal(d.word2 === 'type', d.ids.includes(2), `${d.name}: word 2 is a type id iff it is an id field`);
  }
  assert.equal(idFieldPos(MAX_KNOWN_KIND + 1, 0, 0), -2);
  assert.equal(strFieldPos(MAX_KNOWN_KIND + 1, 0, 0), -2);
});

for (const k of kinds) {
  const name = KIND_NAMES[k]!;
  for (const n of caseOf(k).vlens) {
    test(`${name} vlen ${n}: build → serialize → parse → visit → dumps`, () => {
      const b = makeBase();
      const got = caseOf(k).build(b, n);
      assert.equal(b.kind(got.id), k);
      assert.equal(b.vlen(got.id), n);
      assert.equal(b.recordLength(got.id), recordWords(k, n));

      // little and big endian round trips give the same records
      for (const endian of ['little', 'big'] as const) {
        const bytes = serializeBtf(b, endian);
        const p = parseBtf(bytes);
        assert.equal(p.typeCount(), b.typeCount());
        for (let id = 1; id < b.typeCount(); id++) {
          for (let w = 0; w < b.recordLength(id); w++) assert.equal(p.word(id, w), b.word(id, w), `${endian} [${id}] word ${w}`);
        }
        assert.deepEqual(Buffer.from(serializeBtf(p, endian)), Buffer.from(bytes));
        // exactly the expected fields are visited, in order
        assert.deepEqual(typeIdFields(p, got.id), got.ids, 'id fields');
        assert.deepEqual(strOffFields(p, got.id).map((o) => p.str(o)), got.strs, 'string fields');
      }

      // dumps: raw names the type, JSON parses back with every type, C is produced
      const raw = new TextDecoder().decode(dumpRaw(b));
      const line = raw.split('\n').find((l) => l.startsWith(`[${got.id}] `));
      assert.ok(line, raw);
      assert.ok(line.startsWith(`[${got.id}] ${name} '${got.strs[0] || '(anon)'}'`), line);
      const json = JSON.parse(new TextDecoder().decode(dumpJson(b))) as { types: { id: number; kind: string }[] };
      assert.equal(json.types.length, b.typeCount() - 1);
      assert.equal(json.types.find((t) => t.id === got.id)?.kind, name);
      const c = dumpCText(b);
      assert.match(c, /#ifndef __VMLINUX_H__/);
    });

    test(`${name} vlen ${n}: as a split type, distill then relocate back gives the same records`, () => {
      const base = makeBase();
      const split = Btf.createSplit(base);
      const got = caseOf(k).build(split, n);
      const own = range(split.ownTypeCount()).map((i) => split.startId + i);
      const d = distillBase(parseBtf(serializeBtf(split), { base }));
      const r = relocate(parseBtf(serializeBtf(d.split), { base: parseBtf(serializeBtf(d.base)) }), base);
      assert.equal(r.btf.typeCount(), split.typeCount());
      assert.equal(r.idMap.length, d.split.typeCount());
      const text = (x: Btf): string => new TextDecoder().decode(dumpRaw(x, { rootIds: own }));
      assert.equal(text(r.btf), text(split));
      assert.deepEqual(typeIdFields(r.btf, got.id), got.ids);
    });

    test(`${name} vlen ${n}: as a base type a split refers to, distill per its role, relocate back`, () => {
      const base = makeBase();
      const got = caseOf(k).build(base, n);
      const split = Btf.createSplit(base);
      const td = split.addTypedef('ref_t', got.id);
      const role = KINDS[k]!.distill;
      if (role === 'reject') {
        assert.throws(() => distillBase(split), (e: unknown) => e instanceof BtfkitError && e.code === 'DISTILL' && /unexpected reference to base type/.test(e.message));
        return;
      }
      const d = distillBase(split);
      const tdNew = d.idMap[td]!;
      const target = d.split.type(tdNew);
      const inBase = target < d.base.typeCount();
      assert.equal(inBase, role === 'keep' || role === 'composite' || role === 'enum', `${name} in the distilled base`);
      if (role === 'enum') assert.equal(d.base.kind(target), KindId.ENUM);
      const r = relocate(d.split, base);
      const t = r.btf.type(r.idMap[tdNew]!);
      assert.equal(r.btf.kind(t), k);
      assert.equal(r.btf.name(t), base.name(got.id));
      if (inBase) assert.equal(t, got.id);
    });
  }
}

test('raw dump of elements, exactly as bpftool prints them', () => {
  const b = makeBase();
  b.addStruct('st', 8);
  b.addField('m0', INT, 0);
  b.addField('m1', INT, 32);
  b.addFuncProto(INT);
  b.addFuncParam('p0', INT);
  b.addFuncParam('p1', BS);
  b.addEnum64('e64', 8, false);
  b.addEnum64Value('V0', 1n << 40n);
  const v = b.addVar('v', 1, INT);
  b.addDatasec('.data', 4);
  b.addDatasecVarInfo(v, 0, 4);
  b.addDeclTag('tag', BS, 0);
  assert.equal(
    new TextDecoder().decode(dumpRaw(parseBtf(serializeBtf(b, 'big')))),
    [
      "[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED",
      "[2] STRUCT 'bs' size=4 vlen=1",
      "\t'x' type_id=1 bits_offset=0",
      "[3] STRUCT 'st' size=8 vlen=2",
      "\t'm0' type_id=1 bits_offset=0",
      "\t'm1' type_id=1 bits_offset=32",
      "[4] FUNC_PROTO '(anon)' ret_type_id=1 vlen=2",
      "\t'p0' type_id=1",
      "\t'p1' type_id=2",
      "[5] ENUM64 'e64' encoding=UNSIGNED size=8 vlen=1",
      "\t'V0' val=1099511627776ULL",
      "[6] VAR 'v' type_id=1, linkage=global",
      "[7] DATASEC '.data' size=4 vlen=1",
      "\ttype_id=6 offset=0 size=4 (VAR 'v')",
      "[8] DECL_TAG 'tag' type_id=2 component_idx=0",
      '',
    ].join('\n'),
  );
});

test('the builder masks vlen by the object\'s format: 16 bits classic (E2BIG past 65535)', () => {
  const b = makeBase();
  b.addEnum('big', 4);
  for (let i = 0; i < 0xffff; i++) b.addEnumValue(`E${i}`, i);
  assert.equal(b.vlen(b.typeCount() - 1), 0xffff);
  const words = b.nWords;
  assert.throws(() => b.addEnumValue('one_more', 1), (e: unknown) => e instanceof BtfkitError && e.errno === 7);
  // the failed add left the object as it was
  assert.equal(b.vlen(b.typeCount() - 1), 0xffff);
  assert.equal(b.nWords, words);
  assert.equal(b.recordLength(b.typeCount() - 1), recordWords(KindId.ENUM, 0xffff));
});

test('the builder masks vlen by the object\'s format: 24 bits in the 2026 format', () => {
  const b = new Btf(null, 'little', { wide: true });
  const id = b.addEnum('big', 4);
  for (let i = 0; i <= 0xffff; i++) b.addEnumValue(`E${i}`, i);
  assert.equal(b.vlen(id), 0x10000);
  assert.equal(b.kind(id), KindId.ENUM);
  assert.equal(b.enumValue(id, 0x10000 - 1), 0xffff);
});
