/**
 * Tests of the `.BTF_ids` layer (resolve_btfids parity and id remapping).
 *
 * Always run: hand-built ELF32/ELF64, little/big-endian, ET_REL/ET_EXEC files.
 * Run when present (skipped otherwise): the 4 Debian 6.1.0-47 modules that have `.BTF_ids`
 * (the corpus, else env BTFKIT_CACHE) against the shared golden set (env BTFKIT_GOLDEN, else
 * ../shared/golden beside the repo; src/testing/fixtures.ts); the
 * section bytes are also kept in test/golden/btfids/.
 */

import { cachePath, goldenDir } from '../testing/fixtures.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parseElf } from '../elf/index.js';
import { ET_EXEC, ET_REL } from '../elf/constants.js';
import { parseBtf } from '../format/parse.js';
import { Btf } from '../model/btf.js';
import { BtfkitError } from '../errors.js';
import { distillBase } from '../split/distill.js';
import { hasCorpus, kernelBtfPath, modulesDir } from '../../scripts/corpus-paths.js';
import {
  decodeBtfIds,
  parseBtfIds,
  remapBtfIds,
  remapDtorKfuncs,
  remapForDistill,
  remapForKernelLoad,
  resolveBtfIds,
  unsortBtfIdSets,
  writeBtfIds,
  zeroBtfIdSlots,
  type BtfIdsLayout,
} from './btfids.js';

// ------------------------------------------------------------------ tiny ELF builder

interface TSym {
  name: string;
  value: number | bigint;
  size?: number;
  /** section index; default 1 (.BTF_ids) */
  shndx?: number;
}

interface ElfSpec {
  is64?: boolean;
  le?: boolean;
  type?: number;
  /** sh_addr of .BTF_ids */
  addr?: bigint;
  data: Uint8Array;
  syms: TSym[];
}

/** ELF with sections [null, .BTF_ids, .symtab, .strtab, .shstrtab]. */
function buildElf(spec: ElfSpec): Uint8Array {
  const is64 = spec.is64 ?? true;
  const le = spec.le ?? true;
  const enc = new TextEncoder();
  const strtab: number[] = [0];
  const symName = (s: string) => {
    const off = strtab.length;
    strtab.push(...enc.encode(s), 0);
    return off;
  };
  const shNames = ['', '.BTF_ids', '.symtab', '.strtab', '.shstrtab'];
  const shstr: number[] = [];
  const shNameOff = shNames.map((n) => {
    const off = shstr.length;
    shstr.push(...enc.encode(n), 0);
    return off;
  });
  const symSize = is64 ? 24 : 16;
  const syms = new Uint8Array(symSize * (spec.syms.length + 1));
  const sdv = new DataView(syms.buffer);
  spec.syms.forEach((s, i) => {
    const p = (i + 1) * symSize;
    const name = symName(s.name);
    const info = 0x01; // LOCAL OBJECT
    const shndx = s.shndx ?? 1;
    if (is64) {
      sdv.setUint32(p, name, le);
      sdv.setUint8(p + 4, info);
      sdv.setUint16(p + 6, shndx, le);
      sdv.setBigUint64(p + 8, BigInt(s.value), le);
      sdv.setBigUint64(p + 16, BigInt(s.size ?? 4), le);
    } else {
      sdv.setUint32(p, name, le);
      sdv.setUint32(p + 4, Number(s.value), le);
      sdv.setUint32(p + 8, s.size ?? 4, le);
      sdv.setUint8(p + 12, info);
      sdv.setUint16(p + 14, shndx, le);
    }
  });
  const ehSize = is64 ? 64 : 52;
  const shSize = is64 ? 64 : 40;
  const contents = [spec.data, syms, new Uint8Array(strtab), new Uint8Array(shstr)];
  const offsets: number[] = [];
  let cur = ehSize;
  for (const c of contents) {
    cur = Math.ceil(cur / 8) * 8;
    offsets.push(cur);
    cur += c.length;
  }
  const shoff = Math.ceil(cur / 8) * 8;
  const out = new Uint8Array(shoff + 5 * shSize);
  const dv = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, le ? 1 : 2, 1]);
  dv.setUint16(16, spec.type ?? ET_REL, le);
  dv.setUint16(18, 62, le);
  dv.setUint32(20, 1, le);
  if (is64) {
    dv.setBigUint64(40, BigInt(shoff), le);
    dv.setUint16(52, ehSize, le);
    dv.setUint16(58, shSize, le);
    dv.setUint16(60, 5, le);
    dv.setUint16(62, 4, le);
  } else {
    dv.setUint32(32, shoff, le);
    dv.setUint16(40, ehSize, le);
    dv.setUint16(46, shSize, le);
    dv.setUint16(48, 5, le);
    dv.setUint16(50, 4, le);
  }
  contents.forEach((c, i) => out.set(c, offsets[i]!));
  // [type, flags, link, info, align, entsize]
  const hdrs: [number, number, number, number, number, number][] = [
    [1, 2, 0, 0, 1, 0],
    [2, 0, 3, spec.syms.length + 1, 8, symSize],
    [3, 0, 0, 0, 1, 0],
    [3, 0, 0, 0, 1, 0],
  ];
  hdrs.forEach(([type, flags, link, info, align, entsize], i) => {
    const h = shoff + (i + 1) * shSize;
    const addr = i === 0 ? (spec.addr ?? 0n) : 0n;
    dv.setUint32(h, shNameOff[i + 1]!, le);
    dv.setUint32(h + 4, type, le);
    if (is64) {
      dv.setBigUint64(h + 8, BigInt(flags), le);
      dv.setBigUint64(h + 16, addr, le);
      dv.setBigUint64(h + 24, BigInt(offsets[i]!), le);
      dv.setBigUint64(h + 32, BigInt(contents[i]!.length), le);
      dv.setUint32(h + 40, link, le);
      dv.setUint32(h + 44, info, le);
      dv.setBigUint64(h + 48, BigInt(align), le);
      dv.setBigUint64(h + 56, BigInt(entsize), le);
    } else {
      dv.setUint32(h + 8, flags, le);
      dv.setUint32(h + 12, Number(addr), le);
      dv.setUint32(h + 16, offsets[i]!, le);
      dv.setUint32(h + 20, contents[i]!.length, le);
      dv.setUint32(h + 24, link, le);
      dv.setUint32(h + 28, info, le);
      dv.setUint32(h + 32, align, le);
      dv.setUint32(h + 36, entsize, le);
    }
  });
  return out;
}

