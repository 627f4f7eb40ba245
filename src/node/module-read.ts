/**
 * Reading the `.BTF` and `.BTF.base` sections of modules: readElfSections (a plain ELF,
 * reading only its section table and those sections), readModuleSections (any module: the
 * general path, through openInput), and ModuleReader, for many compressed modules one after
 * the other in one thread, without leaving a decompressed module behind for the garbage
 * collector per module.
 *
 * Why a ModuleReader: a thread checking a tree of `.ko.xz` modules decodes ~120 KB per module
 * on average (up to ~30 MB) and keeps a few KB of it (`.BTF`, `.BTF.base`). Each decoded
 * module in a fresh buffer is garbage the moment its sections are copied out, and V8 collects
 * such external memory only after tens of MB of it have piled up, in every thread.
 * Approach: a ModuleReader (one per thread) reads each compressed file into a buffer it keeps
 * and xz-decodes it into another one it keeps (DecodeOptions.into; grown to the largest module
 * seen, up to KEEP_MAX; larger ones get a buffer of their own), parses the ELF section table
 * there and copies out only `.BTF` and `.BTF.base`. Everything else — plain modules (which
 * readElfSections already reads section by section), other compressions, and any file that
 * fails anywhere on this path — goes through readModuleSections, the general path
 * (openInput), so the sections, and the errors with their messages, are exactly that path's.
 * The decoder is the same, with the same caps (DEFAULT_MAX_OUTPUT and the ratio guard).
 */

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { detectFormat } from '../image/detect.js';
import { xzIndexTotal } from '../image/xz.js';
import { isElf, parseElf, EHDR_SIZE, SHDR_SIZE, SHN_XINDEX, SHT_NOBITS } from '../elf/index.js';
import { BtfkitError } from '../errors.js';
import { decompress } from './decompress.js';
import { ioError } from './files.js';
import { elfSection, openInput } from './load.js';

/** The `.BTF` and `.BTF.base` sections of a module file (compressed or not). */
export interface ModuleSections {
  name: string;
  btf: Uint8Array;
  btfBase: Uint8Array | null;
}

/**
 * The named sections of an uncompressed ELF file, reading only the ELF header, the section
 * header table, the section names and those sections (for a module, `.BTF` is a few percent
 * of the file). Every section's file range is bounds-checked as parseElf would. Returns null
 * when the file is not a plain ELF with an ordinary, valid layout (compressed, escaped counts,
 * anything out of bounds): the caller then reads it whole, and the full parser explains.
 */
export function readElfSections(path: string, wanted: readonly string[]): Map<string, Uint8Array> | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw ioError(e, path, 'cannot read');
  }
  try {
    const size = fstatSync(fd).size;
    const read = (off: number, len: number): Uint8Array | null => {
      if (off < 0 || len < 0 || off > size || len > size - off) return null;
      const b = new Uint8Array(len);
      let done = 0;
      while (done < len) {
        const n = readSync(fd, b, done, len - done, off + done);
        if (n <= 0) return null;
        done += n;
      }
      return b;
    };
    const head = read(0, Math.min(size, 64));
    if (!head || head.length < 52 || !isElf(head) || (head[4] !== 1 && head[4] !== 2) || (head[5] !== 1 && head[5] !== 2)) return null;
    const is64 = head[4] === 2;
    const cls = is64 ? 64 : 32;
    const le = head[5] === 1;
    if (head.length < EHDR_SIZE[cls]) return null;
    const hv = new DataView(head.buffer);
    const e = is64 ? 52 : 40;
    const shoff = is64 ? Number(hv.getBigUint64(40, le)) : hv.getUint32(32, le);
    const shentsize = hv.getUint16(e + 6, le);
    const shnum = hv.getUint16(e + 8, le);
    const shstrndx = hv.getUint16(e + 10, le);
    if (shoff === 0 || shnum === 0 || shstrndx === SHN_XINDEX || shstrndx === 0 || shstrndx >= shnum || shentsize !== SHDR_SIZE[cls]) return null;
    const table = read(shoff, shnum * shentsize);
    if (!table) return null;
    const tv = new DataView(table.buffer);
    const sh = (i: number) => {
      const p = i * shentsize;
      return {
        name: tv.getUint32(p, le),
        type: tv.getUint32(p + 4, le),
        offset: is64 ? Number(tv.getBigUint64(p + 24, le)) : tv.getUint32(p + 16, le),
        size: is64 ? Number(tv.getBigUint64(p + 32, le)) : tv.getUint32(p + 20, le),
      };
    };
    const heads = Array.from({ length: shnum }, (_, i) => sh(i));
    for (let i = 1; i < shnum; i++) {
      const h = heads[i]!;
      if (h.type === SHT_NOBITS || h.size === 0) continue;
      if (h.offset > size || h.size > size - h.offset) return null;
    }
    const st = heads[shstrndx]!;
    if (st.type !== 3 /* SHT_STRTAB */) return null;
    const names = read(st.offset, st.size);
    if (!names) return null;
    const want = new Set(wanted);
    const decoder = new TextDecoder();
    const out = new Map<string, Uint8Array>();
    for (let i = 1; i < shnum; i++) {
      const h = heads[i]!;
      if (h.name >= names.length) return null;
      const end = names.indexOf(0, h.name);
      if (end < 0) return null;
      const name = decoder.decode(names.subarray(h.name, end));
      if (!want.has(name) || out.has(name)) continue;
      const data = h.type === SHT_NOBITS || h.size === 0 ? new Uint8Array(0) : read(h.offset, h.size);
      if (!data) return null;
      out.set(name, data);
    }
    return out;
  } catch (e) {
    throw ioError(e, path, 'cannot read');
  } finally {
    closeSync(fd);
  }
}

