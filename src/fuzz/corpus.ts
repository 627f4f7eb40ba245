/**
 * Seed inputs for the fuzz targets: small real files committed under test/ (golden module
 * BTF from libbpf, ELF fixtures, tiny compressed samples, .BTF_ids sections) plus inputs built
 * here (every BTF kind in both byte orders, the 32-byte header, a layout section, synthetic
 * module ELFs with .BTF/.BTF.base/.BTF_ids, SHN_XINDEX escapes, a fake bzImage).
 * Everything is read once and cached; nothing here needs the large corpus.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Btf } from '../model/btf.js';
import { serializeBtf } from '../format/write.js';
import { KindId as Kind } from '../format/kinds.js';
import { buildElf, packSymbols, stringTable } from '../elf/synth.js';
import { SHF_ALLOC, SHT_PROGBITS, SHT_STRTAB, SHT_SYMTAB } from '../elf/constants.js';
import { makeFakeBzImage } from '../image/bzimage-fixture.js';

/** The repository root (this file runs from dist/src/fuzz/). */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'test'))) return d;
    d = dirname(d);
  }
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
}

export const ROOT = repoRoot();

function read(rel: string): Uint8Array {
  const b = readFileSync(join(ROOT, rel));
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export interface Seed {
  /** Names the seed (and the context a target needs with it, e.g. the module's base). */
  ctx: string;
  bytes: Uint8Array;
}

export interface GoldenModule {
  name: string;
  base: Uint8Array;
  split: Uint8Array;
}

let modulesCache: GoldenModule[] | null = null;

/** test/golden/modules/<name>/{distilled_base,split}.btf, smallest first. */
export function goldenModules(): GoldenModule[] {
  if (modulesCache) return modulesCache;
  const dir = 'test/golden/modules';
  const out: GoldenModule[] = [];
  if (existsSync(join(ROOT, dir))) {
    for (const name of readdirSync(join(ROOT, dir)).sort()) {
      const b = join(dir, name, 'distilled_base.btf');
      const s = join(dir, name, 'split.btf');
      if (existsSync(join(ROOT, b)) && existsSync(join(ROOT, s))) out.push({ name, base: read(b), split: read(s) });
    }
  }
  out.sort((a, b) => a.split.length - b.split.length);
  modulesCache = out;
  return out;
}

/** A module by name (for regression replays and contexts). */
export function goldenModule(name: string): GoldenModule | undefined {
  return goldenModules().find((m) => m.name === name);
}

/** A base BTF holding one record of every kind libbpf knows, plus a bit of everything. */
export function allKindsBtf(endian: 'little' | 'big' = 'little'): Btf {
  const b = Btf.create({ endian });
  const int = b.addInt('int', 4, 1); // 1
  const chr = b.addInt('char', 1, 2); // 2
  const ptr = b.addPtr(int); // 3
  const arr = b.addArray(int, chr, 16); // 4
  const s = b.addStruct('s', 24); // 5
  b.addField('a', int, 0);
  b.addField('b', int, 32, 3);
  b.addField('name', arr, 64);
  const u = b.addUnion('u', 8); // 6
  b.addField('x', int, 0);
  b.addField('p', ptr, 0);
  const e = b.addEnum('e', 4); // 7
  b.addEnumValue('A', -1);
  b.addEnumValue('B', 7);
  b.addFwd('fwd', 'struct'); // 8
  const td = b.addTypedef('s_t', s); // 9
  const vol = b.addVolatile(int); // 10
  const cst = b.addConst(vol); // 11
  b.addRestrict(ptr); // 12
  const fp = b.addFuncProto(int); // 13
  b.addFuncParam('x', ptr);
  b.addFuncParam('y', td);
  const fn = b.addFunc('f', 1, fp); // 14
  const v = b.addVar('g', 1, cst); // 15
  b.addDatasec('.data', 8); // 16
  b.addDatasecVarInfo(v, 0, 4);
  b.addFloat('double', 8); // 17
  b.addDeclTag('tag', fn, -1); // 18
  b.addTypeTag('user', int); // 19
  const e64 = b.addEnum64('e64', 8, true); // 20
  b.addEnum64Value('BIG', -5n);
  void e64;
  void e;
  void u;
  const selfPtr = b.addRecord([0, (Kind.PTR << 24) >>> 0, b.typeCount() + 1]); // 21: ptr → 22
  b.addStruct('self', 8); // 22: struct self { struct self *next; }
  b.addField('next', selfPtr, 0);
  return b;
}

/** allKindsBtf serialized with a 32-byte header (layout_off/layout_len = 0). */
export function longHeaderBtf(endian: 'little' | 'big'): Uint8Array {
  const classic = serializeBtf(allKindsBtf(endian));
  const out = new Uint8Array(classic.length + 8);
  out.set(classic.subarray(0, 24));
  out.set(classic.subarray(24), 32);
  const dv = new DataView(out.buffer);
  const le = endian === 'little';
  dv.setUint32(4, 32, le);
  return out;
}

/**
 * A 2026-format blob: 32-byte header, a layout section after the strings describing kinds
 * 0..20, and one record of kind 20 (unknown to libbpf v1.7.0) sized by it.
 */
export function layoutBtf(): Uint8Array {
  const b = allKindsBtf('little');
  const classic = serializeBtf(b);
  const typeLen = new DataView(classic.buffer).getUint32(12, true);
  const strLen = new DataView(classic.buffer).getUint32(20, true);
  const extra = new Uint32Array([0, (20 << 24) | 2, 0, 7, 1, 2, 3, 4]); // kind 20, vlen 2: info 4 bytes, elem 8 bytes
  const layout = new Uint8Array(21 * 4);
  const sizes: [number, number][] = [[0, 0], [4, 0], [0, 0], [12, 0], [0, 12], [0, 12], [0, 8], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 0], [0, 8], [4, 0], [0, 12], [0, 0], [4, 0], [0, 0], [0, 12], [4, 8]];
  sizes.forEach(([i, e], k) => {
    layout[k * 4] = i;
    layout[k * 4 + 1] = e;
  });
  const types = new Uint8Array(typeLen + extra.byteLength);
  types.set(classic.subarray(24, 24 + typeLen));
  types.set(new Uint8Array(extra.buffer), typeLen);
  const out = new Uint8Array(32 + types.length + strLen + layout.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xeb9f, true);
  out[2] = 1;
  dv.setUint32(4, 32, true);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, types.length, true);
  dv.setUint32(16, types.length, true);
  dv.setUint32(20, strLen, true);
  dv.setUint32(24, types.length + strLen, true);
  dv.setUint32(28, layout.length, true);
  out.set(types, 32);
  out.set(classic.subarray(24 + typeLen, 24 + typeLen + strLen), 32 + types.length);
  out.set(layout, 32 + types.length + strLen);
  return out;
}

