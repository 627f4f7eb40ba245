/**
 * `npm run bench:corpus`: a whole kernel's modules, end to end, on the worker pool.
 *
 * All 4022 modules of Debian 6.1.0-47 (the `.ko` files) are distilled in memory against their
 * vmlinux BTF and checked against 6.1.0-55 and 6.1.0-55-cloud through the code path of
 * `btfkit check DIR --build-kernel V47 -k 6.1.0-55=V55 -k 6.1.0-55-cloud=V55cloud --jobs N
 * --json FILE` (parseCheckArgs + runCheck + the JSON write). Each measured run is a fresh
 * child process, so peak memory is that run's own: the process's maximum RSS (main thread and
 * worker threads share one process), the peak JS heap of each thread, and the RSS every 10%
 * of the way (flat = memory does not grow with the number of modules). Every verdict is
 * compared with libbpf's in the golden TSV: same ok/fail, and each failure's reasons name
 * the type libbpf named. Target (../shared/perf): faster than libbpf in one process (7.06 s).
 *
 * A run over every 4th module only gives the peak RSS for a quarter of the modules; and an
 * in-process probe (node --expose-gc, text mode as `btfkit check DIR` without --json) measures
 * the live memory after a full GC every 500 modules: what is retained, as opposed to garbage
 * V8 has not collected yet. Flat = memory does not grow with the number of modules.
 *
 * Options: --jobs N (default 2), --runs N (default 3), --seq (also one in-process run),
 * --out FILE (the figures as JSON).
 */

import { cacheDir, goldenDir } from '../src/testing/fixtures.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { findModules, parseCheckArgs, runCheck } from '../src/cli/check.js';
import { writeFileAtomic } from '../src/node/files.js';
import type { CheckReport } from '../src/kernel/report.js';
import { hasCorpus, kernelBtfPath, modulesDir } from './corpus-paths.js';

const LIBBPF_SINGLE_PROCESS_S = 7.06;
const CACHE = cacheDir();
const REPO = fileURLToPath(new URL('../../', import.meta.url));

function firstExisting(...c: string[]): string {
  for (const p of c) if (existsSync(p)) return p;
  throw new Error(`none of these exist: ${c.join(', ')} (run npm run corpus)`);
}

function inputs(): { k47: string; k55: string; kcloud: string; mods: string; golden: string } {
  const k = (v: string): string => firstExisting(...(hasCorpus(v) ? [kernelBtfPath(v)] : []), join(CACHE, 'vmlinux', `${v}.btf`));
  return {
    k47: k('6.1.0-47-amd64'),
    k55: k('6.1.0-55-amd64'),
    kcloud: k('6.1.0-55-cloud-amd64'),
    mods: firstExisting(...(hasCorpus('6.1.0-47-amd64') ? [modulesDir('6.1.0-47-amd64')] : []), join(CACHE, 'x', 'linux-image-6.1.0-47-amd64-unsigned_6.1.170-3_amd64', 'lib', 'modules', '6.1.0-47-amd64', 'kernel')),
    golden: firstExisting(join(goldenDir() ?? join(REPO, '..', 'shared', 'golden'), 'modules-6.1.0-47.tsv.gz')),
  };
}

interface Verification {
  results: number;
  agree: number;
  disagree: string[];
  failures: number;
  typeNamed: number;
  typeNotNamed: string[];
}

function verify(rep: CheckReport, mods: string, goldenPath: string): Verification {
  const lines = gunzipSync(readFileSync(goldenPath)).toString('utf8').split('\n').filter(Boolean);
  const head = lines[0]!.split('\t');
  const col = (name: string): number => head.indexOf(name);
  const golden = new Map<string, string[]>();
  for (const l of lines.slice(1)) {
    const c = l.split('\t');
    golden.set(c[0]!, c);
  }
  const v: Verification = { results: 0, agree: 0, disagree: [], failures: 0, typeNamed: 0, typeNotNamed: [] };
  for (const r of rep.results) {
    v.results++;
    const rel = r.module.slice(mods.length + 1);
    const g = golden.get(rel);
    if (!g) {
      v.disagree.push(`${rel}: not in the golden TSV`);
      continue;
    }
    const status = g[col(`${r.kernel}.status`)];
    const error = g[col(`${r.kernel}.error`)] ?? '';
    const ours = r.status === 'ok' ? 'ok' : r.status === 'failed' ? 'fail' : r.status;
    if (ours !== status) {
      v.disagree.push(`${rel} on ${r.kernel}: btfkit ${r.status}, libbpf ${status} ${error}`);
      continue;
    }
    v.agree++;
    if (status === 'fail') {
      v.failures++;
      const type = /type '([^']*)'/.exec(error)?.[1] ?? '';
      if (r.reasons.some((x) => x.type === type || x.type.endsWith(` ${type}`))) v.typeNamed++;
      else v.typeNotNamed.push(`${rel} on ${r.kernel}: libbpf '${type}', btfkit ${r.reasons.map((x) => x.type).join(', ')}`);
    }
  }
  return v;
}

