/**
 * Real-data dedup/merge parity (issue 18), run by `npm run test:corpus`: each input of
 * scripts/dedup-inputs.ts (vmlinux-47 deduped; vmlinux-47 merged with itself; 300 modules of
 * 6.1.0-47 merged on its vmlinux; one module deduped on it; vmlinux-47 + vmlinux-55 merged)
 * and of scripts/dedup-parity-inputs.ts (6.12 and running kernels, images, .ko.xz, merges
 * across series, module sets, .BTF.base modules, failures) goes through `btfkit dedup|merge`
 * (the bundled command, as users run it) and through libbpf v1.7.0 (btfo); the outputs must
 * be byte-identical, and where libbpf fails btfkit must fail too (exit 1, nothing written).
 * Prints "N passed, M failed".
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { btfoArgs, btfoPath, dedupInputs } from './dedup-inputs.js';
import { parityBtfoArgs, parityInputs, type ParityInput } from './dedup-parity-inputs.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'src', 'cli', 'launcher.cjs');

function main(): void {
  const btfo = btfoPath();
  if (!btfo) {
    console.log('btfo not found: dedup corpus parity skipped\n0 passed, 0 failed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'dedup-corpus-'));
  const all: Array<{ x: ParityInput; args: (out: string) => string[] }> = [
    ...dedupInputs().map((x) => ({ x, args: (out: string) => btfoArgs(x, out) })),
    ...parityInputs().map((x) => ({ x, args: (out: string) => parityBtfoArgs(x, out) })),
  ];
  let passed = 0;
  let failed = 0;
  try {
    for (const [n, { x, args: oracleArgs }] of all.entries()) {
      const ref = join(dir, `ref${n}.btf`);
      const ours = join(dir, `ours${n}.btf`);
      const t0 = performance.now();
      const o = spawnSync(btfo, oracleArgs(ref), { encoding: 'utf8', maxBuffer: 1 << 26 });
      const t1 = performance.now();
      const args = [x.op, ...x.inputs, ...(x.base ? ['--base', x.base] : []), '-o', ours];
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
      const t2 = performance.now();
      let verdict: string;
      if (x.expectError) {
        const ok = o.status === 1 && r.status === 1 && !existsSync(ours) && r.stderr.trim().split('\n').length === 1;
        verdict = ok ? 'both fail' : `libbpf exit ${o.status}, btfkit exit ${r.status}${existsSync(ours) ? ' (output written)' : ''}: ${r.stderr.trim()}`;
        if (ok) passed++;
        else failed++;
      } else {
        const same = o.status === 0 && r.status === 0 && Buffer.compare(readFileSync(ref), readFileSync(ours)) === 0;
        verdict = same ? 'identical' : o.status !== 0 ? `libbpf failed: ${o.stderr.trim()}` : r.status !== 0 ? r.stderr.trim() : 'bytes differ';
        if (same) passed++;
        else failed++;
      }
      const ok = verdict === 'identical' || verdict === 'both fail';
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${x.name}: ${verdict} (libbpf ${((t1 - t0) / 1000).toFixed(1)} s, btfkit ${((t2 - t1) / 1000).toFixed(1)} s, whole processes)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}

main();
