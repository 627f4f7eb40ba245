/**
 * Tests of the pure decoders (xz / LZMA / LZ4), the checks (CRC32, CRC64, xxHash32) and the
 * zstd frame walker: committed fixtures (test/fixtures/image, made by make.sh) plus data
 * compressed at test time with the CLI tools when they are installed (skipped otherwise).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BtfkitError } from '../errors.js';
import { crc32, crc64 } from './crc.js';
import { decodeLz4Frame, decodeLz4Legacy, xxh32 } from './lz4.js';
import { decodeLzmaAlone } from './lzma.js';
import { decodeXz } from './xz.js';
import { walkZstdFrames } from './zstd.js';
import { DEFAULT_MAX_OUTPUT, OutputBuffer, PREALLOC_MAX, type DecodeOptions } from './output.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/image');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIX, name)));
const SAMPLE = fixture('sample.bin');

function hasTool(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function run(tool: string, args: string[], input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync(tool, args, { input, maxBuffer: 1 << 28, stdio: ['pipe', 'pipe', 'pipe'] }));
}

/** Deterministic pseudo-random bytes with some redundancy (so matches occur). */
function sampleData(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if (i > 64 && (x & 3) === 0) out[i] = out[i - 1 - ((x >>> 8) & 63)]!;
    else if ((x & 7) === 1) out[i] = 0xe8;
    else out[i] = x >>> 24;
  }
  return out;
}

function assertImageError(fn: () => unknown, msg?: string): void {
  assert.throws(fn, (e: unknown) => e instanceof BtfkitError && e.code === 'IMAGE', msg);
}

/** Corrupting input may decode to garbage (no checksum) but must never throw anything else. */
function assertNoForeignException(fn: () => unknown): void {
  try {
    const r = fn();
    assert.ok(r instanceof Uint8Array);
  } catch (e) {
    assert.ok(e instanceof BtfkitError && e.code === 'IMAGE', `unexpected ${String(e)}`);
  }
}

test('crc32, crc64 and xxh32 reference values', () => {
  const s = new TextEncoder().encode('123456789');
  assert.equal(crc32(s), 0xcbf43926);
  assert.deepEqual(crc64(s), [0xdf1939fa, 0x995dc9bb]);
  assert.equal(xxh32(new Uint8Array(0)), 0x02cc5d05);
  assert.equal(xxh32(s), 0x937bad67);
  // slicing-by-8 and the byte loop agree at every length / offset
  const d = sampleData(100);
  for (let i = 0; i < 20; i++) assert.equal(crc32(d, i, 100), crc32(d.subarray(i)));
  assert.equal(crc32(d, 0, 100), crc32(d.subarray(50), 0, 50, crc32(d, 0, 50)));
});

const FIXTURES: Array<[string, (b: Uint8Array, o?: DecodeOptions) => Uint8Array]> = [
  ['sample.x86.xz', decodeXz],
  ['sample.crc64.xz', decodeXz],
  ['sample.lzma', decodeLzmaAlone],
  ['sample.legacy.lz4', decodeLz4Legacy],
  ['sample.frame.lz4', decodeLz4Frame],
];

for (const [name, decode] of FIXTURES) {
  test(`fixture ${name} decodes to sample.bin`, () => {
    assert.deepEqual(decode(fixture(name)), SAMPLE);
  });

  test(`fixture ${name}: trailing bytes are ignored (kernel appends the size)`, () => {
    const b = fixture(name);
    const t = new Uint8Array(b.length + 4);
    t.set(b);
    new DataView(t.buffer).setUint32(b.length, SAMPLE.length, true);
    assert.deepEqual(decode(t), SAMPLE);
  });

  test(`fixture ${name}: truncation is a BtfkitError IMAGE`, () => {
    const b = fixture(name);
    for (const cut of [1, 5, 13, (b.length / 2) | 0, b.length - 1]) {
      assertImageError(() => decode(b.subarray(0, cut)), `${name} cut at ${cut}`);
    }
  });

  test(`fixture ${name}: random corruption never throws anything but BtfkitError IMAGE`, () => {
    const b = fixture(name);
    let x = 12345;
    for (let k = 0; k < 300; k++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const c = b.slice();
      const n = 1 + (x & 3);
      for (let j = 0; j < n; j++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        c[x % c.length] ^= 1 + ((x >>> 16) & 0xfe);
      }
      assertNoForeignException(() => decode(c, { maxOutput: 1 << 20 }));
    }
  });

  test(`fixture ${name}: output cap gives E2BIG, probe mode returns the head`, () => {
    const b = fixture(name);
    assert.throws(
      () => decode(b, { maxOutput: 1000 }),
      (e: unknown) => e instanceof BtfkitError && e.code === 'IMAGE' && e.errno === 7,
    );
    const head = decode(b, { maxOutput: 64, partial: true });
    assert.deepEqual(head, SAMPLE.subarray(0, 64));
    const head2 = decode(b.subarray(0, (b.length * 3) >> 2), { maxOutput: 64, partial: true });
    assert.deepEqual(head2, SAMPLE.subarray(0, 64));
  });
}

