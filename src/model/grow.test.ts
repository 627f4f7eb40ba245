import { test } from 'node:test';
import assert from 'node:assert/strict';
import { growI32, growU32, growU8 } from './grow.js';

test('grow: same array when there is room; otherwise a copy with room, contents kept', () => {
  const a = new Uint32Array([1, 2, 3]);
  assert.equal(growU32(a, 3), a);
  const b = growU32(a, 4);
  assert.notEqual(b, a);
  assert.ok(b.length >= 16);
  assert.deepEqual([...b.subarray(0, 3)], [1, 2, 3]);
  assert.ok(growU32(new Uint32Array(100), 1000).length >= 1000);
  const i = growI32(new Int32Array([-1]), 50);
  assert.equal(i[0], -1);
  assert.ok(i.length >= 50);
  const u = growU8(new Uint8Array([7]), 2);
  assert.equal(u[0], 7);
  assert.ok(u.length >= 64);
});
