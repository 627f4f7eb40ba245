import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { indexRecords, parseBtf, readHeader, WALK_TABLES, type RecordIndex } from './parse.js';
import { walkRecords } from '../accel/dedup.js';
import { serializeBtf } from './write.js';
import { Btf } from '../model/btf.js';
import { Kind, MAX_KNOWN_KIND } from './kinds.js';
import { BtfkitError, Errno } from '../errors.js';

/** A small base BTF with one of every common kind, built with the builder. */
function sample(endian: 'little' | 'big' = 'little'): Btf {
  const b = Btf.create({ endian });
  const int = b.addInt('int', 4, 1); // 1
  const ptr = b.addPtr(int); // 2
  const s = b.addStruct('s', 8); // 3
  b.addField('a', int, 0);
  b.addField('b', int, 32, 3);
  const fp = b.addFuncProto(int); // 4
  b.addFuncParam('x', ptr);
  b.addFunc('f', 1, fp); // 5
  b.addEnum('e', 4); // 6
  b.addEnumValue('A', -1);
  b.addArray(int, s, 4); // 7
  b.addTypedef('t', s); // 8
  return b;
}

/** Build raw bytes from a header description and sections (little endian). */
function rawLE(parts: { hdrLen?: number; typeOff?: number; typeLen?: number; strOff?: number; strLen?: number; types: number[]; strs: number[]; extra?: number[] }): Uint8Array {
  const hdrLen = parts.hdrLen ?? 24;
  const types = new Uint8Array(new Uint32Array(parts.types).buffer);
  const strs = new Uint8Array(parts.strs);
  const typeOff = parts.typeOff ?? 0;
  const typeLen = parts.typeLen ?? types.length;
  const strOff = parts.strOff ?? typeOff + types.length;
  const strLen = parts.strLen ?? strs.length;
  const total = Math.max(hdrLen + typeOff + types.length, hdrLen + strOff + strs.length) + (parts.extra?.length ?? 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  dv.setUint32(4, hdrLen, true);
  dv.setUint32(8, typeOff, true);
  dv.setUint32(12, typeLen, true);
  dv.setUint32(16, strOff, true);
  dv.setUint32(20, strLen, true);
  out.set(types, hdrLen + typeOff);
  out.set(strs, hdrLen + strOff);
  return out;
}

const INT_INFO = (Kind.INT << 24) >>> 0;
const strsInt = [0, 0x69, 0x6e, 0x74, 0]; // "\0int\0"

function rejects(bytes: Uint8Array, errno: number, code: string, re?: RegExp, base?: Btf): BtfkitError {
  try {
    parseBtf(bytes, { base: base ?? null });
  } catch (e) {
    assert.ok(e instanceof BtfkitError, `expected BtfkitError, got ${String(e)}`);
    assert.equal(e.errno, errno, e.message);
    assert.equal(e.code, code, e.message);
    if (re) assert.match(e.message, re);
    return e;
  }
  assert.fail('parse should have failed');
}

test('round trip of builder output in both byte orders', () => {
  for (const endian of ['little', 'big'] as const) {
    const b = sample(endian);
    const bytes = serializeBtf(b);
    assert.equal(bytes[0], endian === 'little' ? 0x9f : 0xeb);
    const p = parseBtf(bytes);
    assert.equal(p.endian, endian);
    assert.equal(p.nTypes, 8);
    assert.deepEqual(serializeBtf(p), bytes); // unmodified: same bytes
    p.modified();
    assert.deepEqual(serializeBtf(p), bytes); // canonical re-serialization
    assert.deepEqual(serializeBtf(p, endian === 'little' ? 'big' : 'little'), serializeBtf(sample(endian === 'little' ? 'big' : 'little')));
    assert.equal(p.name(3), 's');
    assert.equal(p.memberBitfieldSize(3, 1), 3);
    assert.equal(p.enumValue(6, 0), -1);
    assert.equal(p.arrayElemType(7), 3);
    assert.equal(p.arrayIndexType(7), 1);
  }
});

test('header errors follow libbpf', () => {
  rejects(new Uint8Array(23), Errno.EINVAL, 'BTF_HEADER', /header not found/);
  const good = rawLE({ types: [1, INT_INFO, 4, 32], strs: strsInt });
  const badMagic = good.slice();
  badMagic[0] = 0;
  rejects(badMagic, Errno.EINVAL, 'BTF_HEADER', /magic/);
  // swapped magic with hdr_len != 24 → ENOTSUP
  const sw = new Uint8Array(40);
  sw[0] = 0xeb; sw[1] = 0x9f; sw[7] = 28;
  rejects(sw, Errno.ENOTSUP, 'BTF_UNSUPPORTED', /non-native endianness/);
  // hdr_len larger than the data
  rejects(rawLE({ hdrLen: 200, types: [], strs: [0] }).subarray(0, 60), Errno.EINVAL, 'BTF_HEADER');
  // string section runs past the end
  rejects(rawLE({ types: [1, INT_INFO, 4, 32], strs: strsInt, strLen: 50 }), Errno.EINVAL, 'BTF_HEADER', /total size/);
  // types overlap strings
  rejects(rawLE({ types: [1, INT_INFO, 4, 32], strs: strsInt, strOff: 8 }), Errno.EINVAL, 'BTF_HEADER', /layout/);
  // type_off not aligned
  rejects(rawLE({ typeOff: 2, types: [1, INT_INFO, 4, 32], strs: strsInt, strOff: 20 }), Errno.EINVAL, 'BTF_HEADER', /aligned/);
});

test('libbpf leniencies: long native header, gaps, trailing bytes, version and flags', () => {
  const b = rawLE({ hdrLen: 28, types: [1, INT_INFO, 4, 32], strs: strsInt, strOff: 20, extra: [1, 2, 3] });
  b[2] = 7; // version not checked by libbpf
  b[3] = 9; // flags not checked
  const p = parseBtf(b);
  assert.equal(p.nTypes, 1);
  assert.equal(p.name(1), 'int');
  assert.equal(readHeader(b).header.hdrLen, 28);
});

test('string section errors', () => {
  rejects(rawLE({ types: [], strs: [] }), Errno.EINVAL, 'BTF_STRINGS', /string section/);
  rejects(rawLE({ types: [], strs: [0, 0x61] }), Errno.EINVAL, 'BTF_STRINGS', /string section/);
  rejects(rawLE({ types: [], strs: [0x61, 0] }), Errno.EINVAL, 'BTF_STRINGS', /forget to provide base/);
  // a split may have an empty string section, and may start with a non-NUL byte
  const base = parseBtf(rawLE({ types: [1, INT_INFO, 4, 32], strs: strsInt }));
  assert.equal(parseBtf(rawLE({ types: [], strs: [] }), { base }).nTypes, 0);
  const s = parseBtf(rawLE({ types: [5, INT_INFO, 8, 64], strs: [0x6c, 0x6f, 0x6e, 0x67, 0] }), { base });
  assert.equal(s.startId, 2);
  assert.equal(s.startStrOff, 5);
  assert.equal(s.name(2), 'long');
  assert.equal(s.name(1), 'int');
});

test('type section errors', () => {
  rejects(rawLE({ types: [1, (20 << 24) >>> 0, 4], strs: strsInt }), Errno.EINVAL, 'BTF_TYPES', /Unsupported BTF_KIND:20/);
  rejects(rawLE({ types: [1, 0, 4], strs: strsInt }), Errno.EINVAL, 'BTF_TYPES', /Unsupported BTF_KIND:0/);
  // STRUCT claiming 2 members but with room for one
  const e = rejects(rawLE({ types: [1, ((Kind.STRUCT << 24) | 2) >>> 0, 4, 0, 0, 0], strs: strsInt }), Errno.EINVAL, 'BTF_TYPES', /type \[1\] is malformed/);
  assert.equal(e.where.typeId, 1);
  assert.equal(e.where.offset, 24);
  // 1..11 trailing bytes
  rejects(rawLE({ types: [1, INT_INFO, 4, 32, 0], strs: strsInt }), Errno.EINVAL, 'BTF_TYPES', /types data is malformed/);
});

test('sanity check of own types', () => {
  rejects(rawLE({ types: [99, INT_INFO, 4, 32], strs: strsInt }), Errno.EINVAL, 'BTF_TYPE_REF', /invalid type name \(string offset 99\)/);
  rejects(rawLE({ types: [0, (Kind.PTR << 24) >>> 0, 5], strs: [0] }), Errno.EINVAL, 'BTF_TYPE_REF', /invalid referenced type ID 5/);
  // FUNC must refer to a FUNC_PROTO
  rejects(rawLE({ types: [1, INT_INFO, 4, 32, 1, (Kind.FUNC << 24) >>> 0, 1], strs: strsInt }), Errno.EINVAL, 'BTF_TYPE_REF', /not FUNC_PROTO/);
  // FUNC_PROTO return type is not checked by libbpf
  assert.equal(parseBtf(rawLE({ types: [0, (Kind.FUNC_PROTO << 24) >>> 0, 77], strs: [0] })).nTypes, 1);
  // member names and ids
  rejects(rawLE({ types: [0, ((Kind.STRUCT << 24) | 1) >>> 0, 4, 50, 0, 0], strs: [0] }), Errno.EINVAL, 'BTF_TYPE_REF', /invalid field name/);
  rejects(rawLE({ types: [0, ((Kind.STRUCT << 24) | 1) >>> 0, 4, 0, 9, 0], strs: [0] }), Errno.EINVAL, 'BTF_TYPE_REF', /referenced type ID 9/);
});

test('2026 format: 32-byte header with a layout section, 24-bit vlen', () => {
  // one ENUM with 70000 values would be big; use a kind > 19 sized by the layout instead.
  const layout = new Uint8Array(24 * 4);
  layout[21 * 4] = 4; // kind 21: 4 bytes of info
  layout[21 * 4 + 1] = 8; // 8 bytes per element
  const types = [1, INT_INFO, 4, 32, 0, ((21 << 24) | 2) >>> 0, 0, 7, 1, 2, 3, 4];
  const t = new Uint8Array(new Uint32Array(types).buffer);
  const strs = new Uint8Array(strsInt);
  const out = new Uint8Array(32 + t.length + strs.length + layout.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  dv.setUint32(4, 32, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, t.length, true);
  dv.setUint32(16, t.length, true);
  dv.setUint32(20, strs.length, true);
  dv.setUint32(24, t.length + strs.length, true);
  dv.setUint32(28, layout.length, true);
  out.set(t, 32);
  out.set(strs, 32 + t.length);
  out.set(layout, 32 + t.length + strs.length);
  const p = parseBtf(out);
  assert.equal(p.nTypes, 2);
  assert.equal(p.kind(2), 21);
  assert.equal(p.vlen(2), 2);
  p.modified();
  assert.deepEqual(serializeBtf(p), out);
});

const VMLINUX = '/sys/kernel/btf/vmlinux';
test('running kernel BTF round-trips byte for byte', { skip: !existsSync(VMLINUX) }, () => {
  const bytes = new Uint8Array(readFileSync(VMLINUX));
  const btf = parseBtf(bytes);
  assert.ok(btf.nTypes > 1000);
  btf.modified();
  assert.deepEqual(serializeBtf(btf), bytes);
  const be = parseBtf(serializeBtf(btf, 'big'));
  assert.equal(be.endian, 'big');
  be.modified();
  assert.deepEqual(serializeBtf(be, 'little'), bytes);
});

/** sample() and a record of every other kind: the record walk's inputs. */
function walkSample(): Btf {
  const b = sample();
  b.addFloat('double', 8); // 9
  b.addEnum64('e64', 8, true); // 10
  b.addEnum64Value('BIG', 1n << 40n);
  const v = b.addVar('v', 1, 1); // 11
  b.addDatasec('.data', 8); // 12
  b.addDatasecVarInfo(v, 0, 4);
  b.addDeclTag('tag', 3, 0); // 13
  b.addTypeTag('user', 2); // 14
  b.addFwd('later', 'union'); // 15
  b.addConst(7); // 16
  b.addVolatile(16); // 17
  b.addRestrict(2); // 18
  b.addUnion(null, 4); // 19
  b.addField('u', 1, 0);
  return b;
}

/** indexRecords' result in one comparable value (the offsets up to the records found). */
function walkSummary(r: RecordIndex): unknown {
  return { offs: Array.from(r.offs.subarray(0, r.n)), n: r.n, w: r.w, err: r.err, rw: r.err === 2 ? r.rw : 0, suspect: r.suspect, maxRef: r.maxRef };
}

/** The record walk in WebAssembly and in JavaScript over `words`; asserts that WebAssembly ran. */
function bothWalks(words: Uint32Array, typeLen: number, strLimit: number, wide = false): [unknown, unknown] {
  const kindMask = wide ? 0x7f : 0x1f;
  const vlenMask = wide ? 0xffffff : 0xffff;
  const c = walkRecords(words, typeLen, strLimit, kindMask, vlenMask, MAX_KNOWN_KIND, WALK_TABLES);
  assert.ok(c !== null, 'WebAssembly ran');
  const js = indexRecords(words, typeLen, kindMask, vlenMask, null, 'little', { strLimit, startId: 1, base: null });
  return [walkSummary(c), walkSummary(js)];
}

test('record walk: WebAssembly and JavaScript agree on every record of the running kernel', { skip: !existsSync(VMLINUX) }, () => {
  const bytes = new Uint8Array(readFileSync(VMLINUX));
  const { header } = readHeader(bytes);
  const words = new Uint32Array(bytes.slice(header.hdrLen + header.typeOff, header.hdrLen + header.typeOff + header.typeLen).buffer);
  const [c, js] = bothWalks(words, header.typeLen, header.strLen);
  assert.deepEqual(c, js);
  assert.equal((c as { n: number }).n, parseBtf(bytes).nTypes);
  // a kernel whose names and references are off by a little: the same suspects, the same largest reference
  const [c2, js2] = bothWalks(words, header.typeLen, 1000);
  assert.deepEqual(c2, js2);
  assert.equal((c2 as { suspect: boolean }).suspect, true);
});

test('record walk: WebAssembly and JavaScript agree on 600 damaged type sections', () => {
  const b = walkSample();
  const bytes = serializeBtf(b);
  const { header } = readHeader(bytes);
  const base = new Uint32Array(bytes.slice(header.hdrLen + header.typeOff, header.hdrLen + header.typeOff + header.typeLen).buffer);
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const values = (): number => {
    switch (rnd(6)) {
      case 0: return 0;
      case 1: return rnd(16);
      case 2: return 0xffffffff - rnd(4);
      case 3: return ((rnd(32) << 24) | rnd(4)) >>> 0; // an info word: any kind, small vlen
      case 4: return ((rnd(128) << 24) | rnd(1 << 20)) >>> 0; // a wide info word
      default: return (rnd(1 << 16) * 65536 + rnd(65536)) >>> 0;
    }
  };
  let errors = 0, suspects = 0;
  for (let i = 0; i < 600; i++) {
    const words = base.slice();
    for (let k = 1 + rnd(3); k > 0; k--) words[rnd(words.length)] = values();
    const typeLen = rnd(4) === 0 ? rnd(header.typeLen + 1) : header.typeLen;
    const wide = rnd(5) === 0;
    // the string limit: the section's, or a value that is in the records (a name exactly at the limit)
    const strLimit = rnd(2) === 0 ? header.strLen : words[rnd(words.length)]!;
    const [c, js] = bothWalks(words, typeLen, strLimit, wide);
    assert.deepEqual(c, js, `mutation ${i}`);
    if ((js as { err: number }).err !== 0) errors++;
    if ((js as { suspect: boolean }).suspect) suspects++;
  }
  // the mutations reach both kinds of stop and the suspect records
  assert.ok(errors > 50 && suspects > 50, `${errors} stops, ${suspects} suspect walks`);
});

test('record walk: WebAssembly and JavaScript agree on every reference of every record set to every id', () => {
  const b = walkSample();
  const bytes = serializeBtf(b);
  const { header } = readHeader(bytes);
  const base = new Uint32Array(bytes.slice(header.hdrLen + header.typeOff, header.hdrLen + header.typeOff + header.typeLen).buffer);
  const offs = b.raw().offs;
  let suspects = 0;
  for (let i = 0; i < b.nTypes; i++) {
    // the second and later words of each record: type ids, sizes, member references
    const end = i + 1 < b.nTypes ? offs[i + 1]! : base.length;
    for (let at = offs[i]! + 2; at < end; at++) {
      for (let id = 0; id <= b.nTypes + 1; id++) {
        const words = base.slice();
        words[at] = id;
        const [c, js] = bothWalks(words, header.typeLen, header.strLen);
        assert.deepEqual(c, js, `type ${i + 1} word ${at} = ${id}`);
        if ((js as { suspect: boolean }).suspect) suspects++;
      }
    }
  }
  assert.ok(suspects > 0);
});

test('record walk: parse gives the same object or the same error with and without WebAssembly', () => {
  const bytes = serializeBtf(sample());
  for (let at = 24; at < bytes.length - 8; at += 4) {
    for (const v of [0, 0x0d000001, 0x0c000000, 0xffffffff, 0x14000000]) {
      const m = bytes.slice();
      new DataView(m.buffer).setUint32(at, v, true);
      const run = (wasm: boolean): string => {
        try {
          const p = parseBtf(m, { wasm });
          return `ok ${p.nTypes} ${Array.from(p.raw().offs.subarray(0, p.nTypes)).join(',')}`;
        } catch (e) {
          return e instanceof BtfkitError ? `${e.code} ${e.message} ${JSON.stringify(e.where)}` : String(e);
        }
      };
      assert.equal(run(true), run(false), `word at ${at} = ${v.toString(16)}`);
    }
  }
});

test('host-order input is read in place, and never written: setWord and appends copy first', () => {
  const bytes = serializeBtf(sample());
  const copy = bytes.slice();
  const p = parseBtf(bytes);
  // the records and strings are the input's own memory
  assert.equal(p.raw().words.buffer, bytes.buffer);
  assert.equal(p.raw().strs.buffer, bytes.buffer);
  p.setWord(3, 2, 99); // struct s's size
  assert.equal(p.size(3), 99);
  p.addInt('long', 8, 1);
  p.addStr('a new string');
  assert.deepEqual(bytes, copy);
  // a parse of the untouched input still sees the original
  assert.equal(parseBtf(bytes).size(3), 8);
  // opposite-endian input is copied (and swapped) as before
  const be = parseBtf(serializeBtf(sample(), 'big'));
  assert.notEqual(be.raw().words.buffer, bytes.buffer);
});
