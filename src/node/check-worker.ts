/**
 * The per-module work of `btfkit check` and `btfkit distill` over module trees, and the
 * worker_threads entry point that runs it.
 *
 * Approach: the main thread reads and parses each kernel's BTF once (pool-kernels.ts: a
 * vmlinuz is unpacked once, not in every worker) into SharedArrayBuffers that every thread
 * sees without a copy (shared-btf.ts). A ModuleJob is built once per thread from the JobSpec
 * (plain data: kernels, the build kernel, what to do, that shared data); building it makes a
 * Btf over each kernel's shared arrays (a kernel named twice once), without parsing or
 * copying it again; then each module path becomes one compact
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
import { btfFromShared, shareBtf, unsharedBytes, type SharedBtf } from './shared-btf.js';
import { openInput, elfSection, loadBaseBtf, loadBtfFromInput, resolveBtfPath, type InputFile } from './load.js';
import { writeFileAtomic } from './files.js';
import { ModuleReader, readModuleSections, isNoBtfError } from './module-read.js';
import { checkPrepared, prepareModule, noBtfResult, moduleFate, type KernelRef, type ModuleCheckResult, type PreparedModule, type CheckProblem } from '../kernel/check.js';
import { encodeModule, encodedSummary } from '../encode/module.js';
import { hasDwarf } from '../dwarf/index.js';
import { distillBase, type DistillResult } from '../split/distill.js';
import { serializeBtf } from '../format/write.js';
import { rewriteElfParts, SHF_ALLOC } from '../elf/index.js';
import { hasBtfIds, parseBtfIds, remapForDistill, BTF_IDS_SECTION } from '../kernel/btfids.js';
import { BtfkitError } from '../errors.js';
import { decompressSection } from './decompress.js';

/** A kernel to check against: display name and BTF file (raw BTF, vmlinux, vmlinuz, 'kernel'). */
export interface KernelSpec {
  name: string;
  path: string;
  /** CONFIG_MODULE_ALLOW_BTF_MISMATCH of that kernel (null/absent: unknown); decides each module's fate. */
  allowBtfMismatch?: boolean | null;
  /** CONFIG_DEBUG_INFO_BTF_MODULES (false: the kernel ignores module BTF; null/absent unknown). */
  btfModules?: boolean | null;
  /** Where the configuration was read (reports name it). */
  config?: string | null;
}

/**
 * A kernel's BTF, read, parsed and validated once per run (pool-kernels.ts): the raw bytes
 * and the parsed form (shared-btf.ts), all in shared memory that every thread sees without a copy.
 */
export interface KernelData {
  path: string;
  bytes: Uint8Array;
  ptrSize: number;
  btf: SharedBtf;
}

/** What every thread does with each module: plain data, sent to the workers as is. */
export type JobSpec = (
  | {
      kind: 'check';
      kernels: KernelSpec[];
      /** BTF the modules were built against (distills modules without .BTF.base in memory). */
      build: string | null;
    }
  | {
      kind: 'distill';
      /** BTF the modules were built against. */
      base: string;
      /** Kernels to check the distilled modules against (may be empty). */
      kernels: KernelSpec[];
    }
) & {
  /** Raw BTF of the kernels by path (resolveKernels); a path not here is loaded by each thread. */
  data?: KernelData[];
  /** Test hook: a worker thread exits abruptly on a module whose path contains this. */
  testCrashOn?: string;
};

/** The paths of every kernel a job needs (build kernel first), each once. */
export function kernelPaths(spec: JobSpec): string[] {
  const build = spec.kind === 'check' ? spec.build : spec.base;
  return [...new Set([...(build ? [build] : []), ...spec.kernels.map((k) => k.path)])];
}

/**
 * Reads a kernel's raw BTF (from raw BTF, vmlinux or vmlinuz, or 'kernel') into a
 * SharedArrayBuffer and parses it once (shared-btf.ts). Errors name the file.
 */
export async function readKernelData(spec: string): Promise<KernelData> {
  return kernelDataOf(spec, await openInput(spec));
}

