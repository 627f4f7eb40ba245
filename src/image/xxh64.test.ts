/**
 * XXH64 against the checksums `zstd --check` writes (the low 32 bits of XXH64 of the content)
 * for lengths around every branch of the algorithm (stripes of 32, tails of 8/4/1 bytes),
 * and the published digest of the empty input.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { xxh64 } from './xxh64.js';

const hasZstd = spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0;

test('xxh64 of the empty input is ef46db37 51d8e999', () => {
  assert.deepEqual(xxh64(new Uint8Array(0)), [0xef46db37, 0x51d8e999]);
});

test('xxh64: low 32 bits equal the checksum of zstd frames, every tail length', { skip: !hasZstd && 'zstd not installed' }, () => {
  for (const n of [1, 3, 4, 5, 7, 8, 9, 12, 15, 31, 32, 33, 36, 40, 63, 64, 65, 100, 1000, 4099, 70001]) {
    const d = new Uint8Array(n);
    for (let i = 0; i < n; i++) d[i] = (i * 2654435761) >>> 24;
    const z = execFileSync('zstd', ['-q', '-c', '--check'], { input: d });
    assert.equal(xxh64(d)[1], z.readUInt32LE(z.length - 4), `length ${n}`);
    // a sub-range is hashed as that range alone
    const padded = new Uint8Array(n + 10);
    padded.set(d, 5);
    assert.deepEqual(xxh64(padded, 5, 5 + n), xxh64(d));
  }
});
