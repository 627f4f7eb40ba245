import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { verifyKernelBtf, verifyKernelModule, kernelNameValid, KernelErrno, type KernelVerifyError, type KernelVerifyOptions } from './verify.js';
import { Btf } from '../model/btf.js';
import { Kind } from '../format/kinds.js';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { hasCorpus, kernelBtfPath } from '../../scripts/corpus-paths.js';
import { cacheDir, goldenPath } from '../testing/fixtures.js';
import { join } from 'node:path';

const { EINVAL, E2BIG, ELOOP, ENOTSUPP } = KernelErrno;
const BASE: KernelVerifyOptions = { what: 'base' };

function info(kind: number, vlen = 0, kflag = false): number {
  return ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
}

/** A base BTF whose type [1] is `int`; `more` appends to it. */
function withInt(more?: (b: Btf) => void): Btf {
  const b = Btf.create({ endian: 'little' });
  b.addInt('int', 4, 1);
  more?.(b);
  return b;
}
const bytesOf = (b: Btf): Uint8Array => serializeBtf(b, 'little');
/** Bytes of `int` followed by one raw record (its name, if any, interned first). */
function rec(words: (b: Btf) => number[]): Uint8Array {
  return bytesOf(withInt((b) => void b.addRecord(words(b))));
}
function u32(bytes: Uint8Array, off: number, v: number): Uint8Array {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(off, v >>> 0, true);
  return bytes;
}
function ok(bytes: Uint8Array, opts: KernelVerifyOptions = BASE): Btf {
  const r = verifyKernelBtf(bytes, opts);
  assert.ok(r.ok, r.ok ? '' : `${r.message}\n${r.dmesg.join('\n')}`);
  return r.btf;
}
function rejects(bytes: Uint8Array, opts: KernelVerifyOptions, errno: number, fragment: string): KernelVerifyError {
  const r = verifyKernelBtf(bytes, opts);
  assert.ok(!r.ok, `expected the kernel to reject (${fragment})`);
  assert.equal(r.errno, errno, r.message);
  const text = r.log.join('\n');
  assert.ok(text.includes(fragment), `log ${JSON.stringify(r.log)} lacks ${JSON.stringify(fragment)}`);
  for (const l of r.dmesg) assert.ok(l.startsWith('BPF: '), l);
  return r;
}
/** libbpf (our parser) accepts it; the kernel does not. */
function libbpfAccepts(bytes: Uint8Array, base?: Btf): void {
  assert.doesNotThrow(() => parseBtf(bytes, { base: base ?? null }));
}

// -------------------------------------------------------------------------------------------

describe('header (btf_parse_hdr, btf_check_sec_info)', () => {
  test('too short for hdr_len', () => {
    rejects(new Uint8Array([0x9f, 0xeb, 1, 0, 24, 0]), BASE, EINVAL, 'hdr_len not found');
  });
  test('hdr_len larger than the data', () => {
    const b = bytesOf(withInt());
    rejects(u32(b, 4, 1000), BASE, EINVAL, 'btf_header not found');
  });
  test('longer header: extra bytes must be zero (E2BIG), zero extra bytes are fine', () => {
    const src = bytesOf(withInt());
    const long = new Uint8Array(src.length + 4);
    long.set(src.subarray(0, 24));
    long.set(src.subarray(24), 28);
    u32(long, 4, 28);
    const btf = ok(long);
    assert.equal(btf.name(1), 'int');
    const bad = long.slice();
    bad[26] = 1;
    const r = rejects(bad, BASE, E2BIG, 'Unsupported btf_header');
    assert.equal(r.offset, 26);
    assert.equal(r.stage, 'header');
  });
  test('bad magic', () => {
    const b = bytesOf(withInt());
    b[0] = 0x34;
    rejects(b, BASE, EINVAL, 'Invalid magic');
  });
  test('big-endian BTF on a little-endian kernel (libbpf accepts it)', () => {
    const be = serializeBtf(withInt(), 'big');
    libbpfAccepts(be);
    // hdr_len read in kernel (little) order is 0x18000000 > size
    rejects(be, BASE, EINVAL, 'btf_header not found');
    // ... and on a big-endian kernel it is fine
    assert.equal(ok(be, { what: 'base', endian: 'big' }).name(1), 'int');
    // a big-endian kernel rejects little-endian data the same way
    rejects(bytesOf(withInt()), { what: 'base', endian: 'big' }, EINVAL, 'btf_header not found');
  });
  test('version 2 and flags 1 (libbpf accepts both): ENOTSUPP', () => {
    const v2 = bytesOf(withInt());
    v2[2] = 2;
    libbpfAccepts(v2);
    const r = rejects(v2, BASE, ENOTSUPP, 'Unsupported version');
    assert.equal(r.errnoName, 'ENOTSUPP');
    const f1 = bytesOf(withInt());
    f1[3] = 1;
    libbpfAccepts(f1);
    rejects(f1, BASE, ENOTSUPP, 'Unsupported flags');
  });
  test('header only: "No data" for base BTF, fine for split BTF', () => {
    const empty = new Uint8Array(24);
    u32(empty, 0, 0x0001eb9f);
    u32(empty, 4, 24);
    rejects(empty, BASE, EINVAL, 'No data');
    const base = withInt();
    const split = bytesOf(Btf.createSplit(base));
    assert.equal(split.length, 24);
    assert.equal(ok(split, { what: 'module', base }).nTypes, 0);
  });
  test('gap between types and strings (libbpf accepts it)', () => {
    const src = bytesOf(withInt());
    const typeLen = 16;
    const gap = new Uint8Array(src.length + 4);
    gap.set(src.subarray(0, 24 + typeLen));
    gap.set(src.subarray(24 + typeLen), 24 + typeLen + 4);
    u32(gap, 16, typeLen + 4);
    libbpfAccepts(gap);
    const r = rejects(gap, BASE, EINVAL, 'Unsupported section found');
    assert.equal(r.offset, 24 + typeLen);
  });
  test('trailing bytes after the sections (libbpf accepts them)', () => {
    const src = bytesOf(withInt());
    const tail = new Uint8Array(src.length + 3);
    tail.set(src);
    libbpfAccepts(tail);
    rejects(tail, BASE, EINVAL, 'Unsupported section found');
  });
  test('overlapping sections', () => {
    const b = bytesOf(withInt());
    u32(b, 16, 12); // strings start inside the 16-byte type section
    rejects(b, BASE, EINVAL, 'Section overlap found');
  });
  test('section offset past the data', () => {
    const b = bytesOf(withInt());
    u32(b, 16, 5000);
    rejects(b, BASE, EINVAL, 'Invalid section offset');
  });
  test('section length past the data', () => {
    const b = bytesOf(withInt());
    u32(b, 20, 5000);
    rejects(b, BASE, EINVAL, 'Total section length too long');
  });
});