function words(bytes: Uint8Array, le = true): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) out.push(dv.getUint32(i, le));
  return out;
}

function fromWords(ws: number[], le = true): Uint8Array {
  const out = new Uint8Array(ws.length * 4);
  const dv = new DataView(out.buffer);
  ws.forEach((w, i) => dv.setUint32(i * 4, w, le));
  return out;
}

/** [1] int, [2] proto, [3] struct sk_buff, [4] union u, [5] typedef pid_t, [6] func c, [7] func a, [8] func b */
function sampleBtf(): Btf {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const fp = b.addFuncProto(int);
  b.addStruct('sk_buff', 8);
  b.addUnion('u', 4);
  b.addTypedef('pid_t', int);
  b.addFunc('c', 1, fp);
  b.addFunc('a', 1, fp);
  b.addFunc('b', 1, fp);
  return b;
}

/**
 * Section as the compiler leaves it: BTF_ID_LIST(list) { struct sk_buff, union u, typedef pid_t,
 * func nope (unresolvable) }, BTF_SET(s) { b, a, c }, BTF_SET8(s8, flags 0x55) { (b, 2), (a, 1),
 * (c, 3) }.
 */
function sampleSpec(opts: { is64?: boolean; le?: boolean; type?: number; addr?: bigint } = {}): ElfSpec {
  const le = opts.le ?? true;
  const a = opts.addr ?? 0n;
  const data = fromWords([0, 0, 0, 0, /* set */ 0, 0, 0, 0, /* set8 */ 0, 0x55, 0, 2, 0, 1, 0, 3], le);
  const at = (off: number) => a + BigInt(off);
  return {
    ...opts,
    data,
    syms: [
      { name: 'list', value: at(0), size: 0 }, // not a __BTF_ID__ symbol: ignored
      { name: '__BTF_ID__struct__sk_buff__1', value: at(0) },
      { name: '__BTF_ID__union__u__2', value: at(4) },
      { name: '__BTF_ID__typedef__pid_t__3', value: at(8) },
      { name: '__BTF_ID__func__nope__4', value: at(12) },
      { name: '__BTF_ID__set__s', value: at(16), size: 16 },
      { name: '__BTF_ID__func__b__5', value: at(20) },
      { name: '__BTF_ID__func__a__6', value: at(24) },
      { name: '__BTF_ID__func__c__7', value: at(28) },
      { name: '__BTF_ID__set8__s8', value: at(32), size: 32 },
      { name: '__BTF_ID__func__b__8', value: at(40) },
      { name: '__BTF_ID__func__a__9', value: at(48) },
      { name: '__BTF_ID__func__c__10', value: at(56) },
      { name: '__BTF_ID__func__a__11', value: 0, shndx: 3 }, // other section: ignored
    ],
  };
}

const EXPECTED_WORDS = [3, 4, 5, 0, /* set */ 3, 6, 7, 8, /* set8 */ 3, 0x55, 6, 3, 7, 1, 8, 2];

