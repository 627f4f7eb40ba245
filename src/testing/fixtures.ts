/**
 * Where tests (and the scripts that make fixtures) find data that is not in the repository,
 * in one place. Every location comes from, in order:
 *  1. an environment variable (BTFKIT_SHARED, BTFKIT_GOLDEN, BTFKIT_CORPUS, BTFKIT_CACHE);
 *  2. a path relative to the repository: the shared reference data beside it (../shared);
 *  3. the user's cache (${XDG_CACHE_HOME:-~/.cache}/btfkit), where `npm run corpus` puts the
 *     real-kernel corpus (scripts/corpus-paths.ts).
 * A test whose data is missing is skipped, never pointed at a path of one machine.
 * Test infrastructure: not part of the package (package.json "files").
 */

import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { CORPUS_KERNELS, corpusDir, hasCorpus, kernelBtfPath, manifestPath, modulesDir } from '../../scripts/corpus-paths.js';

/** The repository's root (this file runs from dist/src/testing/). */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));

/** The first candidate that exists, or null. */
export function firstExisting(cands: readonly (string | undefined | null)[]): string | null {
  for (const c of cands) if (c && existsSync(c)) return c;
  return null;
}

/** The shared reference data (spec, golden outputs, perf targets): $BTFKIT_SHARED, else ../shared. */
export function sharedDir(): string | null {
  return firstExisting([process.env.BTFKIT_SHARED, join(REPO, '..', 'shared')]);
}

/** The golden outputs of the reference tools: $BTFKIT_GOLDEN, else <shared>/golden. */
export function goldenDir(): string | null {
  const shared = sharedDir();
  return firstExisting([process.env.BTFKIT_GOLDEN, shared === null ? null : join(shared, 'golden')]);
}

/** A file or directory below the golden outputs, or null when absent. */
export function goldenPath(...parts: string[]): string | null {
  const dir = goldenDir();
  return dir === null ? null : firstExisting([join(dir, ...parts)]);
}

/** btfkit's cache directory: $BTFKIT_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/btfkit. */
export function cacheDir(): string {
  return process.env.BTFKIT_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'btfkit');
}

/** A file or directory below the cache (e.g. an unpacked kernel package), or null when absent. */
export function cachePath(...parts: string[]): string | null {
  return firstExisting([join(cacheDir(), ...parts)]);
}
