/**
 * Bounded run of every fuzz target (see targets.ts for what each one checks), part of
 * `npm run test:fuzz`. Each target runs a fixed number of inputs from a fixed fast-check seed
 * (FUZZ_SEED overrides it, FUZZ_SCALE scales the counts), so a run is the same on any machine,
 * busy or not; `npm run fuzz` does the long randomized runs.
 * A failure is stored under test/regress/<target>/ and replayed by regress.test.ts from then on.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzTarget } from './run.js';
import { hasCDump, oracleTally } from './targets.js';
import { OPEN_TARGETS } from './known-issues.js';

const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 0x5eed;
/**
 * Hard deadline of an isolated input: catches hangs, not slowness. It is generous because CI runs
 * test files in parallel on two cores and a busy machine can stall a worker for seconds (a
 * parse-rejected input once hit a 3 s deadline that way). Slowness is looked for by `npm run fuzz`.
 */
const HARD_MS = 30000;
/** Hang guard of a whole target (the counts below take ~1/10 of it on a busy 2-core machine). */
const TARGET_GUARD_MS = 600_000;
const SCALE = process.env.FUZZ_SCALE !== undefined ? Number(process.env.FUZZ_SCALE) : 1;

/** Inputs per target: about a minute in all on the CI machine (2 cores, other jobs running). */
const RUNS: Record<string, number> = {
  btf: 12000,
  'btf-split': 4000,
  distill: 2000,
  relocate: 5000,
  elf: 5000,
  image: 240,
  btfids: 4000,
  verify: 3000,
  'dump-c': 800,
};

for (const [name, runs] of Object.entries(RUNS)) {
  const open = OPEN_TARGETS[name];
  test(`fuzz ${name}`, open ? { todo: open } : {}, (t) => {
    if (name === 'dump-c' && !hasCDump()) return t.skip('no C dump in this build');
    const r = fuzzTarget(name, { numRuns: Math.max(1, Math.round(runs * SCALE)), timeLimitMs: TARGET_GUARD_MS, seed: SEED, hardMs: HARD_MS });
    const stats = Object.entries(r.stats).map(([k, v]) => `${k}=${v}`).join(' ');
    t.diagnostic(`${name}: ${r.runs} inputs in ${(r.ms / 1000).toFixed(1)} s (seed ${SEED}): ${stats}`);
    if (r.failure) assert.fail(`${r.failure.message}\n  context ${r.failure.ctx}; stored as ${r.failure.file}`);
    assert.ok(r.runs > 0, 'no input was run');
  });
}

test('oracle agreement over the fuzz runs', (t) => {
  const c = oracleTally.classic;
  const w = oracleTally.wide;
  t.diagnostic(`hdr_len < 32: ${c.agree} agree, ${c.disagree} disagree; hdr_len >= 32 (2026 layout format, beyond libbpf v1.7.0): ${w.agree} agree, ${w.disagree} differ`);
  assert.equal(c.disagree, 0);
  // btf and btf-split compare every input they run with libbpf (minus the 2026-layout ones)
  assert.ok(c.agree > 1000 * SCALE, `only ${c.agree} inputs compared with the oracle`);
});