function btfIdsOf(elfBytes: Uint8Array) {
  const elf = parseElf(elfBytes);
  const layout = parseBtfIds(elf);
  const data = elf.sectionData(elf.requireSection('.BTF_ids'));
  return { elf, layout, data };
}

function assertBtfIdsError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof BtfkitError && e.code === 'BTF_IDS' && re.test(e.message));
}

// ------------------------------------------------------------------------ unit tests

test('parseBtfIds: slots, sets, names with "__" and the uniq suffix cut', () => {
  const spec = sampleSpec();
  spec.syms.push({ name: '__BTF_ID__struct__nf_conn___init__751190', value: 12 }, { name: '__BTF_ID__func__x__y__z__3', value: 12 });
  const { layout } = btfIdsOf(buildElf(spec));
  assert.equal(layout.sectionSize, 64);
  assert.equal(layout.littleEndian, true);
  assert.deepEqual(
    layout.slots.map((s) => `${s.kind} ${s.name} @${s.offset}`),
    ['struct sk_buff @0', 'union u @4', 'typedef pid_t @8', 'func nope @12', 'func b @20', 'func a @24', 'func c @28', 'func b @40', 'func a @48', 'func c @56', 'struct nf_conn___init @12', 'func x__y__z @12'],
  );
  assert.deepEqual(
    layout.sets.map((s) => [s.kind, s.name, s.offset, s.count, s.entriesOffset, s.entrySize]),
    [
      ['set', 's', 16, 3, 20, 4],
      ['set8', 's8', 32, 3, 40, 8],
    ],
  );
});

test('parseBtfIds: resolve_btfids failures', () => {
  const withSym = (sym: TSym, data = new Uint8Array(16)) => () => parseBtfIds(parseElf(buildElf({ data, syms: [sym] })));
  assertBtfIdsError(withSym({ name: '__BTF_ID__enum__e__1', value: 0 }), /^FAILED unsupported prefix enum__e__1$/);
  assertBtfIdsError(withSym({ name: '__BTF_ID__func__foo', value: 0 }), /^FAILED to parse symbol name: func__foo$/);
  assertBtfIdsError(withSym({ name: '__BTF_ID__func__', value: 0 }), /^FAILED to parse symbol name/);
  assertBtfIdsError(withSym({ name: '__BTF_ID__set__', value: 0 }), /^FAILED to parse set name: set__$/);
  assertBtfIdsError(withSym({ name: '__BTF_ID__func__f__1', value: 16 }), /^FAILED patching index 16 out of bounds 16/);
  assertBtfIdsError(withSym({ name: '__BTF_ID__set8__s', value: 8, size: 16 }), /^FAILED malformed data for set 's'/);
  assertBtfIdsError(withSym({ name: '__BTF_ID__set__s', value: 0, size: 2 }), /smaller than its 4-byte header/);
  // set and set8 share one namespace
  const dup = buildElf({ data: new Uint8Array(16), syms: [{ name: '__BTF_ID__set__s', value: 0, size: 4 }, { name: '__BTF_ID__set8__s', value: 8, size: 8 }] });
  assertBtfIdsError(() => parseBtfIds(parseElf(dup)), /set 's' is defined more than once/);
  const many = buildElf({ data: new Uint8Array(4), syms: Array.from({ length: 101 }, (_, i) => ({ name: `__BTF_ID__func__f__${i}`, value: 0 })) });
  assertBtfIdsError(() => parseBtfIds(parseElf(many)), /^FAILED symbol f crossed the number of allowed lists$/);
  const sameNameOk = buildElf({ data: new Uint8Array(4), syms: Array.from({ length: 100 }, (_, i) => ({ name: `__BTF_ID__func__f__${i}`, value: 0 })) });
  assert.equal(parseBtfIds(parseElf(sameNameOk)).slots.length, 100);
});

