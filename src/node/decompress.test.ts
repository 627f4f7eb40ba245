/**
 * Tests of the Node decompression layer: every format through decompress(), file loading
 * by content (loadElfOrBtfBytes / openContainer), fake kernel images, bad input → typed
 * errors, and — when the Debian kernel packages are unpacked in the btfkit cache — the
 * real vmlinuz → vmlinux extraction and recompressed modules.
 */

import { cacheDir } from '../testing/fixtures.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

import { BtfkitError } from '../errors.js';
import { makeFakeBzImage } from '../image/bzimage-fixture.js';
import type { CompressionFormat } from '../image/detect.js';
import { xzIndexTotal } from '../image/xz.js';
import { corpus612, manifestPath, modulesDir, modulesXzDir, vmlinuzPath } from '../../scripts/corpus-paths.js';
import {
  DEFAULT_MAX_OUTPUT,
  KERNEL_MAX_OUTPUT,
  MAX_RATIO,
  RATIO_FLOOR,
  decompress,
  decompressSection,
  effectiveLimit,
  extractKernelElf,
  zstdEngines,
  loadElfOrBtfBytes,
  openContainer,
  unpackBytes,
} from './decompress.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/image');
const fixture = (name: string) => new Uint8Array(readFileSync(join(FIX, name)));
const SAMPLE = fixture('sample.bin');

const FIXTURES: Array<[string, CompressionFormat]> = [
  ['sample.gz', 'gzip'],
  ['sample.zst', 'zstd'],
  ['sample.pipe.zst', 'zstd'],
  ['sample.bz2', 'bzip2'],
  ['sample.x86.xz', 'xz'],
  ['sample.crc64.xz', 'xz'],
  ['sample.lzma', 'lzma'],
  ['sample.legacy.lz4', 'lz4-legacy'],
  ['sample.frame.lz4', 'lz4'],
];

