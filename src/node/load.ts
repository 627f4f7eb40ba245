/**
 * Loading BTF from files, the way libbpf's btf__parse / btf__parse_split do (docs/design.md §elf-btf-base).
 *
 * A file is raw BTF when it starts with the BTF magic (either byte order); otherwise it is an
 * ELF file, possibly compressed (module .ko.xz/.zst/.gz) or inside a kernel image (vmlinuz),
 * all detected by content. From an ELF we take `.BTF` (required, ENODATA otherwise) and
 * `.BTF.base`: with `.BTF.base` the split is parsed on that distilled base and, when the
 * caller gives a base too, relocated onto it; without it, `.BTF` is parsed on the given base
 * (or as a base BTF). Errors carry the file and section names.
 */

import { BtfkitError } from '../errors.js';
import { parseBtf, btfMagicEndian } from '../format/parse.js';
import { Btf } from '../model/btf.js';
import { parseElf, isElf, type ElfFile } from '../elf/index.js';
import { btfOfElf } from '../split/module-btf.js';
import { readFileBytes } from './files.js';

export const KERNEL_BTF_PATH = '/sys/kernel/btf/vmlinux';

export interface InputFile {
  path: string;
  /** Decompressed bytes: raw BTF or an ELF file. */
  bytes: Uint8Array;
  /** 'btf' for raw BTF, 'elf' for an ELF file. */
  type: 'btf' | 'elf';
  /** How the file was stored: 'plain', or the compression / 'vmlinuz' it was unpacked from. */
  container: string;
  /** Parsed ELF when type is 'elf'. */
  elf: ElfFile | null;
}

export interface LoadedBtf {
  btf: Btf;
  input: InputFile;
  /** The `.BTF.base` distilled base the module carried, if any. */
  distilledBase: Btf | null;
  /** When a `.BTF.base` module was relocated onto a given base: pre-relocation id → final id. */
  idMap: Uint32Array | null;
}

/** Resolves the special base names: 'kernel' means the running kernel's BTF. */
export function resolveBtfPath(spec: string): string {
  return spec === 'kernel' ? KERNEL_BTF_PATH : spec;
}

/** Runs `fn`, adding the file (and section) to the location of any BtfkitError it throws. */
export function withFile<T>(path: string, section: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BtfkitError) throw e.withLocation({ file: path, ...(section ? { section } : {}) });
    throw e;
  }
}

/** Reads a file and unpacks it to raw BTF or ELF bytes. */
export async function openInput(path: string): Promise<InputFile> {
  const file = resolveBtfPath(path);
  const raw = readFileBytes(file);
  if (btfMagicEndian(raw)) return { path: file, bytes: raw, type: 'btf', container: 'plain', elf: null };
  if (isElf(raw)) return { path: file, bytes: raw, type: 'elf', container: 'plain', elf: withFile(file, undefined, () => parseElf(raw)) };
  // The decoders are loaded only for compressed inputs and kernel images.
  const { openContainer } = await import('./decompress.js');
  const { bytes, container } = await withFileAsync(file, () => openContainer(raw));
  if (btfMagicEndian(bytes)) return { path: file, bytes, type: 'btf', container, elf: null };
  if (isElf(bytes)) return { path: file, bytes, type: 'elf', container, elf: withFile(file, undefined, () => parseElf(bytes)) };
  throw new BtfkitError('IMAGE', `not BTF, ELF, a compressed module or a kernel image (unpacked ${container} content is neither BTF nor ELF)`, { where: { file } });
}

async function withFileAsync<T>(path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof BtfkitError) throw e.withLocation({ file: path });
    throw e;
  }
}

/** Data of a named ELF section, or null. */
export function elfSection(input: InputFile, name: string): Uint8Array | null {
  if (!input.elf) return null;
  const s = input.elf.section(name);
  return s ? withFile(input.path, name, () => input.elf!.sectionData(s)) : null;
}

/**
 * btf__parse_split semantics on an opened input: raw BTF is parsed on `base`; an ELF gives
 * `.BTF` (+ `.BTF.base`, relocated onto `base` when both exist).
 */
export function loadBtfFromInput(input: InputFile, base: Btf | null, opts: { relocate?: boolean } = {}): LoadedBtf {
  if (input.type === 'btf') {
    const btf = withFile(input.path, undefined, () => parseBtf(input.bytes, { base }));
    return { btf, input, distilledBase: null, idMap: null };
  }
  const r = withFile(input.path, undefined, () => btfOfElf(input.elf!, base, opts));
  return { ...r, input };
}

/** Opens and loads a file as (split) BTF. */
export async function loadBtf(path: string, base: Btf | null = null, opts: { relocate?: boolean } = {}): Promise<LoadedBtf> {
  return loadBtfFromInput(await openInput(path), base, opts);
}

const baseCache = new Map<string, Promise<Btf>>();

/**
 * Loads a base BTF (raw BTF, vmlinux ELF, vmlinuz, or 'kernel'), caching by path so that a
 * kernel named several times is parsed once.
 */
export function loadBaseBtf(spec: string = 'kernel'): Promise<Btf> {
  const path = resolveBtfPath(spec);
  let p = baseCache.get(path);
  if (!p) {
    p = loadBtf(path, null).then((l) => l.btf);
    baseCache.set(path, p);
    p.catch(() => baseCache.delete(path));
  }
  return p;
}
