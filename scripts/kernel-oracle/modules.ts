/**
 * Module lists for the kernel oracle: names, dependencies, the sample, the load order.
 *
 * Approach: a module's name is its file name without `.ko[.xz|.zst|.gz]`, '-' read as '_'
 * (KBUILD_MODNAME, the name under /sys/kernel/btf). Dependencies come from
 * `modinfo -F depends` (one comma-separated line per file, in argument order). The sample is
 * every module that must be in it (btfkit predicts a failure) plus modules of an even spread
 * of the rest (spreadOrder), until with their dependencies it reaches the size asked for; the load order is a
 * depth-first topological order (dependencies first, ties in name order), as modprobe would
 * load them one by one.
 */

import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';

export function moduleName(path: string): string {
  return basename(path).replace(/\.ko(\.(xz|zst|gz))?$/, '').replace(/-/g, '_');
}

/** Parses `modinfo -F depends A B ...` output: one line per file, names comma-separated. */
export function parseDependsLines(output: string, count: number): string[][] {
  const lines = output.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length !== count) throw new Error(`modinfo printed ${lines.length} lines for ${count} modules`);
  return lines.map((l) => l.split(',').map((s) => s.trim().replace(/-/g, '_')).filter(Boolean));
}

/** `modinfo -F depends` of every file (in chunks), as name -> dependency names. */
export function readDepends(paths: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (let i = 0; i < paths.length; i += 500) {
    const chunk = paths.slice(i, i + 500);
    const r = spawnSync('modinfo', ['-F', 'depends', ...chunk], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.error || r.status !== 0) throw new Error(`modinfo failed: ${r.error?.message ?? r.stderr}`);
    const deps = parseDependsLines(r.stdout, chunk.length);
    chunk.forEach((p, j) => out.set(moduleName(p), deps[j]!));
  }
  return out;
}

/**
 * Positions 0..n-1 in a low-discrepancy order (golden-ratio steps): every prefix of it is
 * spread evenly over the range, so a sample can stop at any size and still cover it.
 */
export function spreadOrder(n: number): number[] {
  const out: number[] = [];
  const seen = new Uint8Array(n);
  const phi = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; out.length < n; i++) {
    let p = Math.floor(((i * phi) % 1) * n);
    while (seen[p]) p = (p + 1) % n;
    seen[p] = 1;
    out.push(p);
  }
  return out;
}

/**
 * The modules to load: all of `must`, then modules of an even spread of the others (path
 * order; `exclude` never joins the spread) until `must`, the spread and everything they
 * depend on number at least `target`. Returns the chosen modules, without their dependencies.
 */
export function selectSample(all: readonly string[], must: ReadonlySet<string>, target: number, depends: ReadonlyMap<string, readonly string[]>, exclude: (name: string) => boolean = () => false): string[] {
  const chosen = all.filter((n) => must.has(n));
  const closure = new Set<string>();
  const close = (n: string): void => {
    if (closure.has(n)) return;
    closure.add(n);
    for (const d of depends.get(n) ?? []) close(d);
  };
  chosen.forEach(close);
  const rest = all.filter((n) => !must.has(n) && !exclude(n));
  for (const i of spreadOrder(rest.length)) {
    if (closure.size >= target) break;
    const n = rest[i]!;
    if (closure.has(n)) continue;
    chosen.push(n);
    close(n);
  }
  return chosen;
}

/** `names` and everything they depend on, dependencies before their users. */
export function loadOrder(names: Iterable<string>, depends: ReadonlyMap<string, readonly string[]>): string[] {
  const order: string[] = [];
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: placed
  const visit = (n: string, stack: string[]): void => {
    const s = state.get(n);
    if (s === 2) return;
    if (s === 1) throw new Error(`dependency cycle: ${[...stack, n].join(' -> ')}`);
    if (!depends.has(n)) throw new Error(`unknown module ${n}${stack.length ? ` (needed by ${stack[stack.length - 1]})` : ''}`);
    state.set(n, 1);
    for (const d of [...depends.get(n)!].sort()) visit(d, [...stack, n]);
    state.set(n, 2);
    order.push(n);
  };
  for (const n of [...names].sort()) visit(n, []);
  return order;
}
