/**
 * The report of a module-tree check: the documented JSON schema of `btfkit check --json`
 * (also embedded in `--html` pages), the end-of-run summary table (per kernel: ok / BTF
 * rejected / not distilled / no BTF / errors, the modules' fates, and the types that break the
 * most modules), and the grouped text a maintainer reads: per kernel, per cause (a type that
 * changed), the root change and how many modules it breaks.
 *
 * Approach: results are added one at a time in any order (workers finish out of order); the
 * builder keeps per-kernel counters, per-kernel "cause → modules" groups (names only), and
 * keeps the results themselves only when asked (for --json / --html): a text-only run stays
 * small in memory. `report()` sorts results by module, then kernel in `--kernel` order, so the
 * JSON is the same whatever the number of workers.
 *
 * JSON schema (top level object):
 *   {
 *     "kernels": [                       // one per --kernel, in --kernel order
 *       { "name": string,                // display name (NAME=PATH, or derived from the path)
 *         "path": string,                // the BTF file checked against
 *         "allowBtfMismatch": boolean | null, // CONFIG_MODULE_ALLOW_BTF_MISMATCH (null: unknown)
 *         "btfModules": boolean | null,  // CONFIG_DEBUG_INFO_BTF_MODULES (false: module BTF is
 *                                        // never read, every module loads without BTF)
 *         "config": string | null,       // where the configuration was read, null: not found
 *         "ok": number,                  // modules whose BTF is accepted (status "ok")
 *         "failed": number,              // modules whose BTF the kernel rejects (status "failed")
 *         "notDistilled": number,        // modules without .BTF.base (and no --build-kernel)
 *         "noBtf": number,               // modules without a .BTF section (status "no-btf")
 *         "errors": number,              // modules that could not be read or parsed
 *         "fates": {                     // what the kernel does with the modules (results[].fate)
 *           "loadsWithBtf": number, "loadsWithoutBtf": number, "refused": number,
 *           "refusedOrLoadsWithoutBtf": number } }
 *     ],
 *     "results": [                       // one per module × kernel, sorted by module, then kernel
 *       { "module": string,              // the module path as found
 *         "kernel": string,              // kernels[].name
 *         "status": "ok" | "failed" | "not-distilled" | "no-btf" | "error",
 *         "btfAccepted": boolean,        // does the kernel accept the module's BTF
 *         "fate": "loads-with-btf" | "loads-without-btf" | "refused" |
 *                 "refused-or-loads-without-btf",  // the last when the configuration is unknown
 *         "reasons": [                   // empty when ok
 *           { "type": string,            // "struct device", or "" when not about one type
 *             "kind": string,            // BTF kind ("STRUCT", "UNION", …) or area ("BTF", "ELF")
 *             "problem": string,         // missing | size | encoding | kind | multiple | string |
 *                                        // relocation | invalid-btf | invalid-input | mismatch |
 *                                        // not-distilled | no-btf | crash
 *             "detail": string,          // one sentence for a module maintainer
 *             "changes"?: string[] }     // with --build-kernel, size problems: what changed,
 *                                        // root changes first (structdiff.ts)
 *         ],
 *         "libbpfMessage"?: string }     // failures: libbpf's first message (without "libbpf: ")
 *     ],
 *     "topTypes": [                      // per kernel, the types that break the most modules
 *       { "kernel": string, "type": string, "modules": number }
 *     ]
 *   }
 * Changed in 0.2: "loads" became "btfAccepted"; "fate", "noBtf", "fates", "allowBtfMismatch"
 * "btfModules" and "config" are new; status "no-btf" is new (a module without .BTF was an "error").
 */

import { changeLines, fateText, isProblem, type ModuleCheckResult, type ModuleFate } from './check.js';

export interface FateCounts {
  loadsWithBtf: number;
  loadsWithoutBtf: number;
  refused: number;
  refusedOrLoadsWithoutBtf: number;
}

export interface KernelSummary {
  name: string;
  path: string;
  allowBtfMismatch: boolean | null;
  btfModules: boolean | null;
  config: string | null;
  ok: number;
  failed: number;
  notDistilled: number;
  noBtf: number;
  errors: number;
  fates: FateCounts;
}

export interface CheckReport {
  kernels: KernelSummary[];
  results: ModuleCheckResult[];
  topTypes: { kernel: string; type: string; modules: number }[];
}

/** A kernel as the report names it (its configuration, when known). */
export interface ReportKernel {
  name: string;
  path: string;
  allowBtfMismatch?: boolean | null;
  btfModules?: boolean | null;
  config?: string | null;
}

/** One cause on one kernel: a reason shared by several modules. */
export interface CauseGroup {
  kernel: string;
  type: string;
  problem: string;
  /** The reason's sentence without the per-module part ("; embedded by value in ..."). */
  detail: string;
  changes: string[];
  modules: string[];
}

