/**
 * The guest's report format (parsed from text and produced by the real loader.c on this
 * host, with modules that do not exist so nothing is loaded), the init script, the QEMU
 * command line and the static-binary check.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildElf } from '../../src/elf/synth.js';
import { SHT_PROGBITS } from '../../src/elf/index.js';
import { buildLoader, initScript, isStaticElf, listFile, parseReport, qemuArgs } from './guest.js';

const LOADER_C = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'scripts', 'kernel-oracle', 'loader.c');

test('parseReport: modules with result, BTF size, bytes and log; \\r and noise ignored', () => {
  const bytes = Buffer.from('hello, BTF bytes of some length!');
  const b64 = bytes.toString('base64');
  const text = [
    'garbage before',
    '@@MOD tcp_bbr\r',
    '@@RC 0\r',
    '@@US 1234\r',
    '@@BTF 32\r',
    `@@B64 ${b64.slice(0, 20)}\r`,
    `@@B64 ${b64.slice(20)}\r`,
    '@@LOG tcp_bbr: module verification failed: signature and/or required key missing - tainting kernel\r',
    '@@END tcp_bbr\r',
    '@@MOD dummy',
    '@@RC 0',
    '@@BTF -1',
    "@@LOG distilled base BTF type 'x' [3] is not mapped to base BTF id",
    '@@END dummy',
    '@@MOD usbserial',
    '@@RC 2',
    '@@BTF -1',
    '@@LOG usbserial: Unknown symbol __tty_port_tty_hangup (err -2)',
    '@@END usbserial',
    '@@DONE 3',
  ].join('\n');
  const r = parseReport(text);
  assert.equal(r.done, 3);
  assert.deepEqual(r.modules.map((m) => [m.name, m.rc, m.btfSize, m.complete, m.log.length]), [
    ['tcp_bbr', 0, 32, true, 1],
    ['dummy', 0, -1, true, 1],
    ['usbserial', 2, -1, true, 1],
  ]);
  assert.deepEqual(Buffer.from(r.modules[0]!.bytes!), bytes);
  assert.equal(r.modules[1]!.bytes, null);
  assert.deepEqual(r.modules.map((m) => m.us), [1234, -1, -1]);
});

test('parseReport: a report cut short marks the last module incomplete and has no DONE', () => {
  const r = parseReport('@@MOD a\n@@RC 0\n@@BTF 10\n@@END a\n@@MOD b\n@@RC 0\n');
  assert.equal(r.done, null);
  assert.deepEqual(r.modules.map((m) => [m.name, m.complete]), [['a', true], ['b', false]]);
});

test('listFile and initScript', () => {
  assert.equal(listFile([{ name: 'a', file: '/x/a.ko', dump: true }, { name: 'b_c', file: '/y/b-c.ko', dump: false }], (e) => `/m/${e.name}.ko`), 'a /m/a.ko 1\nb_c /m/b_c.ko 0\n');
  const s = initScript('-f');
  assert.match(s, /^#!\/bin\/busybox sh\n/);
  assert.match(s, /\/bin\/loader -f -o \/dev\/ttyS1 \/list\n/);
  assert.match(s, /poweroff -f\n$/);
});

test('qemuArgs: TCG, no reboot, two serial ports, memory grows with the initramfs', () => {
  const base = { vmlinuz: '/k/vmlinuz', initrd: '/k/i.cpio', consoleLog: '/k/c.log', reportFile: '/k/r.txt', timeoutMs: 1 };
  const small = qemuArgs({ ...base, initrdBytes: 4 << 20 });
  assert.deepEqual(small.slice(0, 6), ['-accel', 'tcg', '-cpu', 'max', '-m', '1024M']);
  assert.ok(small.includes('-no-reboot'));
  assert.equal(small[small.indexOf('-append') + 1], 'console=ttyS0 panic=-1 quiet loglevel=1 no_timer_check');
  assert.deepEqual(small.slice(-4), ['-serial', 'file:/k/c.log', '-serial', 'file:/k/r.txt']);
  const big = qemuArgs({ ...base, initrdBytes: 400 << 20 });
  assert.equal(big[big.indexOf('-m') + 1], '1312M');
});

test('isStaticElf: executables with and without PT_INTERP', () => {
  const exe = (interp: boolean): Uint8Array =>
    buildElf({
      class: 64, littleEndian: true, type: 2, machine: 62,
      sections: [{ name: '.interp', type: SHT_PROGBITS, data: new Uint8Array(16), flags: 2 }],
      segments: [{ type: 1, offset: 0, filesz: 64 }, ...(interp ? [{ type: 3, offset: 64, filesz: 16 }] : [])],
    }).bytes;
  assert.equal(isStaticElf(exe(false)), true);
  assert.equal(isStaticElf(exe(true)), false);
  assert.equal(isStaticElf(new Uint8Array([1, 2, 3])), false);
});

test('loader.c: builds static and reports a module it cannot open (nothing is loaded)', (t) => {
  if (spawnSync('sh', ['-c', 'command -v gcc'], { encoding: 'utf8' }).status !== 0) return t.skip('no gcc');
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-loader-'));
  try {
    let loader: string;
    try {
      loader = buildLoader(LOADER_C, dir);
    } catch (e) {
      return t.skip(`no static libc: ${(e as Error).message.split('\n')[0]}`);
    }
    const list = join(dir, 'list');
    writeFileSync(list, `nope_a ${join(dir, 'nope_a.ko')} 1\nbad line\nnope_b ${join(dir, 'nope_b.ko.xz')} 0\n`);
    const r = spawnSync(loader, ['-f', list], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const rep = parseReport(r.stdout);
    assert.equal(rep.done, 2);
    assert.deepEqual(rep.modules.map((m) => [m.name, m.rc, m.btfSize, m.complete]), [['nope_a', 2, -1, true], ['nope_b', 2, -1, true]]);
    assert.equal(spawnSync(loader, [], { encoding: 'utf8' }).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