/** True for the error readModuleSections throws for a module without a `.BTF` section. */
export function isNoBtfError(e: unknown): boolean {
  return e instanceof BtfkitError && e.code === 'ELF_NO_SECTION' && e.message.includes("'.BTF'");
}

export async function readModuleSections(path: string): Promise<ModuleSections> {
  return readPlainModule(path) ?? readAnyModule(path);
}

/**
 * The sections of a plain ELF module read section by section (readElfSections); null for a
 * plain ELF without `.BTF` (the general path then raises its error), undefined for anything
 * else (compressed, unusual layout, 'kernel').
 */
function readPlainModule(path: string): ModuleSections | null | undefined {
  const fast = path === 'kernel' ? null : readElfSections(path, ['.BTF', '.BTF.base']);
  if (!fast) return undefined;
  const btf = fast.get('.BTF');
  return btf ? { name: path, btf, btfBase: fast.get('.BTF.base') ?? null } : null;
}

/** The general path: any input openInput takes, errors (and their messages) as everywhere. */
async function readAnyModule(path: string): Promise<ModuleSections> {
  const input = await openInput(path);
  if (!input.elf) throw new BtfkitError('ELF', 'not a kernel module (no ELF)', { where: { file: input.path } });
  const btf = elfSection(input, '.BTF');
  if (!btf) throw new BtfkitError('ELF_NO_SECTION', "failed to find '.BTF' ELF section", { where: { file: input.path } });
  return { name: path, btf, btfBase: elfSection(input, '.BTF.base') };
}

/**
 * Buffers up to this size are kept for the next module. A 6.12 tree: 99% of its modules
 * decode to < 1.3 MB, 9 to > 4 MB, the largest to 29 MB. Keeping the buffer of the largest
 * module a thread has met measured better than a smaller bound (8 MB: +10-30 MB peak RSS for
 * four threads): a 29 MB module in a fresh buffer is 29 MB of garbage at once.
 */
export const KEEP_MAX = 32 * 1024 * 1024;

/** Reads modules' BTF sections one after the other, reusing its buffers (see the file comment). */
export class ModuleReader {
  private input = new Uint8Array(0);
  private output = new Uint8Array(0);
  /** Modules decoded into the kept buffer (tests: the reuse path was taken). */
  reused = 0;

  async read(path: string): Promise<ModuleSections> {
    const plain = readPlainModule(path);
    if (plain) return plain;
    if (plain === undefined && path !== 'kernel') {
      const s = this.readXz(path);
      if (s) return s;
    }
    // the general path, without reading the section table of a plain file a second time
    return readAnyModule(path);
  }

  /** The sections of an xz-compressed ELF module, or null (then the general path decides). */
  private readXz(path: string): ModuleSections | null {
    try {
      const raw = this.readFile(path);
      if (!raw || detectFormat(raw) !== 'xz') return null;
      const claim = xzIndexTotal(raw);
      if (claim !== undefined && claim <= KEEP_MAX && claim > this.output.length) this.output = new Uint8Array(claim + (claim >>> 3));
      const bytes = decompress('xz', raw, { into: this.output });
      if (bytes.buffer === this.output.buffer) this.reused++;
      if (!isElf(bytes)) return null;
      const elf = parseElf(bytes);
      const btf = elf.section('.BTF');
      if (!btf) return null;
      const base = elf.section('.BTF.base');
      return { name: path, btf: elf.sectionData(btf).slice(), btfBase: base ? elf.sectionData(base).slice() : null };
    } catch {
      return null;
    }
  }

  /** The whole file, in the kept input buffer when it fits; null when it cannot be read. */
  private readFile(path: string): Uint8Array | null {
    const fd = openSync(path, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size > this.input.length && size <= KEEP_MAX) this.input = new Uint8Array(size + (size >>> 3));
      const buf = size <= this.input.length ? this.input.subarray(0, size) : new Uint8Array(size);
      let done = 0;
      while (done < size) {
        const n = readSync(fd, buf, done, size - done, done);
        if (n <= 0) return null;
        done += n;
      }
      return buf;
    } finally {
      closeSync(fd);
    }
  }
}
