/**
 * `npm run test:kernel`: the real kernel as the oracle for distill, check and load-check.
 *
 *   node dist/scripts/test-kernel.js [--old KVER --new KVER] [--sample N] [--bytes N] [--extra DIR] [--keep]
 *
 * Approach: two Debian 6.12 kernels (scripts/kernel-oracle/fetch.ts; an older build OLD whose
 * modules go into a newer one NEW; --old/--new name others, e.g. 6.12.111+deb12-amd64) are unpacked in the corpus cache. `btfkit check` predicts,
 * for every module of OLD distilled on OLD's BTF, whether NEW's loader accepts its BTF; the
 * sample is every predicted failure, an even spread of the rest, and their dependencies
 * (modinfo), in dependency order. Three initramfs images (guest.ts) are booted on NEW under
 * QEMU/TCG, each loading its list with the static loader (loader.c) and reporting per module
 * the finit_module result, /sys/kernel/btf/<module> and the kernel's log:
 *   a/b. "distilled": the sample after `btfkit distill DIR --base OLD --in-place`, init cleared
 *        (clear-init.ts), force-loaded; fates against `btfkit check` on NEW (compare.ts), and
 *        for a spread of them the bytes against `btfkit load-check -k NEW --dump`;
 *   c.   "control": the same modules not distilled: the kernel drops their BTF, as check says
 *        (a split that happens to fit NEW as it is may be kept: then check must say so too);
 *   d.   "kfunc": NEW's own kfunc-registering modules distilled on NEW's BTF, loaded with their
 *        init running: no BTF or kfunc error in the log.
 *   e.   --extra DIR (or $BTFKIT_ORACLE_EXTRA): modules built elsewhere (e.g. by the encoder)
 *        join the distilled boot and the byte comparison as they are.
 *   f.   the same extra modules booted into OLD, with the modules of OLD's tree they need: loaded,
 *        their BTF kept exactly when `btfkit check` against OLD accepts it, and byte for byte
 *        `btfkit load-check -k OLD --dump` (their .BTF.base, distilled from NEW, relocated by OLD).
 * Where qemu, gcc, cpio, modinfo or busybox-static are missing, or the guest kernel never
 * starts, one "skipped" line says why and the exit status is 0. Otherwise the counts are
 * printed and the exit status is 1 when any assertion fails.
 */

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

import { unpackBytes } from '../src/node/decompress.js';
import { corpusDir } from './corpus-paths.js';
import { chooseKernels, configHas, ensureKernel, type OracleKernel } from './kernel-oracle/fetch.js';
import { loadOrder, moduleName, readDepends, selectSample } from './kernel-oracle/modules.js';
import { clearModuleInit } from './kernel-oracle/clear-init.js';
import { boot, buildInitramfs, buildLoader, isStaticElf, type BootResult, type GuestModule, type ListEntry } from './kernel-oracle/guest.js';
import { btfAccepted, btfErrors, compareVerdicts, type CheckVerdict, type VerdictCounts } from './kernel-oracle/compare.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const BTFKIT = join(HERE, '..', 'src', 'cli', 'launcher.cjs');
const LOADER_C = join(HERE, '..', '..', 'scripts', 'kernel-oracle', 'loader.c');
const BUSYBOX = '/bin/busybox';
/** Modules of NEW that register kfunc sets (assertion d); their dependencies come along. */
const KFUNC_MODULES = ['tcp_bbr', 'tcp_dctcp', 'nf_conntrack', 'nf_nat', 'fou', 'xfrm_interface'];
/**
 * Soft dependencies modprobe would resolve through module aliases (not available without
 * depmod): libcrc32c's init asks for the "crc32c" shash ("softdep pre: crc32c").
 */
const SOFT_PRE: Record<string, string[]> = { libcrc32c: ['crc32c_generic'] };
/** Modules this large (compressed) stay out of the spread (they may come in as dependencies). */
const SPREAD_MAX_BYTES = 256 * 1024;
const BOOT_TIMEOUT_MS = 170_000;

const T0 = performance.now();
const secs = (): string => ((performance.now() - T0) / 1000).toFixed(1);
function log(msg: string): void {
  process.stdout.write(`[test:kernel ${secs().padStart(6)}s] ${msg}\n`);
}
function skip(why: string): never {
  process.stdout.write(`test:kernel: skipped: ${why}\n`);
  process.exit(0);
}

interface Options {
  sample: number;
  bytes: number;
  extra: string | undefined;
  keep: boolean;
  kernels: [string, string] | undefined;
}

