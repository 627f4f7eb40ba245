/** `btfkit layout TYPE... FILE [-B BASE]`: struct/union layouts as `pahole -F btf -C TYPE FILE` prints them. */

import { type Command, str, writeStdout, UsageError } from './command.js';
import { loadBtf, loadBaseBtf, KERNEL_BTF_PATH } from '../node/load.js';
import { layoutTypes } from '../dump/layout.js';
import { BtfkitError } from '../errors.js';

export const layoutCommand: Command = {
  name: 'layout',
  summary: "struct/union layouts as pahole prints them: offsets, sizes, holes, padding, cachelines",
  usage: `Usage: btfkit layout TYPE... FILE [--base BASE]

  TYPE         a struct, union, typedef or enum name (several may be given, or
               comma-separated as pahole's -C takes them); printed in order, as
               pahole -F btf -C TYPE[,TYPE...] FILE (pahole v1.31) prints them
  FILE         raw BTF, ELF (vmlinux, .ko, compressed), kernel image, or 'kernel'
               ('kernel' = ${KERNEL_BTF_PATH})
  --base, -B   base BTF of a module's split BTF (pahole --btf_base); for
               /sys/kernel/btf/MODULE the running kernel's, as pahole does

Exit status 0 when every TYPE was found; 1 when one is missing (pahole stops printing at
the first missing TYPE; so does btfkit, then names it on stderr).`,
  options: { base: { type: 'string', short: 'B' } },
  async run(args, values) {
    if (args.length < 2) throw new UsageError('layout takes one or more TYPE names and a FILE');
    const file = args[args.length - 1]!;
    const names = args.slice(0, -1).flatMap((a) => a.split(',')).map((s) => s.trim()).filter((s) => s !== '');
    if (names.length === 0) throw new UsageError('layout needs at least one TYPE name');
    // as pahole: a module's BTF under /sys/kernel/btf/ is split on the running kernel's
    const sysModule = file.startsWith('/sys/kernel/btf/') && file !== KERNEL_BTF_PATH;
    const baseSpec = str(values, 'base') ?? (sysModule ? 'kernel' : undefined);
    const base = baseSpec ? await loadBaseBtf(baseSpec) : null;
    const { btf } = await loadBtf(file, base);
    const { text, missing } = layoutTypes(btf, names);
    await writeStdout(text);
    if (missing !== null) throw new BtfkitError('BTF_INVALID', `type '${missing}' not found (no struct, union, typedef or enum of that name)`, { where: { file } });
    return 0;
  },
};