test('resolveBtfIds: ids, set and set8 sorting (flags stay with their id), unresolved warning', () => {
  const { elf, layout, data } = btfIdsOf(buildElf(sampleSpec()));
  const r = resolveBtfIds(elf, data, sampleBtf());
  assert.deepEqual(words(r.bytes), EXPECTED_WORDS);
  assert.deepEqual(r.warnings, ['WARN: resolve_btfids: unresolved symbol nope']);
  assert.deepEqual(r.unresolved.map((u) => [u.kind, u.name, u.id, u.offsets]), [['func', 'nope', 0, [12]]]);
  assert.deepEqual(
    r.symbols.map((s) => `${s.kind} ${s.name}=${s.id} ${s.offsets.join(',')}`),
    ['struct sk_buff=3 0', 'union u=4 4', 'typedef pid_t=5 8', 'func nope=0 12', 'func c=6 28,56', 'func b=8 20,40', 'func a=7 24,48'],
  );
  // the input is not modified, and the same result comes with a given layout
  assert.deepEqual(words(data), words(sampleSpec().data));
  assert.deepEqual(resolveBtfIds(elf, data, sampleBtf(), { layout }).bytes, r.bytes);
  const d = decodeBtfIds(layout, r.bytes);
  assert.deepEqual(d.sets.map((s) => [s.set.name, s.count, s.flags, s.ids, s.entryFlags]), [
    ['s', 3, 0, [6, 7, 8], []],
    ['s8', 3, 0x55, [6, 7, 8], [3, 1, 2]],
  ]);
  // writing it back into the ELF
  const out = parseElf(writeBtfIds(elf, r.bytes));
  assert.deepEqual(out.sectionData(out.requireSection('.BTF_ids')), r.bytes);
});

test('resolveBtfIds: kind must match; first id wins; duplicate warning only while the kind has unresolved symbols', () => {
  const b = sampleBtf(); // funcs c=6, a=7, b=8
  const fp = 2;
  b.addStruct('a', 4); // 9: a STRUCT named a does not match func a
  b.addFunc('a', 1, fp); // 10: second FUNC a
  // one symbol per name: func a resolves at 7 when nr_funcs is 1 -> 0: the later duplicate is silent
  const one = buildElf({ data: new Uint8Array(4), syms: [{ name: '__BTF_ID__func__a__1', value: 0 }] });
  let x = btfIdsOf(one);
  let r = resolveBtfIds(x.elf, x.data, b);
  assert.deepEqual(words(r.bytes), [7]);
  assert.deepEqual(r.warnings, []);
  // two symbols of func a (nr_funcs = 2, one name): the duplicate is reported, the first id kept
  const two = buildElf({ data: new Uint8Array(8), syms: [{ name: '__BTF_ID__func__a__1', value: 0 }, { name: '__BTF_ID__func__a__2', value: 4 }] });
  x = btfIdsOf(two);
  r = resolveBtfIds(x.elf, x.data, b);
  assert.deepEqual(words(r.bytes), [7, 7]);
  assert.deepEqual(r.warnings, ["WARN: multiple IDs found for 'a': 7, 10 - using 7"]);
  // struct a is found as struct
  const st = buildElf({ data: new Uint8Array(4), syms: [{ name: '__BTF_ID__struct__a__1', value: 0 }] });
  x = btfIdsOf(st);
  assert.deepEqual(words(resolveBtfIds(x.elf, x.data, b).bytes), [9]);
});

test('resolveBtfIds: warnings in resolve_btfids order (struct, union, typedef, func; names descending)', () => {
  const names = ['func__zz', 'struct__m', 'func__aa', 'typedef__t', 'struct__x', 'union__q', 'func__mm'];
  const elfBytes = buildElf({ data: new Uint8Array(names.length * 4), syms: names.map((n, i) => ({ name: `__BTF_ID__${n}__${i}`, value: i * 4 })) });
  const { elf, data } = btfIdsOf(elfBytes);
  const r = resolveBtfIds(elf, data, sampleBtf());
  assert.deepEqual(
    r.warnings.map((w) => w.replace('WARN: resolve_btfids: unresolved symbol ', '')),
    ['x', 'm', 'q', 't', 'zz', 'mm', 'aa'],
  );
  assert.ok(words(r.bytes).every((w) => w === 0));
});

test('resolveBtfIds: split BTF — ids span base and split, base first', () => {
  const base = sampleBtf();
  const split = Btf.createSplit(base);
  const fp = split.addFuncProto(1); // 9
  split.addFunc('modf', 1, fp); // 10
  split.addStruct('sk_buff', 8); // 11: duplicate of base [3]
  const elfBytes = buildElf({
    data: new Uint8Array(12),
    syms: [
      { name: '__BTF_ID__func__modf__1', value: 0 },
      { name: '__BTF_ID__struct__sk_buff__2', value: 4 },
      { name: '__BTF_ID__struct__sk_buff__3', value: 8 },
    ],
  });
  const { elf, data } = btfIdsOf(elfBytes);
  const r = resolveBtfIds(elf, data, split);
  assert.deepEqual(words(r.bytes), [10, 3, 3]);
  assert.deepEqual(r.warnings, ["WARN: multiple IDs found for 'sk_buff': 3, 11 - using 3"]);
});

