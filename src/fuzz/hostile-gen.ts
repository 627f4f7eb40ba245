/**
 * Generator of the hand-made hostile files of test/hostile/ (run by test/hostile/generate.mjs
 * after a build; deterministic). Each file is a few KB at most. Families:
 *
 *  btf-trunc-*       a valid BTF truncated at every header field boundary and inside sections
 *  btf-huge-*        header lengths and vlen claiming far more than the file holds
 *  btf-loop-*        self-referencing types: typedef loops, a struct containing itself by
 *                    value, an array of itself, const/volatile cycles, FUNC_PROTO returning itself
 *  btf-deep-*.xz     100k-long PTR and CONST chains (xz with the delta filter keeps them small)
 *  elf-*             section table past the end, overlapping sections, SHN_XINDEX escapes
 *                    pointing at themselves, a huge e_shnum, unterminated names, a .BTF past EOF
 *  bomb-*            small compressed modules that decompress to 4-64 MiB (not BTF/ELF) and a
 *                    bzip2 file of 847 bytes that decompresses beyond the 1 GiB output cap
 *  bzimage-*         fake bzImages with payload offsets/lengths past the end, a zero-length
 *                    payload, a claimed decompressed size of 255 MiB / 4 GiB, a setup_sects overflow
 *
 * `valid` marks files that are actually valid input (commands may succeed on them).
 */

import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { Btf } from '../model/btf.js';
import { serializeBtf } from '../format/write.js';
import { KindId as Kind, recordWords } from '../format/kinds.js';
import { buildElf } from '../elf/synth.js';
import { SHT_PROGBITS, SHT_SYMTAB, SHT_SYMTAB_SHNDX, SHT_STRTAB } from '../elf/constants.js';
import { makeFakeBzImage } from '../image/bzimage-fixture.js';
import { allKindsBtf, moduleElf } from './corpus.js';

export interface HostileFile {
  name: string;
  bytes: Uint8Array;
  /** True when the file is valid input (a command may exit 0). */
  valid?: boolean;
  about: string;
}

const u8 = (b: Buffer | Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

function setU32(b: Uint8Array, o: number, v: number, le = true): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(o, v >>> 0, le);
  return c;
}

const info = (kind: number, vlen = 0) => ((kind << 24) | vlen) >>> 0;

/** A base BTF from raw records (host LE) with the strings "\0a\0b\0". */
function rawBtf(words: number[], strs = [0, 0x61, 0, 0x62, 0]): Uint8Array {
  const b = Btf.create();
  for (let i = 1; i < strs.length; ) {
    let e = i;
    while (strs[e] !== 0) e++;
    b.addStr(String.fromCharCode(...strs.slice(i, e)));
    i = e + 1;
  }
  // records are appended verbatim
  const recs: number[][] = [];
  for (let p = 0; p < words.length; ) {
    const len = recordWords((words[p + 1]! >>> 24) & 0x1f, words[p + 1]! & 0xffff);
    recs.push(words.slice(p, p + len));
    p += len;
  }
  for (const r of recs) b.addRecord(r);
  return serializeBtf(b);
}

/** A chain of `n` records of `kind` each pointing at the next, ending at an INT. */
function chainBtf(kind: number, n: number): Uint8Array {
  const b = Btf.create();
  const nameA = b.addStr('a');
  const words = new Uint32Array(n * 3 + 4);
  for (let i = 0; i < n; i++) {
    words[i * 3] = 0;
    words[i * 3 + 1] = info(kind);
    words[i * 3 + 2] = i + 2; // id i+1 → id i+2
  }
  words.set([nameA, info(Kind.INT), 4, 32], n * 3);
  const out = new Uint8Array(24 + words.byteLength + 3);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  dv.setUint32(4, 24, true);
  dv.setUint32(12, words.byteLength, true);
  dv.setUint32(16, words.byteLength, true);
  dv.setUint32(20, 3, true);
  out.set(new Uint8Array(words.buffer), 24);
  out.set([0, 0x61, 0], 24 + words.byteLength);
  return out;
}

