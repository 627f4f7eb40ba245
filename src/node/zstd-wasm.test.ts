/**
 * Tests of the zstd decoders of the Node layer against each other and against `zstd -d`:
 * node:zlib's (Node >= 22.15), zstd's WebAssembly build (zstd-wasm.ts, the default on older
 * Node) and fzstd — the same bytes for every fixture, CLI output, size claim and frame layout;
 * the same errors (BtfkitError IMAGE) on truncated or corrupt data; the output cap enforced
 * (E2BIG, bounded work and memory); the WebAssembly instance's memory released after a decode;
 * the embedded module is the one scripts/build-zstd-wasm.sh built and recorded; a real kernel
 * payload (no declared size) decodes as `zstd -d` does.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { BtfkitError } from '../errors.js';
import { type ZstdEngine, decompress, effectiveLimit, hasNativeZstd, zstdEngines } from './decompress.js';
import { ZSTD_DST_TOO_SMALL, ZstdWasmError, zstdDecompressWasm, zstdWasmModule } from './zstd-wasm.js';
import { ZSTD_DEC_VERSION, ZSTD_DEC_WASM, ZSTD_DEC_WASM_SHA256 } from './zstd/zstd-dec-wasm.js';
import { walkZstdFrames } from '../image/zstd.js';
import { findKernelPayload } from '../image/detect.js';
import { corpus612, vmlinuzPath } from '../../scripts/corpus-paths.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/image');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIX, name)));
const SAMPLE = fixture('sample.bin');
const ENGINES = zstdEngines();
const HAS_ZSTD = spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0;

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const zstd = (args: string[], input: Uint8Array) => new Uint8Array(execFileSync('zstd', args, { input, maxBuffer: 1 << 30 }));
const isImageError = (e: unknown) => e instanceof BtfkitError && e.code === 'IMAGE';
const isE2big = (e: unknown) => e instanceof BtfkitError && e.code === 'IMAGE' && e.errno === 7;

function cat(...parts: Uint8Array[]): Uint8Array {
  const r = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    r.set(p, o);
    o += p.length;
  }
  return r;
}

/** Compressible pseudo-random bytes (LZ-style repeats of earlier data). */
function corpusLike(n: number, seed: number): Uint8Array {
  const d = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    d[i] = i > 1000 && x & 1 ? d[i - 1 - (x >>> 22)]! : x >>> 24;
  }
  return d;
}

test('the WebAssembly decoder is available on this Node (the embedded build) and preferred unless node:zlib has zstd', () => {
  assert.ok(zstdWasmModule() !== null, 'the embedded module compiled');
  assert.deepEqual(ENGINES, [...(hasNativeZstd() ? ['node:zlib'] : []), 'wasm', 'fzstd']);
  const unavailable: ZstdEngine | undefined = hasNativeZstd() ? undefined : 'node:zlib';
  if (unavailable) assert.throws(() => decompress('zstd', fixture('sample.zst'), { zstdEngine: unavailable }), (e: unknown) => e instanceof BtfkitError && e.code === 'USAGE');
});

test('the embedded module is the committed build: src/node/zstd/zstd-dec.wasm, the sha256 and zstd release scripts/build-zstd-wasm.sh recorded', () => {
  const file = new Uint8Array(readFileSync(join(ROOT, 'src/node/zstd/zstd-dec.wasm')));
  assert.equal(sha256(file), ZSTD_DEC_WASM_SHA256);
  assert.equal(sha256(Buffer.from(ZSTD_DEC_WASM, 'base64')), ZSTD_DEC_WASM_SHA256);
  const script = readFileSync(join(ROOT, 'scripts/build-zstd-wasm.sh'), 'utf8');
  assert.equal(/^ZSTD_VERSION=(\S+)$/m.exec(script)?.[1], ZSTD_DEC_VERSION);
});