function usage(): never {
  process.stderr.write('usage: test-kernel [--old KVER --new KVER] [--sample N] [--bytes N] [--extra DIR] [--keep]\n');
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sample: 540, bytes: 48, extra: process.env.BTFKIT_ORACLE_EXTRA || undefined, keep: false, kernels: undefined };
  let oldK: string | undefined;
  let newK: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--sample') o.sample = Number(argv[++i]);
    else if (a === '--bytes') o.bytes = Number(argv[++i]);
    else if (a === '--extra') o.extra = argv[++i];
    else if (a === '--keep') o.keep = true;
    else if (a === '--old') oldK = argv[++i];
    else if (a === '--new') newK = argv[++i];
    else {
      usage();
    }
  }
  if ((oldK === undefined) !== (newK === undefined) || !(o.sample > 0) || !(o.bytes >= 0)) usage();
  if (oldK !== undefined && newK !== undefined) o.kernels = [oldK, newK];
  return o;
}

function missingTool(): string | null {
  for (const tool of ['qemu-system-x86_64', 'gcc', 'cpio', 'modinfo', 'dpkg-deb']) {
    const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
    if (r.status !== 0) return `${tool} not found (apt-get install --no-install-recommends qemu-system-x86 busybox-static cpio kmod gcc)`;
  }
  if (!existsSync(BUSYBOX) || !isStaticElf(new Uint8Array(readFileSync(BUSYBOX)))) return `${BUSYBOX} is not a static busybox (apt-get install busybox-static)`;
  return null;
}

/** Runs the btfkit CLI; resolves with its exit status and output. */
function btfkit(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [BTFKIT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

async function btfkitOk(args: string[], okCodes = [0]): Promise<string> {
  const r = await btfkit(args);
  if (!okCodes.includes(r.code)) throw new Error(`btfkit ${args.join(' ')} exited with ${r.code}:\n${r.out.slice(-2000)}`);
  return r.out;
}

/** Runs `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  }));
  return out;
}

/** Module files under dir (recursive), by module name. */
function moduleFiles(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ko(\.(xz|zst|gz))?$/.test(e.name)) out.set(moduleName(p), p);
    }
  };
  walk(dir);
  return out;
}

/** Dependencies of every module of a kernel, cached next to it. */
function kernelDepends(k: OracleKernel, files: Map<string, string>): Map<string, string[]> {
  const cache = join(k.dir, 'depends.json');
  if (existsSync(cache)) return new Map(Object.entries(JSON.parse(readFileSync(cache, 'utf8')) as Record<string, string[]>));
  const deps = readDepends([...files.values()]);
  writeFileSync(cache, `${JSON.stringify(Object.fromEntries(deps))}\n`);
  return deps;
}

/** Decompressed copies of the named modules under dir (tree kept), by name. */
function copyModules(names: string[], files: Map<string, string>, root: string, dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const n of names) {
    const src = files.get(n)!;
    const dest = join(dir, relative(root, src).replace(/\.ko\.(xz|zst|gz)$/, '.ko'));
    mkdirSync(dirname(dest), { recursive: true });
    const u = unpackBytes(new Uint8Array(readFileSync(src)));
    if (u.kind !== 'elf') throw new Error(`${src}: not an ELF module`);
    writeFileSync(dest, u.bytes);
    out.set(n, dest);
  }
  return out;
}

function clearInits(files: Iterable<string>): number {
  let n = 0;
  for (const f of files) {
    const r = clearModuleInit(new Uint8Array(readFileSync(f)));
    if (r.cleared) writeFileSync(f, r.bytes);
    n += r.cleared ? 1 : 0;
  }
  return n;
}

async function checkJson(dir: string, kernel: string, out: string, build?: string): Promise<Map<string, CheckVerdict>> {
  await btfkitOk(['check', dir, '-k', `new=${kernel}`, ...(build ? ['--build-kernel', build] : []), `--json=${out}`, '-q'], [0, 1]);
  const j = JSON.parse(readFileSync(out, 'utf8')) as { results: CheckVerdict[] };
  return new Map(j.results.map((r) => [moduleName(r.module), r]));
}

/** Every k-th of `names` so that `n` are picked. */
function spread(names: string[], n: number): string[] {
  if (names.length <= n) return names;
  return Array.from({ length: n }, (_, i) => names[Math.floor((i * names.length) / n)]!);
}

function byName(b: BootResult): Map<string, GuestModule> {
  return new Map(b.report.modules.map((m) => [m.name, m]));
}

