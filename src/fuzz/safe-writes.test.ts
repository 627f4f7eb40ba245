/**
 * Safe writes, by fault injection through the CLI: whatever goes wrong while an output is being
 * written (disk full after N bytes, fsync/rename/close failing, the process SIGKILLed at a
 * random moment, a read-only directory, an output path that is a directory) the destination
 * keeps its old contents and mode, no partial output or temporary file is left, the exit status
 * is 1 and stderr is one line without a stack trace. An output path equal to an input is refused
 * (exit 2) unless --in-place. Inputs are small committed files (a golden module's BTF in a
 * synthetic module ELF, a synthetic .BTF_ids module) and one generated larger BTF.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../node/files.js';
import { BtfkitError } from '../errors.js';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { parseElf } from '../elf/index.js';
import { Btf } from '../model/btf.js';
import { ROOT, btfIdsElf, goldenModule, moduleElf } from './corpus.js';

const CLI = join(ROOT, 'dist', 'src', 'cli', 'launcher.cjs');
const PRELOAD = join(ROOT, 'dist', 'src', 'fuzz', 'fault-preload.js');
const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

const dir = mkdtempSync(join(tmpdir(), 'btfkit-safe-'));
chmodSync(dir, 0o755);
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const m = goldenModule('crc16') ?? goldenModule('nls_utf8')!;
const p = (name: string) => join(dir, name);
writeFileSync(p('base.btf'), m.base);
writeFileSync(p('split.btf'), m.split);
writeFileSync(p('mod.ko'), moduleElf([{ name: '.BTF', data: m.split }]));
writeFileSync(p('ids.ko'), btfIdsElf());
/** A BTF whose JSON dump is about 8 MB, so that writing it takes a while. */
{
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  for (let i = 0; i < 40000; i++) {
    b.addStruct(`s${i}`, 12);
    b.addField('a', int, 0);
    b.addField('b', int, 32);
    b.addField('c', int, 64);
  }
  writeFileSync(p('big.btf'), serializeBtf(b));
}
for (const f of readdirSync(dir)) chmodSync(p(f), 0o644);

interface Run {
  status: number | null;
  stderr: string;
  stdout: string;
}

