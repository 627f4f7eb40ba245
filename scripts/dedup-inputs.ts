/**
 * The real-data inputs of dedup/merge parity and benchmarks (issue 18), and where the C
 * reference harness is: two kernels' vmlinux BTF merged; a vmlinux merged with itself; the
 * split BTF of the first 300 modules (sorted paths, those with a .BTF section) of 6.1.0-47
 * merged on its vmlinux; single vmlinux and module dedups. `runBtfo` runs the oracle's
 * subcommands when the harness exists ($BTFO, else ~/.cache/btf-oracle/bin/btfo).
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { kernelBtfPath, modulesDir } from './corpus-paths.js';
import { parseElf } from '../src/elf/index.js';

export interface DedupInput {
  name: string;
  op: 'dedup' | 'merge';
  base: string | null;
  inputs: string[];
}

export function btfoPath(): string | null {
  const p = process.env.BTFO || join(homedir(), '.cache', 'btf-oracle', 'bin', 'btfo');
  return existsSync(p) ? p : null;
}

/** Runs btfo with `args`; null when the harness is missing; throws on failure. */
export function runBtfo(args: string[]): string | null {
  const b = btfoPath();
  if (!b) return null;
  const r = spawnSync(b, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`btfo ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function kos(dir: string, out: string[]): void {
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) kos(p, out);
    else if (e.endsWith('.ko')) out.push(p);
  }
}

function hasBtf(path: string): boolean {
  try {
    return parseElf(new Uint8Array(readFileSync(path))).section('.BTF') !== undefined;
  } catch {
    return false;
  }
}

/** The first `n` modules (sorted paths) of a corpus kernel that carry a .BTF section. */
export function corpusModules(kver: string, n: number): string[] {
  const dir = modulesDir(kver);
  if (!existsSync(dir)) return [];
  const all: string[] = [];
  kos(dir, all);
  const out: string[] = [];
  for (const p of all) {
    if (out.length >= n) break;
    if (hasBtf(p)) out.push(p);
  }
  return out;
}

export function dedupInputs(): DedupInput[] {
  const v47 = kernelBtfPath('6.1.0-47-amd64');
  const v55 = kernelBtfPath('6.1.0-55-amd64');
  const out: DedupInput[] = [];
  if (existsSync(v47)) {
    out.push({ name: 'dedup vmlinux-47', op: 'dedup', base: null, inputs: [v47] });
    out.push({ name: 'merge vmlinux-47 + itself', op: 'merge', base: null, inputs: [v47, v47] });
    const mods = corpusModules('6.1.0-47-amd64', 300);
    if (mods.length) {
      out.push({ name: `merge ${mods.length} modules of 6.1.0-47 on its vmlinux`, op: 'merge', base: v47, inputs: mods });
      out.push({ name: `dedup ${mods[mods.length - 1]!.split('/').pop()} on vmlinux-47`, op: 'dedup', base: v47, inputs: [mods[mods.length - 1]!] });
    }
  }
  if (existsSync(v47) && existsSync(v55)) out.push({ name: 'merge vmlinux-47 + vmlinux-55', op: 'merge', base: null, inputs: [v47, v55] });
  return out;
}

/** The oracle's command line for one input, writing to `out`. */
export function btfoArgs(x: DedupInput, out: string): string[] {
  const b = x.base ? ['-B', x.base] : [];
  return x.op === 'dedup' ? ['dedup', ...b, x.inputs[0]!, out] : ['merge', ...b, out, ...x.inputs];
}
