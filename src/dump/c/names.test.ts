import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NameCounter } from './names.js';

/** A string table (NUL-separated, as in BTF) and the offset of each string. */
function table(strs: string[]): { S: Uint8Array; offs: number[] } {
  const offs: number[] = [];
  const bytes: number[] = [0];
  for (const s of strs) {
    offs.push(bytes.length);
    for (let i = 0; i < s.length; i++) bytes.push(s.charCodeAt(i));
    bytes.push(0);
  }
  return { S: new Uint8Array(bytes), offs };
}

test('NameCounter counts by content: equal strings at different offsets are one name', () => {
  const { S, offs } = table(['foo', 'bar', 'foo', 'fo', 'foo\x80', 'foo']);
  const c = new NameCounter(S);
  assert.equal(c.inc(offs[0]!), 1);
  assert.equal(c.inc(offs[1]!), 1);
  assert.equal(c.inc(offs[2]!), 2); // same bytes as offs[0]
  assert.equal(c.inc(offs[3]!), 1); // a prefix is another name
  assert.equal(c.inc(offs[4]!), 1); // and so is an extension
  assert.equal(c.inc(offs[5]!), 3);
  assert.equal(c.inc(offs[0]!), 4);
});

test('NameCounter: empty strings, a string without NUL at the end of the buffer, suffixes of other strings', () => {
  const S = new Uint8Array([0, 97, 98, 0, 0, 98, 0, 120, 121]);
  const c = new NameCounter(S);
  assert.equal(c.inc(3), 1); // "" at offset 3
  assert.equal(c.inc(4), 2); // "" again, at offset 4
  assert.equal(c.inc(2), 1); // "b" (suffix of "ab")
  assert.equal(c.inc(5), 2); // "b"
  assert.equal(c.inc(7), 1); // "xy", unterminated
  assert.equal(c.inc(7), 2);
});

test('NameCounter keeps every count when it grows', () => {
  const names = Array.from({ length: 20000 }, (_, i) => `name_${i * 7919}`);
  const { S, offs } = table([...names, ...names]);
  const c = new NameCounter(S, 16);
  for (let i = 0; i < names.length; i++) assert.equal(c.inc(offs[i]!), 1);
  for (let i = 0; i < names.length; i++) assert.equal(c.inc(offs[names.length + i]!), 2, names[i]);
});
