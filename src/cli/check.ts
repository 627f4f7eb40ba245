/**
 * `btfkit check MODULE|DIR... [-k KERNEL]... [-B BASE] [--config FILE]... [--jobs N]
 * [-j | --json=FILE] [--html FILE] [-v] [-q]`: per module and kernel, whether the kernel
 * accepts the module's BTF and what it then does with the module (loads it with BTF, without
 * BTF when CONFIG_MODULE_ALLOW_BTF_MISMATCH=y, or refuses it), and why, in a module
 * maintainer's words. Directories are walked for .ko, .ko.xz, .ko.zst and .ko.gz. Each
 * kernel's configuration is found by kconfig.ts (or given with --config).
 *
 * Approach: the module list is expanded up front (sorted), then handed to the worker pool
 * (src/node/pool.ts; one thread per core, the kernels parsed once and shared with them;
 * `--jobs 1` runs in-process). Results stream back in completion order into a ReportBuilder that keeps
 * counters, and keeps the results themselves only for --json / --html; a text run keeps just
 * the text of results that do not load. Output is sorted by module and kernel, so it does not
 * depend on the number of workers. Progress goes to stderr (progress.ts).
 * Text: one module is shown in full; a tree is grouped per kernel and cause (report.ts
 * groupedText), --verbose lists every module with a problem.
 * Exit 0 when no module has BTF a kernel rejects (or split BTF that does not fit), 1
 * otherwise, 2 for usage errors.
 */

import { readdirSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type Command, str, strs, flag, int, writeStdout, UsageError, type Values } from './command.js';
import { KERNEL_BTF_PATH } from '../node/load.js';
import { writeFileAtomic } from '../node/files.js';
import { formatCheckResult, isProblem } from '../kernel/check.js';
import { ReportBuilder, type CheckReport } from '../kernel/report.js';
import { findKernelConfig, readConfigFile, type KernelConfigFinding } from './kconfig.js';
export { jsonPreprocess } from './options.js';
import { renderHtml } from '../kernel/html.js';
import { runPool, autoJobs, type PoolStats } from '../node/pool.js';
import { KernelLoader } from '../node/pool-kernels.js';
import type { ItemResult, KernelSpec } from '../node/check-worker.js';
import { ProgressReporter, finalLine, type ProgressSink } from './progress.js';
import { BtfkitError } from '../errors.js';

export { readModuleSections, type ModuleSections } from '../node/module-read.js';

const MODULE_RE = /\.ko(\.xz|\.zst|\.gz)?$/;

/** Is this file name a kernel module (.ko, .ko.xz, .ko.zst, .ko.gz)? */
export function isModuleName(name: string): boolean {
  return MODULE_RE.test(name);
}

/** Expands directories (recursively, sorted) into module files; files are kept as given. */
export function findModules(paths: string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walk = (dir: string): void => {
    try {
      const real = realpathSync(dir);
      if (seen.has(real)) return; // a symlink loop, or the same tree named twice
      seen.add(real);
    } catch {
      /* walk it anyway; readdir reports the problem */
    }
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new BtfkitError('IO', `cannot read directory: ${(e as Error).message}`, { where: { file: dir } });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        try {
          const st = statSync(p);
          isDir = st.isDirectory();
          isFile = st.isFile();
        } catch {
          continue;
        }
      }
      if (isDir) walk(p);
      else if (isFile && MODULE_RE.test(e.name)) out.push(p);
    }
  };
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new BtfkitError('IO', 'no such file or directory', { where: { file: p } });
    }
    if (st.isDirectory()) walk(p);
    else out.push(p);
  }
  return out;
}
/** "NAME=PATH" or PATH; the name defaults to something readable derived from the path. */
export function parseKernelSpec(spec: string): { name: string; path: string } {
  const eq = spec.indexOf('=');
  if (eq > 0 && !spec.slice(0, eq).includes('/')) return { name: spec.slice(0, eq), path: spec.slice(eq + 1) };
  if (spec === 'kernel' || spec === KERNEL_BTF_PATH) return { name: 'running kernel', path: KERNEL_BTF_PATH };
  let name = basename(spec).replace(/\.(btf|raw)$/, '').replace(/^(vmlinuz|vmlinux)-/, '');
  // .../<kver>/vmlinux(.btf) (the corpus layout, an unpacked build tree): name it after the directory
  if (name === 'vmlinux' || name === 'vmlinuz') name = basename(dirname(resolve(spec))) || spec;
  return { name, path: spec };
}

export interface CheckRunOptions {
  /** Modules and directories, as given. */
  paths: string[];
  kernels: KernelSpec[];
  build: string | null;
  /** Threads (1: in-process); undefined: one per core, at most one per 8 modules. */
  jobs: number | undefined;
  /** Keep every result (for --json / --html). */
  keepResults: boolean;
  /** Keep the text of every result (true), or only of results with a problem (false). */
  textAll: boolean;
  /** --verbose: every module's reasons in full (text output). */
  verbose?: boolean;
  /** Where progress goes (stderr), or null for none. */
  progress: ProgressSink | null;
  /** Called after each module (benchmarks sample memory here). */
  onItem?: (r: ItemResult, done: number, total: number) => void;
  /** Test hook passed to the workers. */
  testCrashOn?: string;
  /** Loads the kernels (each file once, shared with the configuration lookup). */
  loader?: KernelLoader;
}

