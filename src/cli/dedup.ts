/**
 * `btfkit dedup IN [--base BASE] -o OUT`: libbpf btf__dedup() from the command line. IN is
 * parsed as btf__parse_split does (on BASE when given), deduplicated, and its own types and
 * strings written as raw BTF under the input's own header, as libbpf keeps it (byte-identical
 * to libbpf v1.7.0). Nothing is written on error.
 */

import { type Command, str, UsageError } from './command.js';
import { loadBtf, loadBaseBtf, withFile, elfSection } from '../node/load.js';
import { writeFileAtomic, samePath } from '../node/files.js';
import { serializeBtf } from '../format/write.js';
import { dedup } from '../split/dedup/index.js';
import { parsedHeaderBytes, withParsedHeader } from '../split/dedup/header.js';

export const dedupCommand: Command = {
  name: 'dedup',
  summary: 'deduplicate BTF (libbpf btf__dedup), byte-identical',
  usage: `Usage: btfkit dedup IN [--base BASE] -o OUT

  IN               raw BTF, ELF (vmlinux, .ko, compressed) or kernel image
  --base, -B BASE  the base BTF IN is split on; IN is deduplicated against it
  -o, --output     write the deduplicated BTF (raw; for split input only the split part)

Output is byte-identical to libbpf v1.7.0 btf__dedup().`,
  options: { base: { type: 'string', short: 'B' }, output: { type: 'string', short: 'o' } },
  async run(args, values) {
    if (args.length !== 1) throw new UsageError('dedup takes exactly one IN');
    const out = str(values, 'output');
    if (!out) throw new UsageError('dedup needs -o OUT');
    const baseSpec = str(values, 'base');
    if (samePath(out, args[0]!) || (baseSpec && samePath(out, baseSpec))) throw new UsageError(`output ${out} would overwrite an input`);
    const base = baseSpec ? await loadBaseBtf(baseSpec) : null;
    const { btf, input } = await loadBtf(args[0]!, base);
    const r = withFile(input.path, undefined, () => dedup(btf));
    // libbpf keeps the parsed header (version, flags, hdr_len, type_off, extra bytes)
    const hdr = parsedHeaderBytes(input.type === 'btf' ? input.bytes : elfSection(input, '.BTF'));
    writeFileAtomic(out, withParsedHeader(serializeBtf(r.btf), hdr));
    return 0;
  },
};
