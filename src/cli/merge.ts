/**
 * `btfkit merge IN... [--base BASE] -o OUT`: libbpf btf__add_btf() of every IN (each parsed as
 * btf__parse_split does, on BASE when given) into an empty BTF (split on BASE), then
 * btf__dedup(); the result is written as raw BTF, byte-identical to libbpf v1.7.0. Nothing is
 * written on error.
 */

import { type Command, str, UsageError } from './command.js';
import { loadBtf, loadBaseBtf, withFile } from '../node/load.js';
import { writeFileAtomic, samePath } from '../node/files.js';
import { serializeBtf } from '../format/write.js';
import { addBtf } from '../split/add.js';
import { dedup } from '../split/dedup/index.js';
import { Btf } from '../model/btf.js';

export const mergeCommand: Command = {
  name: 'merge',
  summary: 'merge several BTFs and deduplicate (libbpf btf__add_btf + btf__dedup), byte-identical',
  usage: `Usage: btfkit merge IN... [--base BASE] -o OUT

  IN...            raw BTF, ELF (vmlinux, .ko, compressed) or kernel images, added in order
  --base, -B BASE  the base BTF every IN is split on; the result is split on it too
  -o, --output     write the merged, deduplicated BTF (raw)

Output is byte-identical to libbpf v1.7.0 (btf__add_btf of each IN, then btf__dedup).`,
  options: { base: { type: 'string', short: 'B' }, output: { type: 'string', short: 'o' } },
  async run(args, values) {
    if (args.length < 1) throw new UsageError('merge takes at least one IN');
    const out = str(values, 'output');
    if (!out) throw new UsageError('merge needs -o OUT');
    const baseSpec = str(values, 'base');
    for (const a of [...args, ...(baseSpec ? [baseSpec] : [])]) if (samePath(out, a)) throw new UsageError(`output ${out} would overwrite an input`);
    const base = baseSpec ? await loadBaseBtf(baseSpec) : null;
    const dst = base ? Btf.createSplit(base) : Btf.create();
    for (const a of args) {
      const { btf, input } = await loadBtf(a, base);
      withFile(input.path, undefined, () => addBtf(dst, btf));
    }
    const r = withFile(out, undefined, () => dedup(dst, { stringsDeduped: true }));
    writeFileAtomic(out, serializeBtf(r.btf));
    return 0;
  },
};
