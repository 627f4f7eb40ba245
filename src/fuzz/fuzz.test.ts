/**
 * Bounded CI run of every fuzz target (see targets.ts for what each one checks). Each target
 * gets a fixed time budget and a fixed fast-check seed (FUZZ_SEED overrides it, FUZZ_SCALE
 * scales the budgets), so CI is reproducible; `npm run fuzz` does the long randomized runs.
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
 * parse-rejected input once hit a 3 s deadline that way); per-input time is asserted elsewhere.
 */
const HARD_MS = 20000;
const SCALE = process.env.FUZZ_SCALE !== undefined ? Number(process.env.FUZZ_SCALE) : 1;

/** Time budget (ms) per target; about 70 s in all on the CI machine. */
const BUDGET: Record<string, number> = {
  btf: 10000,
  'btf-split': 8000,
  distill: 8000,
  relocate: 6000,
  elf: 8000,
  image: 8000,
  btfids: 6000,
  verify: 6000,
  'dump-c': 6000,
};

for (const [name, ms] of Object.entries(BUDGET)) {
  const open = OPEN_TARGETS[name];
  test(`fuzz ${name}`, open ? { todo: open } : {}, (t) => {
    if (name === 'dump-c' && !hasCDump()) return t.skip('no C dump in this build');
    const r = fuzzTarget(name, { numRuns: 1_000_000, timeLimitMs: ms * SCALE, seed: SEED, hardMs: HARD_MS });
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
  assert.ok(c.agree > 1000, `only ${c.agree} inputs compared with the oracle`);
});
