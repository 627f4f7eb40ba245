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
 * The two 6.12 kernels (zstd images, .ko.xz modules) also keep boot/vmlinuz as <kver>/vmlinuz;
 * the older one keeps its .ko.xz tree as shipped in <kver>/modules-xz next to the decompressed
 * modules/, the newer one keeps no modules (its image and BTF are what the tests need). When
 * the archive no longer offers a kernel, another build of the same series and flavour that
 * it offers is taken (the oldest for an "older" role, the newest for a "newer" one); its BTF
 * cannot be pinned, so its sha256 is only recorded (and the run says so).
 * Idempotent: when everything is present a run only verifies (vmlinux.btf hash, module
 * count; --deep re-hashes the module trees) and prints "up to date". Kernels are built in a
 * "<kver>.tmp" directory and renamed into place, so an interrupted run leaves no half corpus.
 * Where: $BTFKIT_CORPUS or ${XDG_CACHE_HOME:-$HOME/.cache}/btfkit/corpus (scripts/corpus-paths.ts).
 */

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

import { parseElf } from '../src/elf/index.js';
import { BtfkitError } from '../src/errors.js';
import { extractKernelElf, unpackBytes } from '../src/node/decompress.js';
import { parseBzImageHeader } from '../src/image/detect.js';
import { CORPUS_612, corpusDir, manifestPath } from './corpus-paths.js';

interface KernelSpec {
  kver: string;
  pkg: string;
  /** Pinned sha256 of vmlinux.btf (of this exact package; a stand-in is not pinned). */
  btfSha256: string | null;
  /** 6.12 kernels: their role in the tests (corpus612()), what is kept, how to replace them. */
  role?: '6.12-older' | '6.12-newer';
  keep?: { vmlinuz: boolean; modules: boolean; modulesXz: boolean };
  /** Regular expression for `apt-cache search --names-only` of stand-ins, and which to take. */
  standIn?: { pattern: string; pick: 'oldest' | 'newest' };
}

const STAND_IN_612 = '^linux-image-6\\.12\\.[0-9]+\\+deb[0-9]+-amd64-unsigned$';

const KERNELS: KernelSpec[] = [
  {
    kver: '6.1.0-47-amd64',
    pkg: 'linux-image-6.1.0-47-amd64-unsigned',
    btfSha256: '465bdfeb99080d0314d51da1f677d9b0555d88a86731260a7c8e2eec92bef4d5',
    // the xz image of the decompression benchmarks (scripts/bench-decomp.ts)
    keep: { vmlinuz: true, modules: true, modulesXz: false },
  },
  { kver: '6.1.0-55-amd64', pkg: 'linux-image-6.1.0-55-amd64-unsigned', btfSha256: 'c09f1a7c565d81fce4ec0adcb1b361b86ee5c31ceddd86ffea2a2d7ec19d82c5' },
  { kver: '6.1.0-55-cloud-amd64', pkg: 'linux-image-6.1.0-55-cloud-amd64-unsigned', btfSha256: '1fdb23f4d53c8c00c8ce5681cfeea20bb06040cd97acb345c72048a409283e4c' },
  {
    kver: CORPUS_612[0],
    pkg: `linux-image-${CORPUS_612[0]}-unsigned`,
    btfSha256: 'e5312389e824314dcbf494e28d7cbf4e68405ad87666f2174cb9b24abf24cd04',
    role: '6.12-older',
    keep: { vmlinuz: true, modules: true, modulesXz: true },
    standIn: { pattern: STAND_IN_612, pick: 'oldest' },
  },
  {
    kver: CORPUS_612[1],
    pkg: `linux-image-${CORPUS_612[1]}-unsigned`,
    btfSha256: '1360145b60eb67b7ab6a5568314c481a58ede7b9502a8e3d48d18e5a3ed67093',
    role: '6.12-newer',
    keep: { vmlinuz: true, modules: false, modulesXz: false },
    standIn: { pattern: STAND_IN_612, pick: 'newest' },
  },
];

