/**
 * A worker_threads pool that runs a ModuleJob (check-worker.ts) over many modules.
 *
 * Approach: the main thread reads and parses each kernel's BTF once (a vmlinuz is unpacked
 * once, in a short-lived thread that takes its memory with it, also for its embedded
 * configuration: pool-kernels.ts) into shared memory (shared-btf.ts); N workers each build
 * their kernels' Btf over it (no copy), then receive module paths in small batches
 * (guided scheduling: about remaining/(4·N) per batch, at most `maxBatch`, down to 1 near the
 * end so the last big module does not leave the other cores idle) with two batches in flight
 * per worker, so a worker never waits for the main thread. Results come back compact (verdicts,
 * no BTF) and go straight to `onResult`, in completion order; the pool keeps nothing per module.
 * A worker that dies (crash, out of memory) does not end the run: its unfinished modules are
 * retried one per batch on a fresh worker, and a module that kills a worker on its own becomes
 * an 'error' result. With one job (or one module) everything runs in-process, same code path.
 * Each 'done' message carries the worker's memory figures; the pool reports the peaks.
 */

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { BtfkitError } from '../errors.js';
import { type KernelLoader, resolveKernelsShared } from './pool-kernels.js';
import {
  ModuleJob, WORKER_TAG, failedItem, memSample,
  type FromWorker, type ItemResult, type JobSpec, type MemSample, type ToWorker, type WorkItem,
} from './check-worker.js';

export interface PoolOptions {
  spec: JobSpec;
  items: readonly WorkItem[];
  /** Number of threads; 1 runs in-process. Default: one per core. */
  jobs?: number;
  /** Largest batch sent to a worker (default 16). */
  maxBatch?: number;
  /** Called once per item, in completion order. */
  onResult(r: ItemResult): void;
  /** Called once the kernels are loaded and the first thread can start on modules. */
  onReady?(): void;
  /** Loads the kernels; pass the one the configuration lookup used, so each file is read once. */
  kernels?: KernelLoader;
}

export interface PoolStats {
  /** Threads used (0: in-process). */
  workers: number;
  /** Workers that died and were replaced. */
  crashes: number;
  wallMs: number;
  /** Peak resident set size of the whole process (main thread and workers share it), bytes. */
  peakRss: number;
  /** Peak per-thread JS heap + external memory (heapUsed + external), bytes: [main, worker 1, …]. */
  peakHeap: number[];
  /** Time until the kernels were read and the first thread was ready. */
  setupMs: number;
  /**
   * Per thread that built a job ([in-process] or [worker 1, …]): bytes of kernel BTF arrays it
   * holds outside shared memory (0: it shares the main thread's; see shared-btf.ts; -1: the
   * worker was not ready yet when the run ended).
   */
  kernelCopyBytes: number[];
}

/**
 * Young generation of each worker's JS heap, MB (worker_threads' per-thread resourceLimits;
 * the main thread and the process are left as they are). A worker's work is short-lived
 * objects per module and typed arrays that die with the module; what kept them — and the
 * external memory they hold — alive is the time between scavenges. V8's default young
 * generation for a thread (16 MB semi-spaces) let each worker carry ~25-60 MB of dead
 * modules; 4 MB cuts a 4-worker check of 4229 .ko.xz against three kernels from ~350 to
 * ~275 MB peak RSS for the same CPU time (±5%, measured; scripts/bench-decomp.ts has the row).
 */
export const WORKER_YOUNG_GENERATION_MB = 4;

