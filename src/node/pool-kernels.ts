/**
 * The kernels of a pool run, each read once for all threads and for the configuration lookup,
 * in bounded memory.
 *
 * Approach: a KernelLoader loads each kernel file once per run, whoever asks first (the
 * search for the configuration embedded in a kernel image, kconfig.ts, or the pool), and keeps
 * only what is needed later: its `.BTF` in a SharedArrayBuffer, parsed and validated once
 * (KernelData: raw bytes plus the record offsets, in shared memory, shared-btf.ts) and the
 * gzip'ed configuration it embeds (CONFIG_IKCONFIG), if any. A kernel given as raw BTF or plain
 * vmlinux is read in the main thread. A kernel that must be unpacked (vmlinuz, compressed
 * vmlinux) is unpacked in a short-lived worker thread of its own, one kernel after the other:
 * the worker decodes the 50-70 MB vmlinux, copies its `.BTF` (~5 MB) into a SharedArrayBuffer,
 * parses it there, posts it with its configuration and ends, and its whole heap — image,
 * vmlinux, decoder memory, the parser's scratch copies — is released with it instead of
 * lingering as garbage of the main thread into the module phase (three vmlinuz kernels in the
 * main thread: ~210 MB peak before any module). The workers of the pool then receive the
 * kernels (shared, not copied) with the job and build each Btf over them without parsing.
 * Errors come back as the BtfkitError the worker raised (code, message, errno, location).
 */

import { openSync, readSync, closeSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { BtfkitError, type ErrorLocation } from '../errors.js';
import { btfMagicEndian } from '../format/parse.js';
import { isElf } from '../elf/index.js';
import { kernelDataOf, kernelPaths, type JobSpec, type KernelData } from './check-worker.js';
import { openInput, resolveBtfPath, type InputFile } from './load.js';
import { findEmbeddedConfig } from '../kernel/kconfig.js';

const LOADER_TAG = 'btfkit-kernel-loader-1';

/**
 * What is kept of a kernel file: its raw BTF (or why it has none: a kernel image given only
 * for its configuration may lack .BTF) and the configuration it embeds (gzip'ed), if any.
 */
export interface LoadedKernel {
  data: KernelData | BtfkitError;
  config: Uint8Array | null;
}

type SentError = { code: string; message: string; errno: number; where: ErrorLocation } | string;
type LoaderReply = { ok: true; data: KernelData | { error: SentError }; config: Uint8Array | null } | { ok: false; error: SentError };

function sendable(e: unknown): SentError {
  return e instanceof BtfkitError ? { code: e.code, message: e.message, errno: e.errno, where: e.where } : e instanceof Error ? e.message : String(e);
}

function received(e: SentError, path: string): BtfkitError {
  if (typeof e === 'string') return new BtfkitError('IO', e, { where: { file: path } });
  return new BtfkitError(e.code as BtfkitError['code'], e.message, { errno: e.errno, where: e.where });
}

/** True when the file starts like raw BTF or an ELF file (nothing to unpack). */
function isPlain(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(resolveBtfPath(path), 'r');
  } catch {
    return true; // readKernelData reports the error
  }
  try {
    const head = new Uint8Array(16);
    const n = readSync(fd, head, 0, 16, 0);
    const h = head.subarray(0, n);
    return btfMagicEndian(h) !== null || isElf(h);
  } finally {
    closeSync(fd);
  }
}

