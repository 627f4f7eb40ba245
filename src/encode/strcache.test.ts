/**
 * StrCache: keyed by a string's bytes wherever they lie (any of the DWARF string sections, any
 * position), equal hashes told apart by the bytes, entries kept across growth.
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
  const c = new StrCache([str, lineStr, info]);
  const h = (s: Uint8Array, at: number, n: number): number => hashBytes(s, at, n);
  assert.equal(c.get(0, 1, 9, h(str, 1, 9)), -1);
  c.set(0, 1, h(str, 1, 9), 100);
  assert.equal(c.get(0, 16, 9, h(str, 16, 9)), 100, 'the second copy in .debug_str');
  assert.equal(c.get(1, 4, 9, h(lineStr, 4, 9)), 100, 'the copy in .debug_line_str');
  assert.equal(c.get(0, 11, 4, h(str, 11, 4)), -1, '"next" not yet');
  c.set(0, 11, h(str, 11, 4), 7);
  assert.equal(c.get(2, 2, 4, h(info, 2, 4)), 7, 'an inline copy in .debug_info');
  // a prefix of a cached string is another string
  assert.equal(c.get(0, 1, 4, h(str, 1, 4)), -1);
});

test('StrCache: strings of one hash are told apart by their bytes', () => {
  // hashBytes reads the length and the first, middle and last four bytes: these two share all of them
  const a = 'abcdXXmidd1eYYwxyz';
  const b = 'abcdQQmidd1eZZwxyz';
  const s = enc(`${a}\0${b}\0`);
  const ha = hashBytes(s, 0, a.length);
  const hb = hashBytes(s, a.length + 1, b.length);
  assert.equal(ha, hb, 'the test needs a collision');
  const c = new StrCache([s]);
  c.set(0, 0, ha, 1);
  assert.equal(c.get(0, a.length + 1, b.length, hb), -1);
  c.set(0, a.length + 1, hb, 2);
  assert.equal(c.get(0, 0, a.length, ha), 1);
  assert.equal(c.get(0, a.length + 1, b.length, hb), 2);
});

test('StrCache: entries survive growth (10000 strings from a table sized for 16)', () => {
  const words = Array.from({ length: 10000 }, (_, i) => `name_${i}`);
  const s = enc(words.join('\0') + '\0');
  const c = new StrCache([s], 16);
  const at: number[] = [];
  let p = 0;
  for (const w of words) {
    at.push(p);
    c.set(0, p, hashBytes(s, p, w.length), at.length);
    p += w.length + 1;
  }
  for (let i = 0; i < words.length; i++) assert.equal(c.get(0, at[i]!, words[i]!.length, hashBytes(s, at[i]!, words[i]!.length)), i + 1);
});
