/** Test support: the documented JSON schema of `btfkit check --json`, checked field by field. */

import assert from 'node:assert/strict';
import type { CheckReport } from './report.js';

/** Asserts that `rep` has exactly the documented shape, with counters that agree with the results. */
export function assertReportShape(rep: CheckReport, kernelNames: string[]): void {
  assert.deepEqual(Object.keys(rep).sort(), ['kernels', 'results', 'topTypes']);
  assert.deepEqual(rep.kernels.map((k) => k.name), kernelNames);
  for (const k of rep.kernels) {
    assert.deepEqual(Object.keys(k).sort(), ['errors', 'failed', 'name', 'notDistilled', 'ok', 'path']);
    assert.equal(typeof k.path, 'string');
    for (const n of [k.ok, k.failed, k.notDistilled, k.errors]) assert.ok(Number.isInteger(n) && n >= 0);
  }
  const statuses = new Set(['ok', 'failed', 'not-distilled', 'error']);
  for (const r of rep.results) {
    for (const key of Object.keys(r)) assert.ok(['module', 'kernel', 'status', 'loads', 'reasons', 'libbpfMessage'].includes(key), key);
    assert.equal(typeof r.module, 'string');
    assert.ok(kernelNames.includes(r.kernel));
    assert.ok(statuses.has(r.status));
    assert.equal(typeof r.loads, 'boolean');
    assert.ok(Array.isArray(r.reasons));
    if (r.status === 'ok') assert.deepEqual(r.reasons, []);
    else assert.ok(r.reasons.length > 0);
    for (const reason of r.reasons) {
      for (const key of Object.keys(reason)) assert.ok(['type', 'kind', 'problem', 'detail', 'changes'].includes(key), key);
      for (const f of [reason.type, reason.kind, reason.problem, reason.detail]) assert.equal(typeof f, 'string');
      if (reason.changes) assert.ok(reason.changes.every((c) => typeof c === 'string'));
    }
  }
  // Per-kernel counters agree with the results.
  for (const k of rep.kernels) {
    const mine = rep.results.filter((r) => r.kernel === k.name);
    assert.equal(k.ok, mine.filter((r) => r.status === 'ok').length);
    assert.equal(k.failed, mine.filter((r) => r.status === 'failed').length);
    assert.equal(k.notDistilled, mine.filter((r) => r.status === 'not-distilled').length);
    assert.equal(k.errors, mine.filter((r) => r.status === 'error').length);
  }
  for (const t of rep.topTypes) {
    assert.deepEqual(Object.keys(t).sort(), ['kernel', 'modules', 'type']);
  }
}

