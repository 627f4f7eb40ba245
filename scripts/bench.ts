/**
 * `npm run bench`: medians of every operation that has a target in ../shared/perf, printed
 * next to the C reference's median and the ratio (ours / reference; ≤ 1.0 meets the target).
 *
 * In-process operations are timed with performance.now() over many iterations after a
 * warm-up. Whole-process dumps run the installed command, dist/src/cli/launcher.cjs executed by
 * its '#!/usr/bin/env node' line as `btfkit dump ...` is, and bpftool v7.7.0 (`btf dump file F
 * format raw|c`; $BPFTOOL, else the oracle build in ~/.cache/btf-oracle/bin) side by side in the
 * same run, alternating, stdout to /dev/null, each timed to exit; the reference column is then
 * bpftool's median of this run (the figure of ../shared/perf when bpftool is absent). Both run
 * with NODE_EXTRA_CA_CERTS removed from their environment, as on a user's machine (Node.js reads
 * that file at start-up: ~30 ms here, where it is set).
 * `npm run bench -- --dumps [--runs N]` runs the whole-process dumps only.
 * Inputs come from the corpus (`npm run corpus`) and /sys/kernel/btf/vmlinux; operations whose
 * input is missing are reported as skipped.
 */

import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseBtf } from '../src/format/parse.js';
import { serializeBtf } from '../src/format/write.js';
import { dumpRaw } from '../src/dump/raw.js';
import { dumpC } from '../src/dump/c.js';
import { parseElf } from '../src/elf/index.js';
import { distillBase } from '../src/split/distill.js';
import { benchSplit } from './bench-split.js';
import { benchDedup } from './bench-dedup.js';
import { benchDecompression } from './bench-decomp.js';
import { benchEncode } from './bench-encode.js';
import { relocate } from '../src/split/relocate.js';
import type { Btf } from '../src/model/btf.js';
import { kernelBtfPath, modulesDir } from './corpus-paths.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'src', 'cli', 'launcher.cjs');
const HOST = '/sys/kernel/btf/vmlinux';
const BPFTOOL = [process.env.BPFTOOL, join(homedir(), '.cache', 'btf-oracle', 'bin', 'bpftool')].find((p): p is string => !!p && existsSync(p));
/** The environment of the measured processes: this one's, without NODE_EXTRA_CA_CERTS. */
const CHILD_ENV: NodeJS.ProcessEnv = { ...process.env };
delete CHILD_ENV.NODE_EXTRA_CA_CERTS;

interface Row {
  op: string;
  unit: 'us' | 'ms' | 'MB';
  median: number;
  ref?: number;
}
const rows: Row[] = [];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function timeUs(fn: () => unknown, iters: number): number {
  // Warm-up: at least 5 calls and 50 ms, so that the JIT has optimized the code and the
  // allocator is in its steady state (like the C reference's repeated runs). Without it, a
  // fresh 300 KB buffer per call (serialize xfs) is a new mmap + page faults each time, until
  // a GC frees the earlier ones and glibc raises its mmap threshold: 16-130 µs from run to run.
  const t0 = performance.now();
  for (let i = 0; i < Math.min(5, iters) || (iters > 5 && performance.now() - t0 < 50); i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < iters; i++) {
    const t = performance.now();
    fn();
    xs.push((performance.now() - t) * 1000);
  }
  return median(xs);
}

function runOnce(cmd: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: CHILD_ENV });
  const dt = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return dt;
}

/**
 * Medians (ms) of `btfkit dump FILE --format F` and, when bpftool is here, of `bpftool btf dump
 * file FILE format F`, run alternately (one warm-up run each), so both see the same machine.
 */
function timeDumpsMs(file: string, format: 'raw' | 'c', runs: number): { ours: number; bpftool?: number } {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const a = runOnce(CLI, ['dump', file, '--format', format]);
    const b = BPFTOOL ? runOnce(BPFTOOL, ['btf', 'dump', 'file', file, 'format', format]) : 0;
    if (i === 0) continue;
    ours.push(a);
    theirs.push(b);
  }
  return BPFTOOL ? { ours: median(ours), bpftool: median(theirs) } : { ours: median(ours) };
}

function addDump(what: string, file: string, format: 'raw' | 'c', runs: number, fallbackRef: number): void {
  const t = timeDumpsMs(file, format, runs);
  add(`btfkit dump ${what} format ${format} (process)`, 'ms', t.ours, t.bpftool ?? fallbackRef);
}

