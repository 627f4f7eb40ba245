/**
 * `btfkit check MODULE|DIR... [--kernel KERNEL]... [--build-kernel BUILD] [--json[=FILE]]`:
 * per module and kernel, OK or every reason the module's BTF will not load, in a module
 * maintainer's words. Directories are walked for .ko, .ko.xz, .ko.zst and .ko.gz.
 * Exit 0 when every module would load on every kernel, 1 otherwise, 2 for usage errors.
 */

import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type Command, str, strs, writeStdout, UsageError } from './command.js';
import { openInput, elfSection, loadBaseBtf, KERNEL_BTF_PATH } from '../node/load.js';
import { writeFileAtomic } from '../node/files.js';
import { checkPrepared, prepareModule, formatCheckResult, type KernelRef, type ModuleCheckResult } from '../kernel/check.js';
import { ReportBuilder } from '../kernel/report.js';
import { BtfkitError } from '../errors.js';

const MODULE_RE = /\.ko(\.xz|\.zst|\.gz)?$/;

/** Expands directories (recursively, sorted) into module files; files are kept as given. */
export function findModules(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (e) {
      throw new BtfkitError('IO', `cannot read directory: ${(e as Error).message}`, { where: { file: dir } });
    }
    for (const e of entries) {
      const p = join(dir, e);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
      else if (MODULE_RE.test(e)) out.push(p);
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
  if (name === 'vmlinux' || name === 'vmlinuz') name = spec;
  return { name, path: spec };
}

export function jsonPreprocess(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') {
      const next = args[i + 1];
      if (next !== undefined && (next === '-' || next.endsWith('.json'))) {
        out.push(`--json=${next}`);
        i++;
      } else out.push('--json=-');
    } else out.push(a);
  }
  return out;
}

export interface ModuleSections {
  name: string;
  btf: Uint8Array;
  btfBase: Uint8Array | null;
}

export async function readModuleSections(path: string): Promise<ModuleSections> {
  const input = await openInput(path);
  if (!input.elf) throw new BtfkitError('ELF', 'not a kernel module (no ELF)', { where: { file: input.path } });
  const btf = elfSection(input, '.BTF');
  if (!btf) throw new BtfkitError('ELF_NO_SECTION', "failed to find '.BTF' ELF section", { where: { file: input.path } });
  return { name: path, btf, btfBase: elfSection(input, '.BTF.base') };
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'will these modules load on these kernels? every reason why not',
  usage: `Usage: btfkit check MODULE|DIR... [--kernel KERNEL]... [--build-kernel BUILD] [--json[=FILE]]

  MODULE|DIR        modules (.ko, .ko.xz, .ko.zst, .ko.gz); directories are searched
  --kernel, -k      a kernel to check against: raw BTF, vmlinux, vmlinuz, or 'kernel'
                    (default: the running kernel); repeat for several; NAME=PATH names it
  --build-kernel    the BTF the modules were built against: modules without .BTF.base
                    are distilled against it in memory, and for size changes the fields
                    that changed are listed
  --json[=FILE]     the full report as JSON (to stdout, or FILE; '--json FILE' works for
                    FILE ending in .json)

Exit status: 0 every module would load on every kernel, 1 some would not, 2 usage error.`,
  options: {
    kernel: { type: 'string', short: 'k', multiple: true },
    'build-kernel': { type: 'string' },
    json: { type: 'string' },
  },
  preprocess: jsonPreprocess,
  async run(args, values) {
    if (args.length === 0) throw new UsageError('check needs at least one MODULE or DIR');
    const kernelSpecs = strs(values, 'kernel');
    if (kernelSpecs.length === 0) kernelSpecs.push('kernel');
    const kernels: (KernelRef & { path: string })[] = [];
    for (const spec of kernelSpecs) {
      const { name, path } = parseKernelSpec(spec);
      if (kernels.some((k) => k.name === name)) throw new UsageError(`kernel '${name}' given twice`);
      kernels.push({ name, path, btf: await loadBaseBtf(path) });
    }
    const buildSpec = str(values, 'build-kernel');
    const build = buildSpec ? await loadBaseBtf(buildSpec) : null;
    const json = str(values, 'json');
    const modules = findModules(args);
    if (modules.length === 0) throw new BtfkitError('IO', 'no kernel modules found', { where: { file: args.join(' ') } });
    const report = new ReportBuilder(kernels.map((k) => ({ name: k.name, path: k.path })));
    const text: string[] = [];
    for (const m of modules) {
      let results: ModuleCheckResult[];
      try {
        const sec = await readModuleSections(m);
        const p = prepareModule({ name: m, btf: sec.btf, btfBase: sec.btfBase }, build);
        results = kernels.map((k) => checkPrepared(p, k, build));
      } catch (e) {
        const detail = e instanceof BtfkitError ? e.describe() : (e as Error).message;
        results = kernels.map((k) => ({ module: m, kernel: k.name, status: 'error' as const, loads: false, reasons: [{ type: '', kind: 'ELF', problem: 'invalid-input', detail }] }));
      }
      for (const r of results) {
        report.add(r);
        if (json !== '-') text.push(formatCheckResult(r));
      }
    }
    const all = report.report();
    if (json !== undefined) {
      const body = JSON.stringify(all, null, 2) + '\n';
      if (json === '-') await writeStdout(body);
      else writeFileAtomic(json, new TextEncoder().encode(body));
    }
    if (json !== '-') {
      await writeStdout(text.join('\n') + '\n');
      if (modules.length > 1 || kernels.length > 1) await writeStdout('\n' + report.summaryTable() + '\n');
    }
    return all.results.every((r) => r.loads) ? 0 : 1;
  },
};