test('every zstd engine: fixtures, concatenated and skippable frames, trailing bytes, any size claim → the same bytes', () => {
  const skippable = new Uint8Array([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 1, 2, 3]);
  const trailer = new Uint8Array([0x20, 0x4f, 0, 0]); // a kernel's appended size
  const cases: Array<[string, Uint8Array, Uint8Array]> = [
    ['sample.zst (declared size)', fixture('sample.zst'), SAMPLE],
    ['sample.pipe.zst (no declared size)', fixture('sample.pipe.zst'), SAMPLE],
    ['two frames', cat(fixture('sample.zst'), fixture('sample.pipe.zst')), cat(SAMPLE, SAMPLE)],
    ['skippable frame first, trailer', cat(skippable, fixture('sample.pipe.zst'), trailer), SAMPLE],
  ];
  for (const engine of ENGINES) {
    for (const [what, z, want] of cases) {
      for (const sizeHint of [undefined, want.length, want.length - 1, want.length + 4096, 1]) {
        const out = decompress('zstd', z, { zstdEngine: engine, ...(sizeHint !== undefined ? { sizeHint } : {}) });
        assert.equal(sha256(out), sha256(want), `${engine}: ${what}, hint ${sizeHint}`);
      }
    }
  }
});

test('every zstd engine equals zstd -d on CLI outputs (levels, --long, --no-check, declared or not, multi-threaded)', { skip: !HAS_ZSTD && 'zstd not installed' }, () => {
  const data = corpusLike(3_000_000, 7);
  const variants: string[][] = [
    ['-19', '--long=27'],
    ['-3', '--no-check'],
    ['-1', '--content-size'],
    ['-22', '--ultra', '--no-content-size'],
    ['-3', '-B262144', '-T2'],
  ];
  for (const args of variants) {
    const z = zstd(['-q', '-c', ...args], data);
    const ref = zstd(['-q', '-d', '-c'], z);
    assert.equal(sha256(ref), sha256(data));
    for (const engine of ENGINES) {
      assert.equal(sha256(decompress('zstd', z, { zstdEngine: engine })), sha256(ref), `${engine} ${args.join(' ')}`);
      assert.equal(sha256(decompress('zstd', z, { zstdEngine: engine, sizeHint: data.length })), sha256(ref), `${engine} ${args.join(' ')} with the size claimed`);
    }
  }
});

test('wasm: truncated and corrupt data raise BtfkitError IMAGE (checksum mismatch included), never anything else', () => {
  const z = fixture('sample.pipe.zst');
  for (const cut of [0, 3, 5, 11, z.length >> 1, z.length - 1]) {
    assert.throws(() => decompress('zstd', z.subarray(0, cut), { zstdEngine: 'wasm', sizeHint: SAMPLE.length }), isImageError, `cut at ${cut}`);
  }
  // The content checksum (last 4 bytes of the frame) is verified by zstd itself.
  const bad = z.slice();
  bad[bad.length - 1] ^= 0x55;
  assert.throws(() => decompress('zstd', bad, { zstdEngine: 'wasm' }), (e: unknown) => isImageError(e) && /checksum/.test((e as Error).message));
  let x = 5;
  for (const name of ['sample.zst', 'sample.pipe.zst']) {
    const b = fixture(name);
    for (let k = 0; k < 300; k++) {
      const c = b.slice();
      for (let j = 0; j < 2; j++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        c[x % c.length] ^= 1 + ((x >>> 16) & 0xfe);
      }
      for (const sizeHint of [undefined, SAMPLE.length]) {
        try {
          const out = decompress('zstd', c, { zstdEngine: 'wasm', maxOutput: 1 << 20, ...(sizeHint ? { sizeHint } : {}) });
          assert.ok(out.length <= 1 << 20);
        } catch (e) {
          assert.ok(isImageError(e), `${name}: ${String(e)}`);
        }
      }
    }
  }
});

/** A frame without declared size, 1 KiB window, `blocks` RLE blocks of 1000 bytes `b` (RFC 8878 §3.1.1.2). */
function rleFrame(blocks: number, b: number): Uint8Array {
  const out = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00];
  for (let i = 0; i < blocks; i++) {
    const h = (1000 << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0);
    out.push(h & 0xff, (h >>> 8) & 0xff, h >>> 16, b);
  }
  return new Uint8Array(out);
}

