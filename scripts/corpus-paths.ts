/**
 * Where `npm run corpus` (scripts/corpus.ts) puts the real-kernel corpus, for tests and
 * benchmarks: `$BTFKIT_CORPUS`, else `${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus`.
 * Layout: <corpus>/manifest.json, <corpus>/<kver>/vmlinux.btf (the .BTF section of the
 * kernel's vmlinux) and <corpus>/<kver>/modules/ (uncompressed .ko tree, paths relative to
 * lib/modules/<kver>/kernel/, e.g. fs/xfs/xfs.ko).
 * The 6.12 kernels (CORPUS_612) also keep their image (<kver>/vmlinuz, zstd) and, for the
 * compressed-tree tests and benchmarks, <kver>/modules-xz/ (the .ko.xz tree as shipped);
 * the newer one has no modules/ tree (only its image and BTF are needed). When the archive no
 * longer offers a preferred 6.12 build, the corpus script takes another one: corpus612()
 * tells which kernels the manifest actually holds.
 */

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The kernels the corpus holds. */
export const CORPUS_KERNELS = ['6.1.0-47-amd64', '6.1.0-55-amd64', '6.1.0-55-cloud-amd64'] as const;

/** The 6.12 kernels preferred by the corpus script (zstd images, .ko.xz modules): [older, newer]. */
export const CORPUS_612 = ['6.12.107+deb12-amd64', '6.12.118+deb12-amd64'] as const;

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

export function vmlinuzPath(kver: string): string {
  return join(corpusDir(), kver, 'vmlinuz');
}

/** The compressed (.ko.xz, as shipped) module tree of a 6.12 corpus kernel. */
export function modulesXzDir(kver: string): string {
  return join(corpusDir(), kver, 'modules-xz');
}

/**
 * The 6.12 kernels the corpus holds (the preferred CORPUS_612 builds or their stand-ins):
 * `older` has vmlinuz, vmlinux.btf, modules/ and modules-xz/; `newer` has vmlinuz and
 * vmlinux.btf. Undefined when the corpus has no 6.12 kernels (built before they were added).
 */
export function corpus612(): { older: string; newer: string } | undefined {
  if (!existsSync(manifestPath())) return undefined;
  try {
    const m = JSON.parse(readFileSync(manifestPath(), 'utf8')) as { kernels?: Array<{ kver: string; role?: string }> };
    const older = m.kernels?.find((k) => k.role === '6.12-older')?.kver;
    const newer = m.kernels?.find((k) => k.role === '6.12-newer')?.kver;
    if (!older || !newer) return undefined;
    if (![older, newer].every((k) => existsSync(kernelBtfPath(k)) && existsSync(vmlinuzPath(k)))) return undefined;
    if (!existsSync(modulesDir(older)) || !existsSync(modulesXzDir(older))) return undefined;
    return { older, newer };
  } catch {
    return undefined;
  }
}

/** Files under `dir` (recursively, sorted at each level) whose names end with `suffix`. */
export function filesUnder(dir: string, suffix: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith(suffix)) out.push(p);
    }
  };
  walk(dir);
  return out;
}