test('xz: corrupted check is detected (CRC32 and CRC64)', () => {
  for (const name of ['sample.x86.xz', 'sample.crc64.xz']) {
    const b = fixture(name);
    const c = b.slice();
    // the block check sits just before the index; flip a byte of the last 64 bytes until an error
    c[c.length - 30] ^= 0x55;
    assertImageError(() => decodeXz(c));
  }
  assertImageError(() => decodeXz(new Uint8Array([1, 2, 3])));
});

test('lzma-alone: known size in header, wrong known size', () => {
  const b = fixture('sample.lzma');
  const k = b.slice();
  new DataView(k.buffer).setUint32(5, SAMPLE.length, true);
  new DataView(k.buffer).setUint32(9, 0, true);
  assert.deepEqual(decodeLzmaAlone(k), SAMPLE);
  const big = k.slice();
  new DataView(big.buffer).setUint32(5, SAMPLE.length + 10, true);
  assertImageError(() => decodeLzmaAlone(big));
});

test('zstd frame walker: fixture sizes, trailing data, skippable frames', () => {
  const z = fixture('sample.zst');
  assert.deepEqual(walkZstdFrames(z), { end: z.length, frames: 1, contentSize: SAMPLE.length, maxSize: 131072, maxWindow: 0, spans: [0, z.length, SAMPLE.length] });
  const p = fixture('sample.pipe.zst');
  const { maxWindow: pw, ...pf } = walkZstdFrames(p);
  assert.deepEqual(pf, { end: p.length, frames: 1, contentSize: undefined, maxSize: 131072, spans: [0, p.length, -1] });
  assert.ok(pw >= 1024 && pw <= 8 << 20, `window ${pw}`); // no declared size: the window a decoder allocates
  const skip = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 9, 9]);
  const all = new Uint8Array(skip.length + z.length * 2 + 4);
  all.set(skip);
  all.set(z, skip.length);
  all.set(z, skip.length + z.length);
  all.set([1, 2, 3, 4], skip.length + 2 * z.length);
  // the spans leave the skippable frame out
  const s0 = skip.length;
  const spans = [s0, s0 + z.length, SAMPLE.length, s0 + z.length, s0 + 2 * z.length, SAMPLE.length];
  assert.deepEqual(walkZstdFrames(all), { end: all.length - 4, frames: 2, contentSize: 2 * SAMPLE.length, maxSize: 2 * 131072, maxWindow: 0, spans });
  assertImageError(() => walkZstdFrames(z.subarray(0, z.length - 1)));
  assertImageError(() => walkZstdFrames(new Uint8Array(8)));
  // a (corrupt) frame header claiming more than its blocks can hold is refused up front
  const lie = z.slice();
  const fhd = lie[4]!;
  assert.equal(fhd >>> 6, 1, 'fixture has a 2-byte content size field');
  const fcsAt = 5 + (fhd & 0x20 ? 0 : 1);
  lie[fcsAt] = 0xff;
  lie[fcsAt + 1] = 0xff; // 65535 + 256 bytes, > 20298 but < 128 KiB: still plausible
  assert.equal(walkZstdFrames(lie).contentSize, 65535 + 256);
});

