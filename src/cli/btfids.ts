/**
 * `btfkit resolve-btfids ELF [--base BASE] [-o OUT | --in-place]`: the kernel build's
 * resolve_btfids. Ids are resolved against the module's split BTF over its `.BTF.base` when it
 * has one (docs/design.md §resolve_btfids), else over BASE; a vmlinux resolves against its own `.BTF`.
 */

import { type Command, str, flag, UsageError } from './command.js';
import { openInput, loadBaseBtf, elfSection, loadBtfFromInput } from '../node/load.js';
import { writeFileAtomic, samePath } from '../node/files.js';
import { parseBtfIds, resolveBtfIds, unsortBtfIdSets, BTF_IDS_SECTION } from '../kernel/btfids.js';
import { rewriteElfParts } from '../elf/index.js';
import { BtfkitError, Errno } from '../errors.js';
import type { Btf } from '../model/btf.js';

export const resolveBtfIdsCommand: Command = {
  name: 'resolve-btfids',
  summary: "fill a module's or vmlinux's .BTF_ids with BTF type ids, as resolve_btfids does",
  usage: `Usage: btfkit resolve-btfids ELF [--base BASE] (-o OUT | --in-place)

  ELF          a module (.ko) or vmlinux with a .BTF_ids section
  --base, -B   the vmlinux BTF a module's split BTF refers to (not needed with .BTF.base,
               whose distilled numbering is used, nor for vmlinux itself)
  -o, --output write the resolved ELF here
  --in-place   rewrite ELF itself (atomically)

Unresolved symbols are reported as resolve_btfids warnings on stderr.`,
  options: { base: { type: 'string', short: 'B' }, output: { type: 'string', short: 'o' }, 'in-place': { type: 'boolean' } },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('resolve-btfids takes exactly one ELF');
    const out = str(values, 'output');
    const inPlace = flag(values, 'in-place');
    if (!out && !inPlace) throw new UsageError('say where to write: -o OUT or --in-place');
    if (out && inPlace) throw new UsageError('-o and --in-place exclude each other');
    if (out && samePath(out, args[0]!)) throw new UsageError(`output ${out} is the input file; use --in-place to rewrite it`);
    const input = await openInput(args[0]!);
    if (!input.elf) throw new BtfkitError('ELF', 'resolve-btfids needs an ELF file', { where: { file: input.path } });
    if (inPlace && input.container !== 'plain') throw new UsageError(`--in-place cannot rewrite a ${input.container}-compressed file; use -o`);
    const elf = input.elf;
    const sec = elf.section(BTF_IDS_SECTION);
    if (!sec) throw new BtfkitError('ELF_NO_SECTION', `no ${BTF_IDS_SECTION} section`, { errno: Errno.ENODATA, where: { file: input.path } });
    let btf: Btf;
    const baseSpec = str(values, 'base');
    if (elfSection(input, '.BTF.base')) btf = loadBtfFromInput(input, null).btf; // distilled numbering, no relocation
    else if (baseSpec) btf = loadBtfFromInput(input, await loadBaseBtf(baseSpec)).btf;
    else btf = loadBtfFromInput(input, null).btf;
    const layout = parseBtfIds(elf);
    let bytes = elf.sectionData(sec);
    try {
      bytes = unsortBtfIdSets(layout, bytes, btf); // a re-run: put set8 flags back with their symbols
    } catch {
      /* not resolved against this BTF before: resolve as it is */
    }
    const r = resolveBtfIds(elf, bytes, btf, { layout });
    for (const w of r.warnings) process.stderr.write(`${w}\n`);
    const parts = rewriteElfParts(elf, { replace: new Map([[BTF_IDS_SECTION, r.bytes]]), keepTrailingData: true });
    writeFileAtomic(inPlace ? input.path : out!, parts, { modeFrom: input.path });
    return 0;
  },
};
