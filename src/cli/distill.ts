/**
 * `btfkit distill MODULE --base BASE (-o OUT | --in-place | --out-base F --out-split F)`:
 * what pahole --btf_features=distilled_base does at build time, for an already built module.
 * The module's `.BTF` is replaced by the new split, `.BTF.base` is added (flags alloc,readonly
 * as kbuild's objcopy sets them) and `.BTF_ids` is remapped through the distill id map.
 */

import { type Command, str, flag, UsageError } from './command.js';
import { openInput, loadBaseBtf, loadBtfFromInput, elfSection } from '../node/load.js';
import { writeFileAtomic, samePath } from '../node/files.js';
import { distillBase } from '../split/distill.js';
import { serializeBtf } from '../format/write.js';
import { rewriteElf, SHF_ALLOC } from '../elf/index.js';
import { hasBtfIds, parseBtfIds, remapForDistill, BTF_IDS_SECTION } from '../kernel/btfids.js';
import { BtfkitError } from '../errors.js';

export const distillCommand: Command = {
  name: 'distill',
  summary: 'make a module resilient: add a distilled base (.BTF.base) and rewrite .BTF/.BTF_ids',
  usage: `Usage: btfkit distill MODULE [--base BASE] (-o OUT | --in-place)
       btfkit distill SPLIT.btf [--base BASE] --out-base FILE --out-split FILE

  MODULE          a kernel module (.ko, .ko.xz/.zst/.gz) whose .BTF is split BTF on BASE
  SPLIT.btf       raw split BTF on BASE
  --base, -B      the BTF the module was built against (default: kernel =
                  /sys/kernel/btf/vmlinux); raw BTF, vmlinux or vmlinuz
  -o, --output    write the distilled module (an ELF) to OUT
  --in-place      rewrite MODULE itself (atomically; not for compressed modules)
  --out-base F    write the distilled base as raw BTF (libbpf btf__distill_base new_base)
  --out-split F   write the new split as raw BTF (libbpf new_split)

Output is byte-identical to libbpf v1.7.0 btf__distill_base().`,
  options: {
    base: { type: 'string', short: 'B' },
    output: { type: 'string', short: 'o' },
    'in-place': { type: 'boolean' },
    'out-base': { type: 'string' },
    'out-split': { type: 'string' },
  },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('distill takes exactly one MODULE');
    const path = args[0]!;
    const out = str(values, 'output');
    const inPlace = flag(values, 'in-place');
    const outBase = str(values, 'out-base');
    const outSplit = str(values, 'out-split');
    if ((outBase === undefined) !== (outSplit === undefined)) throw new UsageError('--out-base and --out-split go together');
    if (!out && !inPlace && !outBase) throw new UsageError('say where to write: -o OUT, --in-place, or --out-base/--out-split');
    if (out && inPlace) throw new UsageError('-o and --in-place exclude each other');
    for (const o of [out, outBase, outSplit]) {
      if (o && samePath(o, path)) throw new UsageError(`output ${o} is the input file; use --in-place to rewrite it`);
    }
    const input = await openInput(path);
    if (input.type === 'btf' && (out || inPlace)) throw new UsageError('raw BTF input: use --out-base and --out-split');
    if (inPlace && input.container !== 'plain') throw new UsageError(`--in-place cannot rewrite a ${input.container}-compressed module; use -o`);
    if (input.type === 'elf' && elfSection(input, '.BTF.base'))
      throw new BtfkitError('DISTILL', 'module already has a .BTF.base section (it is distilled already)', { where: { file: input.path } });
    const base = await loadBaseBtf(str(values, 'base') ?? 'kernel');
    const { btf } = loadBtfFromInput(input, base);
    const d = distillBase(btf);
    const baseBytes = serializeBtf(d.base);
    const splitBytes = serializeBtf(d.split);
    if (outBase && outSplit) {
      writeFileAtomic(outBase, baseBytes);
      writeFileAtomic(outSplit, splitBytes);
    }
    if (out || inPlace) {
      const elf = input.elf!;
      const replace = new Map<string, Uint8Array>([['.BTF', splitBytes]]);
      if (hasBtfIds(elf)) {
        const sec = elf.section(BTF_IDS_SECTION)!;
        replace.set(BTF_IDS_SECTION, remapForDistill(parseBtfIds(elf), elf.sectionData(sec), d.idMap));
      }
      const bytes = rewriteElf(elf, { replace, add: [{ name: '.BTF.base', data: baseBytes, flags: SHF_ALLOC }] });
      const dest = inPlace ? input.path : out!;
      writeFileAtomic(dest, bytes, { modeFrom: input.path });
    }
    const nb = d.base.nTypes;
    process.stderr.write(`distilled ${input.path}: ${nb} base type${nb === 1 ? '' : 's'} in .BTF.base, ${d.split.nTypes} split types\n`);
    return 0;
  },
};