/** The KernelData of an opened kernel file (`spec` as given: path or 'kernel'). */
export function kernelDataOf(spec: string, input: InputFile): KernelData {
  let raw: Uint8Array | null = input.bytes;
  let ptrSize = 8;
  if (input.type === 'elf') {
    raw = elfSection(input, '.BTF');
    if (!raw) throw new BtfkitError('ELF_NO_SECTION', "failed to find '.BTF' ELF section", { where: { file: input.path } });
    ptrSize = input.elf!.header.class === 32 ? 4 : 8;
  }
  const bytes = new Uint8Array(new SharedArrayBuffer(raw.length));
  bytes.set(raw);
  try {
    return { path: spec, bytes, ptrSize, btf: shareBtf(bytes) };
  } catch (e) {
    if (e instanceof BtfkitError) throw e.withLocation({ file: resolveBtfPath(spec) });
    throw e;
  }
}

/** The spec with every kernel's raw BTF read once (main thread, before the workers start). */
export async function resolveKernels(spec: JobSpec): Promise<JobSpec> {
  const data: KernelData[] = [];
  for (const p of kernelPaths(spec)) data.push(await readKernelData(p));
  return { ...spec, data };
}

/** The Btf of a kernel read by the main thread: over its shared arrays, not parsed again. */
export function kernelBtf(d: KernelData): Btf {
  return btfFromShared(d.btf, d.bytes, d.ptrSize);
}

/** One module to process. For distill, `dest` is the output path, or null to rewrite in place. */
export interface WorkItem {
  module: string;
  dest?: string | null;
}