test('wasm: the output cap is the decoder\'s output area — E2BIG, at most the limit decoded, whatever is claimed', () => {
  const z = rleFrame(30, 0x5a); // 30000 bytes, small window
  assert.deepEqual(decompress('zstd', z, { zstdEngine: 'fzstd' }), new Uint8Array(30_000).fill(0x5a));
  for (const engine of ENGINES) {
    for (const sizeHint of [undefined, 1000, 30_000]) {
      const stats = { outputBytes: -1 };
      const opts = { zstdEngine: engine, maxOutput: 10_000, stats, ...(sizeHint ? { sizeHint } : {}) };
      assert.throws(() => decompress('zstd', z, opts), isE2big, `${engine} hint ${sizeHint}`);
      if (engine !== 'node:zlib') assert.ok(stats.outputBytes >= 0 && stats.outputBytes <= 10_000, `${engine} hint ${sizeHint}: ${stats.outputBytes}`);
    }
    assert.equal(decompress('zstd', z, { zstdEngine: engine, maxOutput: 30_000 }).length, 30_000, engine);
  }
  // the binding itself: one byte short of the output is zstd's dstSize_tooSmall, exact is fine
  const p = fixture('sample.pipe.zst');
  assert.throws(
    () => zstdDecompressWasm(zstdWasmModule()!, p, SAMPLE.length - 1),
    (e: unknown) => e instanceof ZstdWasmError && e.zstdCode === ZSTD_DST_TOO_SMALL,
  );
  assert.deepEqual(zstdDecompressWasm(zstdWasmModule()!, p, SAMPLE.length), SAMPLE);
});

test('wasm: small decodes share one instance and return copies (an error between them changes nothing); a large one returns a view of its own instance', { skip: !HAS_ZSTD && 'zstd not installed' }, () => {
  const small = decompress('zstd', fixture('sample.pipe.zst'), { zstdEngine: 'wasm' });
  assert.equal(small.buffer.byteLength, small.length);
  // 4 MiB (and at most as much compressed): within the shared instance's bound (16 MiB for
  // output, input and slack)
  const data = corpusLike(4 << 20, 3);
  const z = zstd(['-q', '-c', '-1'], data);
  const a = decompress('zstd', z, { zstdEngine: 'wasm', sizeHint: data.length });
  const bad = z.slice();
  bad[bad.length - 1] ^= 0x55;
  assert.throws(() => decompress('zstd', bad, { zstdEngine: 'wasm', sizeHint: data.length }), isImageError);
  const b = decompress('zstd', z, { zstdEngine: 'wasm', sizeHint: data.length });
  const c = decompress('zstd', fixture('sample.pipe.zst'), { zstdEngine: 'wasm' });
  assert.notEqual(a.buffer, b.buffer);
  assert.equal(a.buffer.byteLength, a.length);
  assert.equal(b.buffer.byteLength, b.length);
  assert.equal(sha256(a), sha256(data));
  assert.equal(sha256(b), sha256(data));
  assert.deepEqual(c, SAMPLE);
  assert.deepEqual(small, SAMPLE);
  // 20 MiB: an instance of its own, whose memory the result is a view of
  const big = corpusLike(20 << 20, 5);
  const zb = zstd(['-q', '-c', '-1'], big);
  const d = decompress('zstd', zb, { zstdEngine: 'wasm', sizeHint: big.length });
  assert.ok(d.buffer.byteLength > d.length);
  assert.equal(sha256(d), sha256(big));
});

/** Runs `code` (an ES module body; `decompress`, `zstdBytes`, `gc` and `settle` in scope) in a child Node; its stdout. */
function child(code: string, input: Uint8Array): string {
  const mod = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'decompress.js')).href;
  const src = `import { decompress } from ${JSON.stringify(mod)};
import { existsSync, readFileSync } from 'node:fs';
const zstdBytes = new Uint8Array(readFileSync(0));
const settle = async () => { gc(); await new Promise((r) => setTimeout(r, 20)); gc(); };
${code}`;
  return execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', src], { input, encoding: 'utf8', maxBuffer: 1 << 24 });
}