describe('string section (btf_parse_str_sec)', () => {
  test('strings placed before the types', () => {
    // "\0int\0\0\0\0" (8 bytes) then the INT record; contiguous, so btf_check_sec_info passes.
    const strs = [0, 0x69, 0x6e, 0x74, 0, 0, 0, 0];
    const out = new Uint8Array(24 + 8 + 16);
    u32(out, 0, 0x0001eb9f);
    u32(out, 4, 24);
    u32(out, 8, 8); // type_off
    u32(out, 12, 16);
    u32(out, 16, 0); // str_off
    u32(out, 20, 8);
    out.set(strs, 24);
    u32(out, 32, 1);
    u32(out, 36, info(Kind.INT));
    u32(out, 40, 4);
    u32(out, 44, 32);
    rejects(out, BASE, EINVAL, 'String section is not at the end');
  });
  test('base strings must start and end with NUL', () => {
    const first = bytesOf(withInt());
    first[24 + 16] = 0x41;
    rejects(first, BASE, EINVAL, 'Invalid string section');
    const last = bytesOf(withInt());
    last[last.length - 1] = 0x41;
    rejects(last, BASE, EINVAL, 'Invalid string section');
  });
  test('empty string section: invalid for base, fine for split', () => {
    const b = Btf.create({ endian: 'little' });
    b.addRecord([0, info(Kind.PTR), 0]);
    const bytes = bytesOf(b).slice(0, 24 + 12);
    u32(bytes, 20, 0);
    rejects(bytes, BASE, EINVAL, 'Invalid string section');
    const base = withInt();
    const s = Btf.createSplit(base);
    s.addPtr(1);
    assert.equal(bytesOf(s).length, 24 + 12);
    ok(bytesOf(s), { what: 'module', base });
  });
  test('a split string section may start with a non-NUL byte', () => {
    const base = withInt();
    const s = Btf.createSplit(base);
    s.addTypedef('myint', 1);
    const bytes = bytesOf(s);
    assert.notEqual(bytes[24 + 12], 0);
    const btf = ok(bytes, { what: 'module', base });
    assert.equal(btf.name(2), 'myint');
  });
});

describe('record prefix (btf_check_meta)', () => {
  test('trailing bytes too short for a record', () => {
    const b = bytesOf(withInt((x) => void x.addPtr(1)));
    // claim 4 more type bytes (taken from the strings), keep the strings contiguous
    const out = new Uint8Array(b.length + 4);
    out.set(b.subarray(0, 24 + 28));
    out.set(b.subarray(24 + 28), 24 + 32);
    u32(out, 12, 32);
    u32(out, 16, 32);
    const r = rejects(out, BASE, EINVAL, '[3] meta_left:4 meta_needed:12');
    assert.equal(r.typeId, 3);
    assert.equal(r.offset, 24 + 28);
  });
  test('reserved info bits', () => {
    rejects(rec(() => [0, info(Kind.PTR) | 0x10000, 1]), BASE, EINVAL, '[2] Invalid btf_info:2010000');
  });
  test('kind 0 and kinds past ENUM64', () => {
    rejects(rec(() => [0, 0, 0]), BASE, EINVAL, '[2] Invalid kind:0');
    rejects(rec(() => [0, 20 << 24, 0]), BASE, EINVAL, '[2] Invalid kind:20');
  });
  test('name offset out of range', () => {
    const r = rejects(rec(() => [9999, info(Kind.PTR), 1]), BASE, EINVAL, '[2] Invalid name_offset:9999');
    assert.deepEqual(r.dmesg, ['BPF: [2] Invalid name_offset:9999']);
  });
});

