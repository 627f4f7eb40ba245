/**
 * The report of a module-tree check: the documented JSON schema of `btfkit check --json`
 * (also embedded in `--html` pages) and the end-of-run summary table (per kernel: ok /
 * failing / not distilled / errors, and the types that break the most modules).
 *
 * Approach: results are added one at a time in any order (workers finish out of order); the
 * builder keeps per-kernel counters and per-kernel "type → modules broken" counts, and keeps
 * the results themselves only when asked (for --json / --html): a text-only run stays flat in
 * memory. `report()` sorts results by module, then kernel in `--kernel` order, so the JSON is
 * the same whatever the number of workers.
 *
 * JSON schema (top level object):
 *   {
 *     "kernels": [                       // one per --kernel, in --kernel order
 *       { "name": string,                // display name (NAME=PATH, or derived from the path)
 *         "path": string,                // the BTF file checked against
 *         "ok": number,                  // modules whose BTF loads (status "ok")
 *         "failed": number,              // modules whose distilled base does not map
 *         "notDistilled": number,        // modules without .BTF.base (and no --build-kernel)
 *         "errors": number }             // modules that could not be read or parsed
 *     ],
 *     "results": [                       // one per module × kernel, sorted by module, then kernel
 *       { "module": string,              // the module path as found
 *         "kernel": string,              // kernels[].name
 *         "status": "ok" | "failed" | "not-distilled" | "error",
 *         "loads": boolean,              // would the kernel accept the module's BTF
 *         "reasons": [                   // empty when ok
 *           { "type": string,            // "struct device", or "" when not about one type
 *             "kind": string,            // BTF kind ("STRUCT", "UNION", …) or area ("BTF", "ELF")
 *             "problem": string,         // missing | size | encoding | kind | multiple | string |
 *                                        // relocation | invalid-btf | invalid-input | mismatch |
 *                                        // not-distilled | crash
 *             "detail": string,          // one sentence for a module maintainer
 *             "changes"?: string[] }     // with --build-kernel, size problems: changed fields
 *         ],
 *         "libbpfMessage"?: string }     // failures: libbpf's first message (without "libbpf: ")
 *     ],
 *     "topTypes": [                      // per kernel, the types that break the most modules
 *       { "kernel": string, "type": string, "modules": number }
 *     ]
 *   }
 */

import type { ModuleCheckResult } from './check.js';

export interface KernelSummary {
  name: string;
  path: string;
  ok: number;
  failed: number;
  notDistilled: number;
  errors: number;
}

export interface CheckReport {
  kernels: KernelSummary[];
  results: ModuleCheckResult[];
  topTypes: { kernel: string; type: string; modules: number }[];
}

export class ReportBuilder {
  private readonly kernels: KernelSummary[];
  private readonly byName = new Map<string, KernelSummary>();
  private readonly typeCounts = new Map<string, Map<string, number>>();
  readonly results: ModuleCheckResult[] = [];
  private notLoading = 0;

  constructor(kernels: { name: string; path: string }[], private readonly keepResults = true) {
    this.kernels = kernels.map((k) => ({ name: k.name, path: k.path, ok: 0, failed: 0, notDistilled: 0, errors: 0 }));
    for (const k of this.kernels) {
      this.byName.set(k.name, k);
      this.typeCounts.set(k.name, new Map());
    }
  }

  add(r: ModuleCheckResult): void {
    if (!r.loads) this.notLoading++;
    const k = this.byName.get(r.kernel);
    if (k) {
      if (r.status === 'ok') k.ok++;
      else if (r.status === 'failed') k.failed++;
      else if (r.status === 'not-distilled') k.notDistilled++;
      else k.errors++;
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
    }
    if (this.keepResults) this.results.push(r);
  }

  /** Would every module added so far load on every kernel? */
  get allLoad(): boolean {
    return this.notLoading === 0;
  }

  /** Per-kernel counters so far (copies), in --kernel order. */
  summaries(): KernelSummary[] {
    return this.kernels.map((k) => ({ ...k }));
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

  report(): CheckReport {
    const order = new Map(this.kernels.map((k, i) => [k.name, i]));
    const results = [...this.results].sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : order.get(a.kernel)! - order.get(b.kernel)!));
    return { kernels: this.kernels.map((k) => ({ ...k })), results, topTypes: this.topTypes(10) };
  }

  summaryTable(): string {
    const rows = [['kernel', 'ok', 'failing', 'not distilled', 'errors']];
    for (const k of this.kernels) rows.push([k.name, String(k.ok), String(k.failed), String(k.notDistilled), String(k.errors)]);
    const w = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const lines = rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(w[c]!) : cell.padStart(w[c]!))).join('  '));
    lines.splice(1, 0, w.map((n) => '-'.repeat(n)).join('  '));
    const top = this.topTypes(5);
    if (top.length) {
      lines.push('', 'types that break the most modules:');
      for (const t of top) lines.push(`  ${t.kernel}: ${t.type}: ${t.modules} module${t.modules === 1 ? '' : 's'}`);
    }
    return lines.join('\n');
  }
}
