/**
 * The CLI's stdout (command.ts writeStdout): written with write(2) on fd 1 where that does not
 * block, through process.stdout where it would. Through the installed launcher: a dump larger
 * than a pipe's buffer comes out byte for byte as `dump -o` writes it, into a file, a pipe read
 * to the end, and a non-blocking FIFO read slowly (write(2) gets EAGAIN: the rest goes through
 * the stream, in order; a spawned child's stdio is made blocking, so a preload makes fd 1
 * non-blocking as Node's own stream for a pipe does); a reader that stops early ends the
 * command with exit 0 and nothing on stderr.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO } from '../node/pool-fixtures.test-util.js';
import { Btf } from '../model/btf.js';
import { serializeBtf } from '../format/write.js';

const BIN = join(REPO, 'dist', 'src', 'cli', 'launcher.cjs');
const dir = mkdtempSync(join(tmpdir(), 'btfkit-stdout-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Raw BTF whose raw dump is well past a pipe's 64 KB. */
function bigBtf(): string {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  for (let i = 0; i < 4000; i++) {
    b.addStruct(`struct_number_${i}`, 8);
    b.addField('first', int, 0);
    b.addField('second', int, 32);
  }
  const path = join(dir, 'big.btf');
  writeFileSync(path, serializeBtf(b));
  return path;
}

const input = bigBtf();
const expected = (() => {
  const out = join(dir, 'expected.txt');
  const r = spawnSync(process.execPath, [BIN, 'dump', input, '-o', out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(out);
})();

test('stdout: the dump through a file and through a pipe is byte for byte the -o output', () => {
  assert.ok(expected.length > 256 * 1024, `dump of ${expected.length} bytes`);
  const file = join(dir, 'to-file.txt');
  const fd = openSync(file, 'w');
  const r = spawnSync(process.execPath, [BIN, 'dump', input], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  closeSync(fd);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(readFileSync(file).equals(expected));
  const p = spawnSync(process.execPath, [BIN, 'dump', input], { maxBuffer: 64 << 20 });
  assert.equal(p.status, 0, String(p.stderr));
  assert.ok(p.stdout.equals(expected));
});

test('stdout: a reader that stops early ends the command with exit 0, nothing on stderr', () => {
  const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" dump "${input}" | head -c 100 >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
  assert.equal(r.stderr, '');
  assert.equal(r.stdout.trim(), '0');
});

test('stdout: a non-blocking FIFO read slowly gets the whole dump, in order', { skip: spawnSync('mkfifo', ['--version']).status !== 0 && 'no mkfifo' }, async () => {
  const fifo = join(dir, 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  // the reader end first (a non-blocking open of the writer end needs one), then the writer
  // end, non-blocking: the child inherits the flag with the open file
  const rd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const wr = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  // libuv makes a child's stdio blocking; Node's stream over a pipe makes it non-blocking again
  const preload = join(dir, 'stdout-stream.cjs');
  writeFileSync(preload, 'process.stdout;\n');
  const child = spawn(process.execPath, ['-r', preload, BIN, 'dump', input], { stdio: ['ignore', wr, 'pipe'] });
  closeSync(wr);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const chunks: Buffer[] = [];
  let done = false;
  void exited.then(() => (done = true));
  const buf = Buffer.alloc(4096);
  // slowly: 4 KB per turn of the event loop, so that the pipe fills and write(2) gets EAGAIN
  for (;;) {
    let n = 0;
    try {
      n = readSync(rd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      if (done) break;
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
    if (n === 0) {
      if (done) break;
      await new Promise((r) => setTimeout(r, 2));
      continue;
    }
    chunks.push(Buffer.from(buf.subarray(0, n)));
    await new Promise((r) => setImmediate(r));
  }
  closeSync(rd);
  assert.equal(await exited, 0, stderr);
  assert.equal(stderr, '');
  assert.ok(Buffer.concat(chunks).equals(expected));
});
