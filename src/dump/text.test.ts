import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteWriter } from './text.js';

const dec = (u: Uint8Array): string => Buffer.from(u).toString('latin1');

test('ByteWriter: numbers print like printf %u %d %llu %lld', () => {
  const w = new ByteWriter({ capacity: 4 });
  const u32s = [0, 9, 10, 99, 100, 12345, 999999999, 1000000000, 2147483647, 2147483648, 4294967295];
  for (const n of u32s) {
    w.u32(n);
    w.byte(32);
  }
  w.u32(-1); // taken modulo 2^32
  w.byte(32);
  for (const n of [0, -1, 7, -2147483648, 2147483647]) {
    w.i32(n);
    w.byte(32);
  }
  w.i32(0x80000000); // an unsigned word read as int32
  w.byte(32);
  for (const v of [0n, 4294967296n, 9007199254740993n, 10000000000n, 18446744073709551615n, -1n]) {
    w.u64(v);
    w.byte(32);
  }
  for (const v of [0n, -1n, -9223372036854775808n, 9223372036854775807n, -4294967296n, 18446744073709551615n]) {
    w.i64(v);
    w.byte(32);
  }
  w.uint(9007199254740991);
  assert.equal(
    dec(w.finish()),
    '0 9 10 99 100 12345 999999999 1000000000 2147483647 2147483648 4294967295 4294967295 ' +
      '0 -1 7 -2147483648 2147483647 -2147483648 ' +
      '0 4294967296 9007199254740993 10000000000 18446744073709551615 18446744073709551615 ' +
      '0 -1 -9223372036854775808 9223372036854775807 -4294967296 -1 ' +
      '9007199254740991',
  );
});

test('ByteWriter: every u32 digit-length boundary matches String()', () => {
  const w = new ByteWriter();
  let expect = '';
  for (let p = 1; p <= 4294967295; p *= 10) {
    for (const n of [p - 1, p, p + 1]) {
      if (n > 4294967295) continue;
      w.u32(n);
      w.byte(10);
      expect += `${n}\n`;
    }
  }
  assert.equal(dec(w.finish()), expect);
});

test('ByteWriter: ascii, bytes, cstr and growth', () => {
  const w = new ByteWriter({ capacity: 1 });
  w.ascii('hello ');
  const src = new Uint8Array([0x61, 0xff, 0x62, 0, 0x63, 0x64]);
  assert.equal(w.cstr(src, 0), 3);
  w.byte(32);
  w.cstr(src, 4); // no NUL before the end
  w.byte(32);
  const big = new Uint8Array(1000).fill(0x78);
  w.bytes(big, 10, 110);
  const out = w.finish();
  assert.equal(dec(out), 'hello a\xffb cd ' + 'x'.repeat(100));
  assert.equal(out.length, w.length);
});

test('ByteWriter: streaming hands out chunks that stay valid, and finish() flushes', () => {
  const chunks: Uint8Array[] = [];
  const w = new ByteWriter({ sink: (c) => chunks.push(c), chunkSize: 64 });
  let expect = '';
  for (let i = 0; i < 1000; i++) {
    w.u32(i);
    w.byte(10);
    expect += `${i}\n`;
    w.flushIfFull();
  }
  assert.equal(w.finish().length, 0);
  assert.ok(chunks.length > 10);
  assert.equal(chunks.map(dec).join(''), expect);
});
