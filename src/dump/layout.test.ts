/**
 * `btfkit layout` against pahole v1.31 (`pahole -F btf -C T1,T2,... FILE`), byte for byte, on
 * the golden outputs scripts/golden-layout.ts made (test/golden/layout/): a built BTF with the
 * corner cases (always run), 358 types of the 6.1.0-47 vmlinux and 124 of kvm.ko split on it
 * (run when the corpus is present). Plus pahole's handling of several and of missing TYPEs.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { layoutTypes } from './layout.js';
import { syntheticLayoutBtf, SYNTHETIC_TYPES } from './layout-fixture.test-util.js';
import { hasCorpus, kernelBtfPath, modulesDir } from '../../scripts/corpus-paths.js';
import { loadBtf, loadBaseBtf } from '../node/load.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const GOLDEN = join(REPO, 'test', 'golden', 'layout');
const MAIN = join(REPO, 'dist', 'src', 'cli', 'main.js');
const KVER = '6.1.0-47-amd64';

const names = (n: string): string[] => readFileSync(join(GOLDEN, `${n}.names`), 'utf8').split('\n').filter((s) => s !== '');
const want = (n: string): string => gunzipSync(readFileSync(join(GOLDEN, `${n}.out.gz`))).toString('utf8');

function assertSameText(got: string, exp: string, what: string): void {
  if (got === exp) return;
  let i = 0;
  while (i < got.length && i < exp.length && got[i] === exp[i]) i++;
  const from = Math.max(got.lastIndexOf('\n', i - 1), 0);
  assert.fail(`${what}: differs at char ${i}\n got: ${JSON.stringify(got.slice(from, i + 100))}\nwant: ${JSON.stringify(exp.slice(from, i + 100))}`);
}

test('layout: built BTF with packed, aligned, bitfield, flexible-array, pointer and enum corners = pahole', () => {
  const raw = readFileSync(join(GOLDEN, 'synthetic.btf'));
  // the committed input is what the fixture builds
  assert.deepEqual(Buffer.from(serializeBtf(syntheticLayoutBtf())), raw);
  assert.deepEqual(names('synthetic'), SYNTHETIC_TYPES);
  const r = layoutTypes(parseBtf(new Uint8Array(raw)), SYNTHETIC_TYPES);
  assert.equal(r.missing, null);
  assertSameText(r.text, want('synthetic'), 'synthetic.btf');
});

test('layout: each type alone = its part of the session output (no state leaks between TYPEs)', () => {
  const btf = parseBtf(new Uint8Array(readFileSync(join(GOLDEN, 'synthetic.btf'))));
  const joined = SYNTHETIC_TYPES.map((n) => layoutTypes(btf, [n]).text).join('');
  assertSameText(joined, want('synthetic'), 'one by one');
});

test('layout: a missing TYPE stops the output there, as pahole does', () => {
  const btf = syntheticLayoutBtf();
  const r = layoutTypes(btf, ['flex', 'nonexistent', 'packed_s']);
  assert.equal(r.missing, 'nonexistent');
  assert.equal(r.text, layoutTypes(btf, ['flex']).text);
  // forward declarations are not definitions: 'opaque' is only a FWD
  assert.equal(layoutTypes(btf, ['opaque']).missing, 'opaque');
});

test('layout CLI: several TYPE arguments, comma lists, one-line error and exit 1 for a missing type', { skip: !existsSync(MAIN) }, () => {
  const file = join(GOLDEN, 'synthetic.btf');
  const ok = spawnSync(process.execPath, [MAIN, 'layout', 'packed_s', 'bits,flex', file], { encoding: 'utf8' });
  assert.equal(ok.status, 0, ok.stderr);
  const exp = want('synthetic');
  const parts = exp.split(/(?<=;\n\n)(?=[^\t\n])/);
  assert.equal(ok.stdout, parts.slice(0, 3).join(''));
  const bad = spawnSync(process.execPath, [MAIN, 'layout', 'flex', 'nope', file], { encoding: 'utf8' });
  assert.equal(bad.status, 1);
  assert.equal(bad.stdout, parts[2]);
  assert.match(bad.stderr, /^btfkit: .*type 'nope' not found.*\n$/);
  assert.equal(bad.stderr.split('\n').length, 2);
  const usage = spawnSync(process.execPath, [MAIN, 'layout', file], { encoding: 'utf8' });
  assert.equal(usage.status, 2);
});

test(`layout: ${KVER} vmlinux, 358 types in one session = pahole`, { skip: !hasCorpus(KVER) && 'corpus not present' }, async () => {
  const { btf } = await loadBtf(kernelBtfPath(KVER));
  const n = names(`vmlinux-${KVER}`);
  assert.ok(n.includes('sk_buff') && n.includes('task_struct'));
  const r = layoutTypes(btf, n);
  assert.equal(r.missing, null);
  assertSameText(r.text, want(`vmlinux-${KVER}`), 'vmlinux');
});

test('layout: kvm.ko split on its vmlinux (pahole --btf_base), 124 types = pahole', { skip: !hasCorpus(KVER) && 'corpus not present' }, async () => {
  const base = await loadBaseBtf(kernelBtfPath(KVER));
  const { btf } = await loadBtf(join(modulesDir(KVER), 'arch/x86/kvm/kvm.ko'), base);
  const r = layoutTypes(btf, names('kvm'));
  assert.equal(r.missing, null);
  assertSameText(r.text, want('kvm'), 'kvm.ko');
});

test('layout CLI: -B BASE for a module (pahole --btf_base)', { skip: (!hasCorpus(KVER) || !existsSync(MAIN)) && 'corpus or build not present' }, () => {
  const ko = join(modulesDir(KVER), 'arch/x86/kvm/kvm.ko');
  const r = spawnSync(process.execPath, [MAIN, 'layout', 'kvm', ko, '-B', kernelBtfPath(KVER)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, want('kvm').split(/(?<=;\n\n)(?=[^\t\n])/)[0]);
});