function hasTool(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function run(tool: string, args: string[], input: Uint8Array): Uint8Array {
  return new Uint8Array(execFileSync(tool, args, { input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] }));
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function isImageError(e: unknown): boolean {
  return e instanceof BtfkitError && e.code === 'IMAGE';
}

function withTmp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-decompress-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test(`decompress(): every fixture format (zstd via ${zstdEngines()[0]})`, () => {
  for (const [name, fmt] of FIXTURES) assert.deepEqual(decompress(fmt, fixture(name)), SAMPLE, name);
});

test('decompress(): trailing 4-byte size (kernel payload style) is ignored', () => {
  for (const [name, fmt] of FIXTURES) {
    const b = fixture(name);
    const t = new Uint8Array(b.length + 4);
    t.set(b);
    new DataView(t.buffer).setUint32(b.length, SAMPLE.length, true);
    assert.deepEqual(decompress(fmt, t), SAMPLE, name);
  }
});

test('decompress(): truncated input is BtfkitError IMAGE', () => {
  for (const [name, fmt] of FIXTURES) {
    const b = fixture(name);
    for (const cut of [0, 3, 11, (b.length / 2) | 0, b.length - 1]) {
      assert.throws(() => decompress(fmt, b.subarray(0, cut)), isImageError, `${name} cut at ${cut}`);
    }
  }
});

test('decompress(): random corruption only ever raises BtfkitError IMAGE', () => {
  let x = 99;
  for (const [name, fmt] of FIXTURES) {
    const b = fixture(name);
    for (let k = 0; k < 150; k++) {
      const c = b.slice();
      for (let j = 0; j < 2; j++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        c[x % c.length] ^= 1 + ((x >>> 16) & 0xfe);
      }
      try {
        decompress(fmt, c, { maxOutput: 1 << 20 });
      } catch (e) {
        assert.ok(isImageError(e), `${name}: ${String(e)}`);
      }
    }
  }
});

test('decompress(): output cap (E2BIG) and probe mode', () => {
  for (const [name, fmt] of FIXTURES) {
    const b = fixture(name);
    assert.throws(
      () => decompress(fmt, b, { maxOutput: 1000 }),
      (e: unknown) => isImageError(e) && (e as BtfkitError).errno === 7,
      name,
    );
    assert.deepEqual(decompress(fmt, b, { maxOutput: 64, partial: true }), SAMPLE.subarray(0, 64), name);
  }
});

test('decompress(): a zstd frame whose header declares more than the cap is refused before decoding', () => {
  const z = fixture('sample.zst'); // declares 20298 bytes in its frame header
  assert.throws(() => decompress('zstd', z, { maxOutput: 10_000 }), (e: unknown) => isImageError(e) && (e as BtfkitError).errno === 7);
});

test('output caps depend on what is unpacked; the ratio guard lowers them for small inputs', () => {
  assert.equal(DEFAULT_MAX_OUTPUT, 256 << 20);
  assert.equal(KERNEL_MAX_OUTPUT, 512 << 20);
  assert.equal(MAX_RATIO, 1000);
  assert.equal(RATIO_FLOOR, 64 << 20);
  assert.deepEqual(effectiveLimit(847), { limit: RATIO_FLOOR, byRatio: true });
  assert.deepEqual(effectiveLimit(100_000), { limit: 100_000_000, byRatio: true });
  assert.deepEqual(effectiveLimit(8 << 20), { limit: DEFAULT_MAX_OUTPUT, byRatio: false });
  assert.deepEqual(effectiveLimit(8 << 20, { maxOutput: KERNEL_MAX_OUTPUT }), { limit: KERNEL_MAX_OUTPUT, byRatio: false });
  assert.deepEqual(effectiveLimit(847, { maxRatio: Infinity }), { limit: DEFAULT_MAX_OUTPUT, byRatio: false });
  assert.deepEqual(effectiveLimit(847, { maxOutput: 1000 }), { limit: 1000, byRatio: false });
  assert.deepEqual(effectiveLimit(847, { partial: true, maxOutput: 64 }), { limit: 64, byRatio: false });
  assert.throws(() => effectiveLimit(1, { maxRatio: 0 }), (e: unknown) => e instanceof BtfkitError && e.code === 'USAGE');
  // a real vmlinuz (xz ~8 MB → ~65 MB, ratio ~8) and a module are far from the guard
  assert.ok(65_905_108 < effectiveLimit(7_000_000).limit);
  assert.ok(19_459_889 < effectiveLimit(4_000_000).limit);
});

const HOSTILE = join(ROOT, 'test/hostile');
/** Runs `fn`, returning its BtfkitError and the arrayBuffers growth. */
function measure(fn: () => unknown): { err: unknown; mem: number } {
  const before = process.memoryUsage().arrayBuffers;
  let err: unknown;
  let peak = 0;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  peak = process.memoryUsage().arrayBuffers - before;
  return { err, mem: peak };
}
const isE2big = (e: unknown): boolean => e instanceof BtfkitError && e.code === 'IMAGE' && e.errno === 7 && /exceeds the limit/.test(e.message);

test('decompression bombs: E2BIG once the ratio limit of output is reached, no further, bounded memory (hostile files)', { skip: !existsSync(HOSTILE) && 'no test/hostile' }, () => {
  for (const [f, fmt] of [['bomb-over-cap.bz2', 'bzip2'], ['bomb-lzma-claims-255m.lzma', 'lzma']] as const) {
    if (!existsSync(join(HOSTILE, f))) continue;
    const b = new Uint8Array(readFileSync(join(HOSTILE, f)));
    const r = measure(() => unpackBytes(b));
    assert.ok(isE2big(r.err), `${f}: ${String(r.err)}`);
    assert.match((r.err as Error).message, /times the \d+-byte input/);
    assert.ok(r.mem < 2 * RATIO_FLOOR + (8 << 20), `${f}: ${r.mem} bytes`);
    // The work is bounded: the decoder stops at the limit (the bzip2 bomb holds far more).
    const stats = { outputBytes: -1 };
    assert.throws(() => decompress(fmt, b, { stats }), isE2big);
    const { limit } = effectiveLimit(b.length);
    if (fmt === 'lzma') assert.equal(stats.outputBytes, -1, 'refused from the header, before decoding');
    else assert.ok(stats.outputBytes >= 0 && stats.outputBytes <= limit, `${f}: ${stats.outputBytes} bytes decoded, limit ${limit}`);
  }
  // the LZMA header's claim alone is refused before anything is allocated
  const lz = new Uint8Array(readFileSync(join(HOSTILE, 'bomb-lzma-claims-255m.lzma')));
  const r = measure(() => decompress('lzma', lz));
  assert.ok(isE2big(r.err) && r.mem < 1 << 20, `${String(r.err)} ${r.mem}`);
  // without the ratio guard it is only as expensive as the data it holds
  const r2 = measure(() => decompress('lzma', lz, { maxRatio: Infinity }));
  assert.ok(r2.err instanceof BtfkitError && r2.mem < 8 << 20, `${String(r2.err)} ${r2.mem}`);
});

test('zstd: a window larger than the cap (which the decoder would allocate) is refused before decoding', () => {
  // frame without content size, window descriptor 1 GiB, one empty last raw block
  const frame = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, (30 - 10) << 3, 0x01, 0x00, 0x00]);
  for (const opts of [{}, { maxRatio: Infinity }, { partial: true, maxOutput: 64 }]) {
    const r = measure(() => decompress('zstd', frame, opts));
    assert.ok(r.err instanceof BtfkitError && r.err.errno === 7, `${JSON.stringify(opts)}: ${String(r.err)}`);
    assert.ok(r.mem < 1 << 20, `${r.mem} bytes`);
  }
  // a small window is fine
  const ok = frame.slice();
  ok[5] = (20 - 10) << 3;
  assert.equal(decompress('zstd', ok).length, 0);
});

