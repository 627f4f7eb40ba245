/**
 * The guest side of the kernel oracle: initramfs, QEMU, and the report the guest sends back.
 *
 * Approach: the initramfs is a newc cpio (made with `cpio -o -H newc`) of busybox-static,
 * the static loader (loader.c, built with `gcc -static`), the module files, a list file and
 * an /init shell script that mounts proc/sys/devtmpfs, runs the loader with its report on the
 * second serial port (/dev/ttyS1, raw) and powers off. QEMU runs under TCG with
 * `-no-reboot` and `panic=-1`, so a panic ends the run too; a timer kills it otherwise. The
 * first serial port (the console) goes to a log file for diagnosis; the report is parsed
 * from the second (see loader.c for its line format). `loglevel=1` keeps the kernel's
 * messages off the slow emulated console (the loader reads them from /dev/kmsg);
 * `no_timer_check` skips the IO-APIC timer probe, which a busy host can make fail under TCG
 * ("IO-APIC + timer doesn't work!" panics at boot).
 */

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseElf } from '../../src/elf/index.js';

export interface ListEntry {
  name: string;
  /** File to put in the initramfs. */
  file: string;
  /** Send the bytes of /sys/kernel/btf/<name> back. */
  dump: boolean;
}

export interface GuestModule {
  name: string;
  /** finit_module result: 0 or a positive errno. */
  rc: number;
  /** How long finit_module took in the guest, in microseconds (-1: not reported). */
  us: number;
  /** Size of /sys/kernel/btf/<name>, -1 when absent. */
  btfSize: number;
  /** Its bytes, when they were asked for. */
  bytes: Uint8Array | null;
  /** Kernel log records written while it loaded. */
  log: string[];
  /** False when the report stopped inside this module (the guest died). */
  complete: boolean;
}

export interface GuestReport {
  modules: GuestModule[];
  /** The count of @@DONE, or null when the guest never got there. */
  done: number | null;
}

const PAYLOAD = /^@@(MOD|RC|US|BTF|B64|LOG|END|DONE) ?(.*)$/;

/** Parses the loader's report (loader.c); tolerant of \r and of noise between lines. */
export function parseReport(text: string): GuestReport {
  const modules: GuestModule[] = [];
  let cur: GuestModule | null = null;
  let b64: string[] = [];
  let done: number | null = null;
  const finish = (complete: boolean): void => {
    if (!cur) return;
    if (b64.length) cur.bytes = new Uint8Array(Buffer.from(b64.join(''), 'base64'));
    cur.complete = complete;
    modules.push(cur);
    cur = null;
    b64 = [];
  };
  for (const raw of text.split('\n')) {
    const m = PAYLOAD.exec(raw.replace(/\r/g, ''));
    if (!m) continue;
    const [, tag, arg = ''] = m;
    switch (tag) {
      case 'MOD':
        finish(false);
        cur = { name: arg, rc: -1, us: -1, btfSize: -1, bytes: null, log: [], complete: false };
        break;
      case 'RC': if (cur) cur.rc = Number(arg); break;
      case 'US': if (cur) cur.us = Number(arg); break;
      case 'BTF': if (cur) cur.btfSize = Number(arg); break;
      case 'B64': if (cur) b64.push(arg); break;
      case 'LOG': if (cur) cur.log.push(arg); break;
      case 'END': if (cur && cur.name === arg) finish(true); break;
      case 'DONE': finish(false); done = Number(arg); break;
    }
  }
  finish(false);
  return { modules, done };
}

/** The loader's list file: "NAME PATH DUMP" lines, PATH inside the initramfs. */
export function listFile(entries: ListEntry[], guestPath: (e: ListEntry) => string): string {
  return entries.map((e) => `${e.name} ${guestPath(e)} ${e.dump ? 1 : 0}\n`).join('');
}

export function initScript(loaderArgs: string): string {
  return [
    '#!/bin/busybox sh',
    '/bin/busybox mount -t proc proc /proc',
    '/bin/busybox mount -t sysfs sys /sys',
    '/bin/busybox mount -t devtmpfs dev /dev',
    `/bin/loader ${loaderArgs} -o /dev/ttyS1 /list`,
    'echo "@@@INIT-DONE $?"',
    '/bin/busybox poweroff -f',
    '',
  ].join('\n');
}

