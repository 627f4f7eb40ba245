/**
 * Will this module's BTF load on that kernel, and if not, exactly why?
 *
 * Approach, per module × kernel, mirroring what the kernel does on MODULE_STATE_COMING
 * (docs/design.md §module-loading):
 * * a module with `.BTF.base` is checked with the kernel's own parse rules (verify.ts), then
 *   relocated onto the kernel BTF; every distilled type that cannot be mapped becomes a reason,
 *   in words ("struct device: 744 bytes when built, 752 in 6.1.0-55; embedded by value in
 *   struct foo, member bar"); with the build kernel's BTF the changed fields are listed;
 * * a module without `.BTF.base` is distilled in memory against the build kernel when one is
 *   given, then checked as above; without a build kernel it is "not distilled": its split BTF is
 *   laid over the target kernel as the kernel would do, and references that cannot be right
 *   (type ids or string offsets past the kernel's tables, names landing mid-string, FUNCs whose
 *   type is no FUNC_PROTO) show it was built against another kernel.
 * The result is plain data (the JSON schema of `btfkit check --json`) plus formatting helpers.
 */

import { BtfkitError } from '../errors.js';
import { KindId as Kind, kindName } from '../format/kinds.js';
import { parseBtf } from '../format/parse.js';
import type { Btf } from '../model/btf.js';
import { distillBase } from '../split/distill.js';
import { diagnoseRelocation, type RelocationProblem, type UnmappedType } from '../split/relocate.js';
import { verifyKernelBtf, verifyKernelModule } from './verify.js';
import { diffComposites, explainCompositeDiff, type CompositeDiff } from './structdiff.js';

export type CheckStatus = 'ok' | 'failed' | 'not-distilled' | 'no-btf' | 'error';

/**
 * What the kernel does with the module (kernel/bpf/btf.c btf_module_notify, Linux 6.12): a
 * module without BTF, or whose BTF is accepted, loads; when btf_parse_module fails, the load
 * fails ("failed to validate module [%s] BTF: %ld") unless CONFIG_MODULE_ALLOW_BTF_MISMATCH=y,
 * which loads it without BTF. When the kernel's configuration is unknown, both outcomes are
 * possible: 'refused-or-loads-without-btf'.
 */
export type ModuleFate = 'loads-with-btf' | 'loads-without-btf' | 'refused' | 'refused-or-loads-without-btf';

/** The configuration option that decides a module's fate when its BTF is rejected (null: unknown). */
export interface KernelBtfConfig {
  /** CONFIG_MODULE_ALLOW_BTF_MISMATCH: true (=y), false (not set), null (configuration unknown). */
  allowBtfMismatch: boolean | null;
}

/** The fate of a module whose BTF is accepted (true), rejected (false) or absent (null). */
export function moduleFate(btfAccepted: boolean | null, allowBtfMismatch: boolean | null, btfModules: boolean | null = null): ModuleFate {
  // Without CONFIG_DEBUG_INFO_BTF_MODULES the kernel never looks at a module's BTF.
  if (btfAccepted === null || btfModules === false) return 'loads-without-btf';
  if (btfAccepted) return 'loads-with-btf';
  if (allowBtfMismatch === null) return 'refused-or-loads-without-btf';
  return allowBtfMismatch ? 'loads-without-btf' : 'refused';
}

/** The fate in words: "loads without BTF (CONFIG_MODULE_ALLOW_BTF_MISMATCH=y)". */
export function fateText(f: ModuleFate): string {
  switch (f) {
    case 'loads-with-btf': return 'loads with BTF';
    case 'loads-without-btf': return 'loads without BTF';
    case 'refused': return 'load refused';
    case 'refused-or-loads-without-btf': return 'load refused if CONFIG_MODULE_ALLOW_BTF_MISMATCH is off, loads without BTF if =y (kernel configuration unknown)';
  }
}

/**
 * What a check reason is about: a relocation problem of one distilled type (RelocationProblem),
 * or 'string' (a split string names no base type), 'relocation' (relocation failed otherwise),
 * 'invalid-btf' (the kernel or libbpf rejects the BTF), 'mismatch' (split BTF built against
 * another kernel), 'not-distilled', 'invalid-input' (the file cannot be read), 'crash' (a worker died).
 */
export type CheckProblem = RelocationProblem | 'string' | 'relocation' | 'invalid-btf' | 'mismatch' | 'not-distilled' | 'no-btf' | 'invalid-input' | 'crash';