export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Threads for `modules` modules when the user did not say: one per core, but each thread
 * should get at least `perThread` modules to pay for its start (a thread, its kernels' Btf objects).
 */
export function autoJobs(modules: number, perThread = 8): number {
  return Math.max(1, Math.min(defaultJobs(), Math.floor(modules / perThread)));
}

/** Batch size for guided scheduling. */
export function batchSize(remaining: number, workers: number, maxBatch: number): number {
  return Math.max(1, Math.min(maxBatch, Math.floor(remaining / (workers * 4))));
}

interface Batch {
  id: number;
  items: WorkItem[];
  /** A retry of one item from a batch whose worker died. */
  retry: boolean;
}

interface Slot {
  worker: Worker;
  index: number;
  ready: boolean;
  dead: boolean;
  inflight: Map<number, Batch>;
  peakHeap: number;
  /** Reported by the worker when ready (-1 before). */
  kernelCopyBytes: number;
}

export async function runPool(opts: PoolOptions): Promise<PoolStats> {
  const start = performance.now();
  const items = opts.items;
  // Kernel files are read (and their errors reported) before any thread starts.
  const spec = await resolveKernelsShared(opts.spec, opts.kernels);
  const jobs = Math.max(1, Math.min(opts.jobs ?? defaultJobs(), items.length));
  const maxBatch = Math.max(1, opts.maxBatch ?? 16);
  let peakRss = 0;
  const peakHeap: number[] = [0];
  const sampleMain = (): void => {
    const m = memSample();
    peakRss = Math.max(peakRss, m.rss, m.maxRss);
    peakHeap[0] = Math.max(peakHeap[0]!, m.heapUsed + m.external);
  };

  if (jobs <= 1) {
    const job = await ModuleJob.create(spec);
    const setupMs = performance.now() - start;
    opts.onReady?.();
    for (let i = 0; i < items.length; i++) {
      opts.onResult(await job.run(items[i]!));
      if ((i & 255) === 0) sampleMain();
    }
    sampleMain();
    return { workers: 0, crashes: 0, wallMs: performance.now() - start, peakRss, peakHeap, setupMs, kernelCopyBytes: [job.kernelCopyBytes()] };
  }

  return new Promise<PoolStats>((resolve, reject) => {
    const slots: Slot[] = [];
    const retries: WorkItem[] = [];
    let next = 0;
    let pending = items.length;
    let batchId = 0;
    let crashes = 0;
    let finished = false;
    let everReady = false;
    let setupMs: number | undefined;

    const finish = (err: Error | null): void => {
      if (finished) return;
      finished = true;
      for (const s of slots) {
        s.dead = true;
        void s.worker.terminate();
      }
      sampleMain();
      if (err) reject(err);
      else resolve({ workers: slots.length, crashes, wallMs: performance.now() - start, peakRss, peakHeap: [peakHeap[0]!, ...slots.map((s) => s.peakHeap)], setupMs: setupMs ?? performance.now() - start, kernelCopyBytes: slots.map((s) => s.kernelCopyBytes) });
    };

    const deliver = (r: ItemResult): void => {
      try {
        opts.onResult(r);
      } catch (e) {
        finish(e as Error);
        return;
      }
      if (--pending === 0) finish(null);
    };

    const feed = (s: Slot): void => {
      while (!finished && !s.dead && s.ready && s.inflight.size < 2) {
        let b: Batch;
        if (retries.length) {
          b = { id: ++batchId, items: [retries.shift()!], retry: true };
        } else if (next < items.length) {
          const live = slots.filter((x) => !x.dead).length || 1;
          const n = batchSize(items.length - next, live, maxBatch);
          b = { id: ++batchId, items: items.slice(next, next + n), retry: false };
          next += n;
        } else return;
        s.inflight.set(b.id, b);
        s.worker.postMessage({ t: 'batch', id: b.id, items: b.items } satisfies ToWorker);
      }
    };

    const onDeath = (s: Slot, why: string): void => {
      if (s.dead || finished) return;
      s.dead = true;
      if (!s.ready && !everReady) {
        finish(new BtfkitError('IO', `worker thread failed to start: ${why}`));
        return;
      }
      crashes++;
      // Batches are processed in order: the oldest one in flight is the one the worker died
      // on; the others had not started and simply go back to the queue.
      const batches = [...s.inflight.values()].sort((a, b) => a.id - b.id);
      batches.forEach((b, i) => {
        if (i > 0) retries.push(...b.items);
        else if (b.retry || b.items.length === 1) {
          for (const it of b.items) deliver(failedItem(opts.spec, it, `the worker thread died while processing this module (${why})`));
        } else retries.push(...b.items);
      });
      s.inflight.clear();
      if (finished) return;
      if (crashes > 2 * jobs + items.length) {
        finish(new BtfkitError('IO', `worker threads keep dying (${why})`));
        return;
      }
      for (const x of slots) feed(x);
      if (retries.length || next < items.length) spawn(s.index);
      else if (pending > 0 && !slots.some((x) => !x.dead)) finish(new BtfkitError('IO', `all worker threads died (${why})`));
    };

    const spawn = (index: number): void => {
      // '../node/' rather than './': the same path works from this file (dist/src/node/) and
      // from the bundled CLI (dist/src/bin/, see scripts/bundle.ts), which inlines this module.
      const worker = new Worker(new URL('../node/check-worker.js', import.meta.url), {
        workerData: { btfkitWorker: WORKER_TAG, spec },
        resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
        stdout: false,
        stderr: false,
      });
      const s: Slot = { worker, index, ready: false, dead: false, inflight: new Map(), peakHeap: slots[index]?.peakHeap ?? 0, kernelCopyBytes: -1 };
      slots[index] = s;
      worker.on('message', (msg: FromWorker) => {
        if (finished || s.dead) return;
        if (msg.t === 'init-error') {
          // Every worker loads the same kernels: one failing to is the whole run failing.
          finish(new BtfkitError('IO', msg.message));
          return;
        }
        peakRss = Math.max(peakRss, msg.mem.rss, msg.mem.maxRss);
        s.peakHeap = Math.max(s.peakHeap, msg.mem.heapUsed + msg.mem.external);
        if (msg.t === 'ready') {
          s.ready = true;
          s.kernelCopyBytes = msg.kernelCopyBytes;
          if (!everReady) {
            everReady = true;
            setupMs = performance.now() - start;
            opts.onReady?.();
          }
          feed(s);
          return;
        }
        const b = s.inflight.get(msg.id);
        s.inflight.delete(msg.id);
        if (b) for (const r of msg.out) {
          deliver(r);
          if (finished) return;
        }
        if ((msg.id & 31) === 0) sampleMain();
        feed(s);
      });
      worker.on('error', (e) => onDeath(s, e?.message ?? String(e)));
      worker.on('exit', (code) => onDeath(s, `exit code ${code}`));
    };

    if (items.length === 0) {
      finish(null);
      return;
    }
    for (let i = 0; i < jobs; i++) spawn(i);
  });
}

export type { MemSample, ItemResult, WorkItem, JobSpec };
