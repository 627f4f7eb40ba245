/**
 * Makes the golden outputs of `btfkit layout` (test/golden/layout/): pahole v1.31's
 * `pahole -F btf -C T1,T2,... FILE` for a deterministic selection of types, one pahole run per
 * input (so the test also covers several TYPEs in one session, as pahole prints them).
 *
 * Selection (types named in the input, first id of each name, as pahole's -C finds them):
 *   - vmlinux 6.1.0-47: sk_buff, task_struct; every 40th struct/union/typedef/enum name in
 *     sorted order; and the first 6 names (sorted) whose pahole output shows each feature
 *     (packed, aligned, flexible arrays, bit holes, bitfield comments, pointers to functions,
 *     anonymous typedef'd structs, enums, unions, ...).
 *   - synthetic.btf (src/dump/layout-fixture.ts, written here): its types, in the fixture's order.
 *   - kvm.ko (split on 6.1.0-47): kvm, kvm_vcpu and every 4th name of the module's own types.
 *
 *   node dist/scripts/golden-layout.js [PAHOLE]   (default ~/.cache/btf-oracle/bin/pahole)
 *
 * Writes <name>.names (one TYPE a line) and <name>.out.gz (gzip -9n of pahole's stdout).
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';
import { kernelBtfPath, modulesDir, hasCorpus } from './corpus-paths.js';
import { loadBtf, loadBaseBtf } from '../src/node/load.js';
import type { Btf } from '../src/model/btf.js';
import { serializeBtf } from '../src/format/write.js';
import { syntheticLayoutBtf, SYNTHETIC_TYPES } from '../src/dump/layout-fixture.test-util.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const LAYOUT_GOLDEN = join(REPO, 'test', 'golden', 'layout');
export const KVER = '6.1.0-47-amd64';
export const KVM_PATH = 'arch/x86/kvm/kvm.ko';

const FEATURES = [
  '__attribute__((__packed__))', '__aligned__', 'a flexible array', 'embedded flexible', 'bit hole',
  'Bitfield combined', 'Force alignment', 'last struct has', '(*', 'typedef struct {', 'typedef union {',
  'enum {', 'union {', 'bit_padding', 'BRAIN FART', '[]', 'padding:', 'member types with',
];

/** Unique names of STRUCT/UNION/TYPEDEF/ENUM/ENUM64 types from `start`, in id order. */
export function typeNames(btf: Btf, start: number): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (let id = start; id < btf.typeCount(); id++) {
    const k = btf.kind(id);
    if (![4, 5, 6, 8, 19].includes(k) || btf.nameOff(id) === 0) continue;
    const n = btf.name(id);
    if (seen.has(n) || n.includes(',')) continue;
    seen.add(n);
    out.push(n);
  }
  return out;
}

function pahole(bin: string, file: string, base: string | null, names: string[]): string {
  return execFileSync(bin, ['-F', 'btf', ...(base ? ['--btf_base', base] : []), '-C', names.join(','), file], {
    encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'],
  });
}

/** Splits one pahole session's output into the top-level definitions (each ends ";\n\n"). */
function splitOutputs(text: string): string[] {
  return text.split(/(?<=;\n\n)(?=[^\t\n])/);
}

function write(name: string, names: string[], out: string): void {
  writeFileSync(join(LAYOUT_GOLDEN, `${name}.names`), names.join('\n') + '\n');
  writeFileSync(join(LAYOUT_GOLDEN, `${name}.out.gz`), gzipSync(Buffer.from(out), { level: constants.Z_BEST_COMPRESSION }));
  console.log(`${name}: ${names.length} types, ${out.length} bytes`);
}

async function main(): Promise<void> {
  const bin = process.argv[2] ?? join(homedir(), '.cache', 'btf-oracle', 'bin', 'pahole');
  if (!existsSync(bin)) throw new Error(`pahole not found at ${bin} (build pahole v1.31 or pass its path)`);
  if (!hasCorpus(KVER)) throw new Error(`corpus kernel ${KVER} not found (npm run corpus)`);
  mkdirSync(LAYOUT_GOLDEN, { recursive: true });

  const synth = join(LAYOUT_GOLDEN, 'synthetic.btf');
  writeFileSync(synth, serializeBtf(syntheticLayoutBtf()));
  write('synthetic', SYNTHETIC_TYPES, pahole(bin, synth, null, SYNTHETIC_TYPES));

  const vmlinux = kernelBtfPath(KVER);
  const { btf } = await loadBtf(vmlinux);
  const all = typeNames(btf, 1);
  const sorted = [...all].sort();
  const picked = new Set<string>(['sk_buff', 'task_struct']);
  sorted.forEach((n, i) => { if (i % 40 === 0) picked.add(n); });
  const outputs: string[] = [];
  for (let i = 0; i < all.length; i += 400) outputs.push(...splitOutputs(pahole(bin, vmlinux, null, all.slice(i, i + 400))));
  if (outputs.length !== all.length) throw new Error(`split ${outputs.length} outputs for ${all.length} types`);
  const byName = new Map(all.map((n, i) => [n, outputs[i]!]));
  for (const f of FEATURES) sorted.filter((n) => byName.get(n)!.includes(f)).slice(0, 6).forEach((n) => picked.add(n));
  const vmNames = sorted.filter((n) => picked.has(n));
  write(`vmlinux-${KVER}`, vmNames, pahole(bin, vmlinux, null, vmNames));

  const kvm = join(modulesDir(KVER), KVM_PATH);
  const base = await loadBaseBtf(vmlinux);
  const { btf: kbtf } = await loadBtf(kvm, base);
  const own = typeNames(kbtf, kbtf.startId);
  const kNames = ['kvm', 'kvm_vcpu', ...own.filter((n, i) => i % 4 === 0 && n !== 'kvm' && n !== 'kvm_vcpu')];
  write('kvm', kNames, pahole(bin, kvm, vmlinux, kNames));
}

await main();
