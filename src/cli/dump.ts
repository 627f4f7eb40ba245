/** `btfkit dump FILE [--base BASE] [--format raw|json|c] [-o OUT]` — bpftool-identical dumps. */

import { type Command, str, writeStdout, UsageError } from './command.js';
import { loadBtf, loadBaseBtf } from '../node/load.js';
import { writeFileAtomic, samePath } from '../node/files.js';
import { BtfkitError } from '../errors.js';

export const dumpCommand: Command = {
  name: 'dump',
  summary: 'dump BTF as bpftool does: raw text, JSON, or C (vmlinux.h)',
  usage: `Usage: btfkit dump FILE [--base BASE] [--format raw|json|c] [-o OUT]

  FILE           raw BTF, ELF (vmlinux, .ko, compressed), kernel image, or 'kernel'
  --base, -B     base BTF for split input (a module's .BTF); a module with .BTF.base
                 is relocated onto it, as bpftool does
  --format, -f   raw (default): = bpftool btf dump file FILE [-B BASE] format raw
                 json: = bpftool -j btf dump file FILE [-B BASE]
                 c: = bpftool btf dump file FILE [-B BASE] format c
  -o, --output   write to a file (atomically) instead of stdout`,
  options: {
    base: { type: 'string', short: 'B' },
    format: { type: 'string', short: 'f' },
    output: { type: 'string', short: 'o' },
  },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('dump takes exactly one FILE');
    const format = str(values, 'format') ?? 'raw';
    if (!['raw', 'json', 'c'].includes(format)) throw new UsageError(`unknown format '${format}' (raw, json or c)`);
    const outPath = str(values, 'output');
    if (outPath && [args[0]!, str(values, 'base')].some((p) => p !== undefined && samePath(outPath, p))) throw new UsageError(`output ${outPath} would overwrite an input`);
    const baseSpec = str(values, 'base');
    const base = baseSpec ? await loadBaseBtf(baseSpec) : null;
    const { btf } = await loadBtf(args[0]!, base);
    let out: Uint8Array;
    try {
      // Only the chosen dumper is loaded (start-up time of a one-shot command).
      if (format === 'raw') out = (await import('../dump/raw.js')).dumpRaw(btf);
      else if (format === 'json') out = (await import('../dump/json.js')).dumpJson(btf);
      else out = (await import('../dump/c.js')).dumpC(btf);
    } catch (e) {
      throw e instanceof BtfkitError ? e.withLocation({ file: args[0]! }) : e;
    }
    const o = str(values, 'output');
    if (o) writeFileAtomic(o, out);
    else await writeStdout(out);
    return 0;
  },
};
