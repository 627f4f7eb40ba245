/**
 * Issue 15 through the real CLI process, on the synthetic world (src/node/pool-fixtures):
 * verdicts with the kernel's CONFIG_MODULE_ALLOW_BTF_MISMATCH (given, found beside the kernel,
 * embedded in an image, unknown), modules without .BTF as a state, distill's notes and
 * --strict, the not-split error of distill, load-check's messages per configuration, the
 * option grammar's errors, and readelf's names in `btfkit elf`.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf } from '../elf/index.js';
import { gzipSync } from 'node:zlib';
import type { CheckReport } from '../kernel/report.js';
import { assertReportShape } from '../kernel/report-shape.test-util.js';
import { makeSynthWorld, REPO, type SynthWorld } from '../node/pool-fixtures.test-util.js';
import { buildElf } from '../elf/synth.js';
import { findKernelConfig, readConfigFile } from './kconfig.js';

const MAIN = join(REPO, 'dist', 'src', 'cli', 'launcher.cjs');
const FIXTURES = join(REPO, 'test', 'fixtures', 'kconfig');

function btfkit(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const CFG_Y = '# CONFIG_IKCONFIG is not set\nCONFIG_DEBUG_INFO_BTF_MODULES=y\nCONFIG_MODULE_ALLOW_BTF_MISMATCH=y\n';
const CFG_N = 'CONFIG_DEBUG_INFO_BTF_MODULES=y\n# CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set\n';

/** The synthetic world plus a module without .BTF (an out-of-tree build without vmlinux). */
function world(): SynthWorld & { noBtf: string; cfgY: string; cfgN: string } {
  const w = makeSynthWorld();
  const noBtf = join(w.modules, 'oot-nobtf.ko');
  writeFileSync(noBtf, buildElf({
    class: 64, littleEndian: true, type: 1, machine: 62,
    sections: [{ name: '.text', type: 1, flags: 6, data: new Uint8Array(16), align: 16 }],
  }).bytes);
  const cfgY = join(w.dir, 'config-y');
  const cfgN = join(w.dir, 'config-n');
  writeFileSync(cfgY, CFG_Y);
  writeFileSync(cfgN, CFG_N);
  return { ...w, noBtf, cfgY, cfgN };
}