async function runBoot(what: string, work: string, k: OracleKernel, loader: string, entries: ListEntry[], loaderArgs: string): Promise<BootResult> {
  const dir = join(work, `boot-${what}`);
  mkdirSync(dir, { recursive: true });
  const ird = buildInitramfs(dir, BUSYBOX, loader, entries, loaderArgs);
  log(`${what}: booting ${k.kver} with ${entries.length} modules (initramfs ${(ird.bytes / 1048576).toFixed(0)} MiB)`);
  const once = (): Promise<BootResult> => boot({ vmlinuz: k.vmlinuz, initrd: ird.path, initrdBytes: ird.bytes, consoleLog: join(dir, 'console.log'), reportFile: join(dir, 'report.txt'), timeoutMs: BOOT_TIMEOUT_MS });
  let r = await once();
  if (r.report.modules.length === 0 && !r.timedOut) {
    // the guest died before its first module (e.g. a boot-time panic under a busy host): once more
    log(`${what}: the guest stopped before loading anything (${r.console.match(/Kernel panic[^\n]*/)?.[0] ?? `exit ${r.exitCode}`}); booting again`);
    r = await once();
  }
  const inLoads = r.report.modules.reduce((s, m) => s + Math.max(0, m.us), 0) / 1e6;
  const slow = [...r.report.modules].sort((a, b) => b.us - a.us).slice(0, 3).map((m) => `${m.name} ${(m.us / 1e6).toFixed(1)} s`);
  log(`${what}: guest ${r.timedOut ? 'TIMED OUT' : 'powered off'} after ${(r.ms / 1000).toFixed(1)} s, reported ${r.report.modules.length}/${entries.length} modules${r.report.done === null ? ' (no @@DONE)' : ''}; ${inLoads.toFixed(1)} s (guest clock) in finit_module, slowest ${slow.join(', ')}`);
  if (r.report.modules.length === 0 && !/Linux version|Run \/init|@@@INIT-DONE|Kernel panic/.test(r.console)) {
    skip(`QEMU did not start the guest kernel under TCG (${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}; console: ${r.console.trim().split('\n').pop() ?? ''})`);
  }
  return r;
}

function printVerdicts(what: string, c: VerdictCounts): void {
  log(`${what}: ${c.modules} modules: ${c.loaded} loaded (${c.keptBtf} kept their BTF, ${c.droppedBtf} loaded without BTF), ${c.notLoaded.length} not loaded, ${c.missing.length} missing from the report`);
  log(`${what}: fate as btfkit states: ${c.agreeAccepted + c.agreeRejected}/${c.loaded} (accepted ${c.agreeAccepted}, rejected ${c.agreeRejected}); type named by the kernel = by btfkit: ${c.typeAgree}/${c.typeChecked} (same sentence ${c.messageAgree})`);
  const errnos = new Map<string, number>();
  for (const n of c.notLoaded) errnos.set(`errno ${n.rc}`, (errnos.get(`errno ${n.rc}`) ?? 0) + 1);
  if (c.notLoaded.length) log(`${what}: not loaded (not a BTF verdict): ${[...errnos].map(([k, v]) => `${v} × ${k}`).join(', ')}; e.g. ${c.notLoaded.slice(0, 3).map((n) => `${n.name}: ${n.why}`).join('; ')}`);
  for (const m of c.fateMismatch.slice(0, 10)) log(`${what}: MISMATCH ${m.name}: btfkit says ${m.expected}, the kernel gave ${m.observed}; log: ${m.log.filter((l) => /BTF|BPF|btf/.test(l)).slice(0, 3).join(' | ')}`);
  for (const m of c.typeMismatch.slice(0, 10)) log(`${what}: TYPE MISMATCH ${m.name}: kernel "${m.kernel}", btfkit "${m.btfkit}"`);
}

interface Ctx {
  opts: Options;
  oldK: OracleKernel;
  newK: OracleKernel;
  work: string;
  allowMismatch: boolean;
  failures: string[];
}

/**
 * Modules of the encoder corpus (scripts/encoder-corpus.sh) and of the DKMS corpus
 * (scripts/dkms-corpus.sh, '../encoder-dkms/...'), built by kbuild for 6.12.118; percpu_test,
 * scap and ipt_NETFLOW have per-CPU variables (a `.data..percpu` DATASEC). Names that Debian's
 * own tree has are left out (the sample may need them).
 */