function cli(args: string[], opts: { fault?: string; uid?: number } = {}): Run {
  const env = { ...process.env };
  delete env.BTFKIT_DEBUG;
  if (opts.fault) env.BTFKIT_TEST_FAULT = opts.fault;
  const argv = opts.fault ? ['--import', PRELOAD, CLI, ...args] : [CLI, ...args];
  const r: SpawnSyncReturns<string> = spawnSync(process.execPath, argv, {
    cwd: dir,
    env,
    encoding: 'utf8',
    timeout: 30000,
    ...(opts.uid !== undefined ? { uid: opts.uid, gid: opts.uid } : {}),
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** Exit status `code`, and stderr one line naming the problem, without a stack trace. */
function assertOneLineFailure(r: Run, code: number, re?: RegExp): void {
  assert.equal(r.status, code, `exit ${r.status}, stderr: ${r.stderr}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.match(lines[0]!, /^btfkit: /);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
  if (re) assert.match(lines[0]!, re);
}

function tempLeftovers(d = dir): string[] {
  return readdirSync(d).filter((f) => f.includes('.btfkit-') || f.endsWith('.tmp'));
}

function snapshot(file: string): { data: Buffer; mode: number } | null {
  return existsSync(file) ? { data: readFileSync(file), mode: statSync(file).mode & 0o7777 } : null;
}

function assertUnchanged(file: string, before: { data: Buffer; mode: number } | null, what: string): void {
  const now = snapshot(file);
  if (before === null) {
    assert.equal(now, null, `${what}: ${file} was created`);
    return;
  }
  assert.ok(now, `${what}: ${file} was removed`);
  assert.ok(now.data.equals(before.data), `${what}: ${file} changed`);
  assert.equal(now.mode, before.mode, `${what}: mode of ${file} changed`);
}

/** The commands that write files, each with its output arguments (OUT is replaced). */
const WRITERS: { name: string; args: (out: string) => string[]; outputs: (out: string) => string[] }[] = [
  { name: 'distill -o', args: (o) => ['distill', 'mod.ko', '--base', 'base.btf', '-o', o], outputs: (o) => [o] },
  { name: 'distill --out-base/--out-split', args: (o) => ['distill', 'split.btf', '--base', 'base.btf', '--out-base', `${o}.base`, '--out-split', o], outputs: (o) => [`${o}.base`, o] },
  { name: 'relocate -o', args: (o) => ['relocate', 'dist.ko', '--base', 'base.btf', '-o', o], outputs: (o) => [o] },
  { name: 'relocate --id-map', args: (o) => ['relocate', 'dist.ko', '--base', 'base.btf', '-o', `${o}.btf`, '--id-map', o], outputs: (o) => [`${o}.btf`, o] },
  { name: 'dump -o', args: (o) => ['dump', 'split.btf', '--base', 'base.btf', '-o', o], outputs: (o) => [o] },
  { name: 'dump -f json -o', args: (o) => ['dump', 'big.btf', '-f', 'json', '-o', o], outputs: (o) => [o] },
  { name: 'resolve-btfids -o', args: (o) => ['resolve-btfids', 'ids.ko', '-o', o], outputs: (o) => [o] },
];

/** Outputs of each writer without faults (the only acceptable non-original contents). */
const REFS = new Map<string, Buffer[]>();
/** Multi-output commands whose first output was completed when the second failed. */
const halfDone: string[] = [];

test('setup: the commands succeed without faults', () => {
  const r = cli(['distill', 'mod.ko', '--base', 'base.btf', '-o', 'dist.ko']);
  assert.equal(r.status, 0, r.stderr);
  chmodSync(p('dist.ko'), 0o644);
  for (const w of WRITERS) {
    const r2 = cli(w.args('ok.out'));
    assert.equal(r2.status, 0, `${w.name}: ${r2.stderr}`);
    for (const o of w.outputs('ok.out')) assert.ok(existsSync(p(o)), `${w.name}: ${o} not written`);
    REFS.set(w.name, w.outputs('ok.out').map((o) => readFileSync(p(o))));
    for (const o of w.outputs('ok.out')) rmSync(p(o));
  }
  assert.deepEqual(tempLeftovers(), []);
});

test('writeFileAtomic: a fault after any number of bytes leaves the destination intact and no temp file', () => {
  const dest = p('atomic.bin');
  const data = new Uint8Array(100_000).map((_, i) => i & 0xff);
  for (const existing of [true, false]) {
    if (existing) {
      writeFileSync(dest, 'OLD CONTENTS');
      chmodSync(dest, 0o600);
    } else rmSync(dest, { force: true });
    const before = snapshot(dest);
    for (const n of [0, 1, 4095, 4096, 50_000, 99_999]) {
      assert.throws(() => writeFileAtomic(dest, data, { faultAfterBytes: n }), (e) => e instanceof BtfkitError && e.code === 'IO' && /no space left/.test(e.message));
      assertUnchanged(dest, before, `faultAfterBytes ${n}`);
      assert.deepEqual(tempLeftovers(), [], `temp file left after a fault at ${n} bytes`);
    }
    // chunked input too
    assert.throws(() => writeFileAtomic(dest, [data.subarray(0, 10), data.subarray(10)], { faultAfterBytes: 20 }), BtfkitError);
    assertUnchanged(dest, before, 'chunked');
    // and without a fault the file is replaced, keeping the old mode
    writeFileAtomic(dest, data, { faultAfterBytes: data.length + 1 });
    assert.ok(readFileSync(dest).equals(Buffer.from(data)));
    if (existing) assert.equal(statSync(dest).mode & 0o777, 0o600);
  }
  rmSync(dest, { force: true });
});

test('disk full, fsync, close and rename failures through the CLI leave outputs untouched', (t) => {
  for (const w of WRITERS) {
    const outs = w.outputs('target.out');
    const total = REFS.get(w.name)!.reduce((n, b) => n + b.length, 0);
    const first = REFS.get(w.name)![0]!.length;
    const cuts = [0, 1, Math.floor(first / 2), first - 1, ...(w.outputs('x').length > 1 ? [first + 1, total - 1] : [])];
    for (const fault of [...new Set(cuts)].map((n) => `write:${n}`).concat(['fsync', 'close', 'rename'])) {
      // existing outputs (mode 0640) must survive; then missing outputs must not appear
      for (const existing of [true, false]) {
        for (const o of outs) {
          if (existing) {
            writeFileSync(p(o), `ORIGINAL ${o}`);
            chmodSync(p(o), 0o640);
          } else rmSync(p(o), { force: true });
        }
        const before = outs.map((o) => snapshot(p(o)));
        const r = cli(w.args('target.out'), { fault });
        const what = `${w.name} with fault ${fault}${existing ? '' : ' (no previous output)'}`;
        assertOneLineFailure(r, 1, /cannot write|no space|EIO|EXDEV/);
        // Each output is untouched or complete (never partial); the one that failed is
        // untouched. With two outputs the first may be complete when the second failed.
        const refs = REFS.get(w.name)!;
        for (let i = 0; i < outs.length; i++) {
          const now = snapshot(p(outs[i]!));
          const unchanged = before[i] === null ? now === null : now !== null && now.data.equals(before[i]!.data) && now.mode === before[i]!.mode;
          if (unchanged) continue;
          assert.ok(i < outs.length - 1, `${what}: ${outs[i]} changed although its write failed`);
          assert.ok(now && now.data.equals(refs[i]!), `${what}: ${outs[i]} is partial`);
          halfDone.push(`${w.name} (${fault})`);
        }
        assert.deepEqual(tempLeftovers(), [], `${what}: temp file left`);
      }
    }
    for (const o of outs) rmSync(p(o), { force: true });
  }
  if (halfDone.length) t.diagnostic(`first of two outputs completed before the second failed: ${[...new Set(halfDone)].join('; ')}`);
});

test('an output path that is a directory: exit 1, directory untouched, no temp file', () => {
  mkdirSync(p('outdir'), { recursive: true });
  writeFileSync(p('outdir/keep'), 'x');
  for (const w of WRITERS) {
    const r = cli(w.args('outdir'));
    assertOneLineFailure(r, 1);
    assert.ok(statSync(p('outdir')).isDirectory());
    assert.deepEqual(readdirSync(p('outdir')), ['keep']);
    assert.deepEqual(tempLeftovers(), [], `${w.name}: temp file left`);
    for (const o of w.outputs('outdir')) if (o !== 'outdir') rmSync(p(o), { force: true });
  }
});

test('a read-only directory: exit 1, existing output untouched, no temp file', (t) => {
  // root ignores directory permissions: run the CLI as nobody then.
  const uid = IS_ROOT ? 65534 : undefined;
  const ro = p('ro');
  mkdirSync(ro, { recursive: true });
  writeFileSync(join(ro, 'target.out'), 'ORIGINAL');
  chmodSync(join(ro, 'target.out'), 0o644);
  chmodSync(ro, 0o555);
  try {
    const probe = cli(['--version'], uid !== undefined ? { uid } : {});
    if (probe.status !== 0) return t.skip(`cannot run the CLI as uid ${uid}: ${probe.stderr.split('\n')[0]}`);
    for (const w of WRITERS) {
      const outs = w.outputs('ro/target.out');
      const before = outs.map((o) => snapshot(p(o)));
      const r = cli(w.args('ro/target.out'), uid !== undefined ? { uid } : {});
      assertOneLineFailure(r, 1, /permission denied|read-only|cannot (write|read)/);
      outs.forEach((o, i) => {
        if (o.startsWith('ro/')) assertUnchanged(p(o), before[i]!, w.name);
        else rmSync(p(o), { force: true });
      });
      assert.deepEqual(tempLeftovers(ro), [], `${w.name}: temp file left`);
    }
  } finally {
    chmodSync(ro, 0o755);
  }
});

test('an output equal to an input is refused (exit 2) unless --in-place', () => {
  const cases: [string, string[]][] = [
    ['mod.ko', ['distill', 'mod.ko', '--base', 'base.btf', '-o', 'mod.ko']],
    ['mod.ko', ['distill', 'mod.ko', '--base', 'base.btf', '-o', './mod.ko']],
    ['split.btf', ['distill', 'split.btf', '--base', 'base.btf', '--out-base', 'x.base', '--out-split', 'split.btf']],
    ['dist.ko', ['relocate', 'dist.ko', '--base', 'base.btf', '-o', 'dist.ko']],
    ['dist.ko', ['relocate', 'dist.ko', '--base', 'base.btf', '-o', 'x.btf', '--id-map', 'dist.ko']],
    ['split.btf', ['dump', 'split.btf', '--base', 'base.btf', '-o', 'split.btf']],
    ['base.btf', ['dump', 'split.btf', '--base', 'base.btf', '-o', 'base.btf']],
    ['ids.ko', ['resolve-btfids', 'ids.ko', '-o', 'ids.ko']],
  ];
  for (const [file, args] of cases) {
    const before = snapshot(p(file));
    const r = cli(args);
    assertOneLineFailure(r, 2, /input/);
    assertUnchanged(p(file), before, args.join(' '));
    rmSync(p('x.base'), { force: true });
    rmSync(p('x.btf'), { force: true });
  }
});

test('--in-place rewrites atomically and keeps the mode; a fault leaves the input as it was', () => {
  for (const [name, make, args] of [
    ['distill --in-place', () => writeFileSync(p('ip.ko'), moduleElf([{ name: '.BTF', data: m.split }])), ['distill', 'ip.ko', '--base', 'base.btf', '--in-place']],
    ['resolve-btfids --in-place', () => writeFileSync(p('ip.ko'), btfIdsElf()), ['resolve-btfids', 'ip.ko', '--in-place']],
  ] as const) {
    make();
    chmodSync(p('ip.ko'), 0o750);
    const before = snapshot(p('ip.ko'));
    for (const fault of ['write:0', 'write:300', 'fsync', 'rename']) {
      const r = cli([...args], { fault });
      assertOneLineFailure(r, 1);
      assertUnchanged(p('ip.ko'), before, `${name} with ${fault}`);
      assert.deepEqual(tempLeftovers(), []);
    }
    const r = cli([...args]);
    assert.equal(r.status, 0, r.stderr);
    const after = snapshot(p('ip.ko'))!;
    assert.equal(after.mode, 0o750, `${name}: mode changed`);
    assert.ok(!after.data.equals(before!.data), `${name}: not rewritten`);
    const elf = parseElf(new Uint8Array(after.data));
    if (name.startsWith('distill')) {
      const b = parseBtf(elf.sectionData(elf.section('.BTF.base')!));
      parseBtf(elf.sectionData(elf.section('.BTF')!), { base: b });
    }
    assert.deepEqual(tempLeftovers(), []);
  }
  // -o takes the mode of the input for a new file
  chmodSync(p('mod.ko'), 0o700);
  rmSync(p('new.ko'), { force: true });
  assert.equal(cli(['distill', 'mod.ko', '--base', 'base.btf', '-o', 'new.ko']).status, 0);
  assert.equal(statSync(p('new.ko')).mode & 0o777, 0o700);
  chmodSync(p('mod.ko'), 0o644);
});

test('SIGKILL at random moments: the output is the old file or the complete new one', async (t) => {
  const ref = p('ref.json');
  assert.equal(cli(['dump', 'big.btf', '-f', 'json', '-o', 'ref.json']).status, 0);
  const want = readFileSync(ref);
  // Time a full run to spread the kills over its whole life.
  const t0 = performance.now();
  assert.equal(cli(['dump', 'big.btf', '-f', 'json', '-o', 'k.json']).status, 0);
  const full = performance.now() - t0;
  let old = 0;
  let complete = 0;
  const leftovers: string[] = [];
  const N = 40;
  for (let i = 0; i < N; i++) {
    writeFileSync(p('k.json'), 'ORIGINAL');
    chmodSync(p('k.json'), 0o644);
    const delay = ((i + 0.5) / N) * full * 1.1;
    await new Promise<void>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'dump', 'big.btf', '-f', 'json', '-o', 'k.json'], { cwd: dir, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      child.on('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const now = readFileSync(p('k.json'));
    if (now.toString() === 'ORIGINAL') old++;
    else if (now.equals(want)) complete++;
    else assert.fail(`kill after ${delay.toFixed(0)} ms left a partial output of ${now.length} bytes`);
    assert.equal(statSync(p('k.json')).mode & 0o777, 0o644);
    // A SIGKILLed process cannot remove its own temporary file; the next write to the same
    // destination (the next iteration's run) removes it since its PID is no longer running.
    for (const f of tempLeftovers()) if (!leftovers.includes(f)) leftovers.push(f);
  }
  t.diagnostic(`${N} kills over ${full.toFixed(0)} ms: ${old} left the old file, ${complete} the complete new one; ${leftovers.length} left a temp file`);
  assert.equal(old + complete, N);
  // One more write to the destination cleans up whatever killed runs left.
  writeFileSync(p('.other.json.btfkit-1-keep.tmp'), 'not for k.json'); // another destination: untouched
  assert.equal(cli(['dump', 'big.btf', '-f', 'json', '-o', 'k.json']).status, 0);
  assert.deepEqual(readFileSync(p('k.json')), want);
  assert.deepEqual(tempLeftovers(), ['.other.json.btfkit-1-keep.tmp']);
  rmSync(p('.other.json.btfkit-1-keep.tmp'));
});
