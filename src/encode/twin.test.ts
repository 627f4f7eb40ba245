/**
 * The units' types encoded in WebAssembly (src/accel/encode.c) and in JavaScript (order.ts,
 * types.ts) are twins: every DWARF fixture (gcc and clang, DWARF 4 and 5, C and C++, type
 * units, type tags, VLAs) gives the same BTF either way, standalone and split on the running
 * kernel; mutated DWARF gives the same BTF or the same error; and on gcc's objects the C code
 * really encodes every unit (it does not hand them all to the JavaScript).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf, type ElfFile } from '../elf/index.js';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import type { Btf } from '../model/btf.js';
import { readDwarfSections, DwarfInfo, Tag } from '../dwarf/index.js';
import { WasmTypeEncoder } from '../accel/encode.js';
import { StrIndex } from '../model/strindex.js';
import { encodeModuleBtf } from './index.js';

const FIX = join(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures/dwarf');
const KERNEL = '/sys/kernel/btf/vmlinux';
const objects = readdirSync(FIX).filter((f) => f.endsWith('.o'));
const load = (f: string): Uint8Array => new Uint8Array(readFileSync(join(FIX, f)));

/** The encoder's BTF as bytes, or its error. */
function outcome(elf: () => ElfFile, base: Btf | null, wasm: boolean): string {
  try {
    return Buffer.from(serializeBtf(encodeModuleBtf(elf(), base, { wasm }))).toString('hex');
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

test('encoder twins: every DWARF fixture, standalone, the same BTF either way', () => {
  assert.ok(objects.length >= 20);
  for (const f of objects) {
    const bytes = load(f);
    const js = outcome(() => parseElf(bytes), null, false);
    assert.equal(outcome(() => parseElf(bytes), null, true), js, f);
  }
});

test('encoder twins: split on the running kernel, the same BTF either way', { skip: !existsSync(KERNEL) && `no ${KERNEL}` }, () => {
  const kernel = parseBtf(new Uint8Array(readFileSync(KERNEL)));
  for (const f of objects) {
    const bytes = load(f);
    assert.equal(outcome(() => parseElf(bytes), kernel, true), outcome(() => parseElf(bytes), kernel, false), f);
  }
});

test('encoder twins: the kernel\'s strings in WebAssembly: a pass for a small module\'s strings, then StrIndex\'s table word for word, kept for the next module on that kernel', { skip: !existsSync(KERNEL) && `no ${KERNEL}` }, () => {
  const bytes = new Uint8Array(readFileSync(KERNEL));
  const kernel = parseBtf(bytes);
  const raw = kernel.raw();
  const strings = { strs: raw.strs, strLen: raw.strLen, table: null, extraStrs: () => new Uint8Array(0) };
  const sections = readDwarfSections(parseElf(load('sample-gcc-dwarf5.o')));
  // a first module whose .debug_str is small: no table, one pass over the kernel's strings
  const first = WasmTypeEncoder.start(sections, strings);
  assert.ok(first !== null);
  assert.equal(first.keptBase, false);
  assert.equal(first.baseTable(), null);
  // the next module on the same kernel finds the strings in place, and the table is built with them
  const second = WasmTypeEncoder.start(sections, strings);
  assert.equal(second?.keptBase, true);
  const built = second.baseTable();
  assert.ok(built !== null);
  const fresh = new StrIndex(raw.strs, raw.strLen).table();
  assert.equal(built.mask, fresh.mask);
  assert.deepEqual(built.slots, fresh.slots);
  // and kept: a third finds both
  const third = WasmTypeEncoder.start(sections, strings);
  assert.equal(third?.keptBase, true);
  assert.deepEqual(third.baseTable(), built);
  // another kernel's bytes (equal, elsewhere): nothing kept
  const other = parseBtf(bytes.slice()).raw();
  assert.equal(WasmTypeEncoder.start(sections, { ...strings, strs: other.strs, strLen: other.strLen })?.keptBase, false);
  // a whole encode interns the JavaScript's strings there too: the kernel's Btf is never indexed
  encodeModuleBtf(parseElf(load('sample-gcc-dwarf5.o')), kernel, {});
  assert.equal(kernel.hasOwnStrTable(), false);
});

test('encoder twins: after the pass, strings that are not the module\'s are looked up in the kernel\'s table, built then; short ones from the pass', { skip: !existsSync(KERNEL) && `no ${KERNEL}` }, () => {
  const kernel = parseBtf(new Uint8Array(readFileSync(KERNEL)));
  const raw = kernel.raw();
  const idx = new StrIndex(raw.strs, raw.strLen);
  const sections = readDwarfSections(parseElf(load('sample-gcc-dwarf5.o')));
  const enc = WasmTypeEncoder.start(sections, { strs: raw.strs, strLen: raw.strLen, table: null, extraStrs: () => new Uint8Array(0) });
  assert.ok(enc !== null);
  const d = new DwarfInfo(sections, enc.indexer);
  const r = d.raw();
  assert.ok(enc.open({
    nDies: d.n, off: r.off, abbr: r.abbr, attrOff: r.attrOff, par: r.par, sib: r.sib, unitOf: r.unitOf,
    abbrevs: r.abbrevs, units: d.units, startStrOff: raw.strLen, ownStrs: new Uint8Array(0),
  }));
  assert.equal(enc.baseTable(), null);
  const bytes = (str: string): Uint8Array => new Uint8Array(Buffer.from(str, 'latin1'));
  let end = raw.strLen;
  const intern = (str: string): number => {
    const off = enc.intern(bytes(str), 0, str.length, end);
    if (off === end) end += str.length + 1;
    return off;
  };
  // kernel strings the sample does not have: long ones (the kernel's table, built on the first),
  // short ones (from the pass)
  for (const str of ['task_struct', 'sk_buff', 'net_device', 'u8', 'pid', 'id']) {
    const want = idx.find(str);
    assert.ok(want >= 0, str);
    assert.equal(intern(str), want, str);
  }
  assert.notEqual(enc.baseTable(), null);
  // strings the kernel does not have: the module's own, in order
  assert.equal(intern('no_such_kernel_name_at_all'), raw.strLen);
  assert.equal(intern('qz'), raw.strLen + 27);
  assert.equal(intern('no_such_kernel_name_at_all'), raw.strLen);
});

test('encoder twins: split on the running kernel through the pass over its strings, every string kind looked up (in .debug_str, inline, short, synthesized, absent), the same BTF as JavaScript', { skip: !existsSync(KERNEL) && `no ${KERNEL}` }, () => {
  // each object first on a kernel of its own (a fresh parse: nothing kept), so that every one is
  // encoded through the pass, not the kept table
  for (const f of objects) {
    const bytes = load(f);
    const kernel = parseBtf(new Uint8Array(readFileSync(KERNEL)));
    const js = outcome(() => parseElf(bytes), kernel, false);
    assert.equal(outcome(() => parseElf(bytes), parseBtf(new Uint8Array(readFileSync(KERNEL))), true), js, f);
  }
});

test('encoder twins: gcc objects are encoded in WebAssembly, unit by unit', () => {
  let units = 0;
  // (gcc's objects that pahole can encode: not complex-gcc, whose complex floats it refuses)
  const encodable = objects.filter((o) => o.includes('-gcc-') && !outcome(() => parseElf(load(o)), null, false).startsWith('error:'));
  assert.ok(encodable.length >= 10);
  for (const f of encodable) {
    const sections = readDwarfSections(parseElf(load(f)));
    const enc = WasmTypeEncoder.start(sections, null);
    assert.ok(enc !== null, f);
    const d = new DwarfInfo(sections, enc.indexer);
    // every unit's DIEs were indexed in WebAssembly
    assert.equal(enc.indexedDies, d.n, f);
    const raw = d.raw();
    assert.ok(enc.open({
      nDies: d.n, off: raw.off, abbr: raw.abbr, attrOff: raw.attrOff, par: raw.par, sib: raw.sib, unitOf: raw.unitOf,
      abbrevs: raw.abbrevs, units: d.units, startStrOff: 0, ownStrs: new Uint8Array(1),
    }), f);
    const state = { hasIndexType: false, arrayIndexId: 0, needIndexType: false };
    let idOff = 0;
    d.units.forEach((u, ui) => {
      if (u.endDie === u.firstDie || d.unitUsesTag(u, Tag.LLVM_annotation)) return;
      const r = enc.unit(ui, idOff, state);
      assert.ok(r !== null, `${f}: unit ${ui} handed to the JavaScript`);
      assert.ok(r.nTypes > 0 && r.order.length >= r.nTypes, f);
      idOff += r.nTypes;
      units++;
    });
  }
  assert.ok(units >= 10);
});

/** The DIE index as arrays (DwarfInfo.raw), or the error indexing gave. */
function indexOf(bytes: Uint8Array, inC: boolean): string {
  try {
    const sections = readDwarfSections(parseElf(bytes));
    const enc = inC ? WasmTypeEncoder.start(sections, null) : null;
    if (inC) assert.ok(enc !== null);
    const d = new DwarfInfo(sections, enc?.indexer ?? null);
    const r = d.raw();
    const n = d.n;
    return JSON.stringify([n, d.units, ...[r.off, r.abbr, r.attrOff, r.par, r.sib, r.unitOf].map((a) => Array.from(a.subarray(0, n)))]);
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
}

test('encoder twins: the DIE index made in WebAssembly is DwarfInfo\'s, on every fixture and on mutated DWARF', () => {
  for (const f of objects) assert.equal(indexOf(load(f), true), indexOf(load(f), false), f);
  const bytes = load('sample-gcc-dwarf4.o');
  const info = parseElf(bytes).sections.find((s) => s.name === '.debug_info')!;
  let seed = 0x1b873593;
  let errors = 0;
  for (let i = 0; i < 120; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const m = bytes.slice();
    m[Number(info.offset) + (seed % Number(info.size))] = seed >>> 24;
    const js = indexOf(m, false);
    assert.equal(indexOf(m, true), js, `mutation ${i}`);
    if (js.startsWith('error:')) errors++;
  }
  assert.ok(errors > 0);
});

test('encoder twins: mutated DWARF gives the same BTF or the same error either way', () => {
  const bytes = load('sample-gcc-dwarf5.o');
  const elf = parseElf(bytes);
  const info = elf.sections.find((s) => s.name === '.debug_info')!;
  const start = Number(info.offset);
  const size = Number(info.size);
  // a fixed pseudo-random sequence of single-byte changes in .debug_info
  let seed = 0x2545f491;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  let errors = 0;
  for (let i = 0; i < 120; i++) {
    const m = bytes.slice();
    m[start + (next() % size)] = next() & 0xff;
    const js = outcome(() => parseElf(m), null, false);
    assert.equal(outcome(() => parseElf(m), null, true), js, `mutation ${i}`);
    if (js.startsWith('error:')) errors++;
  }
  assert.ok(errors > 0);
});
