/**
 * Long fuzz runs: `npm run fuzz -- [--minutes N] [--target NAME] [--seed S] [--no-save]`
 * (= `node dist/scripts/fuzz.js ...`). Cycles through the targets (or the one named) in
 * slices of about a minute with fresh seeds until the time is up, keeps going after a failure
 * (each failing input is minimized by fast-check and stored under test/regress/<target>/),
 * and prints per-target iterations, outcomes, oracle agreement and the failures found.
 * Exit status 1 when anything failed.
 */

import { parseArgs } from 'node:util';
import { fuzzTarget, type FuzzFailure } from '../src/fuzz/run.js';
import { SLOWNESS_LIMITS } from '../src/fuzz/harness.js';
import { TARGET_NAMES, TARGETS, oracleTally } from '../src/fuzz/targets.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    target: { type: 'string', multiple: true },
    seed: { type: 'string' },
    'slice-seconds': { type: 'string', default: '60' },
    'no-save': { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
  },
});

if (values.list) {
  for (const n of TARGET_NAMES) console.log(`${n.padEnd(10)} ${TARGETS[n]!.target.about}`);
  process.exit(0);
}

const minutes = Number(values.minutes);
if (!(minutes > 0)) {
  console.error('fuzz: --minutes takes a positive number');
  process.exit(2);
}
const targets = values.target?.length ? values.target : TARGET_NAMES;
for (const t of targets) {
  if (!TARGETS[t]) {
    console.error(`fuzz: unknown target '${t}' (${TARGET_NAMES.join(', ')})`);
    process.exit(2);
  }
}
const end = Date.now() + minutes * 60_000;
const slice = Number(values['slice-seconds']) * 1000;
let seed = values.seed !== undefined ? Number(values.seed) : (Date.now() ^ (process.pid << 8)) >>> 0;

const totals = new Map<string, { runs: number; ms: number; stats: Record<string, number> }>();
const failures: FuzzFailure[] = [];
const seen = new Set<string>();

while (Date.now() < end) {
  for (const t of targets) {
    const left = end - Date.now();
    if (left <= 0) break;
    // Exploration: an input over 1 s is a finding (tests only guard against hangs).
    const r = fuzzTarget(t, { numRuns: 1e9, timeLimitMs: Math.min(slice, left), seed: seed++, save: !values['no-save'], limits: SLOWNESS_LIMITS });
    const tot = totals.get(t) ?? { runs: 0, ms: 0, stats: {} };
    tot.runs += r.runs;
    tot.ms += r.ms;
    for (const [k, v] of Object.entries(r.stats)) tot.stats[k] = (tot.stats[k] ?? 0) + v;
    totals.set(t, tot);
    if (r.failure) {
      const key = `${t}:${r.failure.message.split('\n')[0]}`;
      if (!seen.has(key)) {
        seen.add(key);
        failures.push(r.failure);
        console.log(`FAIL ${t} (seed ${r.failure.seed}): ${r.failure.message}\n  stored: ${r.failure.file ?? '(not saved)'}`);
      }
    }
    console.log(`${t}: ${r.runs} inputs in ${(r.ms / 1000).toFixed(1)} s${r.failure ? ' (failed)' : ''}`);
  }
}

console.log('\n== summary');
for (const [t, tot] of totals) {
  const s = Object.entries(tot.stats).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`${t.padEnd(10)} ${String(tot.runs).padStart(8)} inputs ${(tot.ms / 1000).toFixed(0).padStart(5)} s  ${s}`);
}
const c = oracleTally.classic;
const w = oracleTally.wide;
console.log(`oracle (hdr_len < 32): ${c.agree} agree, ${c.disagree} disagree; (hdr_len >= 32, 2026 format): ${w.agree} agree, ${w.disagree} disagree`);
for (const s of oracleTally.wideSamples.slice(0, 5)) console.log(`  wide-header difference: ${s}`);
console.log(`${failures.length} distinct failure${failures.length === 1 ? '' : 's'}`);
process.exitCode = failures.length ? 1 : 0;
