/**
 * Benchmark rows of the ways in (issue 17): kernel images and compressed module trees, timed
 * side by side with the native decompressors in the same run, and peak memory of a check.
 *
 * Approach: each row runs ours and the reference alternately (so load on a shared machine
 * hits both alike) and reports medians of wall time and the ratio ours / native:
 *   - zstd image: extractKernelElf() of a 6.12 vmlinuz (in-process; on Node < 22.15 zstd's
 *     WebAssembly build, see src/node/zstd-wasm.ts) vs `zstd -d` of its payload (written to a
 *     temp file, cut where the frames end: what the kernel's decompressor and extract-vmlinux
 *     unpack); and the whole process the user runs, `btfkit info vmlinuz`, vs `zstd -d -c
 *     payload` (both to /dev/null);
 *   - xz image: the same two rows for the 6.1.0-47 vmlinuz (xz with the x86 BCJ filter) vs `xz -d`;
 *   - .ko.xz tree: every module of the 6.12 tree decoded in-process on one thread vs one
 *     `xz -d -c` process over the same files (in batches of 500 names);
 *   - `btfkit check` of the .ko.xz tree vs the same tree uncompressed (processes);
 *   - .ko.zst tree (Fedora's and Arch's module compression): the uncompressed 6.12 tree
 *     compressed into a temp dir (`zstd -3 --output-dir-mirror`), every module decoded in-process
 *     on one thread vs `zstd -d -c` over the same files (batches of 500), and `btfkit check` of
 *     it vs the uncompressed tree;
 *   - what a whole process spends besides the decoder: `node -e 0`, and `btfkit info` of the
 *     same kernel's raw BTF (no rows with a reference: they explain the image rows);
 *   - peak RSS of `btfkit check` of the .ko.xz tree against three kernels given as vmlinuz,
 *     with the default number of threads and with --jobs 1, 2, 4 (/usr/bin/time -f %M, median
 *     of 3 runs; skipped without it): the target holds whatever --jobs.
 * Rows whose inputs or tools are missing print "skipped". Targets of the issue: ratios <= 1.5,
 * peak RSS <= 300 MB. `npm run bench` prints these rows with the others; `node
 * dist/scripts/bench-decomp.js [--quick]` (after `npm run build`) prints them alone.
 */

import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findKernelPayload } from '../src/image/detect.js';
import { walkZstdFrames } from '../src/image/zstd.js';
import { decompress, extractKernelElf } from '../src/node/decompress.js';
import { corpus612, filesUnder, kernelBtfPath, modulesDir, modulesXzDir, vmlinuzPath } from './corpus-paths.js';

export type AddRow = (op: string, unit: 'us' | 'ms' | 'MB', median: number, ref?: number) => void;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function hasTool(name: string): boolean {
  return spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * The environment of every timed process: ours minus NODE_EXTRA_CA_CERTS (set on this machine
 * type; loading the bundle of certificates costs a Node.js process ~30 ms that a user's
 * machine does not pay), as in the dump and encode rows.
 */
const ENV: NodeJS.ProcessEnv = (() => {
  const e = { ...process.env };
  delete e.NODE_EXTRA_CA_CERTS;
  return e;
})();

function run(cmd: string, args: string[]): number {
  const t = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 30, env: ENV });
  if (r.status !== 0 && !(cmd.endsWith('launcher.cjs') && r.status === 1)) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t;
}

/** Alternating runs of ours and the reference; medians in ms. */
function sideBySide(runs: number, ours: () => number, ref: () => number): [number, number] {
  const a: number[] = [];
  const b: number[] = [];
  ours();
  ref();
  for (let i = 0; i < runs; i++) {
    a.push(ours());
    b.push(ref());
  }
  return [median(a), median(b)];
}

function timed(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}