test('bombs made by the CLI tools (zstd --long=27, zstd, xz of 128 MiB of zeros): E2BIG after at most the limit of output, in bounded memory', { skip: !hasTool('zstd') && 'zstd not installed' }, () => {
  const zeros = new Uint8Array(128 << 20);
  const cases: Array<[string, string[], CompressionFormat]> = [
    ['zstd', ['-q', '-c', '--long=27', '-3'], 'zstd'],
    ['zstd', ['-q', '-c', '-1'], 'zstd'],
    ['xz', ['-c', '-T1', '-0'], 'xz'],
  ];
  for (const [tool, args, fmt] of cases) {
    if (!hasTool(tool)) continue;
    // piped: no declared size, so the decoder has to find out by decoding
    const c = run(tool, args, zeros);
    const r = measure(() => unpackBytes(c));
    assert.ok(isE2big(r.err), `${tool} ${args.join(' ')}: ${String(r.err)}`);
    const stats = { outputBytes: -1 };
    assert.throws(() => decompress(fmt, c, { stats }), isE2big);
    const { limit } = effectiveLimit(c.length);
    assert.ok(limit < zeros.length && stats.outputBytes <= limit, `${tool} ${args.join(' ')} (${c.length} bytes): ${stats.outputBytes} bytes decoded, limit ${limit}`);
    assert.ok(r.mem < 2 * RATIO_FLOOR + (8 << 20), `${tool} ${args.join(' ')} (${c.length} bytes): ${r.mem} bytes`);
    assert.throws(() => decompress(fmt, c, { maxOutput: 1 << 20, maxRatio: Infinity }), isE2big);
  }
});

test('zstd without a declared size and a claimed size (kernel images): one shot when right, streaming when too small', { skip: !hasTool('zstd') && 'zstd not installed' }, () => {
  const data = new Uint8Array(300_000);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 27;
  const z = run('zstd', ['-q', '-c', '-3'], data); // piped: no content size in the frame
  for (const hint of [data.length, data.length - 1, 1000, 1]) {
    assert.equal(sha256(decompress('zstd', z, { sizeHint: hint })), sha256(data), `hint ${hint}`);
  }
  // a truncated frame stays an error with any claim
  assert.throws(() => decompress('zstd', z.subarray(0, z.length >> 1), { sizeHint: data.length }), (e: unknown) => e instanceof BtfkitError && e.code === 'IMAGE');
});

test('decompress(): concatenated gzip members and bzip2 streams', () => {
  const cat = (a: Uint8Array, b: Uint8Array) => {
    const r = new Uint8Array(a.length + b.length);
    r.set(a);
    r.set(b, a.length);
    return r;
  };
  const twice = cat(SAMPLE, SAMPLE);
  assert.deepEqual(decompress('gzip', cat(fixture('sample.gz'), fixture('sample.gz'))), twice);
  assert.deepEqual(decompress('bzip2', cat(fixture('sample.bz2'), fixture('sample.bz2'))), twice);
  assert.deepEqual(decompress('zstd', cat(fixture('sample.zst'), fixture('sample.pipe.zst'))), twice);
  assert.deepEqual(decompress('xz', cat(fixture('sample.x86.xz'), fixture('sample.crc64.xz'))), twice);
});