describe('INT', () => {
  const int = (w3: number, size = 4, inf = info(Kind.INT)) => rec((b) => [b.addStr('x'), inf, size, w3]);
  test('valid encodings pass, including a bitfield-like INT and a 16-byte INT', () => {
    ok(int(32));
    ok(int((4 << 24) | 8, 1));
    ok(int((2 << 24) | 8, 1));
    ok(int((3 << 16) | 5, 1));
    ok(int(128, 16));
  });
  test('vlen, kind_flag, reserved bits', () => {
    rejects(int(32, 4, info(Kind.INT, 1)), BASE, EINVAL, '[2] INT x size=4 bits_offset=0 nr_bits=32 encoding=(none) vlen != 0');
    rejects(int(32, 4, info(Kind.INT, 0, true)), BASE, EINVAL, 'Invalid btf_info kind_flag');
    rejects(int(0x10000020), BASE, EINVAL, '[2] INT x Invalid int_data:10000020');
  });
  test('nr_bits limits', () => {
    rejects(int((8 << 16) | 128, 16), BASE, EINVAL, 'nr_bits exceeds 128');
    rejects(int(33), BASE, EINVAL, 'nr_bits exceeds type_size');
  });
  test('only one encoding bit: ENOTSUPP', () => {
    rejects(int((3 << 24) | 32), BASE, ENOTSUPP, 'encoding=UNKN Unsupported encoding');
  });
  test('record cut short', () => {
    const b = bytesOf(withInt());
    const out = new Uint8Array(b.length - 4);
    out.set(b.subarray(0, 24 + 12));
    out.set(b.subarray(24 + 16), 24 + 12);
    u32(out, 12, 12);
    u32(out, 16, 12);
    rejects(out, BASE, EINVAL, '[1] INT int meta_left:0 meta_needed:4');
  });
  test('no name or size rules for INT (anonymous, size 0)', () => {
    ok(rec(() => [0, info(Kind.INT), 0, 0]));
  });
});

describe('PTR, modifiers, TYPEDEF, TYPE_TAG (btf_ref_type_check_meta)', () => {
  test('PTR/CONST/VOLATILE/RESTRICT must be anonymous', () => {
    rejects(rec((b) => [b.addStr('p'), info(Kind.PTR), 1]), BASE, EINVAL, '[2] PTR p type_id=1 Invalid name');
    rejects(rec((b) => [b.addStr('c'), info(Kind.CONST), 1]), BASE, EINVAL, 'Invalid name');
  });
  test('vlen, kind_flag, type id above BTF_MAX_TYPE', () => {
    rejects(rec(() => [0, info(Kind.VOLATILE, 2), 1]), BASE, EINVAL, 'vlen != 0');
    rejects(rec(() => [0, info(Kind.CONST, 0, true), 1]), BASE, EINVAL, 'Invalid btf_info kind_flag');
    rejects(rec(() => [0, info(Kind.PTR), 0x100000]), BASE, EINVAL, 'type_id=1048576 Invalid type_id');
  });
  test('anonymous typedef and a typedef that is not an identifier (libbpf accepts both)', () => {
    const anon = rec(() => [0, info(Kind.TYPEDEF), 1]);
    libbpfAccepts(anon);
    const r = rejects(anon, BASE, EINVAL, 'Invalid name');
    assert.deepEqual(r.log, ['[2] TYPEDEF (anon) type_id=1 Invalid name']);
    assert.deepEqual(r.dmesg, ['BPF: [2] TYPEDEF (anon) ', 'BPF: type_id=1', 'BPF:  ', 'BPF: Invalid name', 'BPF: ']);
    assert.equal(r.typeId, 2);
    assert.equal(r.offset, 24 + 16);
    const spaced = bytesOf(withInt((b) => void b.addTypedef('my int', 1)));
    libbpfAccepts(spaced);
    rejects(spaced, BASE, EINVAL, '[2] TYPEDEF my int type_id=1 Invalid name');
    const digit = bytesOf(withInt((b) => void b.addTypedef('9lives', 1)));
    rejects(digit, BASE, EINVAL, 'Invalid name');
    ok(bytesOf(withInt((b) => void b.addTypedef('__u32.llvm.123', 1)))); // '.' is allowed
  });
  test('TYPE_TAG needs a non-empty name, no identifier rule', () => {
    rejects(rec(() => [0, info(Kind.TYPE_TAG), 1]), BASE, EINVAL, '[2] TYPE_TAG (anon) type_id=1 Invalid name');
    ok(bytesOf(withInt((b) => void b.addTypeTag('a tag!', 1))));
  });
  test('TYPE_TAG kind_flag: rejected by 6.11, accepted with tagAttributes', () => {
    const attr = bytesOf(withInt((b) => void b.addTypeTag('attr', 1, true)));
    rejects(attr, BASE, EINVAL, 'Invalid btf_info kind_flag');
    ok(attr, { what: 'base', tagAttributes: true });
    // kind_flag stays invalid on other modifiers
    rejects(rec(() => [0, info(Kind.CONST, 0, true), 1]), { what: 'base', tagAttributes: true }, EINVAL, 'Invalid btf_info kind_flag');
  });
  test('no existence check of the referenced id (no resolve pass); libbpf rejects', () => {
    const dangling = rec(() => [0, info(Kind.PTR), 777]);
    assert.throws(() => parseBtf(dangling));
    ok(dangling);
  });
});