/** The compressed vmlinux of an image as its own file (zstd frames / xz stream only). */
function payloadFile(image: Uint8Array, dir: string): { path: string; tool: 'zstd' | 'xz' } | null {
  const c = findKernelPayload(image)[0];
  if (!c || (c.format !== 'zstd' && c.format !== 'xz')) return null;
  let data = image.subarray(c.offset, c.offset + c.length);
  if (c.format === 'zstd') data = data.subarray(0, walkZstdFrames(data).end);
  else data = data.subarray(0, data.length - 4); // the kernel's appended size
  const path = join(dir, `payload.${c.format === 'zstd' ? 'zst' : 'xz'}`);
  writeFileSync(path, data);
  return { path, tool: c.format };
}

function imageRow(add: AddRow, label: string, vmlinuz: string, runs: number, tmp: string, cli: string): void {
  if (!existsSync(vmlinuz)) {
    console.log(`skipped: ${label} (${vmlinuz} missing: npm run corpus)`);
    return;
  }
  const image = new Uint8Array(readFileSync(vmlinuz));
  const p = payloadFile(image, tmp);
  if (!p || !hasTool(p.tool)) {
    console.log(`skipped: ${label} (${p ? `${p.tool} not installed` : 'no zstd/xz payload'})`);
    return;
  }
  const [ours, ref] = sideBySide(runs, () => timed(() => extractKernelElf(image)), () => run(p.tool, ['-d', '-c', '-T1', p.path]));
  add(`${label}: vmlinux from vmlinuz vs ${p.tool} -d`, 'ms', ours, ref);
  const [info, tool] = sideBySide(runs, () => run(cli, ['info', vmlinuz]), () => run(p.tool, ['-d', '-c', '-T1', p.path]));
  add(`${label}: btfkit info vmlinuz vs ${p.tool} -d (processes)`, 'ms', info, tool);
}

/**
 * What a whole `btfkit info vmlinuz` spends outside the decoder, side by side: Node.js
 * starting (`node -e 0`) and `btfkit info` of the same kernel's raw BTF (start, bundle, parse,
 * info; no image).
 */
function startRows(add: AddRow, kver: string, runs: number, cli: string): void {
  const btf = kernelBtfPath(kver);
  if (!existsSync(btf)) return;
  const [node, info] = sideBySide(runs, () => run(process.execPath, ['-e', '0']), () => run(cli, ['info', btf]));
  add(`node -e 0 (process start)`, 'ms', node);
  add(`btfkit info ${kver} vmlinux.btf (no image)`, 'ms', info);
}

/** Every file decoded in-process on one thread vs one `TOOL -d -c -T1` process per 500 of them. */
function treeRow(add: AddRow, files: string[], format: 'xz' | 'zstd', runs: number): void {
  const data = files.map((f) => new Uint8Array(readFileSync(f)));
  const ours = () => timed(() => {
    for (const d of data) decompress(format, d);
  });
  const ref = () => {
    let t = 0;
    for (let i = 0; i < files.length; i += 500) t += run(format, ['-d', '-c', '-q', '-T1', ...files.slice(i, i + 500)]);
    return t;
  };
  const [a, b] = sideBySide(runs, ours, ref);
  add(`decode ${files.length} .ko.${format === 'xz' ? 'xz' : 'zst'} (1 thread) vs ${format} -d`, 'ms', a, b);
}

function xzTreeRow(add: AddRow, dir: string, runs: number): void {
  const files = filesUnder(dir, '.ko.xz');
  if (!files.length || !hasTool('xz')) {
    console.log(`skipped: .ko.xz tree (${files.length ? 'xz not installed' : 'no .ko.xz files'})`);
    return;
  }
  treeRow(add, files, 'xz', runs);
}