test('unpackBytes(): raw BTF, ELF, compressed ELF, fake bzImage, junk', () => {
  const btf = new Uint8Array([0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(unpackBytes(btf), { bytes: btf, kind: 'btf', container: 'raw', kernelImage: false });
  assert.deepEqual(unpackBytes(SAMPLE), { bytes: SAMPLE, kind: 'elf', container: 'elf', kernelImage: false });
  for (const [name, fmt] of FIXTURES) {
    const u = unpackBytes(fixture(name));
    assert.equal(u.container, fmt, name);
    assert.equal(u.kind, 'elf');
    assert.equal(u.kernelImage, false);
    assert.deepEqual(u.bytes, SAMPLE);
  }
  for (const [name, fmt] of FIXTURES) {
    const { image, payloadOffset } = makeFakeBzImage(fixture(name), { decompressedSize: SAMPLE.length });
    const u = unpackBytes(image);
    assert.equal(u.kernelImage, true, name);
    assert.equal(u.container, fmt);
    assert.equal(u.payload?.offset, payloadOffset);
    assert.equal(u.payload?.source, 'header');
    assert.deepEqual(u.bytes, SAMPLE);
  }
  assert.throws(() => unpackBytes(new Uint8Array(1000).fill(7)), isImageError);
  assert.throws(() => unpackBytes(new Uint8Array(3)), isImageError);
  // compressed data that is not ELF
  assert.throws(() => unpackBytes(run('gzip', ['-c'], new Uint8Array(100).fill(1))), isImageError);
});

test('kernel image without payload fields: scanning skips decoys that are not ELF', () => {
  const decoyGz = run('gzip', ['-c'], new Uint8Array(5000).fill(0x41));
  const before = new Uint8Array(decoyGz.length + 64 + 4000).fill(0x90);
  before.set(decoyGz, 10);
  const lz4NotElf = run('lz4', ['-q', '-l', '-c'], new Uint8Array(3000).fill(0x42));
  before.set(lz4NotElf, decoyGz.length + 40);
  const { image, payloadOffset } = makeFakeBzImage(fixture('sample.bz2'), { protocol: 0x0206, before, decompressedSize: SAMPLE.length });
  const k = extractKernelElf(image);
  assert.equal(k.payload.offset, payloadOffset);
  assert.equal(k.payload.source, 'scan');
  assert.deepEqual(k.bytes, SAMPLE);
});

test('kernel image whose header names a payload that is not the vmlinux: the image is scanned after it', () => {
  const before = new Uint8Array(4000).fill(0x90);
  const xz = fixture('sample.x86.xz');
  before.set(xz, 100);
  const notElf = run('gzip', ['-c'], new Uint8Array(5000).fill(0x41));
  const { image, payloadOffset } = makeFakeBzImage(notElf, { before, decompressedSize: 5000 });
  const k = extractKernelElf(image);
  assert.notEqual(k.payload.offset, payloadOffset);
  assert.equal(k.payload.format, 'xz');
  assert.equal(k.payload.source, 'scan');
  assert.deepEqual(k.bytes, SAMPLE);
});

test('kernel image with a damaged payload: BtfkitError IMAGE naming the payload', () => {
  const xz = fixture('sample.x86.xz');
  const { image, payloadOffset } = makeFakeBzImage(xz.subarray(0, xz.length - 40), { decompressedSize: SAMPLE.length });
  assert.throws(
    () => unpackBytes(image),
    (e: unknown) => isImageError(e) && /xz payload at offset/.test((e as Error).message) && (e as BtfkitError).where.offset === payloadOffset,
  );
  const c = xz.slice();
  c[200] ^= 0xff;
  assert.throws(() => unpackBytes(makeFakeBzImage(c).image), isImageError);
});

test('loadElfOrBtfBytes() / openContainer(): files by content, never by name; IO errors', async () => {
  await withTmp(async (dir) => {
    const misnamed = join(dir, 'module.ko.gz'); // actually zstd
    writeFileSync(misnamed, fixture('sample.zst'));
    const r = await loadElfOrBtfBytes(misnamed);
    assert.equal(r.container, 'zstd');
    assert.deepEqual(r.bytes, SAMPLE);
    const vmlinuz = join(dir, 'vmlinuz-test');
    writeFileSync(vmlinuz, makeFakeBzImage(fixture('sample.legacy.lz4'), { decompressedSize: SAMPLE.length }).image);
    const k = await loadElfOrBtfBytes(vmlinuz);
    assert.equal(k.kernelImage, true);
    assert.equal(k.container, 'lz4-legacy');
    assert.deepEqual(k.bytes, SAMPLE);
    const oc = await openContainer(new Uint8Array(readFileSync(vmlinuz)));
    assert.equal(oc.container, 'vmlinuz');
    assert.equal((await openContainer(fixture('sample.gz'))).container, 'gzip');
    const junk = join(dir, 'junk.ko');
    writeFileSync(junk, new Uint8Array(500).fill(3));
    await assert.rejects(loadElfOrBtfBytes(junk), (e: unknown) => isImageError(e) && (e as BtfkitError).where.file === junk);
    await assert.rejects(loadElfOrBtfBytes(join(dir, 'missing')), (e: unknown) => e instanceof BtfkitError && e.code === 'IO' && e.errno === 2);
    await assert.rejects(loadElfOrBtfBytes(dir), (e: unknown) => e instanceof BtfkitError && e.code === 'IO');
  });
});

test('CLI round trips of larger data (gzip -9, zstd -19 --long, bzip2, xz, lzma, lz4 -l)', () => {
  const data = new Uint8Array(3_000_000);
  let x = 1;
  for (let i = 0; i < data.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    data[i] = i > 1000 && x & 1 ? data[i - 1 - (x >>> 22)]! : x >>> 24;
  }
  const cases: Array<[string, string[], CompressionFormat]> = [
    ['gzip', ['-9', '-c'], 'gzip'],
    ['zstd', ['-19', '--long=27', '-q', '-c'], 'zstd'],
    ['zstd', ['-3', '-q', '-c', '--no-check'], 'zstd'],
    ['bzip2', ['-c'], 'bzip2'],
    ['xz', ['-c', '--check=crc32', '--x86', '--lzma2=dict=1MiB'], 'xz'],
    ['lzma', ['-c'], 'lzma'],
    ['lz4', ['-q', '-l', '-c'], 'lz4-legacy'],
    ['lz4', ['-q', '-c'], 'lz4'],
  ];
  for (const [tool, args, fmt] of cases) {
    if (!hasTool(tool)) continue;
    assert.deepEqual(decompress(fmt, run(tool, args, data)), data, `${tool} ${args.join(' ')}`);
  }
});

// ---------------------------------------------------------------------------------------
// Real Debian kernels, when present in the cache (skipped otherwise).

const CACHE = cacheDir();
const REAL: Array<{ vmlinuz: string; vmlinux: string }> = [
  {
    vmlinuz: join(CACHE, 'x/linux-image-6.1.0-47-amd64-unsigned_6.1.170-3_amd64/boot/vmlinuz-6.1.0-47-amd64'),
    vmlinux: join(CACHE, 'vmlinux/vmlinux-6.1.0-47-amd64'),
  },
  {
    vmlinuz: join(CACHE, 'x/linux-image-6.1.0-55-cloud-amd64-unsigned_6.1.192-1_amd64/boot/vmlinuz-6.1.0-55-cloud-amd64'),
    vmlinux: join(CACHE, 'vmlinux/vmlinux-6.1.0-55-cloud-amd64'),
  },
];

for (const r of REAL) {
  const present = existsSync(r.vmlinuz) && existsSync(r.vmlinux);
  test(`real kernel image ${r.vmlinuz.split('/').pop()} → vmlinux identical to the reference`, { skip: !present && 'kernel package not unpacked in the cache' }, async (t) => {
    const u = await loadElfOrBtfBytes(r.vmlinuz);
    t.diagnostic(`${u.container} payload at ${u.payload?.offset}: ${u.bytes.length} bytes`);
    assert.equal(u.kernelImage, true);
    assert.equal(u.kind, 'elf');
    assert.equal(sha256(u.bytes), sha256(readFileSync(r.vmlinux)));
  });
}

// The corpus kernels that keep their images (npm run corpus): 6.1.0-47 (xz + x86 BCJ) and the
// 6.12 pair (zstd, no declared content size: the one-shot path sized by the appended size).
const CORPUS_IMAGES = ['6.1.0-47-amd64', ...(corpus612() ? [corpus612()!.older, corpus612()!.newer] : [])];
for (const kver of CORPUS_IMAGES) {
  const present = existsSync(vmlinuzPath(kver)) && existsSync(manifestPath());
  test(`corpus image ${kver}: vmlinux identical to the one the manifest records`, { skip: !present && 'no corpus image (npm run corpus)' }, async () => {
    const m = JSON.parse(readFileSync(manifestPath(), 'utf8')) as { kernels: Array<{ kver: string; vmlinuz: { vmlinuxSha256: string; payloadFormat: string } }> };
    const k = m.kernels.find((x) => x.kver === kver)!;
    const u = await loadElfOrBtfBytes(vmlinuzPath(kver));
    assert.equal(u.kernelImage, true);
    assert.equal(u.container, k.vmlinuz.payloadFormat);
    assert.equal(sha256(u.bytes), k.vmlinuz.vmlinuxSha256);
  });
}

test('corpus .ko.xz modules decode to the shipped modules (sizes from the xz index)', { skip: !corpus612() && 'no 6.12 corpus (npm run corpus)' }, () => {
  const { older } = corpus612()!;
  for (const rel of ['fs/xfs/xfs.ko', 'lib/crc16.ko', 'net/key/af_key.ko']) {
    const xzPath = join(modulesXzDir(older), `${rel}.xz`);
    if (!existsSync(xzPath)) continue;
    const packed = new Uint8Array(readFileSync(xzPath));
    const plain = new Uint8Array(readFileSync(join(modulesDir(older), rel)));
    assert.equal(xzIndexTotal(packed), plain.length);
    const out = decompress('xz', packed);
    assert.equal(out.length, plain.length);
    assert.equal(out.buffer.byteLength, plain.length, 'allocated once, exactly (a plausible index claim)');
    assert.equal(sha256(out), sha256(plain));
  }
});

function findModules(): string[] {
  const roots = [join(CACHE, 'corpus'), join(CACHE, 'x')];
  const wanted = ['xfs.ko', 'af_key.ko', 'nf_tables.ko'];
  const found: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 9 || found.length >= wanted.length) return;
    let ents;
    try {
      ents = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of ents) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if ((e.isFile() || e.isSymbolicLink()) && wanted.includes(e.name) && !found.some((f) => f.endsWith('/' + e.name))) found.push(p);
    }
  };
  for (const r of roots) if (existsSync(r)) walk(r, 0);
  return found;
}