test('output buffer: header-declared sizes pre-allocate at most PREALLOC_MAX (a few MiB)', () => {
  assert.ok(PREALLOC_MAX <= 8 << 20);
  const out = new OutputBuffer(DEFAULT_MAX_OUTPUT, 2 ** 40);
  assert.equal(out.buf.length, PREALLOC_MAX);
  const o2 = new OutputBuffer(DEFAULT_MAX_OUTPUT, 10);
  o2.reserve(200 * 1024 * 1024);
  assert.equal(o2.buf.length, PREALLOC_MAX);
  const o3 = new OutputBuffer(DEFAULT_MAX_OUTPUT, 10);
  o3.reserve(900 * 1024 * 1024); // beyond the limit: not even remembered as a claim
  assert.equal(o3.buf.length, 10);
  assert.throws(() => new OutputBuffer(100, 10).ensure(101), (e: unknown) => e instanceof BtfkitError && e.errno === 7);
});

test('output buffer: grows x2 with real output, stops at a claimed total instead of doubling past it', () => {
  const claim = 3 * PREALLOC_MAX + 123;
  const out = new OutputBuffer(DEFAULT_MAX_OUTPUT, claim);
  assert.equal(out.buf.length, PREALLOC_MAX);
  out.pos = PREALLOC_MAX;
  out.ensure(1);
  assert.equal(out.buf.length, 2 * PREALLOC_MAX);
  out.pos = 2 * PREALLOC_MAX;
  out.ensure(1);
  assert.equal(out.buf.length, claim, 'exactly the claim, not 4x');
  out.pos = claim;
  out.ensure(1); // more than claimed (the claim was a lie): doubling again
  assert.equal(out.buf.length, 2 * claim);
  assert.equal(new OutputBuffer(1000, 0).buf.length, 0);
  const small = new OutputBuffer(1000, 0);
  small.ensure(10);
  assert.equal(small.buf.length, 1000, 'never beyond the limit');
});

test('LZMA-alone: a header claiming 255 MiB allocates only what the data produces', () => {
  // a real stream whose header declares 255 MiB instead of its size
  const lie = fixture('sample.lzma').slice();
  const claimed = 255 * 1024 * 1024;
  for (let i = 0; i < 8; i++) lie[5 + i] = Math.floor(claimed / 2 ** (8 * i)) & 0xff;
  const before = process.memoryUsage().arrayBuffers;
  let peak = 0;
  try {
    decodeLzmaAlone(lie);
    assert.fail('decoded');
  } catch (e) {
    assert.ok(e instanceof BtfkitError && e.code === 'IMAGE', String(e));
    peak = process.memoryUsage().arrayBuffers - before;
  }
  assert.ok(peak < 2 * PREALLOC_MAX, `${peak} bytes allocated`);
});

// ---------------------------------------------------------------------------------------
// Variety from the CLI tools, when present.

const XZ = hasTool('xz');
const LZ4 = hasTool('lz4');

test('xz CLI: filters, presets, checks, multi-block, concatenated streams', { skip: !XZ && 'xz not installed' }, () => {
  const data = sampleData(300_000, 7);
  const variants: string[][] = [
    ['-0'],
    ['-6', '--check=none'],
    ['--check=sha256'],
    ['--check=crc32', '--x86', '--lzma2=dict=1MiB'],
    ['--x86=start=4096', '--lzma2'],
    ['--x86', '--lzma2', '--block-size=70001'], // blocks starting at unaligned output positions
    ['--arm', '--lzma2'],
    ['--armthumb', '--lzma2'],
    ['--powerpc', '--lzma2'],
    ['--sparc', '--lzma2'],
    ['--arm64', '--lzma2'],
    ['--delta=dist=4', '--lzma2=preset=1'],
    ['--lzma2=lc=4,lp=0,pb=0'],
    ['--lzma2=lc=0,lp=4,pb=4'],
    ['--block-size=70000'],
    ['-T2', '--block-size=100000'],
    ['-e', '-9'],
  ];
  for (const args of variants) {
    let comp: Uint8Array;
    try {
      comp = run('xz', ['-c', ...args], data);
    } catch (e) {
      if (args[0] === '--arm64') continue; // xz < 5.4 has no ARM64 filter
      throw e;
    }
    assert.deepEqual(decodeXz(comp), data, `xz ${args.join(' ')}`);
  }
  const a = run('xz', ['-c'], data.subarray(0, 1000));
  const b = run('xz', ['-c', '--check=crc32'], data.subarray(1000, 5000));
  const both = new Uint8Array(a.length + 8 + b.length);
  both.set(a);
  both.set(b, a.length + 8); // 8 bytes of stream padding
  assert.deepEqual(decodeXz(both), data.subarray(0, 5000));
  assert.deepEqual(decodeXz(run('xz', ['-c'], new Uint8Array(0))), new Uint8Array(0));
});