interface TreeManifest {
  path: string;
  count: number;
  bytes: number;
  treeSha256: string;
}

interface KernelManifest {
  kver: string;
  package: string;
  role?: string;
  /** The image itself, when kept (6.12 kernels). */
  vmlinuzFile?: { path: string; size: number; sha256: string };
  deb: string;
  kernelVersion?: string;
  vmlinuz: { payloadFormat: string; payloadOffset: number; vmlinuxSize: number; vmlinuxSha256: string };
  vmlinuxBtf: { path: string; size: number; sha256: string };
  /** Absent when the kernel keeps no decompressed module tree. */
  modules?: TreeManifest;
  /** The compressed tree as shipped (.ko.xz), when kept. */
  modulesXz?: TreeManifest;
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
    if (/\.ko(\.[a-z0-9]+)?$/.test(rel)) count++;
    bytes += data.length;
    h.update(`${rel}\0${sha256(data)}\n`);
  }
  return { count, bytes, treeSha256: h.digest('hex') };
}

function countModules(dir: string): number {
  return listFiles(dir).filter((f) => /\.ko(\.[a-z0-9]+)?$/.test(f)).length;
}

// ---------------------------------------------------------------------------------------

/** Quick check of an already built kernel; returns a reason when it must be rebuilt. */
function checkKernel(spec: KernelSpec, m: KernelManifest | undefined, deep: boolean): string | undefined {
  const root = corpusDir();
  if (!m) return 'not in manifest';
  const btfPath = join(root, spec.kver, 'vmlinux.btf');
  if (!existsSync(btfPath)) return 'vmlinux.btf missing';
  const sum = sha256(readFileSync(btfPath));
  const pinned = spec.btfSha256 ?? m.vmlinuxBtf.sha256;
  if (sum !== pinned) return `vmlinux.btf sha256 ${sum} differs from the pinned one`;
  const keep = spec.keep ?? { vmlinuz: false, modules: true, modulesXz: false };
  if (keep.vmlinuz) {
    const f = join(root, m.kver, 'vmlinuz');
    if (!m.vmlinuzFile || !existsSync(f)) return VMLINUZ_MISSING;
    if (deep && sha256(readFileSync(f)) !== m.vmlinuzFile.sha256) return 'vmlinuz digest differs from the manifest';
  }
  const trees: Array<[string, TreeManifest | undefined]> = [];
  if (keep.modules) trees.push(['modules', m.modules]);
  if (keep.modulesXz) trees.push(['modules-xz', m.modulesXz]);
  for (const [name, t] of trees) {
    const dir = join(root, m.kver, name);
    if (!t || !existsSync(dir)) return `${name}/ missing`;
    if (deep) {
      const h = hashTree(dir);
      if (h.treeSha256 !== t.treeSha256 || h.count !== t.count) return `${name} tree digest differs from the manifest`;
    } else if (countModules(dir) !== t.count) {
      return `${name} count differs from the manifest`;
    }
  }
  return undefined;
}

const VMLINUZ_MISSING = 'vmlinuz missing';

/**
 * Adds the kept image to a kernel built before images were kept: only boot/vmlinuz is
 * extracted from the .deb (the module tree, which tests may be reading, is left alone).
 */
async function addVmlinuz(spec: KernelSpec, m: KernelManifest): Promise<KernelManifest> {
  const root = corpusDir();
  const deb = download(spec, join(root, 'debs'));
  const scratch = join(root, `.scratch-${spec.kver}`);
  rmSync(scratch, { recursive: true, force: true });
  await extractDeb(deb, scratch, ['./boot/vmlinuz-*']);
  const image = readFileSync(join(scratch, 'boot', `vmlinuz-${spec.kver}`));
  if (sha256(extractKernelElf(new Uint8Array(image)).bytes) !== m.vmlinuz.vmlinuxSha256) fail(`${spec.kver}: the vmlinux of ${deb} differs from the manifest`);
  writeAtomic(join(root, spec.kver, 'vmlinuz'), image);
  rmSync(scratch, { recursive: true, force: true });
  log(`${spec.kver}: added vmlinuz (${(image.length / 1048576).toFixed(1)} MiB)`);
  return { ...m, vmlinuzFile: { path: `${spec.kver}/vmlinuz`, size: image.length, sha256: sha256(image) } };
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

/** Package names matching `pattern` that apt offers, ordered by their version numbers. */
function standIns(pattern: string, debs: string): string[] {
  const r = spawnSync('apt-cache', ['search', '--names-only', pattern], { cwd: debs, encoding: 'utf8' });
  if (r.status !== 0) return [];
  const names = r.stdout.split('\n').map((l) => l.split(' - ')[0]!.trim()).filter((n) => new RegExp(pattern).test(n));
  const key = (n: string) => (n.match(/\d+/g) ?? []).map(Number);
  return names.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1);
    return 0;
  });
}

