/** `btfkit dump FILE [--base BASE] [--format raw|json|c] [-o OUT]` — bpftool-identical dumps. */

import { type Command, str, writeStdout, UsageError } from './command.js';
import { loadBtf, loadBaseBtf } from '../node/load.js';
import { writeFileAtomic, samePath } from '../node/files.js';
import { BtfkitError } from '../errors.js';

export const dumpCommand: Command = {
  name: 'dump',
  summary: 'dump BTF as bpftool does: raw text, JSON, or C (vmlinux.h)',
  usage: `Usage: btfkit dump FILE [-B BASE] [--format raw|json|c | -j] [-o OUT]

  FILE           raw BTF, ELF (vmlinux, .ko, compressed), kernel image, or 'kernel'
  --base, -B     the BTF split input was built against (a module's .BTF); a module with
                 .BTF.base is relocated onto it, as bpftool does; no default
  -j, --json     = --format json (bpftool -j); --json=FILE writes it to FILE
  --format, -f   raw (default): = bpftool btf dump file FILE [-B BASE] format raw
                 json: = bpftool -j btf dump file FILE [-B BASE]
                 c: = bpftool btf dump file FILE [-B BASE] format c
  -o, --output   write to a file (atomically) instead of stdout`,
  options: {
    base: { type: 'string', short: 'B' },
    format: { type: 'string', short: 'f' },
    output: { type: 'string', short: 'o' },
    json: { type: 'string' },
  },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('dump takes exactly one FILE');
    const json = str(values, 'json');
    if (json !== undefined && str(values, 'format') !== undefined && str(values, 'format') !== 'json') throw new UsageError('-j/--json and --format exclude each other');
    if (json !== undefined && json !== '-' && str(values, 'output') !== undefined) throw new UsageError('give the output file once: --json=FILE or -j -o FILE');
    if (json !== undefined && json !== '-') values = { ...values, output: json };
    const format = json !== undefined ? 'json' : str(values, 'format') ?? 'raw';
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