export interface CheckReason {
  /** Type (or item) concerned, e.g. "struct device"; '' when not about one type. */
  type: string;
  /** BTF kind of the type ('STRUCT', …) or the area ('BTF', 'ELF'). */
  kind: string;
  /** Machine-readable problem (CheckProblem). */
  problem: CheckProblem;
  /** One sentence for a module maintainer. */
  detail: string;
  /**
   * With a build kernel, size problems of a struct/union: what changed inside it, root changes
   * first (nested structs opened to the field that changed, later fields that only moved
   * collapsed into one line); see structdiff.ts explainCompositeDiff.
   */
  changes?: string[];
}

export interface ModuleCheckResult {
  module: string;
  kernel: string;
  status: CheckStatus;
  /** Does the kernel accept the module's BTF (ok, or not-distilled but consistent)? false also for no-btf and error. */
  btfAccepted: boolean;
  /** What the kernel does with the module, given its CONFIG_MODULE_ALLOW_BTF_MISMATCH. */
  fate: ModuleFate;
  reasons: CheckReason[];
  /** The first libbpf/kernel message, as libbpf prints it (without `libbpf: `), for failures. */
  libbpfMessage?: string;
}

export interface KernelRef {
  /** Display name, e.g. "6.1.0-55" or the file name. */
  name: string;
  btf: Btf;
  /** CONFIG_MODULE_ALLOW_BTF_MISMATCH of this kernel (true =y, false off, null/absent unknown). */
  allowBtfMismatch?: boolean | null;
  /** CONFIG_DEBUG_INFO_BTF_MODULES (false: module BTF is never read; null/absent unknown). */
  btfModules?: boolean | null;
}

/** A result with its fate filled in from the kernel's configuration. */
function verdict(kernel: KernelRef, r: Omit<ModuleCheckResult, 'fate'>): ModuleCheckResult {
  const accepted = r.status === 'no-btf' ? null : r.status === 'error' ? false : r.btfAccepted;
  const fate = moduleFate(r.status === 'error' ? false : accepted, kernel.allowBtfMismatch ?? null, kernel.btfModules ?? null);
  const out: ModuleCheckResult = { module: r.module, kernel: r.kernel, status: r.status, btfAccepted: r.btfAccepted, fate, reasons: r.reasons };
  if (r.libbpfMessage !== undefined) out.libbpfMessage = r.libbpfMessage;
  return out;
}

/** The verdict for a module without a `.BTF` section: the kernel loads it, without BTF. */
export function noBtfResult(module: string, kernel: KernelRef): ModuleCheckResult {
  return verdict(kernel, {
    module, kernel: kernel.name, status: 'no-btf', btfAccepted: false,
    reasons: [{ type: '', kind: 'ELF', problem: 'no-btf', detail: 'no .BTF section: the kernel loads it without BTF (usual for out-of-tree modules built without vmlinux; btfkit distill skips it)' }],
  });
}

export interface ModuleBtfInput {
  /** Display name of the module (path or file name). */
  name: string;
  /** Raw `.BTF` section. */
  btf: Uint8Array;
  /** Raw `.BTF.base` section, if the module has one. */
  btfBase: Uint8Array | null;
}

const sizeOf = (b: Btf, id: number): number => b.size(id);

function kindWord(kind: string): string {
  switch (kind) {
    case 'STRUCT': return 'struct';
    case 'UNION': return 'union';
    case 'ENUM': case 'ENUM64': return 'enum';
    case 'FWD': return 'struct/union (forward)';
    case 'INT': return 'int';
    case 'FLOAT': return 'float';
    default: return kind.toLowerCase();
  }
}

/** "struct device" / "int 'long int'" style label. */
export function typeLabel(kind: string, name: string): string {
  const w = kindWord(kind);
  return w === 'int' || w === 'float' ? name : `${w} ${name}`;
}

