/**
 * The candidate table's skipped entries (dedupPrep's base types that no own type could equal):
 * counting them must grow the table exactly as storing them would, so every key's entries
 * come out in the same order as when the skipped ones are real entries under keys never
 * looked up.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CandidateTable } from './table.js';

test('CandidateTable.skip(n): the order of each key is the order with stored entries instead', () => {
  let x = 11;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8);
  for (let trial = 0; trial < 200; trial++) {
    const stored = new CandidateTable(16);
    const skipped = new CandidateTable(16);
    const n = rnd() % 5000;
    let pending = 0;
    for (let i = 0; i < n; i++) {
      if (rnd() % 4) {
        stored.append(1000 + i, 1, 0);
        pending++;
        continue;
      }
      if (pending) skipped.skip(pending);
      pending = 0;
      const key = rnd() % 5;
      stored.append(key, 0, i);
      skipped.append(key, 0, i);
    }
    if (pending) skipped.skip(pending);
    assert.equal(skipped.size, stored.size);
    for (let key = 0; key < 5; key++) {
      const a: number[] = [];
      const b: number[] = [];
      for (let e = stored.first(key, 0); e >= 0; e = stored.nextOf(e)) a.push(stored.value(e));
      for (let e = skipped.first(key, 0); e >= 0; e = skipped.nextOf(e)) b.push(skipped.value(e));
      assert.deepEqual(b, a, `trial ${trial}, key ${key}`);
    }
  }
});
