/**
 * Kernels that must be unpacked are read in a loader thread of their own (pool-kernels.ts):
 * the same bytes and the same verdicts as a plain kernel, and its errors arrive as the
 * BtfkitError the loader raised, with the file named. One KernelLoader per run reads each
 * kernel file once for the configuration lookup and the pool.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { runPool } from './pool.js';
import { KernelLoader, loadKernelData } from './pool-kernels.js';
import { buildElf } from '../elf/synth.js';
import { findKernelConfig, readConfigFile } from '../cli/kconfig.js';
import type { ItemResult, JobSpec } from './check-worker.js';
import { BtfkitError, Errno } from '../errors.js';
import { withSynthWorld } from './pool-fixtures.test-util.js';
import { findModules } from '../cli/check.js';

async function verdicts(spec: JobSpec, modules: string[], jobs: number): Promise<string[]> {
  const out: ItemResult[] = [];
  await runPool({ spec, items: modules.map((module) => ({ module })), jobs, onResult: (r) => out.push(r) });
  return out.map((r) => `${r.module} ${r.results.map((x) => `${x.status}:${x.reasons.map((y) => y.type).join(',')}`).join(' ')}`).sort();
}

test('a compressed kernel is unpacked in a loader thread: same BTF bytes (shared), same verdicts', async () => {
  return withSynthWorld(async (w) => {
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
  });
});

test("a loader thread's error is the BtfkitError it raised, with the file named", async () => {
  return withSynthWorld(async (w) => {
    const bad = join(w.dir, 'bad.btf.gz');
    const g = gzipSync(readFileSync(w.kernelB));
    writeFileSync(bad, g.subarray(0, g.length >> 1)); // truncated deflate data
    const spec: JobSpec = { kind: 'check', kernels: [{ name: 'X', path: bad }], build: null };
    await assert.rejects(loadKernelData(spec), (e: unknown) => e instanceof BtfkitError && e.code === 'IMAGE' && e.errno === Errno.EIO && e.where.file === bad && /truncated gzip/.test(e.message));
  });
});

/** A vmlinux ELF embedding `config` (CONFIG_IKCONFIG) and, when given, `.BTF`. */
function vmlinuxWith(config: string, btf: Uint8Array | null): Uint8Array {
  const enc = new TextEncoder();
  const parts = [enc.encode('IKCFG_ST'), gzipSync(enc.encode(config)), enc.encode('IKCFG_ED')];
  const rodata = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let off = 0;
  for (const b of parts) {
    rodata.set(b, off);
    off += b.length;
  }
  const sections = [{ name: '.rodata', type: 1, flags: 2, data: rodata, align: 8 }, ...(btf ? [{ name: '.BTF', type: 1, data: btf, align: 4 }] : [])];
  return buildElf({ class: 64, littleEndian: true, type: 2, machine: 62, sections }).bytes;
}

test('one KernelLoader: a packed kernel\'s configuration and BTF come from one load (the file is read once)', async () => {
  return withSynthWorld(async (w) => {
    const cfg = 'CONFIG_DEBUG_INFO_BTF_MODULES=y\n# CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set\n';
    const packed = join(w.dir, 'vmlinux.gz');
    writeFileSync(packed, gzipSync(vmlinuxWith(cfg, readFileSync(w.kernelB))));
    const loader = new KernelLoader();
    assert.deepEqual(await findKernelConfig(packed, undefined, loader), { allowBtfMismatch: false, btfModules: true, source: `embedded in ${packed} (CONFIG_IKCONFIG)` });
    // Gone after the configuration lookup: the pool's kernels come from the same load.
    rmSync(packed);
    const spec: JobSpec = { kind: 'check', kernels: [{ name: 'V', path: packed }], build: null };
    const [d] = await loader.data(spec);
    assert.deepEqual([...d!.bytes], [...readFileSync(w.kernelB)]);
    assert.ok(d!.bytes.buffer instanceof SharedArrayBuffer);
    assert.equal((await loader.load(packed)).data, d);
    // A new loader reads the file again (and reports that it is gone).
    await assert.rejects(new KernelLoader().data(spec), (e: unknown) => e instanceof BtfkitError && e.code === 'IO' && e.where.file === packed);
  });
});

test('KernelLoader: an image without .BTF still gives its configuration (--config IMAGE); its BTF is an error only when asked for', async () => {
  return withSynthWorld(async (w) => {
    const cfg = 'CONFIG_DEBUG_INFO_BTF_MODULES=y\nCONFIG_MODULE_ALLOW_BTF_MISMATCH=y\n';
    const packed = join(w.dir, 'vmlinux-nobtf.gz');
    writeFileSync(packed, gzipSync(vmlinuxWith(cfg, null)));
    const loader = new KernelLoader();
    assert.deepEqual(await readConfigFile(packed, loader), { allowBtfMismatch: true, btfModules: true, source: `embedded in ${packed} (CONFIG_IKCONFIG)` });
    const spec: JobSpec = { kind: 'check', kernels: [{ name: 'V', path: packed }], build: null };
    await assert.rejects(loader.data(spec), (e: unknown) => e instanceof BtfkitError && e.code === 'ELF_NO_SECTION' && /\.BTF/.test(e.message));
  });
});