const MODULES = findModules();
test('real modules recompressed with xz (kernel style), zstd, gzip decode to the original bytes', { skip: MODULES.length === 0 && 'no unpacked kernel modules in the cache' }, () => {
  for (const m of MODULES) {
    const orig = new Uint8Array(readFileSync(m));
    const variants: Array<[string, string[], CompressionFormat]> = [
      ['xz', ['-c', '--check=crc32', '--lzma2=dict=1MiB'], 'xz'],
      ['zstd', ['-q', '-c', '-T0'], 'zstd'],
      ['gzip', ['-9', '-n', '-c'], 'gzip'],
    ];
    for (const [tool, args, fmt] of variants) {
      if (!hasTool(tool)) continue;
      const u = unpackBytes(run(tool, args, orig));
      assert.equal(u.container, fmt);
      assert.equal(sha256(u.bytes), sha256(orig), `${m} via ${tool}`);
    }
  }
});

test('decompressSection(): zlib and zstd to the declared size; too little room, a bomb, corrupt data: BtfkitError IMAGE', () => {
  const text = new TextEncoder().encode('struct sample { int a; };\n'.repeat(400));
  const z = new Uint8Array(deflateSync(text));
  assert.deepEqual(decompressSection('zlib', z, text.length), text);
  assert.deepEqual(decompressSection('zstd', new Uint8Array(execFileSync('zstd', ['-q', '-c', `--stream-size=${text.length}`], { input: text })), text.length), text);
  // more output than the header declares
  assert.throws(() => decompressSection('zlib', z, text.length - 1), (e: unknown) => e instanceof BtfkitError && e.code === 'IMAGE' && e.errno === 7);
  // 80 MiB of zeros from ~80 KB: over 1000 times the input, past 64 MiB
  const bomb = new Uint8Array(deflateSync(new Uint8Array(80 << 20), { level: 9 }));
  assert.ok(bomb.length * 1000 < 80 << 20);
  assert.throws(() => decompressSection('zlib', bomb, 80 << 20), (e: unknown) => e instanceof BtfkitError && e.code === 'IMAGE' && e.errno === 7);
  const bad = z.slice();
  for (let i = 2; i < 12; i++) bad[i]! ^= 0xa5;
  assert.throws(() => decompressSection('zlib', bad, text.length), (e: unknown) => e instanceof BtfkitError && e.code === 'IMAGE');
});