const FATE_KEY: Record<ModuleFate, keyof FateCounts> = {
  'loads-with-btf': 'loadsWithBtf',
  'loads-without-btf': 'loadsWithoutBtf',
  refused: 'refused',
  'refused-or-loads-without-btf': 'refusedOrLoadsWithoutBtf',
};

export interface GroupedTextOptions {
  /** Causes shown per kernel (default 12). */
  maxCauses?: number;
  /** Change lines per cause (default 4). */
  maxChanges?: number;
  /** Example modules per cause (default 3). */
  maxModules?: number;
}

export class ReportBuilder {
  private readonly kernels: KernelSummary[];
  private readonly byName = new Map<string, KernelSummary>();
  private readonly typeCounts = new Map<string, Map<string, number>>();
  private readonly causes = new Map<string, Map<string, CauseGroup>>();
  readonly results: ModuleCheckResult[] = [];
  private problems = 0;

  constructor(kernels: ReportKernel[], private readonly keepResults = true) {
    this.kernels = kernels.map((k) => ({
      name: k.name, path: k.path, allowBtfMismatch: k.allowBtfMismatch ?? null, btfModules: k.btfModules ?? null, config: k.config ?? null,
      ok: 0, failed: 0, notDistilled: 0, noBtf: 0, errors: 0,
      fates: { loadsWithBtf: 0, loadsWithoutBtf: 0, refused: 0, refusedOrLoadsWithoutBtf: 0 },
    }));
    for (const k of this.kernels) {
      this.byName.set(k.name, k);
      this.typeCounts.set(k.name, new Map());
      this.causes.set(k.name, new Map());
    }
  }

  add(r: ModuleCheckResult): void {
    if (isProblem(r)) this.problems++;
    const k = this.byName.get(r.kernel);
    if (k) {
      if (r.status === 'ok') k.ok++;
      else if (r.status === 'failed') k.failed++;
      else if (r.status === 'not-distilled') k.notDistilled++;
      else if (r.status === 'no-btf') k.noBtf++;
      else k.errors++;
      k.fates[FATE_KEY[r.fate]]++;
      if (r.status === 'failed') {
        const m = this.typeCounts.get(r.kernel)!;
        const seen = new Set<string>();
        for (const reason of r.reasons) {
          if (reason.type && !seen.has(reason.type)) {
            seen.add(reason.type);
            m.set(reason.type, (m.get(reason.type) ?? 0) + 1);
          }
        }
      }
      if (isProblem(r)) this.addCauses(r);
    }
    if (this.keepResults) this.results.push(r);
  }