/** The reason for one unmapped distilled type, in a maintainer's words. */
function reasonFor(u: UnmappedType, kernel: string, build: Btf | null, target: Btf): CheckReason {
  const label = typeLabel(u.kind, u.name);
  const where = u.embeddedIn.length
    ? `; embedded by value in ${u.embeddedIn.slice(0, 4).map((e) => `${e.typeName}, member ${e.member || '(anon)'}`).join('; ')}${u.embeddedIn.length > 4 ? ` and ${u.embeddedIn.length - 4} more` : ''}`
    : '';
  let detail: string;
  switch (u.problem) {
    case 'missing':
      detail = `${label}: not in ${kernel} (no type of that name)`;
      break;
    case 'size': {
      const sizes = [...new Set(u.candidates.map((c) => c.size).filter((s): s is number => s !== undefined))];
      detail = `${label}: ${u.distilledSize} bytes when built, ${sizes.length ? sizes.join(' or ') : '?'} in ${kernel}${where}`;
      break;
    }
    case 'encoding':
      detail = `${label}: integer encoding differs in ${kernel} (${u.candidates.map((c) => c.note ?? '').filter(Boolean).join(', ')})`;
      break;
    case 'kind':
      detail = `${label}: ${kernel} has ${u.candidates.map((c) => `${c.kind.toLowerCase()}${c.note ? ` (${c.note})` : ''}`).join(', ')} of that name, which cannot stand for it`;
      break;
    case 'multiple':
      detail = `${label}: ambiguous in ${kernel}, several types match (ids ${u.candidates.map((c) => c.id).join(', ')})`;
      break;
    default:
      detail = `${label}: ${u.reason}`;
  }
  const r: CheckReason = { type: label, kind: u.kind, problem: u.problem, detail };
  if (build && (u.problem === 'size') && (u.kind === 'STRUCT' || u.kind === 'UNION')) {
    const ids = compositeIds(build, target, u.name, u.kind === 'UNION' ? Kind.UNION : Kind.STRUCT, u.distilledSize);
    if (ids) r.changes = explainCompositeDiff(build, ids[0], target, ids[1]);
  }
  return r;
}

/** The ids of the named composite in the build kernel (the one with `sizeBefore`) and the target. */
function compositeIds(build: Btf, target: Btf, name: string, kind: number, sizeBefore: number): [number, number] | null {
  const pick = (b: Btf, size: number | null): number => {
    let first = -1;
    for (const id of b.findAllByName(name)) {
      if (b.kind(id) !== kind) continue;
      if (size === null || sizeOf(b, id) === size) return id;
      if (first < 0) first = id;
    }
    return size === null ? -1 : first;
  };
  const a = pick(build, sizeBefore);
  const t = pick(target, null);
  return a < 0 || t < 0 ? null : [a, t];
}

/** Diff of the named composite between the build kernel (the one with `sizeBefore`) and the target. */
export function compositeDiff(build: Btf, target: Btf, name: string, kind: number, sizeBefore: number): CompositeDiff | null {
  const ids = compositeIds(build, target, name, kind, sizeBefore);
  return ids ? diffComposites(build, ids[0], target, ids[1]) : null;
}

function verdictFromFailure(module: string, kernel: KernelRef, split: Btf, build: Btf | null): ModuleCheckResult {
  const f = diagnoseRelocation(split, kernel.btf);
  if (!f) return verdict(kernel, { module, kernel: kernel.name, status: 'ok', btfAccepted: true, reasons: [] });
  const reasons = f.unmapped.map((u) => reasonFor(u, kernel.name, build, kernel.btf));
  for (const s of f.unmappedStrings) {
    reasons.push({ type: '', kind: 'BTF', problem: 'string', detail: `type [${s.typeId}] refers to distilled-base string '${s.string}' (offset ${s.offset}) that names no base type` });
  }
  if (!reasons.length) reasons.push({ type: '', kind: 'BTF', problem: 'relocation', detail: f.message });
  return verdict(kernel, { module, kernel: kernel.name, status: 'failed', btfAccepted: false, reasons, libbpfMessage: f.message });
}

function errorResult(module: string, kernel: KernelRef, e: unknown): ModuleCheckResult {
  const msg = e instanceof BtfkitError ? e.describe() : (e as Error).message;
  return verdict(kernel, { module, kernel: kernel.name, status: 'error', btfAccepted: false, reasons: [{ type: '', kind: 'BTF', problem: 'invalid-btf', detail: msg }] });
}

/**
 * Prepared module: parsed once, checked against many kernels. `distilled` is the split over
 * its distilled base (from `.BTF.base`, or distilled in memory against the build kernel).
 */
export interface PreparedModule {
  name: string;
  input: ModuleBtfInput;
  distilled: Btf | null;
  /** Why the module could not be prepared (bad BTF), if so. */
  error: unknown;
  /** True when the module has its own `.BTF.base`. */
  hasBase: boolean;
}