/**
 * The spec to build: `spec` itself when its package is cached or offered, else a stand-in of
 * the same series (other role's choice excluded), not pinned.
 */
function resolveSpec(spec: KernelSpec, debs: string, taken: Set<string>): KernelSpec {
  if (findDeb(debs, spec.pkg) || !spec.standIn) return spec;
  if (!aptUpdated && !aptGet(['download', '--print-uris', spec.pkg], debs).ok) {
    aptGet(['update'], debs);
    aptUpdated = true;
  }
  if (aptGet(['download', '--print-uris', spec.pkg], debs).ok) return spec;
  const offered = standIns(spec.standIn.pattern, debs).filter((n) => !taken.has(n));
  const pkg = spec.standIn.pick === 'oldest' ? offered[0] : offered[offered.length - 1];
  if (!pkg) fail(`${spec.pkg} is not offered and no stand-in matches ${spec.standIn.pattern}`);
  const kver = pkg.replace(/^linux-image-/, '').replace(/-unsigned$/, '');
  log(`${spec.kver}: not offered any more, taking ${kver} instead (its BTF is not pinned)`);
  return { ...spec, kver, pkg, btfSha256: null };
}

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
function extractDeb(deb: string, dir: string, members = ['./boot/vmlinuz-*', './lib/modules/*']): Promise<void> {
  mkdirSync(dir, { recursive: true });
  return new Promise((resolve, reject) => {
    const dpkg = spawn('dpkg-deb', ['--fsys-tarfile', deb], { stdio: ['ignore', 'pipe', 'inherit'] });
    const tar = spawn('tar', ['-x', '-C', dir, '--wildcards', ...members], { stdio: ['pipe', 'inherit', 'inherit'] });
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

/**
 * Decompresses compressed modules (.ko.xz/.ko.zst/.ko.gz...) by content: in place, or (with
 * `dest`) into a copy of the tree at `dest`, leaving `dir` as it was.
 */
function uncompressModules(dir: string, dest?: string): number {
  let n = 0;
  for (const rel of listFiles(dir)) {
    const m = /^(.*\.ko)\.[a-z0-9]+$/.exec(rel);
    const data = readFileSync(join(dir, rel));
    if (dest) mkdirSync(dirname(join(dest, rel)), { recursive: true });
    if (!m) {
      if (dest) writeFileSync(join(dest, rel), data);
      continue;
    }
    const u = unpackBytes(new Uint8Array(data.buffer, data.byteOffset, data.length));
    if (u.kind !== 'elf') fail(`${rel}: not an ELF module after decompression`);
    writeFileSync(join(dest ?? dir, m[1]!), u.bytes);
    if (!dest) unlinkSync(join(dir, rel));
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
  if (spec.btfSha256 !== null && btfSum !== spec.btfSha256) fail(`${spec.kver}: vmlinux.btf sha256 ${btfSum}, expected ${spec.btfSha256}`);
  if (spec.btfSha256 === null) log(`${spec.kver}: vmlinux.btf sha256 ${btfSum} (stand-in, not pinned)`);

  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'vmlinux.btf'), btf);
  const keep = spec.keep ?? { vmlinuz: false, modules: true, modulesXz: false };
  let vmlinuzFile: KernelManifest['vmlinuzFile'];
  if (keep.vmlinuz) {
    renameSync(vmlinuzPath, join(tmp, 'vmlinuz'));
    vmlinuzFile = { path: `${spec.kver}/vmlinuz`, size: image.length, sha256: sha256(image) };
  }
  const modSrc = join(scratch, 'lib', 'modules', spec.kver, 'kernel');
  if ((keep.modules || keep.modulesXz) && !existsSync(modSrc)) fail(`${spec.kver}: lib/modules/${spec.kver}/kernel not found in ${deb}`);
  let tree: TreeManifest | undefined;
  let treeXz: TreeManifest | undefined;
  if (keep.modulesXz) {
    renameSync(modSrc, join(tmp, 'modules-xz'));
    treeXz = { path: `${spec.kver}/modules-xz`, ...hashTree(join(tmp, 'modules-xz')) };
    log(`${spec.kver}: kept ${treeXz.count} compressed modules, ${(treeXz.bytes / 1048576).toFixed(0)} MiB`);
  }
  if (keep.modules) {
    t = performance.now();
    const unpacked = keep.modulesXz ? uncompressModules(join(tmp, 'modules-xz'), join(tmp, 'modules')) : (renameSync(modSrc, join(tmp, 'modules')), uncompressModules(join(tmp, 'modules')));
    if (unpacked) log(`${spec.kver}: decompressed ${unpacked} compressed modules (${((performance.now() - t) / 1000).toFixed(1)} s)`);
    t = performance.now();
    tree = { path: `${spec.kver}/modules`, ...hashTree(join(tmp, 'modules')) };
    log(`${spec.kver}: ${tree.count} modules, ${(tree.bytes / 1048576).toFixed(0)} MiB (hashed in ${((performance.now() - t) / 1000).toFixed(1)} s)`);
  }

  const final = join(root, spec.kver);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  rmSync(scratch, { recursive: true, force: true });

  const kernelVersion = parseBzImageHeader(image)?.kernelVersion;
  return {
    kver: spec.kver,
    package: spec.pkg,
    ...(spec.role ? { role: spec.role } : {}),
    deb: relative(root, deb),
    ...(kernelVersion !== undefined ? { kernelVersion } : {}),
    ...(vmlinuzFile ? { vmlinuzFile } : {}),
    vmlinuz: { payloadFormat: k.payload.format, payloadOffset: k.payload.offset, vmlinuxSize: k.bytes.length, vmlinuxSha256: sha256(k.bytes) },
    vmlinuxBtf: { path: `${spec.kver}/vmlinux.btf`, size: btf.length, sha256: btfSum },
    ...(tree ? { modules: tree } : {}),
    ...(treeXz ? { modulesXz: treeXz } : {}),
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
  const taken = new Set<string>();
  for (const preferred of KERNELS) {
    // A stand-in built earlier stays while its package is cached; else resolve anew.
    const prevStandIn = preferred.role ? old?.kernels.find((k) => k.role === preferred.role && k.kver !== preferred.kver) : undefined;
    const spec =
      prevStandIn && findDeb(join(root, 'debs'), prevStandIn.package) && !findDeb(join(root, 'debs'), preferred.pkg)
        ? { ...preferred, kver: prevStandIn.kver, pkg: prevStandIn.package, btfSha256: null }
        : resolveSpec(preferred, join(root, 'debs'), taken);
    taken.add(spec.pkg);
    const prev = old?.kernels.find((k) => k.kver === spec.kver);
    const why = force ? 'forced' : checkKernel(spec, prev, deep);
    if (why === undefined) {
      log(`${spec.kver}: ok (vmlinux.btf sha256 verified${prev!.modules ? `, ${prev!.modules.count} modules` : ''}${prev!.modulesXz ? `, ${prev!.modulesXz.count} compressed` : ''})`);
      kernels.push(prev!);
      continue;
    }
    if (why === VMLINUZ_MISSING && prev && !force) {
      kernels.push(await addVmlinuz(spec, prev));
      built++;
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
