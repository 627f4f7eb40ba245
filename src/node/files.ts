/**
 * File I/O for the CLI and Node users: reading inputs and writing outputs safely.
 *
 * Writes are atomic: the data goes to a temporary file in the destination directory, is
 * flushed, takes the mode of the file it replaces (or of a given reference file), and is then
 * renamed over the destination. A failure at any point removes the temporary file and leaves
 * the destination as it was, so no partial or corrupted output is ever visible.
 * A process killed mid-write (SIGKILL, power loss) cannot remove its temporary file; the next
 * write to the same destination removes such leftovers (`.NAME.btfkit-PID-*.tmp` whose PID is
 * no running process), see removeStaleTemps().
 */

import { closeSync, fsyncSync, lstatSync, openSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, writeSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BtfkitError } from '../errors.js';

/** Reads a whole file; errors become BtfkitError('IO') naming the file. */
export function readFileBytes(path: string): Uint8Array {
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw ioError(e, path, 'cannot read');
  }
}

export function ioError(e: unknown, path: string, what: string): BtfkitError {
  const err = e as NodeJS.ErrnoException;
  const reason = err.code === 'ENOENT' ? 'no such file or directory'
    : err.code === 'EACCES' || err.code === 'EPERM' ? 'permission denied'
    : err.code === 'EISDIR' ? 'is a directory'
    : err.code === 'ENOSPC' ? 'no space left on device'
    : err.code === 'EROFS' ? 'read-only file system'
    : err.message ?? String(e);
  return new BtfkitError('IO', `${what}: ${reason}`, { where: { file: path } });
}

/** Are two paths the same file (after resolving links)? Missing files compare by path. */
export function samePath(a: string, b: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

export interface WriteOptions {
  /** File mode for a new file; an existing destination keeps its own mode. */
  mode?: number;
  /** Take the mode from this file when the destination does not exist yet. */
  modeFrom?: string;
  /** Test hook: called after this many bytes were written, to simulate failures. */
  faultAfterBytes?: number;
}

/** Is `pid` a running process? (EPERM: it exists but belongs to someone else.) */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes the temporary files that killed writers left for the destination `path`: regular
 * files in its directory named exactly `.<basename>.btfkit-<pid>-<suffix>.tmp` whose <pid> is
 * not a running process (nor this one). Nothing else is touched; errors are ignored (best
 * effort, e.g. an unreadable directory). Returns the names removed.
 */
export function removeStaleTemps(path: string): string[] {
  const dir = dirname(resolve(path));
  const re = new RegExp(`^\\.${escapeRegExp(basename(path))}\\.btfkit-([1-9][0-9]{0,9})-[0-9a-z]{0,16}\\.tmp$`);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = re.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pid > 0x7fffffff || processAlive(pid)) continue;
    const full = join(dir, name);
    try {
      if (!lstatSync(full).isFile()) continue;
      unlinkSync(full);
      removed.push(name);
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed;
}

/** Atomically replaces `path` with `data` (temp file + fsync + rename). */
export function writeFileAtomic(path: string, data: Uint8Array | readonly Uint8Array[], opts: WriteOptions = {}): void {
  const dir = dirname(resolve(path));
  removeStaleTemps(path);
  const tmp = join(dir, `.${basename(path)}.btfkit-${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`);
  let mode = opts.mode ?? 0o644;
  try {
    mode = statSync(path).mode & 0o7777;
  } catch {
    if (opts.modeFrom) {
      try {
        mode = statSync(opts.modeFrom).mode & 0o7777;
      } catch {
        /* keep default */
      }
    }
  }
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx', mode);
    const chunks = data instanceof Uint8Array ? [data] : data;
    let written = 0;
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) {
        if (opts.faultAfterBytes !== undefined && written >= opts.faultAfterBytes) {
          throw Object.assign(new Error('injected fault'), { code: 'ENOSPC' });
        }
        const lim = opts.faultAfterBytes !== undefined ? Math.min(c.length - off, Math.max(1, opts.faultAfterBytes - written)) : c.length - off;
        const n = writeSync(fd, c, off, lim);
        off += n;
        written += n;
      }
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) {
      try {
        closeSync(fd);
      } catch {
        /* ignore */
      }
    }
    try {
      unlinkSync(tmp);
    } catch {
      /* ignore */
    }
    throw e instanceof BtfkitError ? e : ioError(e, path, 'cannot write');
  }
}