export function prepareModule(input: ModuleBtfInput, build: Btf | null): PreparedModule {
  const p: PreparedModule = { name: input.name, input, distilled: null, error: null, hasBase: input.btfBase !== null };
  try {
    if (input.btfBase) {
      const base = parseBtf(input.btfBase, { section: '.BTF.base' });
      p.distilled = parseBtf(input.btf, { base, section: '.BTF' });
    } else if (build) {
      p.distilled = distillBase(parseBtf(input.btf, { base: build, section: '.BTF' })).split;
    }
  } catch (e) {
    p.error = e;
  }
  return p;
}

/** Check one prepared module against one kernel. */
export function checkPrepared(p: PreparedModule, kernel: KernelRef, build: Btf | null): ModuleCheckResult {
  if (p.error) return errorResult(p.name, kernel, p.error);
  if (p.hasBase) {
    // The kernel's own parse rules first: a .BTF.base or .BTF it rejects never gets relocated.
    const v = verifyKernelModule(p.input.btf, { vmlinux: kernel.btf, btfBase: p.input.btfBase });
    if (!v.ok) {
      return verdict(kernel, {
        module: p.name, kernel: kernel.name, status: 'failed', btfAccepted: false,
        reasons: [{ type: '', kind: 'BTF', problem: 'invalid-btf', detail: `the kernel rejects ${v.section}: ${v.message}${v.log.length ? ` (${v.log[v.log.length - 1]})` : ''}` }],
        libbpfMessage: v.message,
      });
    }
  }
  if (p.distilled) {
    try {
      return verdictFromFailure(p.name, kernel, p.distilled, build);
    } catch (e) {
      return errorResult(p.name, kernel, e);
    }
  }
  return checkNotDistilled(p.name, p.input.btf, kernel);
}

/** Check a module's BTF sections against a kernel (optionally with the build kernel's BTF). */
export function checkModuleBtf(input: ModuleBtfInput, kernel: KernelRef, build: Btf | null = null): ModuleCheckResult {
  return checkPrepared(prepareModule(input, build), kernel, build);
}

/**
 * A module without `.BTF.base` over the target kernel: the kernel parses its split BTF on
 * vmlinux as is. Find the evidence that it was built against a different kernel.
 */
export function checkNotDistilled(module: string, btfBytes: Uint8Array, kernel: KernelRef): ModuleCheckResult {
  const fix = 'rebuild it against this kernel, or make it resilient: btfkit distill MODULE --base <BTF of the kernel it was built for>';
  const notDistilled = (accepted: boolean, reasons: CheckReason[]): ModuleCheckResult => verdict(kernel, { module, kernel: kernel.name, status: 'not-distilled', btfAccepted: accepted, reasons });
  const v = verifyKernelBtf(btfBytes, { what: 'module', base: kernel.btf });
  if (!v.ok) {
    return notDistilled(false, [{
      type: '', kind: 'BTF', problem: 'mismatch',
      detail: `no .BTF.base: its split BTF was built for another kernel, so its type ids and names point into different base types of ${kernel.name}, and the kernel rejects it; ${fix} (kernel verifier: ${v.message})`,
    }]);
  }
  const split = v.btf;
  const base = kernel.btf;
  const evidence = findMismatches(split, base);
  if (evidence.length === 0) {
    return notDistilled(true, [{ type: '', kind: 'BTF', problem: 'not-distilled', detail: `no .BTF.base; its split BTF is consistent with ${kernel.name} (it was probably built against it)` }]);
  }
  // The kernel's own checks pass: it accepts this BTF, and its type information is wrong.
  return notDistilled(true, [
    { type: '', kind: 'BTF', problem: 'mismatch', detail: `no .BTF.base, and its split BTF does not fit ${kernel.name}: it was built against a different kernel (the kernel accepts it, but its type information is wrong); ${fix}` },
    ...evidence.slice(0, 8),
  ]);
}

