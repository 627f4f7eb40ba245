/**
 * Dedup/merge parity with libbpf v1.7.0: every case of cases.test-util.ts (the kernel
 * selftests' dedup table, the split-dedup selftests rewritten with our builder, hand-written
 * cases) gives exactly libbpf's bytes (test/golden/dedup/expected.json, made by
 * scripts/golden-dedup.ts with the oracle), or fails where libbpf fails. Also: the id map
 * agrees with the output, and the input object is left unmodified.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBtf } from '../../format/parse.js';
import { serializeBtf } from '../../format/write.js';
import { Btf } from '../../model/btf.js';
import { dedup } from './index.js';
import { addBtf, mergeBtfs } from '../add.js';
import { builderCases, selftestBytes, type SelftestCase } from './cases.test-util.js';
import { headerCases } from './edge-cases.test-util.js';
import { parsedHeaderBytes, withParsedHeader } from './header.js';

const GOLDEN = join(fileURLToPath(new URL('.', import.meta.url)), '../../../../test/golden/dedup');
const expected = JSON.parse(readFileSync(join(GOLDEN, 'expected.json'), 'utf8')) as Record<string, { out: string | null; sha256?: string; error?: string }>;
const selftests = (JSON.parse(readFileSync(join(GOLDEN, 'selftests.json'), 'utf8')) as { cases: SelftestCase[] }).cases;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function check(name: string, run: () => Uint8Array): void {
  const e = expected[name];
  assert.ok(e, `no expected result for ${name}`);
  if (e.sha256) {
    assert.equal(createHash('sha256').update(run()).digest('hex'), e.sha256, name);
    return;
  }
  if (e.out === null) {
    assert.throws(run, `libbpf fails on ${name} (${e.error})`);
    return;
  }
  assert.equal(hex(run()), e.out, name);
}

test('dedup: every kernel selftest input gives libbpf v1.7.0 bytes', () => {
  assert.equal(selftests.length, 28);
  selftests.forEach((c, n) => {
    check(`selftest ${n + 1}: ${c.descr}`, () => serializeBtf(dedup(parseBtf(selftestBytes(c))).btf));
  });
});

test('dedup/merge: builder cases (split selftests, ordering, merges) give libbpf v1.7.0 bytes', () => {
  const cases = builderCases();
  assert.ok(cases.length >= 46);
  for (const c of cases) {
    check(c.name, () => {
      const b = c.build();
      // through bytes, as the oracle saw them
      const base = b.base ? parseBtf(serializeBtf(b.base)) : null;
      const inputs = b.inputs.map((x) => parseBtf(serializeBtf(x), { base }));
      if (c.op === 'dedup') return serializeBtf(dedup(inputs[0]!).btf);
      return serializeBtf(mergeBtfs(inputs, base).btf);
    });
  }
});

test('dedup: the result re-headed with the parsed header gives libbpf v1.7.0 bytes (version, flags, hdr_len, type_off kept)', () => {
  const cases = headerCases();
  assert.equal(cases.length, 6);
  for (const c of cases) {
    const bytes = c.bytes();
    check(c.name, () => withParsedHeader(serializeBtf(dedup(parseBtf(bytes)).btf), parsedHeaderBytes(bytes)));
  }
});

test('addBtf: a type-less source into a type-less destination fails as in libbpf (ENOMEM), else is a no-op', () => {
  const empty = Btf.create();
  assert.throws(() => addBtf(Btf.create(), empty), (e: { errno?: number }) => e.errno === 12);
  const dst = Btf.create();
  dst.addInt('int', 4, 1);
  assert.equal(addBtf(dst, empty), 2);
  assert.equal(dst.typeCount(), 2);
});

test('dedup: id map points every old id at an output type of the same kind and name, input unmodified', () => {
  const c = builderCases().find((x) => x.name === 'dedup: kernel-like')!;
  const input = parseBtf(serializeBtf(c.build().inputs[0]!));
  const before = hex(serializeBtf(input));
  const r = dedup(input);
  assert.equal(hex(serializeBtf(input)), before);
  assert.equal(r.idMap.length, input.typeCount());
  for (let id = 1; id < input.typeCount(); id++) {
    const n = r.idMap[id]!;
    assert.ok(n >= 1 && n < r.btf.typeCount(), `id ${id} -> ${n}`);
    const k = input.kind(id);
    if (k !== 7 && k !== 6) {
      assert.equal(r.btf.kind(n), k, `kind of ${id}`);
      assert.equal(r.btf.name(n), input.name(id), `name of ${id}`);
    }
  }
});

test('addBtf: ids and strings remapped, foreign base refused', () => {
  const a = Btf.create();
  const i = a.addInt('int', 4, 1);
  a.addPtr(i);
  const dst = Btf.create();
  dst.addInt('long', 8, 1);
  const first = addBtf(dst, a);
  assert.equal(first, 2);
  assert.equal(dst.typeCount(), 4);
  assert.equal(dst.type(3), 2);
  assert.equal(dst.name(2), 'int');
  const other = Btf.createSplit(Btf.create());
  assert.throws(() => addBtf(dst, other), /another base/);
});
