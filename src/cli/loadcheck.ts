/**
 * `btfkit load-check MODULE [--kernel KERNEL] [--dump FILE] [--btf-ids FILE]`: what the kernel
 * does with the module's BTF when it loads it (docs/design.md §module-loading), offline — the verdict it would
 * give, its log lines, and the module BTF it would end up with.
 */

import { basename } from 'node:path';
import { type Command, str, writeStdout, UsageError } from './command.js';
import { openInput, elfSection } from '../node/load.js';
import { writeFileAtomic } from '../node/files.js';
import { emulateModuleLoad, formatLoadEmulation, kernelLogFor } from '../kernel/load.js';
import { moduleFate } from '../kernel/check.js';
import { findKernelConfig, describeConfig, type KernelConfigFinding } from './kconfig.js';
import { serializeBtf } from '../format/write.js';
import { BtfkitError } from '../errors.js';
import { parseKernelSpec } from './check.js';
import { KernelLoader } from '../node/pool-kernels.js';
import { kernelBtf as kernelBtfOf } from '../node/check-worker.js';
import type { Btf } from '../model/btf.js';

export const loadCheckCommand: Command = {
  name: 'load-check',
  summary: "emulate the kernel loading a module's BTF: verdict, kernel log, resulting BTF",
  usage: `Usage: btfkit load-check MODULE [-k KERNEL] [--config FILE | --allow-btf-mismatch[=y|n]]
                          [--dump FILE] [--btf-ids FILE] [-j | --json=FILE]

  MODULE                a kernel module (.ko, .ko.xz/.zst/.gz)
  --kernel, -k          the kernel BTF (raw, vmlinux, vmlinuz, 'kernel' = default)
  --config FILE         the kernel's configuration (.config, config.gz, or an image with
                        CONFIG_IKCONFIG); default: found as for btfkit check (/proc/config.gz
                        for 'kernel', config-<ver> beside vmlinuz-<ver>, the embedded config)
  --allow-btf-mismatch  model CONFIG_MODULE_ALLOW_BTF_MISMATCH=y (=n: not set), whatever the
                        configuration says
  --dump FILE           write the module BTF as the kernel ends up with it (raw split BTF on
                        KERNEL; view it with: btfkit dump FILE --base KERNEL)
  --btf-ids FILE        write the .BTF_ids section after the kernel's kfunc set remapping
  -j, --json            the verdict as JSON on stdout (--json=FILE: to FILE)

The kernel's messages are those of the configuration modelled: without the option, the
verifier's log and "failed to validate module [NAME] BTF: -ERRNO" (the load fails); with
it, the type-level log is skipped and "Kernel module BTF mismatch detected ..." is printed
once (the module loads without BTF). When the configuration is unknown, both are shown.
A module without .BTF loads without BTF.
Exit status: 0 when the module loads with its BTF (or has none), 1 otherwise.`,
  options: {
    kernel: { type: 'string', short: 'k' },
    config: { type: 'string' },
    dump: { type: 'string' },
    'btf-ids': { type: 'string' },
    'allow-btf-mismatch': { type: 'string' },
    json: { type: 'string' },
  },
  preprocess: (args) => args.map((a) => (a === '--allow-btf-mismatch' ? '--allow-btf-mismatch=y' : a)),
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('load-check takes exactly one MODULE');
    const k = parseKernelSpec(str(values, 'kernel') ?? 'kernel');
    const allowOpt = str(values, 'allow-btf-mismatch');
    if (allowOpt !== undefined && !/^(y|n|yes|no)$/.test(allowOpt)) throw new UsageError(`--allow-btf-mismatch takes y or n, not '${allowOpt}'`);
    const cfgFile = str(values, 'config');
    // A kernel image searched for its embedded configuration is unpacked once, for both.
    const loader = new KernelLoader();
    if (allowOpt !== undefined && cfgFile !== undefined) throw new UsageError('--config and --allow-btf-mismatch exclude each other');
    const cfg: KernelConfigFinding = allowOpt !== undefined
      ? { allowBtfMismatch: allowOpt.startsWith('y'), btfModules: true, source: '--allow-btf-mismatch' }
      : await findKernelConfig(k.path, cfgFile, loader);
    const kernel = await kernelBtf(k.path, loader);
    const input = await openInput(args[0]!);
    if (!input.elf) throw new BtfkitError('ELF', 'not a kernel module (no ELF)', { where: { file: input.path } });
    const json = str(values, 'json');
    const btf = elfSection(input, '.BTF');
    const name = basename(input.path).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
    if (!btf) {
      // btf_module_notify: a module without BTF (btf_data_size 0) is let through untouched.
      if (json !== undefined) await writeJson(json, { module: input.path, kernel: k.name, allowBtfMismatch: cfg.allowBtfMismatch, btfModules: cfg.btfModules, config: cfg.source, btfAccepted: false, fate: 'loads-without-btf', status: 'no-btf', errno: 0, kernelLog: [] });
      else await writeStdout(`${input.path}: no .BTF section: loads on ${k.name} without BTF (the kernel does not look at module BTF it does not have)\n`);
      return 0;
    }
    if (cfg.btfModules === false) {
      // kernel/module/main.c reads .BTF only under CONFIG_DEBUG_INFO_BTF_MODULES.
      if (json !== undefined) await writeJson(json, { module: input.path, kernel: k.name, allowBtfMismatch: cfg.allowBtfMismatch, btfModules: false, config: cfg.source, btfAccepted: false, fate: 'loads-without-btf', status: 'btf-modules-off', errno: 0, kernelLog: [] });
      else await writeStdout(`${input.path}: loads on ${k.name} without BTF: ${describeConfig(cfg)}\n`);
      return 0;
    }
    const r = emulateModuleLoad({ name, btf, btfBase: elfSection(input, '.BTF.base'), elf: input.elf }, kernel);
    const fate = moduleFate(r.loadsWithBtf, cfg.allowBtfMismatch, cfg.btfModules);
    if (json !== undefined) {
      await writeJson(json, {
        module: input.path, kernel: k.name, allowBtfMismatch: cfg.allowBtfMismatch, btfModules: cfg.btfModules, config: cfg.source,
        btfAccepted: r.loadsWithBtf, fate, status: r.loadsWithBtf ? 'ok' : 'failed', errno: r.errno,
        kernelLog: r.loadsWithBtf ? [] : cfg.allowBtfMismatch === null ? { allowBtfMismatch: kernelLogFor(r, name, true), notSet: kernelLogFor(r, name, false) } : kernelLogFor(r, name, cfg.allowBtfMismatch),
        mismatch: r.mismatch.map((m) => m.detail),
        kfuncSets: r.kfuncSets,
      });
    }
    if (json !== '-') await writeStdout(formatLoadEmulation(input.path, k.name, r, cfg.allowBtfMismatch, name, describeConfig(cfg)) + '\n');
    const dump = str(values, 'dump');
    if (dump && r.moduleBtf) writeFileAtomic(dump, serializeBtf(r.moduleBtf));
    const ids = str(values, 'btf-ids');
    if (ids && r.btfIds) writeFileAtomic(ids, r.btfIds);
    return r.loadsWithBtf ? 0 : 1;
  },
};

async function writeJson(dest: string, value: unknown): Promise<void> {
  const body = JSON.stringify(value, null, 2) + '\n';
  if (dest === '-') await writeStdout(body);
  else writeFileAtomic(dest, new TextEncoder().encode(body));
}

/** The kernel's BTF, from the run's loader (which unpacked an image once, also for its configuration). */
async function kernelBtf(path: string, loader: KernelLoader): Promise<Btf> {
  const d = (await loader.load(path)).data;
  if (d instanceof BtfkitError) throw d;
  return kernelBtfOf(d);
}