/** Evidence that split BTF laid over `base` was built against another base. */
function findMismatches(split: Btf, base: Btf): CheckReason[] {
  const out: CheckReason[] = [];
  const bstr = base.raw().strs;
  const bStrEnd = base.startStrOff + base.strLen;
  let midString = 0;
  let example = -1;
  const startStr = split.startStrOff;
  const words = split.raw().words;
  for (let i = 0; i < split.nTypes; i++) {
    const o = split.raw().offs[i]!;
    const off = words[o]!;
    if (off !== 0 && off < startStr && off < bStrEnd) {
      const local = off - base.startStrOff;
      if (local > 0 && bstr[local - 1] !== 0) {
        midString++;
        if (example < 0) example = split.startId + i;
      }
    }
  }
  if (midString) {
    out.push({ type: '', kind: 'BTF', problem: 'mismatch', detail: `${midString} type name${midString === 1 ? '' : 's'} point into the middle of strings of this kernel's string table (first: type [${example}])` });
  }
  let badFunc = 0;
  let badRef = 0;
  const cnt = split.typeCount();
  for (let id = split.startId; id < cnt; id++) {
    const k = split.kind(id);
    if (k === Kind.FUNC) {
      const t = split.type(id);
      if (t < split.startId && base.kind(t) !== Kind.FUNC_PROTO) badFunc++;
    } else if (k === Kind.STRUCT || k === Kind.UNION) {
      for (let m = 0; m < split.vlen(id); m++) {
        const t = split.memberType(id, m);
        if (t > 0 && t < split.startId) {
          const bk = base.kind(t);
          if (bk === Kind.FUNC || bk === Kind.FUNC_PROTO || bk === Kind.VAR || bk === Kind.DATASEC || bk === Kind.DECL_TAG) badRef++;
        }
      }
    }
  }
  if (badFunc) out.push({ type: '', kind: 'FUNC', problem: 'mismatch', detail: `${badFunc} function${badFunc === 1 ? '' : 's'} refer to base types that are not function prototypes in this kernel` });
  if (badRef) out.push({ type: '', kind: 'STRUCT', problem: 'mismatch', detail: `${badRef} struct member${badRef === 1 ? '' : 's'} have base types of impossible kinds (functions, variables) in this kernel` });
  return out;
}

/** Is the result a problem (exit status 1): BTF rejected, unreadable, or accepted but wrong? */
export function isProblem(r: ModuleCheckResult): boolean {
  if (r.status === 'ok' || r.status === 'no-btf') return false;
  if (r.status === 'not-distilled') return r.reasons.some((x) => x.problem === 'mismatch');
  return true;
}

/** The verdict word of a result: OK, BTF REJECTED, NO BTF, ... */
export function statusLabel(r: ModuleCheckResult): string {
  switch (r.status) {
    case 'ok': return 'OK';
    case 'failed': return 'BTF REJECTED';
    case 'no-btf': return 'NO BTF';
    case 'error': return 'ERROR';
    case 'not-distilled':
      if (!r.btfAccepted) return 'BTF REJECTED (not distilled)';
      return isProblem(r) ? 'BTF ACCEPTED BUT WRONG (not distilled)' : 'OK (not distilled)';
  }
}

export interface FormatOptions {
  /** Change lines shown per reason (default 4); Infinity with --verbose. */
  maxChanges?: number;
  /** The kernel's CONFIG_DEBUG_INFO_BTF_MODULES, when known (false: module BTF is never read). */
  btfModules?: boolean | null;
}

/** Readable lines for one result: the verdict and the module's fate, then the reasons, indented. */
export function formatCheckResult(r: ModuleCheckResult, opts: FormatOptions = {}): string {
  const max = opts.maxChanges ?? 4;
  const why = r.status === 'no-btf' ? ''
    : opts.btfModules === false ? ' (CONFIG_DEBUG_INFO_BTF_MODULES is not set: the kernel never reads module BTF)'
    : r.btfAccepted ? '' : r.fate === 'loads-without-btf' ? ' (CONFIG_MODULE_ALLOW_BTF_MISMATCH=y)' : r.fate === 'refused' ? ' (CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set)' : '';
  const lines = [`${r.module} on ${r.kernel}: ${statusLabel(r)}; ${fateText(r.fate)}${why}`];
  if (r.status !== 'ok' && !(r.status === 'not-distilled' && !isProblem(r))) {
    for (const reason of r.reasons) {
      lines.push(`  - ${reason.detail}`);
      lines.push(...changeLines(reason.changes ?? [], max, '      '));
    }
  }
  return lines.join('\n');
}

/** At most `max` change lines (indented), then how many more --verbose would show. */
export function changeLines(changes: readonly string[], max: number, indent: string): string[] {
  const shown = changes.slice(0, max).map((c) => indent + c);
  if (changes.length > max) shown.push(`${indent}(${changes.length - max} more line${changes.length - max === 1 ? '' : 's'}; --verbose shows all)`);
  return shown;
}

export { kindName };