const ENCODED = [
  'net/dummy', 'net/ifb', 'net/nlmon', 'minix/minix', 'v4l2loopback/v4l2loopback', 'netfilter/xt_comment', 'hid/hid-cherry',
  'usb/cytherm', 'usb/usbsevseg', 'tcp/tcp_vegas', 'tcp/tcp_yeah', 'tcp/tcp_westwood', 'percpu/percpu_test',
  '../encoder-dkms/falcosecurity-scap/scap', '../encoder-dkms/iptables-netflow/ipt_NETFLOW', '../encoder-dkms/vpoll/vpoll',
  '../encoder-dkms/r8168/r8168', '../encoder-dkms/r8125/r8125', '../encoder-dkms/dkms-test/dkms_test',
  '../encoder-dkms/xpadneo/hid-xpadneo', '../encoder-dkms/yt6801/yt6801',
  // DWARF 4 builds, builds that keep every declared type, and builds with DWARF type units
  'dwarf4-tcp/tcp_illinois', 'dwarf4-hid/hid-belkin', 'dwarf4-netfilter/xt_string', 'unused-types-tcp/tcp_htcp',
  'typeunits-tcp/tcp_nv', 'typeunits-hid/hid-apple',
  // clang builds with type tags (TYPE_TAG chains of __user, __rcu, __percpu), DWARF 5 and 4
  'clang-tcp/tcp_hybla', 'clang-tcp/tcp_lp', 'clang-netfilter/xt_hashlimit', 'clang-hid/hid-kensington',
  'clang-usb/idmouse', 'clang-openvswitch/nft_ct', 'clang-dwarf4-tcp/tcp_cdg',
  // lttng-modules (a tracer and a probe that need one another) and an openrazer driver
  '../encoder-dkms/lttng-modules/lttng-wrapper', '../encoder-dkms/lttng-modules/lttng-clock', '../encoder-dkms/lttng-modules/lttng-statedump',
  '../encoder-dkms/lttng-modules/lttng-lib-ring-buffer',
  '../encoder-dkms/lttng-modules/lttng-tracer', '../encoder-dkms/lttng-modules/lttng-probe-sched',
  '../encoder-dkms/lttng-modules/lttng-ring-buffer-client-discard', '../encoder-dkms/openrazer-driver/razerkbd',
  // Debian 12's and its backports' own versions of DKMS packages
  '../encoder-dkms/rtpengine-kernel-deb12/xt_RTPENGINE', '../encoder-dkms/dpdk-kmods-deb12/igb_uio', '../encoder-dkms/zfs-bpo12/spl',
];

/** Modules encoded from a copy whose debug sections `objcopy --compress-debug-sections` compressed (zlib, zstd). */
const COMPRESSED: Array<[string, 'zlib' | 'zstd']> = [['tcp/tcp_dctcp', 'zlib'], ['hid/hid-cypress', 'zstd']];

/**
 * The DKMS modules of ENCODED as gcc 14 built them in Debian 13 against its own headers
 * (scripts/trixie-corpus.sh, which records those headers' kernel in `kernel-version`), with
 * mimic's kfunc set and v4l2loopback.
 */
const TRIXIE_ENCODED = [
  ...ENCODED.filter((m) => m.startsWith('../encoder-dkms/')).map((m) => m.slice('../encoder-dkms/'.length)),
  'mimic/mimic', 'v4l2loopback-bpo12/v4l2loopback',
];

/**
 * e. without --extra: when an encoder corpus is here and NEW is the kernel its modules were
 * built for (6.12.118: the encoder corpus and the DKMS corpus; the Debian 13 kernel of
 * scripts/trixie-corpus.sh: its gcc 14 builds), those modules get their BTF from `btfkit
 * encode` (on NEW's BTF) and join a and b.
 */
async function encodedModules(newK: OracleKernel, work: string): Promise<string | undefined> {
  const trixie = join(corpusDir(), 'encoder-dkms-trixie');
  const trixieKver = existsSync(join(trixie, 'kernel-version')) ? readFileSync(join(trixie, 'kernel-version'), 'utf8').trim() : '';
  const source = newK.kver === trixieKver ? { corpus: trixie, list: TRIXIE_ENCODED, compressed: [] }
    : newK.kver.startsWith('6.12.118') ? { corpus: join(corpusDir(), 'encoder'), list: ENCODED, compressed: COMPRESSED }
    : null;
  if (!source || !existsSync(source.corpus)) return undefined;
  const { corpus, list, compressed } = source;
  const dir = join(work, 'encoded');
  mkdirSync(dir, { recursive: true });
  let n = 0;
  for (const m of list) {
    const pre = join(corpus, `${m}.prebtf.ko`);
    if (!existsSync(pre)) continue;
    await btfkitOk(['encode', pre, '-B', newK.btf, '-o', join(dir, `${m.split('/').pop()}.ko`), '-q']);
    n++;
  }
  for (const [m, z] of compressed) {
    const pre = join(corpus, `${m}.prebtf.ko`);
    const copy = join(work, `${m.split('/').pop()}.${z}.ko`);
    if (!existsSync(pre) || spawnSync('objcopy', [`--compress-debug-sections=${z}`, pre, copy]).status !== 0) continue;
    await btfkitOk(['encode', copy, '-B', newK.btf, '-o', join(dir, `${m.split('/').pop()}.ko`), '-q']);
    n++;
  }
  log(`e. encoded ${n} modules of ${corpus} with btfkit encode -B ${newK.kver}`);
  return n ? dir : undefined;
}

