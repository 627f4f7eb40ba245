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
        stored.append(1000 + i, 0, 0);
        pending++;
        continue;
      }
      if (pending) skipped.skip(pending);
      pending = 0;
      const key = rnd() % 5;
      stored.append(key, i, 0);
      skipped.append(key, i, 0);
    }
    if (pending) skipped.skip(pending);
    assert.equal(skipped.size, stored.size);
    for (let key = 0; key < 5; key++) {
      const a: number[] = [];
      const b: number[] = [];
      for (let e = stored.first(key); e >= 0; e = stored.nextOf(e)) a.push(stored.value(e));
      for (let e = skipped.first(key); e >= 0; e = skipped.nextOf(e)) b.push(skipped.value(e));
      assert.deepEqual(b, a, `trial ${trial}, key ${key}`);
    }
  }
});

/** libbpf's hashmap as its source describes it: buckets of singly linked chains, new entries at the head, re-linked on growth. */
class HashmapModel {
  buckets: Array<Array<{ key: number; value: number }>> = [];
  cap = 0;
  size = 0;
  append(key: number, value: number): void {
    if (this.cap === 0 || Math.floor(((this.size + 1) * 4) / 3) > this.cap) {
      const cap = this.cap === 0 ? 4 : this.cap * 2;
      const nb: Array<Array<{ key: number; value: number }>> = Array.from({ length: cap }, () => []);
      // each old chain from its head, every entry pushed onto the head of its new chain
      for (const chain of this.buckets) for (const ent of chain) nb[ent.key % cap]!.unshift(ent);
      this.buckets = nb;
      this.cap = cap;
    }
    this.buckets[key % this.cap]!.unshift({ key, value });
    this.size++;
  }
  values(key: number): number[] {
    return this.cap === 0 ? [] : this.buckets[key % this.cap]!.filter((e) => e.key === key).map((e) => e.value);
  }
}

test("CandidateTable: every key's entries come in the order libbpf's hashmap lists them, through any number of growths", () => {
  let x = 7;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8);
  for (let trial = 0; trial < 60; trial++) {
    const t = new CandidateTable(1 + (rnd() % 64));
    const m = new HashmapModel();
    const n = rnd() % 3000;
    const keys = 1 + (rnd() % 40);
    for (let i = 0; i < n; i++) {
      const key = rnd() % keys;
      t.append(key, i, 0);
      m.append(key, i);
      if (i % 97 === 0 || i === n - 1) {
        for (let k = 0; k < keys; k++) {
          const got: number[] = [];
          for (let e = t.first(k); e >= 0; e = t.nextOf(e)) got.push(t.value(e));
          assert.deepEqual(got, m.values(k), `trial ${trial}, after ${i + 1} appends, key ${k}`);
        }
      }
    }
  }
});
