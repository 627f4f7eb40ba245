/**
 * The encoder's golden digests (test/golden/encoder/*.tsv, written by scripts/golden-encoder.sh
 * from kbuild + pahole v1.31 + resolve_btfids): one row per module, the sha256 of its .BTF,
 * .BTF.base and .BTF_ids ('-' when absent), or `refused` and pahole's message. Shared by the
 * in-tree corpus test (src/encode/encode.test.ts) and the DKMS sweep (scripts/test-corpus.ts).
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf } from '../elf/index.js';
import { BtfkitError } from '../errors.js';
import type { Btf } from '../model/btf.js';
import { encodeModule } from '../encode/module.js';
import type { SectionDecompressor } from '../dwarf/index.js';

export interface EncoderGoldenResult {
  module: string;
  /** pahole refused the module (the row says `refused`). */
  refused: boolean;
  /** btfkit did what pahole did: the same three digests, or a refusal naming the same cause. */
  ok: boolean;
  /** What differed, when not ok. */
  detail: string;
}

const sha = (b: Uint8Array | null): string => (b ? createHash('sha256').update(b).digest('hex') : '-');

export interface EncoderGoldenOptions {
  /** The input bytes made of a module's M.prebtf.ko path (default: the file as it is). */
  input?: (prebtf: string) => Uint8Array;
  /** Passed to the encoder (compressed DWARF sections). */
  decompress?: SectionDecompressor;
  /** Only every n-th row (default 1: all). */
  every?: number;
}

/** Encodes every module of `tsv` found under `dir` (as DIR/<module>.prebtf.ko) on `kernel` and compares. */
export function checkEncoderGolden(tsv: string, dir: string, kernel: Btf, opts: EncoderGoldenOptions = {}): EncoderGoldenResult[] {
  const every = opts.every ?? 1;
  const rows = readFileSync(tsv, 'utf8').trim().split('\n').slice(1).map((l) => l.split('\t')).filter((_, i) => i % every === 0);
  const out: EncoderGoldenResult[] = [];
  for (const [module, btf, base, ids] of rows) {
    const pre = join(dir, `${module!}.prebtf.ko`);
    if (!existsSync(pre)) continue;
    const refused = btf === 'refused';
    const elf = parseElf(opts.input ? opts.input(pre) : new Uint8Array(readFileSync(pre)));
    try {
      const r = encodeModule(elf, kernel, opts.decompress ? { decompress: opts.decompress } : {});
      const got = [sha(r.btfBytes), sha(r.baseBytes), sha(r.btfIds)];
      const want = [btf, base, ids];
      const differs = ['.BTF', '.BTF.base', '.BTF_ids'].filter((_, i) => got[i] !== want[i]);
      out.push({ module: module!, refused, ok: !refused && differs.length === 0, detail: refused ? 'encoded, pahole refused it' : `differs: ${differs.join(' ')}` });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const same = refused && e instanceof BtfkitError && msg.includes(base!.replace(/^libbpf: /, '').replace(/\.$/, ''));
      out.push({ module: module!, refused, ok: same, detail: msg });
    }
  }
  return out;
}