test('check: fates from each kernel\'s configuration; a module without .BTF is "no BTF", not an error', () => {
  const w = world();
  try {
    const k = ['-k', `A=${w.kernelA}`, '-k', `B=${w.kernelB}`, '-B', w.kernelA, '--config', `A=${w.cfgY}`, '--config', `B=${w.cfgN}`];
    const r = btfkit(['check', w.modules, ...k, '-j', '-q']);
    assert.equal(r.code, 1, r.stderr);
    const rep = JSON.parse(r.stdout) as CheckReport;
    assertReportShape(rep, ['A', 'B']);
    assert.deepEqual(rep.kernels.map((x) => [x.allowBtfMismatch, x.config]), [[true, w.cfgY], [false, w.cfgN]]);
    assert.deepEqual(rep.kernels.map((x) => x.noBtf), [1, 1]);
    const res = (m: string, kn: string) => rep.results.find((x) => x.module.endsWith(m) && x.kernel === kn)!;
    assert.deepEqual([res('oot-nobtf.ko', 'A').status, res('oot-nobtf.ko', 'A').fate], ['no-btf', 'loads-without-btf']);
    assert.deepEqual([res('dev.ko', 'A').btfAccepted, res('dev.ko', 'A').fate], [true, 'loads-with-btf']);
    assert.deepEqual([res('dev.ko', 'B').btfAccepted, res('dev.ko', 'B').fate], [false, 'refused']);
    assert.deepEqual(rep.kernels[1]!.fates, { loadsWithBtf: 2, loadsWithoutBtf: 1, refused: 3, refusedOrLoadsWithoutBtf: 0 });
    // The same tree with mismatch allowed everywhere: nothing is refused.
    const y = JSON.parse(btfkit(['check', w.modules, '-k', `A=${w.kernelA}`, '-k', `B=${w.kernelB}`, '-B', w.kernelA, '--config', w.cfgY, '-j', '-q']).stdout) as CheckReport;
    assert.deepEqual(y.kernels.map((x) => x.fates.refused), [0, 0]);
    assert.equal(y.kernels[1]!.fates.loadsWithoutBtf, 4);
    // Unknown configuration: both outcomes, in JSON and in words.
    const u = btfkit(['check', join(w.modules, 'sub', 'dev.ko'), '-k', `B=${w.kernelB}`, '-B', w.kernelA]);
    assert.equal(u.code, 1);
    assert.match(u.stdout, /dev\.ko on B: BTF REJECTED; load refused if CONFIG_MODULE_ALLOW_BTF_MISMATCH is off, loads without BTF if =y \(kernel configuration unknown\)\n/);
    const n = btfkit(['check', join(w.modules, 'sub', 'dev.ko'), '-k', `B=${w.kernelB}`, '-B', w.kernelA, '--config', w.cfgN]);
    assert.match(n.stdout, /dev\.ko on B: BTF REJECTED; load refused \(CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set\)\n/);
    // A kernel built without CONFIG_DEBUG_INFO_BTF_MODULES never reads module BTF: every module loads without it.
    const off = join(w.dir, 'config-off');
    writeFileSync(off, 'CONFIG_DEBUG_INFO_BTF=y\n# CONFIG_DEBUG_INFO_BTF_MODULES is not set\n');
    const m = btfkit(['check', join(w.modules, 'sub', 'dev.ko'), '-k', `B=${w.kernelB}`, '-B', w.kernelA, '--config', off]);
    assert.match(m.stdout, /dev\.ko on B: BTF REJECTED; loads without BTF \(CONFIG_DEBUG_INFO_BTF_MODULES is not set: the kernel never reads module BTF\)\n/);
    const mj = JSON.parse(btfkit(['check', w.modules, '-k', `B=${w.kernelB}`, '-B', w.kernelA, '--config', off, '-j', '-q']).stdout) as CheckReport;
    assertReportShape(mj, ['B']);
    assert.equal(mj.kernels[0]!.btfModules, false);
    assert.deepEqual([...new Set(mj.results.map((x) => x.fate))], ['loads-without-btf']);
    assert.equal(mj.kernels[0]!.fates.loadsWithoutBtf, mj.results.length);
    const lo = btfkit(['load-check', join(w.modules, 'ok.ko'), '-k', w.kernelA, '--config', off]);
    assert.equal(lo.code, 0);
    assert.match(lo.stdout, /loads on .* without BTF: CONFIG_DEBUG_INFO_BTF_MODULES is not set/);
    // Only the module without BTF: exit 0.
    const o = btfkit(['check', w.noBtf, '-k', `A=${w.kernelA}`]);
    assert.equal(o.code, 0, o.stdout + o.stderr);
    assert.match(o.stdout, /oot-nobtf\.ko on A: NO BTF; loads without BTF\n/);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('kernel configuration: beside vmlinuz-<ver>, config in a kernel directory, embedded (IKCONFIG), gzip, unknown', async () => {
  const w = world();
  try {
    // /boot layout: vmlinuz-<ver> with config-<ver> (a real Debian excerpt) beside it.
    const boot = join(w.dir, 'boot');
    mkdirSync(boot);
    copyFileSync(w.kernelB, join(boot, 'vmlinuz-6.1.0-55-amd64'));
    copyFileSync(join(FIXTURES, 'config-6.1.0-55-amd64'), join(boot, 'config-6.1.0-55-amd64'));
    assert.deepEqual(await findKernelConfig(join(boot, 'vmlinuz-6.1.0-55-amd64')), { allowBtfMismatch: true, btfModules: true, source: join(boot, 'config-6.1.0-55-amd64') });
    // A kernel directory (the corpus layout): <dir>/vmlinux.btf with <dir>/config-<dir>.
    const kd = join(w.dir, '6.12.118+deb12-amd64');
    mkdirSync(kd);
    copyFileSync(w.kernelB, join(kd, 'vmlinux.btf'));
    assert.equal((await findKernelConfig(join(kd, 'vmlinux.btf'))).allowBtfMismatch, null);
    copyFileSync(join(FIXTURES, 'config-6.12.118+deb12-amd64'), join(kd, 'config-6.12.118+deb12-amd64'));
    assert.equal((await findKernelConfig(join(kd, 'vmlinux.btf'))).allowBtfMismatch, true);
    // Embedded: a vmlinux whose data holds "IKCFG_ST" + gzip(.config) + "IKCFG_ED".
    const enc = new TextEncoder();
    const blob = [enc.encode('junk IKCFG_ST but no gzip here; '), enc.encode('IKCFG_ST'), gzipSync(enc.encode(CFG_N)), enc.encode('IKCFG_ED')];
    const rodata = new Uint8Array(blob.reduce((n, b) => n + b.length, 0));
    let off = 0;
    for (const b of blob) {
      rodata.set(b, off);
      off += b.length;
    }
    const vmlinux = join(w.dir, 'vmlinux');
    writeFileSync(vmlinux, buildElf({
      class: 64, littleEndian: true, type: 2, machine: 62,
      sections: [{ name: '.rodata', type: 1, flags: 2, data: rodata, align: 8 }, { name: '.BTF', type: 1, data: readFileSync(w.kernelB), align: 4 }],
    }).bytes);
    assert.deepEqual(await findKernelConfig(vmlinux), { allowBtfMismatch: false, btfModules: true, source: `embedded in ${vmlinux} (CONFIG_IKCONFIG)` });
    // The same vmlinux compressed (as inside an image): looked for in a short-lived thread.
    const packed = join(w.dir, 'vmlinux.gz');
    writeFileSync(packed, gzipSync(readFileSync(vmlinux)));
    assert.deepEqual(await findKernelConfig(packed), { allowBtfMismatch: false, btfModules: true, source: `embedded in ${packed} (CONFIG_IKCONFIG)` });
    const r = btfkit(['check', join(w.modules, 'sub', 'dev.ko'), '-k', `V=${vmlinux}`, '-B', w.kernelA]);
    assert.match(r.stdout, /load refused \(CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set\)/);
    // --config accepts a gzip'ed .config (as /proc/config.gz); a file that is none is an error.
    const gz = join(w.dir, 'config.gz');
    writeFileSync(gz, gzipSync(enc.encode(CFG_Y)));
    assert.deepEqual(await readConfigFile(gz), { allowBtfMismatch: true, btfModules: true, source: gz });
    await assert.rejects(readConfigFile(w.kernelA), /not a kernel configuration/);
    const bad = btfkit(['check', w.noBtf, '-k', w.kernelA, '--config', join(w.dir, 'missing')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^btfkit: .*missing.*cannot read kernel configuration/);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('distill: modules without .BTF are skipped with a note (exit 0, --strict 1); not-split BTF without a base exits 1', () => {
  const w = world();
  try {
    const copy = join(w.dir, 'copy');
    mkdirSync(copy);
    for (const f of ['ok.ko', 'oot-nobtf.ko']) copyFileSync(join(w.modules, f), join(copy, f));
    let r = btfkit(['distill', copy, '-B', w.kernelA, '--in-place', '-q']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /distilled 1 module in place; 0 already distilled, 1 without \.BTF \(skipped\), 0 could not be distilled\n$/);
    r = btfkit(['distill', copy, '-B', w.kernelA, '--in-place', '--strict', '-q']);
    assert.equal(r.code, 1);
    r = btfkit(['distill', copy, '-B', w.kernelA, '--in-place', '-j', '-q']);
    assert.deepEqual(JSON.parse(r.stdout), { distilled: 0, skipped: 1, noBtf: 1, errors: 0, modules: [] });
    // One module without .BTF: a note on stderr, exit 0; -j says so.
    r = btfkit(['distill', w.noBtf, '-B', w.kernelA, '-o', join(w.dir, 'x.ko')]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /oot-nobtf\.ko: no \.BTF section and no debug info \(built without BTF or -g\): nothing to distill/);
    r = btfkit(['distill', w.noBtf, '-B', w.kernelA, '-o', join(w.dir, 'x.ko'), '-j', '-q']);
    assert.equal(JSON.parse(r.stdout).status, 'no-btf');
    assert.equal(btfkit(['distill', w.noBtf, '-B', w.kernelA, '-o', join(w.dir, 'x.ko'), '--strict', '-q']).code, 1);
    // Raw BTF that is not split, without --base: libbpf refuses it (EINVAL); exit 1, one line.
    r = btfkit(['distill', w.kernelA, '--out-base', join(w.dir, 'b'), '--out-split', join(w.dir, 's')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^btfkit: .*A\.btf.*not split BTF: with no --base there is no base to distill \(libbpf btf__distill_base refuses it: -EINVAL\)/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    // A module without --base: a usage error (no default base, as for every command).
    r = btfkit(['distill', join(w.modules, 'ok.ko'), '-o', join(w.dir, 'y.ko')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs -B\/--base BASE/);
    // A distilled single module run again: nothing to do, exit 0.
    r = btfkit(['distill', join(copy, 'ok.ko'), '-B', w.kernelA, '-o', join(w.dir, 'z.ko')]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /already distilled \(has \.BTF\.base\): nothing to do/);
    // No .BTF but debug info: encoded from the DWARF first (here an object file on the BTF that
    // pahole made of it, so every type dedups into the base), with .BTF and .BTF.base after.
    const obj = fileURLToPath(new URL('../../../test/fixtures/dwarf/sample-gcc-dwarf5.o', import.meta.url));
    const objBase = fileURLToPath(new URL('../../../test/golden/encoder/sample-gcc-dwarf5.btf', import.meta.url));
    r = btfkit(['distill', obj, '-B', objBase, '-o', join(w.dir, 'enc.o'), '-j', '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'distilled');
    assert.match(JSON.parse(r.stdout).detail, /^no \.BTF: encoded from DWARF, \d+ base types in \.BTF\.base, \d+ split types$/);
    const enc = parseElf(new Uint8Array(readFileSync(join(w.dir, 'enc.o'))));
    assert.ok(enc.section('.BTF') && enc.section('.BTF.base'));
    // The same object with zlib- or zstd-compressed debug sections (SHF_COMPRESSED): the same
    // .BTF and .BTF.base, by distill and by encode.
    for (const z of ['zlib', 'zstd']) {
      const cobj = fileURLToPath(new URL(`../../../test/fixtures/dwarf/compressed-${z}.o`, import.meta.url));
      for (const cmd of ['distill', 'encode']) {
        const out = join(w.dir, `${cmd}-${z}.o`);
        r = btfkit([cmd, cobj, '-B', objBase, '-o', out, '-q']);
        assert.equal(r.code, 0, r.stderr);
        const c = parseElf(new Uint8Array(readFileSync(out)));
        for (const s of ['.BTF', '.BTF.base']) assert.deepEqual(c.sectionData(c.section(s)!), enc.sectionData(enc.section(s)!), `${cmd} ${z} ${s}`);
      }
      // and in a directory (the worker pool's path)
      const dir = join(w.dir, `dir-${z}`);
      mkdirSync(dir);
      copyFileSync(cobj, join(dir, 'c.ko'));
      r = btfkit(['distill', dir, '-B', objBase, '-o', join(w.dir, `out-${z}`), '-q']);
      assert.equal(r.code, 0, r.stderr);
      const c = parseElf(new Uint8Array(readFileSync(join(w.dir, `out-${z}`, 'c.ko'))));
      assert.deepEqual(c.sectionData(c.section('.BTF')!), enc.sectionData(enc.section('.BTF')!), `distill DIR ${z}`);
    }
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('load-check prints the kernel\'s own messages for the configuration it models', () => {
  const w = world();
  try {
    const dev = join(w.dir, 'dev.ko');
    assert.equal(btfkit(['distill', join(w.modules, 'sub', 'dev.ko'), '-B', w.kernelA, '-o', dev, '-q']).code, 0);
    let r = btfkit(['load-check', dev, '-k', `B=${w.kernelB}`, '--allow-btf-mismatch']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /CONFIG_MODULE_ALLOW_BTF_MISMATCH=y: the module loads WITHOUT BTF; kernel log:\n {4}distilled base BTF type 'device' \[\d+\].*\n {4}Kernel module BTF mismatch detected, BTF debug info may be unavailable for some modules\n/);
    assert.doesNotMatch(r.stdout, /failed to validate module/);
    r = btfkit(['load-check', dev, '-k', `B=${w.kernelB}`, '--config', w.cfgN]);
    assert.match(r.stdout, /not set: the load FAILS; kernel log:\n.*\n {4}failed to validate module \[dev\] BTF: -22\n/);
    assert.doesNotMatch(r.stdout, /mismatch detected/);
    r = btfkit(['load-check', dev, '-k', `B=${w.kernelB}`]);
    assert.match(r.stdout, /kernel configuration unknown/);
    assert.match(r.stdout, /failed to validate module \[dev\]/);
    assert.match(r.stdout, /mismatch detected/);
    r = btfkit(['load-check', dev, '-k', `B=${w.kernelB}`, '--config', w.cfgY, '-j']);
    const j = JSON.parse(r.stdout);
    assert.deepEqual([j.btfAccepted, j.fate, j.allowBtfMismatch, j.kernelLog.at(-1)], [false, 'loads-without-btf', true, 'Kernel module BTF mismatch detected, BTF debug info may be unavailable for some modules']);
    r = btfkit(['load-check', w.noBtf, '-k', w.kernelA]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /no \.BTF section: loads on .* without BTF/);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('option grammar: btfkit\'s own words, "did you mean", the usage line, exit 2; -j everywhere; no guessing from a name', () => {
  const w = world();
  try {
    let r = btfkit(['check', w.modules, '--jbos', '2']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "btfkit: check: unknown option '--jbos' (did you mean --jobs?)\nUsage: btfkit check MODULE|DIR... [-k KERNEL]... [-B BASE] [--config FILE]... [--jobs N]\nSee 'btfkit help check'.\n");
    r = btfkit(['check', w.modules, '--frob']);
    assert.match(r.stderr, /^btfkit: check: unknown option '--frob'\nUsage: btfkit check /);
    r = btfkit(['chek', w.modules]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^btfkit: unknown command 'chek' \(did you mean check\?\)\nUsage: btfkit \[COMMAND\]/);
    r = btfkit(['--verison']);
    assert.match(r.stderr, /unknown option '--verison' \(did you mean --version\?\)/);
    r = btfkit(['check', w.modules, '-k']);
    assert.match(r.stderr, /^btfkit: check: option --kernel needs a value\n/);
    r = btfkit(['check', w.modules, '--quiet=3']);
    assert.match(r.stderr, /^btfkit: check: option --quiet takes no value\n/);
    r = btfkit(['check', w.modules, '--json=']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^btfkit: check: --json= needs a FILE \(-j alone prints JSON on stdout\)\n/);
    r = btfkit(['dump', w.kernelA, '--format']);
    assert.match(r.stderr, /^btfkit: dump: option --format needs a value\nUsage: btfkit dump/);
    // '--json report.json' is the option then a MODULE called report.json: no guessing from the name.
    r = btfkit(['check', join(w.modules, 'ok.ko'), '-k', w.kernelA, '--json', join(w.dir, 'report.json'), '-q']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /report\.json.*no such file/);
    // -j on info, elf and dump (= --format json); --json=FILE writes a file.
    assert.equal(JSON.parse(btfkit(['info', w.kernelA, '-j']).stdout).format, 'btf');
    assert.equal(JSON.parse(btfkit(['elf', join(w.modules, 'ok.ko'), '-j']).stdout).machineName, 'Advanced Micro Devices X86-64');
    assert.equal(btfkit(['dump', w.kernelA, '-j']).stdout, btfkit(['dump', w.kernelA, '--format', 'json']).stdout);
    const f = join(w.dir, 'info.json');
    assert.equal(btfkit(['info', w.kernelA, `--json=${f}`]).code, 0);
    assert.equal(JSON.parse(readFileSync(f, 'utf8')).format, 'btf');
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});

test('elf: readelf\'s names for the type and machine', () => {
  const w = world();
  try {
    const r = btfkit(['elf', join(w.modules, 'ok.ko')]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^ELF64 little endian, type REL \(Relocatable file\), machine Advanced Micro Devices X86-64, 3 sections$/m);
  } finally {
    rmSync(w.dir, { recursive: true, force: true });
  }
});
