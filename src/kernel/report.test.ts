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
    { module: 'a.ko', kernel: '6.1.0-55', status: 'ok', btfAccepted: true, fate: 'loads-with-btf', reasons: [] },
    { module: 'a.ko', kernel: 'cloud', status: 'failed', btfAccepted: false, fate: 'refused-or-loads-without-btf', reasons: [i2c], libbpfMessage: "distilled base BTF type 'i2c_client' [3] is not mapped to base BTF id" },
    { module: 'b.ko', kernel: '6.1.0-55', status: 'failed', btfAccepted: false, fate: 'refused-or-loads-without-btf', reasons: [dev, { ...dev, detail: 'again' }] },
    { module: 'b.ko', kernel: 'cloud', status: 'failed', btfAccepted: false, fate: 'refused-or-loads-without-btf', reasons: [i2c, dev] },
    { module: 'c.ko', kernel: '6.1.0-55', status: 'not-distilled', btfAccepted: true, fate: 'loads-with-btf', reasons: [{ type: '', kind: 'BTF', problem: 'not-distilled', detail: 'consistent' }] },
    { module: 'c.ko', kernel: 'cloud', status: 'error', btfAccepted: false, fate: 'refused-or-loads-without-btf', reasons: [{ type: '', kind: 'ELF', problem: 'invalid-input', detail: 'bad' }] },
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
    { name: '6.1.0-55', path: '/k/55.btf', allowBtfMismatch: null, btfModules: null, config: null, ok: 1, failed: 1, notDistilled: 1, noBtf: 0, errors: 0, fates: { loadsWithBtf: 2, loadsWithoutBtf: 0, refused: 0, refusedOrLoadsWithoutBtf: 1 } },
    { name: 'cloud', path: '/k/cloud.btf', allowBtfMismatch: null, btfModules: null, config: null, ok: 0, failed: 2, notDistilled: 0, noBtf: 0, errors: 1, fates: { loadsWithBtf: 0, loadsWithoutBtf: 0, refused: 0, refusedOrLoadsWithoutBtf: 3 } },
  ]);
  assert.deepEqual(rep.topTypes, [
    { kernel: '6.1.0-55', type: 'struct device', modules: 1 },
    { kernel: 'cloud', type: 'struct i2c_client', modules: 2 },
    { kernel: 'cloud', type: 'struct device', modules: 1 },
  ]);
  assert.equal(b.allLoad, false);
  assert.equal(build(results().filter((r) => r.btfAccepted)).allLoad, true);
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

test('summaryTable: counts, fates, configuration and the types that break the most modules', () => {
  const t = build(results()).summaryTable();
  assert.equal(t, [
    'kernel    ok  BTF rejected  not distilled  no BTF  errors  loads with BTF  without BTF  refused',
    '--------  --  ------------  -------------  ------  ------  --------------  -----------  -------',
    '6.1.0-55   1             1              1       0       0               2            0     0+1?',
    'cloud      0             2              0       0       1               0            0     0+3?',
    '',
    'configuration:',
    '  6.1.0-55: configuration unknown: load refused if CONFIG_MODULE_ALLOW_BTF_MISMATCH is off, loads without BTF if =y; give --config FILE',
    '  cloud: configuration unknown: load refused if CONFIG_MODULE_ALLOW_BTF_MISMATCH is off, loads without BTF if =y; give --config FILE',
    '  N+M?: M modules are refused if CONFIG_MODULE_ALLOW_BTF_MISMATCH is off, load without BTF if =y',
    '',
    'types that break the most modules:',
    '  6.1.0-55: struct device: 1 module',
    '  cloud: struct i2c_client: 2 modules',
    '  cloud: struct device: 1 module',
  ].join('\n'));
});

test('a kernel with CONFIG_MODULE_ALLOW_BTF_MISMATCH=y: rejected BTF means loads without BTF; no-btf is no problem', () => {
  const b = new ReportBuilder([{ name: 'deb', path: '/k/deb.btf', allowBtfMismatch: true, config: '/boot/config-x' }]);
  const dev: CheckReason = { type: 'struct device', kind: 'STRUCT', problem: 'size', detail: 'struct device: 744 bytes when built, 752 in deb; embedded by value in struct x, member y', changes: ['+ long unsigned int[1] flags (offset 744, 8 bytes)'] };
  b.add({ module: '/m/a.ko', kernel: 'deb', status: 'failed', btfAccepted: false, fate: 'loads-without-btf', reasons: [dev] });
  b.add({ module: '/m/b.ko', kernel: 'deb', status: 'failed', btfAccepted: false, fate: 'loads-without-btf', reasons: [{ ...dev, detail: 'struct device: 744 bytes when built, 752 in deb; embedded by value in struct z, member w' }] });
  b.add({ module: '/m/c.ko', kernel: 'deb', status: 'no-btf', btfAccepted: false, fate: 'loads-without-btf', reasons: [{ type: '', kind: 'ELF', problem: 'no-btf', detail: 'no .BTF section' }] });
  const k = b.report().kernels[0]!;
  assert.equal(k.noBtf, 1);
  assert.equal(k.failed, 2);
  assert.deepEqual(k.fates, { loadsWithBtf: 0, loadsWithoutBtf: 3, refused: 0, refusedOrLoadsWithoutBtf: 0 });
  // One cause, both modules under it; the no-BTF module is not a cause.
  assert.equal(b.groupedText(), [
    'deb: 2 modules with BTF it rejects; CONFIG_MODULE_ALLOW_BTF_MISMATCH=y (/boot/config-x): a module whose BTF is rejected loads without BTF',
    '  struct device: 744 bytes when built, 752 in deb',
    '      + long unsigned int[1] flags (offset 744, 8 bytes)',
    '      2 modules: a.ko, b.ko',
  ].join('\n'));
  const only = new ReportBuilder([{ name: 'deb', path: '/k', allowBtfMismatch: false, config: 'c' }]);
  only.add({ module: '/m/c.ko', kernel: 'deb', status: 'no-btf', btfAccepted: false, fate: 'loads-without-btf', reasons: [] });
  assert.equal(only.allLoad, true, 'a module without BTF is not a failure');
});
