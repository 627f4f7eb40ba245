/**
 * A module's BTF from its DWARF, end to end, as Linux 6.12's kbuild makes it for an external
 * module with pahole v1.31: encode (index.ts) → dedup against the kernel's BTF
 * (btf__dedup, src/split/dedup) → distill (btf__distill_base, unless `distill: false`) →
 * `.BTF` and `.BTF.base` added to the ELF as pahole's objcopy adds them (PROGBITS, no flags),
 * then `.BTF_ids` resolved as `resolve_btfids -b vmlinux` does (against the distilled base when
 * there is one).
 */

import { BtfkitError, Errno } from '../errors.js';
import type { ElfFile } from '../elf/index.js';
import { concatBytes, rewriteElfParts, type NewSection } from '../elf/index.js';
import { serializeBtf } from '../format/write.js';
import { KIND_NAMES } from '../format/kinds.js';
import { hasBtfIds, resolveBtfIds, BTF_IDS_SECTION } from '../kernel/btfids.js';
import type { Btf } from '../model/btf.js';
import { dedup } from '../split/dedup/index.js';
import { distillBase } from '../split/distill.js';
import { encodeModuleBtf, type EncodeOptions } from './index.js';

export interface EncodeModuleOptions extends EncodeOptions {
  /** Add `.BTF.base` (pahole's distilled_base feature); default true. */
  distill?: boolean;
}

export interface EncodedModule {
  /** The module's split BTF as written to `.BTF` (on the distilled base, or on the kernel's). */
  btf: Btf;
  /** The distilled base written to `.BTF.base`, or null with `distill: false`. */
  distilledBase: Btf | null;
  btfBytes: Uint8Array;
  baseBytes: Uint8Array | null;
  /** The resolved `.BTF_ids` contents, when the module has that section. */
  btfIds: Uint8Array | null;
  /** resolve_btfids' warnings (unresolved symbols). */
  warnings: string[];
  /** The whole module with the new sections (made from elfParts when first read). */
  readonly elf: Uint8Array;
  /**
   * The same bytes as consecutive parts, most of them slices of the input module's own memory
   * (its DWARF is not copied): what a writer should write.
   */
  readonly elfParts: readonly Uint8Array[];
}

/** Type counts of an encoded module, and the line distill reports for it. */
export function encodedSummary(r: EncodedModule): { baseTypes: number; splitTypes: number; detail: string } {
  const baseTypes = r.distilledBase ? r.distilledBase.ownTypeCount() : 0;
  const splitTypes = r.btf.ownTypeCount();
  return { baseTypes, splitTypes, detail: `no .BTF: encoded from DWARF, ${baseTypes} base types in .BTF.base, ${splitTypes} split types` };
}

/** Encodes, deduplicates, distills and writes the module's BTF. */
export function encodeModule(elf: ElfFile, kernel: Btf, opts: EncodeModuleOptions = {}): EncodedModule {
  if (elf.section('.BTF')) {
    throw new BtfkitError('BTF_INVALID', 'the module already has a .BTF section (btfkit distill adds its .BTF.base)', { errno: Errno.EINVAL, where: { section: '.BTF' } });
  }
  const pre = encodeModuleBtf(elf, kernel, opts);
  // pahole's BTF is built in memory, where libbpf treats the strings as already deduplicated
  const deduped = dedup(pre, { base: kernel, stringsDeduped: true }).btf;
  let btf = deduped;
  let distilled: Btf | null = null;
  if (opts.distill ?? true) {
    const d = withTypeName(kernel, () => distillBase(deduped));
    btf = d.split;
    distilled = d.base;
  }
  const btfBytes = serializeBtf(btf);
  const baseBytes = distilled ? serializeBtf(distilled) : null;
  const add: NewSection[] = [{ name: '.BTF', data: btfBytes }];
  if (baseBytes) add.push({ name: '.BTF.base', data: baseBytes });
  let warnings: string[] = [];
  let btfIds: Uint8Array | null = null;
  const replace = new Map<string, Uint8Array>();
  if (hasBtfIds(elf)) {
    const r = resolveBtfIds(elf, elf.sectionData(elf.section(BTF_IDS_SECTION)!), btf);
    btfIds = r.bytes;
    warnings = r.warnings;
    replace.set(BTF_IDS_SECTION, btfIds);
  }
  const elfParts = rewriteElfParts(elf, { replace, add });
  let whole: Uint8Array | undefined;
  return {
    btf, distilledBase: distilled, btfBytes, baseBytes, btfIds, warnings, elfParts,
    get elf(): Uint8Array {
      return (whole ??= concatBytes(elfParts));
    },
  };
}

/**
 * Runs distill, naming the kernel type in its refusal: libbpf (and so pahole) says only
 * "unexpected reference to base type[ID] of kind [K]".
 */
function withTypeName<T>(kernel: Btf, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const id = e instanceof BtfkitError ? e.where.typeId : undefined;
    if (!(e instanceof BtfkitError) || id === undefined || !kernel.hasType(id) || id >= kernel.typeCount()) throw e;
    const kind = KIND_NAMES[kernel.kind(id)] ?? String(kernel.kind(id));
    const name = kernel.name(id) || '(anon)';
    return rethrow(e, `the module's BTF refers to the kernel's ${kind} '${name}' [${id}], which a distilled base cannot hold (pahole refuses this module too: ${e.message})`);
  }
}

function rethrow(e: BtfkitError, message: string): never {
  throw new BtfkitError(e.code, message, { errno: e.errno, where: e.where, details: e.details });
}
