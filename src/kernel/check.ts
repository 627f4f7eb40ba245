/**
 * Will this module's BTF load on that kernel, and if not, exactly why?
 *
 * Approach, per module × kernel, mirroring what the kernel does on MODULE_STATE_COMING
 * (spec §4.5):
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
import { diffComposites, formatCompositeDiff, type CompositeDiff } from './structdiff.js';

export type CheckStatus = 'ok' | 'failed' | 'not-distilled' | 'error';

/**
 * What a check reason is about: a relocation problem of one distilled type (RelocationProblem),
 * or 'string' (a split string names no base type), 'relocation' (relocation failed otherwise),
 * 'invalid-btf' (the kernel or libbpf rejects the BTF), 'mismatch' (split BTF built against
 * another kernel), 'not-distilled', 'invalid-input' (the file cannot be read), 'crash' (a worker died).
 */
export type CheckProblem = RelocationProblem | 'string' | 'relocation' | 'invalid-btf' | 'mismatch' | 'not-distilled' | 'invalid-input' | 'crash';

export interface CheckReason {
  /** Type (or item) concerned, e.g. "struct device"; '' when not about one type. */
  type: string;
  /** BTF kind of the type ('STRUCT', …) or the area ('BTF', 'ELF'). */
  kind: string;
  /** Machine-readable problem (CheckProblem). */
  problem: CheckProblem;
  /** One sentence for a module maintainer. */
  detail: string;
  /** With a build kernel: what changed inside the struct/union. */
  changes?: string[];
}

export interface ModuleCheckResult {
  module: string;
  kernel: string;
  status: CheckStatus;
  /** Would the kernel accept the module's BTF (ok, or not-distilled but consistent)? */
  loads: boolean;
  reasons: CheckReason[];
  /** The first libbpf/kernel message, as libbpf prints it (without `libbpf: `), for failures. */
  libbpfMessage?: string;
}

export interface KernelRef {
  /** Display name, e.g. "6.1.0-55" or the file name. */
  name: string;
  btf: Btf;
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
    const d = compositeDiff(build, target, u.name, u.kind === 'UNION' ? Kind.UNION : Kind.STRUCT, u.distilledSize);
    if (d) r.changes = formatCompositeDiff(d);
  }
  return r;
}

/** Diff of the named composite between the build kernel (the one with `sizeBefore`) and the target. */
export function compositeDiff(build: Btf, target: Btf, name: string, kind: number, sizeBefore: number): CompositeDiff | null {
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
  if (a < 0 || t < 0) return null;
  return diffComposites(build, a, target, t);
}

function verdictFromFailure(module: string, kernel: KernelRef, split: Btf, build: Btf | null): ModuleCheckResult {
  const f = diagnoseRelocation(split, kernel.btf);
  if (!f) return { module, kernel: kernel.name, status: 'ok', loads: true, reasons: [] };
  const reasons = f.unmapped.map((u) => reasonFor(u, kernel.name, build, kernel.btf));
  for (const s of f.unmappedStrings) {
    reasons.push({ type: '', kind: 'BTF', problem: 'string', detail: `type [${s.typeId}] refers to distilled-base string '${s.string}' (offset ${s.offset}) that names no base type` });
  }
  if (!reasons.length) reasons.push({ type: '', kind: 'BTF', problem: 'relocation', detail: f.message });
  return { module, kernel: kernel.name, status: 'failed', loads: false, reasons, libbpfMessage: f.message };
}

function errorResult(module: string, kernel: string, e: unknown): ModuleCheckResult {
  const msg = e instanceof BtfkitError ? e.describe() : (e as Error).message;
  return { module, kernel, status: 'error', loads: false, reasons: [{ type: '', kind: 'BTF', problem: 'invalid-btf', detail: msg }] };
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
  if (p.error) return errorResult(p.name, kernel.name, p.error);
  if (p.hasBase) {
    // The kernel's own parse rules first: a .BTF.base or .BTF it rejects never gets relocated.
    const v = verifyKernelModule(p.input.btf, { vmlinux: kernel.btf, btfBase: p.input.btfBase });
    if (!v.ok) {
      return {
        module: p.name, kernel: kernel.name, status: 'failed', loads: false,
        reasons: [{ type: '', kind: 'BTF', problem: 'invalid-btf', detail: `the kernel rejects ${v.section}: ${v.message}${v.log.length ? ` (${v.log[v.log.length - 1]})` : ''}` }],
        libbpfMessage: v.message,
      };
    }
  }
  if (p.distilled) {
    try {
      return verdictFromFailure(p.name, kernel, p.distilled, build);
    } catch (e) {
      return errorResult(p.name, kernel.name, e);
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
  const notDistilled = (loads: boolean, reasons: CheckReason[]): ModuleCheckResult => ({ module, kernel: kernel.name, status: 'not-distilled', loads, reasons });
  const v = verifyKernelBtf(btfBytes, { what: 'module', base: kernel.btf });
  if (!v.ok) {
    return notDistilled(false, [{
      type: '', kind: 'BTF', problem: 'mismatch',
      detail: `no .BTF.base, and the kernel rejects its split BTF on ${kernel.name}: ${v.message} — it was built against a different kernel; ${fix}`,
    }]);
  }
  const split = v.btf;
  const base = kernel.btf;
  const evidence = findMismatches(split, base);
  if (evidence.length === 0) {
    return notDistilled(true, [{ type: '', kind: 'BTF', problem: 'not-distilled', detail: `no .BTF.base; its split BTF is consistent with ${kernel.name} (it was probably built against it)` }]);
  }
  return notDistilled(false, [
    { type: '', kind: 'BTF', problem: 'mismatch', detail: `no .BTF.base, and its split BTF does not fit ${kernel.name}: it was built against a different kernel; ${fix}` },
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

/** Readable lines for one result: "OK" or the reasons, indented. */
export function formatCheckResult(r: ModuleCheckResult): string {
  const head = `${r.module} on ${r.kernel}: ${r.status === 'ok' ? 'OK' : r.status === 'not-distilled' ? (r.loads ? 'OK (not distilled)' : 'WILL NOT LOAD (not distilled)') : r.status === 'error' ? 'ERROR' : 'WILL NOT LOAD'}`;
  const lines = [head];
  if (r.status !== 'ok' && !(r.status === 'not-distilled' && r.loads)) {
    for (const reason of r.reasons) {
      lines.push(`  - ${reason.detail}`);
      for (const c of reason.changes ?? []) lines.push(`      ${c}`);
    }
  }
  return lines.join('\n');
}

export { kindName };
