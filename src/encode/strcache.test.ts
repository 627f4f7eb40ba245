/**
 * StrCache: keyed by a string's bytes wherever they lie (any section, any position), equal
 * hashes told apart by the bytes, entries kept across growth.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrCache } from './strcache.js';
import { hashBytes } from '../model/strindex.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

test('StrCache: one entry per distinct string, found from any copy in any section', () => {
  // ".debug_str" with two copies of "list_head" (ld -r keeps each unit's), ".debug_line_str", inline strings
  const str = enc('\0list_head\0next\0list_head\0prev\0');
  const lineStr = enc('a.c\0list_head\0');
  const info = enc('xxnext\0');
  const c = new StrCache();
  const get = (s: Uint8Array, at: number, n: number): number => c.get(s, at, n);
  const set = (s: Uint8Array, at: number, n: number, v: number): void => c.set(s, at, n, v);
  assert.equal(get(str, 1, 9), -1);
  set(str, 1, 9, 100);
  assert.equal(get(str, 16, 9), 100, 'the second copy in .debug_str');
  assert.equal(get(lineStr, 4, 9), 100, 'the copy in .debug_line_str');
  assert.equal(get(str, 11, 4), -1, '"next" not yet');
  set(str, 11, 4, 7);
  assert.equal(get(info, 2, 4), 7, 'an inline copy in .debug_info');
  // a prefix of a cached string is another string, and the cache keeps its own copy of the bytes
  assert.equal(get(str, 1, 4), -1);
  str.fill(0);
  assert.equal(get(lineStr, 4, 9), 100, 'found after the first copy was overwritten');
});

test('StrCache: strings of one hash are told apart by their bytes', () => {
  // hashBytes reads the length and the first, middle and last four bytes: these two share all of them
  const a = 'abcdXXmidd1eYYwxyz';
  const b = 'abcdQQmidd1eZZwxyz';
  const s = enc(`${a}\0${b}\0`);
  const ha = hashBytes(s, 0, a.length);
  const hb = hashBytes(s, a.length + 1, b.length);
  assert.equal(ha, hb, 'the test needs a collision');
  const c = new StrCache();
  c.set(s, 0, a.length, 1);
  assert.equal(c.get(s, a.length + 1, b.length), -1);
  c.set(s, a.length + 1, b.length, 2);
  assert.equal(c.get(s, 0, a.length), 1);
  assert.equal(c.get(s, a.length + 1, b.length), 2);
});

test('StrCache: entries survive growth of the table and the byte pool (10000 strings)', () => {
  const words = Array.from({ length: 10000 }, (_, i) => `name_${i}_${'x'.repeat(i % 40)}`);
  const s = enc(words.join('\0') + '\0');
  const c = new StrCache();
  const at: number[] = [];
  let p = 0;
  for (const w of words) {
    at.push(p);
    c.set(s, p, w.length, at.length);
    p += w.length + 1;
  }
  for (let i = 0; i < words.length; i++) assert.equal(c.get(s, at[i]!, words[i]!.length), i + 1);
});
