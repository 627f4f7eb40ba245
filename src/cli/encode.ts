/**
 * `btfkit encode MODULE --base KERNEL (-o OUT | --in-place) [--no-distill]`: pahole's `-J`
 * for a kernel module, as Linux 6.12's kbuild runs it for an external module (pahole v1.31,
 * its module features, `--btf_features=distilled_base`), then `resolve_btfids`: the module's
 * DWARF becomes `.BTF` split on KERNEL's BTF, deduplicated against it, with `.BTF.base`, and
 * `.BTF_ids` resolved. For modules that kbuild left without BTF ("Skipping BTF generation ...
 * due to unavailability of vmlinux").
 */

import { type Command, str, flag, writeStdout, UsageError } from './command.js';
import { openInput, loadBaseBtf } from '../node/load.js';
import { writeFileAtomic, samePath } from '../node/files.js';
import { encodeModule, encodedSummary } from '../encode/module.js';
import { BtfkitError, Errno } from '../errors.js';
import { decompressSection } from '../node/decompress.js';

export const encodeCommand: Command = {
  name: 'encode',
  summary: "give a module BTF from its DWARF (pahole -J as kbuild runs it), distilled and resolved",
  usage: `Usage: btfkit encode MODULE -B KERNEL (-o OUT | --in-place) [--no-distill]

  MODULE          a kernel module built with debug info (-g) and without .BTF
                  (.ko; compressed modules are read, and written uncompressed with -o)
  --base, -B      the BTF of the kernel the module was built for: /sys/kernel/btf/vmlinux
                  ('kernel', the default), a vmlinuz, a vmlinux or raw BTF
  -o, --output    write the module with its BTF here
  --in-place      rewrite MODULE itself (atomically)
  --no-distill    no .BTF.base (split BTF that only fits KERNEL's exact build)
  --quiet, -q     no summary line

.BTF, .BTF.base and .BTF_ids are byte-identical to what pahole v1.31 and resolve_btfids write
(kbuild with CONFIG_PAHOLE_VERSION >= 126). Where pahole refuses a module (e.g. its BTF would
refer to a kernel function, which a distilled base cannot hold), so does btfkit: exit 1.`,
  options: {
    base: { type: 'string', short: 'B' },
    output: { type: 'string', short: 'o' },
    'in-place': { type: 'boolean' },
    'no-distill': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('encode takes exactly one MODULE');
    const out = str(values, 'output');
    const inPlace = flag(values, 'in-place');
    if (!out === !inPlace) throw new UsageError('encode needs exactly one of -o OUT and --in-place');
    if (out && samePath(out, args[0]!)) throw new UsageError(`output ${out} would overwrite the input (use --in-place)`);
    const input = await openInput(args[0]!);
    if (input.type !== 'elf' || !input.elf) {
      throw new BtfkitError('ELF', 'not a kernel module (raw BTF has no DWARF to encode)', { errno: Errno.EINVAL, where: { file: input.path } });
    }
    if (inPlace && input.container !== 'plain') throw new UsageError(`--in-place cannot rewrite a ${input.container} compressed module; use -o`);
    const baseSpec = str(values, 'base');
    if (baseSpec === undefined) throw new UsageError("encode needs -B KERNEL, the BTF of the kernel the module was built for ('-B kernel' for the running one)");
    const kernel = await loadBaseBtf(baseSpec);
    let r;
    try {
      r = encodeModule(input.elf, kernel, { distill: !flag(values, 'no-distill'), decompress: decompressSection });
    } catch (e) {
      if (e instanceof BtfkitError) throw e.withLocation({ file: input.path });
      throw e;
    }
    writeFileAtomic(inPlace ? input.path : out!, r.elfParts);
    if (!flag(values, 'quiet')) {
      const { baseTypes, splitTypes: n } = encodedSummary(r);
      const base = r.distilledBase ? `, .BTF.base ${baseTypes} types` : '';
      await writeStdout(`${input.path}: .BTF ${n} types${base}${r.btfIds ? ', .BTF_ids resolved' : ''}\n`);
    }
    for (const w of r.warnings) process.stderr.write(`btfkit: ${input.path}: ${w}\n`);
    return 0;
  },
};
