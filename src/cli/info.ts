/** `btfkit info FILE [--base BASE] [--json]` and the no-argument default. */

import { type Command, str, writeStdout, UsageError } from './command.js';
import { writeFileAtomic } from '../node/files.js';
import { loadBtf, loadBaseBtf, KERNEL_BTF_PATH } from '../node/load.js';
import { btfInfo, formatInfo } from '../dump/info.js';

export const infoCommand: Command = {
  name: 'info',
  summary: 'header fields, byte order, type counts per kind, string table size, split start id',
  usage: `Usage: btfkit info FILE [-B BASE] [-j | --json=FILE]

  FILE          raw BTF, ELF (vmlinux, .ko, compressed), kernel image, or 'kernel'
  --base, -B    the BTF split input was built against ('kernel' = ${KERNEL_BTF_PATH});
                no default (a module without .BTF.base needs it)
  -j, --json    machine-readable output on stdout (--json=FILE: to FILE)`,
  options: { base: { type: 'string', short: 'B' }, json: { type: 'string' } },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('info takes exactly one FILE');
    const baseSpec = str(values, 'base');
    const base = baseSpec ? await loadBaseBtf(baseSpec) : null;
    const { btf, input, distilledBase } = await loadBtf(args[0]!, base);
    const info = btfInfo(btf);
    const extra = { file: input.path, container: input.container, format: input.type, hasDistilledBase: distilledBase !== null };
    const json = str(values, 'json');
    if (json === '-') await writeStdout(JSON.stringify({ ...extra, ...info }, null, 2) + '\n');
    else if (json !== undefined) writeFileAtomic(json, new TextEncoder().encode(JSON.stringify({ ...extra, ...info }, null, 2) + '\n'));
    else await writeStdout(`file: ${input.path}${input.container !== 'plain' ? ` (${input.container})` : ''}\n` + formatInfo(info));
    return 0;
  },
};

export const defaultCommand: Command = {
  name: 'default',
  summary: "with no arguments: summary of the running kernel's BTF",
  usage: 'Usage: btfkit',
  options: {},
  async run() {
    return infoCommand.run([KERNEL_BTF_PATH], {});
  },
};
