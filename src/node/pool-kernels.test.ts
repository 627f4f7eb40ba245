/**
 * Kernels that must be unpacked are read in a loader thread of their own (pool-kernels.ts):
 * the same bytes and the same verdicts as a plain kernel, and its errors arrive as the
 * BtfkitError the loader raised, with the file named.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runPool } from './pool.js';
import { loadKernelData } from './pool-kernels.js';
import type { ItemResult, JobSpec } from './check-worker.js';
import { BtfkitError, Errno } from '../errors.js';
import { makeSynthWorld } from './pool-fixtures.test-util.js';
import { findModules } from '../cli/check.js';

async function verdicts(spec: JobSpec, modules: string[], jobs: number): Promise<string[]> {
  const out: ItemResult[] = [];
  await runPool({ spec, items: modules.map((module) => ({ module })), jobs, onResult: (r) => out.push(r) });
  return out.map((r) => `${r.module} ${r.results.map((x) => `${x.status}:${x.reasons.map((y) => y.type).join(',')}`).join(' ')}`).sort();
}

test('a compressed kernel is unpacked in a loader thread: same BTF bytes (shared), same verdicts', async () => {
  const w = makeSynthWorld();
  try {
    const gz = join(w.dir, 'B.btf.gz');
    writeFileSync(gz, gzipSync(readFileSync(w.kernelB)));
    const plain: JobSpec = { kind: 'check', kernels: [{ name: 'B', path: w.kernelB }], build: w.kernelA };
    const packed: JobSpec = { kind: 'check', kernels: [{ name: 'B', path: gz }], build: w.kernelA };
    const [a, b] = [await loadKernelData(plain), await loadKernelData(packed)];
    assert.equal(b.length, 2);
    assert.deepEqual([...b[1]!.bytes], [...a[1]!.bytes]);
    assert.ok(b[1]!.bytes.buffer instanceof SharedArrayBuffer);
    assert.equal(b[1]!.path, gz);
    const modules = findModules([w.modules]);
    for (const jobs of [1, 2]) assert.deepEqual(await verdicts(packed, modules, jobs), await verdicts(plain, modules, jobs));
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test("a loader thread's error is the BtfkitError it raised, with the file named", async () => {
  const w = makeSynthWorld();
  try {
    const bad = join(w.dir, 'bad.btf.gz');
    const g = gzipSync(readFileSync(w.kernelB));
    writeFileSync(bad, g.subarray(0, g.length >> 1)); // truncated deflate data
    const spec: JobSpec = { kind: 'check', kernels: [{ name: 'X', path: bad }], build: null };
    await assert.rejects(loadKernelData(spec), (e: unknown) => e instanceof BtfkitError && e.code === 'IMAGE' && e.errno === Errno.EIO && e.where.file === bad && /truncated gzip/.test(e.message));
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});