test('resolveBtfIds: big-endian ELF64 and ELF32, ET_EXEC offsets relative to sh_addr', () => {
  for (const is64 of [true, false]) {
    for (const le of [true, false]) {
      for (const type of [ET_REL, ET_EXEC]) {
        const addr = type === ET_EXEC ? (is64 ? 0xffffffff828e5ad0n : 0xc1000000n) : 0n;
        const { elf, layout, data } = btfIdsOf(buildElf(sampleSpec({ is64, le, type, addr })));
        assert.equal(layout.littleEndian, le);
        assert.deepEqual(layout.slots.map((s) => s.offset), [0, 4, 8, 12, 20, 24, 28, 40, 48, 56]);
        const r = resolveBtfIds(elf, data, sampleBtf());
        assert.deepEqual(words(r.bytes, le), EXPECTED_WORDS, `is64=${is64} le=${le} type=${type}`);
        if (!le) assert.deepEqual([...r.bytes.subarray(36, 40)], [0, 0, 0, 0x55]); // set8 flags as stored
      }
    }
  }
  // ET_REL: st_value is the section offset even if sh_addr is set
  const rel = btfIdsOf(buildElf({ ...sampleSpec(), addr: 0x1000n }));
  assert.deepEqual(rel.layout.slots.map((s) => s.offset).slice(0, 4), [0, 4, 8, 12]);
  // ET_EXEC: a symbol below sh_addr is out of bounds
  const bad = buildElf({ type: ET_EXEC, addr: 0x1000n, data: new Uint8Array(4), syms: [{ name: '__BTF_ID__func__f__1', value: 0xffcn }] });
  assertBtfIdsError(() => parseBtfIds(parseElf(bad)), /^FAILED patching index 18446744073709551612 out of bounds 4/);
});

test('resolveBtfIds: unaligned slot addresses are rounded down as resolve_btfids indexes an int array', () => {
  const { elf, layout, data } = btfIdsOf(buildElf({ data: new Uint8Array(8), syms: [{ name: '__BTF_ID__func__a__1', value: 6 }] }));
  assert.equal(layout.slots[0]!.offset, 4);
  assert.deepEqual(words(resolveBtfIds(elf, data, sampleBtf()).bytes), [0, 7]);
});

test('zeroBtfIdSlots keeps set counts and all flags; zero + resolve round-trips', () => {
  const { elf, layout, data } = btfIdsOf(buildElf(sampleSpec()));
  const btf = sampleBtf();
  const resolved = resolveBtfIds(elf, data, btf).bytes;
  const zeroed = zeroBtfIdSlots(layout, resolved);
  // set8 pairs were already sorted: the flags now sit at the sorted positions
  assert.deepEqual(words(zeroed), [0, 0, 0, 0, 3, 0, 0, 0, 3, 0x55, 0, 3, 0, 1, 0, 2]);
  assert.deepEqual(words(resolved), EXPECTED_WORDS);
  // rerunning on sorted bytes is what resolve_btfids itself would do: the flags found at the
  // symbols' slots are those the first sort left there: (b,3) (a,1) (c,2) -> (c,2) (a,1) (b,3)
  assert.deepEqual(words(resolveBtfIds(elf, zeroed, btf).bytes).slice(8), [3, 0x55, 6, 2, 7, 1, 8, 3]);
  // unsort first: entries go back to their symbols' slots (b, a, c), flags with them
  const unsorted = unsortBtfIdSets(layout, resolved, btf);
  assert.deepEqual(words(unsorted), [3, 4, 5, 0, 3, 8, 7, 6, 3, 0x55, 8, 2, 7, 1, 6, 3]);
  const pristine = zeroBtfIdSlots(layout, unsorted);
  assert.deepEqual(words(pristine), [0, 0, 0, 0, 3, 0, 0, 0, 3, 0x55, 0, 2, 0, 1, 0, 3]);
  assert.deepEqual(resolveBtfIds(elf, pristine, btf).bytes, resolved);
  // bytes that were not resolved against this BTF are refused
  assertBtfIdsError(() => unsortBtfIdSets(layout, resolved, renumbered().btf), /^set 's8?' entry 0 holds id 6, but its symbols resolve to 3 there/);
});

test('zero + resolve reproduces a set8 whose first sort did not reorder pairs', () => {
  const data = fromWords([0, 0, 0, 7, 0, 1, 0, 2]);
  const spec: ElfSpec = {
    data,
    syms: [
      { name: '__BTF_ID__set8__k', value: 0, size: 32 },
      { name: '__BTF_ID__func__c__1', value: 8 },
      { name: '__BTF_ID__func__a__2', value: 16 },
      { name: '__BTF_ID__func__b__3', value: 24 },
    ],
  };
  const { elf, layout } = btfIdsOf(buildElf(spec));
  const first = resolveBtfIds(elf, data, sampleBtf()).bytes;
  assert.deepEqual(words(first), [3, 0, 6, 7, 7, 1, 8, 2]);
  assert.deepEqual(resolveBtfIds(elf, zeroBtfIdSlots(layout, first), sampleBtf()).bytes, first);
});

