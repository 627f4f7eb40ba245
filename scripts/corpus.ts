/**
 * Builds the real-kernel corpus used by tests and benchmarks (`npm run corpus`).
 *
 *   node dist/scripts/corpus.js [--force] [--deep] [--prune-debs]
 *
 * Approach: for each Debian kernel package below — `apt-get download` into <corpus>/debs
 * (after `apt-get update` when the package lists are missing), then
 * `dpkg-deb --fsys-tarfile | tar -x` of only ./boot/vmlinuz-* and ./lib/modules/ into a
 * scratch dir; the vmlinux ELF is decompressed out of boot/vmlinuz with btfkit's own
 * decompression (src/node/decompress.ts), its `.BTF` section located with src/elf and written
 * to <corpus>/<kver>/vmlinux.btf, and lib/modules/<kver>/kernel is moved (not copied) to
 * <corpus>/<kver>/modules (compressed modules, if a package had them, are decompressed by
 * content into .ko). The scratch tree is then deleted; .deb files are kept so a rebuild needs
 * no network (--prune-debs deletes them). vmlinux.btf must match the sha256 pinned below.
 * <corpus>/manifest.json records kernels, paths, sizes, sha256 and module counts.
 * Idempotent: when everything is present a run only verifies (vmlinux.btf hash, module
 * count; --deep re-hashes the module trees) and prints "up to date". Kernels are built in a
 * "<kver>.tmp" directory and renamed into place, so an interrupted run leaves no half corpus.
 * Where: $BTFKIT_CORPUS or ${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus (scripts/corpus-paths.ts).
 */

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { parseElf } from '../src/elf/index.js';
import { BtfkitError } from '../src/errors.js';
import { extractKernelElf, unpackBytes } from '../src/node/decompress.js';
import { parseBzImageHeader } from '../src/image/detect.js';
import { CORPUS_KERNELS, corpusDir, manifestPath } from './corpus-paths.js';

interface KernelSpec {
  kver: (typeof CORPUS_KERNELS)[number];
  pkg: string;
  btfSha256: string;
}

const KERNELS: KernelSpec[] = [
  { kver: '6.1.0-47-amd64', pkg: 'linux-image-6.1.0-47-amd64-unsigned', btfSha256: '465bdfeb99080d0314d51da1f677d9b0555d88a86731260a7c8e2eec92bef4d5' },
  { kver: '6.1.0-55-amd64', pkg: 'linux-image-6.1.0-55-amd64-unsigned', btfSha256: 'c09f1a7c565d81fce4ec0adcb1b361b86ee5c31ceddd86ffea2a2d7ec19d82c5' },
  { kver: '6.1.0-55-cloud-amd64', pkg: 'linux-image-6.1.0-55-cloud-amd64-unsigned', btfSha256: '1fdb23f4d53c8c00c8ce5681cfeea20bb06040cd97acb345c72048a409283e4c' },
];

interface KernelManifest {
  kver: string;
  package: string;
  deb: string;
  kernelVersion?: string;
  vmlinuz: { payloadFormat: string; payloadOffset: number; vmlinuxSize: number; vmlinuxSha256: string };
  vmlinuxBtf: { path: string; size: number; sha256: string };
  modules: { path: string; count: number; bytes: number; treeSha256: string };
}

interface Manifest {
  version: 1;
  generator: string;
  kernels: KernelManifest[];
}

