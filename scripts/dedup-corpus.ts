/**
 * Real-data dedup/merge parity (issue 18), run by `npm run test:corpus`: each input of
 * scripts/dedup-inputs.ts (vmlinux-47 deduped; vmlinux-47 merged with itself; 300 modules of
 * 6.1.0-47 merged on its vmlinux; one module deduped on it; vmlinux-47 + vmlinux-55 merged)
 * goes through `btfkit dedup|merge` (the bundled command, as users run it) and through libbpf
 * v1.7.0 (btfo); the outputs must be byte-identical. Prints "N passed, M failed".
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { btfoArgs, btfoPath, dedupInputs, runBtfo } from './dedup-inputs.js';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'src', 'cli', 'launcher.cjs');

function main(): void {
  if (!btfoPath()) {
    console.log('btfo not found: dedup corpus parity skipped\n0 passed, 0 failed');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'dedup-corpus-'));
  let passed = 0;
  let failed = 0;
  try {
    for (const [n, x] of dedupInputs().entries()) {
      const ref = join(dir, `ref${n}.btf`);
      const ours = join(dir, `ours${n}.btf`);
      const t0 = performance.now();
      runBtfo(btfoArgs(x, ref));
      const t1 = performance.now();
      const args = [x.op, ...x.inputs, ...(x.base ? ['--base', x.base] : []), '-o', ours];
      const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
      const t2 = performance.now();
      const same = r.status === 0 && Buffer.compare(readFileSync(ref), readFileSync(ours)) === 0;
      if (same) passed++;
      else failed++;
      console.log(`${same ? 'ok  ' : 'FAIL'} ${x.name}: ${same ? 'identical' : r.status !== 0 ? r.stderr.trim() : 'bytes differ'} (libbpf ${((t1 - t0) / 1000).toFixed(1)} s, btfkit ${((t2 - t1) / 1000).toFixed(1)} s, whole processes)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  if (failed) process.exitCode = 1;
}

main();