describe('ARRAY', () => {
  const arr = (w: number[]) => rec(() => w);
  test('valid', () => {
    ok(arr([0, info(Kind.ARRAY), 0, 1, 1, 10]));
  });
  test('named, vlen, kind_flag, size', () => {
    rejects(rec((b) => [b.addStr('a'), info(Kind.ARRAY), 0, 1, 1, 10]), BASE, EINVAL, '[2] ARRAY a type_id=1 index_type_id=1 nr_elems=10 Invalid name');
    rejects(arr([0, info(Kind.ARRAY, 1), 0, 1, 1, 10]), BASE, EINVAL, 'vlen != 0');
    rejects(arr([0, info(Kind.ARRAY, 0, true), 0, 1, 1, 10]), BASE, EINVAL, 'Invalid btf_info kind_flag');
    rejects(arr([0, info(Kind.ARRAY), 4, 1, 1, 10]), BASE, EINVAL, 'size != 0');
  });
  test('void element or index', () => {
    rejects(arr([0, info(Kind.ARRAY), 0, 0, 1, 10]), BASE, EINVAL, 'Invalid elem');
    rejects(arr([0, info(Kind.ARRAY), 0, 1, 0, 10]), BASE, EINVAL, 'Invalid index');
    rejects(arr([0, info(Kind.ARRAY), 0, 1, 0x100000, 10]), BASE, EINVAL, 'Invalid index');
  });
});

describe('STRUCT / UNION', () => {
  test('invalid struct name (libbpf accepts it)', () => {
    const b = bytesOf(withInt((x) => void x.addStruct('1abc', 4)));
    libbpfAccepts(b);
    rejects(b, BASE, EINVAL, '[2] STRUCT 1abc size=4 vlen=0 Invalid name');
  });
  test('member name: invalid offset, not an identifier; anonymous members are fine', () => {
    rejects(rec(() => [0, info(Kind.STRUCT, 1), 4, 9999, 1, 0]), BASE, EINVAL, '\t(invalid-name-offset) type_id=1 bits_offset=0 Invalid member name_offset:9999');
    const r = rejects(
      bytesOf(withInt((x) => {
        x.addStruct('s', 8);
        x.addField('a', 1, 0);
        x.addField('b-c', 1, 32);
      })),
      BASE, EINVAL, '\tb-c type_id=1 bits_offset=32 Invalid name');
    assert.equal(r.offset, 24 + 16 + 12 + 12);
    assert.deepEqual(r.dmesg, ['BPF: \tb-c type_id=1 bits_offset=32', 'BPF:  ', 'BPF: Invalid name', 'BPF: ']);
    ok(bytesOf(withInt((x) => {
      x.addStruct(null, 4);
      x.addField(null, 1, 0);
    })));
  });
  test('member of type void or above BTF_MAX_TYPE', () => {
    rejects(rec((b) => [0, info(Kind.STRUCT, 1), 4, b.addStr('m'), 0, 0]), BASE, EINVAL, 'Invalid type_id');
    rejects(rec((b) => [0, info(Kind.STRUCT, 1), 4, b.addStr('m'), 0x100000, 0]), BASE, EINVAL, 'Invalid type_id');
  });
  test('union members at offset 0 only', () => {
    rejects(rec((b) => [b.addStr('u'), info(Kind.UNION, 1), 8, b.addStr('m'), 1, 32]), BASE, EINVAL, 'Invalid member bits_offset');
  });
  test('member offsets must not decrease (equal is fine)', () => {
    const m = (o1: number, o2: number) => bytesOf(withInt((x) => {
      x.addStruct('s', 8);
      x.addField('a', 1, o1);
      x.addField('b', 1, o2);
    }));
    ok(m(0, 0));
    rejects(m(32, 0), BASE, EINVAL, '\tb type_id=1 bits_offset=0 Invalid member bits_offset');
  });
  test('member offset beyond the struct size', () => {
    rejects(bytesOf(withInt((x) => {
      x.addStruct('s', 4);
      x.addField('a', 1, 40);
    })), BASE, EINVAL, 'Member bits_offset exceeds its struct size');
    // a member starting exactly at the end (flexible array) is fine
    ok(bytesOf(withInt((x) => {
      x.addStruct('s', 4);
      x.addField('a', 1, 32);
    })));
  });
  test('bitfields: with kind_flag the offset word is bitfield_size<<24 | bit offset', () => {
    const withKflag = bytesOf(withInt((x) => {
      x.addStruct('s', 8);
      x.addField('a', 1, 0);
      x.addField('b', 1, 35, 3);
    }));
    ok(withKflag);
    // the same member word without kind_flag is a bit offset of 0x03000023
    const noKflag = withKflag.slice();
    u32(noKflag, 24 + 16 + 4, info(Kind.STRUCT, 2));
    rejects(noKflag, BASE, EINVAL, '\tb type_id=1 bits_offset=50331683 Member bits_offset exceeds its struct size');
    // member lines of kind_flag structs show the bitfield size
    const bad = withKflag.slice();
    u32(bad, 24 + 16 + 12 + 12 + 8, (3 << 24) | 100);
    rejects(bad, BASE, EINVAL, '\tb type_id=1 bitfield_size=3 bits_offset=100 Member bits_offset exceeds its struct size');
  });
  test('member table cut short', () => {
    rejects(rec((b) => [b.addStr('s'), info(Kind.STRUCT, 2), 8, 0, 1, 0]), BASE, EINVAL, '[2] STRUCT s meta_left:12 meta_needed:24');
  });
  test('identifier length limit (KSYM_NAME_LEN = 512)', () => {
    ok(bytesOf(withInt((x) => void x.addStruct('a'.repeat(512), 4))));
    rejects(bytesOf(withInt((x) => void x.addStruct('a'.repeat(513), 4))), BASE, EINVAL, 'Invalid name');
  });
});