/** The a/b/c side: btfkit's predictions, the sample, its distilled and control copies, verdicts. */
async function prepareSample(c: Ctx) {
  const { opts, oldK, newK, work } = c;
  const oldFiles = moduleFiles(oldK.modules);
  const oldDeps = kernelDepends(oldK, oldFiles);
  const predicted = await checkJson(oldK.modules, newK.btf, join(work, 'predict.json'), oldK.btf);
  const mustFail = new Set([...predicted].filter(([, v]) => !btfAccepted(v)).map(([n]) => n));
  log(`btfkit check: ${predicted.size} modules of ${oldK.kver} distilled on its BTF: ${mustFail.size} predicted to fail on ${newK.kver}`);
  // e. modules from elsewhere: what they need of OLD joins the sample; their names stay out of it
  const extra = opts.extra ? moduleFiles(opts.extra) : new Map<string, string>();
  const extraDeps = extra.size ? readDepends([...extra.values()]) : new Map<string, string[]>();
  const mustLoad = new Set([...mustFail, ...[...extraDeps.values()].flat().filter((d) => !extra.has(d))]);
  const big = (n: string): boolean => extra.has(n) || statSync(oldFiles.get(n)!).size > SPREAD_MAX_BYTES;
  const sample = selectSample([...oldFiles.keys()], mustLoad, opts.sample, oldDeps, big);
  const order = loadOrder(sample, oldDeps);
  const clash = order.filter((n) => extra.has(n));
  if (clash.length) throw new Error(`extra modules share a name with modules the sample needs: ${clash.join(', ')}`);
  log(`sample: ${mustFail.size} predicted failures + ${sample.length - mustFail.size} spread, with dependencies ${order.length} modules`);

  const distDir = join(work, 'distilled');
  const ctrlDir = join(work, 'control');
  const dist = copyModules(order, oldFiles, oldK.modules, distDir);
  cpSync(distDir, ctrlDir, { recursive: true });
  const ctrl = new Map([...dist].map(([n, f]) => [n, join(ctrlDir, relative(distDir, f))]));
  await btfkitOk(['distill', distDir, '--base', oldK.btf, '--in-place', '-q']);
  const extraDir = join(work, 'extra');
  const extraCopies = copyModules([...extra.keys()], extra, opts.extra ?? '', extraDir);
  const cleared = clearInits([...dist.values(), ...ctrl.values(), ...extraCopies.values()]);
  log(`distilled ${dist.size} modules with btfkit (--in-place), ${extraCopies.size} extra modules; init cleared in ${cleared} files`);
  const verdicts = await checkJson(distDir, newK.btf, join(work, 'verdicts.json'));
  const ctrlVerdicts = await checkJson(ctrlDir, newK.btf, join(work, 'control.json'));
  const extraVerdicts = extraCopies.size ? await checkJson(extraDir, newK.btf, join(work, 'extra.json')) : new Map<string, CheckVerdict>();
  for (const [n, v] of extraVerdicts) verdicts.set(n, v);

  const accepted = order.filter((n) => { const v = verdicts.get(n); return v !== undefined && btfAccepted(v); });
  const byteSample = new Set([...spread(accepted, opts.bytes), ...extraCopies.keys()]);
  const extraOrder = loadOrder(extra.keys(), new Map([...extraDeps].map(([n, d]) => [n, d.filter((x) => extra.has(x))])));
  const files = new Map([...dist, ...extraCopies]);
  const distEntries: ListEntry[] = [...order, ...extraOrder].map((n) => ({ name: n, file: files.get(n)!, dump: byteSample.has(n) }));
  const ctrlEntries: ListEntry[] = order.map((n) => ({ name: n, file: ctrl.get(n)!, dump: false }));
  return { order, mustFail, files, verdicts, ctrlVerdicts, byteSample, distEntries, ctrlEntries, extraNames: [...extraCopies.keys()], extraDir, extraDeps, extraOrder };
}

/**
 * f: the extra modules (built for NEW: encoded on its BTF, their .BTF.base distilled from it)
 * into OLD, with what they need of OLD's own tree: the kernel relocates their base onto OLD's
 * BTF. btfkit's verdicts against OLD, and its load-check dumps, are what they are held to.
 */
async function prepareExtraOld(c: Ctx, s: Awaited<ReturnType<typeof prepareSample>>) {
  const { oldK, work } = c;
  const oldFiles = moduleFiles(oldK.modules);
  const oldDeps = kernelDepends(oldK, oldFiles);
  const extra = new Set(s.extraNames);
  const needed = [...new Set([...s.extraDeps.values()].flat())].filter((d) => !extra.has(d));
  const absent = needed.filter((d) => !oldFiles.has(d));
  if (absent.length) c.failures.push(`f: ${oldK.kver} has no ${absent.join(', ')}, needed by the extra modules`);
  const depOrder = loadOrder(needed.filter((d) => oldFiles.has(d)), oldDeps);
  const deps = copyModules(depOrder, oldFiles, oldK.modules, join(work, 'old-deps'));
  clearInits(deps.values());
  const verdicts = await checkJson(s.extraDir, oldK.btf, join(work, 'extra-old.json'));
  const entries: ListEntry[] = [
    ...depOrder.map((n) => ({ name: n, file: deps.get(n)!, dump: false })),
    ...s.extraOrder.map((n) => ({ name: n, file: s.files.get(n)!, dump: true })),
  ];
  return { entries, verdicts, deps: depOrder.length };
}

