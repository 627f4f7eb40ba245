/** ReportBuilder: counters, top types, order independence, and the JSON schema's shape. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReportBuilder, type CheckReport } from './report.js';
import type { CheckReason, ModuleCheckResult } from './check.js';
import { assertReportShape } from './report-shape.test-util.js';

const kernels = [{ name: '6.1.0-55', path: '/k/55.btf' }, { name: 'cloud', path: '/k/cloud.btf' }];

function results(): ModuleCheckResult[] {
  const dev: CheckReason = { type: 'struct device', kind: 'STRUCT', problem: 'size', detail: 'struct device: 744 bytes when built, 752 in 6.1.0-55' };
  const i2c: CheckReason = { type: 'struct i2c_client', kind: 'STRUCT', problem: 'missing', detail: 'struct i2c_client: not in cloud (no type of that name)' };
  return [
    { module: 'a.ko', kernel: '6.1.0-55', status: 'ok', loads: true, reasons: [] },
    { module: 'a.ko', kernel: 'cloud', status: 'failed', loads: false, reasons: [i2c], libbpfMessage: "distilled base BTF type 'i2c_client' [3] is not mapped to base BTF id" },
    { module: 'b.ko', kernel: '6.1.0-55', status: 'failed', loads: false, reasons: [dev, { ...dev, detail: 'again' }] },
    { module: 'b.ko', kernel: 'cloud', status: 'failed', loads: false, reasons: [i2c, dev] },
    { module: 'c.ko', kernel: '6.1.0-55', status: 'not-distilled', loads: true, reasons: [{ type: '', kind: 'BTF', problem: 'not-distilled', detail: 'consistent' }] },
    { module: 'c.ko', kernel: 'cloud', status: 'error', loads: false, reasons: [{ type: '', kind: 'ELF', problem: 'invalid-input', detail: 'bad' }] },
  ];
}

function build(rs: ModuleCheckResult[], keep = true): ReportBuilder {
  const b = new ReportBuilder(kernels, keep);
  for (const r of rs) b.add(r);
  return b;
}

test('counters per kernel, in --kernel order; a type counts once per module', () => {
  const b = build(results());
  const rep = b.report();
  assert.deepEqual(rep.kernels, [
    { name: '6.1.0-55', path: '/k/55.btf', ok: 1, failed: 1, notDistilled: 1, errors: 0 },
    { name: 'cloud', path: '/k/cloud.btf', ok: 0, failed: 2, notDistilled: 0, errors: 1 },
  ]);
  assert.deepEqual(rep.topTypes, [
    { kernel: '6.1.0-55', type: 'struct device', modules: 1 },
    { kernel: 'cloud', type: 'struct i2c_client', modules: 2 },
    { kernel: 'cloud', type: 'struct device', modules: 1 },
  ]);
  assert.equal(b.allLoad, false);
  assert.equal(build(results().filter((r) => r.loads)).allLoad, true);
});

test('report() is the same whatever order results arrive in (workers finish out of order)', () => {
  const rs = results();
  const a = JSON.stringify(build(rs).report());
  const shuffled = [rs[5]!, rs[2]!, rs[0]!, rs[4]!, rs[3]!, rs[1]!];
  assert.equal(JSON.stringify(build(shuffled).report()), a);
  assert.deepEqual(build(shuffled).report().results.map((r) => `${r.module}@${r.kernel}`), ['a.ko@6.1.0-55', 'a.ko@cloud', 'b.ko@6.1.0-55', 'b.ko@cloud', 'c.ko@6.1.0-55', 'c.ko@cloud']);
});

test('without keepResults only counters are kept', () => {
  const b = build(results(), false);
  assert.equal(b.results.length, 0);
  assert.equal(b.report().kernels[1]!.failed, 2);
});

test('the JSON schema: shape of a report, through JSON', () => {
  const rep = JSON.parse(JSON.stringify(build(results()).report())) as CheckReport;
  assertReportShape(rep, ['6.1.0-55', 'cloud']);
});

test('summaryTable: counts and the types that break the most modules', () => {
  const t = build(results()).summaryTable();
  assert.equal(t, [
    'kernel    ok  failing  not distilled  errors',
    '--------  --  -------  -------------  ------',
    '6.1.0-55   1        1              1       0',
    'cloud      0        2              0       1',
    '',
    'types that break the most modules:',
    '  6.1.0-55: struct device: 1 module',
    '  cloud: struct i2c_client: 2 modules',
    '  cloud: struct device: 1 module',
  ].join('\n'));
});
