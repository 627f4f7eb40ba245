/**
 * `btfkit relocate SPLIT --base NEWBASE -o OUT [--distilled-base FILE] [--id-map FILE]`:
 * libbpf btf__relocate() from the command line. On failure every distilled type that cannot be
 * mapped is listed with its reason, and nothing is written.
 */

import { type Command, str, writeStdout, UsageError } from './command.js';
import { openInput, loadBaseBtf, elfSection, withFile } from '../node/load.js';
import { writeFileAtomic, samePath, readFileBytes } from '../node/files.js';
import { tryRelocate, formatRelocationFailure } from '../split/relocate.js';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { BtfkitError, Errno } from '../errors.js';
import type { Btf } from '../model/btf.js';

/** The id map as text: "old new\n" for old = 1 … n-1 (golden README format). */
export function idMapText(idMap: Uint32Array): string {
  const parts: string[] = [];
  for (let i = 1; i < idMap.length; i++) parts.push(`${i} ${idMap[i]}\n`);
  return parts.join('');
}

export const relocateCommand: Command = {
  name: 'relocate',
  summary: 'relocate split BTF from its distilled base onto another kernel (libbpf btf__relocate)',
  usage: `Usage: btfkit relocate SPLIT -k KERNEL -o OUT [--distilled-base FILE] [--id-map FILE] [-j]

  SPLIT              a module with .BTF.base (.ko, compressed too), or raw split BTF
                     together with --distilled-base
  --kernel, -k       the BTF to relocate onto (raw, vmlinux, vmlinuz, or 'kernel'); also
                     --base/-B, libbpf's name for it (btf__relocate's base_btf)
  -o, --output       write the relocated split BTF (raw) here
  --distilled-base   the distilled base of a raw SPLIT
  --id-map FILE      write the id map, one "old new" line per pre-relocation id
  -j, --json         the outcome as JSON on stdout (--json=FILE: to FILE): relocated or
                     not, and every distilled type that cannot be mapped

Output is byte-identical to libbpf v1.7.0. When relocation fails, exit status 1 and every
distilled type that cannot be mapped is listed with its reason.`,
  options: {
    base: { type: 'string', short: 'B' },
    kernel: { type: 'string', short: 'k' },
    output: { type: 'string', short: 'o' },
    'distilled-base': { type: 'string' },
    'id-map': { type: 'string' },
    json: { type: 'string' },
  },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('relocate takes exactly one SPLIT');
    const k = str(values, 'kernel');
    const b = str(values, 'base');
    if (k !== undefined && b !== undefined && k !== b) throw new UsageError('-k/--kernel and -B/--base are the same option for relocate; give it once');
    const baseSpec = k ?? b;
    if (!baseSpec) throw new UsageError('relocate needs -k KERNEL (the BTF to relocate onto)');
    const out = str(values, 'output');
    if (!out) throw new UsageError('relocate needs -o OUT');
    const idMapPath = str(values, 'id-map');
    const dbPath = str(values, 'distilled-base');
    for (const o of [out, idMapPath]) if (o && (samePath(o, args[0]!) || (dbPath && samePath(o, dbPath)))) throw new UsageError(`output ${o} would overwrite an input`);
    const input = await openInput(args[0]!);
    let distilled: Btf;
    let split: Btf;
    if (input.type === 'elf') {
      const baseData = elfSection(input, '.BTF.base');
      const btfData = elfSection(input, '.BTF');
      if (!btfData) throw new BtfkitError('ELF_NO_SECTION', "failed to find '.BTF' ELF section", { errno: Errno.ENODATA, where: { file: input.path } });
      if (!baseData && !dbPath) throw new BtfkitError('RELOCATE', 'module has no .BTF.base section (not distilled; run btfkit distill first, or give --distilled-base)', { where: { file: input.path } });
      distilled = withFile(input.path, '.BTF.base', () => parseBtf(baseData ?? readFileBytes(dbPath!)));
      split = withFile(input.path, '.BTF', () => parseBtf(btfData, { base: distilled }));
    } else {
      if (!dbPath) throw new UsageError('raw split BTF needs --distilled-base FILE');
      const dbBytes = readFileBytes(dbPath);
      distilled = withFile(dbPath, undefined, () => parseBtf(dbBytes));
      split = withFile(input.path, undefined, () => parseBtf(input.bytes, { base: distilled }));
    }
    const newBase = await loadBaseBtf(baseSpec);
    const r = tryRelocate(split, newBase);
    const json = str(values, 'json');
    const report = async (v: unknown): Promise<void> => {
      if (json === undefined) return;
      const body = JSON.stringify(v, null, 2) + '\n';
      if (json === '-') await writeStdout(body);
      else writeFileAtomic(json, new TextEncoder().encode(body));
    };
    if (!r.ok) {
      await report({ file: input.path, relocated: false, errno: r.failure.errno, message: r.failure.message, unmapped: r.failure.unmapped ?? [] });
      process.stderr.write(`btfkit: ${input.path}: ${formatRelocationFailure(r.failure).trimEnd()}\n`);
      return 1;
    }
    writeFileAtomic(out, serializeBtf(r.btf));
    if (idMapPath) writeFileAtomic(idMapPath, new TextEncoder().encode(idMapText(r.idMap)));
    await report({ file: input.path, relocated: true, output: out, splitTypes: r.btf.nTypes, startId: r.btf.startId, idMap: idMapPath ?? null });
    return 0;
  },
};
