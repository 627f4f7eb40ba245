/**
 * Replays every input that ever failed a fuzz property (test/regress/<target>/*.bin, with a
 * .json describing it) through its target with the same invariants. Inputs of open problems
 * in code owned elsewhere (meta.open, or a target listed in known-issues.ts) are TODO.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadRegressions, runInput, Violation, describeError, type Stats } from './harness.js';
import { TARGETS } from './targets.js';
import { IsolatedRunner } from './isolate.js';
import { OPEN_TARGETS } from './known-issues.js';

const regressions = loadRegressions();

test('regression inputs are stored with their metadata', () => {
  for (const r of regressions) {
    assert.ok(TARGETS[r.meta.target], `${r.file}: unknown target ${r.meta.target}`);
    assert.ok(r.meta.violation, `${r.file}: no violation recorded`);
  }
});

for (const r of regressions) {
  const spec = TARGETS[r.meta.target];
  if (!spec) continue;
  const open = r.meta.open ?? OPEN_TARGETS[r.meta.target];
  const name = `${r.meta.target} ${r.file.replace(/^.*\//, '')} (${r.meta.violation.split('\n')[0]!.slice(0, 80)})`;
  test(name, open ? { todo: open } : {}, () => {
    const stats: Stats = {};
    if (spec.isolated) {
      // hang guard only: a busy machine can stall the worker for seconds
      const iso = new IsolatedRunner(r.meta.target, 30_000);
      try {
        const res = iso.run(r.input);
        if (!res.ok) assert.fail(res.message);
      } finally {
        iso.stop();
      }
      return;
    }
    try {
      runInput(spec.target, r.input, stats);
    } catch (e) {
      assert.fail(e instanceof Violation ? e.message : describeError(e));
    }
  });
}
