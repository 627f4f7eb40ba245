/**
 * `diffBtf` / `btfkit diff`: added, removed and changed types by kind and name, field-level
 * changes in structdiff's words, enums by value, functions by prototype; on small built BTFs
 * (always) and on the corpus kernels 6.1.0-47 -> 6.1.0-55 (struct device grew 744 -> 752).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { Btf } from '../model/btf.js';
import { serializeBtf } from '../format/write.js';
import { diffBtf, formatDiff, indexTypes } from './diff.js';
import { hasCorpus, kernelBtfPath } from '../../scripts/corpus-paths.js';
import { loadBtf } from '../node/load.js';

const MAIN = join(fileURLToPath(new URL('../../../', import.meta.url)), 'dist', 'src', 'cli', 'main.js');

/** v1: struct dev { int a; long b; }, enum e { X=1, Y=2 }, func f(int), typedef t -> int, struct gone. */
function kernel(v: 1 | 2): Btf {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const long = b.addInt('long', 8, 1);
  b.addStruct('dev', v === 1 ? 16 : 24);
  b.addField('a', int, 0);
  b.addField('b', long, 64);
  if (v === 2) b.addField('c', long, 128);
  b.addStruct('same', 4);
  b.addField('x', int, 0);
  b.addEnum('e', 4);
  b.addEnumValue('X', 1);
  b.addEnumValue('Y', v === 1 ? 2 : 3);
  if (v === 2) b.addEnumValue('Z', 4);
  const proto = b.addFuncProto(int);
  b.addFuncParam('n', int);
  if (v === 2) b.addFuncParam('m', long);
  b.addFunc('f', 1, proto);
  b.addTypedef('t', v === 1 ? int : long);
  if (v === 1) b.addStruct('gone', 0);
  else b.addUnion('fresh', 8);
  return b;
}

test('diff: added, removed and changed types with their field, value and prototype changes', () => {
  const d = diffBtf(kernel(1), kernel(2));
  assert.deepEqual(d.added.map((t) => `${t.kind} ${t.name} ${t.size}`), ['union fresh 8']);
  assert.deepEqual(d.removed.map((t) => `${t.kind} ${t.name}`), ['struct gone']);
  assert.deepEqual(d.changed.map((c) => `${c.kind} ${c.name}`), ['struct dev', 'enum e', 'typedef t', 'func f']);
  assert.equal(d.compared, 5);
  assert.equal(formatDiff(d), [
    '~ struct dev: 16 -> 24 bytes',
    '    + long c (offset 16, 8 bytes)',
    '~ enum e',
    '    ~ Y: 2 -> 3',
    '    + Z = 4',
    '~ typedef t',
    '    ~ type changed: int -> long',
    '~ func f',
    '    ~ prototype: int (int) -> int (int, long)',
    '+ union fresh (8 bytes)',
    '- struct gone (0 bytes)',
    '4 changed (struct 1, enum 1, typedef 1, func 1), 1 added (union 1), 1 removed (struct 1); 1 of 5 types in both unchanged',
    '',
  ].join('\n'));
});

test('diff: equal BTFs, TYPE filter, split BTF compares only its own types', () => {
  const d = diffBtf(kernel(1), kernel(1));
  assert.equal(d.added.length + d.removed.length + d.changed.length, 0);
  assert.match(formatDiff(d), /^no differences \(6 types compared\)\n$/);
  const only = diffBtf(kernel(1), kernel(2), ['dev', 'same']);
  assert.deepEqual(only.changed.map((c) => c.name), ['dev']);
  assert.equal(only.compared, 2);
  const base = kernel(1);
  const split = Btf.createSplit(base);
  split.addStruct('mod_only', 8);
  split.addField('p', 1, 0);
  assert.deepEqual([...indexTypes(split).keys()], ['struct mod_only']);
});

test('diff CLI: exit 1 when different, 0 when equal, -j JSON, one-line error for an unknown TYPE', { skip: !existsSync(MAIN) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-diff-'));
  try {
    const a = join(dir, 'a.btf');
    const b = join(dir, 'b.btf');
    writeFileSync(a, serializeBtf(kernel(1)));
    writeFileSync(b, serializeBtf(kernel(2)));
    const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, 'diff', ...args], { encoding: 'utf8' });
    const r = run(a, b);
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, formatDiff(diffBtf(kernel(1), kernel(2))));
    assert.equal(run(a, a).status, 0);
    const j = run('-j', a, b, 'dev');
    assert.equal(j.status, 1);
    const parsed = JSON.parse(j.stdout);
    assert.equal(parsed.changed[0].name, 'dev');
    assert.equal(parsed.changed[0].sizeAfter, 24);
    const bad = run(a, b, 'nosuch');
    assert.equal(bad.status, 1);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^btfkit: .*'nosuch'.*\n$/);
    assert.equal(run(a).status, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('diff: 6.1.0-47 -> 6.1.0-55 (struct device 744 -> 752, its new flags field)', { skip: !hasCorpus() && 'corpus not present' }, async () => {
  const { btf: a } = await loadBtf(kernelBtfPath('6.1.0-47-amd64'));
  const { btf: b } = await loadBtf(kernelBtfPath('6.1.0-55-amd64'));
  const d = diffBtf(a, b);
  const dev = d.changed.find((c) => c.kind === 'struct' && c.name === 'device');
  assert.ok(dev);
  assert.equal(dev.sizeBefore, 744);
  assert.equal(dev.sizeAfter, 752);
  assert.deepEqual(dev.lines, ['+ long unsigned int[1] flags (offset 744, 8 bytes)']);
  assert.equal(d.changed.length, 342);
  assert.equal(d.added.length, 191);
  assert.equal(d.removed.length, 83);
  assert.ok(d.changed.some((c) => c.kind === 'func'));
  assert.ok(d.changed.some((c) => c.kind === 'enum' && c.name === 'cpuhp_state'));
});