describe('ENUM / ENUM64', () => {
  test('size must be a power of two <= 8', () => {
    rejects(rec((b) => [b.addStr('e'), info(Kind.ENUM), 3]), BASE, EINVAL, '[2] ENUM e size=3 vlen=0 Unexpected size');
    rejects(rec((b) => [b.addStr('e'), info(Kind.ENUM), 0]), BASE, EINVAL, 'Unexpected size');
    rejects(rec((b) => [b.addStr('e'), info(Kind.ENUM64), 16]), BASE, EINVAL, '[2] ENUM64 e size=16 vlen=0 Unexpected size');
    ok(rec((b) => [b.addStr('e'), info(Kind.ENUM), 1]));
    ok(bytesOf(withInt((x) => void x.addEnum64('e', 8, true))));
  });
  test('values need identifier names; signed enums (kind_flag) are fine', () => {
    rejects(rec((b) => [b.addStr('e'), info(Kind.ENUM, 1), 4, 0, 1]), BASE, EINVAL, '[2] ENUM e size=4 vlen=1 Invalid name');
    rejects(rec((b) => [b.addStr('e'), info(Kind.ENUM, 1), 4, b.addStr('A B'), 1]), BASE, EINVAL, 'Invalid name');
    const r = rejects(rec((b) => [b.addStr('e'), info(Kind.ENUM, 1), 4, 9999, 1]), BASE, EINVAL, '\tInvalid name_offset:9999');
    assert.deepEqual(r.dmesg, ['BPF: \tInvalid name_offset:9999']);
    rejects(rec((b) => [0, info(Kind.ENUM64, 1), 8, 0, 1, 0]), BASE, EINVAL, 'Invalid name');
    ok(bytesOf(withInt((x) => {
      x.addEnum('e', 4);
      x.addEnumValue('NEG', -1);
    })));
  });
  test('enum name must be an identifier', () => {
    rejects(rec((b) => [b.addStr('enum e'), info(Kind.ENUM), 4]), BASE, EINVAL, 'Invalid name');
  });
});

describe('FWD', () => {
  test('struct and union forwards pass', () => {
    ok(bytesOf(withInt((x) => {
      x.addFwd('s', 'struct');
      x.addFwd('u', 'union');
    })));
  });
  test('vlen, type, name', () => {
    rejects(rec((b) => [b.addStr('f'), info(Kind.FWD, 1), 0]), BASE, EINVAL, '[2] FWD f struct vlen != 0');
    rejects(rec((b) => [b.addStr('f'), info(Kind.FWD, 0, true), 1]), BASE, EINVAL, '[2] FWD f union type != 0');
    rejects(rec(() => [0, info(Kind.FWD), 0]), BASE, EINVAL, 'Invalid name');
  });
});

describe('FUNC / FUNC_PROTO', () => {
  const fn = (linkage: number, name = 'f', kflag = false) =>
    bytesOf(withInt((x) => {
      const p = x.addFuncProto(1);
      x.addFuncParam('a', 1);
      x.addRecord([name ? x.addStr(name) : 0, info(Kind.FUNC, linkage, kflag), p]);
    }));
  test('static and global functions pass', () => {
    ok(fn(0));
    ok(fn(1));
  });
  test('extern linkage, anonymous, kind_flag', () => {
    rejects(fn(2), BASE, EINVAL, '[3] FUNC f type_id=2 Invalid func linkage');
    rejects(fn(1, ''), BASE, EINVAL, '[3] FUNC (anon) type_id=2 Invalid name');
    rejects(fn(1, 'f', true), BASE, EINVAL, 'Invalid btf_info kind_flag');
  });
  test('FUNC_PROTO: anonymous, no kind_flag; the log lists the params', () => {
    const named = withInt((x) => {
      x.addRecord([x.addStr('fp'), info(Kind.FUNC_PROTO, 3), 1, x.addStr('a'), 1, 0, 1, 0, 0]);
    });
    const r = rejects(bytesOf(named), BASE, EINVAL, '[2] FUNC_PROTO fp return=1 args=(1 a, 1 (anon), vararg) Invalid name');
    assert.deepEqual(r.dmesg.slice(0, 6), ['BPF: [2] FUNC_PROTO fp ', 'BPF: return=1 args=(', 'BPF: 1 a', 'BPF: , 1 (anon)', 'BPF: , vararg', 'BPF: )']);
    rejects(rec(() => [0, info(Kind.FUNC_PROTO, 0, true), 0]), BASE, EINVAL, 'return=0 args=(void) Invalid btf_info kind_flag');
    rejects(rec(() => [0, info(Kind.FUNC_PROTO, 2), 1, 0, 1]), BASE, EINVAL, '[2] FUNC_PROTO (anon) meta_left:8 meta_needed:16');
  });
  test('FUNC whose type is not a FUNC_PROTO passes meta (checked only by the resolve pass)', () => {
    ok(rec((b) => [b.addStr('f'), info(Kind.FUNC, 1), 1]));
  });
});

