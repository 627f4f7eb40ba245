import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { parseBtf, readHeader } from './parse.js';
import { serializeBtf } from './write.js';
import { Btf } from '../model/btf.js';
import { Kind } from './kinds.js';
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
