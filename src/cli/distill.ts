/**
 * `btfkit distill MODULE --base BASE (-o OUT | --in-place | --out-base F --out-split F)`:
 * what pahole --btf_features=distilled_base does at build time, for an already built module.
 * The module's `.BTF` is replaced by the new split, `.BTF.base` is added (flags alloc,readonly
 * as kbuild's objcopy sets them) and `.BTF_ids` is remapped through the distill id map.
 *
 * `btfkit distill DIR --base BASE (-o OUTDIR | --in-place) [-k KERNEL]... [--jobs N]`: every
 * module under DIR, on the worker pool (src/node/pool.ts), each thread parsing BASE once.
 * With -o the tree is mirrored under OUTDIR (compressed modules are written uncompressed, as
 * .ko); modules that already have a `.BTF.base` are left alone (copied unchanged with -o), and
 * modules without `.BTF` but with DWARF are encoded first (src/encode, as `btfkit encode`).
 * With --kernel, each distilled module is also checked against those kernels, as
 * `btfkit check` would, and the summary table is printed.
 */

import { statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { type Command, str, strs, flag, int, writeStdout, UsageError } from './command.js';
import { openInput, loadBaseBtf, loadBtfFromInput, elfSection, withFile, type InputFile } from '../node/load.js';
import { encodeModule, encodedSummary } from '../encode/module.js';
import { hasDwarf } from '../dwarf/index.js';
import { writeFileAtomic, samePath } from '../node/files.js';
import { distillBase } from '../split/distill.js';
import { serializeBtf } from '../format/write.js';
import { formatCheckResult, isProblem } from '../kernel/check.js';
import { ReportBuilder } from '../kernel/report.js';
import { distilledElf, type KernelSpec, type WorkItem } from '../node/check-worker.js';
import { readElfSections } from '../node/module-read.js';
import { runPool, autoJobs } from '../node/pool.js';
import { findModules, parseKernelSpec } from './check.js';
import { ProgressReporter, finalLine } from './progress.js';
import { BtfkitError, Errno } from '../errors.js';
import { decompressSection } from '../node/decompress.js';

const BASE_NEEDED = 'needs -B/--base BASE: the BTF the module was built against (raw BTF, vmlinux, vmlinuz, or kernel for the running kernel); btfkit never guesses a base';

export const distillCommand: Command = {
  name: 'distill',
  summary: 'make a module resilient: add a distilled base (.BTF.base) and rewrite .BTF/.BTF_ids',
  usage: `Usage: btfkit distill MODULE -B BASE (-o OUT | --in-place) [-j] [--strict]
       btfkit distill SPLIT.btf -B BASE --out-base FILE --out-split FILE [-j]
       btfkit distill DIR -B BASE (-o OUTDIR | --in-place) [-k KERNEL]... [--jobs N] [-j] [--strict]

  MODULE          a kernel module (.ko, .ko.xz/.zst/.gz) whose .BTF is split BTF on BASE
  SPLIT.btf       raw split BTF on BASE
  DIR             every module under DIR (searched recursively)
  --base, -B      the BTF the module was built against: raw BTF, vmlinux, vmlinuz, or
                  'kernel' (/sys/kernel/btf/vmlinux); no default (as for every command)
  -o, --output    write the distilled module (an ELF) to OUT; for DIR, mirror the tree
                  under OUTDIR (compressed modules are written uncompressed, as .ko)
  --in-place      rewrite MODULE itself (atomically; not for compressed modules)
  --out-base F    write the distilled base as raw BTF (libbpf btf__distill_base new_base)
  --out-split F   write the new split as raw BTF (libbpf new_split)
  --kernel, -k    DIR only: also check every distilled module against this kernel's BTF
                  (repeat for several; NAME=PATH names it)
  --jobs N        DIR only: worker threads (default: one per core, at most one per 8
                  modules); 1 runs in-process
  -j, --json      what was done as JSON on stdout (--json=FILE: to FILE)
  --strict        exit 1 when a module has no .BTF or is already distilled (default: a
                  note, exit 0, so that a DKMS build of a module built without BTF goes on)
  --quiet, -q     no progress or notes on stderr

Output is byte-identical to libbpf v1.7.0 btf__distill_base(). A module without .BTF (an
out-of-tree build kbuild left without BTF) that has debug info is encoded from its DWARF first,
as btfkit encode does (pahole v1.31 + resolve_btfids, byte-identical). Modules that already have
a .BTF.base, and modules with neither .BTF nor debug info, are left alone (copied unchanged
with -o); when no module needs distilling, no kernel is read.
Exit status 1 when a module could not be distilled or, with --kernel, has BTF a kernel
rejects; 2 for usage errors.`,
  options: {
    base: { type: 'string', short: 'B' },
    output: { type: 'string', short: 'o' },
    'in-place': { type: 'boolean' },
    'out-base': { type: 'string' },
    'out-split': { type: 'string' },
    kernel: { type: 'string', short: 'k', multiple: true },
    jobs: { type: 'string' },
    json: { type: 'string' },
    strict: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('distill takes exactly one MODULE or DIR');
    const path = args[0]!;
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      /* openInput reports a missing file */
    }
    if (isDir) return distillTree(path, values);
    if (strs(values, 'kernel').length || values.jobs !== undefined) throw new UsageError('--kernel and --jobs go with a DIR; for one module, run btfkit check on the result');
    const out = str(values, 'output');
    const inPlace = flag(values, 'in-place');
    const outBase = str(values, 'out-base');
    const outSplit = str(values, 'out-split');
    const json = str(values, 'json');
    const strict = flag(values, 'strict');
    const quiet = flag(values, 'quiet');
    if ((outBase === undefined) !== (outSplit === undefined)) throw new UsageError('--out-base and --out-split go together');
    if (!out && !inPlace && !outBase) throw new UsageError('say where to write: -o OUT, --in-place, or --out-base/--out-split');
    if (out && inPlace) throw new UsageError('-o and --in-place exclude each other');
    for (const o of [out, outBase, outSplit, json]) {
      if (o && o !== '-' && samePath(o, path)) throw new UsageError(`output ${o} is the input file; use --in-place to rewrite it`);
    }
    const input = await openInput(path);
    if (input.type === 'btf' && (out || inPlace)) throw new UsageError('raw BTF input: use --out-base and --out-split');
    if (inPlace && input.container !== 'plain') throw new UsageError(`--in-place cannot rewrite a ${input.container}-compressed module; use -o`);
    const report = async (status: string, detail: string, extra: Record<string, unknown> = {}): Promise<void> => {
      if (json !== undefined) await writeJson(json, { file: input.path, status, detail, ...extra });
      if (!quiet || status === 'error') process.stderr.write(`${status === 'distilled' ? 'distilled' : 'btfkit: distill'} ${input.path}: ${detail}\n`);
    };
    if (input.type === 'elf' && elfSection(input, '.BTF.base')) {
      await report('skipped', 'already distilled (has .BTF.base): nothing to do');
      return strict ? 1 : 0;
    }
    if (input.type === 'elf' && !elfSection(input, '.BTF')) {
      if (input.elf && hasDwarf(input.elf)) return encodeOne(input, values, report);
      await report('no-btf', 'no .BTF section and no debug info (built without BTF or -g): nothing to distill; the kernel loads such a module without BTF');
      return strict ? 1 : 0;
    }
    const baseSpec = str(values, 'base');
    if (baseSpec === undefined) {
      if (input.type === 'btf') {
        // Not split (no base to lay it over): libbpf's btf__distill_base() refuses it.
        throw new BtfkitError('DISTILL', 'not split BTF: with no --base there is no base to distill (libbpf btf__distill_base refuses it: -EINVAL); give -B BASE, the BTF it was built against', { errno: Errno.EINVAL, where: { file: input.path } });
      }
      throw new UsageError(`distill ${BASE_NEEDED}`);
    }
    const base = await loadBaseBtf(baseSpec);
    const { btf } = loadBtfFromInput(input, base);
    const d = distillBase(btf);
    const baseBytes = serializeBtf(d.base);
    const splitBytes = serializeBtf(d.split);
    if (outBase && outSplit) {
      writeFileAtomic(outBase, baseBytes);
      writeFileAtomic(outSplit, splitBytes);
    }
    let dest: string | null = null;
    if (out || inPlace) {
      const bytes = distilledElf(input, d, baseBytes, splitBytes);
      dest = inPlace ? input.path : out!;
      writeFileAtomic(dest, bytes, { modeFrom: input.path });
    }
    const nb = d.base.nTypes;
    await report('distilled', `${nb} base type${nb === 1 ? '' : 's'} in .BTF.base, ${d.split.nTypes} split types`, {
      baseTypes: nb, splitTypes: d.split.nTypes, output: dest, outBase: outBase ?? null, outSplit: outSplit ?? null,
    });
    return 0;
  },
};

