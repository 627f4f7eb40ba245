/**
 * Test preload (`node --import dist/src/fuzz/fault-preload.js dist/src/cli/launcher.cjs ...`):
 * injects a file-system failure into the CLI process, selected by BTFKIT_TEST_FAULT:
 *   write:N   writes to files fail with ENOSPC once N bytes were written (disk full)
 *   fsync     fsync fails with EIO
 *   rename    rename fails with EXDEV
 *   close     close of a file that was written to fails with EIO
 * The patched functions are made visible to ES-module named imports with
 * syncBuiltinESMExports(). Only file descriptors above 2 are affected (not stdout/stderr).
 */

import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const spec = process.env.BTFKIT_TEST_FAULT ?? '';
const [mode, arg] = spec.split(':');

function errnoError(code: string, errno: number, syscall: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: injected failure, ${syscall}`) as NodeJS.ErrnoException;
  e.code = code;
  e.errno = -errno;
  e.syscall = syscall;
  return e;
}

if (mode === 'write') {
  const limit = Number(arg ?? 0);
  let written = 0;
  const orig = fs.writeSync;
  fs.writeSync = function (fd: number, buf: NodeJS.ArrayBufferView | string, ...rest: unknown[]): number {
    if (fd <= 2 || typeof buf === 'string') return (orig as (...a: unknown[]) => number).call(fs, fd, buf, ...rest);
    if (written >= limit) throw errnoError('ENOSPC', 28, 'write');
    const off = (rest[0] as number | undefined) ?? 0;
    const len = (rest[1] as number | undefined) ?? buf.byteLength - off;
    const n = (orig as (...a: unknown[]) => number).call(fs, fd, buf, off, Math.min(len, Math.max(1, limit - written)), ...rest.slice(2));
    written += n;
    return n;
  } as typeof fs.writeSync;
} else if (mode === 'fsync') {
  fs.fsyncSync = () => {
    throw errnoError('EIO', 5, 'fsync');
  };
} else if (mode === 'rename') {
  fs.renameSync = () => {
    throw errnoError('EXDEV', 18, 'rename');
  };
} else if (mode === 'close') {
  const written = new Set<number>();
  const origWrite = fs.writeSync;
  fs.writeSync = function (fd: number, ...rest: unknown[]): number {
    written.add(fd);
    return (origWrite as (...a: unknown[]) => number).call(fs, fd, ...rest);
  } as typeof fs.writeSync;
  const orig = fs.closeSync;
  fs.closeSync = (fd: number) => {
    orig(fd);
    if (fd > 2 && written.delete(fd)) throw errnoError('EIO', 5, 'close');
  };
}
syncBuiltinESMExports();
