/** btfkit's verdicts against the guest's report: fates, named types, counts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import type { GuestModule } from './guest.js';
import { btfErrors, compareVerdicts, expectedFate, namedType, observedFate, type CheckVerdict } from './compare.js';

const MSG = (t: string): string => `distilled base BTF type '${t}' [30] is not mapped to base BTF id`;
const ok = (module: string): CheckVerdict => ({ module, status: 'ok', loads: true, reasons: [] });
const bad = (module: string, t: string): CheckVerdict => ({ module, status: 'failed', loads: false, reasons: [{ type: `struct ${t}`, detail: '' }], libbpfMessage: MSG(t) });
const g = (name: string, rc: number, btfSize: number, log: string[] = []): GuestModule => ({ name, rc, us: 1000, btfSize, bytes: null, log, complete: true });

test('expectedFate: from loads and CONFIG_MODULE_ALLOW_BTF_MISMATCH, or check\'s own fate field', () => {
  assert.equal(expectedFate(ok('a'), true), 'with-btf');
  assert.equal(expectedFate(ok('a'), false), 'with-btf');
  assert.equal(expectedFate(bad('a', 'kvm'), true), 'without-btf');
  assert.equal(expectedFate(bad('a', 'kvm'), false), 'refused');
  assert.equal(expectedFate({ ...bad('a', 'kvm'), fate: 'refused' }, true), 'refused');
  assert.equal(expectedFate({ ...ok('a'), fate: 'something else' }, true), 'with-btf');
  // check's fates (btfAccepted + fate replaced loads)
  const v = (fate: string, btfAccepted: boolean): CheckVerdict => ({ module: 'm', status: btfAccepted ? 'ok' : 'failed', btfAccepted, fate, reasons: [] });
  assert.equal(expectedFate(v('loads-with-btf', true), false), 'with-btf');
  assert.equal(expectedFate(v('loads-without-btf', false), false), 'without-btf');
  assert.equal(expectedFate(v('refused', false), true), 'refused');
  assert.equal(expectedFate(v('refused-or-loads-without-btf', false), true), 'without-btf');
  assert.equal(expectedFate(v('refused-or-loads-without-btf', false), false), 'refused');
  assert.equal(expectedFate({ module: 'm', status: 'failed', btfAccepted: false, reasons: [] }, true), 'without-btf');
});

test('observedFate: finit_module result and /sys/kernel/btf/<module>', () => {
  assert.equal(observedFate(g('a', 0, 100)), 'with-btf');
  assert.equal(observedFate(g('a', 0, -1)), 'without-btf');
  assert.equal(observedFate(g('a', 2, -1)), 'refused');
});

test('namedType: the quoted type of a relocation message', () => {
  assert.equal(namedType(MSG('kvm')), 'kvm');
  assert.equal(namedType("distilled base BTF type 'x' [3], size 8 has multiple candidates of the same size (ids [1, 2]) in base BTF"), 'x');
  assert.equal(namedType('BPF: [112807] Invalid name_offset:2053498'), null);
  assert.equal(namedType(undefined), null);
});

test('btfErrors: BTF, BPF and kfunc lines, not unrelated ones', () => {
  assert.deepEqual(btfErrors(['IPsec XFRM device driver', 'BPF: [1] Invalid name', 'failed to register kfunc set', 'x: module verification failed: signature']), ['BPF: [1] Invalid name', 'failed to register kfunc set']);
});

test('compareVerdicts: agreement, fate mismatches, type mismatches, not loaded, missing', () => {
  const verdicts = new Map([
    ['a', ok('a')],
    ['b', bad('b', 'kvm')],
    ['c', bad('c', 'device')],
    ['d', ok('d')],
    ['e', ok('e')],
    ['f', ok('f')],
  ]);
  const guest = new Map([
    ['a', g('a', 0, 500)],
    ['b', g('b', 0, -1, [MSG('kvm'), 'Kernel module BTF mismatch detected, BTF debug info may be unavailable for some modules'])],
    ['c', g('c', 0, -1, [MSG('net_device')])],
    ['d', g('d', 0, -1, ['BPF: something'])],
    ['e', g('e', 2, -1, ['e: Unknown symbol foo (err -2)'])],
  ]);
  const c = compareVerdicts(['a', 'b', 'c', 'd', 'e', 'f'], verdicts, guest, true);
  assert.equal(c.modules, 6);
  assert.equal(c.loaded, 4);
  assert.deepEqual([c.keptBtf, c.droppedBtf, c.agreeAccepted, c.agreeRejected], [1, 3, 1, 2]);
  assert.deepEqual(c.fateMismatch.map((m) => [m.name, m.expected, m.observed]), [['d', 'with-btf', 'without-btf']]);
  assert.deepEqual([c.typeChecked, c.typeAgree, c.messageAgree], [2, 1, 1]);
  assert.deepEqual(c.typeMismatch, [{ name: 'c', kernel: MSG('net_device'), btfkit: MSG('device') }]);
  assert.deepEqual(c.notLoaded, [{ name: 'e', rc: 2, why: 'e: Unknown symbol foo (err -2)' }]);
  assert.deepEqual(c.missing, ['f']);
});

test('compareVerdicts: with CONFIG_MODULE_ALLOW_BTF_MISMATCH=n a rejected BTF is a refused load', () => {
  const c = compareVerdicts(['b'], new Map([['b', bad('b', 'kvm')]]), new Map([['b', g('b', 0, -1)]]), false);
  assert.deepEqual(c.fateMismatch.map((m) => [m.expected, m.observed]), [['refused', 'without-btf']]);
});