export interface CheckRun {
  report: ReportBuilder;
  /** Formatted results (sorted by module, then kernel): those with a problem, or all. */
  text: string[];
  modules: number;
  stats: PoolStats;
  /** Final line: "checked N modules against K kernels in …". */
  summaryLine: string;
}

/** Turns the command line into run options (shared by the CLI and scripts/bench-corpus.ts). */
export function parseCheckArgs(args: string[], values: Values): CheckRunOptions & { json: string | undefined; html: string | undefined; configs: string[] } {
  if (args.length === 0) throw new UsageError('check needs at least one MODULE or DIR');
  const kernelSpecs = strs(values, 'kernel');
  if (kernelSpecs.length === 0) kernelSpecs.push('kernel');
  const kernels: KernelSpec[] = [];
  for (const spec of kernelSpecs) {
    const k = parseKernelSpec(spec);
    if (kernels.some((x) => x.name === k.name)) throw new UsageError(`kernel '${k.name}' given twice`);
    kernels.push(k);
  }
  let json = str(values, 'json');
  const out = str(values, 'output');
  if (out !== undefined) {
    if (json !== undefined && json !== '-') throw new UsageError('give the JSON file once: --json=FILE or -j -o FILE');
    json = out;
  }
  const html = str(values, 'html');
  if (html === '-' ) throw new UsageError('--html needs a FILE');
  const b1 = str(values, 'base');
  const b2 = str(values, 'build-kernel');
  if (b1 !== undefined && b2 !== undefined && b1 !== b2) throw new UsageError('--base and --build-kernel are the same option; give it once');
  return {
    paths: args,
    kernels,
    build: b1 ?? b2 ?? null,
    jobs: int(values, 'jobs', 1, 1024),
    keepResults: json !== undefined || html !== undefined,
    textAll: false,
    verbose: flag(values, 'verbose'),
    progress: flag(values, 'quiet') ? null : process.stderr,
    json,
    html,
    configs: strs(values, 'config'),
  };
}

/**
 * Each kernel's CONFIG_MODULE_ALLOW_BTF_MISMATCH: `--config FILE` (every kernel) or
 * `--config NAME=FILE` (one kernel), else found beside or inside the kernel (kconfig.ts).
 */
export async function resolveKernelConfigs(kernels: KernelSpec[], configs: string[], loader?: KernelLoader): Promise<KernelSpec[]> {
  let all: string | undefined;
  const named = new Map<string, string>();
  for (const c of configs) {
    const eq = c.indexOf('=');
    const name = eq > 0 ? c.slice(0, eq) : '';
    if (name && kernels.some((k) => k.name === name)) named.set(name, c.slice(eq + 1));
    else if (all === undefined) all = c;
    else throw new UsageError(`--config ${c}: with several --config, name the kernel: --config NAME=FILE (kernels: ${kernels.map((k) => k.name).join(', ')})`);
  }
  const out: KernelSpec[] = [];
  for (const k of kernels) {
    const file = named.get(k.name) ?? all;
    const f: KernelConfigFinding = file !== undefined ? await readConfigFile(file, loader) : await findKernelConfig(k.path, undefined, loader);
    out.push({ ...k, allowBtfMismatch: f.allowBtfMismatch, btfModules: f.btfModules, config: f.source });
  }
  return out;
}

/** Checks every module against every kernel on the worker pool. */
export async function runCheck(o: CheckRunOptions): Promise<CheckRun> {
  const modules = findModules(o.paths);
  if (modules.length === 0) throw new BtfkitError('IO', 'no kernel modules found', { where: { file: o.paths.join(' ') } });
  const textAll = o.textAll || modules.length === 1;
  const perModule = textAll || !!o.verbose;
  const report = new ReportBuilder(o.kernels, o.keepResults);
  const order = new Map(o.kernels.map((k, i) => [k.name, i]));
  const btfModulesOf = new Map(o.kernels.map((k) => [k.name, k.btfModules ?? null]));
  const text: { module: string; k: number; text: string }[] = [];
  const progress = o.progress && modules.length > 1 ? new ProgressReporter(o.progress, 'check', modules.length, o.kernels.map((k) => k.name)) : null;
  let done = 0;
  const nk = new Set([...(o.build ? [o.build] : []), ...o.kernels.map((k) => k.path)]).size;
  progress?.note(`loading ${nk} kernel${nk === 1 ? '' : 's'}…`);
  const stats = await runPool({
    spec: { kind: 'check', kernels: o.kernels, build: o.build, ...(o.testCrashOn !== undefined ? { testCrashOn: o.testCrashOn } : {}) },
    items: modules.map((module) => ({ module })),
    jobs: o.jobs ?? autoJobs(modules.length),
    onReady: () => progress?.begin(),
    ...(o.loader ? { kernels: o.loader } : {}),
    onResult(item) {
      const failing: string[] = [];
      let error = false;
      for (const r of item.results) {
        report.add(r);
        if (isProblem(r)) failing.push(r.kernel);
        if (r.status === 'error') error = true;
        if (textAll || (perModule && isProblem(r))) text.push({ module: r.module, k: order.get(r.kernel) ?? 0, text: formatCheckResult(r, { ...(o.verbose ? { maxChanges: Infinity } : {}), btfModules: btfModulesOf.get(r.kernel) ?? null }) });
      }
      done++;
      progress?.update(failing, error);
      o.onItem?.(item, done, modules.length);
    },
  });
  text.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : a.k - b.k));
  const summaryLine = finalLine('checked', modules.length, o.kernels.length, stats.wallMs, stats.workers, stats.setupMs);
  progress?.finish(summaryLine);
  return { report, text: text.map((t) => t.text), modules: modules.length, stats, summaryLine };
}

