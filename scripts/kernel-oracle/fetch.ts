/**
 * The two Debian 6.12 kernels of the oracle, fetched and unpacked into the corpus cache.
 *
 * Approach: `apt-get download` of `linux-image-<kver>-unsigned` into <corpus>/debs (after
 * `apt-get update` when the archive does not know it); when a wanted build has left the
 * archive, the oldest and newest 6.12 builds it offers are taken instead (pickKernels).
 * `dpkg-deb --fsys-tarfile | tar -x` unpacks boot/ and lib/modules/ into a scratch dir; the
 * kernel's BTF is read out of boot/vmlinuz with btfkit itself (src/node/decompress.ts finds
 * and decompresses the vmlinux, src/elf reads its .BTF). Result, renamed into place when
 * complete: <corpus>/kernel-oracle/<kver>/{vmlinuz, config, vmlinux.btf, modules/ (the
 * .ko.xz tree of lib/modules/<kver>/kernel), kernel.json}.
 */

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseElf } from '../../src/elf/index.js';
import { extractKernelElf } from '../../src/node/decompress.js';
import { corpusDir } from '../corpus-paths.js';

/** The builds the suite asks for first: an older one whose modules go into a newer kernel. */
export const WANTED_KERNELS = ['6.12.107+deb12-amd64', '6.12.118+deb12-amd64'] as const;

export const packageOf = (kver: string): string => `linux-image-${kver}-unsigned`;

const PKG_RE = /^linux-image-(6\.12\.(\d+)\+deb\d+-amd64)-unsigned$/;

/**
 * From `apt-cache search` output, the two kernels to use: the wanted ones when the archive has
 * both, else its oldest and newest 6.12 amd64 builds. null when it has fewer than two.
 */
export function pickKernels(searchOutput: string, wanted: readonly string[]): { kernels: [string, string]; substituted: boolean } | null {
  const offered = new Map<string, number>();
  for (const line of searchOutput.split('\n')) {
    const m = PKG_RE.exec(line.split(' - ')[0]!.trim());
    if (m) offered.set(m[1]!, Number(m[2]));
  }
  if (wanted.length === 2 && wanted.every((k) => offered.has(k))) return { kernels: [wanted[0]!, wanted[1]!], substituted: false };
  const sorted = [...offered].sort((a, b) => a[1] - b[1]).map(([k]) => k);
  if (sorted.length < 2) return null;
  return { kernels: [sorted[0]!, sorted[sorted.length - 1]!], substituted: true };
}

export interface OracleKernel {
  kver: string;
  dir: string;
  vmlinuz: string;
  config: string;
  btf: string;
  modules: string;
}

export function oracleDir(): string {
  return join(corpusDir(), 'kernel-oracle');
}

export function kernelPaths(kver: string): OracleKernel {
  const dir = join(oracleDir(), kver);
  return { kver, dir, vmlinuz: join(dir, 'vmlinuz'), config: join(dir, 'config'), btf: join(dir, 'vmlinux.btf'), modules: join(dir, 'modules') };
}

