/**
 * The per-module work of `btfkit check` and `btfkit distill` over module trees, and the
 * worker_threads entry point that runs it.
 *
 * Approach: a ModuleJob is built once per thread from a JobSpec (plain data: kernel paths, the
 * build kernel, what to do). Building it parses each kernel's BTF once (loadBaseBtf caches by
 * path, so a kernel named twice is parsed once); then each module path becomes one compact
 * ItemResult — verdicts and reasons, never the module's BTF, which is dropped as soon as the
 * module is done. Every failure of one module (unreadable file, bad ELF or BTF, a bug) becomes
 * an 'error' result for that module; nothing escapes `run`. The same object runs in-process
 * for `--jobs 1` and inside each worker for `--jobs N`, so both give identical verdicts.
 *
 * As a worker (started by pool.ts with workerData.btfkitWorker), the thread builds its job,
 * says 'ready' (or 'init-error' when a kernel cannot be loaded), then answers each 'batch'
 * message with a 'done' message carrying the batch's results and this thread's memory figures.
 */

import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Btf } from '../model/btf.js';
import { openInput, elfSection, loadBaseBtf, loadBtfFromInput, type InputFile } from './load.js';
import { writeFileAtomic } from './files.js';
import { checkPrepared, prepareModule, type KernelRef, type ModuleCheckResult, type PreparedModule } from '../kernel/check.js';
import { distillBase, type DistillResult } from '../split/distill.js';
import { serializeBtf } from '../format/write.js';
import { rewriteElf, SHF_ALLOC } from '../elf/index.js';
import { hasBtfIds, parseBtfIds, remapForDistill, BTF_IDS_SECTION } from '../kernel/btfids.js';
import { BtfkitError } from '../errors.js';

/** A kernel to check against: display name and BTF file (raw BTF, vmlinux, vmlinuz, 'kernel'). */
export interface KernelSpec {
  name: string;
  path: string;
}

/** What every thread does with each module: plain data, sent to the workers as is. */
export type JobSpec =
  | {
      kind: 'check';
      kernels: KernelSpec[];
      /** BTF the modules were built against (distills modules without .BTF.base in memory). */
      build: string | null;
      /** Test hook: a worker thread exits abruptly on a module whose path contains this. */
      testCrashOn?: string;
    }
  | {
      kind: 'distill';
      /** BTF the modules were built against. */
      base: string;
      /** Kernels to check the distilled modules against (may be empty). */
      kernels: KernelSpec[];
      testCrashOn?: string;
    };

/** One module to process. For distill, `dest` is the output path, or null to rewrite in place. */
export interface WorkItem {
  module: string;
  dest?: string | null;
}

export interface DistillOutcome {
  /** distilled: written; skipped: already has .BTF.base (copied unchanged to dest, if any); error. */
  status: 'distilled' | 'skipped' | 'error';
  /** Where the module was written (null: nothing written). */
  dest: string | null;
  /** One line for the maintainer. */
  detail: string;
  baseTypes?: number;
  splitTypes?: number;
}

/** The compact outcome of one module: a verdict per kernel (and the distill outcome). */
export interface ItemResult {
  module: string;
  results: ModuleCheckResult[];
  distill?: DistillOutcome;
}

