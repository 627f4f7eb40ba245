/**
 * `npm run bench` rows for dedup and merge (issue 18): the in-process time of dedup alone
 * (inputs parsed and, for merge, concatenated with addBtf outside the timing, as the
 * oracle's `bench dedup|merge` times btf__dedup alone), next to libbpf's median from
 * `btfo bench`, plus the heap growth, our process CPU time and the cold time.
 *
 * Like with like: btfo warms up (at least 3 repetitions and 50 ms) and reports the median of
 * at least 21 warm repetitions; we warm up too (at least 3 runs and 1 s: V8 reaches its
 * optimized code later than a C program is loaded) and report the median of our warm runs.
 * The machines are shared, so the two are interleaved: each of `rounds` rounds runs btfo's
 * bench, then `runs` of ours; libbpf's figure is the median of its round medians (one round
 * when libbpf takes over 200 ms a run). `firstMs` is what a one-shot command pays: one dedup
 * in a fresh process (parse and addBtf untimed), JIT warm-up included.
 *
 *   node dist/scripts/bench-dedup.js [RUNS=5] [ROUNDS=3] [--only SUBSTRING]
 */

import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseBtf } from '../src/format/parse.js';
import { parseElf } from '../src/elf/index.js';
import { Btf } from '../src/model/btf.js';
import { addBtf } from '../src/split/add.js';
import { dedup } from '../src/split/dedup/index.js';
import { dedupInputs, runBtfo, type DedupInput } from './dedup-inputs.js';

export interface DedupBenchRow {
  name: string;
  /** Median of our warm runs. */
  ms: number;
  libbpfMs?: number;
  /** Our process CPU time (all threads, so GC included), median: the machine is shared. */
  cpuMs: number;
  /** Largest heap (+ array buffers) growth over one warm run. */
  heapMB: number;
  /** One dedup in a fresh process (cold JIT), when measured. */
  firstMs?: number;
}

function btfBytes(path: string): Uint8Array {
  const b = new Uint8Array(readFileSync(path));
  if (b[0] === 0x7f && b[1] === 0x45) {
    const elf = parseElf(b);
    return elf.sectionData(elf.requireSection('.BTF')).slice();
  }
  return b;
}

function prepare(x: DedupInput): () => Btf {
  const base = x.base ? parseBtf(btfBytes(x.base)) : null;
  const raws = x.inputs.map(btfBytes);
  if (x.op === 'dedup') return () => parseBtf(raws[0]!, { base });
  const srcs = raws.map((r) => parseBtf(r, { base }));
  return () => {
    const dst = base ? Btf.createSplit(base) : Btf.create();
    for (const s of srcs) addBtf(dst, s);
    return dst;
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

interface Run {
  ms: number;
  cpuMs: number;
  heapMB: number;
}

function runOnce(x: DedupInput, make: () => Btf): Run {
  const input = make();
  const h0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const c0 = process.cpuUsage();
  const t = performance.now();
  const r = dedup(input, { stringsDeduped: x.op === 'merge' ? true : undefined });
  const ms = performance.now() - t;
  const c1 = process.cpuUsage(c0);
  const h1 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  void r;
  return { ms, cpuMs: (c1.user + c1.system) / 1000, heapMB: (h1 - h0) / 1048576 };
}

/** One dedup of input `name` in a fresh process: its time in ms, or undefined. */
function coldMs(name: string): number | undefined {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--cold', name], { encoding: 'utf8' });
  const v = Number(/^cold ([\d.]+)/m.exec(r.stdout ?? '')?.[1]);
  return Number.isFinite(v) ? v : undefined;
}

export function benchDedup(opts: { runs: number; rounds?: number; cold?: boolean; only?: string }): DedupBenchRow[] {
  const rows: DedupBenchRow[] = [];
  const rounds = Math.max(1, opts.rounds ?? 3);
  for (const x of dedupInputs()) {
    if (opts.only !== undefined && !x.name.includes(opts.only)) continue;
    const make = prepare(x);
    const firstMs = opts.cold === false ? undefined : coldMs(x.name);
    // warm-up: at least 3 runs and 1 s (at most 50 runs)
    const t0 = performance.now();
    for (let i = 0; i < 50 && (i < 3 || performance.now() - t0 < 1000); i++) runOnce(x, make);
    const refs: number[] = [];
    const runs: Run[] = [];
    for (let round = 0; round < rounds; round++) {
      if (round === 0 || (refs.length > 0 && refs[0]! <= 200)) {
        const ref = runBtfo(['bench', x.op, ...(x.base ? ['-B', x.base] : []), ...x.inputs]);
        const v = ref ? Number(/^\S+ ([\d.]+)/.exec(ref)?.[1]) : NaN;
        if (Number.isFinite(v)) refs.push(v);
      }
      for (let i = 0; i < opts.runs; i++) runs.push(runOnce(x, make));
    }
    rows.push({
      name: x.name,
      ms: median(runs.map((r) => r.ms)),
      libbpfMs: refs.length ? median(refs) : undefined,
      cpuMs: median(runs.map((r) => r.cpuMs)),
      heapMB: Math.max(...runs.map((r) => r.heapMB)),
      firstMs,
    });
  }
  return rows;
}

if (process.argv[1]?.endsWith('bench-dedup.js')) {
  if (process.argv[2] === '--cold') {
    const x = dedupInputs().find((i) => i.name === process.argv[3]);
    if (x) console.log(`cold ${runOnce(x, prepare(x)).ms.toFixed(2)}`);
  } else {
    const args = process.argv.slice(2);
    const o = args.indexOf('--only');
    const only = o >= 0 ? args.splice(o, 2)[1] : undefined;
    const runs = Number(args[0] ?? 5);
    const rounds = Number(args[1] ?? 3);
    for (const r of benchDedup({ runs, rounds, only })) {
      const ref = r.libbpfMs ? `  libbpf ${r.libbpfMs.toFixed(1)} ms  ratio ${(r.ms / r.libbpfMs).toFixed(2)}` : '';
      const cold = r.firstMs === undefined ? '' : `  cold ${r.firstMs.toFixed(0)} ms`;
      console.log(`${r.name.padEnd(46)} ${r.ms.toFixed(1).padStart(7)} ms (cpu ${r.cpuMs.toFixed(1)})${ref}  heap +${r.heapMB.toFixed(0)} MB${cold}`);
    }
  }
}
