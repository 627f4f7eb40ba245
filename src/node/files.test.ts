/**
 * writeFileAtomic(): replaces the destination atomically, and removes the temporary files that
 * killed writers left for the same destination (`.NAME.btfkit-PID-*.tmp` with a dead PID) —
 * and nothing else.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfkitError } from '../errors.js';
import { removeStaleTemps, writeFileAtomic } from './files.js';

const dir = mkdtempSync(join(tmpdir(), 'btfkit-files-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const p = (f: string) => join(dir, f);

/** A PID that is certainly not running: a child that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(r.stdout);
  assert.ok(pid > 0);
  assert.throws(() => process.kill(pid, 0), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ESRCH');
  return pid;
}

test('writeFileAtomic(): writes, replaces, leaves no temporary file; a failed write keeps the old content', () => {
  writeFileAtomic(p('a.bin'), new Uint8Array([1, 2, 3]));
  writeFileAtomic(p('a.bin'), [new Uint8Array([4]), new Uint8Array([5, 6])]);
  assert.deepEqual([...readFileSync(p('a.bin'))], [4, 5, 6]);
  assert.throws(() => writeFileAtomic(p('a.bin'), new Uint8Array(100), { faultAfterBytes: 10 }), (e: unknown) => e instanceof BtfkitError && e.code === 'IO');
  assert.deepEqual([...readFileSync(p('a.bin'))], [4, 5, 6]);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.btfkit-')), []);
});

test('writeFileAtomic(): removes stale temp files of dead writers for the same destination only', () => {
  const d = p('stale');
  mkdirSync(d);
  const q = (f: string) => join(d, f);
  const dead = deadPid();
  const stale = [`.out.json.btfkit-${dead}-abc123.tmp`, `.out.json.btfkit-${dead}-zz.tmp`];
  const kept = [
    `.out.json.btfkit-${process.pid}-live1.tmp`, // this (running) process: maybe a concurrent write
    `.out.json.btfkit-${process.ppid}-live2.tmp`, // a running process
    `.other.json.btfkit-${dead}-abc123.tmp`, // another destination
    `.out.jsonx.btfkit-${dead}-abc123.tmp`, // another destination (prefix of the name)
    `.out.json.btfkit-${dead}-abc123.tmp.keep`, // not the exact pattern
    `.out.json.btfkit-${dead}-ABC.tmp`, // not a suffix we generate
    `out.json.btfkit-${dead}-abc123.tmp`, // no leading dot
    `.out.json.btfkit-x${dead}-abc123.tmp`, // not a pid
    `.out.json.btfkit-0-abc123.tmp`, // pid 0 (process group): never
    'out.json.tmp',
  ];
  for (const f of [...stale, ...kept]) writeFileSync(q(f), 'x');
  mkdirSync(q(`.out.json.btfkit-${dead}-dir.tmp`)); // a directory with the pattern: not a file of ours
  writeFileAtomic(q('out.json'), new TextEncoder().encode('{}'));
  assert.equal(readFileSync(q('out.json'), 'utf8'), '{}');
  for (const f of stale) assert.equal(existsSync(q(f)), false, `${f} should be removed`);
  for (const f of kept) assert.equal(existsSync(q(f)), true, `${f} should be kept`);
  assert.equal(existsSync(q(`.out.json.btfkit-${dead}-dir.tmp`)), true);
});

test('removeStaleTemps(): names with regexp characters, missing directory', () => {
  const d = p('re');
  mkdirSync(d);
  const dead = deadPid();
  const name = 'a+b(1).[x]*.btf';
  writeFileSync(join(d, `.${name}.btfkit-${dead}-q1.tmp`), 'x');
  writeFileSync(join(d, `.aab(1).[x]*.btf.btfkit-${dead}-q1.tmp`), 'x');
  assert.deepEqual(removeStaleTemps(join(d, name)), [`.${name}.btfkit-${dead}-q1.tmp`]);
  assert.deepEqual(removeStaleTemps(join(d, 'missing', 'x')), []);
});