export interface DistillOutcome {
  /**
   * distilled: written; skipped: already has .BTF.base (copied unchanged to dest, if any);
   * no-btf: the module has no .BTF section, nothing to distill (copied unchanged to dest, if any); error.
   */
  status: 'distilled' | 'skipped' | 'no-btf' | 'error';
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

/**
 * The distilled module: `.BTF` replaced by the new split, `.BTF.base` added (alloc, as kbuild's
 * objcopy sets it), `.BTF_ids` remapped through the distill id map; as rewriteElfParts' parts
 * (the rest of the module not copied), for writeFileAtomic.
 */
export function distilledElf(input: InputFile, d: DistillResult, baseBytes = serializeBtf(d.base), splitBytes = serializeBtf(d.split)): Uint8Array[] {
  const elf = input.elf;
  if (!elf) throw new BtfkitError('ELF', 'not an ELF file', { where: { file: input.path } });
  const replace = new Map<string, Uint8Array>([['.BTF', splitBytes]]);
  if (hasBtfIds(elf)) {
    const sec = elf.section(BTF_IDS_SECTION)!;
    replace.set(BTF_IDS_SECTION, remapForDistill(parseBtfIds(elf), elf.sectionData(sec), d.idMap));
  }
  return rewriteElfParts(elf, { replace, add: [{ name: '.BTF.base', data: baseBytes, flags: SHF_ALLOC }] });
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
export function errorResults(module: string, kernels: readonly { name: string; allowBtfMismatch?: boolean | null; btfModules?: boolean | null }[], detail: string, problem: CheckProblem = 'invalid-input', kind = 'ELF'): ModuleCheckResult[] {
  return kernels.map((k) => ({
    module, kernel: k.name, status: 'error' as const, btfAccepted: false, fate: moduleFate(false, k.allowBtfMismatch ?? null, k.btfModules ?? null),
    reasons: [{ type: '', kind, problem, detail }],
  }));
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

  /** Reads the modules' sections, reusing its buffers from one module to the next. */
  private readonly reader = new ModuleReader();

  /**
   * Makes every kernel's Btf once (over the shared data of `spec.data`, else by loading it); a
   * kernel that cannot be loaded throws (BtfkitError naming it).
   */
  static async create(spec: JobSpec): Promise<ModuleJob> {
    const parsed = new Map<string, Btf>();
    const load = async (path: string): Promise<Btf> => {
      let b = parsed.get(path);
      if (!b) {
        const d = spec.data?.find((x) => x.path === path);
        b = d ? kernelBtf(d) : await loadBaseBtf(path);
        parsed.set(path, b);
      }
      return b;
    };
    const buildPath = spec.kind === 'check' ? spec.build : spec.base;
    const build = buildPath ? await load(buildPath) : null;
    const kernels: KernelRef[] = [];
    for (const k of spec.kernels) kernels.push({ name: k.name, btf: await load(k.path), allowBtfMismatch: k.allowBtfMismatch ?? null, btfModules: k.btfModules ?? null });
    return new ModuleJob(spec, kernels, build);
  }

  /**
   * Bytes of the kernels' type, offset and string arrays this thread holds outside shared
   * memory (0 when every kernel came from the main thread's shared data).
   */
  kernelCopyBytes(): number {
    const seen = new Set<Btf>([...(this.build ? [this.build] : []), ...this.kernels.map((k) => k.btf)]);
    let n = 0;
    for (const b of seen) n += unsharedBytes(b);
    return n;
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
      const sec = await this.reader.read(path);
      const p = prepareModule({ name: path, btf: sec.btf, btfBase: sec.btfBase }, this.build);
      results = this.kernels.map((k) => checkPrepared(p, k, this.build));
    } catch (e) {
      // A module without .BTF is a state (the kernel loads it without BTF), not an error.
      results = isNoBtfError(e) ? this.kernels.map((k) => noBtfResult(path, k)) : errorResults(path, this.kernels, describeError(e));
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
      if (!elfSection(input, '.BTF') && hasDwarf(input.elf)) {
        // Built without BTF but with debug info: encode it first, as kbuild's pahole would have.
        if (!this.build) return fail(`${path}: no .BTF: encoding it from DWARF needs -B, the kernel it was built for`);
        if (dest === null && input.container !== 'plain') return fail(`${path}: cannot rewrite a ${input.container}-compressed module in place; use -o OUTDIR`);
        const r = encodeModule(input.elf, this.build, { decompress: decompressSection });
        const out = dest === null ? input.path : distilledName(dest);
        if (dest !== null) mkdirSync(dirname(out), { recursive: true });
        writeFileAtomic(out, r.elfParts, { modeFrom: input.path });
        const p: PreparedModule = { name: path, input: { name: path, btf: r.btfBytes, btfBase: r.baseBytes }, distilled: r.btf, error: null, hasBase: true };
        const { baseTypes, splitTypes, detail } = encodedSummary(r);
        return {
          module: path,
          results: this.kernels.map((k) => checkPrepared(p, k, this.build)),
          distill: { status: 'distilled', dest: out, detail, baseTypes, splitTypes },
        };
      }
      if (!elfSection(input, '.BTF')) {
        // Neither BTF nor debug info: nothing to distill or encode.
        if (dest !== null) {
          mkdirSync(dirname(dest), { recursive: true });
          writeFileAtomic(dest, readFileSync(path), { modeFrom: path });
        }
        return {
          module: path,
          results: this.kernels.map((k) => noBtfResult(path, k)),
          distill: { status: 'no-btf', dest, detail: 'no .BTF section (built without BTF): nothing to distill' + (dest !== null ? ', copied unchanged' : ', left unchanged') },
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
  | { t: 'ready'; mem: MemSample; kernelCopyBytes: number }
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
  let mem = memSample();
  let lastSample = performance.now();
  port.on('message', (msg: ToWorker) => {
    if (msg.t !== 'batch') return;
    chain = chain.then(async () => {
      const out: ItemResult[] = [];
      for (const item of msg.items) {
        if (spec.testCrashOn !== undefined && item.module.includes(spec.testCrashOn)) process.exit(70);
        out.push(await job.run(item));
      }
      // process.memoryUsage() costs ~0.2 ms: sample it at most every 200 ms.
      const now = performance.now();
      if (now - lastSample >= 200) {
        lastSample = now;
        mem = memSample();
      }
      port.postMessage({ t: 'done', id: msg.id, out, mem } satisfies FromWorker);
    });
  });
  port.postMessage({ t: 'ready', mem, kernelCopyBytes: job.kernelCopyBytes() } satisfies FromWorker);
}

if (!isMainThread && parentPort && (workerData as { btfkitWorker?: string } | null)?.btfkitWorker === WORKER_TAG) {
  void workerMain(parentPort, (workerData as { spec: JobSpec }).spec);
}
