/**
 * Benchmarks of distill and relocate (issue 4), comparable with the libbpf v1.7.0 figures in
 * /work/shared/perf/README.md: medians in microseconds over 51 iterations, vmlinux-47 parsed
 * beforehand, for crc16, xfs, i915 and amdgpu.
 *
 * - distill: distillBase() of the module's .BTF parsed as split on vmlinux-47.
 * - relocate: relocate() of the golden split.btf (over distilled_base.btf) onto vmlinux-47,
 *   warm: the base object has been relocated onto before, so its cached name index is reused
 *   (the normal case when many modules are relocated onto one running kernel).
 * - relocateCold: the first relocation onto a freshly parsed base object (includes building
 *   that index, the equivalent of libbpf's walk over all base types); 11 iterations.
 *
 *   import { benchSplit } from './bench-split.js'   // returns the medians
 *   node dist/scripts/bench-split.js                // prints a table
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseBtf } from '../src/format/parse.js';
import { distillBase } from '../src/split/distill.js';
import { relocate } from '../src/split/relocate.js';
import { elfSection, GOLDEN, MODULE_DIR, vmlinuxPath } from './split-corpus.js';

export const BENCH_MODULES: Record<string, string> = {
  crc16: 'lib/crc16.ko',
  xfs: 'fs/xfs/xfs.ko',
  i915: 'drivers/gpu/drm/i915/i915.ko',
  amdgpu: 'drivers/gpu/drm/amd/amdgpu/amdgpu.ko',
};

/** libbpf v1.7.0 medians (µs) from /work/shared/perf/README.md. */
export const LIBBPF_US: Record<string, { distill: number; relocate: number }> = {
  crc16: { distill: 187, relocate: 1198 },
  xfs: { distill: 2624, relocate: 1917 },
  i915: { distill: 4839, relocate: 2323 },
  amdgpu: { distill: 18006, relocate: 5346 },
};

export interface SplitBenchRow {
  module: string;
  /** Medians in microseconds. */
  distillUs: number;
  relocateUs: number;
  relocateColdUs: number;
  libbpfDistillUs: number;
  libbpfRelocateUs: number;
}

export interface SplitBenchOptions {
  iterations?: number;
  coldIterations?: number;
  modules?: string[];
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1]!;
}

function time(fn: () => void, n: number): number[] {
  const t: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    fn();
    t.push((performance.now() - a) * 1000);
  }
  return t;
}

/** Runs the benchmark; null when the corpus (npm run corpus) is absent. */
export function benchSplit(opts: SplitBenchOptions = {}): SplitBenchRow[] | null {
  const iters = opts.iterations ?? 51;
  const cold = opts.coldIterations ?? 11;
  const vmPath = vmlinuxPath('6.1.0-47');
  if (!existsSync(vmPath) || !existsSync(MODULE_DIR)) return null;
  const vmBytes = new Uint8Array(readFileSync(vmPath));
  const base = parseBtf(vmBytes);
  const rows: SplitBenchRow[] = [];
  for (const m of opts.modules ?? Object.keys(BENCH_MODULES)) {
    const sec = elfSection(new Uint8Array(readFileSync(join(MODULE_DIR, BENCH_MODULES[m]!))), '.BTF');
    if (!sec) throw new Error(`${m}: no .BTF section`);
    const split = parseBtf(sec, { base });
    const db = parseBtf(new Uint8Array(readFileSync(join(GOLDEN, 'modules', m, 'distilled_base.btf'))));
    const sp = parseBtf(new Uint8Array(readFileSync(join(GOLDEN, 'modules', m, 'split.btf'))), { base: db });
    // warm-up (JIT), then measure
    time(() => distillBase(split), 5);
    const d = median(time(() => distillBase(split), iters));
    time(() => relocate(sp, base), 5);
    const r = median(time(() => relocate(sp, base), iters));
    const coldT: number[] = [];
    for (let i = 0; i < cold; i++) {
      const fresh = parseBtf(vmBytes);
      const a = performance.now();
      relocate(sp, fresh);
      coldT.push((performance.now() - a) * 1000);
    }
    rows.push({
      module: m,
      distillUs: d,
      relocateUs: r,
      relocateColdUs: median(coldT),
      libbpfDistillUs: LIBBPF_US[m]?.distill ?? NaN,
      libbpfRelocateUs: LIBBPF_US[m]?.relocate ?? NaN,
    });
  }
  return rows;
}

/** A printable table of the rows, with ratios against libbpf (< 1 = faster). */
export function formatSplitBench(rows: SplitBenchRow[]): string {
  const out = ['module    distill µs (libbpf, ratio)      relocate µs warm / cold (libbpf, ratio warm / cold)'];
  for (const r of rows) {
    const f = (x: number): string => x.toFixed(0);
    out.push(
      `${r.module.padEnd(9)} ${f(r.distillUs).padStart(7)} (${f(r.libbpfDistillUs)}, ${(r.distillUs / r.libbpfDistillUs).toFixed(2)})`.padEnd(42) +
        `${f(r.relocateUs)} / ${f(r.relocateColdUs)} (${f(r.libbpfRelocateUs)}, ${(r.relocateUs / r.libbpfRelocateUs).toFixed(2)} / ${(r.relocateColdUs / r.libbpfRelocateUs).toFixed(2)})`,
    );
  }
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = benchSplit();
  if (!rows) process.stdout.write('bench-split: corpus not found (npm run corpus); skipped\n');
  else process.stdout.write(formatSplitBench(rows) + '\n');
}
