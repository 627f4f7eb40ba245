/**
 * `npm run bench`: medians of every operation that has a target in ../shared/perf, printed
 * next to the C reference's median and the ratio (ours / reference; ≤ 1.0 meets the target).
 *
 * In-process operations are timed with performance.now() over many iterations after a
 * warm-up; whole-process dumps run the installed command, dist/src/cli/launcher.cjs executed by
 * its '#!' line as `btfkit dump ...` is, and time it to exit (one more row runs it as
 * `node launcher.cjs`, which skips the bin's clearing of NODE_EXTRA_CA_CERTS).
 * Inputs come from the corpus (`npm run corpus`) and /sys/kernel/btf/vmlinux; operations whose
 * input is missing are reported as skipped.
 */

import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseBtf } from '../src/format/parse.js';
import { serializeBtf } from '../src/format/write.js';
import { dumpRaw } from '../src/dump/raw.js';
import { dumpC } from '../src/dump/c.js';
import { parseElf } from '../src/elf/index.js';
import { distillBase } from '../src/split/distill.js';
import { benchSplit } from './bench-split.js';
import { benchDecompression } from './bench-decomp.js';
import { relocate } from '../src/split/relocate.js';
import type { Btf } from '../src/model/btf.js';
import { kernelBtfPath, modulesDir } from './corpus-paths.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'src', 'cli', 'launcher.cjs');
const HOST = '/sys/kernel/btf/vmlinux';

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

function timeProcessMs(args: string[], runs: number, viaNode = false): number {
  const xs: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    const t = performance.now();
    const r = viaNode
      ? spawnSync(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
      : spawnSync(CLI, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const dt = performance.now() - t;
    if (r.status !== 0) throw new Error(`btfkit ${args.join(' ')} failed: ${r.stderr}`);
    if (i > 0) xs.push(dt);
  }
  return median(xs);
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
  dumpRawHost: 153,
  dumpCHost: 173,
  dumpRaw47: 129,
  dumpC47: 125,
};

function main(): void {
  const quick = process.argv.includes('--quick');
  const iters = quick ? 5 : 51;
  const procRuns = quick ? 3 : 10;
  const v47 = kernelBtfPath('6.1.0-47-amd64');
  let base47: Btf | null = null;
  if (existsSync(v47)) {
    const bytes = new Uint8Array(readFileSync(v47));
    add('parse vmlinux-47 BTF', 'us', timeUs(() => parseBtf(bytes), iters), REF.parseVmlinux47);
    base47 = parseBtf(bytes);
    add('raw dump vmlinux-47 (in-process)', 'ms', timeUs(() => dumpRaw(base47!), Math.min(iters, 11)) / 1000);
    add('C dump vmlinux-47 (in-process)', 'ms', timeUs(() => dumpC(base47!), Math.min(iters, 11)) / 1000);
    add('btfkit dump vmlinux-47 format raw (process)', 'ms', timeProcessMs(['dump', v47, '--format', 'raw'], procRuns), REF.dumpRaw47);
    add('btfkit dump vmlinux-47 format c (process)', 'ms', timeProcessMs(['dump', v47, '--format', 'c'], procRuns), REF.dumpC47);
  } else {
    console.log('skipped: corpus vmlinux-47 missing (npm run corpus)');
  }
  if (existsSync(HOST)) {
    const bytes = new Uint8Array(readFileSync(HOST));
    add('parse host vmlinux BTF', 'us', timeUs(() => parseBtf(bytes), iters));
    add('btfkit dump host vmlinux format raw (process)', 'ms', timeProcessMs(['dump', HOST, '--format', 'raw'], procRuns), REF.dumpRawHost);
    add('btfkit dump host vmlinux format c (process)', 'ms', timeProcessMs(['dump', HOST, '--format', 'c'], procRuns), REF.dumpCHost);
    const extraCa = process.env.NODE_EXTRA_CA_CERTS ? 'NODE_EXTRA_CA_CERTS set' : 'NODE_EXTRA_CA_CERTS unset';
    add(`  same, as node launcher.cjs (${extraCa})`, 'ms', timeProcessMs(['dump', HOST, '--format', 'c'], procRuns, true));
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
  benchDecompression(add, { quick, cli: CLI });
  const worst = rows.filter((r) => r.ref).map((r) => r.median / r.ref!);
  if (worst.length) console.log(`\n${worst.filter((x) => x <= 1).length}/${worst.length} operations at or below the C reference's median`);
}

main();