/** The sample BTF renumbered: [1] int, [2] proto, [3] func b, [4] func a, [5] typedef pid_t, [6] struct sk_buff, [7] func c (no union). */
function renumbered(): { btf: Btf; idMap: Uint32Array } {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const fp = b.addFuncProto(int);
  b.addFunc('b', 1, fp);
  b.addFunc('a', 1, fp);
  b.addTypedef('pid_t', int);
  b.addStruct('sk_buff', 8);
  b.addFunc('c', 1, fp);
  // old:       0  1  2  3  4  5  6  7  8
  const idMap = Uint32Array.from([0, 1, 2, 6, 0, 5, 7, 4, 3]);
  return { btf: b, idMap };
}

test('remapForDistill == zero + resolve against the renumbered BTF (pristine section)', () => {
  for (const le of [true, false]) {
    const { elf, layout, data } = btfIdsOf(buildElf(sampleSpec({ le })));
    const resolved = resolveBtfIds(elf, data, sampleBtf()).bytes;
    const { btf, idMap } = renumbered();
    const remapped = remapForDistill(layout, resolved, idMap);
    const again = resolveBtfIds(elf, data, btf);
    assert.deepEqual(remapped, again.bytes);
    assert.deepEqual(words(remapped, le), [6, 0, 5, 0, 3, 3, 4, 7, 3, 0x55, 3, 2, 4, 1, 7, 3]);
    assert.deepEqual(again.warnings, ['WARN: resolve_btfids: unresolved symbol u', 'WARN: resolve_btfids: unresolved symbol nope']);
    assert.deepEqual(remapBtfIds(layout, resolved, idMap, 'distill'), remapped);
  }
});

test('remapForKernelLoad: only set8 (kfunc) pairs are remapped and re-sorted', () => {
  const { elf, layout, data } = btfIdsOf(buildElf(sampleSpec()));
  const resolved = resolveBtfIds(elf, data, sampleBtf()).bytes;
  const baseIdMap = Uint32Array.from([0, 101, 102, 103, 104, 105, 208, 207, 206]);
  const k = remapForKernelLoad(layout, resolved, baseIdMap);
  // list and set unchanged; set8: 6->208, 7->207, 8->206, re-sorted with their flags
  assert.deepEqual(words(k), [3, 4, 5, 0, 3, 6, 7, 8, 3, 0x55, 206, 2, 207, 1, 208, 3]);
  assert.deepEqual(remapBtfIds(layout, resolved, baseIdMap, 'kernel-load'), k);
  // a set8 that is not a kfunc set is left alone
  assert.deepEqual(remapForKernelLoad(layout, resolved, baseIdMap, { isKfuncSet: (s) => s.name !== 's8' }), resolved);
  // ids outside the map are an error
  assertBtfIdsError(() => remapForKernelLoad(layout, resolved, Uint32Array.from([0, 1, 2])), /type id 6 at byte offset 40 is outside the id map/);
  assertBtfIdsError(() => remapForDistill(layout, resolved, Uint32Array.from([0, 1, 2])), /outside the id map/);
});

test('remapDtorKfuncs: both ids remapped, table sorted by btf_id', () => {
  const map = Uint32Array.from([0, 50, 40, 30, 20]);
  assert.deepEqual(
    remapDtorKfuncs(
      [
        { btfId: 1, kfuncBtfId: 2 },
        { btfId: 3, kfuncBtfId: 4 },
      ],
      map,
    ),
    [
      { btfId: 30, kfuncBtfId: 20 },
      { btfId: 50, kfuncBtfId: 40 },
    ],
  );
});