  /** Files the result under each of its causes (a module counts once per cause). */
  private addCauses(r: ModuleCheckResult): void {
    const groups = this.causes.get(r.kernel)!;
    const seen = new Set<string>();
    // Not-distilled evidence lines and errors name one module each: group them by problem.
    const reasons = r.status === 'failed' ? r.reasons : r.reasons.slice(0, 1);
    for (const reason of reasons) {
      const detail = r.status === 'failed' ? reason.detail.replace(/; embedded by value in .*$/, '') : '';
      const key = r.status === 'failed' ? `${reason.type}\0${reason.problem}\0${detail}` : `\0${r.status}\0${reason.problem}\0${r.btfAccepted}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let g = groups.get(key);
      if (!g) {
        const problem = r.status === 'failed' ? reason.problem : r.status === 'not-distilled' && r.btfAccepted ? 'not-distilled-accepted' : r.status;
        g = { kernel: r.kernel, type: reason.type, problem, detail, changes: reason.changes ?? [], modules: [] };
        groups.set(key, g);
      }
      g.modules.push(r.module);
    }
  }

  /** Would every module added so far be fine on every kernel (no BTF rejected, no error)? */
  get allLoad(): boolean {
    return this.problems === 0;
  }

  /** Per-kernel counters so far (copies), in --kernel order. */
  summaries(): KernelSummary[] {
    return this.kernels.map((k) => ({ ...k, fates: { ...k.fates } }));
  }

  topTypes(limit = 5): { kernel: string; type: string; modules: number }[] {
    const out: { kernel: string; type: string; modules: number }[] = [];
    for (const k of this.kernels) {
      const m = this.typeCounts.get(k.name)!;
      const top = [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
      for (const [type, modules] of top) out.push({ kernel: k.name, type, modules });
    }
    return out;
  }

  /** The causes on one kernel, the ones breaking the most modules first. */
  causesOf(kernel: string): CauseGroup[] {
    const g = [...(this.causes.get(kernel)?.values() ?? [])];
    return g.sort((a, b) => b.modules.length - a.modules.length || (a.type < b.type ? -1 : a.type > b.type ? 1 : a.detail < b.detail ? -1 : 1));
  }

  report(): CheckReport {
    const order = new Map(this.kernels.map((k, i) => [k.name, i]));
    const results = [...this.results].sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : order.get(a.kernel)! - order.get(b.kernel)!));
    return { kernels: this.summaries(), results, topTypes: this.topTypes(10) };
  }

  /**
   * Per kernel: its configuration and what happens to the modules with a problem, then each
   * cause once (root change first, a few example modules), the biggest first.
   */
  groupedText(opts: GroupedTextOptions = {}): string {
    const maxCauses = opts.maxCauses ?? 12;
    const maxChanges = opts.maxChanges ?? 4;
    const maxModules = opts.maxModules ?? 3;
    const lines: string[] = [];
    for (const k of this.kernels) {
      const causes = this.causesOf(k.name);
      if (causes.length === 0) continue;
      if (lines.length) lines.push('');
      const wrong = causes.filter((c) => c.problem === 'not-distilled-accepted').reduce((n, c) => n + c.modules.length, 0);
      const rejected = k.failed + k.errors + causes.filter((c) => c.problem === 'not-distilled').reduce((n, c) => n + c.modules.length, 0);
      const parts = [];
      if (rejected) parts.push(`${rejected} module${rejected === 1 ? '' : 's'} with BTF it rejects`);
      if (wrong) parts.push(`${wrong} with BTF it accepts but that does not fit`);
      lines.push(`${k.name}: ${parts.join(', ')}; ${kernelConfigText(k)}`);
      for (const c of causes.slice(0, maxCauses)) {
        const n = c.modules.length;
        const ex = [...c.modules].sort().slice(0, maxModules).map((m) => m.slice(m.lastIndexOf('/') + 1));
        const what = c.type ? c.detail : causeText(c.problem);
        lines.push(`  ${what}`);
        lines.push(...changeLines(c.changes, maxChanges, '      '));
        lines.push(`      ${n} module${n === 1 ? '' : 's'}: ${ex.join(', ')}${n > ex.length ? ` and ${n - ex.length} more` : ''}`);
      }
      if (causes.length > maxCauses) {
        const rest = causes.slice(maxCauses);
        lines.push(`  and ${rest.length} more cause${rest.length === 1 ? '' : 's'}: ${rest.slice(0, 6).map((c) => `${c.type || c.problem} (${c.modules.length})`).join(', ')}${rest.length > 6 ? ', ...' : ''}; --verbose lists every module`);
      }
    }
    return lines.join('\n');
  }

  summaryTable(): string {
    const rows = [['kernel', 'ok', 'BTF rejected', 'not distilled', 'no BTF', 'errors', 'loads with BTF', 'without BTF', 'refused']];
    for (const k of this.kernels) {
      const refused = k.fates.refusedOrLoadsWithoutBtf ? `${k.fates.refused}+${k.fates.refusedOrLoadsWithoutBtf}?` : String(k.fates.refused);
      rows.push([k.name, String(k.ok), String(k.failed), String(k.notDistilled), String(k.noBtf), String(k.errors), String(k.fates.loadsWithBtf), String(k.fates.loadsWithoutBtf), refused]);
    }
    const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(w[c]!) : cell.padStart(w[c]!))).join('  '));
    lines.splice(1, 0, w.map((n) => '-'.repeat(n)).join('  '));
    const unknown = this.kernels.filter((k) => k.fates.refusedOrLoadsWithoutBtf);
    lines.push('', 'configuration:');
    for (const k of this.kernels) lines.push(`  ${k.name}: ${kernelConfigText(k)}`);
    if (unknown.length) lines.push('  N+M?: M modules are refused if CONFIG_MODULE_ALLOW_BTF_MISMATCH is off, load without BTF if =y');
    const top = this.topTypes(5);
    if (top.length) {
      lines.push('', 'types that break the most modules:');
      for (const t of top) lines.push(`  ${t.kernel}: ${t.type}: ${t.modules} module${t.modules === 1 ? '' : 's'}`);
    }
    return lines.join('\n');
  }
}

/** A cause that is not about one type, in words. */
function causeText(problem: string): string {
  switch (problem) {
    case 'error': return 'could not be checked (unreadable or invalid; --verbose shows each)';
    case 'not-distilled': return 'no .BTF.base: split BTF built for another kernel, which this kernel rejects';
    case 'not-distilled-accepted': return 'no .BTF.base: split BTF built for another kernel; this kernel accepts it, but its type information is wrong';
    default: return problem;
  }
}

/** The kernel's configuration and what it means for a module whose BTF it rejects. */
export function kernelConfigText(k: { allowBtfMismatch: boolean | null; btfModules?: boolean | null; config: string | null }): string {
  if (k.btfModules === false) return `CONFIG_DEBUG_INFO_BTF_MODULES is not set (${k.config}): the kernel never reads module BTF, every module loads without it`;
  if (k.allowBtfMismatch === null) return `configuration unknown: ${fateText('refused-or-loads-without-btf').replace(' (kernel configuration unknown)', '')}; give --config FILE`;
  return k.allowBtfMismatch
    ? `CONFIG_MODULE_ALLOW_BTF_MISMATCH=y (${k.config}): a module whose BTF is rejected loads without BTF`
    : `CONFIG_MODULE_ALLOW_BTF_MISMATCH is not set (${k.config}): a module whose BTF is rejected is refused`;
}