test('wasm: each decode\'s memory is released with its result (ten 48 MiB decodes: peak RSS below three, none kept after)', { skip: !HAS_ZSTD && 'zstd not installed' }, () => {
  const n = 48 << 20;
  const z = zstd(['-q', '-c', '-1'], corpusLike(n, 11));
  const out = child(
    `gc();
const base = process.memoryUsage().rss;
let peak = 0;
for (let i = 0; i < 10; i++) {
  let r = decompress('zstd', zstdBytes, { zstdEngine: 'wasm', sizeHint: ${n} });
  if (r.length !== ${n}) throw new Error('length ' + r.length);
  r = null;
  await settle();
  peak = Math.max(peak, process.memoryUsage().rss - base);
}
// V8 frees array buffers' memory on a background thread after a GC: give it time (bounded).
let after = process.memoryUsage().rss - base;
for (let i = 0; i < 50 && after >= ${n} / 2; i++) {
  await settle();
  after = process.memoryUsage().rss - base;
}
console.log(JSON.stringify({ peak, after }));`,
    z,
  );
  const r = JSON.parse(out) as { peak: number; after: number };
  assert.ok(r.peak < 3 * n, `RSS grew by up to ${r.peak} bytes over ten decodes of ${n} (released: about one)`);
  assert.ok(r.after < n / 2, `RSS ${r.after} bytes above the start once the last result is dropped (nothing kept)`);
});

test('wasm: a bomb (128 MiB of zeros, piped) is refused at the ratio limit, with RSS bounded by it', { skip: !HAS_ZSTD && 'zstd not installed' }, () => {
  const z = zstd(['-q', '-c', '-1'], new Uint8Array(128 << 20));
  const { limit } = effectiveLimit(z.length);
  assert.ok(limit < 128 << 20);
  const out = child(
    `gc();
const base = process.memoryUsage().rss;
const stats = { outputBytes: -1 };
let err = '';
try { decompress('zstd', zstdBytes, { zstdEngine: 'wasm', stats }); } catch (e) { err = e.code + ' ' + e.errno; }
console.log(JSON.stringify({ err, decoded: stats.outputBytes, grown: process.memoryUsage().rss - base }));`,
    z,
  );
  const r = JSON.parse(out) as { err: string; decoded: number; grown: number };
  assert.equal(r.err, 'IMAGE 7');
  assert.ok(r.decoded <= limit, `${r.decoded} bytes decoded, limit ${limit}`);
  assert.ok(r.grown < limit + (16 << 20), `RSS grew by ${r.grown}, limit ${limit}`);
});

// A real kernel image's payload: kbuild pipes the vmlinux through `zstd -22 --ultra`, so the
// frame declares no content size (128 MiB window, content checksum); the decoder's area is
// sized by the size the kernel appends (the claim) and zstd checks the checksum.
const K612 = corpus612();
const K612_IMAGE = K612 ? vmlinuzPath(K612.newer) : '';
test('wasm: a real kernel payload (6.12 vmlinuz, no content size) decodes to what zstd -d gives, into its appended size', { skip: (!K612 || !existsSync(K612_IMAGE) || !HAS_ZSTD) && 'no 6.12 corpus image (npm run corpus) or no zstd' }, () => {
  const image = new Uint8Array(readFileSync(K612_IMAGE));
  const c = findKernelPayload(image)[0]!;
  assert.equal(c.format, 'zstd');
  const payload = image.subarray(c.offset, c.offset + c.length);
  const frames = walkZstdFrames(payload);
  assert.equal(frames.contentSize, undefined, 'the frame declares no content size');
  const z = payload.subarray(0, frames.end);
  const claim = new DataView(payload.buffer, payload.byteOffset + payload.length - 4, 4).getUint32(0, true);
  const ref = zstd(['-q', '-d', '-c'], z);
  assert.equal(ref.length, claim);
  const out = zstdDecompressWasm(zstdWasmModule()!, z, claim);
  assert.equal(sha256(out), sha256(ref));
  assert.ok(out.buffer.byteLength > out.length, 'a view of its own instance');
  assert.throws(
    () => zstdDecompressWasm(zstdWasmModule()!, z, claim - 1),
    (e: unknown) => e instanceof ZstdWasmError && e.zstdCode === ZSTD_DST_TOO_SMALL,
  );
  assert.equal(sha256(decompress('zstd', payload, { zstdEngine: 'wasm', sizeHint: claim })), sha256(ref));
});