test('section data of the wrong size is rejected', () => {
  const { elf, layout } = btfIdsOf(buildElf(sampleSpec()));
  assertBtfIdsError(() => zeroBtfIdSlots(layout, new Uint8Array(8)), /section data has 8 bytes/);
  assertBtfIdsError(() => resolveBtfIds(elf, new Uint8Array(8), sampleBtf(), { layout }), /section data has 8 bytes/);
  // a count word that no longer fits
  const bad = fromWords([3, 4, 5, 0, 99, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assertBtfIdsError(() => remapForDistill(layout, bad, new Uint32Array(10)), /set 's': count 99 at byte offset 16 does not fit/);
  const noIds = buildElf({ data: new Uint8Array(4), syms: [] });
  assert.deepEqual(parseBtfIds(parseElf(noIds)).slots, []);
});

// ------------------------------------------------------------------------ corpus parity

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const LOCAL = join(REPO, 'test', 'golden', 'btfids');

const SHARED = goldenDir();
const CACHE = cachePath();
const KO_ROOT = hasCorpus('6.1.0-47-amd64') ? modulesDir('6.1.0-47-amd64') : CACHE ? join(CACHE, 'x', 'linux-image-6.1.0-47-amd64-unsigned_6.1.170-3_amd64', 'lib', 'modules', '6.1.0-47-amd64', 'kernel') : null;
const VMLINUX_BTF = (k: string) => (hasCorpus(`${k}-amd64`) ? kernelBtfPath(`${k}-amd64`) : CACHE ? join(CACHE, 'vmlinux', `${k}-amd64.btf`) : '');

const MODULES = ['net/ipv4/tcp_bbr.ko', 'net/ipv4/tcp_dctcp.ko', 'net/netfilter/nf_conntrack.ko', 'net/netfilter/nf_nat.ko'];
const shortName = (m: string) => m.slice(m.lastIndexOf('/') + 1, -3);
const read = (p: string): Uint8Array => new Uint8Array(readFileSync(p));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const haveCorpus = KO_ROOT !== null && existsSync(KO_ROOT) && existsSync(VMLINUX_BTF('6.1.0-47'));
const skipCorpus = haveCorpus ? false : 'Debian 6.1.0-47 modules / vmlinux BTF not present';
const skipShared = haveCorpus && SHARED !== null ? false : 'shared golden set or corpus not present';

let v47: Btf | null = null;
function vmlinux47(): Btf {
  v47 ??= parseBtf(read(VMLINUX_BTF('6.1.0-47')));
  return v47;
}

interface Mod {
  name: string;
  elf: ReturnType<typeof parseElf>;
  layout: BtfIdsLayout;
  section: Uint8Array;
  split: Btf;
}
function loadModule(m: string): Mod {
  const elf = parseElf(read(join(KO_ROOT!, m)));
  const split = parseBtf(elf.sectionData(elf.requireSection('.BTF')), { base: vmlinux47() });
  return { name: shortName(m), elf, layout: parseBtfIds(elf), section: elf.sectionData(elf.requireSection('.BTF_ids')), split };
}

test('local golden copies match the shared set', { skip: SHARED === null ? 'shared golden set not present' : false }, () => {
  for (const m of MODULES) {
    const n = shortName(m);
    assert.deepEqual(read(join(LOCAL, `${n}.BTF_ids.bin`)), read(join(SHARED!, 'modules', n, 'BTF_ids.bin')), n);
  }
});

test('parity: zero + resolve on the 4 Debian 6.1.0-47 modules == resolve_btfids output', { skip: skipCorpus }, () => {
  const tsv = SHARED ? gunzipSync(readFileSync(join(SHARED, 'modules-6.1.0-47.tsv.gz'))).toString('utf8') : '';
  const tsvSha = new Map(tsv.split('\n').slice(1).filter(Boolean).map((l) => { const c = l.split('\t'); return [c[0]!, c[2]!]; }));
  for (const m of MODULES) {
    const mod = loadModule(m);
    const golden = read(join(LOCAL, `${mod.name}.BTF_ids.bin`));
    assert.deepEqual(mod.section, golden, `${mod.name}: section bytes`);
    if (SHARED) assert.equal(sha256(golden), tsvSha.get(m), `${mod.name}: sha256 in the tsv`);
    const zeroed = zeroBtfIdSlots(mod.layout, unsortBtfIdSets(mod.layout, mod.section, mod.split));
    assert.ok(mod.layout.slots.every((s) => words(zeroed.subarray(s.offset, s.offset + 4))[0] === 0));
    const r = resolveBtfIds(mod.elf, zeroed, mod.split, { layout: mod.layout });
    assert.deepEqual(r.bytes, golden, `${mod.name}: resolved bytes`);
    assert.equal(sha256(r.bytes), sha256(golden));
    assert.deepEqual(r.warnings, [], `${mod.name}: warnings`);
    // without unsorting, re-resolving pairs set8 flags with other ids where the first sort
    // reordered pairs with different flags: only nf_conntrack (kfunc ids opposite to declaration order)
    const naive = resolveBtfIds(mod.elf, zeroBtfIdSlots(mod.layout, mod.section), mod.split, { layout: mod.layout }).bytes;
    assert.equal(sha256(naive) === sha256(golden), mod.name !== 'nf_conntrack', `${mod.name}: naive zero + resolve`);
    // the module resolved against vmlinux only (no module BTF) leaves its kfuncs unresolved
    const baseOnly = resolveBtfIds(mod.elf, zeroed, vmlinux47(), { layout: mod.layout });
    assert.ok(baseOnly.unresolved.length > 0 && baseOnly.unresolved.every((u) => u.kind === 'func'), mod.name);
  }
});

test('parity: nf_conntrack layout (struct list + kfunc set8 with flags)', { skip: skipCorpus }, () => {
  const mod = loadModule('net/netfilter/nf_conntrack.ko');
  assert.deepEqual(mod.layout.slots.slice(0, 2).map((s) => `${s.kind} ${s.name} @${s.offset}`), ['struct nf_conn @0', 'struct nf_conn___init @4']);
  assert.deepEqual(mod.layout.sets.map((s) => `${s.kind} ${s.name} @${s.offset} x${s.count}`), ['set8 nf_ct_kfunc_set @8 x10']);
  const d = decodeBtfIds(mod.layout, mod.section);
  assert.deepEqual(d.sets[0]!.entryFlags, [0x10, 0x10, 0x10, 0x10, 2, 7, 5, 5, 5, 5]);
  assert.deepEqual(d.slots.slice(0, 2).map((s) => mod.split.name(s.id)), ['nf_conn', 'nf_conn___init']);
});

/** idmap-<K>.txt: "<old> <new>\n" for old = 1 .. N-1. */
function readIdMap(path: string): Uint32Array {
  const lines = gunzipSync(readFileSync(path)).toString('ascii').split('\n').filter(Boolean);
  const map = new Uint32Array(lines.length + 1);
  for (const l of lines) {
    const [o, n] = l.split(' ').map(Number);
    map[o!] = n!;
  }
  return map;
}

test('kernel load (docs/design.md §module-loading): distilled ids remapped through the relocation map == resolve against the relocated split', { skip: skipShared }, () => {
  for (const m of MODULES) {
    const n = shortName(m);
    const dir = join(SHARED!, 'modules', n);
    const mod = loadModule(m);
    // resolve_btfids on a module with .BTF.base: split over its distilled base, no relocation
    const distilled = parseBtf(read(join(dir, 'split.btf')), { base: parseBtf(read(join(dir, 'distilled_base.btf'))) });
    const pristine = zeroBtfIdSlots(mod.layout, unsortBtfIdSets(mod.layout, mod.section, mod.split));
    const pre = resolveBtfIds(mod.elf, pristine, distilled, { layout: mod.layout });
    for (const k of ['6.1.0-47', '6.1.0-55', '6.1.0-55-cloud']) {
      const mapPath = join(dir, `idmap-${k}.txt.gz`);
      if (!existsSync(mapPath) || !existsSync(VMLINUX_BTF(k))) continue;
      const relocated = parseBtf(read(join(dir, `relocated-${k}.btf`)), { base: parseBtf(read(VMLINUX_BTF(k))) });
      const post = resolveBtfIds(mod.elf, pristine, relocated, { layout: mod.layout });
      const loaded = remapForKernelLoad(mod.layout, pre.bytes, readIdMap(mapPath));
      const a = decodeBtfIds(mod.layout, loaded);
      const b = decodeBtfIds(mod.layout, post.bytes);
      const p = decodeBtfIds(mod.layout, pre.bytes);
      assert.deepEqual(a.sets, b.sets, `${n} onto ${k}: kfunc set8`);
      // BTF_ID_LIST slots outside sets keep the pre-relocation ids
      const inSet = (off: number) => mod.layout.sets.some((s) => off >= s.offset && off < s.entriesOffset + s.count * s.entrySize);
      for (let i = 0; i < a.slots.length; i++) if (!inSet(a.slots[i]!.slot.offset)) assert.equal(a.slots[i]!.id, p.slots[i]!.id);
      if (k === '6.1.0-47') assert.deepEqual(a.sets, decodeBtfIds(mod.layout, mod.section).sets, `${n}: back to the original numbering`);
    }
  }
});

test('distill (docs/design.md §resolve_btfids): remap through distillBase idMap == zero + resolve against the distilled module', { skip: skipShared }, () => {
  for (const m of MODULES) {
    const n = shortName(m);
    const mod = loadModule(m);
    const { base, split, idMap } = distillBase(mod.split);
    const remapped = remapForDistill(mod.layout, mod.section, idMap);
    const pristine = zeroBtfIdSlots(mod.layout, unsortBtfIdSets(mod.layout, mod.section, mod.split));
    const again = resolveBtfIds(mod.elf, pristine, split, { layout: mod.layout });
    assert.deepEqual(remapped, again.bytes, n);
    // and the distilled module equals libbpf's (so this is the section pahole + resolve_btfids would write)
    const dir = join(SHARED!, 'modules', n);
    const golden = parseBtf(read(join(dir, 'split.btf')), { base: parseBtf(read(join(dir, 'distilled_base.btf'))) });
    assert.equal(base.typeCount(), golden.base!.typeCount(), n);
    assert.deepEqual(resolveBtfIds(mod.elf, pristine, golden, { layout: mod.layout }).bytes, remapped, n);
  }
});
