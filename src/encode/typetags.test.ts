/**
 * clang's `btf_type_tag` (__user, __rcu, __percpu on pointers) against pahole v1.31: the
 * typetag-*.o fixtures (test/fixtures/dwarf/typetag.c, scripts/dwarf-fixtures.sh; clang DWARF 4
 * and 5) encode and deduplicate to `pahole -J`'s bytes (test/golden/encoder,
 * scripts/golden-encoder.sh), and a pointer's tags chain in pahole's order.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf } from '../elf/index.js';
import { serializeBtf } from '../format/write.js';
import { KindId, KIND_NAMES } from '../format/kinds.js';
import { dedup } from '../split/dedup/index.js';
import type { Btf } from '../model/btf.js';
import { encodeModuleBtf } from './index.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/dwarf');
const GOLD = join(ROOT, 'test/golden/encoder');
const OBJECTS = ['typetag-clang-dwarf5', 'typetag-clang-dwarf4'];

const object = (n: string) => parseElf(new Uint8Array(readFileSync(join(FIX, `${n}.o`))));

for (const n of OBJECTS) {
  test(`${n}: btf_type_tag chains encoded and deduplicated as pahole -J writes them`, () => {
    const out = serializeBtf(dedup(encodeModuleBtf(object(n), null), { stringsDeduped: true }).btf);
    assert.deepEqual(out, new Uint8Array(readFileSync(join(GOLD, `${n}.btf`))));
  });
}

/** The chain of kinds (and tag values) from a struct member's type down to a named type or void. */
function chain(btf: Btf, struct: string, member: string): string[] {
  const s = btf.findByNameKind(struct, KindId.STRUCT);
  let i = 0;
  while (btf.str(btf.memberNameOff(s, i)) !== member) i++;
  const out: string[] = [];
  for (let id = btf.memberType(s, i); ; id = btf.type(id)) {
    if (id === 0) return [...out, 'void'];
    const kind = btf.kind(id);
    if (kind === KindId.INT) return [...out, btf.name(id)];
    out.push(kind === KindId.TYPE_TAG ? `TYPE_TAG ${btf.name(id)}` : KIND_NAMES[kind]!);
  }
}

test('a pointer refers to its last tag, each tag to the one before it, the first to the pointee', () => {
  const btf = encodeModuleBtf(object('typetag-clang-dwarf5'), null);
  // int __user __percpu __rcu *three
  assert.deepEqual(chain(btf, 'node', 'three'), ['PTR', 'TYPE_TAG rcu', 'TYPE_TAG percpu', 'TYPE_TAG user', 'int']);
  assert.deepEqual(chain(btf, 'node', 'name'), ['PTR', 'TYPE_TAG user', 'CONST', 'char']);
  assert.deepEqual(chain(btf, 'node', 'buf'), ['PTR', 'TYPE_TAG user', 'void']);
  // char __user * __user *argv: both levels tagged
  assert.deepEqual(chain(btf, 'node', 'argv'), ['PTR', 'TYPE_TAG user', 'PTR', 'TYPE_TAG user', 'char']);
  assert.deepEqual(chain(btf, 'node', 'plain'), ['PTR', 'int']);
});
