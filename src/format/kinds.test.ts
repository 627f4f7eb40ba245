import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kind, KindId, KIND_NAMES, kindName, recordWords, MAX_KNOWN_KIND } from './kinds.js';

test('the internal const enum and the public Kind object agree, kind by kind', () => {
  const internal: Record<string, number> = {
    UNKN: KindId.UNKN, INT: KindId.INT, PTR: KindId.PTR, ARRAY: KindId.ARRAY, STRUCT: KindId.STRUCT,
    UNION: KindId.UNION, ENUM: KindId.ENUM, FWD: KindId.FWD, TYPEDEF: KindId.TYPEDEF,
    VOLATILE: KindId.VOLATILE, CONST: KindId.CONST, RESTRICT: KindId.RESTRICT, FUNC: KindId.FUNC,
    FUNC_PROTO: KindId.FUNC_PROTO, VAR: KindId.VAR, DATASEC: KindId.DATASEC, FLOAT: KindId.FLOAT,
    DECL_TAG: KindId.DECL_TAG, TYPE_TAG: KindId.TYPE_TAG, ENUM64: KindId.ENUM64,
  };
  assert.deepEqual(internal, { ...Kind });
  for (const [name, v] of Object.entries(Kind)) if (v > 0) assert.equal(KIND_NAMES[v], name);
  assert.equal(Math.max(...Object.values(Kind)), MAX_KNOWN_KIND);
});

test('record sizes: libbpf btf_type_size for each kind', () => {
  assert.equal(recordWords(Kind.INT, 0), 4);
  assert.equal(recordWords(Kind.ARRAY, 0), 6);
  assert.equal(recordWords(Kind.STRUCT, 2), 3 + 6);
  assert.equal(recordWords(Kind.ENUM, 3), 3 + 6);
  assert.equal(recordWords(Kind.ENUM64, 1), 6);
  assert.equal(recordWords(Kind.FUNC_PROTO, 2), 7);
  assert.equal(recordWords(Kind.VAR, 0), 4);
  assert.equal(recordWords(Kind.DATASEC, 1), 6);
  assert.equal(recordWords(Kind.DECL_TAG, 0), 4);
  assert.equal(recordWords(0, 0), -1);
  assert.equal(recordWords(MAX_KNOWN_KIND + 1, 0), -1);
  assert.equal(kindName(42), 'UNKNOWN(42)');
});
