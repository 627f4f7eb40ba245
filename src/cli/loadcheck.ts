/**
 * `btfkit load-check MODULE [--kernel KERNEL] [--dump FILE] [--btf-ids FILE]`: what the kernel
 * does with the module's BTF when it loads it (docs/design.md §module-loading), offline — the verdict it would
 * give, its log lines, and the module BTF it would end up with.
 */

import { basename } from 'node:path';
import { type Command, str, flag, writeStdout, UsageError } from './command.js';
import { openInput, elfSection, loadBaseBtf } from '../node/load.js';
import { writeFileAtomic } from '../node/files.js';
import { emulateModuleLoad, formatLoadEmulation } from '../kernel/load.js';
import { serializeBtf } from '../format/write.js';
import { BtfkitError, Errno } from '../errors.js';
import { parseKernelSpec } from './check.js';

export const loadCheckCommand: Command = {
  name: 'load-check',
  summary: "emulate the kernel loading a module's BTF: verdict, kernel log, resulting BTF",
  usage: `Usage: btfkit load-check MODULE [--kernel KERNEL] [--dump FILE] [--btf-ids FILE] [--allow-btf-mismatch]

  MODULE                a kernel module (.ko, .ko.xz/.zst/.gz)
  --kernel, -k          the kernel BTF (raw, vmlinux, vmlinuz, 'kernel' = default)
  --dump FILE           write the module BTF as the kernel ends up with it (raw split BTF on
                        KERNEL; view it with: btfkit dump FILE --base KERNEL)
  --btf-ids FILE        write the .BTF_ids section after the kernel's kfunc set remapping
  --allow-btf-mismatch  emulate CONFIG_MODULE_ALLOW_BTF_MISMATCH=y (load without BTF)

Exit status: 0 when the module loads with its BTF, 1 otherwise.`,
  options: {
    kernel: { type: 'string', short: 'k' },
    dump: { type: 'string' },
    'btf-ids': { type: 'string' },
    'allow-btf-mismatch': { type: 'boolean' },
  },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('load-check takes exactly one MODULE');
    const k = parseKernelSpec(str(values, 'kernel') ?? 'kernel');
    const kernel = await loadBaseBtf(k.path);
    const input = await openInput(args[0]!);
    if (!input.elf) throw new BtfkitError('ELF', 'not a kernel module (no ELF)', { where: { file: input.path } });
    const btf = elfSection(input, '.BTF');
    if (!btf) throw new BtfkitError('ELF_NO_SECTION', "failed to find '.BTF' ELF section", { errno: Errno.ENODATA, where: { file: input.path } });
    const name = basename(input.path).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
    const r = emulateModuleLoad({ name, btf, btfBase: elfSection(input, '.BTF.base'), elf: input.elf }, kernel);
    await writeStdout(formatLoadEmulation(input.path, k.name, r, flag(values, 'allow-btf-mismatch')) + '\n');
    const dump = str(values, 'dump');
    if (dump && r.moduleBtf) writeFileAtomic(dump, serializeBtf(r.moduleBtf));
    const ids = str(values, 'btf-ids');
    if (ids && r.btfIds) writeFileAtomic(ids, r.btfIds);
    return r.loadsWithBtf ? 0 : 1;
  },
};