/** Memory figures of one thread (bytes). rss and maxRss are process-wide (threads share them). */
export interface MemSample {
  rss: number;
  maxRss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export function memSample(): MemSample {
  const m = process.memoryUsage();
  return { rss: m.rss, maxRss: process.resourceUsage().maxRSS * 1024, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** The `.BTF` and `.BTF.base` sections of a module file (compressed or not). */
export interface ModuleSections {
  name: string;
  btf: Uint8Array;
  btfBase: Uint8Array | null;
}

export async function readModuleSections(path: string): Promise<ModuleSections> {
  const input = await openInput(path);
  if (!input.elf) throw new BtfkitError('ELF', 'not a kernel module (no ELF)', { where: { file: input.path } });
  const btf = elfSection(input, '.BTF');
  if (!btf) throw new BtfkitError('ELF_NO_SECTION', "failed to find '.BTF' ELF section", { where: { file: input.path } });
  return { name: path, btf, btfBase: elfSection(input, '.BTF.base') };
}

/**
 * The distilled module: `.BTF` replaced by the new split, `.BTF.base` added (alloc, as kbuild's
 * objcopy sets it), `.BTF_ids` remapped through the distill id map.
 */
export function distilledElf(input: InputFile, d: DistillResult, baseBytes = serializeBtf(d.base), splitBytes = serializeBtf(d.split)): Uint8Array {
  const elf = input.elf;
  if (!elf) throw new BtfkitError('ELF', 'not an ELF file', { where: { file: input.path } });
  const replace = new Map<string, Uint8Array>([['.BTF', splitBytes]]);
  if (hasBtfIds(elf)) {
    const sec = elf.section(BTF_IDS_SECTION)!;
    replace.set(BTF_IDS_SECTION, remapForDistill(parseBtfIds(elf), elf.sectionData(sec), d.idMap));
  }
  return rewriteElf(elf, { replace, add: [{ name: '.BTF.base', data: baseBytes, flags: SHF_ALLOC }] });
}

/** Where a distilled copy of a (possibly compressed) module goes: always an uncompressed .ko. */
export function distilledName(dest: string): string {
  return dest.replace(/\.ko\.(xz|zst|gz)$/, '.ko');
}

export function describeError(e: unknown): string {
  if (e instanceof BtfkitError) return e.describe();
  const err = e as Error;
  return `internal error: ${err?.message ?? String(e)}`;
}

/** 'error' verdicts for one module on every kernel (the module could not be processed). */
export function errorResults(module: string, kernels: readonly { name: string }[], detail: string, problem = 'invalid-input', kind = 'ELF'): ModuleCheckResult[] {
  return kernels.map((k) => ({ module, kernel: k.name, status: 'error' as const, loads: false, reasons: [{ type: '', kind, problem, detail }] }));
}

/** The ItemResult for a module whose processing failed outside the job (e.g. its worker died). */
export function failedItem(spec: JobSpec, item: WorkItem, detail: string): ItemResult {
  const r: ItemResult = { module: item.module, results: errorResults(item.module, spec.kernels, detail, 'crash', 'BTF') };
  if (spec.kind === 'distill') r.distill = { status: 'error', dest: null, detail };
  return r;
}

export class ModuleJob {
  private constructor(
    readonly spec: JobSpec,
    private readonly kernels: KernelRef[],
    private readonly build: Btf | null,
  ) {}

  /** Parses every kernel once; a kernel that cannot be loaded throws (BtfkitError naming it). */
  static async create(spec: JobSpec): Promise<ModuleJob> {
    const kernels: KernelRef[] = [];
    for (const k of spec.kernels) kernels.push({ name: k.name, btf: await loadBaseBtf(k.path) });
    const buildPath = spec.kind === 'check' ? spec.build : spec.base;
    const build = buildPath ? await loadBaseBtf(buildPath) : null;
    return new ModuleJob(spec, kernels, build);
  }

  /** Processes one module; never throws. */
  async run(item: WorkItem): Promise<ItemResult> {
    try {
      if (this.spec.testCrashOn !== undefined && item.module.includes(this.spec.testCrashOn)) {
        throw new Error(`test crash on ${item.module}`);
      }
      return this.spec.kind === 'check' ? await this.check(item.module) : await this.distill(item);
    } catch (e) {
      return failedItem(this.spec, item, describeError(e));
    }
  }

  private async check(path: string): Promise<ItemResult> {
    let results: ModuleCheckResult[];
    try {
      const sec = await readModuleSections(path);
      const p = prepareModule({ name: path, btf: sec.btf, btfBase: sec.btfBase }, this.build);
      results = this.kernels.map((k) => checkPrepared(p, k, this.build));
    } catch (e) {
      results = errorResults(path, this.kernels, describeError(e));
    }
    return { module: path, results };
  }

  private async distill(item: WorkItem): Promise<ItemResult> {
    const path = item.module;
    const fail = (detail: string): ItemResult => ({
      module: path,
      results: errorResults(path, this.kernels, detail),
      distill: { status: 'error', dest: null, detail },
    });
    let input: InputFile;
    try {
      input = await openInput(path);
    } catch (e) {
      return fail(describeError(e));
    }
    if (!input.elf) return fail(`${path}: not a kernel module (no ELF)`);
    const dest = item.dest ?? null;
    try {
      if (elfSection(input, '.BTF.base')) {
        // Already resilient: leave it, copy it unchanged into the output tree.
        if (dest !== null) {
          mkdirSync(dirname(dest), { recursive: true });
          writeFileAtomic(dest, readFileSync(path), { modeFrom: path });
        }
        const sec = await readModuleSections(path);
        const p = prepareModule({ name: path, btf: sec.btf, btfBase: sec.btfBase }, this.build);
        return {
          module: path,
          results: this.kernels.map((k) => checkPrepared(p, k, this.build)),
          distill: { status: 'skipped', dest, detail: 'already distilled (has .BTF.base)' + (dest !== null ? ', copied unchanged' : '') },
        };
      }
      if (dest === null && input.container !== 'plain') return fail(`${path}: cannot rewrite a ${input.container}-compressed module in place; use -o OUTDIR`);
      const { btf } = loadBtfFromInput(input, this.build);
      const d = distillBase(btf);
      const baseBytes = serializeBtf(d.base);
      const splitBytes = serializeBtf(d.split);
      const bytes = distilledElf(input, d, baseBytes, splitBytes);
      const out = dest === null ? input.path : distilledName(dest);
      if (dest !== null) mkdirSync(dirname(out), { recursive: true });
      writeFileAtomic(out, bytes, { modeFrom: input.path });
      const p: PreparedModule = { name: path, input: { name: path, btf: splitBytes, btfBase: baseBytes }, distilled: d.split, error: null, hasBase: true };
      return {
        module: path,
        results: this.kernels.map((k) => checkPrepared(p, k, this.build)),
        distill: { status: 'distilled', dest: out, detail: `${d.base.nTypes} base types in .BTF.base, ${d.split.nTypes} split types`, baseTypes: d.base.nTypes, splitTypes: d.split.nTypes },
      };
    } catch (e) {
      return fail(describeError(e));
    }
  }
}

// ------------------------------------------------------------------ worker protocol

/** Tag in workerData that makes this module start as a worker. */
export const WORKER_TAG = 'btfkit-module-worker-1';

export type ToWorker = { t: 'batch'; id: number; items: WorkItem[] };
export type FromWorker =
  | { t: 'ready'; mem: MemSample }
  | { t: 'init-error'; message: string }
  | { t: 'done'; id: number; out: ItemResult[]; mem: MemSample };

async function workerMain(port: MessagePort, spec: JobSpec): Promise<void> {
  let job: ModuleJob;
  try {
    job = await ModuleJob.create(spec);
  } catch (e) {
    port.postMessage({ t: 'init-error', message: describeError(e) } satisfies FromWorker);
    return;
  }
  // Batches are processed one after the other, in arrival order.
  let chain = Promise.resolve();
  port.on('message', (msg: ToWorker) => {
    if (msg.t !== 'batch') return;
    chain = chain.then(async () => {
      const out: ItemResult[] = [];
      for (const item of msg.items) {
        if (spec.testCrashOn !== undefined && item.module.includes(spec.testCrashOn)) process.exit(70);
        out.push(await job.run(item));
      }
      port.postMessage({ t: 'done', id: msg.id, out, mem: memSample() } satisfies FromWorker);
    });
  });
  port.postMessage({ t: 'ready', mem: memSample() } satisfies FromWorker);
}

if (!isMainThread && parentPort && (workerData as { btfkitWorker?: string } | null)?.btfkitWorker === WORKER_TAG) {
  void workerMain(parentPort, (workerData as { spec: JobSpec }).spec);
}
