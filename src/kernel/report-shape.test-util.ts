/** Test support: the documented JSON schema of `btfkit check --json`, checked field by field. */

import assert from 'node:assert/strict';
import type { CheckReport } from './report.js';

/** Asserts that `rep` has exactly the documented shape, with counters that agree with the results. */
export function assertReportShape(rep: CheckReport, kernelNames: string[]): void {
  assert.deepEqual(Object.keys(rep).sort(), ['kernels', 'results', 'topTypes']);
  assert.deepEqual(rep.kernels.map((k) => k.name), kernelNames);
  for (const k of rep.kernels) {
    assert.deepEqual(Object.keys(k).sort(), ['allowBtfMismatch', 'btfModules', 'config', 'errors', 'failed', 'fates', 'name', 'noBtf', 'notDistilled', 'ok', 'path']);
    assert.equal(typeof k.path, 'string');
    assert.ok(k.allowBtfMismatch === null || typeof k.allowBtfMismatch === 'boolean');
    assert.ok(k.config === null || typeof k.config === 'string');
    assert.equal(k.allowBtfMismatch === null, k.config === null);
    for (const n of [k.ok, k.failed, k.notDistilled, k.noBtf, k.errors]) assert.ok(Number.isInteger(n) && n >= 0);
    assert.deepEqual(Object.keys(k.fates).sort(), ['loadsWithBtf', 'loadsWithoutBtf', 'refused', 'refusedOrLoadsWithoutBtf']);
  }
  const statuses = new Set(['ok', 'failed', 'not-distilled', 'no-btf', 'error']);
  const fates = new Set(['loads-with-btf', 'loads-without-btf', 'refused', 'refused-or-loads-without-btf']);
  for (const r of rep.results) {
    for (const key of Object.keys(r)) assert.ok(['module', 'kernel', 'status', 'btfAccepted', 'fate', 'reasons', 'libbpfMessage'].includes(key), key);
    assert.equal(typeof r.module, 'string');
    assert.ok(kernelNames.includes(r.kernel));
    assert.ok(statuses.has(r.status));
    assert.equal(typeof r.btfAccepted, 'boolean');
    assert.ok(fates.has(r.fate), r.fate);
    // The fate follows from the BTF verdict and the kernel's configuration.
    const kk = rep.kernels.find((k) => k.name === r.kernel)!;
    if (r.status === 'no-btf' || kk.btfModules === false) assert.equal(r.fate, 'loads-without-btf');
    else if (r.btfAccepted) assert.equal(r.fate, 'loads-with-btf');
    else assert.equal(r.fate, kk.allowBtfMismatch === null ? 'refused-or-loads-without-btf' : kk.allowBtfMismatch ? 'loads-without-btf' : 'refused');
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
    assert.equal(k.noBtf, mine.filter((r) => r.status === 'no-btf').length);
    assert.equal(k.fates.loadsWithBtf, mine.filter((r) => r.fate === 'loads-with-btf').length);
    assert.equal(k.fates.loadsWithoutBtf, mine.filter((r) => r.fate === 'loads-without-btf').length);
  }
  for (const t of rep.topTypes) {
    assert.deepEqual(Object.keys(t).sort(), ['kernel', 'modules', 'type']);
  }
}