function add(op: string, unit: 'us' | 'ms' | 'MB', median: number, ref?: number): void {
  rows.push({ op, unit, median, ref });
  const r = ref ? `  ref ${fmt(ref)}  ratio ${(median / ref).toFixed(2)}` : '';
  console.log(`${op.padEnd(44)} ${fmt(median).padStart(10)} ${unit}${r}`);
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function readBtfSection(path: string): Uint8Array {
  const elf = parseElf(new Uint8Array(readFileSync(path)));
  const s = elf.requireSection('.BTF');
  return elf.sectionData(s).slice();
}

// libbpf / bpftool medians from ../shared/perf/README.md
const REF = {
  parseVmlinux47: 6816,
  module: {
    crc16: { path: 'lib/crc16.ko', parse: 39, serialize: 0.7 },
    xfs: { path: 'fs/xfs/xfs.ko', parse: 284, serialize: 14.5 },
    i915: { path: 'drivers/gpu/drm/i915/i915.ko', parse: 436, serialize: 24.5 },
    amdgpu: { path: 'drivers/gpu/drm/amd/amdgpu/amdgpu.ko', parse: 1331, serialize: 357 },
  },
  // whole-process dumps: only used when bpftool is not here to run side by side
  dumpRawHost: 153,
  dumpCHost: 173,
  dumpRaw47: 129,
  dumpC47: 125,
};

function main(): void {
  console.log(`whole-process dumps: reference = ${BPFTOOL ? `${BPFTOOL}, measured in this run` : 'bpftool not found: ../shared/perf medians'}`);
  const quick = process.argv.includes('--quick');
  // --dumps: the whole-process dumps only (vs bpftool), with --runs N (default 10)
  const dumpsOnly = process.argv.includes('--dumps');
  const runsArg = process.argv.indexOf('--runs');
  const iters = quick ? 5 : 51;
  const procRuns = runsArg > 0 ? Number(process.argv[runsArg + 1]) : quick ? 3 : 10;
  if (dumpsOnly) {
    for (const [what, file] of [['vmlinux-47', kernelBtfPath('6.1.0-47-amd64')], ['host vmlinux', HOST]] as const) {
      if (!existsSync(file)) continue;
      for (const format of ['raw', 'c'] as const) addDump(what, file, format, procRuns, what === 'host vmlinux' ? (format === 'c' ? REF.dumpCHost : REF.dumpRawHost) : format === 'c' ? REF.dumpC47 : REF.dumpRaw47);
    }
    return;
  }
  const v47 = kernelBtfPath('6.1.0-47-amd64');
  let base47: Btf | null = null;
  if (existsSync(v47)) {
    const bytes = new Uint8Array(readFileSync(v47));
    add('parse vmlinux-47 BTF', 'us', timeUs(() => parseBtf(bytes), iters), REF.parseVmlinux47);
    base47 = parseBtf(bytes);
    add('raw dump vmlinux-47 (in-process)', 'ms', timeUs(() => dumpRaw(base47!), Math.min(iters, 11)) / 1000);
    add('C dump vmlinux-47 (in-process)', 'ms', timeUs(() => dumpC(base47!), Math.min(iters, 11)) / 1000);
    addDump('vmlinux-47', v47, 'raw', procRuns, REF.dumpRaw47);
    addDump('vmlinux-47', v47, 'c', procRuns, REF.dumpC47);
  } else {
    console.log('skipped: corpus vmlinux-47 missing (npm run corpus)');
  }
  if (existsSync(HOST)) {
    const bytes = new Uint8Array(readFileSync(HOST));
    add('parse host vmlinux BTF', 'us', timeUs(() => parseBtf(bytes), iters));
    addDump('host vmlinux', HOST, 'raw', procRuns, REF.dumpRawHost);
    addDump('host vmlinux', HOST, 'c', procRuns, REF.dumpCHost);
  }
  if (base47) {
    const dir = modulesDir('6.1.0-47-amd64');
    for (const [name, m] of Object.entries(REF.module)) {
      const p = join(dir, m.path);
      if (!existsSync(p)) continue;
      const raw = readBtfSection(p);
      add(`parse ${name} split BTF`, 'us', timeUs(() => parseBtf(raw, { base: base47 }), iters), m.parse);
      const r = relocate(distillBase(parseBtf(raw, { base: base47 })).split, base47).btf;
      add(`serialize ${name} relocated split`, 'us', timeUs(() => { r.modified(); return serializeBtf(r); }, iters), m.serialize);
    }
    // distill and relocate (scripts/bench-split.ts): relocation "cold" = onto a freshly parsed
    // base, as each libbpf measurement is; "warm" = a base already relocated onto once.
    for (const row of benchSplit({ iterations: iters, coldIterations: quick ? 3 : 11 }) ?? []) {
      add(`distill ${row.module}`, 'us', row.distillUs, row.libbpfDistillUs);
      add(`relocate ${row.module} onto vmlinux-47 (fresh base)`, 'us', row.relocateColdUs, row.libbpfRelocateUs);
      add(`relocate ${row.module} onto vmlinux-47 (warm base)`, 'us', row.relocateUs, row.libbpfRelocateUs);
    }
  }
  for (const r of benchDedup({ runs: quick ? 1 : 5 })) add(`${r.name} (dedup only; heap +${r.heapMB.toFixed(0)} MB)`, 'ms', r.ms, r.libbpfMs);
  benchDecompression(add, { quick, cli: CLI });
  benchEncode(add, { quick, cli: CLI });
  const worst = rows.filter((r) => r.ref).map((r) => r.median / r.ref!);
  if (worst.length) console.log(`\n${worst.filter((x) => x <= 1).length}/${worst.length} operations at or below the C reference's median`);
}

main();
