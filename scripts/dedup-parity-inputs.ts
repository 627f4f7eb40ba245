/**
 * More real-data dedup/merge parity inputs (issue 18), checked by scripts/dedup-corpus.ts next
 * to the benchmark inputs of dedup-inputs.ts; chosen to stay cheap (about a minute and a half
 * in all): the 6.12 kernels and the running kernel deduped (also from a vmlinuz image), merges
 * across series (6.1.0-47 + 6.12.118, 6.12.107 + 6.12.118, three kernels at once), a module
 * as .ko.xz on its vmlinux, 50 modules of 6.12.107 as .ko.xz merged on its vmlinux, every
 * module of 6.1.0-55-cloud merged on its vmlinux, modules carrying .BTF.base (the encoder
 * corpus) with and without a base, and failures libbpf reports too (a module on the wrong
 * kernel's base, without a base, an ELF without .BTF). Inputs whose files are absent are left
 * out. The oracle reads raw BTF and ELF only: for a vmlinuz or .ko.xz input it is given the
 * same BTF as vmlinux.btf or the uncompressed .ko.
 */

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { corpusDir, filesUnder, kernelBtfPath, modulesDir, modulesXzDir, vmlinuzPath } from './corpus-paths.js';
import type { DedupInput } from './dedup-inputs.js';

export interface ParityInput extends DedupInput {
  /** What the oracle reads instead of `base` / `inputs` (same BTF, a form it can parse). */
  oracleBase?: string | null;
  oracleInputs?: string[];
  /** libbpf fails on it: btfkit must fail too (exit 1, nothing written). */
  expectError?: boolean;
}

const K47 = '6.1.0-47-amd64';
const K55C = '6.1.0-55-cloud-amd64';
const K107 = '6.12.107+deb12-amd64';
const K118 = '6.12.118+deb12-amd64';
const RUNNING = '/sys/kernel/btf/vmlinux';

/** Every `step`-th of the sorted .ko files under a kernel's modules/ tree, at most `n`. */
function someModules(kver: string, n: number, step: number): string[] {
  const dir = modulesDir(kver);
  if (!existsSync(dir)) return [];
  return filesUnder(dir, '.ko').filter((_, i) => i % step === 0).slice(0, n);
}

/** The .ko.xz twin of a module of the modules/ tree, when the corpus keeps it. */
function xzTwin(kver: string, ko: string): string | null {
  const p = join(modulesXzDir(kver), ko.slice(modulesDir(kver).length + 1) + '.xz');
  return existsSync(p) ? p : null;
}

/** Modules with a .BTF.base section (the encoder corpus: <group>/<module>.ko). */
function distilledModules(): string[] {
  const dir = join(corpusDir(), 'encoder');
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const g of readdirSync(dir).sort()) {
    const gd = join(dir, g);
    if (!existsSync(join(gd, 'summary.txt'))) continue;
    for (const f of readdirSync(gd).sort()) if (f.endsWith('.ko') && !f.endsWith('.prebtf.ko') && !f.endsWith('.pahole.ko')) out.push(join(gd, f));
  }
  return out;
}

export function parityInputs(): ParityInput[] {
  const out: ParityInput[] = [];
  const have = (...ps: string[]): boolean => ps.every((p) => existsSync(p));
  const v47 = kernelBtfPath(K47);
  const v55c = kernelBtfPath(K55C);
  const v107 = kernelBtfPath(K107);
  const v118 = kernelBtfPath(K118);
  if (have(v118)) out.push({ name: 'dedup vmlinux-6.12.118', op: 'dedup', base: null, inputs: [v118] });
  if (have(v118, vmlinuzPath(K118))) out.push({ name: 'dedup vmlinuz-6.12.118 (image)', op: 'dedup', base: null, inputs: [vmlinuzPath(K118)], oracleInputs: [v118] });
  if (have(RUNNING)) out.push({ name: 'dedup the running kernel', op: 'dedup', base: null, inputs: [RUNNING] });
  if (have(v47, v118)) out.push({ name: 'merge vmlinux-47 + vmlinux-6.12.118', op: 'merge', base: null, inputs: [v47, v118] });
  const m107 = have(v107) ? someModules(K107, 50, 80) : [];
  const xz = m107.map((m) => xzTwin(K107, m));
  if (m107.length && xz.every((x) => x)) {
    out.push({ name: `dedup ${m107[0]!.split('/').pop()}.xz on vmlinux-6.12.107`, op: 'dedup', base: v107, inputs: [xz[0]!], oracleInputs: [m107[0]!] });
    out.push({ name: `merge ${m107.length} modules of 6.12.107 (.ko.xz) on its vmlinux`, op: 'merge', base: v107, inputs: xz as string[], oracleInputs: m107 });
  }
  const m55c = have(v55c) ? someModules(K55C, 100000, 1) : [];
  if (m55c.length) out.push({ name: `merge all ${m55c.length} modules of 6.1.0-55-cloud on its vmlinux`, op: 'merge', base: v55c, inputs: m55c });
  const dist = distilledModules();
  if (dist.length) {
    out.push({ name: `dedup ${dist[0]!.split('/').pop()} (.BTF.base) without a base`, op: 'dedup', base: null, inputs: [dist[0]!] });
    if (have(v118)) {
      out.push({ name: `dedup ${dist[0]!.split('/').pop()} (.BTF.base) on vmlinux-6.12.118`, op: 'dedup', base: v118, inputs: [dist[0]!] });
      out.push({ name: `merge ${dist.length} .BTF.base modules on vmlinux-6.12.118`, op: 'merge', base: v118, inputs: dist });
    }
    out.push({ name: 'merge two .BTF.base modules without a base (libbpf: EOPNOTSUPP)', op: 'merge', base: null, inputs: dist.slice(0, 2), expectError: true });
    const pre = dist[0]!.replace(/\.ko$/, '.prebtf.ko');
    if (have(pre)) out.push({ name: 'dedup an ELF without .BTF (libbpf: ENODATA)', op: 'dedup', base: null, inputs: [pre], expectError: true });
  }
  if (m107.length && have(v47)) out.push({ name: 'dedup a 6.12.107 module on vmlinux-47 (wrong base)', op: 'dedup', base: v47, inputs: [m107[1] ?? m107[0]!], expectError: true });
  if (m107.length) out.push({ name: 'dedup a 6.12.107 module without its base', op: 'dedup', base: null, inputs: [m107[0]!], expectError: true });
  return out;
}

/** The oracle's command line for one input, writing to `out`. */
export function parityBtfoArgs(x: ParityInput, out: string): string[] {
  const base = x.oracleBase !== undefined ? x.oracleBase : x.base;
  const inputs = x.oracleInputs ?? x.inputs;
  const b = base ? ['-B', base] : [];
  return x.op === 'dedup' ? ['dedup', ...b, inputs[0]!, out] : ['merge', ...b, out, ...inputs];
}
