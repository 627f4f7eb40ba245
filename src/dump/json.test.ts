import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Btf } from '../model/btf.js';
import { IntEncoding, Kind } from '../format/kinds.js';
import { dumpJson, dumpJsonTo } from './json.js';
import { everyKind } from './fixtures.test-util.js';

const text = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

const EVERY_KIND_JSON_TYPES = [
  '{"id":1,"kind":"INT","name":"int","size":4,"bits_offset":0,"nr_bits":32,"encoding":"SIGNED"}',
  '{"id":2,"kind":"INT","name":"unsigned char","size":1,"bits_offset":0,"nr_bits":8,"encoding":"(none)"}',
  '{"id":3,"kind":"INT","name":"char","size":1,"bits_offset":0,"nr_bits":8,"encoding":"CHAR"}',
  '{"id":4,"kind":"INT","name":"_Bool","size":1,"bits_offset":0,"nr_bits":8,"encoding":"BOOL"}',
  '{"id":5,"kind":"PTR","name":"(anon)","type_id":1}',
  '{"id":6,"kind":"ARRAY","name":"(anon)","type_id":2,"index_type_id":1,"nr_elems":16}',
  '{"id":7,"kind":"STRUCT","name":"s","size":12,"vlen":3,"members":[' +
    '{"name":"a","type_id":1,"bits_offset":0},' +
    '{"name":"b","type_id":2,"bits_offset":32,"bitfield_size":3},' +
    '{"name":"(anon)","type_id":1,"bits_offset":64}]}',
  '{"id":8,"kind":"UNION","name":"(anon)","size":4,"vlen":2,"members":[' +
    '{"name":"x","type_id":1,"bits_offset":0},{"name":"y","type_id":2,"bits_offset":0}]}',
  // bpftool widens the __s32 val of an unsigned enum to u64: 0x80000000 prints sign-extended.
  '{"id":9,"kind":"ENUM","name":"e","encoding":"UNSIGNED","size":4,"vlen":2,"values":[' +
    '{"name":"A","val":0},{"name":"B","val":18446744071562067968}]}',
  '{"id":10,"kind":"ENUM","name":"se","encoding":"SIGNED","size":4,"vlen":2,"values":[' +
    '{"name":"N","val":-1},{"name":"P","val":5}]}',
  '{"id":11,"kind":"ENUM64","name":"big","encoding":"UNSIGNED","size":8,"vlen":2,"values":[' +
    '{"name":"X","val":18446744073709551615},{"name":"Y","val":1}]}',
  '{"id":12,"kind":"ENUM64","name":"sbig","encoding":"SIGNED","size":8,"vlen":3,"values":[' +
    '{"name":"M","val":-9223372036854775808},{"name":"Q","val":-2},{"name":"R","val":4294967296}]}',
  '{"id":13,"kind":"FWD","name":"fs","fwd_kind":"struct"}',
  '{"id":14,"kind":"FWD","name":"fu","fwd_kind":"union"}',
  '{"id":15,"kind":"TYPEDEF","name":"td","type_id":7}',
  '{"id":16,"kind":"VOLATILE","name":"(anon)","type_id":1}',
  '{"id":17,"kind":"CONST","name":"(anon)","type_id":16}',
  '{"id":18,"kind":"RESTRICT","name":"(anon)","type_id":5}',
  '{"id":19,"kind":"FUNC_PROTO","name":"(anon)","ret_type_id":1,"vlen":3,"params":[' +
    '{"name":"a","type_id":1},{"name":"(anon)","type_id":5},{"name":"(anon)","type_id":0}]}',
  '{"id":20,"kind":"FUNC","name":"f","type_id":19,"linkage":"global"}',
  '{"id":21,"kind":"FUNC","name":"g","type_id":19,"linkage":"static"}',
  '{"id":22,"kind":"FUNC","name":"h","type_id":19,"linkage":"extern"}',
  '{"id":23,"kind":"VAR","name":"v","type_id":1,"linkage":"static"}',
  '{"id":24,"kind":"VAR","name":"gv","type_id":1,"linkage":"global"}',
  '{"id":25,"kind":"VAR","name":"ev","type_id":1,"linkage":"extern"}',
  '{"id":26,"kind":"DATASEC","name":".data","size":16,"vlen":4,"vars":[' +
    '{"type_id":23,"offset":0,"size":4},{"type_id":24,"offset":4,"size":4},' +
    '{"type_id":0,"offset":8,"size":4},{"type_id":999,"offset":12,"size":4}]}',
  '{"id":27,"kind":"FLOAT","name":"double","size":8}',
  '{"id":28,"kind":"DECL_TAG","name":"tag1","type_id":7,"component_idx":-1}',
  '{"id":29,"kind":"DECL_TAG","name":"tag2","type_id":7,"component_idx":1}',
  '{"id":30,"kind":"TYPE_TAG","name":"user","type_id":1}',
  '{"id":31,"kind":"TYPE_TAG","name":"attr","type_id":1}',
  '{"id":32,"kind":"DECL_TAG","name":"dattr","type_id":20,"component_idx":-1}',
];