/** The .ko.zst rows (see the file comment); the tree is made in `tmp` and removed after. */
function zstTreeRows(add: AddRow, cli: string, older: string, newer: string, runs: number, tmp: string): void {
  const plain = modulesDir(older);
  const names = filesUnder(plain, '.ko');
  if (!names.length || !hasTool('zstd')) {
    console.log(`skipped: .ko.zst tree (${names.length ? 'zstd not installed' : 'no .ko files'})`);
    return;
  }
  const dir = join(tmp, 'ko-zst');
  try {
    for (let i = 0; i < names.length; i += 500) {
      const r = spawnSync('zstd', ['-q', '-3', '--output-dir-mirror', dir, ...names.slice(i, i + 500).map((f) => f.slice(plain.length + 1))], { cwd: plain, stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) {
        console.log(`skipped: .ko.zst tree (zstd: ${r.stderr})`);
        return;
      }
    }
    treeRow(add, filesUnder(dir, '.ko.zst'), 'zstd', runs);
    const k = kernelBtfPath(newer);
    const [zst, unc] = sideBySide(runs, () => run(cli, ['check', dir, '-k', k, '-q']), () => run(cli, ['check', plain, '-k', k, '-q']));
    add(`check .ko.zst tree vs the same tree uncompressed`, 'ms', zst, unc);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function checkRows(add: AddRow, cli: string, older: string, newer: string, runs: number, rssRuns: number): void {
  const k = kernelBtfPath(newer);
  const [xz, plain] = sideBySide(runs, () => run(cli, ['check', modulesXzDir(older), '-k', k, '-q']), () => run(cli, ['check', modulesDir(older), '-k', k, '-q']));
  add(`check .ko.xz tree vs the same tree uncompressed`, 'ms', xz, plain);
  if (!existsSync('/usr/bin/time')) {
    console.log('skipped: peak RSS (/usr/bin/time missing)');
    return;
  }
  const kernels = [vmlinuzPath(older), vmlinuzPath(newer), vmlinuzPath(older)];
  // A third distinct vmlinuz when the corpus keeps one (6.1.0-47, xz).
  if (existsSync(vmlinuzPath('6.1.0-47-amd64'))) kernels[2] = vmlinuzPath('6.1.0-47-amd64');
  // The default number of threads (one per core, at most one per 8 modules), then 1, 2 and 4.
  for (const jobs of [undefined, 1, 2, 4]) {
    const args = ['-f', '%M', cli, 'check', modulesXzDir(older), '-q', ...kernels.flatMap((v) => ['-k', v]), ...(jobs ? ['--jobs', String(jobs)] : [])];
    const kbs: number[] = [];
    for (let i = 0; i < rssRuns; i++) {
      const r = spawnSync('/usr/bin/time', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: ENV });
      const kb = Number(/(\d+)\s*$/.exec(r.stderr ?? '')?.[1]);
      if (!Number.isFinite(kb)) {
        console.log(`skipped: peak RSS (${r.stderr})`);
        return;
      }
      kbs.push(kb);
    }
    add(`peak RSS: check .ko.xz tree, 3 kernels as vmlinuz, ${jobs ? `--jobs ${jobs}` : 'default --jobs'}`, 'MB', median(kbs) / 1024, 300);
  }
}

export function benchDecompression(add: AddRow, opts: { quick: boolean; cli: string }): void {
  const runs = opts.quick ? 1 : 5;
  const tmp = mkdtempSync(join(tmpdir(), 'btfkit-bench-'));
  try {
    const k612 = corpus612();
    if (k612) {
      imageRow(add, `zstd image ${k612.newer}`, vmlinuzPath(k612.newer), runs, tmp, opts.cli);
      startRows(add, k612.newer, runs, opts.cli);
    } else console.log('skipped: zstd image (no 6.12 kernels in the corpus: npm run corpus)');
    imageRow(add, 'xz image 6.1.0-47-amd64', vmlinuzPath('6.1.0-47-amd64'), runs, tmp, opts.cli);
    if (k612) {
      xzTreeRow(add, modulesXzDir(k612.older), opts.quick ? 1 : 3);
      zstTreeRows(add, opts.cli, k612.older, k612.newer, opts.quick ? 1 : 3, tmp);
      checkRows(add, opts.cli, k612.older, k612.newer, opts.quick ? 1 : 3, opts.quick ? 1 : 3);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// Run directly: these rows alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'launcher.cjs');
  benchDecompression(
    (op, unit, m, ref) => console.log(`${op}: ${m.toFixed(1)} ${unit}${ref !== undefined ? ` (reference ${ref.toFixed(1)}, ratio ${(m / ref).toFixed(2)})` : ''}`),
    { quick: process.argv.includes('--quick'), cli },
  );
}
