/**
 * The worker pool: the same verdicts as in-process, errors as results (never a crash), a dying
 * worker turned into an 'error' result for its module only, kernel load failures reported,
 * and the distill job over a tree. Synthetic modules always; real 6.1.0-47 modules when the
 * corpus is present.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPool, batchSize } from './pool.js';
import type { ItemResult, JobSpec } from './check-worker.js';
import { BtfkitError } from '../errors.js';
import { openInput, elfSection } from './load.js';
import { withSynthWorld, corpusKernel, corpusModules47 } from './pool-fixtures.test-util.js';
import { findModules } from '../cli/check.js';

async function collect(spec: JobSpec, modules: string[], jobs: number, extra: { maxBatch?: number } = {}): Promise<{ out: ItemResult[]; stats: Awaited<ReturnType<typeof runPool>> }> {
  const out: ItemResult[] = [];
  const stats = await runPool({ spec, items: modules.map((module) => ({ module })), jobs, onResult: (r) => out.push(r), ...extra });
  out.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : 0));
  return { out, stats };
}

test('batchSize: guided, between 1 and maxBatch', () => {
  assert.equal(batchSize(4022, 2, 16), 16);
  assert.equal(batchSize(40, 2, 16), 5);
  assert.equal(batchSize(3, 2, 16), 1);
  assert.equal(batchSize(0, 2, 16), 1);
  assert.equal(batchSize(1000, 4, 8), 8);
});

test('pool over synthetic modules: same verdicts with 2 workers as in-process; bad files are error results', async () => {
  return withSynthWorld(async (w) => {
    const modules = findModules([w.modules]);
    assert.deepEqual(modules.map((m) => m.slice(w.modules.length + 1)), ['gone.ko', 'junk.ko', 'ok.ko', 'sub/dev.ko', 'sub/ok2.ko.gz']);
    const spec: JobSpec = { kind: 'check', kernels: [{ name: 'A', path: w.kernelA }, { name: 'B', path: w.kernelB }], build: w.kernelA };
    const seq = await collect(spec, modules, 1);
    const par = await collect(spec, modules, 2, { maxBatch: 2 });
    assert.equal(seq.stats.workers, 0);
    assert.equal(par.stats.workers, 2);
    assert.deepEqual(par.out, seq.out);
    const verdict = (r: ItemResult): string => r.results.map((x) => `${x.kernel}:${x.status}`).join(' ');
    const byName = new Map(par.out.map((r) => [r.module.slice(w.modules.length + 1), r]));
    assert.equal(verdict(byName.get('ok.ko')!), 'A:ok B:ok');
    assert.equal(verdict(byName.get('sub/ok2.ko.gz')!), 'A:ok B:ok');
    assert.equal(verdict(byName.get('sub/dev.ko')!), 'A:ok B:failed');
    assert.equal(byName.get('sub/dev.ko')!.results[1]!.reasons[0]!.type, 'struct device');
    assert.equal(byName.get('sub/dev.ko')!.results[1]!.reasons[0]!.problem, 'size');
    assert.equal(verdict(byName.get('gone.ko')!), 'A:ok B:failed');
    assert.equal(byName.get('gone.ko')!.results[1]!.reasons[0]!.type, 'struct gone');
    assert.equal(byName.get('gone.ko')!.results[1]!.reasons[0]!.problem, 'missing');
    const junk = byName.get('junk.ko')!;
    assert.equal(verdict(junk), 'A:error B:error');
    assert.match(junk.results[0]!.reasons[0]!.detail, /junk\.ko/);
    assert.ok(par.stats.peakRss > 0 && par.stats.peakHeap.length === 3);

    // A missing module is an error result too, not a rejection.
    const missing = await collect(spec, [join(w.modules, 'nope.ko'), modules[2]!], 2);
    assert.equal(missing.out[0]!.results[0]!.status, 'error');
    assert.match(missing.out[0]!.results[0]!.reasons[0]!.detail, /no such file/);
    assert.equal(missing.out[1]!.results[0]!.status, 'ok');
  });
});

test('pool: a worker that dies becomes an error result for its module only', async () => {
  return withSynthWorld(async (w) => {
    const modules = findModules([w.modules]).filter((m) => !m.endsWith('junk.ko'));
    const spec: JobSpec = { kind: 'check', kernels: [{ name: 'A', path: w.kernelA }], build: w.kernelA, testCrashOn: 'dev.ko' };
    const { out, stats } = await collect(spec, modules, 2, { maxBatch: 4 });
    assert.equal(out.length, modules.length);
    assert.ok(stats.crashes >= 1, `crashes: ${stats.crashes}`);
    for (const r of out) {
      if (r.module.endsWith('dev.ko')) {
        assert.equal(r.results[0]!.status, 'error');
        assert.equal(r.results[0]!.reasons[0]!.problem, 'crash');
        assert.match(r.results[0]!.reasons[0]!.detail, /worker thread died/);
      } else {
        assert.equal(r.results[0]!.status, 'ok', r.module);
      }
    }
    // In-process, the same hook is an exception inside the job: an error result as well.
    const seq = await collect(spec, modules, 1);
    assert.equal(seq.out.filter((r) => r.results[0]!.status === 'error').length, 1);
  });
});

test('pool: a kernel that cannot be loaded rejects the run with its file named', async () => {
  return withSynthWorld(async (w) => {
    const modules = findModules([w.modules]);
    const spec: JobSpec = { kind: 'check', kernels: [{ name: 'X', path: join(w.dir, 'missing.btf') }], build: null };
    for (const jobs of [1, 2]) {
      await assert.rejects(collect(spec, modules, jobs), (e: unknown) => e instanceof BtfkitError && /missing\.btf/.test(e.describe()));
    }
  });
});

test('pool: distill job mirrors a tree, skips distilled modules, checks the results', async () => {
  return withSynthWorld(async (w) => {
    const modules = findModules([w.modules]);
    const outDir = join(w.dir, 'out');
    const spec: JobSpec = { kind: 'distill', base: w.kernelA, kernels: [{ name: 'B', path: w.kernelB }] };
    const out: ItemResult[] = [];
    await runPool({ spec, items: modules.map((m) => ({ module: m, dest: join(outDir, m.slice(w.modules.length + 1)) })), jobs: 2, onResult: (r) => out.push(r) });
    const st = new Map(out.map((r) => [r.module.slice(w.modules.length + 1), r]));
    assert.equal(st.get('junk.ko')!.distill!.status, 'error');
    for (const n of ['ok.ko', 'gone.ko', 'sub/dev.ko', 'sub/ok2.ko.gz']) assert.equal(st.get(n)!.distill!.status, 'distilled', n);
    assert.equal(st.get('sub/ok2.ko.gz')!.distill!.dest, join(outDir, 'sub', 'ok2.ko'));
    assert.ok(existsSync(join(outDir, 'sub', 'ok2.ko')));
    const inp = await openInput(join(outDir, 'sub', 'dev.ko'));
    assert.ok(elfSection(inp, '.BTF.base'));
    assert.equal(st.get('sub/dev.ko')!.results[0]!.status, 'failed');
    assert.equal(st.get('ok.ko')!.results[0]!.status, 'ok');

    // Second pass over the output, in place: everything is already distilled.
    const again: ItemResult[] = [];
    const outMods = findModules([outDir]);
    await runPool({ spec, items: outMods.map((m) => ({ module: m, dest: null })), jobs: 1, onResult: (r) => again.push(r) });
    assert.deepEqual(again.map((r) => r.distill!.status), outMods.map(() => 'skipped'));

    // In place refuses compressed modules, per module.
    const gz: ItemResult[] = [];
    await runPool({ spec, items: [{ module: join(w.modules, 'sub', 'ok2.ko.gz'), dest: null }], jobs: 1, onResult: (r) => gz.push(r) });
    assert.equal(gz[0]!.distill!.status, 'error');
    assert.match(gz[0]!.distill!.detail, /compressed module in place/);
  });
});

const K47 = corpusKernel('6.1.0-47-amd64');
const K55 = corpusKernel('6.1.0-55-amd64');
const KCLOUD = corpusKernel('6.1.0-55-cloud-amd64');
const MODS = corpusModules47();
const REAL = ['lib/crc16.ko', 'drivers/hid/hid-holtek-kbd.ko', 'net/netfilter/nf_tables.ko', 'net/ipv4/tcp_bbr.ko', 'drivers/i2c/busses/i2c-ccgx-ucsi.ko', 'drivers/net/usb/pegasus.ko', 'fs/fat/vfat.ko', 'drivers/powercap/intel_rapl_common.ko'];
const haveReal = !!(K47 && K55 && KCLOUD && MODS && REAL.every((m) => existsSync(join(MODS, m))));

test('pool over real 6.1.0-47 modules: 2 workers give exactly the in-process results', { skip: haveReal ? false : 'corpus absent (npm run corpus)' }, async () => {
  const modules = REAL.map((m) => join(MODS!, m));
  const spec: JobSpec = { kind: 'check', kernels: [{ name: '6.1.0-55', path: K55! }, { name: '6.1.0-55-cloud', path: KCLOUD! }], build: K47! };
  const seq = await collect(spec, modules, 1);
  const par = await collect(spec, modules, 2, { maxBatch: 1 });
  assert.deepEqual(par.out, seq.out);
  const v = (m: string): string => par.out.find((r) => r.module.endsWith(m))!.results.map((r) => r.status).join('/');
  assert.equal(v('crc16.ko'), 'ok/ok');
  assert.equal(v('hid-holtek-kbd.ko'), 'failed/failed');
  assert.equal(v('i2c-ccgx-ucsi.ko'), 'ok/failed');
  assert.equal(v('intel_rapl_common.ko'), 'failed/ok');
  void readFileSync;
});
