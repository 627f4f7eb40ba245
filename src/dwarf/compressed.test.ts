/**
 * Compressed DWARF sections (SHF_COMPRESSED), as `gcc -gz`, `ld`/`objcopy
 * --compress-debug-sections` and kbuild's CONFIG_DEBUG_INFO_COMPRESSED_* leave them: the
 * fixtures are sample-gcc-dwarf5.o with its debug sections compressed by objcopy
 * (scripts/dwarf-fixtures.sh). Encoded with the Node layer's decoder they give pahole v1.31's
 * bytes (test/golden/encoder, scripts/golden-encoder.sh: pahole reads the zlib one, and gives
 * the uncompressed object's BTF; its libdw cannot read zstd, so the uncompressed object's BTF
 * is the reference there). Without a decoder, or with a hostile header or corrupt data: one
 * BtfkitError('DWARF') naming the section and the byte offset.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BtfkitError } from '../errors.js';
import { parseElf } from '../elf/index.js';
import { serializeBtf } from '../format/write.js';
import { dedup } from '../split/dedup/index.js';
import { encodeModuleBtf } from '../encode/index.js';
import { decompressSection } from '../node/decompress.js';
import { readDwarfSections, type DwarfReadOptions } from './sections.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/dwarf');
const GOLD = join(ROOT, 'test/golden/encoder');
const bytesOf = (n: string) => new Uint8Array(readFileSync(join(FIX, n)));
const SAMPLE_BTF = new Uint8Array(readFileSync(join(GOLD, 'sample-gcc-dwarf5.btf')));

function encoded(bytes: Uint8Array, opts: DwarfReadOptions): Uint8Array {
  const pre = encodeModuleBtf(parseElf(bytes), null, opts);
  return serializeBtf(dedup(pre, { stringsDeduped: true }).btf);
}

test('compressed DWARF: the zlib fixture is compressed, and encodes to pahole -J\'s bytes (the uncompressed object\'s)', () => {
  const bytes = bytesOf('compressed-zlib.o');
  assert.ok((parseElf(bytes).section('.debug_info')!.flags & 0x800) !== 0, '.debug_info is SHF_COMPRESSED');
  const golden = new Uint8Array(readFileSync(join(GOLD, 'compressed-zlib.btf')));
  assert.deepEqual(golden, SAMPLE_BTF);
  assert.deepEqual(encoded(bytes, { decompress: decompressSection }), golden);
});

test('compressed DWARF: the zstd fixture encodes to the uncompressed object\'s bytes', () => {
  const bytes = bytesOf('compressed-zstd.o');
  assert.ok((parseElf(bytes).section('.debug_str')!.flags & 0x800) !== 0, '.debug_str is SHF_COMPRESSED');
  assert.deepEqual(encoded(bytes, { decompress: decompressSection }), SAMPLE_BTF);
});

test('compressed DWARF: the sections read equal the uncompressed object\'s, relocations applied', () => {
  const plain = readDwarfSections(parseElf(bytesOf('sample-gcc-dwarf5.o')));
  for (const f of ['compressed-zlib.o', 'compressed-zstd.o']) {
    const s = readDwarfSections(parseElf(bytesOf(f)), { decompress: decompressSection });
    assert.deepEqual(s.info, plain.info, f);
    assert.deepEqual(s.abbrev, plain.abbrev, f);
    assert.deepEqual(s.str, plain.str, f);
  }
});

/** The one BtfkitError('DWARF') that reading `bytes` throws. */
function dwarfFailure(bytes: Uint8Array, opts: DwarfReadOptions): BtfkitError {
  try {
    readDwarfSections(parseElf(bytes), opts);
  } catch (e) {
    assert.ok(e instanceof BtfkitError, String(e));
    assert.equal(e.code, 'DWARF');
    return e;
  }
  assert.fail('expected a DWARF error');
}

test('compressed DWARF: no decoder, unknown type, oversized claim, wrong size, corrupt data: one error naming section and offset', () => {
  const bytes = bytesOf('compressed-zlib.o');
  const info = parseElf(bytes).section('.debug_info')!;
  const at = info.offset;
  const patched = (f: (dv: DataView) => void): Uint8Array => {
    const b = bytes.slice();
    f(new DataView(b.buffer, b.byteOffset, b.byteLength));
    return b;
  };
  const size = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(at + 8, true));

  let e = dwarfFailure(bytes, {});
  assert.equal(e.message, 'zlib-compressed section, and no decompressor was given (DwarfReadOptions.decompress)');
  assert.deepEqual([e.where.section, e.where.offset], ['.debug_info', at]);

  e = dwarfFailure(patched((dv) => dv.setUint32(at, 7, true)), { decompress: decompressSection });
  assert.equal(e.message, 'unknown compression type 7 (ELFCOMPRESS_ZLIB is 1, ELFCOMPRESS_ZSTD 2)');
  assert.deepEqual([e.where.section, e.where.offset], ['.debug_info', at]);

  let called = false;
  e = dwarfFailure(patched((dv) => dv.setBigUint64(at + 8, 1n << 40n, true)), { decompress: () => { called = true; return new Uint8Array(0); } });
  assert.equal(e.message, `compressed section claims ${2 ** 40} bytes, more than the ${2 ** 31} accepted`);
  assert.equal(called, false);

  e = dwarfFailure(patched((dv) => dv.setBigUint64(at + 8, BigInt(size + 5), true)), { decompress: decompressSection });
  assert.equal(e.message, `zlib data decodes to ${size} bytes, its header says ${size + 5}`);
  assert.deepEqual([e.where.section, e.where.offset], ['.debug_info', at + 24]);

  e = dwarfFailure(patched((dv) => dv.setBigUint64(at + 8, BigInt(size - 5), true)), { decompress: decompressSection });
  assert.match(e.message, /^cannot decode its zlib data: /);

  e = dwarfFailure(patched((dv) => {
    for (let i = 40; i < 60; i++) dv.setUint8(at + i, dv.getUint8(at + i) ^ 0x5a);
  }), { decompress: decompressSection });
  assert.match(e.message, /^cannot decode its zlib data: /);
  assert.deepEqual([e.where.section, e.where.offset], ['.debug_info', at + 24]);
});
