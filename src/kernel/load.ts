/**
 * Offline emulation of what a 6.11+ kernel does with a module's BTF on MODULE_STATE_COMING
 * (docs/design.md §module-loading): parse `.BTF.base` and `.BTF` with the kernel's checks (verify.ts), relocate the
 * split onto the running kernel's BTF when a distilled base is present (btf_relocate with its
 * base_id_map), then remap the module's kfunc set8s through that map and re-sort them, as
 * register_btf_kfunc_id_set does. The verdict is the one the kernel would give: the module
 * loads with BTF; or "failed to validate module [%s] BTF: %d" fails the load
 * (CONFIG_MODULE_ALLOW_BTF_MISMATCH=n) or loads it without BTF (=y).
 */

import type { Btf } from '../model/btf.js';
import type { ElfFile } from '../elf/reader.js';
import { parseBtf } from '../format/parse.js';
import { tryRelocate, formatRelocationFailure, type RelocationFailure } from '../split/relocate.js';
import { verifyKernelModule } from './verify.js';
import { checkNotDistilled, isProblem, type CheckReason } from './check.js';
import { hasBtfIds, parseBtfIds, remapForKernelLoad, decodeBtfIds, BTF_IDS_SECTION, type DecodedBtfIdSet } from './btfids.js';

export interface LoadEmulationInput {
  /** Module name as the kernel knows it (file name without .ko…). */
  name: string;
  btf: Uint8Array;
  btfBase: Uint8Array | null;
  elf: ElfFile | null;
}

export interface LoadEmulationResult {
  /** true: the module loads with its BTF. */
  loadsWithBtf: boolean;
  /** The kernel's log lines (verifier log / relocation warnings / the validate notice). */
  kernelLog: string[];
  /** errno of the failure (positive), 0 on success. */
  errno: number;
  /** The module's BTF as the kernel ends up with it (split on the kernel BTF), when accepted. */
  moduleBtf: Btf | null;
  /** Pre-relocation id → kernel id (distilled modules only). */
  idMap: Uint32Array | null;
  /** The `.BTF_ids` section after the kernel's remapping of kfunc sets (distilled modules). */
  btfIds: Uint8Array | null;
  /** kfunc sets after remapping: ids with their names in the kernel BTF. */
  kfuncSets: { name: string; entries: { id: number; name: string; flags: number }[] }[];
  relocationFailure: RelocationFailure | null;
  /**
   * The verifier's own log lines of a rejected `.BTF.base`/`.BTF` (without the notify notice),
   * which section, and at which stage; empty when the failure is the relocation.
   */
  verifierLog: string[];
  verifierSection: '.BTF.base' | '.BTF' | null;
  verifierStage: string | null;
  /** For modules without `.BTF.base`: evidence that the split does not fit this kernel. */
  mismatch: CheckReason[];
}

export function emulateModuleLoad(mod: LoadEmulationInput, kernel: Btf): LoadEmulationResult {
  const res: LoadEmulationResult = {
    loadsWithBtf: false, kernelLog: [], errno: 0, moduleBtf: null, idMap: null, btfIds: null,
    kfuncSets: [], relocationFailure: null, mismatch: [], verifierLog: [], verifierSection: null, verifierStage: null,
  };
  const v = verifyKernelModule(mod.btf, { vmlinux: kernel, btfBase: mod.btfBase });
  if (!v.ok) {
    res.verifierLog = v.dmesg;
    res.verifierSection = v.section;
    res.verifierStage = v.stage;
    res.errno = v.errno;
    res.kernelLog = kernelLogFor(res, mod.name, false);
    return res;
  }
  if (mod.btfBase) {
    const distilled = parseBtf(mod.btfBase, { section: '.BTF.base' });
    const split = parseBtf(mod.btf, { base: distilled, section: '.BTF' });
    const r = tryRelocate(split, kernel);
    if (!r.ok) {
      res.relocationFailure = r.failure;
      res.errno = r.failure.errno;
      res.kernelLog = kernelLogFor(res, mod.name, false);
      return res;
    }
    res.moduleBtf = r.btf;
    res.idMap = r.idMap;
    if (mod.elf && hasBtfIds(mod.elf)) {
      const layout = parseBtfIds(mod.elf);
      const sec = mod.elf.section(BTF_IDS_SECTION)!;
      res.btfIds = remapForKernelLoad(layout, mod.elf.sectionData(sec), r.idMap);
      res.kfuncSets = describeSets(decodeBtfIds(layout, res.btfIds).sets.filter((s) => s.set.kind === 'set8'), r.btf);
    }
  } else {
    res.moduleBtf = parseBtf(mod.btf, { base: kernel, section: '.BTF' });
    const c = checkNotDistilled(mod.name, mod.btf, { name: 'this kernel', btf: kernel });
    if (isProblem(c)) res.mismatch = c.reasons;
    if (mod.elf && hasBtfIds(mod.elf)) {
      const layout = parseBtfIds(mod.elf);
      const sec = mod.elf.section(BTF_IDS_SECTION)!;
      res.btfIds = mod.elf.sectionData(sec);
      res.kfuncSets = describeSets(decodeBtfIds(layout, res.btfIds).sets.filter((s) => s.set.kind === 'set8'), res.moduleBtf);
    }
  }
  res.loadsWithBtf = true;
  return res;
}

