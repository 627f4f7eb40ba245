/**
 * The WebAssembly kernels: the embedded module is the committed accel.wasm that
 * scripts/build-accel-wasm.sh built and recorded; StrIndex built in WebAssembly answers every
 * lookup exactly as its JavaScript twin does (run in a `node --jitless` child, where there is no
 * WebAssembly, so the fallback is the one a user would get) on sections with repeated, empty,
 * prefix and short strings, on an unaligned view, and on the running kernel's strings; a table
 * too small for the strings is retried larger.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { ACCEL_WASM, ACCEL_WASM_SHA256 } from './accel-wasm.js';
import { DEDUP_WASM } from './dedup-wasm.js';
import { ENCODE_WASM } from './encode-wasm.js';
import { base64Bytes } from './wasm.js';
import { buildStrIndexSlots } from './accel.js';
import { StrIndex, tableSlots } from '../model/strindex.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const STRINDEX_JS = pathToFileURL(join(ROOT, 'dist/src/model/strindex.js')).href;

test('accel: the embedded module is src/accel/accel.wasm, with the recorded sha256', () => {
  const file = readFileSync(join(ROOT, 'src/accel/accel.wasm'));
  assert.deepEqual(Buffer.from(ACCEL_WASM, 'base64'), file);
  assert.equal(createHash('sha256').update(file).digest('hex'), ACCEL_WASM_SHA256);
});

test('accel: every embedded module decodes from its base64 to its committed .wasm, with Node\'s decoder and with atob', () => {
  const mods: [string, string][] = [['accel', ACCEL_WASM], ['dedup', DEDUP_WASM], ['encode', ENCODE_WASM]];
  for (const [name, text] of mods) {
    const file = new Uint8Array(readFileSync(join(ROOT, `src/accel/${name}.wasm`)));
    assert.deepEqual(new Uint8Array(base64Bytes(text)), file, name);
    // the browsers' path: no Buffer (atob, where the engine has no Uint8Array.fromBase64)
    const g = globalThis as unknown as { Buffer?: unknown };
    const saved = g.Buffer;
    g.Buffer = undefined;
    try {
      assert.deepEqual(new Uint8Array(base64Bytes(text)), file, `${name} (atob)`);
    } finally {
      g.Buffer = saved;
    }
  }
});

/** A string section of `names` (NUL after each). */
function section(names: string[]): Uint8Array {
  return new Uint8Array(Buffer.concat(names.map((s) => Buffer.from(`${s}\0`, 'latin1'))));
}

/**
 * Every string's lookup in the index of `strs`, by each string's own bytes (its first
 * occurrence's offset), plus lookups that must fail: one line per answer. The same code runs
 * here and, as text, in the jitless child.
 */
const ANSWERS = `(StrIndex, strs) => {
  const idx = new StrIndex(strs, strs.length);
  const out = [];
  for (let off = 0; off < strs.length; ) {
    let e = off;
    while (strs[e] !== 0) e++;
    out.push(idx.findBytes(strs, off, e - off));
    off = e + 1;
  }
  for (const miss of ['\\u0001', 'no such string at all', 'x'.repeat(300)]) out.push(idx.find(miss));
  return out.join('\\n');
}`;

function answersHere(strs: Uint8Array): string {
  return (eval(ANSWERS) as (c: typeof StrIndex, s: Uint8Array) => string)(StrIndex, strs);
}

/** The same answers from StrIndex's JavaScript twin: a `node --jitless` child (no WebAssembly). */
function answersJitless(strs: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-accel-'));
  try {
    const file = join(dir, 'strs.bin');
    writeFileSync(file, strs);
    const code = `import { StrIndex } from ${JSON.stringify(STRINDEX_JS)};
import { readFileSync } from 'node:fs';
if (typeof WebAssembly !== 'undefined') throw new Error('expected no WebAssembly under --jitless');
process.stdout.write((${ANSWERS})(StrIndex, new Uint8Array(readFileSync(${JSON.stringify(file)}))));`;
    const r = spawnSync(process.execPath, ['--jitless', '--no-warnings', '--input-type=module', '-e', code], { encoding: 'utf8', maxBuffer: 1 << 28 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('accel: StrIndex is built in WebAssembly here', () => {
  const strs = section(['', 'int', 'char']);
  const r = buildStrIndexSlots(strs, strs.length, 1024);
  assert.ok(r !== null && r !== 'full');
  assert.equal(r.count, 3);
});

test('accel: StrIndex in WebAssembly answers as its JavaScript twin (repeats, empty, prefixes, unaligned)', () => {
  const names = ['', 'int', 'in', 'int', '', 'integer', 'x', 'abc', 'abcd', 'abcde', 'a'.repeat(40), 'a'.repeat(41)];
  for (let i = 0; i < 20000; i++) names.push(`name_${i % 15000}_${'q'.repeat(i % 23)}`);
  const strs = section(names);
  const here = answersHere(strs);
  assert.equal(here, answersJitless(strs));
  // the first occurrence wins: the second 'int' is found at the first one's offset
  const lines = here.split('\n').map(Number);
  assert.equal(lines[3], lines[1]);
  assert.equal(lines[4], 0);
  // an unaligned view of the same section
  const shifted = new Uint8Array(strs.length + 3);
  shifted.set(strs, 3);
  assert.equal(answersHere(shifted.subarray(3)), here);
});

test('accel: the table is sized as strindex.ts sizes it, from the strings counted (repeats and empty ones too)', () => {
  const cases = [[''], ['', 'a'], Array.from({ length: 511 }, (_, i) => `s${i}`), Array.from({ length: 512 }, (_, i) => `s${i}`), Array.from({ length: 513 }, () => 'same'), Array.from({ length: 3000 }, (_, i) => 'x'.repeat(i % 37))];
  for (const names of cases) {
    const strs = section(names);
    const r = buildStrIndexSlots(strs, strs.length);
    assert.ok(r !== null && r !== 'full');
    assert.equal(r.cap, tableSlots(strs, strs.length), `${names.length} strings`);
  }
  // 512 strings fit 1024 slots, 513 need 2048 (repeats counted: the table can never fill)
  const fits = section(Array.from({ length: 512 }, (_, i) => `s${i}`));
  const over = section(Array.from({ length: 513 }, () => 'same'));
  assert.equal(tableSlots(fits, fits.length), 1024);
  assert.equal(tableSlots(over, over.length), 2048);
});

test('accel: a table too small for the strings is retried larger (one-byte strings)', () => {
  const names: string[] = [''];
  for (let i = 1; i < 256; i++) names.push(String.fromCharCode(i));
  for (let i = 0; i < 4000; i++) names.push(`${i}`);
  const strs = section(names);
  // a 2048-slot table holds at most 1024 of the ~4250 strings
  assert.equal(buildStrIndexSlots(strs, strs.length, 2048), 'full');
  assert.equal(answersHere(strs), answersJitless(strs));
});

test('accel: StrIndex of the running kernel\'s strings, in WebAssembly and in JavaScript', { skip: !existsSync('/sys/kernel/btf/vmlinux') && 'no /sys/kernel/btf/vmlinux' }, () => {
  const raw = new Uint8Array(readFileSync('/sys/kernel/btf/vmlinux'));
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const hdrLen = dv.getUint32(4, true);
  const strOff = dv.getUint32(16, true);
  const strLen = dv.getUint32(20, true);
  const strs = raw.subarray(hdrLen + strOff, hdrLen + strOff + strLen);
  const here = answersHere(strs);
  assert.ok(here.split('\n').length > 50000);
  assert.equal(here, answersJitless(strs));
});