/** The d side: NEW's kfunc modules and their dependencies, distilled on NEW's BTF. */
async function prepareKfunc(c: Ctx) {
  const { newK, work } = c;
  const newFiles = moduleFiles(newK.modules);
  const newDeps = kernelDepends(newK, newFiles);
  for (const [n, pre] of Object.entries(SOFT_PRE)) if (newDeps.has(n)) newDeps.set(n, [...newDeps.get(n)!, ...pre.filter((p) => newDeps.has(p))]);
  const kfOrder = loadOrder(KFUNC_MODULES.filter((n) => newFiles.has(n)), newDeps);
  const kfDir = join(work, 'kfunc');
  const kf = copyModules(kfOrder, newFiles, newK.modules, kfDir);
  await btfkitOk(['distill', kfDir, '--base', newK.btf, '--in-place', '-q']);
  const kfEntries: ListEntry[] = kfOrder.map((n) => ({ name: n, file: kf.get(n)!, dump: false }));
  return { kfOrder, kf, kfEntries };
}

/** a: every loaded module's fate and named type as btfkit states them. */
function assertVerdicts(c: Ctx, s: Awaited<ReturnType<typeof prepareSample>>, guest: Map<string, GuestModule>): VerdictCounts {
  const ca = compareVerdicts(s.distEntries.map((e) => e.name), s.verdicts, guest, c.allowMismatch);
  printVerdicts('a. distilled', ca);
  if (ca.loaded < 500) c.failures.push(`a: only ${ca.loaded} distilled modules loaded (need >= 500)`);
  if (ca.fateMismatch.length) c.failures.push(`a: ${ca.fateMismatch.length} modules' fate differs from btfkit's`);
  if (ca.typeMismatch.length) c.failures.push(`a: ${ca.typeMismatch.length} refused modules name another type than btfkit`);
  if (ca.missing.length) c.failures.push(`a: ${ca.missing.length} modules missing from the guest's report (first ${ca.missing[0]})`);
  if (!ca.agreeRejected && s.mustFail.size) c.failures.push('a: no module of the predicted failures was seen rejected');
  return ca;
}

/** b: the guest's /sys/kernel/btf/<module> bytes against load-check --dump. */
function assertBytes(c: Ctx, mine: { n: string; mine: Uint8Array | null }[], guest: Map<string, GuestModule>): string {
  const dumps = mine.filter((d) => guest.get(d.n)?.bytes).map(({ n, mine }) => {
    const g = guest.get(n)!;
    return { n, same: mine !== null && Buffer.compare(mine, g.bytes!) === 0 && g.bytes!.length === g.btfSize };
  });
  const same = dumps.filter((d) => d.same).length;
  log(`b. bytes: /sys/kernel/btf/<module> = btfkit load-check --dump for ${same}/${dumps.length} modules${dumps.length - same ? ` (differ: ${dumps.filter((d) => !d.same).map((d) => d.n).slice(0, 8).join(', ')})` : ''}`);
  if (same < 40) c.failures.push(`b: only ${same} byte-identical modules (need >= 40)`);
  if (same !== dumps.length) c.failures.push(`b: ${dumps.length - same} modules' BTF differs from btfkit load-check --dump`);
  return `${same}/${dumps.length} byte-identical`;
}

/** c: modules not distilled: the kernel drops every BTF, as btfkit says. */
function assertControl(c: Ctx, s: Awaited<ReturnType<typeof prepareSample>>, guest: Map<string, GuestModule>): string {
  const cc = compareVerdicts(s.order, s.ctrlVerdicts, guest, c.allowMismatch);
  printVerdicts('c. control (not distilled)', cc);
  const refuses = s.order.filter((n) => { const v = s.ctrlVerdicts.get(n); return v !== undefined && !btfAccepted(v); }).length;
  log(`c. control: btfkit says ${refuses}/${s.order.length} are refused; the kernel dropped the BTF of ${cc.droppedBtf}/${cc.loaded} loaded`);
  // A split BTF that happens to fit NEW as it is (a tiny module) is kept; that is no failure when
  // btfkit said so too (it is then counted among the agreeing fates), only a disagreement is.
  const kept = s.order.filter((n) => { const v = s.ctrlVerdicts.get(n); return v !== undefined && btfAccepted(v); }).filter((n) => guest.get(n)?.rc === 0 && guest.get(n)!.btfSize >= 0);
  if (kept.length) log(`c. control: ${kept.length} not-distilled module${kept.length === 1 ? '' : 's'} kept ${kept.length === 1 ? 'its' : 'their'} BTF, as btfkit says ("consistent with this kernel"): ${kept.slice(0, 8).join(', ')}`);
  if (cc.fateMismatch.length) c.failures.push(`c: ${cc.fateMismatch.length} control modules' fate differs from btfkit's`);
  if (cc.missing.length) c.failures.push(`c: ${cc.missing.length} modules missing from the guest's report`);
  if (cc.loaded < 500) c.failures.push(`c: only ${cc.loaded} control modules loaded`);
  return `${cc.droppedBtf}/${cc.loaded} dropped, btfkit ${refuses}/${s.order.length}`;
}