/** Base BTF seeds: golden distilled bases and the generated blobs. */
export function baseBtfSeeds(): Seed[] {
  const out: Seed[] = [];
  for (const m of goldenModules()) out.push({ ctx: `golden:${m.name}`, bytes: m.base });
  out.push({ ctx: 'gen:all-kinds-le', bytes: serializeBtf(allKindsBtf('little')) });
  out.push({ ctx: 'gen:all-kinds-be', bytes: serializeBtf(allKindsBtf('big')) });
  out.push({ ctx: 'gen:long-header-le', bytes: longHeaderBtf('little') });
  out.push({ ctx: 'gen:long-header-be', bytes: longHeaderBtf('big') });
  out.push({ ctx: 'gen:layout', bytes: layoutBtf() });
  return out;
}

// ------------------------------------------------------------------------- ELF

/** A relocatable module ELF holding the given sections (as pahole/kbuild lay them out). */
export function moduleElf(sections: { name: string; data: Uint8Array; flags?: number }[], cls: 32 | 64 = 64, littleEndian = true): Uint8Array {
  return buildElf({
    class: cls,
    littleEndian,
    type: 1,
    machine: 62,
    sections: [
      { name: '.text', type: SHT_PROGBITS, flags: 6, data: new Uint8Array([0xc3, 0x90, 0x90, 0x90]), align: 4 },
      ...sections.map((s) => ({ name: s.name, type: SHT_PROGBITS, flags: s.flags ?? 0, data: s.data, align: 4 })),
    ],
  }).bytes;
}

/**
 * An ELF module with `.BTF` (a BTF with struct/func names), `.BTF_ids` and the `__BTF_ID__`
 * symbols resolve_btfids looks for: two ids, a set and a set8.
 */