function xz(data: Uint8Array, args: string[]): Uint8Array | null {
  try {
    return u8(execFileSync('xz', ['-c', '-T1', ...args], { input: data, maxBuffer: 1 << 30 }));
  } catch {
    return null;
  }
}

function tool(cmd: string, args: string[], input: Uint8Array): Uint8Array | null {
  try {
    return u8(execFileSync(cmd, args, { input, maxBuffer: 1 << 30 }));
  } catch {
    return null;
  }
}

export function generateHostile(): HostileFile[] {
  const out: HostileFile[] = [];
  const add = (name: string, bytes: Uint8Array | null, about: string, valid = false) => {
    if (bytes) out.push({ name, bytes, about, valid });
  };

  // ---- truncated BTF at every header boundary and inside the sections
  const good = serializeBtf(allKindsBtf('little'));
  const typeLen = new DataView(good.buffer).getUint32(12, true);
  for (const n of [0, 1, 2, 3, 4, 8, 12, 16, 20, 23, 24, 28, 36, 24 + typeLen - 1, 24 + typeLen, 24 + typeLen + 5, good.length - 1]) {
    add(`btf-trunc-${String(n).padStart(4, '0')}.btf`, good.subarray(0, n), `valid BTF truncated to ${n} bytes`);
  }
  add('btf-valid-all-kinds.btf', good, 'valid: every kind, a self-referencing struct through a pointer', true);
  add('btf-valid-all-kinds-be.btf', serializeBtf(allKindsBtf('big')), 'valid big-endian', true);

  // ---- huge counts
  add('btf-huge-type-len.btf', setU32(good, 12, 0xffffffff), 'type_len 4 GiB');
  add('btf-huge-str-len.btf', setU32(good, 20, 0xffffffff), 'str_len 4 GiB');
  add('btf-huge-hdr-len.btf', setU32(good, 4, 0xffffffff), 'hdr_len 4 GiB');
  add('btf-huge-str-off.btf', setU32(good, 16, 0xfffffff0), 'str_off near 4 GiB');
  add('btf-huge-type-off.btf', setU32(setU32(good, 8, 0xfffffffc), 16, 0xfffffffc), 'type_off near 4 GiB');
  add('btf-huge-layout.btf', setU32(setU32(setU32(good, 4, 32), 24, 0xfffffff0), 28, 0x100), 'hdr_len 32 with a layout section at 4 GiB');
  add('btf-huge-vlen-struct.btf', rawBtf([1, info(Kind.INT), 4, 32, 1, info(Kind.STRUCT, 0xffff), 4]), 'STRUCT with vlen 65535 and no members');
  add('btf-huge-vlen-enum64.btf', rawBtf([1, info(Kind.ENUM64, 0xffff), 8]), 'ENUM64 with vlen 65535');
  add('btf-huge-array.btf', rawBtf([1, info(Kind.INT), 4, 32, 0, info(Kind.ARRAY), 0, 1, 1, 0xffffffff, 0, info(Kind.ARRAY), 0, 2, 1, 0xffffffff, 3, info(Kind.VAR), 3, 1]), 'array of 2^32-1 arrays of 2^32-1 ints (size overflow)', true);
  add('btf-huge-struct-size.btf', rawBtf([1, info(Kind.INT), 4, 32, 3, info(Kind.STRUCT, 1), 0xfffffff0, 1, 1, 0]), 'struct of size 4 GiB with one int member (C dump padding)', true);

  // ---- self-referencing types (libbpf accepts all of these)
  add('btf-loop-typedef.btf', rawBtf([1, info(Kind.TYPEDEF), 2, 3, info(Kind.TYPEDEF), 1]), 'typedef a → typedef b → typedef a', true);
  add('btf-loop-typedef-self.btf', rawBtf([1, info(Kind.TYPEDEF), 1]), 'typedef a → itself', true);
  add('btf-loop-struct-by-value.btf', rawBtf([1, info(Kind.STRUCT, 1), 4, 3, 1, 0]), 'struct a { struct a b; }', true);
  add('btf-loop-struct-pair.btf', rawBtf([1, info(Kind.STRUCT, 1), 4, 3, 2, 0, 3, info(Kind.UNION, 1), 4, 1, 1, 0]), 'struct a { union b x; } / union b { struct a y; }', true);
  add('btf-loop-array-self.btf', rawBtf([0, info(Kind.ARRAY), 0, 1, 1, 4]), 'array of itself indexed by itself', true);
  add('btf-loop-const-volatile.btf', rawBtf([0, info(Kind.CONST), 2, 0, info(Kind.VOLATILE), 1]), 'const → volatile → const', true);
  add('btf-loop-func-proto.btf', rawBtf([0, info(Kind.FUNC_PROTO, 1), 1, 1, 1, 1, info(Kind.FUNC), 1]), 'func proto returning and taking itself, and a FUNC on it', true);
  add('btf-loop-var-datasec.btf', rawBtf([1, info(Kind.VAR), 2, 1, 3, info(Kind.DATASEC, 1), 4, 1, 0, 4]), 'var of a datasec type containing the var', true);
  add('btf-loop-decl-tag.btf', rawBtf([1, info(Kind.DECL_TAG), 1, 0xffffffff, 3, info(Kind.TYPE_TAG), 2]), 'decl tag on itself, type tag on itself', true);
  add('btf-loop-ptr-typedef-struct.btf', rawBtf([1, info(Kind.STRUCT, 2), 8, 3, 2, 0, 3, 3, 64, 0, info(Kind.PTR), 3, 3, info(Kind.TYPEDEF), 1]), 'struct with a pointer to a typedef of itself and itself by value', true);
  add('btf-bad-func-proto-ret.btf', rawBtf([0, info(Kind.FUNC_PROTO, 0), 0xfffffff0, 1, info(Kind.FUNC), 1]), 'FUNC_PROTO return type id invalid (libbpf does not check it)', true);

  // ---- deep chains (100k), xz with the delta filter to stay small
  add('btf-deep-ptr-100k.btf.xz', xz(chainBtf(Kind.PTR, 100_000), ['--format=xz', '--check=crc32', '--delta=dist=12', '--lzma2=preset=9e']), '100k PTR chain', true);
  add('btf-deep-const-100k.btf.xz', xz(chainBtf(Kind.CONST, 100_000), ['--format=xz', '--check=crc32', '--delta=dist=12', '--lzma2=preset=9e']), '100k CONST chain', true);
  add('btf-deep-typedef-100k.btf.xz', xz(chainBtf(Kind.TYPEDEF, 100_000), ['--format=xz', '--check=crc32', '--delta=dist=12', '--lzma2=preset=9e']), '100k TYPEDEF chain', true);

  // ---- ELF
  const mod = moduleElf([{ name: '.BTF', data: good }]);
  const le = true;
  const shoff = Number(new DataView(mod.buffer).getBigUint64(40, le));
  add('elf-valid-module.o', mod, 'valid module ELF with .BTF', true);
  add('elf-shoff-past-end.o', (() => {
    const b = mod.slice();
    new DataView(b.buffer).setBigUint64(40, BigInt(b.length + 64), le);
    return b;
  })(), 'section header table starts past the end');
  add('elf-shoff-straddles-end.o', (() => {
    const b = mod.slice();
    new DataView(b.buffer).setBigUint64(40, BigInt(b.length - 70), le);
    return b;
  })(), 'section header table runs past the end');
  add('elf-shnum-huge.o', (() => {
    const b = mod.slice();
    new DataView(b.buffer).setUint16(60, 0xfeff, le);
    return b;
  })(), 'e_shnum 65279 in a small file');
  const sh = (b: Uint8Array, i: number, field: number, v: bigint | number, wide = false) => {
    const dv = new DataView(b.buffer);
    if (wide) dv.setBigUint64(shoff + i * 64 + field, BigInt(v), le);
    else dv.setUint32(shoff + i * 64 + field, Number(v), le);
    return b;
  };
  add('elf-section-past-end.o', sh(mod.slice(), 2, 24, BigInt(mod.length - 8), true), '.BTF data runs past the end');
  add('elf-section-size-huge.o', sh(mod.slice(), 2, 32, 0xffffffffffff0000n, true), '.BTF sh_size near 2^64');
  add('elf-overlap-header.o', sh(mod.slice(), 2, 24, 0n, true), '.BTF overlaps the ELF header');
  add('elf-overlap-shdrs.o', sh(mod.slice(), 2, 24, BigInt(shoff), true), '.BTF overlaps the section header table');
  add('elf-overlap-sections.o', (() => {
    const m2 = moduleElf([{ name: '.BTF', data: good }, { name: '.BTF.base', data: good }]);
    const so = Number(new DataView(m2.buffer).getBigUint64(40, true));
    const dv = new DataView(m2.buffer);
    dv.setBigUint64(so + 3 * 64 + 24, dv.getBigUint64(so + 2 * 64 + 24, true) + 12n, true); // .BTF.base inside .BTF
    return m2;
  })(), '.BTF.base overlaps .BTF');
  add('elf-name-unterminated.o', (() => {
    const b = mod.slice();
    const dv = new DataView(b.buffer);
    const shstrndx = dv.getUint16(62, le);
    const off = Number(dv.getBigUint64(shoff + shstrndx * 64 + 24, le));
    const size = Number(dv.getBigUint64(shoff + shstrndx * 64 + 32, le));
    b.fill(0x41, off, off + size);
    return b;
  })(), 'section name table without NULs');
  // SHN_XINDEX escapes
  const xi = buildElf({ class: 64, littleEndian: true, sections: [{ name: '.BTF', type: SHT_PROGBITS, data: good }], escapeShnum: true, escapeShstrndx: true }).bytes;
  const xshoff = Number(new DataView(xi.buffer).getBigUint64(40, true));
  add('elf-xindex-valid.o', xi, 'valid: e_shnum and e_shstrndx escaped through section 0', true);
  add('elf-xindex-self.o', (() => {
    const b = xi.slice();
    new DataView(b.buffer).setUint32(xshoff + 40, 0, true); // sh_link of section 0 → 0 (shstrndx = itself)
    return b;
  })(), 'e_shstrndx = SHN_XINDEX and section 0 sh_link = 0 (points at itself)');
  add('elf-xindex-loop-huge.o', (() => {
    const b = xi.slice();
    new DataView(b.buffer).setBigUint64(xshoff + 32, 0xffffffffffffffffn, true); // shnum from section 0: 2^64-1
    return b;
  })(), 'e_shnum = 0 and section 0 sh_size = 2^64-1');
  add('elf-xindex-link-oob.o', (() => {
    const b = xi.slice();
    new DataView(b.buffer).setUint32(xshoff + 40, 0xfffffff0, true);
    return b;
  })(), 'e_shstrndx escape to index 2^32-16');
  add('elf-symtab-shndx-loop.o', buildElf({
    class: 64,
    littleEndian: true,
    sections: [
      { name: '.BTF', type: SHT_PROGBITS, data: good },
      { name: '.symtab', type: SHT_SYMTAB, data: new Uint8Array(48).map((_, i) => (i === 30 || i === 31 ? 0xff : 0)), link: 4, entsize: 24 },
      { name: '.symtab_shndx', type: SHT_SYMTAB_SHNDX, data: new Uint8Array([3, 0, 0, 0, 0xff, 0xff, 0, 0]), link: 3 },
      { name: '.strtab', type: SHT_STRTAB, data: new Uint8Array([0]) },
    ],
  }).bytes, 'a symbol with st_shndx SHN_XINDEX resolved through SYMTAB_SHNDX to SHN_XINDEX again');

  // ---- compressed bombs
  const zeros = new Uint8Array(64 * 1024 * 1024);
  add('bomb-8m.gz', u8(gzipSync(zeros.subarray(0, 8 << 20), { level: 9 })), '8 MiB of zeros, gzip (1000:1 is gzip\'s limit)');
  add('bomb-64m.xz', xz(zeros, ['--format=xz', '--check=crc32', '-9e']), '64 MiB of zeros, xz');
  add('bomb-64m.bz2', tool('bzip2', ['-c', '-9'], zeros), '64 MiB of zeros, bzip2');
  add('bomb-64m.zst', tool('zstd', ['-c', '-q', '-19'], zeros), '64 MiB of zeros, zstd');
  add('bomb-4m.lz4', tool('lz4', ['-c', '-q', '-l', '-9'], zeros.subarray(0, 4 << 20)), '4 MiB of zeros, legacy lz4 (kernel format; 255:1 at most)');
  const elfHead = new Uint8Array(64 * 1024 * 1024);
  elfHead.set(mod.subarray(0, 64));
  add('bomb-64m-elf.xz', xz(elfHead, ['--format=xz', '--check=crc32', '-9e']), 'an ELF header followed by 64 MiB of zeros, xz');
  add('bomb-lzma-claims-255m.lzma', (() => {
    const l = tool('lzma', ['-c'], mod);
    if (!l) return null;
    const b = l.slice();
    new DataView(b.buffer).setBigUint64(5, 255n * 1024n * 1024n, true); // header claims 255 MiB
    return b;
  })(), 'lzma-alone header claiming 255 MiB around a 1 KB module');
  add('bomb-over-cap.bz2', tool('sh', ['-c', 'head -c 1100M /dev/zero | bzip2 -9'], new Uint8Array(0)), '847 bytes of bzip2 that decompress to 1.1 GiB (beyond the 1 GiB output cap)');

  // ---- bzImages
  const gzMod = u8(gzipSync(mod, { level: 9 }));
  const bz = makeFakeBzImage(gzMod, { decompressedSize: mod.length });
  add('bzimage-valid.bin', bz.image, 'valid fake bzImage with a gzip ELF payload', true);
  const patch = (o: number, v: number) => setU32(bz.image, o, v);
  add('bzimage-payload-offset-past-end.bin', patch(0x248, 0x7ffffff0), 'payload_offset past the end (usable: the payload is found by scanning)', true);
  add('bzimage-payload-length-huge.bin', patch(0x24c, 0xffffffff), 'payload_length 4 GiB (usable: the payload is found by scanning)', true);
  add('bzimage-payload-length-zero.bin', patch(0x24c, 0), 'payload_length 0 (usable: the payload is found by scanning)', true);
  add('bzimage-payload-in-setup.bin', patch(0x248, 0xfffffe00), 'payload_offset wraps into the setup code (usable: the payload is found by scanning)', true);
  add('bzimage-claims-255m.bin', setU32(bz.image, bz.payloadOffset + gzMod.length, 255 * 1024 * 1024), 'appended decompressed size claims 255 MiB (a hint only: the image is usable)', true);
  add('bzimage-claims-4g.bin', setU32(bz.image, bz.payloadOffset + gzMod.length, 0xffffffff), 'appended decompressed size claims 4 GiB (a hint only: the image is usable)', true);
  add('bzimage-setup-sects-255.bin', (() => {
    const b = bz.image.slice();
    b[0x1f1] = 255;
    return b;
  })(), 'setup_sects 255 (protected-mode part past the end)');
  return out;
}
