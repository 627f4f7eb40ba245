/** Module names, modinfo output, the spread sample and the dependency order. */
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { loadOrder, moduleName, parseDependsLines, selectSample, spreadOrder } from './modules.js';

test('moduleName: file name without .ko[.xz], dashes as underscores', () => {
  assert.equal(moduleName('/x/kernel/arch/x86/crypto/aegis128-aesni.ko.xz'), 'aegis128_aesni');
  assert.equal(moduleName('net/ipv4/tcp_bbr.ko'), 'tcp_bbr');
  assert.equal(moduleName('a/b-c.ko.zst'), 'b_c');
});

test('parseDependsLines: one line per module, empty for none, names normalised', () => {
  assert.deepEqual(parseDependsLines('nf_conntrack,libcrc32c\n\nfoo-bar\n', 3), [['nf_conntrack', 'libcrc32c'], [], ['foo_bar']]);
  assert.throws(() => parseDependsLines('a\n', 2), /printed 1 lines for 2 modules/);
});

test('spreadOrder: a permutation whose prefixes cover the range', () => {
  const n = 1000;
  const o = spreadOrder(n);
  assert.deepEqual([...o].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  // every prefix is spread: no gap between its sorted positions (or the ends) above 2n/k
  for (const k of [5, 10, 37, 200]) {
    const s = [-1, ...o.slice(0, k).sort((a, b) => a - b), n];
    const gap = Math.max(...s.slice(1).map((p, i) => p - s[i]!));
    assert.ok(gap <= (2 * n) / k, `prefix ${k}: gap ${gap}`);
  }
  assert.deepEqual(spreadOrder(0), []);
});

const deps = new Map<string, string[]>([
  ['a', []], ['b', ['a']], ['c', ['b', 'x']], ['x', []], ['y', []], ['z', ['y']], ['big', []], ['m1', []], ['m2', []],
]);
const all = [...deps.keys()].sort();

test('selectSample: all required modules, then a spread until the closure reaches the target', () => {
  const s = selectSample(all, new Set(['c']), 6, deps, (n) => n === 'big');
  assert.equal(s[0], 'c');
  assert.ok(!s.includes('big'));
  const closure = new Set(loadOrder(s, deps));
  assert.ok(closure.size >= 6, `closure ${[...closure]}`);
  assert.ok(closure.has('a') && closure.has('b') && closure.has('x'));
  // deterministic, and never fewer than asked when there are enough modules
  assert.deepEqual(selectSample(all, new Set(['c']), 6, deps, (n) => n === 'big'), s);
  assert.equal(new Set(loadOrder(selectSample(all, new Set(), 100, deps), deps)).size, all.length);
  assert.deepEqual(selectSample(all, new Set(['c']), 1, deps), ['c']);
});

test('loadOrder: dependencies first, each once; cycles and unknown modules are errors', () => {
  const o = loadOrder(['c', 'z', 'b'], deps);
  assert.deepEqual(o, ['a', 'b', 'x', 'c', 'y', 'z']);
  assert.throws(() => loadOrder(['p'], new Map([['p', ['q']], ['q', ['p']]])), /dependency cycle: p -> q -> p/);
  assert.throws(() => loadOrder(['c'], new Map([['c', ['nope']]])), /unknown module nope \(needed by c\)/);
});