export function btfIdsElf(cls: 32 | 64 = 64, littleEndian = true): Uint8Array {
  const b = Btf.create({ endian: littleEndian ? 'little' : 'big' });
  const int = b.addInt('int', 4, 1);
  b.addStruct('task_struct', 16);
  b.addField('pid', int, 0);
  b.addStruct('sock', 8);
  const fp = b.addFuncProto(int);
  b.addFunc('bpf_foo', 1, fp);
  b.addFunc('bpf_bar', 1, fp);
  b.addTypedef('u32_t', int);
  const btf = serializeBtf(b);
  // .BTF_ids: [0] struct task_struct, [4] func bpf_foo, [8] set {cnt, bar, foo}, [20] set8 {cnt, flags, {id, flags} x2}
  const ids = new Uint8Array(20 + 8 + 16);
  const names = [
    '__BTF_ID__struct__task_struct__1',
    '__BTF_ID__func__bpf_foo__2',
    '__BTF_ID__set__myset',
    '__BTF_ID__func__bpf_bar__3',
    '__BTF_ID__func__bpf_foo__4',
    '__BTF_ID__set8__myset8',
    '__BTF_ID__func__bpf_bar__5',
    '__BTF_ID__typedef__u32_t__6',
  ];
  const values = [0, 4, 8, 12, 16, 20, 28, 36];
  const sizes = [0, 0, 12, 0, 0, 24, 0, 0];
  const strtab = stringTable(names);
  const secIdx = 3; // 1 .text, 2 .BTF, 3 .BTF_ids, 4 .symtab, 5 .strtab
  const syms = packSymbols(cls, littleEndian, [
    { name: 0 },
    ...names.map((_, i) => ({ name: strtab.offsets[i]!, value: BigInt(values[i]!), size: BigInt(sizes[i]!), info: 0x00, shndx: secIdx })),
  ]);
  return buildElf({
    class: cls,
    littleEndian,
    type: 1,
    machine: 62,
    sections: [
      { name: '.text', type: SHT_PROGBITS, flags: 6, data: new Uint8Array(4), align: 4 },
      { name: '.BTF', type: SHT_PROGBITS, data: btf, align: 4 },
      { name: '.BTF_ids', type: SHT_PROGBITS, flags: SHF_ALLOC, data: ids, align: 4 },
      { name: '.symtab', type: SHT_SYMTAB, data: syms, link: 5, info: 1, align: 8, entsize: cls === 64 ? 24 : 16 },
      { name: '.strtab', type: SHT_STRTAB, data: strtab.data, align: 1 },
    ],
  }).bytes;
}

/** ELF seeds: the committed fixtures and synthetic modules (incl. section-count escapes). */
export function elfSeeds(): Seed[] {
  const out: Seed[] = [];
  const dir = 'test/fixtures/elf';
  if (existsSync(join(ROOT, dir))) {
    for (const f of readdirSync(join(ROOT, dir)).sort()) {
      if (f.endsWith('.o') || f.endsWith('.elf')) out.push({ ctx: `fixture:${f}`, bytes: read(join(dir, f)) });
    }
  }
  const m = goldenModules()[0];
  if (m) {
    out.push({ ctx: 'gen:module64le', bytes: moduleElf([{ name: '.BTF', data: m.split }, { name: '.BTF.base', data: m.base, flags: SHF_ALLOC }]) });
    out.push({ ctx: 'gen:module32be', bytes: moduleElf([{ name: '.BTF', data: m.split }, { name: '.BTF.base', data: m.base }], 32, false) });
  }
  out.push({
    ctx: 'gen:xindex',
    bytes: buildElf({
      class: 64,
      littleEndian: true,
      sections: [{ name: '.BTF', type: SHT_PROGBITS, data: serializeBtf(allKindsBtf()) }],
      escapeShnum: true,
      escapeShstrndx: true,
    }).bytes,
  });
  out.push({ ctx: 'gen:btfids64le', bytes: btfIdsElf(64, true) });
  return out;
}

export function btfIdsSeeds(): Seed[] {
  return [
    { ctx: 'gen:btfids64le', bytes: btfIdsElf(64, true) },
    { ctx: 'gen:btfids32be', bytes: btfIdsElf(32, false) },
  ];
}

// ----------------------------------------------------------------------- images

/** Compressed seeds: every committed sample, and fake bzImages around two of them. */
export function imageSeeds(): Seed[] {
  const out: Seed[] = [];
  const dir = 'test/fixtures/image';
  if (existsSync(join(ROOT, dir))) {
    for (const f of readdirSync(join(ROOT, dir)).sort()) {
      if (f.startsWith('sample.') && f !== 'sample.bin') out.push({ ctx: `fixture:${f}`, bytes: read(join(dir, f)) });
    }
  }
  const elf = elfSeeds().find((s) => s.ctx === 'gen:module64le')?.bytes ?? serializeBtf(allKindsBtf());
  const gz = gzipSync(elf, { level: 9 });
  out.push({ ctx: 'gen:module.ko.gz', bytes: new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength) });
  out.push({ ctx: 'gen:bzimage-gz', bytes: makeFakeBzImage(new Uint8Array(gz.buffer, gz.byteOffset, gz.byteLength), { decompressedSize: elf.length }).image });
  const xz = out.find((s) => s.ctx === 'fixture:sample.x86.xz');
  if (xz) out.push({ ctx: 'gen:bzimage-xz', bytes: makeFakeBzImage(xz.bytes, { decompressedSize: 20298 }).image });
  return out;
}

/** Kinds used by the generators (re-exported for the hostile-file generator). */
export { Kind };
