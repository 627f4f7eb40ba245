/**
 * Where `npm run corpus` (scripts/corpus.ts) puts the real-kernel corpus, for tests and
 * benchmarks: `$BTFKIT_CORPUS`, else `${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus`.
 * Layout: <corpus>/manifest.json, <corpus>/<kver>/vmlinux.btf (the .BTF section of the
 * kernel's vmlinux) and <corpus>/<kver>/modules/ (uncompressed .ko tree, paths relative to
 * lib/modules/<kver>/kernel/, e.g. fs/xfs/xfs.ko).
 */

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The kernels the corpus holds. */
export const CORPUS_KERNELS = ['6.1.0-47-amd64', '6.1.0-55-amd64', '6.1.0-55-cloud-amd64'] as const;

export function corpusDir(): string {
  const env = process.env.BTFKIT_CORPUS;
  if (env) return env;
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'btfkit', 'corpus');
}

export function manifestPath(): string {
  return join(corpusDir(), 'manifest.json');
}

export function kernelBtfPath(kver: string): string {
  return join(corpusDir(), kver, 'vmlinux.btf');
}

export function modulesDir(kver: string): string {
  return join(corpusDir(), kver, 'modules');
}

/** True when the corpus was built (manifest present) and, if `kver` is given, that kernel's files exist. */
export function hasCorpus(kver?: string): boolean {
  if (!existsSync(manifestPath())) return false;
  const kvers: readonly string[] = kver === undefined ? CORPUS_KERNELS : [kver];
  return kvers.every((k) => existsSync(kernelBtfPath(k)) && existsSync(modulesDir(k)));
}
