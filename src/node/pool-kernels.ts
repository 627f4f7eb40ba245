/**
 * The kernels of a pool run, each read once for all threads, in bounded memory.
 *
 * Approach: a kernel given as raw BTF or plain vmlinux is read in the main thread
 * (readKernelData: its `.BTF` copied into a SharedArrayBuffer). A kernel that must be unpacked
 * (vmlinuz, compressed vmlinux) is unpacked in a short-lived worker thread of its own, one
 * kernel after the other: the worker decodes the 50-70 MB vmlinux, copies its `.BTF` (~5 MB)
 * into a SharedArrayBuffer, posts it and ends, and its whole heap — image, vmlinux, decoder
 * buffers — is released with it instead of lingering as garbage of the main thread into the
 * module phase (three vmlinuz kernels in the main thread: ~210 MB peak before any module).
 * The workers of the pool then receive the BTF bytes (shared, not copied) with the job.
 * Errors come back as the BtfkitError the worker raised (code, message, errno, location).
 */

import { openSync, readSync, closeSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

import { BtfkitError, type ErrorLocation } from '../errors.js';
import { btfMagicEndian } from '../format/parse.js';
import { isElf } from '../elf/index.js';
import { kernelPaths, readKernelData, type JobSpec, type KernelData } from './check-worker.js';
import { openInput, resolveBtfPath } from './load.js';
import { findEmbeddedConfig } from '../kernel/kconfig.js';

const LOADER_TAG = 'btfkit-kernel-loader-1';

type LoaderReply =
  | { ok: true; data: KernelData }
  | { ok: true; config: Uint8Array | null }
  | { ok: false; error: { code: string; message: string; errno: number; where: ErrorLocation } | string };

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

function loadInWorker(path: string): Promise<KernelData>;
function loadInWorker(path: string, mode: 'ikconfig'): Promise<Uint8Array | null>;
function loadInWorker(path: string, mode: 'btf' | 'ikconfig' = 'btf'): Promise<KernelData | Uint8Array | null> {
  return new Promise((resolve, reject) => {
    // '../node/': the same path works from dist/src/node and from the bundled CLI (see pool.ts).
    const worker = new Worker(new URL('../node/pool-kernels.js', import.meta.url), {
      workerData: { btfkitKernelLoader: LOADER_TAG, path, mode },
      stdout: false,
      stderr: false,
    });
    let settled = false;
    worker.once('message', (r: LoaderReply) => {
      settled = true;
      void worker.terminate();
      if (r.ok) resolve('data' in r ? r.data : r.config);
      else if (typeof r.error === 'string') reject(new BtfkitError('IO', r.error, { where: { file: path } }));
      else {
        const e = r.error;
        reject(new BtfkitError(e.code as BtfkitError['code'], e.message, { errno: e.errno, where: e.where }));
      }
    });
    worker.once('error', (e) => {
      if (!settled) reject(new BtfkitError('IO', `kernel loader thread failed: ${e.message}`, { where: { file: path } }));
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new BtfkitError('IO', `kernel loader thread exited with code ${code}`, { where: { file: path } }));
      settled = true;
    });
  });
}

/** The raw BTF of every kernel of `spec` (build kernel first), each read once. */
export async function loadKernelData(spec: JobSpec): Promise<KernelData[]> {
  const data: KernelData[] = [];
  for (const p of kernelPaths(spec)) data.push(isPlain(p) ? await readKernelData(p) : await loadInWorker(p));
  return data;
}

/**
 * The gzip'ed configuration a kernel image embeds (CONFIG_IKCONFIG), or null: looked for in a
 * short-lived thread when the file must be unpacked (a vmlinuz), so that the 50-70 MB vmlinux
 * goes with the thread instead of staying in the main thread's heap.
 */
export async function embeddedKernelConfig(path: string): Promise<Uint8Array | null> {
  if (isPlain(path)) {
    const input = await openInput(path);
    return input.type === 'elf' ? findEmbeddedConfig(input.bytes) : null;
  }
  return loadInWorker(path, 'ikconfig');
}

/** The spec with every kernel's raw BTF read once, in bounded memory (see the file comment). */
export async function resolveKernelsShared(spec: JobSpec): Promise<JobSpec> {
  return { ...spec, data: await loadKernelData(spec) };
}

async function loaderMain(path: string, mode: 'btf' | 'ikconfig'): Promise<void> {
  let reply: LoaderReply;
  try {
    if (mode === 'ikconfig') {
      const input = await openInput(path);
      const gz = input.type === 'elf' ? findEmbeddedConfig(input.bytes) : null;
      reply = { ok: true, config: gz ? gz.slice() : null };
    } else reply = { ok: true, data: await readKernelData(path) };
  } catch (e) {
    reply =
      e instanceof BtfkitError
        ? { ok: false, error: { code: e.code, message: e.message, errno: e.errno, where: e.where } }
        : { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
}

if (!isMainThread && parentPort && (workerData as { btfkitKernelLoader?: string } | null)?.btfkitKernelLoader === LOADER_TAG) {
  const wd = workerData as { path: string; mode?: 'btf' | 'ikconfig' };
  void loaderMain(wd.path, wd.mode ?? 'btf');
}