async function writeJson(dest: string, value: unknown): Promise<void> {
  const body = JSON.stringify(value, null, 2) + '\n';
  if (dest === '-') await writeStdout(body);
  else writeFileAtomic(dest, new TextEncoder().encode(body));
}

/** Which modules need distilling (have .BTF, no .BTF.base), read from their section headers. */
function needsDistill(modules: string[]): { need: number; distilled: number; noBtf: number } {
  let need = 0;
  let distilled = 0;
  let noBtf = 0;
  for (const m of modules) {
    let secs: Map<string, Uint8Array> | null = null;
    try {
      secs = readElfSections(m, ['.BTF', '.BTF.base', '.debug_info']);
    } catch {
      /* unreadable: the pool reports it */
    }
    if (!secs) need++; // compressed or unusual: the pool looks
    else if (secs.has('.BTF.base')) distilled++;
    else if (!secs.has('.BTF') && !secs.has('.debug_info')) noBtf++;
    else need++;
  }
  return { need, distilled, noBtf };
}

/**
 * A module kbuild left without BTF but with debug info: encoded from its DWARF as kbuild's
 * pahole v1.31 would have done it (src/encode), which also gives it its .BTF.base.
 */
async function encodeOne(input: InputFile, values: Parameters<Command['run']>[1], report: (status: string, detail: string, extra?: Record<string, unknown>) => Promise<void>): Promise<number> {
  const baseSpec = str(values, 'base');
  if (baseSpec === undefined) throw new UsageError(`distill ${BASE_NEEDED} (the module has no .BTF: it is encoded from its DWARF on that kernel's BTF)`);
  if (str(values, 'out-base') !== undefined) throw new UsageError('--out-base/--out-split take raw split BTF; this module has none yet (use -o or --in-place)');
  const kernel = await loadBaseBtf(baseSpec);
  const r = withFile(input.path, undefined, () => encodeModule(input.elf!, kernel, { decompress: decompressSection }));
  const out = str(values, 'output');
  writeFileAtomic(out ?? input.path, r.elfParts, { modeFrom: input.path });
  const { baseTypes, splitTypes, detail } = encodedSummary(r);
  await report('distilled', detail, { baseTypes, splitTypes, encoded: true });
  return 0;
}

