/**
 * Kernels are parsed once and reach every thread in shared memory: the Btf a thread builds
 * reads the same SharedArrayBuffers as the main thread (no copy, no second parse), and it is
 * the same BTF as parseBtf gives.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { HOST_ENDIAN } from '../model/btf.js';
import { btfFromShared, shareBtf, unsharedBytes } from './shared-btf.js';
import { runPool } from './pool.js';
import { KernelLoader } from './pool-kernels.js';
import type { ItemResult, JobSpec } from './check-worker.js';
import { withSynthWorld } from './pool-fixtures.test-util.js';
import { findModules } from '../cli/check.js';
import { BtfkitError } from '../errors.js';

function inShared(raw: Uint8Array): Uint8Array {
  const b = new Uint8Array(new SharedArrayBuffer(raw.length));
  b.set(raw);
  return b;
}

function sameBtf(a: ReturnType<typeof parseBtf>, b: ReturnType<typeof parseBtf>): void {
  const ra = a.raw();
  const rb = b.raw();
  assert.equal(rb.nTypes, ra.nTypes);
  assert.deepEqual([...rb.offs.subarray(0, rb.nTypes)], [...ra.offs.subarray(0, ra.nTypes)]);
  assert.deepEqual([...rb.words.subarray(0, rb.nWords)], [...ra.words.subarray(0, ra.nWords)]);
  assert.deepEqual([...rb.strs.subarray(0, rb.strLen)], [...ra.strs.subarray(0, ra.strLen)]);
  assert.deepEqual(serializeBtf(b), serializeBtf(a));
  for (let id = 1; id < a.typeCount(); id++) assert.equal(b.name(id), a.name(id));
}

test('shareBtf: host-order BTF is shared in place (words and strings are views of the raw bytes), offsets in a SharedArrayBuffer', () => {
  return withSynthWorld((w) => {
    const bytes = inShared(readFileSync(w.kernelB));
    const s = shareBtf(bytes);
    assert.equal(s.endian, HOST_ENDIAN);
    assert.equal(s.words.buffer, bytes.buffer);
    assert.equal(s.strs.buffer, bytes.buffer);
    assert.ok(s.offs.buffer instanceof SharedArrayBuffer);
    assert.equal(s.offs.length, s.nTypes);
    const btf = btfFromShared(s, bytes, 4);
    assert.equal(btf.ptrSize, 4);
    assert.equal(unsharedBytes(btf), 0);
    assert.equal(btf.rawIfUnmodified(), bytes);
    const parsed = parseBtf(bytes);
    sameBtf(parsed, btf);
    // The measure sees copies: parseBtf reads host-order records and strings in place too,
    // but its offsets are an array of its own.
    assert.equal(unsharedBytes(parsed), parsed.raw().offs.byteLength);
    assert.ok(parsed.raw().offs.byteLength >= 4 * parsed.nTypes);
    assert.throws(() => shareBtf(readFileSync(w.kernelB)), TypeError);
  });
});

test('shareBtf: opposite-endian BTF gets one host-order copy of its words, in shared memory', () => {
  return withSynthWorld((w) => {
    const other = HOST_ENDIAN === 'little' ? 'big' : 'little';
    const bytes = inShared(serializeBtf(parseBtf(readFileSync(w.kernelB)), other));
    const s = shareBtf(bytes);
    assert.equal(s.endian, other);
    assert.notEqual(s.words.buffer, bytes.buffer);
    assert.ok(s.words.buffer instanceof SharedArrayBuffer);
    assert.equal(s.words.length, s.nWords);
    const btf = btfFromShared(s, bytes, 8);
    assert.equal(unsharedBytes(btf), 0);
    sameBtf(parseBtf(bytes), btf);
  });
});

test('a bad kernel BTF is reported once, by the loader, with its file named', async () => {
  return withSynthWorld(async (w) => {
    const bad = join(w.dir, 'bad.btf');
    const raw = readFileSync(w.kernelB);
    raw.writeUInt32LE(raw.readUInt32LE(8) + 2, 8); // type_off moved: libbpf refuses the header
    writeFileSync(bad, raw);
    const spec: JobSpec = { kind: 'check', kernels: [{ name: 'X', path: bad }], build: null };
    await assert.rejects(new KernelLoader().data(spec), (e: unknown) => e instanceof BtfkitError && e.code === 'BTF_HEADER' && e.where.file === bad);
  });
});

test('no thread holds a copy of a kernel: in-process and in every worker, the kernels are the shared arrays', async () => {
  return withSynthWorld(async (w) => {
    const gz = join(w.dir, 'B.btf.gz');
    writeFileSync(gz, gzipSync(readFileSync(w.kernelB)));
    const spec: JobSpec = { kind: 'check', kernels: [{ name: 'B', path: gz }, { name: 'A', path: w.kernelA }], build: w.kernelA };
    const items = findModules([w.modules]).map((module) => ({ module }));
    const verdicts: string[][] = [];
    for (const jobs of [1, 2]) {
      const out: ItemResult[] = [];
      const stats = await runPool({ spec, items, jobs, onResult: (r) => out.push(r) });
      // -1: a worker still starting when the others had done every module (a loaded machine).
      assert.equal(stats.kernelCopyBytes.length, jobs);
      assert.ok(stats.kernelCopyBytes.includes(0) && stats.kernelCopyBytes.every((n) => n === 0 || n === -1), String(stats.kernelCopyBytes));
      verdicts.push(out.map((r) => `${r.module} ${r.results.map((x) => x.status).join(' ')}`).sort());
    }
    assert.deepEqual(verdicts[1], verdicts[0]);
  });
});