/** e: the extra modules (e.g. made by `btfkit encode`): loaded, with their BTF when btfkit says it is accepted. */
function assertExtra(c: Ctx, s: Awaited<ReturnType<typeof prepareSample>>, guest: Map<string, GuestModule>): string {
  let ok = 0;
  for (const n of s.extraNames) {
    const g = guest.get(n);
    const v = s.verdicts.get(n);
    const wantBtf = v !== undefined && btfAccepted(v);
    const good = g !== undefined && g.rc === 0 && (g.btfSize >= 0) === wantBtf;
    if (good) ok++;
    else c.failures.push(`e: extra module ${n} ${g ? `rc ${g.rc}, BTF ${g.btfSize >= 0 ? 'kept' : 'dropped'}` : 'not reported'}; btfkit: BTF ${wantBtf ? 'accepted' : 'rejected'}`);
    log(`e. extra: ${n}: ${g ? `rc ${g.rc}, BTF ${g.btfSize >= 0 ? `kept (${g.btfSize} bytes)` : 'dropped'}` : 'NOT REPORTED'}; btfkit: BTF ${wantBtf ? 'accepted' : 'rejected'}`);
  }
  return `${ok}/${s.extraNames.length}`;
}

/** f: the extra modules in OLD: loaded, BTF kept when btfkit says it is accepted, and byte for byte btfkit's dump. */
function assertExtraOld(c: Ctx, s: Awaited<ReturnType<typeof prepareSample>>, x: Awaited<ReturnType<typeof prepareExtraOld>>, mine: { n: string; mine: Uint8Array | null }[], guest: Map<string, GuestModule>): string {
  let ok = 0;
  let same = 0;
  const dumps = new Map(mine.map((d) => [d.n, d.mine]));
  for (const n of s.extraNames) {
    const g = guest.get(n);
    const v = x.verdicts.get(n);
    const wantBtf = v !== undefined && btfAccepted(v);
    const good = g !== undefined && g.rc === 0 && (g.btfSize >= 0) === wantBtf;
    const d = dumps.get(n);
    const bytes = !wantBtf || (g !== undefined && g.bytes !== null && d !== null && d !== undefined && Buffer.compare(d, g.bytes) === 0);
    if (good) ok++;
    if (good && wantBtf && bytes) same++;
    if (!good) c.failures.push(`f: extra module ${n} in ${c.oldK.kver}: ${g ? `rc ${g.rc}, BTF ${g.btfSize >= 0 ? 'kept' : 'dropped'}` : 'not reported'}; btfkit: BTF ${wantBtf ? 'accepted' : 'rejected'}`);
    else if (!bytes) c.failures.push(`f: extra module ${n} in ${c.oldK.kver}: /sys/kernel/btf/${n} differs from btfkit load-check --dump`);
    log(`f. extra in ${c.oldK.kver}: ${n}: ${g ? `rc ${g.rc}, BTF ${g.btfSize >= 0 ? `kept (${g.btfSize} bytes${bytes ? ', = load-check --dump' : ', DIFFERS from load-check --dump'})` : 'dropped'}` : 'NOT REPORTED'}; btfkit: BTF ${wantBtf ? 'accepted' : 'rejected'}`);
  }
  const kept = s.extraNames.filter((n) => (guest.get(n)?.btfSize ?? -1) >= 0).length;
  if (kept < s.extraNames.length) log(`f. ${s.extraNames.length - kept} extra modules loaded into ${c.oldK.kver} without BTF`);
  return `${ok}/${s.extraNames.length} as btfkit states (${kept} with BTF, ${same} of them byte-identical to load-check --dump; ${x.deps} modules of ${c.oldK.kver} under them)`;
}

/** d: kfunc modules loaded with init: BTF kept, no BTF or kfunc error. */
function assertKfunc(c: Ctx, k: Awaited<ReturnType<typeof prepareKfunc>>, kfSets: Map<string, number>, guest: Map<string, GuestModule>): string {
  let ok = 0;
  for (const n of k.kfOrder) {
    const g = guest.get(n);
    const errs = g ? btfErrors(g.log) : [];
    const good = g !== undefined && g.complete && g.rc === 0 && g.btfSize >= 0 && errs.length === 0;
    if (good) ok++;
    const sets = kfSets.get(n);
    log(`d. kfunc: ${n}: ${g ? `rc ${g.rc}, BTF ${g.btfSize >= 0 ? `kept (${g.btfSize} bytes)` : 'DROPPED'}` : 'NOT REPORTED'}${sets !== undefined ? `, ${sets} kfunc set${sets === 1 ? '' : 's'} per load-check` : ''}${errs.length ? `; errors: ${errs.join(' | ')}` : ''}`);
    if (!good) c.failures.push(`d: ${n} did not load cleanly with its BTF`);
  }
  log(`d. kfunc: ${ok}/${k.kfOrder.length} modules (${KFUNC_MODULES.filter((x) => k.kf.has(x)).length} kfunc modules + dependencies) loaded with init and BTF, no BTF/kfunc error`);
  return `${ok}/${k.kfOrder.length}`;
}