/** `btfkit distill DIR …`: every module of a tree on the worker pool. */
async function distillTree(dir: string, values: Parameters<Command['run']>[1]): Promise<number> {
  const out = str(values, 'output');
  const inPlace = flag(values, 'in-place');
  const json = str(values, 'json');
  const strict = flag(values, 'strict');
  if (str(values, 'out-base') !== undefined || str(values, 'out-split') !== undefined) throw new UsageError('--out-base/--out-split take one module, not a DIR');
  if (!out && !inPlace) throw new UsageError('say where to write: -o OUTDIR (mirror the tree) or --in-place');
  if (out && inPlace) throw new UsageError('-o and --in-place exclude each other');
  if (out && samePath(out, dir)) throw new UsageError(`output ${out} is the input directory; use --in-place to rewrite it`);
  const kernels: KernelSpec[] = [];
  for (const spec of strs(values, 'kernel')) {
    const k = parseKernelSpec(spec);
    if (kernels.some((x) => x.name === k.name)) throw new UsageError(`kernel '${k.name}' given twice`);
    kernels.push(k);
  }
  const jobs = int(values, 'jobs', 1, 1024);
  let modules = findModules([dir]);
  if (out) {
    // Never pick up our own output when OUTDIR lies inside DIR.
    const o = resolve(out) + sep;
    modules = modules.filter((m) => !(resolve(m) + sep).startsWith(o));
  }
  if (modules.length === 0) throw new BtfkitError('IO', 'no kernel modules found', { where: { file: dir } });
  const quiet = flag(values, 'quiet');
  const pre = needsDistill(modules);
  if (pre.need === 0 && kernels.length === 0 && inPlace) {
    // A re-run: nothing to distill, so no kernel is read at all.
    const line = `distilled 0 modules: nothing to do (${pre.distilled} already distilled, ${pre.noBtf} without .BTF)`;
    if (json !== undefined) await writeJson(json, { distilled: 0, skipped: pre.distilled, noBtf: pre.noBtf, errors: 0, modules: [] });
    else await writeStdout(line + '\n');
    return strict && (pre.distilled || pre.noBtf) ? 1 : 0;
  }
  const base = str(values, 'base');
  if (base === undefined) {
    if (pre.need === 0) {
      // Only copies to make (-o): no base needed either.
    } else throw new UsageError(`distill ${BASE_NEEDED}`);
  }
  const items: WorkItem[] = modules.map((m) => ({ module: m, dest: out ? join(out, relative(dir, m)) : null }));
  const report = new ReportBuilder(kernels, false);
  const order = new Map(kernels.map((k, i) => [k.name, i]));
  const problems: { module: string; k: number; text: string }[] = [];
  const notes: { module: string; text: string }[] = [];
  const outcomes: { module: string; status: string; dest: string | null; detail: string }[] = [];
  let distilled = 0;
  let skipped = 0;
  let noBtf = 0;
  let errors = 0;
  const progress = quiet ? null : new ProgressReporter(process.stderr, 'distill', modules.length, kernels.map((k) => k.name));
  const nk = new Set([...(base ? [base] : []), ...kernels.map((k) => k.path)]).size;
  progress?.note(`loading ${nk} kernel${nk === 1 ? '' : 's'}…`);
  const stats = await runPool({
    spec: { kind: 'distill', base: base ?? '', kernels },
    items,
    jobs: jobs ?? autoJobs(items.length),
    onReady: () => progress?.begin(),
    onResult(item) {
      const d = item.distill!;
      if (json !== undefined) outcomes.push({ module: item.module, status: d.status, dest: d.dest, detail: d.detail });
      if (d.status === 'distilled') distilled++;
      else if (d.status === 'skipped') skipped++;
      else if (d.status === 'no-btf') {
        noBtf++;
        notes.push({ module: item.module, text: `${item.module}: no .BTF, skipped (nothing to distill)` });
      } else {
        errors++;
        problems.push({ module: item.module, k: -1, text: `${item.module}: NOT DISTILLED\n  - ${d.detail}` });
      }
      const failing: string[] = [];
      for (const r of item.results) {
        report.add(r);
        if (isProblem(r)) {
          failing.push(r.kernel);
          if (d.status !== 'error') problems.push({ module: r.module, k: order.get(r.kernel) ?? 0, text: formatCheckResult(r) });
        }
      }
      progress?.update(failing, d.status === 'error');
    },
  });
  problems.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : a.k - b.k));
  notes.sort((a, b) => (a.module < b.module ? -1 : 1));
  const line = finalLine('distilled', modules.length, 0, stats.wallMs, stats.workers, stats.setupMs);
  if (progress) progress.finish(line);
  const code = errors === 0 && report.allLoad && !(strict && (skipped || noBtf)) ? 0 : 1;
  if (json !== undefined) {
    outcomes.sort((a, b) => (a.module < b.module ? -1 : 1));
    await writeJson(json, { distilled, skipped, noBtf, errors, ...(kernels.length ? { kernels: report.summaries() } : {}), modules: outcomes });
    if (json === '-') return code;
  }
  const lines: string[] = problems.map((p) => p.text);
  if (!quiet) lines.push(...notes.map((n) => n.text));
  if (lines.length) lines.push('');
  lines.push(`distilled ${distilled} module${distilled === 1 ? '' : 's'}${out ? ` into ${out}` : ' in place'}; ${skipped} already distilled${out && skipped ? ' (copied)' : ''}, ${noBtf} without .BTF (skipped${out && noBtf ? ', copied' : ''}), ${errors} could not be distilled`);
  if (kernels.length) lines.push('', report.summaryTable());
  await writeStdout(lines.join('\n') + '\n');
  return code;
}
