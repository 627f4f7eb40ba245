/** `btfkit diff OLD NEW [TYPE...] [-B BASE] [-j]`: what changed between two kernels' (or modules') BTF. */

import { type Command, str, flag, writeStdout, UsageError } from './command.js';
import { loadBtf, loadBaseBtf, KERNEL_BTF_PATH } from '../node/load.js';
import { diffBtf, formatDiff, diffSummary } from '../kernel/diff.js';
import { BtfkitError } from '../errors.js';
import { writeFileAtomic } from '../node/files.js';

export const diffCommand: Command = {
  name: 'diff',
  summary: 'what changed between two kernels (or modules): types added, removed, changed field by field',
  usage: `Usage: btfkit diff OLD NEW [TYPE...] [-B BASE] [--old-base B] [--new-base B] [-j | --json=FILE]

  OLD, NEW       raw BTF, ELF (vmlinux, .ko, compressed), kernel image, or 'kernel'
                 ('kernel' = ${KERNEL_BTF_PATH})
  TYPE...        report only types of these names
  --base, -B     base BTF of both (for two modules' split BTF; only the modules' own
                 types are compared)
  --old-base B, --new-base B
                 a different base for OLD or NEW
  -j, --json     JSON to stdout (--json=FILE: to FILE)

Types are matched by kind and name (struct, union, enum, typedef, func). Exit status 0 when
the two are the same, 1 when they differ, 2 for a usage error.`,
  options: {
    base: { type: 'string', short: 'B' },
    'old-base': { type: 'string' },
    'new-base': { type: 'string' },
    json: { type: 'string' },
  },
  async run(args, values) {
    if (args.length < 2) throw new UsageError('diff takes OLD and NEW (and optional TYPE names)');
    const [oldPath, newPath, ...types] = args as [string, string, ...string[]];
    const both = str(values, 'base');
    const oldBaseSpec = str(values, 'old-base') ?? both;
    const newBaseSpec = str(values, 'new-base') ?? both;
    const oldBase = oldBaseSpec ? await loadBaseBtf(oldBaseSpec) : null;
    const newBase = newBaseSpec ? await loadBaseBtf(newBaseSpec) : null;
    const { btf: oldBtf } = await loadBtf(oldPath, oldBase);
    const { btf: newBtf } = await loadBtf(newPath, newBase);
    const d = diffBtf(oldBtf, newBtf, types.length ? types : null);
    if (types.length) {
      const seen = new Set([...d.added, ...d.removed, ...d.changed].map((t) => t.name));
      const inBoth = new Set<string>();
      for (const t of types) if (!seen.has(t) && (oldBtf.findAllByName(t).length || newBtf.findAllByName(t).length)) inBoth.add(t);
      const missing = types.filter((t) => !seen.has(t) && !inBoth.has(t));
      if (missing.length) throw new BtfkitError('BTF_INVALID', `no struct, union, enum, typedef or func named '${missing[0]}' in ${oldPath} or ${newPath}`);
    }
    const different = d.added.length + d.removed.length + d.changed.length > 0;
    const json = str(values, 'json');
    if (json !== undefined) {
      const text = JSON.stringify({ old: oldPath, new: newPath, summary: diffSummary(d), compared: d.compared, changed: d.changed, added: d.added, removed: d.removed }, null, 2) + '\n';
      if (json === '-') await writeStdout(text);
      else writeFileAtomic(json, new TextEncoder().encode(text));
    } else {
      await writeStdout(formatDiff(d));
    }
    return different ? 1 : 0;
  },
};
