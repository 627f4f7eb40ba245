/**
 * `npm run bench` rows for the encoder (issue 19): the whole process of `btfkit encode` on a
 * module's M.prebtf.ko next to pahole v1.31 on the same input with kbuild's module flags (+
 * distilled_base), alternating, medians, plus the peak RSS of each (GNU time's %M). Inputs: the
 * encoder corpus (scripts/encoder-corpus.sh) and Debian 6.12.118's headers vmlinux as base;
 * rows are left out when either, pahole or /usr/bin/time is missing.
 */

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { corpusDir } from './corpus-paths.js';

const KERNEL = '/usr/src/linux-headers-6.12.118+deb12-amd64/vmlinux';
const PAHOLE = process.env.PAHOLE ?? join(process.env.HOME ?? '', '.cache/btf-oracle/bin/pahole');
const FLAGS = ['-J', '--btf_features=encode_force,var,float,enum64,decl_tag,type_tag,optimized_func,consistent_func,decl_tag_kfuncs', '--lang_exclude=rust', '--btf_features=distilled_base'];
const MODULES = ['tcp/tcp_bbr', 'minix/minix', 'v4l2loopback/v4l2loopback'];

type Add = (op: string, unit: 'us' | 'ms' | 'MB', median: number, ref?: number) => void;

/** Wall ms and peak RSS (MB) of one command, through GNU time. */
function timed(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { ms: number; mb: number } {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', cmd, ...args], { encoding: 'utf8', env: env ?? process.env });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  const kb = Number(r.stderr.trim().split('\n').pop());
  return { ms, mb: kb / 1024 };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export function benchEncode(add: Add, opts: { quick: boolean; cli: string }): void {
  const corpus = join(corpusDir(), 'encoder');
  if (!existsSync(corpus) || !existsSync(KERNEL) || !existsSync(PAHOLE) || !existsSync('/usr/bin/time')) return;
  const tmp = mkdtempSync(join(tmpdir(), 'btfkit-bench-encode-'));
  const env: NodeJS.ProcessEnv = { ...process.env, LLVM_OBJCOPY: 'objcopy' };
  delete env.NODE_EXTRA_CA_CERTS;
  try {
    for (const m of MODULES) {
      const pre = join(corpus, `${m}.prebtf.ko`);
      if (!existsSync(pre)) continue;
      const ours: number[] = [], theirs: number[] = [];
      let oursMb = 0, theirsMb = 0;
      for (let i = 0; i < (opts.quick ? 1 : 5); i++) {
        const copy = join(tmp, 'p.ko');
        copyFileSync(pre, copy);
        const p = timed(PAHOLE, [...FLAGS, '--btf_base', KERNEL, copy], env);
        const o = timed(process.execPath, [opts.cli, 'encode', pre, '-B', KERNEL, '-o', join(tmp, 'o.ko'), '-q'], env);
        theirs.push(p.ms);
        ours.push(o.ms);
        theirsMb = Math.max(theirsMb, p.mb);
        oursMb = Math.max(oursMb, o.mb);
      }
      const name = m.split('/').pop()!;
      add(`encode ${name}.prebtf.ko (whole process; ref: pahole v1.31)`, 'ms', median(ours), median(theirs));
      add(`encode ${name}.prebtf.ko peak RSS (ref: pahole)`, 'MB', oursMb, theirsMb);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
