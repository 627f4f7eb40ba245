/**
 * What the kernel did against what btfkit said it would do.
 *
 * Approach: btfkit's verdict for a module on a kernel is a `btfkit check --json` result;
 * expectedFate() turns it into the module's fate on a kernel with or without
 * CONFIG_MODULE_ALLOW_BTF_MISMATCH (the one place that mapping lives). observedFate() reads the
 * guest's report: finit_module's result and whether /sys/kernel/btf/<module> exists. A refused
 * BTF names its type in the kernel's log the way libbpf does ("distilled base BTF type 'x'
 * [n] ..."), and btfkit's libbpfMessage carries the same sentence, so the names are compared
 * (and the whole sentences counted). Modules the kernel did not load for other reasons
 * (e.g. a symbol this build no longer exports) are counted apart: no BTF verdict to compare.
 */

import type { GuestModule } from './guest.js';

/** The fields of a `btfkit check --json` result the oracle reads. */
export interface CheckVerdict {
  module: string;
  status: string;
  /** Whether the kernel accepts the module's BTF (`loads` before check stated fates). */
  btfAccepted?: boolean;
  loads?: boolean;
  libbpfMessage?: string;
  reasons: { type: string; detail: string }[];
  /** A verdict on the module's fate, when this btfkit's check states one. */
  fate?: string;
}

export type Fate = 'with-btf' | 'without-btf' | 'refused';

/**
 * The fate btfkit states for the module. A `fate` field of check's JSON wins when present;
 * otherwise it follows from `loads` and the kernel's CONFIG_MODULE_ALLOW_BTF_MISMATCH.
 */
export function expectedFate(v: CheckVerdict, allowMismatch: boolean): Fate {
  switch (v.fate) {
    case 'loads-with-btf': return 'with-btf';
    case 'loads-without-btf': return 'without-btf';
    case 'refused': return 'refused';
    case 'refused-or-loads-without-btf': return allowMismatch ? 'without-btf' : 'refused';
    default: break;
  }
  if (btfAccepted(v)) return 'with-btf';
  return allowMismatch ? 'without-btf' : 'refused';
}

/** Does btfkit say the kernel accepts the module's BTF (`btfAccepted`, or `loads` before fates)? */
export function btfAccepted(v: CheckVerdict): boolean {
  return v.btfAccepted ?? v.loads ?? false;
}

/** The fate the kernel gave the module (finit_module result, /sys/kernel/btf/<module>). */
export function observedFate(g: GuestModule): Fate {
  if (g.rc !== 0) return 'refused';
  return g.btfSize >= 0 ? 'with-btf' : 'without-btf';
}

const NAMED_TYPE = /distilled base BTF type '([^']*)'/;

/** The type a relocation message names, or null. */
export function namedType(message: string | undefined): string | null {
  const m = message === undefined ? null : NAMED_TYPE.exec(message);
  return m ? m[1]! : null;
}

/** The kernel's relocation message among a module's log lines, or null. */
export function kernelRelocationMessage(log: readonly string[]): string | null {
  return log.find((l) => NAMED_TYPE.test(l)) ?? null;
}

/** A BTF-related error or warning among log lines (for modules that should register cleanly). */
export function btfErrors(log: readonly string[]): string[] {
  return log.filter((l) => /\bBTF\b|btf|kfunc|BPF:/.test(l) && !/^BTF: .* loaded/.test(l));
}

export interface VerdictCounts {
  modules: number;
  loaded: number;
  notLoaded: { name: string; rc: number; why: string }[];
  keptBtf: number;
  droppedBtf: number;
  /** btfkit said accepted and the kernel kept the BTF / said rejected and the kernel dropped it. */
  agreeAccepted: number;
  agreeRejected: number;
  /** Modules whose fate differs from btfkit's. */
  fateMismatch: { name: string; expected: Fate; observed: Fate; log: string[] }[];
  /** Refused BTF: the kernel names a type, and btfkit names the same one / the same sentence. */
  typeChecked: number;
  typeAgree: number;
  messageAgree: number;
  typeMismatch: { name: string; kernel: string | null; btfkit: string | null }[];
  /** The module was missing from the guest's report (the guest died before it). */
  missing: string[];
}

/** Compares each loaded module's fate (and the type it names) with btfkit's verdict. */
export function compareVerdicts(names: readonly string[], verdicts: ReadonlyMap<string, CheckVerdict>, guest: ReadonlyMap<string, GuestModule>, allowMismatch: boolean): VerdictCounts {
  const c: VerdictCounts = {
    modules: names.length, loaded: 0, notLoaded: [], keptBtf: 0, droppedBtf: 0, agreeAccepted: 0, agreeRejected: 0,
    fateMismatch: [], typeChecked: 0, typeAgree: 0, messageAgree: 0, typeMismatch: [], missing: [],
  };
  for (const name of names) {
    const g = guest.get(name);
    const v = verdicts.get(name);
    if (!g || !g.complete || !v) {
      c.missing.push(name);
      continue;
    }
    if (g.rc !== 0) {
      c.notLoaded.push({ name, rc: g.rc, why: g.log.find((l) => /Unknown symbol|disagrees|invalid|error/i.test(l)) ?? g.log[g.log.length - 1] ?? '' });
      continue;
    }
    c.loaded++;
    const observed = observedFate(g);
    const expected = expectedFate(v, allowMismatch);
    if (observed === 'with-btf') c.keptBtf++;
    else c.droppedBtf++;
    if (observed !== expected) {
      c.fateMismatch.push({ name, expected, observed, log: g.log });
      continue;
    }
    if (observed === 'with-btf') c.agreeAccepted++;
    else c.agreeRejected++;
    const km = kernelRelocationMessage(g.log);
    if (observed !== 'with-btf' && (km !== null || namedType(v.libbpfMessage) !== null)) {
      c.typeChecked++;
      const kt = namedType(km ?? undefined);
      const bt = namedType(v.libbpfMessage);
      if (kt !== null && kt === bt) c.typeAgree++;
      else c.typeMismatch.push({ name, kernel: km, btfkit: v.libbpfMessage ?? null });
      if (km !== null && v.libbpfMessage !== undefined && km.trim() === v.libbpfMessage.trim()) c.messageAgree++;
    }
  }
  return c;
}