describe('VAR / DATASEC', () => {
  test('VAR rules', () => {
    ok(bytesOf(withInt((x) => void x.addVar('v', 1, 1))));
    rejects(rec((b) => [b.addStr('v'), info(Kind.VAR, 1), 1, 0]), BASE, EINVAL, '[2] VAR v type_id=1 linkage=0 vlen != 0');
    rejects(rec((b) => [b.addStr('v'), info(Kind.VAR, 0, true), 1, 0]), BASE, EINVAL, 'Invalid btf_info kind_flag');
    rejects(rec(() => [0, info(Kind.VAR), 1, 0]), BASE, EINVAL, 'Invalid name');
    rejects(rec((b) => [b.addStr('v'), info(Kind.VAR), 0, 0]), BASE, EINVAL, 'Invalid type_id');
    rejects(bytesOf(withInt((x) => void x.addVar('v', 2, 1))), BASE, EINVAL, 'linkage=2 Linkage not supported');
  });
  const sec = (name: string, size: number, vars: [number, number][], kflag = false) =>
    bytesOf(withInt((x) => {
      const v = x.addVar('v', 1, 1);
      const w: number[] = [x.addStr(name), info(Kind.DATASEC, vars.length, kflag), size];
      for (const [off, sz] of vars) w.push(v, off, sz);
      x.addRecord(w);
    }));
  test('DATASEC names: any printable characters', () => {
    ok(sec('.data..percpu', 8, [[0, 4]]));
    ok(sec('license x-y', 8, [[0, 4]]));
    rejects(sec('bad\x01name', 8, [[0, 4]]), BASE, EINVAL, 'Invalid name');
    rejects(sec('', 8, [[0, 4]]), BASE, EINVAL, '[3] DATASEC (anon) size=8 vlen=1 Invalid name');
  });
  test('DATASEC size, kind_flag', () => {
    rejects(sec('.data', 0, []), BASE, EINVAL, 'size == 0');
    rejects(sec('.data', 8, [], true), BASE, EINVAL, 'Invalid btf_info kind_flag');
  });
  test('DATASEC variables: type, offsets, sizes', () => {
    const r = rejects(bytesOf(withInt((x) => void x.addRecord([x.addStr('.d'), info(Kind.DATASEC, 1), 8, 0, 0, 4]))), BASE, EINVAL, '\t type_id=0 offset=0 size=4 Invalid type_id');
    assert.deepEqual(r.dmesg, ['BPF: \t type_id=0 offset=0 size=4', 'BPF:  ', 'BPF: Invalid type_id', 'BPF: ']);
    rejects(sec('.d', 8, [[0, 4], [2, 4]]), BASE, EINVAL, 'offset=2 size=4 Invalid offset');
    rejects(sec('.d', 8, [[8, 1]]), BASE, EINVAL, 'Invalid offset');
    rejects(sec('.d', 8, [[0, 0]]), BASE, EINVAL, 'Invalid size');
    rejects(sec('.d', 8, [[0, 9]]), BASE, EINVAL, 'offset=0 size=9 Invalid size');
    rejects(sec('.d', 8, [[6, 4]]), BASE, EINVAL, 'offset=6 size=4 Invalid offset+size');
    ok(sec('.d', 8, [[0, 4], [4, 4]]));
  });
});

describe('FLOAT / DECL_TAG', () => {
  test('FLOAT sizes, vlen, kind_flag; no name rule', () => {
    for (const s of [2, 4, 8, 12, 16]) ok(rec((b) => [b.addStr('f'), info(Kind.FLOAT), s]));
    ok(rec(() => [0, info(Kind.FLOAT), 8]));
    rejects(rec((b) => [b.addStr('f'), info(Kind.FLOAT), 3]), BASE, EINVAL, '[2] FLOAT f size=3 Invalid type_size');
    rejects(rec((b) => [b.addStr('f'), info(Kind.FLOAT, 1), 4]), BASE, EINVAL, 'vlen != 0');
    rejects(rec((b) => [b.addStr('f'), info(Kind.FLOAT, 0, true), 4]), BASE, EINVAL, 'Invalid btf_info kind_flag');
  });
  test('DECL_TAG value, vlen, component_idx', () => {
    ok(bytesOf(withInt((x) => void x.addDeclTag('any value!', 1, -1))));
    rejects(rec(() => [0, info(Kind.DECL_TAG), 1, 0xffffffff]), BASE, EINVAL, '[2] DECL_TAG (anon) type=1 component_idx=-1 Invalid value');
    rejects(rec((b) => [b.addStr('t'), info(Kind.DECL_TAG, 1), 1, 0]), BASE, EINVAL, 'vlen != 0');
    rejects(rec((b) => [b.addStr('t'), info(Kind.DECL_TAG), 1, 0xfffffffe]), BASE, EINVAL, 'component_idx=-2 Invalid component_idx');
    rejects(rec((b) => [b.addStr('t'), info(Kind.DECL_TAG), 1]), BASE, EINVAL, '[2] DECL_TAG t meta_left:0 meta_needed:4');
    // the target is not checked at this stage (resolve pass only)
    ok(rec((b) => [b.addStr('t'), info(Kind.DECL_TAG), 1, 5]));
  });
  test('DECL_TAG kind_flag: rejected by 6.11, accepted with tagAttributes', () => {
    const attr = bytesOf(withInt((x) => void x.addDeclTag('a', 1, -1, true)));
    rejects(attr, BASE, EINVAL, 'Invalid btf_info kind_flag');
    ok(attr, { what: 'base', tagAttributes: true });
  });
});