test('lzma CLI: presets and lc/lp/pb', { skip: !XZ && 'xz not installed' }, () => {
  const data = sampleData(200_000, 3);
  for (const args of [['-0'], ['-9'], ['--lzma1=lc=0,lp=2,pb=0'], ['--lzma1=lc=4,lp=0,pb=4'], ['--lzma1=lc=1,lp=3,pb=2'], ['--lzma1=preset=6,dict=4KiB']]) {
    const comp = run('xz', ['--format=lzma', '-c', ...args], data);
    assert.deepEqual(decodeLzmaAlone(comp), data, `lzma ${args.join(' ')}`);
  }
});

test('lzma: long matches, overlapping runs and a match ending the data; the output buffer growing under them', { skip: !XZ && 'xz not installed' }, () => {
  // Runs of one byte (distance 1), short periods (2, 3: overlapping copies), long copies from
  // far back, and the data ending inside a long match (the last copy reaches the buffer end).
  const unit = sampleData(5000, 11);
  const parts: Uint8Array[] = [];
  for (let k = 0; k < 200; k++) {
    parts.push(unit.subarray(k * 7, k * 7 + 300 + (k % 50)));
    parts.push(new Uint8Array(1 + (k % 300)).fill(k));
    parts.push(Uint8Array.from({ length: 40 + k }, (_, i) => (i % (2 + (k % 2)) === 0 ? 0xaa : k)));
  }
  parts.push(unit, unit);
  const data = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
  let at = 0;
  for (const x of parts) {
    data.set(x, at);
    at += x.length;
  }
  for (const args of [['-0'], ['-9'], ['--x86', '--lzma2=preset=6']]) assert.deepEqual(decodeXz(run('xz', ['-c', ...args], data)), data, `xz ${args.join(' ')}`);
  // LZMA-alone from a pipe: unknown size, end marker; ~40x compressible, so the buffer (sized
  // from the input) grows many times while matches run.
  const big = new Uint8Array(4 * data.length);
  for (let k = 0; k < 4; k++) big.set(data, k * data.length);
  assert.deepEqual(decodeLzmaAlone(run('xz', ['--format=lzma', '-c', '-9'], big)), big);
});

test('lz4 CLI: legacy (multi-block) and frame variants', { skip: !LZ4 && 'lz4 not installed' }, () => {
  const data = sampleData(9 * 1024 * 1024, 5); // > 8 MiB: two legacy blocks
  assert.deepEqual(decodeLz4Legacy(run('lz4', ['-q', '-l', '-c'], data)), data);
  assert.deepEqual(decodeLz4Legacy(run('lz4', ['-q', '-l', '-9', '-c'], data)), data);
  const small = data.subarray(0, 700_000);
  for (const args of [[], ['-BD'], ['-B4', '--no-frame-crc'], ['-BX', '-B5'], ['--content-size', '-12'], ['-B7', '-BD', '-BX']]) {
    assert.deepEqual(decodeLz4Frame(run('lz4', ['-q', '-c', ...args], small)), small, `lz4 ${args.join(' ')}`);
  }
  const incompressible = new Uint8Array(100_000);
  for (let i = 0; i < incompressible.length; i++) incompressible[i] = (Math.imul(i, 2654435761) >>> 13) & 0xff;
  assert.deepEqual(decodeLz4Frame(run('lz4', ['-q', '-c'], incompressible)), incompressible);
});
