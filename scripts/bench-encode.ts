/**
 * `npm run bench` rows for the encoder (issue 19): the whole process of `btfkit encode` on a
 * module's M.prebtf.ko next to pahole v1.31 on the same input with kbuild's module flags (+
 * distilled_base), alternating, medians, plus the peak RSS of each (GNU time's %M), and Node's
 * own start-up (`node -e 0`, the floor of any `btfkit` command) in the same runs. Inputs: the
 * encoder corpus (scripts/encoder-corpus.sh; small modules, where start-up and the kernel's
 * 100k types weigh most), two large modules of the DKMS corpus (scripts/dkms-corpus.sh; a
 * third of the runs, none with --quick) and Debian 6.12.118's headers vmlinux as base; rows
 * are left out when an input, pahole or /usr/bin/time is missing.
 * One more row times a DKMS-like batch: the encoder corpus's tcp group (14 modules) given to one
 * `btfkit distill DIR --jobs 1` process (encode, distill and .BTF_ids of each, one thread)
 * against pahole run once per module as kbuild runs it (pahole alone: kbuild's resolve_btfids
 * runs are not counted on its side).
 *
 * Alone: `node dist/scripts/bench-encode.js [--runs N] [--cli LAUNCHER]` prints just these rows.
 */

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusDir } from './corpus-paths.js';

const KERNEL = '/usr/src/linux-headers-6.12.118+deb12-amd64/vmlinux';
const PAHOLE = process.env.PAHOLE ?? join(process.env.HOME ?? '', '.cache/btf-oracle/bin/pahole');
/** pahole's arguments as Linux 6.12's kbuild gives them for a module (M.cmds of kbuild-module.sh), -j twice included. */
const FLAGS = ['-J', '-j', '--btf_features=encode_force,var,float,enum64,decl_tag,type_tag,optimized_func,consistent_func,decl_tag_kfuncs', '-j', '--lang_exclude=rust', '--btf_features=distilled_base'];
/** Small modules of the encoder corpus, and larger ones of the DKMS corpus (scripts/dkms-corpus.sh) when built. */
const MODULES = ['encoder/tcp/tcp_bbr', 'encoder/minix/minix', 'encoder/v4l2loopback/v4l2loopback', 'encoder-dkms/jool/jool_common', 'encoder-dkms/zfs/zfs'];

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

export function benchEncode(add: Add, opts: { quick: boolean; cli: string; runs?: number }): void {
  const corpus = corpusDir();
  if (!existsSync(join(corpus, 'encoder')) || !existsSync(KERNEL) || !existsSync(PAHOLE) || !existsSync('/usr/bin/time')) return;
  const tmp = mkdtempSync(join(tmpdir(), 'btfkit-bench-encode-'));
  const env: NodeJS.ProcessEnv = { ...process.env, LLVM_OBJCOPY: 'objcopy' };
  delete env.NODE_EXTRA_CA_CERTS;
  try {
    for (const m of MODULES) {
      const pre = join(corpus, `${m}.prebtf.ko`);
      if (!existsSync(pre)) continue;
      const ours: number[] = [], theirs: number[] = [], node: number[] = [];
      let oursMb = 0, theirsMb = 0, nodeMb = 0;
      // a large module takes seconds per run: fewer runs
      const big = m.startsWith('encoder-dkms/');
      const runs = Math.max(1, big ? Math.ceil((opts.runs ?? 5) / 3) : (opts.runs ?? (opts.quick ? 1 : 5)));
      if (big && opts.quick) continue;
      for (let i = 0; i < runs; i++) {
        const copy = join(tmp, 'p.ko');
        copyFileSync(pre, copy);
        const p = timed(PAHOLE, [...FLAGS, '--btf_base', KERNEL, copy], env);
        const o = timed(process.execPath, [opts.cli, 'encode', pre, '-B', KERNEL, '-o', join(tmp, 'o.ko'), '-q'], env);
        const n = timed(process.execPath, ['-e', '0'], env);
        theirs.push(p.ms);
        ours.push(o.ms);
        node.push(n.ms);
        theirsMb = Math.max(theirsMb, p.mb);
        oursMb = Math.max(oursMb, o.mb);
        nodeMb = Math.max(nodeMb, n.mb);
      }
      const name = m.split('/').pop()!;
      add(`encode ${name}.prebtf.ko (whole process; ref: pahole v1.31)`, 'ms', median(ours), median(theirs));
      add(`encode ${name}.prebtf.ko peak RSS (ref: pahole)`, 'MB', oursMb, theirsMb);
      add(`  node -e 0 in the same runs (ref: pahole)`, 'ms', median(node), median(theirs));
      add(`  node -e 0 peak RSS (ref: pahole)`, 'MB', nodeMb, theirsMb);
    }
    batchRow(add, opts, join(corpus, 'encoder', 'tcp'), tmp, env);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** The batch row (see the file comment): one btfkit process for a directory vs pahole per module. */
function batchRow(add: Add, opts: { quick: boolean; cli: string; runs?: number }, dir: string, tmp: string, env: NodeJS.ProcessEnv): void {
  if (!existsSync(dir)) return;
  const mods = readdirSync(dir).filter((f) => f.endsWith('.prebtf.ko')).sort();
  if (mods.length < 2) return;
  const ours: number[] = [], theirs: number[] = [];
  let oursMb = 0, theirsMb = 0;
  const runs = Math.max(1, opts.runs ?? (opts.quick ? 1 : 5));
  for (let i = 0; i < runs; i++) {
    const inDir = join(tmp, `batch-in-${i}`);
    const outDir = join(tmp, `batch-out-${i}`);
    mkdirSync(inDir);
    for (const m of mods) copyFileSync(join(dir, m), join(inDir, m));
    let ms = 0;
    for (const m of mods) {
      const p = timed(PAHOLE, [...FLAGS, '--btf_base', KERNEL, join(inDir, m)], env);
      ms += p.ms;
      theirsMb = Math.max(theirsMb, p.mb);
    }
    theirs.push(ms);
    // the same fresh copies for btfkit (the corpus directory also holds the kbuild outputs)
    rmSync(inDir, { recursive: true, force: true });
    mkdirSync(inDir);
    for (const m of mods) copyFileSync(join(dir, m), join(inDir, m));
    const o = timed(process.execPath, [opts.cli, 'distill', inDir, '-B', KERNEL, '-o', outDir, '--jobs', '1', '-q'], env);
    ours.push(o.ms);
    oursMb = Math.max(oursMb, o.mb);
    rmSync(outDir, { recursive: true, force: true });
    rmSync(inDir, { recursive: true, force: true });
  }
  add(`encode ${mods.length} modules (tcp group), one distill DIR process, 1 thread (ref: pahole per module)`, 'ms', median(ours), median(theirs));
  add(`  peak RSS of that process (ref: pahole)`, 'MB', oursMb, theirsMb);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ri = process.argv.indexOf('--runs');
  const runs = ri > 0 ? Number(process.argv[ri + 1]) : 11;
  const ci = process.argv.indexOf('--cli');
  const cli = ci > 0 ? process.argv[ci + 1]! : join(fileURLToPath(new URL('.', import.meta.url)), '..', 'src', 'cli', 'launcher.cjs');
  benchEncode((op, unit, m, ref) => {
    const r = ref === undefined ? '' : `   ref ${ref.toFixed(1)} ${unit}   ${(m / ref).toFixed(2)}x`;
    console.log(`${op.padEnd(58)} ${m.toFixed(1).padStart(7)} ${unit}${r}`);
  }, { quick: false, cli, runs });
}