describe('modifier chains (btf_check_type_tags)', () => {
  test('type tags must come before other modifiers', () => {
    ok(bytesOf(withInt((x) => {
      const c = x.addConst(1);
      x.addTypeTag('user', c); // tag -> const -> int: fine
    })));
    const r = rejects(bytesOf(withInt((x) => {
      const t = x.addTypeTag('user', 1);
      x.addConst(t); // const -> tag
    })), BASE, EINVAL, "Type tags don't precede modifiers");
    assert.equal(r.stage, 'type_tags');
    assert.equal(r.typeId, 3);
    assert.deepEqual(r.dmesg, ["BPF: Type tags don't precede modifiers"]);
  });
  test('a cycle of modifiers: ELOOP', () => {
    const r = rejects(withCycle(), BASE, ELOOP, 'Max chain length or cycle detected');
    assert.equal(r.errnoName, 'ELOOP');
  });
  test('chains of more than 32 modifiers fail only when they point forward', () => {
    const fwd = withInt((x) => {
      // ids 2..35 are typedefs, each pointing to the next one; 35 points to int
      for (let i = 0; i < 34; i++) x.addRecord([x.addStr(`t${i}`), info(Kind.TYPEDEF), i === 33 ? 1 : 3 + i]);
    });
    rejects(bytesOf(fwd), BASE, ELOOP, 'Max chain length or cycle detected');
    const back = withInt((x) => {
      let prev = 1;
      for (let i = 0; i < 40; i++) prev = x.addTypedef(`t${i}`, prev);
    });
    ok(bytesOf(back));
  });
  test('a modifier pointing past the last type: EINVAL without a log line', () => {
    const r = verifyKernelBtf(rec(() => [0, info(Kind.CONST), 50]), BASE);
    assert.ok(!r.ok);
    assert.equal(r.errno, EINVAL);
    assert.equal(r.stage, 'type_tags');
    assert.deepEqual(r.log, []);
    assert.match(r.message, /type id 50, which does not exist/);
  });
});

function withCycle(): Uint8Array {
  return bytesOf(withInt((x) => {
    x.addRecord([0, info(Kind.CONST), 3]);
    x.addRecord([0, info(Kind.VOLATILE), 2]);
  }));
}

describe('module (split) BTF', () => {
  test('needs a base', () => {
    const r = verifyKernelBtf(bytesOf(withInt()), { what: 'module' });
    assert.ok(!r.ok);
    assert.equal(r.errno, EINVAL);
    assert.equal(r.stage, 'setup');
  });
  test('ids continue the base; names may come from the base strings', () => {
    const base = withInt((x) => void x.addStruct('shared_name', 4));
    const s = Btf.createSplit(base);
    s.addStruct('shared_name', 8); // name offset points into the base strings
    s.addTypedef('own', 3);
    const btf = ok(bytesOf(s), { what: 'module', base });
    assert.equal(btf.startId, 3);
    assert.equal(btf.name(3), 'shared_name');
    assert.equal(btf.name(4), 'own');
    assert.ok(btf.nameOff(3) < base.strLen);
  });
  test('errors use split ids; member names from the base are checked too', () => {
    const base = withInt((x) => void x.addTypedef('bad name', 1));
    const s = Btf.createSplit(base);
    s.addStruct('s', 8);
    s.addField('bad name', 1, 0);
    const r = rejects(bytesOf(s), { what: 'module', base }, EINVAL, '\tbad name type_id=1 bits_offset=0 Invalid name');
    assert.equal(r.typeId, 3);
    const s2 = Btf.createSplit(withInt());
    s2.addRecord([0, info(Kind.TYPEDEF), 1]);
    rejects(bytesOf(s2), { what: 'module', base: withInt() }, EINVAL, '[2] TYPEDEF (anon) type_id=1 Invalid name');
  });
  test('type-tag check of a split chain looks one step into the base', () => {
    const base = withInt((x) => void x.addTypeTag('user', 1)); // [2]
    const s = Btf.createSplit(base);
    s.addConst(2); // [3] const -> tag
    rejects(bytesOf(s), { what: 'module', base }, EINVAL, "Type tags don't precede modifiers");
    const ok2 = Btf.createSplit(base);
    ok2.addTypeTag('rcu', 2); // tag -> tag: fine
    ok(bytesOf(ok2), { what: 'module', base });
  });
  test('verifyKernelModule: a bad .BTF.base fails first, with the notifier line', () => {
    const vmlinux = withInt();
    const distilled = bytesOf(withInt());
    distilled[2] = 2;
    const s = Btf.createSplit(withInt());
    s.addPtr(1);
    const r = verifyKernelModule(bytesOf(s), { vmlinux, btfBase: distilled, moduleName: 'foo' });
    assert.ok(!r.ok);
    assert.equal(r.section, '.BTF.base');
    assert.equal(r.errno, ENOTSUPP);
    assert.deepEqual(r.dmesg, ['BPF: Unsupported version', 'failed to validate module [foo] BTF: -524']);
    const good = verifyKernelModule(bytesOf(s), { vmlinux, btfBase: bytesOf(withInt()) });
    assert.ok(good.ok);
    assert.equal(good.needsRelocation, true);
    const plainModule = verifyKernelModule(bytesOf(s), { vmlinux });
    assert.ok(plainModule.ok);
    assert.equal(plainModule.needsRelocation, false);
  });
});