/** The HTML page title for a report. */
function htmlTitle(report: CheckReport): string {
  return `btfkit check: ${report.kernels.map((k) => k.name).join(', ')}`;
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'will these modules load on these kernels? every reason why not',
  usage: `Usage: btfkit check MODULE|DIR... [-k KERNEL]... [-B BASE] [--config FILE]... [--jobs N]
                    [-j | --json=FILE | -j -o FILE] [--html FILE] [-v] [-q]

  MODULE|DIR        modules (.ko, .ko.xz, .ko.zst, .ko.gz); directories are searched
                    recursively
  --kernel, -k      a kernel to check against: raw BTF, vmlinux, vmlinuz, or 'kernel'
                    (default: the running kernel); repeat for several; NAME=PATH names it
  --base, -B        the BTF the modules were built against (also --build-kernel): modules
                    without .BTF.base are distilled against it in memory, and for size
                    changes what changed is shown; no default
  --config FILE     the kernels' configuration (.config, config.gz, or an image built with
                    CONFIG_IKCONFIG); NAME=FILE for one kernel. Default: /proc/config.gz
                    for 'kernel', config-<ver> beside vmlinuz-<ver> (as in /boot), config
                    or config-<dir> beside other files, else the image's embedded config.
                    CONFIG_MODULE_ALLOW_BTF_MISMATCH decides whether a module whose BTF is
                    rejected loads without BTF (=y) or is refused; unknown: both are stated
  --jobs N          worker threads (default: one per core, at most one per 8 modules);
                    1 runs in-process
  -j, --json        the full report as JSON on stdout; --json=FILE or -j -o FILE: to FILE
  --html FILE       the report as one self-contained HTML page (matrix, filters, reasons)
  --verbose, -v     every module with a problem, with every change (default for a tree:
                    one entry per cause, the biggest first)
  --quiet, -q       no progress on stderr

Text output for one module: its verdict per kernel, the reasons, and what the kernel does
with it. For several: per kernel and per cause (a type that changed), the root change and
how many modules it breaks; then a summary table. Modules without .BTF are "no BTF" (the
kernel loads them without BTF), not a failure. Progress goes to stderr.
Exit status: 0 no module has BTF the kernels reject (or that does not fit), 1 some have,
2 usage error.`,
  options: {
    kernel: { type: 'string', short: 'k', multiple: true },
    base: { type: 'string', short: 'B' },
    'build-kernel': { type: 'string' },
    config: { type: 'string', multiple: true },
    jobs: { type: 'string' },
    json: { type: 'string' },
    output: { type: 'string', short: 'o' },
    html: { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run(args, values) {
    const o = parseCheckArgs(args, values);
    // One loader for the configuration lookup and the check: each vmlinuz is unpacked once.
    o.loader = new KernelLoader();
    o.kernels = await resolveKernelConfigs(o.kernels, o.configs, o.loader);
    const run = await runCheck(o);
    const { report } = run;
    if (o.json !== undefined || o.html !== undefined) {
      const all = report.report();
      if (o.json !== undefined) {
        const body = JSON.stringify(all, null, 2) + '\n';
        if (o.json === '-') await writeStdout(body);
        else writeFileAtomic(o.json, new TextEncoder().encode(body));
      }
      if (o.html !== undefined) writeFileAtomic(o.html, new TextEncoder().encode(renderHtml(all, { title: htmlTitle(all), build: o.build })));
    }
    if (o.json !== '-') {
      const parts: string[] = [];
      if (run.text.length) parts.push(run.text.join('\n'));
      if (run.modules > 1) {
        const g = report.groupedText();
        if (g) parts.push(g);
      }
      if (run.modules > 1 || o.kernels.length > 1) parts.push(report.summaryTable());
      if (parts.length) await writeStdout(parts.join('\n\n') + '\n');
    }
    return report.allLoad ? 0 : 1;
  },
};
