/**
 * Finds the configuration of a kernel the CLI checks against, for the options that decide a
 * module's fate (src/kernel/kconfig.ts): in this order
 *   1. `--config FILE` (a .config, gzip'ed or not, or a kernel image with CONFIG_IKCONFIG);
 *   2. for the running kernel ('kernel'): /proc/config.gz, then /boot/config-$(uname -r);
 *   3. `config-<ver>` beside `vmlinuz-<ver>` / `vmlinux-<ver>` (as in /boot), or `config` /
 *      `config-<dir>` beside any other kernel file (an unpacked tree, the corpus layout);
 *   4. the configuration embedded in a vmlinux or vmlinuz (CONFIG_IKCONFIG): the kernel file is
 *      loaded by the run's KernelLoader (pool-kernels.ts), which keeps its BTF for the check,
 *      so a vmlinuz is unpacked once for both.
 * Nothing found: unknown (the report then states both outcomes).
 */

import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { release } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { btfOptions, looksLikeKconfig } from '../kernel/kconfig.js';
import { type KernelLoader, embeddedKernelConfig } from '../node/pool-kernels.js';
import { KERNEL_BTF_PATH } from '../node/load.js';
import { BtfkitError } from '../errors.js';

export interface KernelConfigFinding {
  /** CONFIG_MODULE_ALLOW_BTF_MISMATCH (null: configuration unknown). */
  allowBtfMismatch: boolean | null;
  /** CONFIG_DEBUG_INFO_BTF_MODULES: false when the kernel does not read module BTF at all (null: unknown). */
  btfModules: boolean | null;
  /** Where it was read ("/boot/config-6.12.118+deb12-amd64", "embedded in FILE"), or null. */
  source: string | null;
}

const UNKNOWN: KernelConfigFinding = { allowBtfMismatch: null, btfModules: null, source: null };

function textOf(bytes: Uint8Array, file: string): string {
  let b = bytes;
  if (b[0] === 0x1f && b[1] === 0x8b) {
    try {
      b = gunzipSync(b);
    } catch (e) {
      throw new BtfkitError('IMAGE', `bad gzip data in kernel configuration: ${(e as Error).message}`, { where: { file } });
    }
  }
  return new TextDecoder().decode(b);
}

function fromText(text: string, source: string): KernelConfigFinding {
  const o = btfOptions(text);
  return { allowBtfMismatch: o.allowBtfMismatch, btfModules: o.btfModules, source };
}

/** A configuration file given by the user: a .config (gzip'ed or not) or a kernel image with one inside. */
export async function readConfigFile(file: string, loader?: KernelLoader): Promise<KernelConfigFinding> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new BtfkitError('IO', `cannot read kernel configuration: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { where: { file } });
  }
  const text = textOf(bytes, file);
  if (looksLikeKconfig(text)) return fromText(text, file);
  const embedded = await embeddedConfig(file, loader);
  if (embedded) return embedded;
  throw new BtfkitError('IO', 'not a kernel configuration (.config, config.gz, or a kernel image built with CONFIG_IKCONFIG)', { where: { file } });
}

async function embeddedConfig(file: string, loader?: KernelLoader): Promise<KernelConfigFinding | null> {
  let gz: Uint8Array | null;
  try {
    gz = await embeddedKernelConfig(file, loader);
  } catch {
    return null;
  }
  if (!gz) return null;
  try {
    return fromText(new TextDecoder().decode(gunzipSync(gz)), `embedded in ${file} (CONFIG_IKCONFIG)`);
  } catch {
    return null;
  }
}

function tryFile(file: string): KernelConfigFinding | null {
  if (!existsSync(file)) return null;
  try {
    const text = textOf(readFileSync(file), file);
    return looksLikeKconfig(text) ? fromText(text, file) : null;
  } catch {
    return null;
  }
}

/** The configuration of the kernel whose BTF is at `path` (see the file comment for the order). */
export async function findKernelConfig(path: string, explicit?: string, loader?: KernelLoader): Promise<KernelConfigFinding> {
  if (explicit !== undefined) return readConfigFile(explicit, loader);
  if (path === 'kernel' || path === KERNEL_BTF_PATH) {
    return tryFile('/proc/config.gz') ?? tryFile(`/boot/config-${release()}`) ?? UNKNOWN;
  }
  const dir = dirname(path);
  const name = basename(path);
  const m = /^vmlinu[xz]-(.+)$/.exec(name);
  const candidates = m ? [join(dir, `config-${m[1]}`)] : [join(dir, 'config'), join(dir, `config-${basename(resolve(dir))}`)];
  for (const c of candidates) {
    const f = tryFile(c);
    if (f) return f;
  }
  return (await embeddedConfig(path, loader)) ?? UNKNOWN;
}

/** "CONFIG_MODULE_ALLOW_BTF_MISMATCH=y (from FILE)" / "... unknown" for reports. */
export function describeConfig(f: KernelConfigFinding): string {
  if (f.allowBtfMismatch === null) return 'kernel configuration unknown (give --config FILE)';
  if (f.btfModules === false) return `CONFIG_DEBUG_INFO_BTF_MODULES is not set (${f.source}): the kernel does not read module BTF`;
  return `CONFIG_MODULE_ALLOW_BTF_MISMATCH${f.allowBtfMismatch ? '=y' : ' is not set'} (${f.source})`;
}