test('json dump: every kind, compact, with the trailing newline of jsonw_destroy', () => {
  assert.equal(text(dumpJson(everyKind())), '{"types":[' + EVERY_KIND_JSON_TYPES.join(',') + ']}\n');
});

test('json dump: empty BTF', () => {
  assert.equal(text(dumpJson(Btf.create())), '{"types":[]}\n');
});

test("json dump: strings escaped like bpftool's jsonw_puts (\\' included), other bytes raw", () => {
  const b = Btf.create();
  b.addRecord([b.addStrKey('a\tb\nc\rd\fe\bf\\g"h\'i\x01\xe9'), (Kind.INT << 24) >>> 0, 4, 32]);
  b.addRecord([424242, (Kind.PTR << 24) >>> 0, 1]);
  b.addRecord([b.addStr('k'), (25 << 24) >>> 0, 0]);
  assert.equal(
    text(dumpJson(b)),
    '{"types":[{"id":1,"kind":"INT","name":"a\\tb\\nc\\rd\\fe\\bf\\\\g\\"h\\\'i\x01\xe9","size":4,"bits_offset":0,"nr_bits":32,"encoding":"(none)"},' +
      '{"id":2,"kind":"PTR","name":"(invalid)","type_id":1},{"id":3,"kind":"UNKNOWN","name":"k"}]}\n',
  );
});

test('json dump: pretty layout as bpftool -p prints it', () => {
  const b = Btf.create();
  const int = b.addInt('int', 4, IntEncoding.SIGNED);
  b.addStruct('s', 4);
  b.addField('a', int);
  b.addFuncProto(0);
  const want = `{
    "types": [{
            "id": 1,
            "kind": "INT",
            "name": "int",
            "size": 4,
            "bits_offset": 0,
            "nr_bits": 32,
            "encoding": "SIGNED"
        },{
            "id": 2,
            "kind": "STRUCT",
            "name": "s",
            "size": 4,
            "vlen": 1,
            "members": [{
                    "name": "a",
                    "type_id": 1,
                    "bits_offset": 0
                }
            ]
        },{
            "id": 3,
            "kind": "FUNC_PROTO",
            "name": "(anon)",
            "ret_type_id": 0,
            "vlen": 0,
            "params": []
        }
    ]
}
`;
  assert.equal(text(dumpJson(b, { pretty: true })), want);
  // Pretty and compact parse to the same value.
  assert.deepEqual(JSON.parse(want), JSON.parse(text(dumpJson(b))));
});

test('json dump: split BTF and rootIds', () => {
  const base = Btf.create();
  const int = base.addInt('int', 4, IntEncoding.SIGNED);
  const split = Btf.createSplit(base);
  split.addTypedef('myint', int);
  assert.equal(text(dumpJson(split)), '{"types":[{"id":2,"kind":"TYPEDEF","name":"myint","type_id":1}]}\n');
  assert.equal(
    text(dumpJson(split, { rootIds: [1] })),
    '{"types":[{"id":1,"kind":"INT","name":"int","size":4,"bits_offset":0,"nr_bits":32,"encoding":"SIGNED"}]}\n',
  );
});

test('json dump: streaming output equals the one-shot output', () => {
  const b = everyKind();
  for (let i = 0; i < 200; i++) b.addTypedef(`t${i}`, 7);
  const chunks: Uint8Array[] = [];
  dumpJsonTo(b, (c) => chunks.push(c), { chunkSize: 64 });
  assert.ok(chunks.length > 1);
  assert.equal(chunks.map(text).join(''), text(dumpJson(b)));
});
