/**
 * The installed command: package.json's bin is the launcher, a plain `#!/usr/bin/env node`
 * script with no Node.js or V8 options and no change to the environment; it runs the bundle
 * with a code cache V8 accepts; the bundle and the unbundled modules behave the same (a raw
 * dump of the same synthetic BTF, byte for byte, and the same usage error); the version it
 * prints is package.json's.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { REPO } from '../node/pool-fixtures.test-util.js';
import { Btf } from '../model/btf.js';
import { serializeBtf } from '../format/write.js';
import { dumpRaw } from '../dump/raw.js';
import { bundleCachePath, bundleFor, wrapBundle } from './bundle-wrap.cjs';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string>; version: string };
const BIN = join(REPO, pkg.bin.btfkit!);
const BUNDLE = join(REPO, 'dist', 'src', 'bin', 'btfkit.cjs');
/** The bundle of `btfkit encode` alone (scripts/bundle.ts). */
const ENCODE_BUNDLE = join(REPO, 'dist', 'src', 'bin', 'btfkit-encode.cjs');

test('the bin is the launcher, executable, and runs directly (shebang)', () => {
  assert.equal(pkg.bin.btfkit, './dist/src/cli/launcher.cjs');
  accessSync(BIN, constants.X_OK);
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `btfkit ${pkg.version}`);
});

test('the bin is a plain node script: its first line is #!/usr/bin/env node, no options, no V8 flags, no environment changes', () => {
  const text = readFileSync(BIN, 'utf8');
  assert.equal(text.split('\n')[0], '#!/usr/bin/env node');
  assert.doesNotMatch(text, /\/bin\/sh|--v8-|--turbo|--no-turbo|setFlagsFromString|NODE_EXTRA_CA_CERTS|NODE_OPTIONS|process\.env/);
  // The environment reaches Node.js as it is: an unreadable extra-certificates file draws
  // what it draws for any node script (Node 20 warns at start-up; Node 22 reads the file
  // only when TLS is first used, so it prints nothing).
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/btfkit-test-ca.pem' };
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8', env });
  assert.equal(r.status, 0, r.stderr);
  const plain = spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', env });
  assert.equal(r.stderr, plain.stderr);
  if (process.versions.node.startsWith('20.')) assert.match(r.stderr, /Ignoring extra certs from `\/nonexistent\/btfkit-test-ca\.pem`/);
  assert.equal(r.stdout, `btfkit ${pkg.version}\n`);
  // Arguments with spaces and quotes reach the CLI unchanged.
  const odd = spawnSync(BIN, ['dump', "/nonexistent/a b'c.btf"], { encoding: 'utf8' });
  assert.equal(odd.status, 1);
  assert.match(odd.stderr, /a b'c\.btf/);
});

test('--version, -V and the help heading print the version of package.json', () => {
  for (const arg of ['--version', '-V', 'version']) {
    const r = spawnSync(process.execPath, [BIN, arg], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `btfkit ${pkg.version}\n`);
  }
  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
  assert.equal(help.stdout.split('\n')[0]!.startsWith(`btfkit ${pkg.version} — `), true, help.stdout.split('\n')[0]);
  // The unbundled CLI reads the same file.
  const direct = spawnSync(process.execPath, [join(REPO, 'dist', 'src', 'cli', 'main.js'), '--version'], { encoding: 'utf8' });
  assert.equal(direct.stdout, `btfkit ${pkg.version}\n`);
});

test('V8 accepts the code caches shipped with the bundles', () => {
  for (const bundle of [BUNDLE, ENCODE_BUNDLE]) {
    const source = readFileSync(bundle, 'latin1');
    assert.ok(!source.startsWith('#!'), 'the bundle is compiled inside a function wrapper');
    assert.doesNotMatch(source, /[^\x00-\x7f]/, 'ASCII (the launcher reads it as latin1)');
    // This test process runs with Node's defaults, as the launcher does.
    const script = new Script(wrapBundle(source), { filename: bundle, cachedData: readFileSync(bundleCachePath(bundle, process.versions.v8)) });
    assert.equal(script.cachedDataRejected, false, bundle);
  }
  // the encode bundle holds that command alone: well under the full one
  assert.ok(readFileSync(ENCODE_BUNDLE).length < 0.75 * readFileSync(BUNDLE).length);
});

test('`btfkit encode` runs its own bundle, and gives what the full bundle and the unbundled CLI give', { skip: !existsSync('/sys/kernel/btf/vmlinux') && 'no /sys/kernel/btf/vmlinux' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-launcher-'));
  try {
    const obj = join(REPO, 'test', 'fixtures', 'dwarf', 'sample-gcc-dwarf5.o');
    const outs: Buffer[] = [];
    const runs: [string, string[]][] = [
      ['launcher (encode bundle)', [BIN]],
      ['full bundle', [BUNDLE]],
      ['unbundled', [join(REPO, 'dist', 'src', 'cli', 'main.js')]],
    ];
    for (const [what, entry] of runs) {
      const out = join(dir, `${outs.length}.o`);
      const r = spawnSync(process.execPath, [...entry, 'encode', obj, '-B', 'kernel', '-o', out], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${what}: ${r.stderr}`);
      outs.push(readFileSync(out));
      // the same usage error
      const usage = spawnSync(process.execPath, [...entry, 'encode', obj], { encoding: 'utf8' });
      assert.equal(usage.status, 2, what);
      assert.match(usage.stderr, /^btfkit: /, what);
      assert.equal(usage.stderr, spawnSync(process.execPath, [BIN, 'encode', obj], { encoding: 'utf8' }).stderr, what);
    }
    assert.ok(outs[0]!.length > 0);
    for (const o of outs) assert.deepEqual(o, outs[0]);
    // the bin picks the encode bundle for that command alone, when it is there
    const bin = join(REPO, 'dist', 'src', 'bin');
    assert.equal(bundleFor('encode', bin, existsSync), ENCODE_BUNDLE);
    assert.equal(bundleFor('dump', bin, existsSync), BUNDLE);
    assert.equal(bundleFor(undefined, bin, existsSync), BUNDLE);
    assert.equal(bundleFor('encode', bin, () => false), BUNDLE);
    // and its help comes from there
    const help = spawnSync(process.execPath, [BIN, 'encode', '--help'], { encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^btfkit encode — /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bundled and unbundled CLI give the same bytes and the same errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-launcher-'));
  try {
    const b = Btf.create();
    const int = b.addInt('int', 4, 1);
    const s = b.addStruct('pair', 8);
    b.addField('a', int, 0);
    b.addField('b', int, 32);
    b.addPtr(s);
    const file = join(dir, 'x.btf');
    writeFileSync(file, serializeBtf(b));
    const expected = Buffer.from(dumpRaw(b)).toString('latin1');
    for (const entry of [BIN, join(REPO, 'dist', 'src', 'cli', 'main.js')]) {
      const ok = spawnSync(process.execPath, [entry, 'dump', file], { encoding: 'latin1' });
      assert.equal(ok.status, 0, `${entry}: ${ok.stderr}`);
      assert.equal(ok.stdout, expected, entry);
      const usage = spawnSync(process.execPath, [entry, 'dump', file, '--format', 'yaml'], { encoding: 'utf8' });
      assert.equal(usage.status, 2, entry);
      assert.equal(usage.stderr, "btfkit: unknown format 'yaml' (raw, json or c)\n", entry);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
