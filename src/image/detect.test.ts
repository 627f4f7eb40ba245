/**
 * Tests of content detection and kernel-payload location (src/image/detect.ts).
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { compressionAt, detectFormat, findKernelPayload, isPlausibleLzmaHeader, parseBzImageHeader } from './detect.js';
import { makeFakeBzImage } from './bzimage-fixture.js';
import { decodeXz } from './xz.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const fixture = (name: string) => new Uint8Array(readFileSync(join(ROOT, 'test/fixtures/image', name)));

test('detectFormat recognises every fixture by content', () => {
  const expect: Record<string, string> = {
    'sample.bin': 'elf',
    'sample.x86.xz': 'xz',
    'sample.crc64.xz': 'xz',
    'sample.lzma': 'lzma',
    'sample.legacy.lz4': 'lz4-legacy',
    'sample.frame.lz4': 'lz4',
    'sample.zst': 'zstd',
    'sample.pipe.zst': 'zstd',
    'sample.gz': 'gzip',
    'sample.bz2': 'bzip2',
  };
  for (const [name, fmt] of Object.entries(expect)) assert.equal(detectFormat(fixture(name)), fmt, name);
});

test('detectFormat: raw BTF in both byte orders, ELF, unknown', () => {
  assert.equal(detectFormat(new Uint8Array([0x9f, 0xeb, 1, 0, 24, 0, 0, 0])), 'btf');
  assert.equal(detectFormat(new Uint8Array([0xeb, 0x9f, 1, 0, 0, 0, 0, 24])), 'btf');
  assert.equal(detectFormat(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])), 'elf');
  assert.equal(detectFormat(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), 'unknown');
  assert.equal(detectFormat(new Uint8Array(0)), 'unknown');
  assert.equal(detectFormat(new Uint8Array([0x9f])), 'unknown');
});

test('LZMA header plausibility (the xz --format=auto rules)', () => {
  const h = (props: number, dict: number, sizeLo: number, sizeHi: number) => {
    const b = new Uint8Array(13);
    const dv = new DataView(b.buffer);
    b[0] = props;
    dv.setUint32(1, dict, true);
    dv.setUint32(5, sizeLo, true);
    dv.setUint32(9, sizeHi, true);
    return b;
  };
  assert.ok(isPlausibleLzmaHeader(h(0x5d, 1 << 23, 0xffffffff, 0xffffffff)));
  assert.ok(isPlausibleLzmaHeader(h(0x5d, 3 << 20, 1000, 0)));
  assert.ok(!isPlausibleLzmaHeader(h(225, 1 << 23, 1000, 0)), 'props byte out of range');
  assert.ok(!isPlausibleLzmaHeader(h(0x5d, 12345, 1000, 0)), 'odd dictionary size');
  assert.ok(!isPlausibleLzmaHeader(h(0x5d, 1 << 23, 0, 0x100)), 'size >= 256 GiB');
  assert.equal(compressionAt(h(0x5e, 1 << 23, 10, 0), 0, true), undefined, 'strict scan wants 0x5d');
});

test('bzImage setup header: payload fields and kernel version', () => {
  const payload = fixture('sample.x86.xz');
  const { image, payloadOffset, payloadLength } = makeFakeBzImage(payload, { decompressedSize: 20298, kernelVersion: '6.1.0-test (x) #1 SMP' });
  const h = parseBzImageHeader(image);
  assert.ok(h);
  assert.equal(h.protocolVersion, 0x020f);
  assert.equal(h.setupSize, 4 * 512);
  assert.equal(h.payloadOffset, payloadOffset);
  assert.equal(h.payloadLength, payloadLength);
  assert.equal(h.kernelVersion, '6.1.0-test (x) #1 SMP');
  assert.equal(detectFormat(image), 'bzimage');
  const c = findKernelPayload(image);
  assert.deepEqual(c[0], { format: 'xz', offset: payloadOffset, length: payloadLength, source: 'header', expectedSize: 20298 });
  assert.equal(c.length, 1, 'no other magic in this image');
  assert.deepEqual(findKernelPayload(image, { scan: false }), [c[0]]);
  assert.deepEqual(decodeXz(image.subarray(c[0]!.offset, c[0]!.offset + c[0]!.length)), fixture('sample.bin'));
  // setup_sects == 0 means 4
  const z = makeFakeBzImage(payload, { setupSects: 0 });
  assert.equal(parseBzImageHeader(z.image)!.setupSize, 5 * 512);
  assert.equal(findKernelPayload(z.image)[0]!.offset, z.payloadOffset);
});

test('old boot protocol (< 2.08) or broken header: scan for magics, strong formats first', () => {
  const xz = fixture('sample.x86.xz');
  const gz = fixture('sample.gz');
  const before = new Uint8Array(2000).fill(0x90);
  before.set(gz, 100); // a decoy gzip stream before the real payload
  const { image, payloadOffset } = makeFakeBzImage(xz, { protocol: 0x0206, before, decompressedSize: 20298 });
  assert.equal(parseBzImageHeader(image)!.payloadOffset, undefined);
  const c = findKernelPayload(image);
  assert.equal(c[0]!.format, 'xz');
  assert.equal(c[0]!.offset, payloadOffset);
  assert.equal(c[0]!.source, 'scan');
  assert.equal(c[0]!.length, image.length - payloadOffset);
  assert.ok(c.some((x) => x.format === 'gzip' && x.source === 'scan'));
  assert.deepEqual(findKernelPayload(image, { scan: false }), [], 'no header candidate, no scan');
  // payload fields pointing outside the file are ignored
  const bad = makeFakeBzImage(xz).image;
  new DataView(bad.buffer).setUint32(0x24c, 1 << 30, true);
  assert.equal(parseBzImageHeader(bad)!.payloadLength, undefined);
  assert.equal(findKernelPayload(bad)[0]!.source, 'scan');
});

test('findKernelPayload caps the number of scanned candidates', () => {
  const junk = new Uint8Array(100_000);
  for (let i = 0; i < junk.length; i += 10) junk.set([0x02, 0x21, 0x4c, 0x18], i);
  assert.equal(findKernelPayload(junk).length, 32);
  assert.equal(findKernelPayload(junk, { maxCandidates: 5 }).length, 5);
  assert.deepEqual(findKernelPayload(new Uint8Array(10)), []);
});
