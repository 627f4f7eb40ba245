/**
 * `npm run bench` rows for dedup and merge (issue 18): the in-process time of dedup alone
 * (inputs parsed and, for merge, concatenated with addBtf outside the timing, as the
 * oracle's `bench dedup|merge` times btf__dedup alone), next to libbpf's median from
 * `btfo bench` run in the same process tree right before ours, plus the heap growth and our
 * process CPU time (the machines are shared: wall time alone is noisy).
 */

import { readFileSync } from 'node:fs';
import { parseBtf } from '../src/format/parse.js';
import { parseElf } from '../src/elf/index.js';
import { Btf } from '../src/model/btf.js';
import { addBtf } from '../src/split/add.js';
import { dedup } from '../src/split/dedup/index.js';
import { dedupInputs, runBtfo, type DedupInput } from './dedup-inputs.js';

export interface DedupBenchRow {
  name: string;
  ms: number;
  libbpfMs?: number;
  /** Our process CPU time (all threads, so GC included), median: the machine is shared. */
  cpuMs: number;
  heapMB: number;
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

export function benchDedup(opts: { runs: number }): DedupBenchRow[] {
  const rows: DedupBenchRow[] = [];
  for (const x of dedupInputs()) {
    const ref = runBtfo(['bench', x.op, ...(x.base ? ['-B', x.base] : []), ...x.inputs]);
    const libbpfMs = ref ? Number(/^\S+ ([\d.]+)/.exec(ref)?.[1]) : undefined;
    const make = prepare(x);
    const merged = x.op === 'merge';
    const xs: number[] = [];
    const cs: number[] = [];
    let heap = 0;
    for (let i = 0; i < opts.runs + 1; i++) {
      const input = make();
      const h0 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
      const c0 = process.cpuUsage();
      const t = performance.now();
      const r = dedup(input, { stringsDeduped: merged ? true : undefined });
      const dt = performance.now() - t;
      const c1 = process.cpuUsage(c0);
      const h1 = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
      heap = Math.max(heap, (h1 - h0) / 1048576);
      if (i > 0) {
        xs.push(dt);
        cs.push((c1.user + c1.system) / 1000);
      }
      void r;
    }
    rows.push({ name: x.name, ms: median(xs), libbpfMs, cpuMs: median(cs), heapMB: heap });
  }
  return rows;
}

if (process.argv[1]?.endsWith('bench-dedup.js')) {
  const runs = Number(process.argv[2] ?? 5);
  for (const r of benchDedup({ runs })) {
    const ref = r.libbpfMs ? `  libbpf ${r.libbpfMs.toFixed(1)} ms  ratio ${(r.ms / r.libbpfMs).toFixed(2)}` : '';
    console.log(`${r.name.padEnd(50)} ${r.ms.toFixed(1).padStart(9)} ms (cpu ${r.cpuMs.toFixed(1)})${ref}  heap +${r.heapMB.toFixed(0)} MB`);
  }
}
