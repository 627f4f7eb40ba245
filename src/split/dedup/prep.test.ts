/**
 * dedupPrep's pass over the base in WebAssembly (accel.c btfkit_dedup_prep) and in JavaScript
 * (prim.ts prepBase) leave the same state: map, kinds, both candidate tables word for word
 * (buckets, entries, growth counters) and the enum-forward names. Inputs: the committed golden
 * modules' split BTF on their distilled bases and the dedup builder cases split on a base
 * (strings not yet deduplicated: the names come from ownNames), and every type of the running kernel added to a split BTF on that kernel
 * (strings deduplicated: the names are found in WebAssembly; every base type has an own twin,
 * so every base type is entered). Each case checks that the WebAssembly pass really ran.
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
import { dedupPrepTables } from '../../accel/dedup.js';
import { newState, type DedupState } from './state.js';
import { dedupPrep, ownNames, prepBase } from './prim.js';
import { stringsLookDeduped } from './strings.js';
import { builderCases } from './cases.test-util.js';

const MODULES = join(fileURLToPath(new URL('.', import.meta.url)), '../../../../test/golden/modules');

/** The state after the pass: everything it sets, as plain arrays. */
function snapshot(d: DedupState): Record<string, unknown> {
  const t = d.table.state;
  const e = d.enumTable.state;
  return {
    map: Array.from(d.map.subarray(0, d.startId)),
    kinds: Array.from(d.kinds.subarray(0, d.startId)),
    table: { bk: Array.from(t.bk), ents: Array.from(t.ents.subarray(0, t.top)), top: t.top, cap: t.cap, odd: t.odd, size: t.size },
    enumTable: { bk: Array.from(e.bk), ents: Array.from(e.ents.subarray(0, e.top)), top: e.top, cap: e.cap, odd: e.odd, size: e.size },
    enumFwdNames: [...d.enumFwdNames],
  };
}

function compare(btf: Btf, stringsDeduped: boolean): number {
  // the WebAssembly pass must be the one that runs here (else this compares JavaScript with itself)
  const probe = newState(btf);
  const r = dedupPrepTables({
    w: probe.w, off: probe.off, start: probe.startId, typeCount: probe.typeCount, limit: btf.startStrOff,
    names: stringsDeduped ? null : ownNames(probe, false), table: probe.table.state, enumTable: probe.enumTable.state,
  });
  assert.ok(r !== null && typeof r !== 'number', 'btfkit_dedup_prep did not run');
  const wasm = newState(btf);
  dedupPrep(wasm, stringsDeduped);
  const js = newState(btf);
  for (let id = 1; id < js.startId; id++) js.map[id] = id;
  prepBase(js, ownNames(js, stringsDeduped));
  assert.deepEqual(snapshot(wasm), snapshot(js));
  return wasm.table.state.top / 4;
}

test('dedup prep: WebAssembly and JavaScript agree on split inputs whose strings are not deduplicated', () => {
  // the golden modules' split BTF on their distilled bases, and the builder cases split on a base
  const inputs: Btf[] = [];
  for (const m of readdirSync(MODULES)) {
    const base = parseBtf(new Uint8Array(readFileSync(join(MODULES, m, 'distilled_base.btf'))));
    inputs.push(parseBtf(new Uint8Array(readFileSync(join(MODULES, m, 'split.btf'))), { base }));
  }
  for (const c of builderCases()) {
    const b = c.build();
    if (!b.base) continue;
    const base = parseBtf(serializeBtf(b.base));
    for (const x of b.inputs) inputs.push(parseBtf(serializeBtf(x), { base }));
  }
  assert.ok(inputs.length >= 30);
  let entered = 0;
  for (const btf of inputs) entered += compare(btf, stringsLookDeduped(btf));
  assert.ok(entered > 30);
});

test('dedup prep: WebAssembly and JavaScript agree on the running kernel against itself (strings deduplicated)', { skip: !existsSync('/sys/kernel/btf/vmlinux') && 'no /sys/kernel/btf/vmlinux' }, () => {
  const bytes = new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
  const kernel = parseBtf(bytes);
  const split = Btf.createSplit(kernel);
  addBtf(split, parseBtf(bytes));
  const entered = compare(split, true);
  // every base type but VAR and DATASEC is entered
  let vars = 0;
  for (let id = 1; id < kernel.typeCount(); id++) if (kernel.kind(id) === 14 || kernel.kind(id) === 15) vars++;
  assert.equal(entered, kernel.typeCount() - 1 - vars);
});
