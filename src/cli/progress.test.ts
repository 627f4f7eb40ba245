/** Progress formatting (pure functions) and when the reporter writes. */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eta, finalLine, fit, formatDuration, formatRate, percent, plainDue, plainLine, progressBar, ProgressReporter, ttyLine, type ProgressState } from './progress.js';

test('formatDuration', () => {
  assert.equal(formatDuration(0), '0.0s');
  assert.equal(formatDuration(432), '0.4s');
  assert.equal(formatDuration(9_949), '9.9s');
  assert.equal(formatDuration(12_400), '12s');
  assert.equal(formatDuration(185_000), '3m05s');
  assert.equal(formatDuration(3_720_000), '1h02m');
  assert.equal(formatDuration(-5), '0.0s');
  assert.equal(formatDuration(NaN), '0.0s');
});

test('formatRate, percent, eta, progressBar', () => {
  assert.equal(formatRate(0, 1000), '');
  assert.equal(formatRate(10, 0), '');
  assert.equal(formatRate(4022, 1900), '2117 modules/s');
  assert.equal(formatRate(55, 1000), '55.0 modules/s');
  assert.equal(formatRate(3, 1000, 'files'), '3.00 files/s');
  assert.equal(percent(0, 10), 0);
  assert.equal(percent(4021, 4022), 99);
  assert.equal(percent(4022, 4022), 100);
  assert.equal(percent(0, 0), 100);
  assert.equal(eta(1000, 4000, 1000), '3.0s');
  assert.equal(eta(0, 4000, 1000), '');
  assert.equal(eta(4000, 4000, 1000), '');
  assert.equal(progressBar(0.5, 10), '█████·····');
  assert.equal(progressBar(2, 4, '#', '-'), '####');
  assert.equal(progressBar(-1, 4, '#', '-'), '----');
});

const state: ProgressState = {
  done: 1234,
  total: 4022,
  failing: [{ name: '6.1.0-55', count: 560 }, { name: 'cloud', count: 0 }],
  errors: 1,
  elapsedMs: 800,
};

test('ttyLine: bar, counts, rate, ETA, failing per kernel, cut to the width', () => {
  const line = ttyLine('check', state, 120);
  assert.equal(line, 'check [███████·················] 1234/4022   30%  1543 modules/s  ETA 1.8s  failing: 6.1.0-55 560  1 error');
  const narrow = ttyLine('check', state, 50);
  assert.equal([...narrow].length, 49);
  assert.ok(narrow.endsWith('…'));
  assert.equal(fit('short', 80), 'short');
});

test('plainLine and finalLine', () => {
  assert.equal(plainLine('check', state), 'check: 1234/4022 modules (30%), 1543 modules/s, 0.8s elapsed, failing: 6.1.0-55 560, 1 error');
  assert.equal(plainLine('distill', { done: 0, total: 5, failing: [], errors: 0, elapsedMs: 0 }), 'distill: 0/5 modules (0%), 0.0s elapsed');
  assert.equal(finalLine('checked', 4022, 2, 1900, 2), 'checked 4022 modules against 2 kernels in 1.9s (2 workers, 2117 modules/s)');
  assert.equal(finalLine('distilled', 1, 0, 50, 0), 'distilled 1 module in 0.1s (in-process, 20.0 modules/s)');
  // Slow kernel loading (a vmlinuz to unpack) is shown apart, and the rate is over the rest.
  assert.equal(finalLine('checked', 3, 3, 2400, 0, 2200), 'checked 3 modules against 3 kernels in 2.4s (in-process, 2.2s loading kernels, 15.0 modules/s)');
  assert.equal(finalLine('checked', 3, 1, 400, 0, 300), 'checked 3 modules against 1 kernel in 0.4s (in-process, 7.50 modules/s)');
});

test('plainDue: every tenth or every 5 s, quiet for the first 2 s', () => {
  const last = { ms: 0, decile: 0 };
  assert.equal(plainDue(last, 500, 1000, 1000), false); // too early
  assert.equal(plainDue(last, 50, 1000, 2500), false); // not a tenth yet, not 5 s
  assert.equal(plainDue(last, 100, 1000, 2500), true); // a tenth
  assert.equal(plainDue({ ms: 2500, decile: 1 }, 150, 1000, 6000), false);
  assert.equal(plainDue({ ms: 2500, decile: 1 }, 150, 1000, 7500), true); // 5 s
});

test('ProgressReporter: plain lines without a terminal, \\r redraws on one', () => {
  let t = 0;
  const plain: string[] = [];
  const p = new ProgressReporter({ write: (s: string) => plain.push(s), isTTY: false }, 'check', 20, ['A'], () => t);
  p.note('loading…'); // nothing without a terminal
  for (let i = 0; i < 20; i++) {
    t += 250; // 5 s in all
    p.update(i % 4 === 0 ? ['A'] : [], false);
  }
  p.finish('checked 20 modules');
  // Quiet for 2 s (8 items), then one line per tenth until the end; never a \r.
  assert.ok(plain.length >= 5 && plain.length <= 7, plain.join(''));
  assert.ok(plain.every((l) => l.endsWith('\n') && !l.includes('\r')));
  assert.match(plain[0]!, /^check: 8\/20 modules \(40%\), 4\.00 modules\/s, 2\.0s elapsed, failing: A 2\n$/);
  assert.equal(plain[plain.length - 1], 'checked 20 modules\n');

  // begin() restarts the clock once the kernels are loaded.
  t = 0;
  const late: string[] = [];
  const r = new ProgressReporter({ write: (s: string) => late.push(s), isTTY: false }, 'check', 10, [], () => t);
  t = 10_000; // kernels took 10 s
  r.begin();
  t += 1000;
  r.update([], false);
  assert.deepEqual(late, []); // 1 s into the modules: still quiet
  t += 1500;
  r.update([], false);
  assert.deepEqual(late, ['check: 2/10 modules (20%), 0.80 modules/s, 2.5s elapsed\n']);

  t = 0;
  const tty: string[] = [];
  const q = new ProgressReporter({ write: (s: string) => tty.push(s), isTTY: true, columns: 100 }, 'check', 3, ['A'], () => t);
  q.note('loading 2 kernels…');
  assert.equal(tty.shift(), '\rcheck: loading 2 kernels…\x1b[K');
  q.update([], false);
  t += 50;
  q.update([], false); // within 100 ms: not redrawn
  t += 50;
  q.update(['A'], false); // last one: always drawn
  q.finish('done');
  assert.equal(tty.length, 4);
  assert.ok(tty[0]!.startsWith('\rcheck [') && tty[0]!.endsWith('\x1b[K'));
  assert.match(tty[1]!, /3\/3 +100%.*failing: A 1/);
  assert.equal(tty[2], '\r\x1b[K');
  assert.equal(tty[3], 'done\n');
});

test('a 0-column terminal (a pty without a size) gets the 80-column layout, not a broken bar', async () => {
  const { termColumns, fit } = await import('./progress.js');
  assert.equal(termColumns(0), 80);
  assert.equal(termColumns(undefined), 80);
  assert.equal(termColumns(120), 120);
  assert.equal(fit('x'.repeat(200), 0).length, 79);
});