const T0 = performance.now();
function log(msg: string): void {
  process.stdout.write(`[corpus ${((performance.now() - T0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
}

function fail(msg: string): never {
  process.stderr.write(`corpus: error: ${msg}\n`);
  process.exit(1);
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function readManifest(): Manifest | undefined {
  try {
    const m = JSON.parse(readFileSync(manifestPath(), 'utf8')) as Manifest;
    return m.version === 1 && Array.isArray(m.kernels) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** All regular files under `dir`, as paths relative to it, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Count, size and a digest of the module tree: sha256 over "path\0sha256(file)\n" lines. */
function hashTree(dir: string): { count: number; bytes: number; treeSha256: string } {
  const h = createHash('sha256');
  let count = 0;
  let bytes = 0;
  for (const rel of listFiles(dir)) {
    const data = readFileSync(join(dir, rel));
    if (rel.endsWith('.ko')) count++;
    bytes += data.length;
    h.update(`${rel}\0${sha256(data)}\n`);
  }
  return { count, bytes, treeSha256: h.digest('hex') };
}

function countModules(dir: string): number {
  return listFiles(dir).filter((f) => f.endsWith('.ko')).length;
}

// ---------------------------------------------------------------------------------------

/** Quick check of an already built kernel; returns a reason when it must be rebuilt. */
function checkKernel(spec: KernelSpec, m: KernelManifest | undefined, deep: boolean): string | undefined {
  const root = corpusDir();
  if (!m) return 'not in manifest';
  const btfPath = join(root, spec.kver, 'vmlinux.btf');
  if (!existsSync(btfPath)) return 'vmlinux.btf missing';
  const sum = sha256(readFileSync(btfPath));
  if (sum !== spec.btfSha256) return `vmlinux.btf sha256 ${sum} differs from the pinned one`;
  const mods = join(root, spec.kver, 'modules');
  if (!existsSync(mods)) return 'modules/ missing';
  if (deep) {
    const t = hashTree(mods);
    if (t.treeSha256 !== m.modules.treeSha256 || t.count !== m.modules.count) return 'module tree digest differs from the manifest';
  } else if (countModules(mods) !== m.modules.count) {
    return 'module count differs from the manifest';
  }
  return undefined;
}

function findDeb(debs: string, pkg: string): string | undefined {
  if (!existsSync(debs)) return undefined;
  const hits = readdirSync(debs).filter((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  return hits.sort().pop();
}

function aptGet(args: string[], cwd: string): { ok: boolean; output: string } {
  const r = spawnSync('apt-get', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) return { ok: false, output: String(r.error) };
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

let aptUpdated = false;
function download(spec: KernelSpec, debs: string): string {
  const have = findDeb(debs, spec.pkg);
  if (have) {
    log(`${spec.kver}: using cached ${have}`);
    return join(debs, have);
  }
  mkdirSync(debs, { recursive: true });
  log(`${spec.kver}: apt-get download ${spec.pkg}`);
  let r = aptGet(['download', spec.pkg], debs);
  if (!r.ok && !aptUpdated) {
    log(`${spec.kver}: download failed, running apt-get update first`);
    const u = aptGet(['update'], debs);
    aptUpdated = true;
    if (!u.ok) fail(`apt-get update failed:\n${u.output}`);
    r = aptGet(['download', spec.pkg], debs);
  }
  if (!r.ok) fail(`apt-get download ${spec.pkg} failed:\n${r.output}`);
  const got = findDeb(debs, spec.pkg);
  if (!got) fail(`apt-get download ${spec.pkg} succeeded but no .deb appeared in ${debs}`);
  log(`${spec.kver}: downloaded ${got} (${(statSync(join(debs, got)).size / 1048576).toFixed(1)} MiB)`);
  return join(debs, got);
}

/** dpkg-deb --fsys-tarfile DEB | tar -x -C DIR ./boot/vmlinuz-* ./lib/modules/* */
function extractDeb(deb: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  return new Promise((resolve, reject) => {
    const dpkg = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'inherit'] });
    const tar = spawn('tar', ['-x', '-C', dir, '--wildcards', './boot/vmlinuz-*', './lib/modules/*'], { stdio: ['pipe', 'inherit', 'inherit'] });
    dpkg.stdout.pipe(tar.stdin);
    let pending = 2;
    let failed = false;
    const done = (what: string) => (code: number | null) => {
      if (code !== 0 && !failed) {
        failed = true;
        reject(new Error(`${what} exited with ${code}`));
      }
      if (--pending === 0 && !failed) resolve();
    };
    dpkg.on('error', reject);
    tar.on('error', reject);
    dpkg.on('close', done('dpkg-deb'));
    tar.on('close', done('tar'));
  });
}

/** Decompresses compressed modules (.ko.xz/.ko.zst/.ko.gz...) in place, by content. */
function uncompressModules(dir: string): number {
  let n = 0;
  for (const rel of listFiles(dir)) {
    const m = /^(.*\.ko)\.[a-z0-9]+$/.exec(rel);
    if (!m) continue;
    const u = unpackBytes(new Uint8Array(readFileSync(join(dir, rel))));
    if (u.kind !== 'elf') fail(`${rel}: not an ELF module after decompression`);
    writeFileSync(join(dir, m[1]!), u.bytes);
    unlinkSync(join(dir, rel));
    n++;
  }
  return n;
}

async function buildKernel(spec: KernelSpec): Promise<KernelManifest> {
  const root = corpusDir();
  const debs = join(root, 'debs');
  const deb = download(spec, debs);
  const scratch = join(root, `.scratch-${spec.kver}`);
  const tmp = join(root, `${spec.kver}.tmp`);
  rmSync(scratch, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });

  let t = performance.now();
  await extractDeb(deb, scratch);
  log(`${spec.kver}: extracted boot/ and lib/modules/ (${((performance.now() - t) / 1000).toFixed(1)} s)`);

  const vmlinuzPath = join(scratch, 'boot', `vmlinuz-${spec.kver}`);
  if (!existsSync(vmlinuzPath)) fail(`${spec.kver}: ${relative(root, vmlinuzPath)} not found in ${deb}`);
  const image = new Uint8Array(readFileSync(vmlinuzPath));
  t = performance.now();
  const k = extractKernelElf(image);
  log(`${spec.kver}: vmlinux from vmlinuz: ${k.payload.format} payload at ${k.payload.offset}, ${k.bytes.length} bytes (${((performance.now() - t) / 1000).toFixed(2)} s)`);
  const elf = parseElf(k.bytes);
  const sec = elf.section('.BTF');
  if (!sec) fail(`${spec.kver}: the vmlinux has no .BTF section`);
  const btf = elf.sectionData(sec);
  const btfSum = sha256(btf);
  if (btfSum !== spec.btfSha256) fail(`${spec.kver}: vmlinux.btf sha256 ${btfSum}, expected ${spec.btfSha256}`);

  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'vmlinux.btf'), btf);
  const modSrc = join(scratch, 'lib', 'modules', spec.kver, 'kernel');
  if (!existsSync(modSrc)) fail(`${spec.kver}: lib/modules/${spec.kver}/kernel not found in ${deb}`);
  renameSync(modSrc, join(tmp, 'modules'));
  const unpacked = uncompressModules(join(tmp, 'modules'));
  if (unpacked) log(`${spec.kver}: decompressed ${unpacked} compressed modules`);
  t = performance.now();
  const tree = hashTree(join(tmp, 'modules'));
  log(`${spec.kver}: ${tree.count} modules, ${(tree.bytes / 1048576).toFixed(0)} MiB (hashed in ${((performance.now() - t) / 1000).toFixed(1)} s)`);

  const final = join(root, spec.kver);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  rmSync(scratch, { recursive: true, force: true });

  const kernelVersion = parseBzImageHeader(image)?.kernelVersion;
  return {
    kver: spec.kver,
    package: spec.pkg,
    deb: relative(root, deb),
    ...(kernelVersion !== undefined ? { kernelVersion } : {}),
    vmlinuz: { payloadFormat: k.payload.format, payloadOffset: k.payload.offset, vmlinuxSize: k.bytes.length, vmlinuxSha256: sha256(k.bytes) },
    vmlinuxBtf: { path: `${spec.kver}/vmlinux.btf`, size: btf.length, sha256: btfSum },
    modules: { path: `${spec.kver}/modules`, ...tree },
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  for (const a of args) {
    if (!['--force', '--deep', '--prune-debs'].includes(a)) {
      process.stderr.write('usage: corpus [--force] [--deep] [--prune-debs]\n');
      process.exit(2);
    }
  }
  const force = args.includes('--force');
  const deep = args.includes('--deep');
  const root = corpusDir();
  mkdirSync(root, { recursive: true });
  log(`corpus directory ${root}`);

  const old = readManifest();
  const kernels: KernelManifest[] = [];
  let built = 0;
  for (const spec of KERNELS) {
    const prev = old?.kernels.find((k) => k.kver === spec.kver);
    const why = force ? 'forced' : checkKernel(spec, prev, deep);
    if (why === undefined) {
      log(`${spec.kver}: ok (vmlinux.btf sha256 verified, ${prev!.modules.count} modules)`);
      kernels.push(prev!);
      continue;
    }
    log(`${spec.kver}: building (${why})`);
    kernels.push(await buildKernel(spec));
    built++;
  }
  if (built > 0 || !old) {
    const manifest: Manifest = { version: 1, generator: 'btfkit scripts/corpus.ts', kernels };
    writeAtomic(manifestPath(), `${JSON.stringify(manifest, null, 2)}\n`);
    log(`wrote ${manifestPath()}`);
  }
  if (args.includes('--prune-debs')) {
    rmSync(join(root, 'debs'), { recursive: true, force: true });
    log('removed debs/');
  }
  log(built === 0 ? 'up to date' : `done: built ${built} kernel(s)`);
}

main().catch((e: unknown) => {
  if (e instanceof BtfkitError) fail(e.describe());
  fail(e instanceof Error ? (e.stack ?? e.message) : String(e));
});
