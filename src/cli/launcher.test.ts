/**
 * The installed command: package.json's bin is the launcher, executable by its '#!' line; it
 * runs the bundle with a code cache V8 accepts; the bundle and the unbundled modules behave
 * the same (a raw dump of the same synthetic BTF, byte for byte, and the same usage error).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { REPO } from '../node/pool-fixtures.test-util.js';
import { Btf } from '../model/btf.js';
import { serializeBtf } from '../format/write.js';
import { dumpRaw } from '../dump/raw.js';
import { setFlagsFromString } from 'node:v8';
import { BUNDLE_V8_FLAGS, ONE_SHOT_NODE_OPTIONS, wantsFullOptimization, wrapBundle } from './bundle-wrap.cjs';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string>; version: string };
const BIN = join(REPO, pkg.bin.btfkit!);
const BUNDLE = join(REPO, 'dist', 'src', 'bin', 'btfkit.cjs');

test('the bin is the launcher, executable, and runs directly (shebang)', () => {
  assert.equal(pkg.bin.btfkit, './dist/src/cli/launcher.cjs');
  accessSync(BIN, constants.X_OK);
  const r = spawnSync(BIN, ['--version'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), `btfkit ${pkg.version}`);
});

test('the bin clears NODE_EXTRA_CA_CERTS before Node.js starts (run by node, the same file still works)', () => {
  // Node.js loads that file at start-up, before any JavaScript, and warns when it cannot.
  const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/btfkit-test-ca.pem' };
  const direct = spawnSync(BIN, ['--version'], { encoding: 'utf8', env });
  assert.equal(direct.status, 0, direct.stderr);
  assert.equal(direct.stderr, '');
  assert.equal(direct.stdout.trim(), `btfkit ${pkg.version}`);
  const byNode = spawnSync(process.execPath, [BIN, '--version'], { encoding: 'utf8', env });
  assert.equal(byNode.status, 0, byNode.stderr);
  assert.match(byNode.stderr, /Ignoring extra certs from `\/nonexistent\/btfkit-test-ca\.pem`/);
  assert.equal(byNode.stdout.trim(), `btfkit ${pkg.version}`);
  // Arguments with spaces and quotes reach the CLI unchanged through the shell line.
  const odd = spawnSync(BIN, ['dump', "/nonexistent/a b'c.btf"], { encoding: 'utf8', env });
  assert.equal(odd.status, 1);
  assert.match(odd.stderr, /a b'c\.btf/);
});

test('the bin runs node with the one-shot options and V8 flags, and check with none', () => {
  // A stand-in `node`, first on PATH, that prints how it was called.
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-fake-node-'));
  try {
    writeFileSync(join(dir, 'node'), '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` };
    const dump = spawnSync(BIN, ['dump', 'a b.btf', '--format', 'c'], { encoding: 'utf8', env });
    assert.equal(dump.stdout, `${ONE_SHOT_NODE_OPTIONS} ${BUNDLE_V8_FLAGS} ${BIN} dump a b.btf --format c\n`);
    const check = spawnSync(BIN, ['check', 'm.ko'], { encoding: 'utf8', env });
    assert.equal(check.stdout, `${BIN} check m.ko\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('V8 accepts the code cache shipped with the bundle', () => {
  const source = readFileSync(BUNDLE, 'utf8');
  assert.ok(!source.startsWith('#!'), 'the bundle is compiled inside a function wrapper');
  // Under the flags the launcher sets (this test process is otherwise started with none).
  setFlagsFromString(BUNDLE_V8_FLAGS);
  const script = new Script(wrapBundle(source), { filename: BUNDLE, cachedData: readFileSync(`${BUNDLE}.cache`) });
  assert.equal(script.cachedDataRejected, false);
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

test('V8 default optimization is turned back on for check and JSON dumps only (the format as parseArgs reads it)', () => {
  assert.equal(wantsFullOptimization(['check', 'x.ko']), true);
  assert.equal(wantsFullOptimization(['dump', 'v', '--format', 'json']), true);
  assert.equal(wantsFullOptimization(['dump', '--format=json', 'v']), true);
  assert.equal(wantsFullOptimization(['dump', 'v', '-f', 'json']), true);
  assert.equal(wantsFullOptimization(['dump', 'v', '-fjson']), true);
  assert.equal(wantsFullOptimization(['dump', 'v', '-f', 'json', '--format', 'c']), false);
  assert.equal(wantsFullOptimization(['dump', 'v', '--format', 'c']), false);
  assert.equal(wantsFullOptimization(['dump', 'v']), false);
  assert.equal(wantsFullOptimization(['dump', '--', '-f', 'json']), false);
  assert.equal(wantsFullOptimization(['info', 'json']), false);
  assert.equal(wantsFullOptimization([]), false);
});
