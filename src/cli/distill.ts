/**
 * `btfkit distill MODULE --base BASE (-o OUT | --in-place | --out-base F --out-split F)`:
 * what pahole --btf_features=distilled_base does at build time, for an already built module.
 * The module's `.BTF` is replaced by the new split, `.BTF.base` is added (flags alloc,readonly
 * as kbuild's objcopy sets them) and `.BTF_ids` is remapped through the distill id map.
 *
 * `btfkit distill DIR --base BASE (-o OUTDIR | --in-place) [-k KERNEL]... [--jobs N]`: every
 * module under DIR, on the worker pool (src/node/pool.ts), each thread parsing BASE once.
 * With -o the tree is mirrored under OUTDIR (compressed modules are written uncompressed, as
 * .ko); modules that already have a `.BTF.base` are left alone (copied unchanged with -o).
 * With --kernel, each distilled module is also checked against those kernels, as
 * `btfkit check` would, and the summary table is printed.
 */

import { statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { type Command, str, strs, flag, int, writeStdout, UsageError } from './command.js';
import { openInput, loadBaseBtf, loadBtfFromInput, elfSection } from '../node/load.js';
import { writeFileAtomic, samePath } from '../node/files.js';
import { distillBase } from '../split/distill.js';
import { serializeBtf } from '../format/write.js';
import { formatCheckResult } from '../kernel/check.js';
import { ReportBuilder } from '../kernel/report.js';
import { distilledElf, type KernelSpec, type WorkItem } from '../node/check-worker.js';
import { runPool, autoJobs } from '../node/pool.js';
import { findModules, parseKernelSpec } from './check.js';
import { ProgressReporter, finalLine } from './progress.js';
import { BtfkitError } from '../errors.js';

export const distillCommand: Command = {
  name: 'distill',
  summary: 'make a module resilient: add a distilled base (.BTF.base) and rewrite .BTF/.BTF_ids',
  usage: `Usage: btfkit distill MODULE [--base BASE] (-o OUT | --in-place)
       btfkit distill SPLIT.btf [--base BASE] --out-base FILE --out-split FILE
       btfkit distill DIR [--base BASE] (-o OUTDIR | --in-place) [--kernel K]... [--jobs N]

  MODULE          a kernel module (.ko, .ko.xz/.zst/.gz) whose .BTF is split BTF on BASE
  SPLIT.btf       raw split BTF on BASE
  DIR             every module under DIR (searched recursively)
  --base, -B      the BTF the module was built against (default: kernel =
                  /sys/kernel/btf/vmlinux); raw BTF, vmlinux or vmlinuz
  -o, --output    write the distilled module (an ELF) to OUT; for DIR, mirror the tree
                  under OUTDIR (compressed modules are written uncompressed, as .ko)
  --in-place      rewrite MODULE itself (atomically; not for compressed modules)
  --out-base F    write the distilled base as raw BTF (libbpf btf__distill_base new_base)
  --out-split F   write the new split as raw BTF (libbpf new_split)
  --kernel, -k    DIR only: also check every distilled module against this kernel's BTF
                  (repeat for several; NAME=PATH names it)
  --jobs, -j N    DIR only: worker threads (default: one per core, at most one per 8
                  modules); 1 runs in-process
  --quiet, -q     DIR only: no progress on stderr

Output is byte-identical to libbpf v1.7.0 btf__distill_base(). For DIR, modules that already
have a .BTF.base are skipped (copied unchanged with -o). Exit status 1 when a module could not
be distilled or, with --kernel, would not load on one of the kernels.`,
  options: {
    base: { type: 'string', short: 'B' },
    output: { type: 'string', short: 'o' },
    'in-place': { type: 'boolean' },
    'out-base': { type: 'string' },
    'out-split': { type: 'string' },
    kernel: { type: 'string', short: 'k', multiple: true },
    jobs: { type: 'string', short: 'j' },
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
    if ((outBase === undefined) !== (outSplit === undefined)) throw new UsageError('--out-base and --out-split go together');
    if (!out && !inPlace && !outBase) throw new UsageError('say where to write: -o OUT, --in-place, or --out-base/--out-split');
    if (out && inPlace) throw new UsageError('-o and --in-place exclude each other');
    for (const o of [out, outBase, outSplit]) {
      if (o && samePath(o, path)) throw new UsageError(`output ${o} is the input file; use --in-place to rewrite it`);
    }
    const input = await openInput(path);
    if (input.type === 'btf' && (out || inPlace)) throw new UsageError('raw BTF input: use --out-base and --out-split');
    if (inPlace && input.container !== 'plain') throw new UsageError(`--in-place cannot rewrite a ${input.container}-compressed module; use -o`);
    if (input.type === 'elf' && elfSection(input, '.BTF.base'))
      throw new BtfkitError('DISTILL', 'module already has a .BTF.base section (it is distilled already)', { where: { file: input.path } });
    const base = await loadBaseBtf(str(values, 'base') ?? 'kernel');
    const { btf } = loadBtfFromInput(input, base);
    const d = distillBase(btf);
    const baseBytes = serializeBtf(d.base);
    const splitBytes = serializeBtf(d.split);
    if (outBase && outSplit) {
      writeFileAtomic(outBase, baseBytes);
      writeFileAtomic(outSplit, splitBytes);
    }
    if (out || inPlace) {
      const bytes = distilledElf(input, d, baseBytes, splitBytes);
      const dest = inPlace ? input.path : out!;
      writeFileAtomic(dest, bytes, { modeFrom: input.path });
    }
    const nb = d.base.nTypes;
    process.stderr.write(`distilled ${input.path}: ${nb} base type${nb === 1 ? '' : 's'} in .BTF.base, ${d.split.nTypes} split types\n`);
    return 0;
  },
};

/** `btfkit distill DIR …`: every module of a tree on the worker pool. */
async function distillTree(dir: string, values: Parameters<Command['run']>[1]): Promise<number> {
  const out = str(values, 'output');
  const inPlace = flag(values, 'in-place');
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
  const base = str(values, 'base') ?? 'kernel';
  let modules = findModules([dir]);
  if (out) {
    // Never pick up our own output when OUTDIR lies inside DIR.
    const o = resolve(out) + sep;
    modules = modules.filter((m) => !(resolve(m) + sep).startsWith(o));
  }
  if (modules.length === 0) throw new BtfkitError('IO', 'no kernel modules found', { where: { file: dir } });
  const items: WorkItem[] = modules.map((m) => ({ module: m, dest: out ? join(out, relative(dir, m)) : null }));
  const report = new ReportBuilder(kernels, false);
  const order = new Map(kernels.map((k, i) => [k.name, i]));
  const problems: { module: string; k: number; text: string }[] = [];
  let distilled = 0;
  let skipped = 0;
  let errors = 0;
  const progress = flag(values, 'quiet') ? null : new ProgressReporter(process.stderr, 'distill', modules.length, kernels.map((k) => k.name));
  const nk = new Set([base, ...kernels.map((k) => k.path)]).size;
  progress?.note(`loading ${nk} kernel${nk === 1 ? '' : 's'}…`);
  const stats = await runPool({
    spec: { kind: 'distill', base, kernels },
    items,
    jobs: jobs ?? autoJobs(items.length),
    onReady: () => progress?.begin(),
    onResult(item) {
      const d = item.distill!;
      if (d.status === 'distilled') distilled++;
      else if (d.status === 'skipped') skipped++;
      else {
        errors++;
        problems.push({ module: item.module, k: -1, text: `${item.module}: NOT DISTILLED\n  - ${d.detail}` });
      }
      const failing: string[] = [];
      for (const r of item.results) {
        report.add(r);
        if (!r.loads) {
          failing.push(r.kernel);
          if (d.status !== 'error') problems.push({ module: r.module, k: order.get(r.kernel) ?? 0, text: formatCheckResult(r) });
        }
      }
      progress?.update(failing, d.status === 'error');
    },
  });
  problems.sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : a.k - b.k));
  const line = finalLine('distilled', modules.length, 0, stats.wallMs, stats.workers, stats.setupMs);
  if (progress) progress.finish(line);
  const lines: string[] = problems.map((p) => p.text);
  if (lines.length) lines.push('');
  lines.push(`${distilled} distilled${out ? ` into ${out}` : ' in place'}, ${skipped} already distilled${out && skipped ? ' (copied)' : ''}, ${errors} could not be distilled`);
  if (kernels.length) lines.push('', report.summaryTable());
  await writeStdout(lines.join('\n') + '\n');
  return errors === 0 && report.allLoad ? 0 : 1;
}
