/**
 * `btfkit check` and `btfkit distill` over directories, through the real CLI process:
 * text, exit codes, --json (schema, same with 1 or 2 jobs), --html, usage errors, distill
 * -o OUTDIR / --in-place; and a CI-sized slice of the real corpus (about 50 modules of Debian
 * 6.1.0-47 against 6.1.0-55 and 6.1.0-55-cloud, --jobs 2) compared with libbpf's verdicts in
 * the golden TSV (skipped when the corpus or the golden set is absent).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { CheckReport } from '../kernel/report.js';
import { assertReportShape } from '../kernel/report-shape.test-util.js';
import { withSynthWorld, corpusKernel, corpusModules47, goldenTsv, parseGoldenTsv, goldenErrorType, REPO } from '../node/pool-fixtures.test-util.js';
import { jsonPreprocess, parseKernelSpec } from './check.js';

const MAIN = join(REPO, 'dist', 'src', 'cli', 'launcher.cjs');

function btfkit(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('parseKernelSpec and jsonPreprocess', () => {
  assert.deepEqual(parseKernelSpec('V55=/x/y.btf'), { name: 'V55', path: '/x/y.btf' });
  assert.deepEqual(parseKernelSpec('/cache/6.1.0-55-amd64.btf'), { name: '6.1.0-55-amd64', path: '/cache/6.1.0-55-amd64.btf' });
  // A value only after '=': '--json report.json' is the option, then a MODULE (no guessing from the name).
  assert.deepEqual(jsonPreprocess(['--json', 'r.json', '-j', '--json=x']), ['--json=-', 'r.json', '--json=-', '--json=x']);
});

test('check DIR with two kernels: text, summary, exit status, JSON schema, same JSON with 1 or 2 jobs, HTML', () => {
  return withSynthWorld((w) => {
    const k = ['-k', `A=${w.kernelA}`, '-k', `B=${w.kernelB}`, '--build-kernel', w.kernelA];
    const r = btfkit(['check', w.modules, ...k, '--jobs', '2', '--json=' + join(w.dir, 'r2.json'), '--html', join(w.dir, 'r.html')]);
    assert.equal(r.code, 1, r.stderr);
    // A tree: per kernel, per cause, the root change and how many modules it breaks; then the summary.
    assert.ok(r.stdout.includes('\n  struct device: 4 bytes when built, 8 in B\n      + int b (offset 4, 4 bytes)\n      1 module: dev.ko\n'), r.stdout);
    assert.match(r.stdout, /^B: 3 modules with BTF it rejects; configuration unknown/m);
    assert.ok(r.stdout.includes('kernel  ok  BTF rejected  not distilled  no BTF  errors  loads with BTF  without BTF  refused'), r.stdout);
    assert.match(r.stdout, /^B +2 +2 +0 +0 +1 +2 +0 +0\+3\?$/m);
    // --verbose: every module with a problem, sorted.
    const v = btfkit(['check', w.modules, ...k, '-v', '-q']);
    const heads = v.stdout.split('\n').filter((l) => l.startsWith('/')).map((l) => l.slice(w.modules.length + 1).replace(/;.*$/, ''));
    assert.deepEqual(heads, ['gone.ko on B: BTF REJECTED', 'junk.ko on A: ERROR', 'junk.ko on B: ERROR', 'sub/dev.ko on B: BTF REJECTED']);
    assert.ok(v.stdout.includes('  - struct device: 4 bytes when built, 8 in B; embedded by value in struct holder, member dev'), v.stdout);
    assert.ok(r.stdout.includes('  B: struct device: 1 module'));
    assert.match(r.stderr, /^checked 5 modules against 2 kernels in .* \(2 workers, /m);
    const rep2 = JSON.parse(readFileSync(join(w.dir, 'r2.json'), 'utf8')) as CheckReport;
    assertReportShape(rep2, ['A', 'B']);
    assert.equal(rep2.results.length, 10);
    assert.deepEqual(rep2.kernels.map((x) => [x.ok, x.failed, x.errors]), [[4, 0, 1], [2, 2, 1]]);
    const r1 = btfkit(['check', w.modules, ...k, '--jobs', '1', '-j', '-o', join(w.dir, 'r1.json'), '-q']);
    assert.equal(r1.code, 1);
    assert.equal(r1.stderr, '');
    assert.equal(readFileSync(join(w.dir, 'r1.json'), 'utf8'), readFileSync(join(w.dir, 'r2.json'), 'utf8'));
    const html = readFileSync(join(w.dir, 'r.html'), 'utf8');
    assert.ok(html.startsWith('<!DOCTYPE html>') && html.includes('id="btfkit-data"') && html.includes('struct device'));

    // JSON on stdout: nothing else there.
    const js = btfkit(['check', w.modules, ...k, '--json', '-q']);
    assertReportShape(JSON.parse(js.stdout) as CheckReport, ['A', 'B']);

    // One module: every result is shown, OK included; exit 0 when it loads everywhere.
    const one = btfkit(['check', join(w.modules, 'ok.ko'), ...k]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /ok\.ko on A: OK; loads with BTF\n.*ok\.ko on B: OK; loads with BTF\n/);
    assert.equal(one.stderr, '');
  });
});

test('check: usage errors and unloadable kernels are one line', () => {
  return withSynthWorld((w) => {
    let r = btfkit(['check', w.modules, '-k', w.kernelA, '--jobs', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^btfkit: --jobs must be between 1 and 1024\n$/);
    r = btfkit(['check', w.modules, '-k', `X=${join(w.dir, 'nope.btf')}`, '--jobs', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^btfkit: .*nope\.btf.*no such file/m);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    r = btfkit(['check', join(w.dir, 'empty-dir-that-does-not-exist')]);
    assert.equal(r.code, 1);
  });
});

test('distill DIR -o OUTDIR mirrors the tree; check of the output; --in-place; single module unchanged', () => {
  return withSynthWorld((w) => {
    const out = join(w.dir, 'out');
    let r = btfkit(['distill', w.modules, '-B', w.kernelA, '-o', out, '-k', `B=${w.kernelB}`, '--jobs', '2']);
    assert.equal(r.code, 1, r.stderr); // junk.ko cannot be distilled, dev.ko/gone.ko do not load on B
    assert.match(r.stdout, /junk\.ko: NOT DISTILLED\n {2}- .*junk\.ko: not BTF, ELF/);
    assert.match(r.stdout, /distilled 4 modules into .*out; 0 already distilled, 0 without \.BTF \(skipped\), 1 could not be distilled/);
    assert.match(r.stdout, /^B +2 +2 +0 +0 +1 +2 +0 +0\+3\?$/m);
    for (const f of ['ok.ko', 'gone.ko', 'sub/dev.ko', 'sub/ok2.ko']) assert.ok(existsSync(join(out, f)), f);
    r = btfkit(['check', out, '-k', `A=${w.kernelA}`, '-k', `B=${w.kernelB}`, '--json', '-q']);
    const rep = JSON.parse(r.stdout) as CheckReport;
    assert.deepEqual(rep.kernels.map((x) => [x.ok, x.failed, x.notDistilled, x.errors]), [[4, 0, 0, 0], [2, 2, 0, 0]]);

    // In place on a copy: plain modules rewritten, the compressed one refused, a second run skips all.
    const copy = join(w.dir, 'copy');
    cpSync(w.modules, copy, { recursive: true });
    rmSync(join(copy, 'junk.ko'));
    r = btfkit(['distill', copy, '-B', w.kernelA, '--in-place', '-q']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /ok2\.ko\.gz: NOT DISTILLED\n {2}- .*cannot rewrite a gzip-compressed module in place/);
    assert.match(r.stdout, /distilled 3 modules in place; 0 already distilled, 0 without \.BTF \(skipped\), 1 could not be distilled/);
    rmSync(join(copy, 'sub', 'ok2.ko.gz'));
    // A re-run: nothing to do, said truthfully, and no kernel is read (the base named does not even exist).
    r = btfkit(['distill', copy, '-B', join(w.dir, 'no-such-kernel.btf'), '--in-place', '-q']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, 'distilled 0 modules: nothing to do (3 already distilled, 0 without .BTF)\n');
    assert.equal(btfkit(['distill', copy, '-B', w.kernelA, '--in-place', '-q', '--strict']).code, 1);

    // Usage: a DIR needs -o or --in-place; -o must not be DIR itself; --kernel is for DIR only.
    assert.equal(btfkit(['distill', w.modules, '-B', w.kernelA]).code, 2);
    assert.equal(btfkit(['distill', w.modules, '-B', w.kernelA, '-o', w.modules]).code, 2);
    r = btfkit(['distill', join(w.modules, 'ok.ko'), '-B', w.kernelA, '-o', join(w.dir, 'one.ko'), '-k', w.kernelB]);
    assert.equal(r.code, 2);
    // The single-module form is as before.
    r = btfkit(['distill', join(w.modules, 'ok.ko'), '-B', w.kernelA, '-o', join(w.dir, 'one.ko')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^distilled .*ok\.ko: 1 base type in \.BTF\.base, 1 split types\n$/);
  });
});

// ------------------------------------------------------------------ the corpus slice

const K47 = corpusKernel('6.1.0-47-amd64');
const K55 = corpusKernel('6.1.0-55-amd64');
const KCLOUD = corpusKernel('6.1.0-55-cloud-amd64');
const MODS = corpusModules47();
const TSV = goldenTsv();
const sliceSkip = K47 && K55 && KCLOUD && MODS && TSV ? false : 'corpus or golden set absent (npm run corpus; ../shared/golden)';

test('corpus slice: ~50 modules of 6.1.0-47, check --jobs 2 agrees with libbpf on every verdict and names its type', { skip: sliceSkip, timeout: 300_000 }, () => {
  const golden = parseGoldenTsv(gunzipSync(readFileSync(TSV!)).toString('utf8'));
  const names = [...golden.keys()].sort();
  // Every 90th module, plus some known failures of each kind.
  const pick = new Set(names.filter((_, i) => i % 90 === 0));
  for (const m of ['drivers/hid/hid-holtek-kbd.ko', 'net/netfilter/nf_tables.ko', 'drivers/i2c/busses/i2c-ccgx-ucsi.ko', 'drivers/powercap/intel_rapl_common.ko', 'drivers/misc/eeprom/at24.ko', 'net/sched/act_nat.ko']) pick.add(m);
  const slice = [...pick].filter((m) => existsSync(join(MODS!, m)));
  assert.ok(slice.length >= 45, `slice of ${slice.length}`);
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-slice-'));
  try {
    const json = join(dir, 'slice.json');
    const r = btfkit(['check', ...slice.map((m) => join(MODS!, m)), '--build-kernel', K47!, '-k', `6.1.0-55=${K55}`, '-k', `6.1.0-55-cloud=${KCLOUD}`, '--jobs', '2', '--json=' + json, '-q']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const rep = JSON.parse(readFileSync(json, 'utf8')) as CheckReport;
    assertReportShape(rep, ['6.1.0-55', '6.1.0-55-cloud']);
    assert.equal(rep.results.length, slice.length * 2);
    let agree = 0;
    let fails = 0;
    for (const res of rep.results) {
      const rel = res.module.slice(MODS!.length + 1);
      const g = golden.get(rel)!;
      const want = g.status[res.kernel];
      assert.equal(res.status, want === 'ok' ? 'ok' : 'failed', `${rel} on ${res.kernel}: golden ${want} ${g.error[res.kernel]}`);
      if (want === 'fail') {
        fails++;
        const type = goldenErrorType(g.error[res.kernel]!)!;
        assert.ok(res.reasons.some((x) => x.type === type || x.type.endsWith(` ${type}`)), `${rel} on ${res.kernel}: libbpf names '${type}', reasons: ${res.reasons.map((x) => x.type).join(', ')}`);
      }
      agree++;
    }
    assert.equal(agree, slice.length * 2);
    assert.ok(fails >= 10, `only ${fails} failures in the slice`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