describe('kernelNameValid', () => {
  test('identifiers and section names', () => {
    assert.equal(kernelNameValid('task_struct', 'identifier'), true);
    assert.equal(kernelNameValid('.L.str', 'identifier'), true);
    assert.equal(kernelNameValid('_', 'identifier'), true);
    assert.equal(kernelNameValid('1x', 'identifier'), false);
    assert.equal(kernelNameValid('a b', 'identifier'), false);
    assert.equal(kernelNameValid('a b', 'section'), true);
    assert.equal(kernelNameValid('', 'identifier'), false);
    assert.equal(kernelNameValid('', 'section'), false);
    assert.equal(kernelNameValid('a\tb', 'section'), false);
    // UTF-8 "é" is C3 A9: C3 is a Latin-1 letter for the kernel's ctype, A9 punctuation
    assert.equal(kernelNameValid('é', 'identifier'), false);
    assert.equal(kernelNameValid('é', 'section'), true);
    assert.equal(kernelNameValid('x'.repeat(512), 'identifier'), true);
    assert.equal(kernelNameValid('x'.repeat(513), 'section'), false);
  });
});

// ------------------------------------------------------------------------------ real data

const VMLINUX = hasCorpus('6.1.0-47-amd64') ? kernelBtfPath('6.1.0-47-amd64') : join(cacheDir(), 'vmlinux', '6.1.0-47-amd64.btf');
const GOLDEN = goldenPath('modules') ?? '';

describe('real kernel BTF', () => {
  test('6.1.0-47 vmlinux BTF passes as vmlinux and as base (its speed: npm run bench)', { skip: !existsSync(VMLINUX) }, () => {
    const bytes = readFileSync(VMLINUX);
    const r = verifyKernelBtf(bytes, { what: 'vmlinux' });
    assert.ok(r.ok, r.ok ? '' : r.message);
    const btf: Btf | null = r.btf;
    assert.equal(btf!.nTypes, 100628);
    assert.equal(btf!.findByNameKind('task_struct', Kind.STRUCT) > 0, true);
    assert.equal(serializeBtf(btf!), bytes);
    assert.ok(verifyKernelBtf(bytes, { what: 'base' }).ok);
  });

  const mods = existsSync(GOLDEN) ? readdirSync(GOLDEN).filter((m) => existsSync(`${GOLDEN}/${m}/split.btf`)) : [];
  test('golden modules: distilled bases pass as base, splits as module', { skip: mods.length === 0 }, () => {
    for (const m of mods) {
      const db = readFileSync(`${GOLDEN}/${m}/distilled_base.btf`);
      const rb = verifyKernelBtf(db, { what: 'base' });
      assert.ok(rb.ok, `${m} distilled base: ${rb.ok ? '' : rb.message}`);
      const split = readFileSync(`${GOLDEN}/${m}/split.btf`);
      const rs = verifyKernelBtf(split, { what: 'module', base: rb.btf });
      assert.ok(rs.ok, `${m} split: ${rs.ok ? '' : rs.message}`);
      assert.equal(rs.btf.startId, rb.btf.typeCount());
      const rm = verifyKernelModule(split, { vmlinux: rb.btf, btfBase: db, moduleName: m });
      assert.ok(rm.ok);
    }
  });

  test('golden modules relocated onto 6.1.0-47 pass as module BTF on that vmlinux', { skip: mods.length === 0 || !existsSync(VMLINUX) }, () => {
    const v = verifyKernelBtf(readFileSync(VMLINUX), { what: 'vmlinux' });
    assert.ok(v.ok);
    let n = 0;
    for (const m of mods) {
      const f = `${GOLDEN}/${m}/relocated-6.1.0-47.btf`;
      if (!existsSync(f)) continue;
      const r = verifyKernelBtf(readFileSync(f), { what: 'module', base: v.btf });
      assert.ok(r.ok, `${m}: ${r.ok ? '' : r.message}`);
      n++;
    }
    assert.ok(n > 0);
  });

  test('a real module split with one name broken is rejected with the kernel log', { skip: mods.length === 0 }, () => {
    const m = mods[0]!;
    const base = verifyKernelBtf(readFileSync(`${GOLDEN}/${m}/distilled_base.btf`), { what: 'base' });
    assert.ok(base.ok);
    const split = readFileSync(`${GOLDEN}/${m}/split.btf`).slice();
    const good = verifyKernelBtf(split, { what: 'module', base: base.btf });
    assert.ok(good.ok);
    // find the first own STRUCT with an own name and put a space into that name
    const b = good.btf;
    let id = -1;
    for (let i = b.startId; i < b.typeCount(); i++) {
      if (b.kind(i) === Kind.STRUCT && b.nameOff(i) >= b.startStrOff && b.name(i).length > 1) {
        id = i;
        break;
      }
    }
    assert.ok(id > 0);
    const hdrLen = b.header!.hdrLen;
    const pos = hdrLen + b.header!.strOff + (b.nameOff(id) - b.startStrOff) + 1;
    split[pos] = 0x20;
    const r = verifyKernelBtf(split, { what: 'module', base: base.btf });
    assert.ok(!r.ok);
    assert.equal(r.errno, EINVAL);
    assert.equal(r.typeId, id);
    assert.match(r.log[0]!, new RegExp(`^\\[${id}\\] STRUCT .* size=\\d+ vlen=\\d+ Invalid name$`));
  });
});
