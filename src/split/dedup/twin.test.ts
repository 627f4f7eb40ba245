/**
 * The dedup type stages in WebAssembly (src/accel/dedup.c btfkit_dedup_types) and in
 * JavaScript (prim.ts, struct.ts, ref.ts) are twins: on the same state they leave the same
 * canonical map and the same rewritten records, and a whole dedup gives the same bytes and id
 * map either way, or fails with the same error. Inputs: the kernel selftests' and builder
 * cases (with and without a base, libbpf failures included), the committed golden modules on
 * their distilled bases, and the running kernel's types deduplicated alone and against the
 * kernel itself. The state-level cases check that the WebAssembly stages really ran.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBtf } from '../../format/parse.js';
import { serializeBtf } from '../../format/write.js';
import { Btf } from '../../model/btf.js';
import { addBtf } from '../add.js';
import { dedupAllInWasm, dedupTypesInWasm } from '../../accel/dedup.js';
import { newState, type DedupState } from './state.js';
import { dedupPrep, dedupPrimTypes } from './prim.js';
import { dedupStructTypes } from './struct.js';
import { dedupResolveFwds, dedupRefTypes } from './ref.js';
import { dedupStrings, stringsLookDeduped } from './strings.js';
import { ownSections } from './access.js';
import { allInput, dedupWith, type DedupOptions } from './index.js';
import { builderCases, selftestBytes, type SelftestCase } from './cases.test-util.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const MODULES = join(HERE, '../../../../test/golden/modules');
const GOLDEN = join(HERE, '../../../../test/golden/dedup');
const KERNEL = '/sys/kernel/btf/vmlinux';

/** A whole dedup's bytes and id map, or its error message. */
function outcome(btf: Btf, wasm: boolean, opts: DedupOptions = {}): string {
  try {
    const r = dedupWith(btf, opts, wasm);
    return `${Buffer.from(serializeBtf(r.btf)).toString('hex')} ${Array.from(r.idMap).join(',')}`;
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

/** Every case of the golden dedup tests that dedups one object, as parsed inputs. */
function caseInputs(): Btf[] {
  const out: Btf[] = [];
  const selftests = (JSON.parse(readFileSync(join(GOLDEN, 'selftests.json'), 'utf8')) as { cases: SelftestCase[] }).cases;
  for (const c of selftests) out.push(parseBtf(selftestBytes(c)));
  for (const c of builderCases()) {
    const b = c.build();
    const base = b.base ? parseBtf(serializeBtf(b.base)) : null;
    for (const x of b.inputs) out.push(parseBtf(serializeBtf(x), { base }));
  }
  // a kept own array whose element type merges into the base and whose index type is an own
  // type renumbered (the one before it is dropped): both ids remapped in the output
  const base = Btf.create();
  base.addInt('int', 4, 1);
  const split = Btf.createSplit(base);
  const int = split.addInt('int', 4, 1);
  const long = split.addInt('long', 8, 1);
  const arr = split.addArray(long, int, 4);
  split.addStruct('s', 16);
  split.addField('a', arr, 0);
  out.push(split);
  // libbpf's reference-loop failures: a pointer to itself; a const and a pointer to each other
  const self = Btf.create();
  self.addRecord([0, 2 << 24, 1]);
  out.push(self);
  const pair = Btf.create();
  pair.addRecord([0, 10 << 24, 2]);
  pair.addRecord([0, 2 << 24, 1]);
  out.push(pair);
  return out;
}

test('dedup twins: every selftest and builder case gives the same bytes, id map or error', () => {
  const inputs = caseInputs();
  assert.ok(inputs.length >= 80);
  let errors = 0;
  for (const btf of inputs) {
    const js = outcome(btf, false);
    assert.equal(outcome(btf, true), js);
    if (js.startsWith('error:')) errors++;
  }
  // some cases are libbpf failures: the C code hands those to the JavaScript, which reports them
  assert.ok(errors > 0);
});

test('dedup twins: with the string stage skipped (dedup.c btfkit_dedup_all, the encoder\'s and merges\' path), the same bytes, id map or error', () => {
  const inputs = caseInputs();
  let ran = 0;
  for (const btf of inputs) {
    assert.equal(outcome(btf, true, { stringsDeduped: true }), outcome(btf, false, { stringsDeduped: true }));
    if (dedupAllInWasm(allInput(btf)) !== null) ran++;
  }
  // the whole dedup ran in WebAssembly for most cases (not the libbpf failures)
  assert.ok(ran > inputs.length / 2, `${ran} of ${inputs.length}`);
});


/** Runs the stages both ways on the same input; asserts the WebAssembly ones ran; returns the own types merged away. */
function compareStages(btf: Btf): number {
  const skip = stringsLookDeduped(btf);
  const prepared = (): { d: DedupState; strLen: number } => {
    const d = newState(btf);
    dedupPrep(d, skip);
    const strLen = skip ? ownSections(btf).strLen : dedupStrings(d).strLen;
    return { d, strLen };
  };
  const a = prepared();
  const ran = dedupTypesInWasm({
    w: a.d.w, off: a.d.off, kinds: a.d.kinds, map: a.d.map, start: a.d.startId, typeCount: a.d.typeCount,
    table: a.d.table.state, enumTable: a.d.enumTable.state, enumFwdNames: a.d.enumFwdNames, strLimit: btf.startStrOff + a.strLen,
  });
  assert.ok(ran, 'btfkit_dedup_types did not run');
  const b = prepared();
  dedupPrimTypes(b.d);
  dedupStructTypes(b.d);
  dedupResolveFwds(b.d);
  dedupRefTypes(b.d);
  assert.deepEqual(a.d.map, b.d.map);
  assert.deepEqual(a.d.w, b.d.w);
  let merged = 0;
  for (let id = a.d.startId; id < a.d.typeCount; id++) if (a.d.map[id] !== id) merged++;
  return merged;
}

test('dedup twins: the same map and records on the golden modules (split on their distilled bases)', () => {
  const names = readdirSync(MODULES);
  assert.ok(names.length >= 9);
  for (const m of names) {
    const base = parseBtf(new Uint8Array(readFileSync(join(MODULES, m, 'distilled_base.btf'))));
    compareStages(parseBtf(new Uint8Array(readFileSync(join(MODULES, m, 'split.btf'))), { base }));
  }
});

test('dedup twins: the running kernel alone and against itself', { skip: !existsSync(KERNEL) && `no ${KERNEL}` }, () => {
  const bytes = new Uint8Array(readFileSync(KERNEL));
  const kernel = parseBtf(bytes);
  // alone: a deduplicated kernel has nothing left to merge
  assert.equal(compareStages(kernel), 0);
  // against itself: every own type is some base type's twin; most are merged with it (not
  // the typedefs, which libbpf never merges into a base, nor what refers to them)
  const split = Btf.createSplit(kernel);
  addBtf(split, parseBtf(bytes));
  assert.ok(compareStages(split) > (kernel.typeCount() - 1) / 2);
  // and the whole dedup in one call (strings deduplicated by addBtf): the same bytes and id map
  assert.ok(dedupAllInWasm(allInput(split)) !== null);
  assert.equal(outcome(split, true, { stringsDeduped: true }), outcome(split, false, { stringsDeduped: true }));
});

test('dedup twins: a base\'s records left in WebAssembly by its parse are used only for that base', () => {
  // two bases of the same shape whose records differ (the structs' sizes); each parse leaves
  // its records in the instance's memory, at the same place
  const mk = (size: number): Btf => {
    const b = Btf.create();
    for (const n of ['s1', 's2', 's3']) b.addStruct(n, size);
    b.addInt('int', 4, 1);
    return b;
  };
  const a = parseBtf(serializeBtf(mk(4)));
  const split = Btf.createSplit(a);
  const int = split.addInt('int', 4, 1);
  split.addStruct('s2', 4);
  split.addPtr(int);
  const sa = parseBtf(serializeBtf(split), { base: a });
  const js = outcome(sa, false, { stringsDeduped: true });
  // every own type merges into a's (int, s2) or stays (the pointer, renumbered): ids 4, 2, 5
  assert.ok(js.endsWith(' 0,1,2,3,4,4,2,5'), js.slice(-40));
  // a's records are held: the dedup finds them in place
  assert.equal(outcome(sa, true, { stringsDeduped: true }), js);
  // another base parsed since: the dedup on a copies a's records again (b's s2 is 8 bytes:
  // with b's records, s2 would not merge)
  const b = parseBtf(serializeBtf(mk(8)));
  assert.equal(b.raw().nWords, a.raw().nWords);
  assert.equal(outcome(sa, true, { stringsDeduped: true }), js);
});

test('dedup twins: btfkit_dedup_all stops where its walk stack or enum table runs out of room, and the JavaScript gives the answer', { skip: !existsSync(KERNEL) && `no ${KERNEL}` }, () => {
  const bytes = new Uint8Array(readFileSync(KERNEL));
  const kernel = parseBtf(bytes);
  const split = Btf.createSplit(kernel);
  addBtf(split, parseBtf(bytes));
  const input = allInput(split);
  // the kernel against itself walks deep and enters every enum: with room for 2 frames, or for
  // 8 enum entries, the C code stops
  assert.equal(dedupAllInWasm(input, { frames: 2 }), null);
  assert.equal(dedupAllInWasm(input, { enumEntries: 8 }), null);
  // with the room dedup.ts gives, it runs to the end, as the JavaScript does
  const full = dedupAllInWasm(input);
  assert.ok(full !== null);
  const js = dedupWith(split, { stringsDeduped: true }, false);
  assert.equal(full.nTypes, js.btf.nTypes);
  assert.deepEqual(full.words.subarray(0, full.nWords), js.btf.raw().words.subarray(0, js.btf.raw().nWords));
});