function describeSets(sets: DecodedBtfIdSet[], btf: Btf): { name: string; entries: { id: number; name: string; flags: number }[] }[] {
  return sets.map((s) => ({
    name: s.set.name,
    entries: s.ids.map((id, i) => ({ id, name: id > 0 && id < btf.typeCount() ? btf.name(id) : '(invalid)', flags: s.entryFlags[i] ?? 0 })),
  }));
}

/**
 * The kernel's messages for a rejected module BTF, as a kernel with or without
 * CONFIG_MODULE_ALLOW_BTF_MISMATCH prints them (kernel/bpf/btf.c, Linux 6.12):
 * - the relocation's own warning (btf_relocate, printed either way);
 * - the verifier's log: with the option, the per-type and per-member lines of the module's
 *   split BTF are skipped ("Skip logging when loading module BTF with mismatches permitted");
 * - without it: "failed to validate module [NAME] BTF: -ERRNO" and the load fails; with it:
 *   "Kernel module BTF mismatch detected, BTF debug info may be unavailable for some modules"
 *   (pr_warn_once: once per boot) and the module loads without BTF.
 */
export function kernelLogFor(r: LoadEmulationResult, name: string, allowMismatch: boolean): string[] {
  const log: string[] = [];
  if (r.relocationFailure) log.push(r.relocationFailure.message);
  const typeLevel = allowMismatch && r.verifierSection === '.BTF' && r.verifierStage === 'types';
  if (!typeLevel) log.push(...r.verifierLog);
  log.push(allowMismatch
    ? 'Kernel module BTF mismatch detected, BTF debug info may be unavailable for some modules'
    : `failed to validate module [${name}] BTF: -${r.errno}`);
  return log;
}

/**
 * Readable report of an emulated load, for a kernel with CONFIG_MODULE_ALLOW_BTF_MISMATCH
 * set (true), not set (false), or unknown (null: both outcomes, each with its messages).
 */
export function formatLoadEmulation(name: string, kernelName: string, r: LoadEmulationResult, allowMismatch: boolean | null, moduleName = name, configNote = ''): string {
  const lines: string[] = [];
  if (r.loadsWithBtf) {
    const t = r.moduleBtf!;
    lines.push(`${name}: loads on ${kernelName} with BTF (${t.nTypes} module types, ids ${t.startId}..${t.typeCount() - 1}${r.idMap ? ', relocated from .BTF.base' : ''})`);
    if (r.mismatch.length) {
      lines.push('  warning: the module has no .BTF.base and its BTF does not fit this kernel; the kernel will accept it, but its type information is wrong:');
      for (const m of r.mismatch) lines.push(`    - ${m.detail}`);
    }
    for (const s of r.kfuncSets) {
      lines.push(`  kfunc set ${s.name} (${s.entries.length} entries, sorted by remapped id):`);
      for (const e of s.entries) lines.push(`    [${e.id}] ${e.name}${e.flags ? ` flags 0x${e.flags.toString(16)}` : ''}`);
    }
  } else {
    const outcomes = allowMismatch === null ? [false, true] : [allowMismatch];
    lines.push(`${name}: BTF rejected by ${kernelName} (-${r.errno})${configNote ? `; ${configNote}` : ''}`);
    for (const allow of outcomes) {
      lines.push(allow
        ? `  CONFIG_MODULE_ALLOW_BTF_MISMATCH=y: the module loads WITHOUT BTF; kernel log:`
        : `  CONFIG_MODULE_ALLOW_BTF_MISMATCH not set: the load FAILS; kernel log:`);
      for (const l of kernelLogFor(r, moduleName, allow)) lines.push(`    ${l}`);
    }
    if (r.relocationFailure) {
      lines.push('  why:');
      for (const l of formatRelocationFailure(r.relocationFailure).trimEnd().split('\n').slice(1)) lines.push(`  ${l}`);
    }
  }
  return lines.join('\n');
}