function apt(args: string[], cwd: string): { ok: boolean; out: string } {
  const r = spawnSync('apt-get', args, { cwd, encoding: 'utf8' });
  return { ok: !r.error && r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function findDeb(debs: string, pkg: string): string | undefined {
  if (!existsSync(debs)) return undefined;
  return readdirSync(debs).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb')).sort().pop();
}

/** Which kernels to use: the wanted ones when their .debs are cached, else as the archive offers. */
export function chooseKernels(log: (s: string) => void): [string, string] {
  const debs = join(corpusDir(), 'debs');
  if (WANTED_KERNELS.every((k) => findDeb(debs, packageOf(k)) || existsSync(join(kernelPaths(k).dir, 'kernel.json')))) return [...WANTED_KERNELS];
  const search = (): string => spawnSync('apt-cache', ['search', '--names-only', '^linux-image-6\\.12\\..*-amd64-unsigned$'], { encoding: 'utf8' }).stdout ?? '';
  let pick = pickKernels(search(), WANTED_KERNELS);
  if (!pick || pick.substituted) {
    log('apt-get update (the archive does not offer both wanted kernels)');
    apt(['update'], '/');
    pick = pickKernels(search(), WANTED_KERNELS);
  }
  if (!pick) throw new Error('the Debian archive offers fewer than two linux-image-6.12.*-amd64-unsigned packages');
  if (pick.substituted) log(`wanted ${WANTED_KERNELS.join(' and ')}, not both offered: using the oldest and newest 6.12 builds, ${pick.kernels.join(' and ')}`);
  return pick.kernels;
}

function download(pkg: string, log: (s: string) => void): string {
  const debs = join(corpusDir(), 'debs');
  mkdirSync(debs, { recursive: true });
  let have = findDeb(debs, pkg);
  if (!have) {
    log(`apt-get download ${pkg}`);
    let r = apt(['download', pkg], debs);
    if (!r.ok) {
      apt(['update'], '/');
      r = apt(['download', pkg], debs);
    }
    if (!r.ok) throw new Error(`apt-get download ${pkg} failed: ${r.out.trim().split('\n').pop()}`);
    have = findDeb(debs, pkg);
    if (!have) throw new Error(`apt-get download ${pkg}: no .deb appeared in ${debs}`);
  }
  return join(debs, have);
}

function untar(deb: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  return new Promise((resolve, reject) => {
    const dpkg = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'inherit'] });
    // the modules are under ./lib/modules (Debian 12) or ./usr/lib/modules (Debian 13, merged /usr)
    const tar = spawn('tar', ['-x', '-C', dir, '--wildcards', './boot/*', './*lib/modules/*'], { stdio: ['pipe', 'inherit', 'inherit'] });
    dpkg.stdout.pipe(tar.stdin);
    let left = 2;
    let failed = false;
    const done = (what: string) => (code: number | null): void => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new Error(`${what} exited with ${code}`));
      }
      if (--left === 0 && !failed) resolve();
    };
    dpkg.on('error', reject);
    tar.on('error', reject);
    dpkg.on('close', done('dpkg-deb'));
    tar.on('close', done('tar'));
  });
}

/** The kernel unpacked in the cache (downloaded and unpacked when missing). */
export async function ensureKernel(kver: string, log: (s: string) => void): Promise<OracleKernel> {
  const k = kernelPaths(kver);
  if (existsSync(join(k.dir, 'kernel.json'))) return k;
  const deb = download(packageOf(kver), log);
  const tmp = `${k.dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  log(`unpacking ${deb}`);
  const scratch = join(tmp, 'scratch');
  await untar(deb, scratch);
  renameSync(join(scratch, 'boot', `vmlinuz-${kver}`), join(tmp, 'vmlinuz'));
  renameSync(join(scratch, 'boot', `config-${kver}`), join(tmp, 'config'));
  const usr = join(scratch, 'usr', 'lib', 'modules', kver, 'kernel');
  renameSync(existsSync(usr) ? usr : join(scratch, 'lib', 'modules', kver, 'kernel'), join(tmp, 'modules'));
  rmSync(scratch, { recursive: true, force: true });
  const elf = parseElf(extractKernelElf(new Uint8Array(readFileSync(join(tmp, 'vmlinuz')))).bytes);
  const sec = elf.section('.BTF');
  if (!sec) throw new Error(`${kver}: the vmlinux in vmlinuz has no .BTF section`);
  const btf = elf.sectionData(sec);
  writeFileSync(join(tmp, 'vmlinux.btf'), btf);
  const meta = { kver, package: packageOf(kver), deb: deb.split('/').pop(), btfSha256: createHash('sha256').update(btf).digest('hex'), btfBytes: btf.length };
  writeFileSync(join(tmp, 'kernel.json'), `${JSON.stringify(meta, null, 2)}\n`);
  rmSync(k.dir, { recursive: true, force: true });
  renameSync(tmp, k.dir);
  log(`${kver}: vmlinuz, config, vmlinux.btf (${btf.length} bytes), modules/ in ${k.dir}`);
  return k;
}

/** `CONFIG_NAME=y` in a kernel config file? */
export function configHas(configText: string, name: string): boolean {
  return new RegExp(`^${name}=y$`, 'm').test(configText);
}