function loadInWorker(path: string): Promise<LoadedKernel> {
  return new Promise((resolve, reject) => {
    // '../node/': the same path works from dist/src/node and from the bundled CLI (see pool.ts).
    const worker = new Worker(new URL('../node/pool-kernels.js', import.meta.url), {
      workerData: { btfkitKernelLoader: LOADER_TAG, path },
      stdout: false,
      stderr: false,
    });
    // Settled once the thread has exited, not when its reply arrives: the next kernel's thread
    // then starts only after this one's memory (image, vmlinux, decoder) is released.
    let reply: LoaderReply | undefined;
    let failure: BtfkitError | undefined;
    worker.once('message', (r: LoaderReply) => {
      reply = r;
      void worker.terminate();
    });
    worker.once('error', (e) => {
      failure ??= new BtfkitError('IO', `kernel loader thread failed: ${e.message}`, { where: { file: path } });
    });
    worker.once('exit', (code) => {
      if (reply?.ok) resolve({ data: 'error' in reply.data ? received(reply.data.error, path) : reply.data, config: reply.config });
      else if (reply) reject(received(reply.error, path));
      else reject(failure ?? new BtfkitError('IO', `kernel loader thread exited with code ${code}`, { where: { file: path } }));
    });
  });
}

/** Raw BTF and embedded configuration of an opened kernel file. */
function keep(path: string, input: InputFile): LoadedKernel {
  let data: KernelData | BtfkitError;
  try {
    data = kernelDataOf(path, input);
  } catch (e) {
    if (!(e instanceof BtfkitError)) throw e;
    data = e;
  }
  const gz = input.type === 'elf' ? findEmbeddedConfig(input.bytes) : null;
  return { data, config: gz ? gz.slice() : null };
}

/** Loads a kernel file: in this thread when it is plain, else in a short-lived thread. */
async function loadKernel(path: string): Promise<LoadedKernel> {
  return isPlain(path) ? keep(path, await openInput(path)) : loadInWorker(path);
}

/**
 * Each kernel file of a run loaded once (see the file comment), by path as given; kernels are
 * loaded one after the other, in the order they are asked for.
 */
export class KernelLoader {
  private readonly loaded = new Map<string, Promise<LoadedKernel>>();
  private queue: Promise<unknown> = Promise.resolve();

  load(path: string): Promise<LoadedKernel> {
    let p = this.loaded.get(path);
    if (!p) {
      // One at a time: two vmlinux in memory at once is what the loader is there to avoid.
      p = this.queue.then(() => loadKernel(path));
      this.queue = p.catch(() => undefined);
      this.loaded.set(path, p);
    }
    return p;
  }

  /** The raw BTF of every kernel of `spec` (build kernel first). */
  async data(spec: JobSpec): Promise<KernelData[]> {
    const data: KernelData[] = [];
    for (const p of kernelPaths(spec)) {
      const d = (await this.load(p)).data;
      if (d instanceof BtfkitError) throw d;
      data.push(d);
    }
    return data;
  }
}

/** The raw BTF of every kernel of `spec` (build kernel first), each read once. */
export function loadKernelData(spec: JobSpec, loader = new KernelLoader()): Promise<KernelData[]> {
  return loader.data(spec);
}

/**
 * The gzip'ed configuration a kernel file embeds (CONFIG_IKCONFIG), or null; the file is loaded
 * by `loader` (a vmlinuz in a short-lived thread), which keeps its BTF for the pool.
 */
export async function embeddedKernelConfig(path: string, loader = new KernelLoader()): Promise<Uint8Array | null> {
  return (await loader.load(path)).config;
}

/** The spec with every kernel's raw BTF read once, in bounded memory (see the file comment). */
export async function resolveKernelsShared(spec: JobSpec, loader = new KernelLoader()): Promise<JobSpec> {
  return { ...spec, data: await loader.data(spec) };
}

async function loaderMain(path: string): Promise<void> {
  let reply: LoaderReply;
  try {
    const k = keep(path, await openInput(path));
    reply = { ok: true, data: k.data instanceof BtfkitError ? { error: sendable(k.data) } : k.data, config: k.config };
  } catch (e) {
    reply = { ok: false, error: sendable(e) };
  }
  parentPort!.postMessage(reply);
}

if (!isMainThread && parentPort && (workerData as { btfkitKernelLoader?: string } | null)?.btfkitKernelLoader === LOADER_TAG) {
  void loaderMain((workerData as { path: string }).path);
}
