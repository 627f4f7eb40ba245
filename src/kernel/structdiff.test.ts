import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from '../model/btf.js';
import { diffComposites, formatCompositeDiff, typeToC } from './structdiff.js';

function build(withFlags: boolean): { btf: Btf; id: number } {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const ulong = b.addInt('long unsigned int', 8, 0);
  const inner = b.addUnion(null, 8);
  b.addField('u_a', ulong, 0);
  const arr = b.addArray(int, ulong, withFlags ? 2 : 1);
  const id = b.addStruct('device', withFlags ? 32 : 24);
  b.addField('a', int, 0);
  b.addField(null, inner, 64);
  b.addField('arr', arr, 128);
  if (withFlags) b.addField('flags', ulong, 192);
  else b.addField('gone', int, 160, 3);
  return { btf: b, id };
}

test('struct diff: added, removed, resized fields; anonymous members flattened', () => {
  const o = build(false);
  const n = build(true);
  const d = diffComposites(o.btf, o.id, n.btf, n.id);
  assert.equal(d.sizeBefore, 24);
  assert.equal(d.sizeAfter, 32);
  assert.deepEqual(d.changes.map((c) => `${c.change} ${c.field}`), ['resized arr', 'added flags', 'removed gone']);
  assert.deepEqual(formatCompositeDiff(d), [
    '~ arr resized: 8 bytes -> 16 bytes (long unsigned int[1] -> long unsigned int[2])',
    '+ long unsigned int flags (offset 24, 8 bytes)',
    '- int gone (was at offset 20 bit 0, 3 bits)',
  ]);
  assert.equal(typeToC(o.btf, o.btf.addPtr(o.id)), 'struct device *');
});