/** True when the file is an ELF executable without a program interpreter (statically linked). */
export function isStaticElf(bytes: Uint8Array): boolean {
  try {
    const e = parseElf(bytes);
    return e.programHeaders.length > 0 && !e.programHeaders.some((p) => p.type === 3 /* PT_INTERP */);
  } catch {
    return false;
  }
}

/** Compiles loader.c with `gcc -static`; returns the binary's path. */
export function buildLoader(source: string, outDir: string): string {
  const out = join(outDir, 'loader');
  const r = spawnSync('gcc', ['-O2', '-static', '-o', out, source], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`gcc -static ${source} failed: ${r.error?.message ?? r.stderr}`);
  return out;
}

/** Lays out the initramfs tree and packs it with cpio; returns the archive path and size. */
export function buildInitramfs(dir: string, busybox: string, loader: string, entries: ListEntry[], loaderArgs: string): { path: string; bytes: number } {
  const root = join(dir, 'root');
  for (const d of ['bin', 'm', 'proc', 'sys', 'dev']) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(busybox, join(root, 'bin', 'busybox'));
  copyFileSync(loader, join(root, 'bin', 'loader'));
  const names: string[] = [];
  for (const e of entries) {
    const base = `${e.name}${e.file.endsWith('.xz') ? '.ko.xz' : '.ko'}`;
    copyFileSync(e.file, join(root, 'm', base));
    names.push(base);
  }
  let i = 0;
  writeFileSync(join(root, 'list'), listFile(entries, () => `/m/${names[i++]}`));
  writeFileSync(join(root, 'init'), initScript(loaderArgs), { mode: 0o755 });
  const path = join(dir, 'initramfs.cpio');
  const fd = openSync(path, 'w');
  const files = ['.', 'bin', 'm', 'proc', 'sys', 'dev', 'bin/busybox', 'bin/loader', 'list', 'init', ...names.map((n) => `m/${n}`)];
  const r = spawnSync('cpio', ['-o', '-H', 'newc', '--quiet'], { cwd: root, input: files.join('\n') + '\n', stdio: ['pipe', fd, 'pipe'] });
  closeSync(fd);
  if (r.error || r.status !== 0) throw new Error(`cpio failed: ${r.error?.message ?? r.stderr}`);
  return { path, bytes: statSync(path).size };
}

export interface BootOptions {
  vmlinuz: string;
  initrd: string;
  initrdBytes: number;
  /** Where the console and the report go. */
  consoleLog: string;
  reportFile: string;
  timeoutMs: number;
}

export interface BootResult {
  report: GuestReport;
  console: string;
  timedOut: boolean;
  exitCode: number | null;
  ms: number;
}

/** The QEMU command line for one boot. */
export function qemuArgs(o: BootOptions): string[] {
  const mem = Math.max(1024, 512 + Math.ceil((2 * o.initrdBytes) / 1048576));
  return [
    '-accel', 'tcg', '-cpu', 'max', '-m', `${mem}M`, '-smp', '1',
    '-display', 'none', '-monitor', 'none', '-no-reboot', '-nodefaults',
    '-kernel', o.vmlinuz, '-initrd', o.initrd,
    '-append', 'console=ttyS0 panic=-1 quiet loglevel=1 no_timer_check',
    '-serial', `file:${o.consoleLog}`, '-serial', `file:${o.reportFile}`,
  ];
}

/** Boots once and waits (at most timeoutMs) for the guest to power off. */
export function boot(o: BootOptions): Promise<BootResult> {
  const t0 = performance.now();
  writeFileSync(o.reportFile, '');
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-system-x86_64', qemuArgs(o), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, o.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const read = (p: string): string => {
        try {
          return readFileSync(p, 'latin1');
        } catch {
          return '';
        }
      };
      if (code !== 0 && !timedOut && stderr) process.stderr.write(`qemu: ${stderr}`);
      resolve({ report: parseReport(read(o.reportFile)), console: read(o.consoleLog) + stderr, timedOut, exitCode: code, ms: performance.now() - t0 });
    });
  });
}