interface ChildFigures {
  jobs: number;
  modules: number;
  wallMs: number;
  peakRss: number;
  peakHeap: number[];
  rssTimeline: [number, number][];
  kernels: CheckReport['kernels'];
  topTypes: CheckReport['topTypes'];
  verification: Verification;
}

/** The live-memory probe: text mode, in-process, a full GC every 500 modules. */
async function gcProbe(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  const inp = inputs();
  const o = parseCheckArgs([inp.mods], { 'build-kernel': inp.k47, kernel: [`6.1.0-55=${inp.k55}`, `6.1.0-55-cloud=${inp.kcloud}`], jobs: '1', quiet: true });
  const live: [number, number, number][] = [];
  o.onItem = (_r, done) => {
    if (done % 500 === 0) {
      gc();
      const m = process.memoryUsage();
      live.push([done, m.heapUsed, m.arrayBuffers]);
    }
  };
  await runCheck(o);
  process.stdout.write(JSON.stringify(live) + '\n');
}

/** One measured run (in a child process); `stride` > 1 checks every stride-th module only. */
async function child(jobs: number, stride: number): Promise<void> {
  const inp = inputs();
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-bench-'));
  const json = join(dir, 'report.json');
  try {
    const t0 = performance.now();
    const paths = stride > 1 ? findModules([inp.mods]).filter((_, i) => i % stride === 0) : [inp.mods];
    const o = parseCheckArgs(paths, {
      'build-kernel': inp.k47,
      kernel: [`6.1.0-55=${inp.k55}`, `6.1.0-55-cloud=${inp.kcloud}`],
      jobs: String(jobs),
      json,
      quiet: true,
    });
    const timeline: [number, number][] = [];
    let nextPct = 10;
    o.onItem = (_r, done, total) => {
      if (done * 100 >= nextPct * total) {
        timeline.push([nextPct, process.memoryUsage().rss]);
        nextPct += 10;
      }
    };
    const run = await runCheck(o);
    const all = run.report.report();
    writeFileAtomic(json, new TextEncoder().encode(JSON.stringify(all, null, 2) + '\n'));
    const wallMs = performance.now() - t0;
    const peakRss = Math.max(run.stats.peakRss, process.resourceUsage().maxRSS * 1024);
    const fig: ChildFigures = {
      jobs,
      modules: run.modules,
      wallMs,
      peakRss,
      peakHeap: run.stats.peakHeap,
      rssTimeline: timeline,
      kernels: all.kernels,
      topTypes: all.topTypes,
      verification: verify(all, inp.mods, inp.golden),
    };
    process.stdout.write(JSON.stringify(fig) + '\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (b: number): string => `${(b / 1048576).toFixed(0)} MB`;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function spawnRun(jobs: number, stride = 1): { fig: ChildFigures; processMs: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', '--jobs', String(jobs), '--stride', String(stride)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const processMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bench child failed (${r.status}): ${r.stderr}`);
  return { fig: JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildFigures, processMs };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (name: string, def: string): string => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : def;
  };
  const jobs = Number(opt('--jobs', '2'));
  if (argv.includes('--gc-probe')) return gcProbe();
  if (argv.includes('--child')) return child(jobs, Number(opt('--stride', '1')));
  const runs = Number(opt('--runs', '3'));
  const out = argv.includes('--out') ? opt('--out', '') : '';
  const inp = inputs();
  console.log(`bench:corpus — Debian 6.1.0-47 modules (${inp.mods}), distilled against 6.1.0-47, checked against 6.1.0-55 and 6.1.0-55-cloud`);
  console.log(`code path: btfkit check DIR --build-kernel V47 -k 6.1.0-55=V55 -k 6.1.0-55-cloud=V55cloud --jobs ${jobs} --json FILE`);
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (other work on the machine slows the parallel runs most)\n`);
  const report = (label: string, res: { fig: ChildFigures; processMs: number }[]): ChildFigures => {
    const f = res[0]!.fig;
    const walls = res.map((r) => r.fig.wallMs / 1000);
    const procs = res.map((r) => r.processMs / 1000);
    const rss = res.map((r) => r.fig.peakRss);
    console.log(`${label}: ${f.modules} modules × 2 kernels, ${res.length} run${res.length === 1 ? '' : 's'}`);
    console.log(`  wall (pool start to JSON written): min ${Math.min(...walls).toFixed(2)} / median ${median(walls).toFixed(2)} / max ${Math.max(...walls).toFixed(2)} s` +
      ` — libbpf one process: ${LIBBPF_SINGLE_PROCESS_S} s, ratio ${(median(walls) / LIBBPF_SINGLE_PROCESS_S).toFixed(2)}`);
    console.log(`  whole process (node start to exit): median ${median(procs).toFixed(2)} s`);
    console.log(`  peak RSS (main + worker threads, one process): median ${mb(median(rss))}, max ${mb(Math.max(...rss))}`);
    console.log(`  peak JS heap per thread [main, workers…]: ${f.peakHeap.map(mb).join(', ')}`);
    console.log(`  RSS every 10%: ${f.rssTimeline.map(([p, r]) => `${p}% ${mb(r)}`).join(' · ')}`);
    for (const k of f.kernels) console.log(`  ${k.name}: ${k.ok} ok / ${k.failed} fail / ${k.notDistilled} not distilled / ${k.errors} errors`);
    const top = f.topTypes.filter((t, i, a) => a.findIndex((x) => x.kernel === t.kernel) + 3 > i);
    console.log(`  top types: ${top.map((t) => `${t.kernel} ${t.type} ${t.modules}`).join('; ')}`);
    const v = f.verification;
    console.log(`  verdicts agreeing with libbpf: ${v.agree}/${v.results}; failures naming libbpf's type: ${v.typeNamed}/${v.failures}`);
    for (const d of [...v.disagree, ...v.typeNotNamed].slice(0, 10)) console.log(`    ${d}`);
    return f;
  };
  const results: Record<string, unknown> = {};
  spawnRun(jobs); // warm-up: file cache, JIT-independent (a fresh process each run)
  const par = Array.from({ length: runs }, () => spawnRun(jobs));
  const f = report(`--jobs ${jobs}`, par);
  results[`jobs${jobs}`] = par.map((r) => ({ ...r.fig, processMs: r.processMs }));
  if (argv.includes('--seq')) {
    const seq = [spawnRun(1)];
    report('--jobs 1 (in-process)', seq);
    results.jobs1 = seq.map((r) => ({ ...r.fig, processMs: r.processMs }));
  }
  const quarter = spawnRun(jobs, 4);
  const full = par.map((r) => r.fig.peakRss);
  console.log(`memory vs number of modules (--jobs ${jobs}): ${quarter.fig.modules} modules → peak RSS ${mb(quarter.fig.peakRss)}; ${f.modules} modules → ${mb(median(full))} (median)`);
  results.quarter = { ...quarter.fig, processMs: quarter.processMs };
  const probe = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--gc-probe'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error(`gc probe failed: ${probe.stderr}`);
  const live = JSON.parse(probe.stdout.trim().split('\n').pop()!) as [number, number, number][];
  console.log(`live memory after a full GC (in-process, text mode): ${live.map(([n, h, ab]) => `${n}: ${mb(h)}+${mb(ab)}`).join(' · ')}  (JS heap + array buffers)`);
  results.liveAfterGc = live;
  if (out) writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  const v = f.verification;
  const ok = v.disagree.length === 0 && v.typeNotNamed.length === 0;
  console.log(`\n${ok ? 'PASS' : 'FAIL'}: ${v.agree}/${v.results} verdicts agree, ${v.typeNamed}/${v.failures} failures name libbpf's type`);
  if (!ok) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