async function run(c: Ctx): Promise<void> {
  const s = await prepareSample(c);
  const k = await prepareKfunc(c);
  const { newK, work } = c;
  // btfkit's side of b and d runs while the guests boot
  const kfSetsP = pool(KFUNC_MODULES.filter((x) => k.kf.has(x)), 1, async (n) => {
    const out = await btfkit(['load-check', k.kf.get(n)!, '-k', newK.btf]);
    return [n, (out.out.match(/^ {2}kfunc set /gm) ?? []).length] as const;
  });
  // btfkit's load-check dumps of modules in a kernel (what /sys/kernel/btf/<module> is to hold)
  const dumpsIn = (names: readonly string[], kernelBtf: string, dir: string) => pool([...names], 1, async (n) => {
    const dump = join(work, dir, `${n}.btf`);
    mkdirSync(dirname(dump), { recursive: true });
    await btfkit(['load-check', s.files.get(n)!, '-k', kernelBtf, '--dump', dump]);
    return { n, mine: existsSync(dump) ? new Uint8Array(readFileSync(dump)) : null };
  });
  const dumping = dumpsIn([...s.byteSample], newK.btf, 'dumps');
  const x = s.extraNames.length ? await prepareExtraOld(c, s) : undefined;
  const oldDumping = dumpsIn(x ? s.extraNames : [], c.oldK.btf, 'dumps-old');
  mkdirSync(join(work, 'bin'), { recursive: true });
  const loader = buildLoader(LOADER_C, join(work, 'bin'));
  log(`loader built with gcc -static; setup took ${secs()} s`);
  const [bDist, bKf, bCtrl, bOld] = await pool([
    () => runBoot('distilled', work, newK, loader, s.distEntries, '-f'),
    () => runBoot('kfunc', work, newK, loader, k.kfEntries, ''),
    () => runBoot('control', work, newK, loader, s.ctrlEntries, '-f'),
    ...(x ? [() => runBoot('extra-old', work, c.oldK, loader, x.entries, '-f')] : []),
  ], 2, (f) => f());
  const ca = assertVerdicts(c, s, byName(bDist!));
  const b = assertBytes(c, await dumping, byName(bDist!));
  const cc = assertControl(c, s, byName(bCtrl!));
  const d = assertKfunc(c, k, new Map(await kfSetsP), byName(bKf!));
  const e = s.extraNames.length ? `; e ${assertExtra(c, s, byName(bDist!))} extra modules as btfkit states` : '';
  const f = x ? `; f (into ${c.oldK.kver}) ${assertExtraOld(c, s, x, await oldDumping, byName(bOld!))}` : '';
  log(`summary: a ${ca.agreeAccepted + ca.agreeRejected}/${ca.loaded} fates agree (kept ${ca.keptBtf}, dropped ${ca.droppedBtf}, types ${ca.typeAgree}/${ca.typeChecked}); b ${b}; c ${cc}; d ${d}${e}${f}; ${secs()} s`);
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const missing = missingTool();
  if (missing) skip(missing);
  let oldK: OracleKernel;
  let newK: OracleKernel;
  try {
    const kernels = opts.kernels ?? chooseKernels(log);
    oldK = await ensureKernel(kernels[0], log);
    newK = await ensureKernel(kernels[1], log);
  } catch (e) {
    skip(`the Debian 6.12 kernels could not be fetched: ${(e as Error).message}`);
  }
  log(`modules of ${oldK.kver} into ${newK.kver}`);
  const allowMismatch = configHas(readFileSync(newK.config, 'utf8'), 'CONFIG_MODULE_ALLOW_BTF_MISMATCH');
  const work = mkdtempSync(join(tmpdir(), 'btfkit-kernel-oracle-'));
  const c: Ctx = { opts, oldK, newK, work, allowMismatch, failures: [] };
  let passed = false;
  try {
    if (opts.extra === undefined) opts.extra = await encodedModules(newK, work);
    await run(c);
    for (const f of c.failures) log(`FAIL ${f}`);
    passed = c.failures.length === 0;
    log(passed ? 'test:kernel: passed' : `test:kernel: FAILED (${c.failures.length})`);
    process.exitCode = passed ? 0 : 1;
  } finally {
    if (opts.keep || !passed) log(`work directory kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`test:kernel: error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
