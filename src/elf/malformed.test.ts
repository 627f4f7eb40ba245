/**
 * Hostile-input tests: every malformed header, table or string gives a BtfkitError with code
 * 'ELF' and a message naming the field, never a RangeError/TypeError; plus a deterministic
 * mutation fuzzer over the fixtures that runs the reader and the writer on damaged files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseElf, rewriteElf, SHT_PROGBITS, SHT_STRTAB, SHT_SYMTAB, SHN_XINDEX, PT_LOAD } from './index.js';
import { buildElf, headerFields, sectionFields, packSymbols, stringTable } from './synth.js';
import { BtfkitError, isBtfkitError } from '../errors.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/elf/', import.meta.url));
const load = (name: string) => new Uint8Array(readFileSync(FIXTURES + name));

function elfError(fragment: RegExp, code = 'ELF') {
  return (e: unknown) => {
    assert.ok(isBtfkitError(e), `expected a BtfkitError, got ${e instanceof Error ? e.stack : String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, fragment);
    return true;
  };
}

type Cls = 32 | 64;
const VARIANTS: { cls: Cls; le: boolean }[] = [
  { cls: 64, le: true },
  { cls: 64, le: false },
  { cls: 32, le: true },
  { cls: 32, le: false },
];

/** A small valid file with a symbol table, per variant. */
function sample(cls: Cls, le: boolean) {
  const names = stringTable(['alpha', 'beta']);
  return buildElf({
    class: cls,
    littleEndian: le,
    sections: [
      { name: '.text', type: SHT_PROGBITS, data: new Uint8Array(16), align: 4 },
      {
        name: '.symtab',
        type: SHT_SYMTAB,
        link: 3,
        info: 1,
        align: 8,
        entsize: cls === 64 ? 24 : 16,
        data: packSymbols(cls, le, [{ name: 0 }, { name: names.offsets[0]!, shndx: 1 }, { name: names.offsets[1]!, shndx: 1 }]),
      },
      { name: '.strtab', type: SHT_STRTAB, data: names.data },
      { name: '.BTF', type: SHT_PROGBITS, data: new Uint8Array(24) },
    ],
    segments: [{ type: PT_LOAD, offset: 0, filesz: 64 }],
  });
}

class Patcher {
  readonly bytes: Uint8Array;
  readonly dv: DataView;
  constructor(
    src: Uint8Array,
    readonly cls: Cls,
    readonly le: boolean,
  ) {
    this.bytes = src.slice();
    this.dv = new DataView(this.bytes.buffer);
  }
  u16(off: number, v: number) {
    this.dv.setUint16(off, v, this.le);
    return this;
  }
  u32(off: number, v: number) {
    this.dv.setUint32(off, v, this.le);
    return this;
  }
  word(off: number, v: bigint) {
    if (this.cls === 64) this.dv.setBigUint64(off, v, this.le);
    else this.dv.setUint32(off, Number(v & 0xffffffffn), this.le);
    return this;
  }
}

for (const { cls, le } of VARIANTS) {
  const label = `ELF${cls} ${le ? 'LE' : 'BE'}`;
  const r = sample(cls, le);
  const H = headerFields(cls);
  const S = sectionFields(cls);
  const sh = (i: number) => r.shoff + i * (cls === 64 ? 64 : 40);
  const p = () => new Patcher(r.bytes, cls, le);

  test(`${label}: the valid sample parses`, () => {
    const elf = parseElf(r.bytes);
    assert.deepEqual(elf.symbols().map((s) => s.name), ['', 'alpha', 'beta']);
    assert.equal(elf.programHeaders.length, 1);
  });

  test(`${label}: truncated headers`, () => {
    assert.throws(() => parseElf(r.bytes.subarray(0, 10)), elfError(/too short.*10 bytes/));
    assert.throws(() => parseElf(r.bytes.subarray(0, cls === 64 ? 63 : 51)), elfError(/ELF header truncated/));
    // Whole file cut right after the header: the section header table is now past the end.
    assert.throws(() => parseElf(r.bytes.subarray(0, cls === 64 ? 64 : 52)), elfError(/past end of file/));
    // Cut in the middle of the section header table.
    assert.throws(() => parseElf(r.bytes.subarray(0, r.shoff + 70)), elfError(/section header table.*extends past end of file/));
  });

  test(`${label}: bad identification`, () => {
    const b = r.bytes.slice();
    b[0] = 0x7e;
    assert.throws(() => parseElf(b), elfError(/bad magic/));
    const c = r.bytes.slice();
    c[4] = 3;
    assert.throws(() => parseElf(c), elfError(/EI_CLASS/));
    const d = r.bytes.slice();
    d[5] = 0;
    assert.throws(() => parseElf(d), elfError(/EI_DATA/));
  });

  test(`${label}: section header table past end / huge counts`, () => {
    assert.throws(() => parseElf(p().word(H.shoff, BigInt(r.bytes.length - 8)).bytes), elfError(/section header table at offset .* extends past end of file \(size \d+\)/));
    assert.throws(() => parseElf(p().word(H.shoff, 0xffffffffn).bytes), elfError(/section header table at offset 0xffffffff extends past end/));
    if (cls === 64) assert.throws(() => parseElf(p().word(H.shoff, 0xfffffffffffffff0n).bytes), elfError(/section header table at offset >= 2\^53/));
    assert.throws(() => parseElf(p().u16(H.shnum, 0xfeff).bytes), elfError(/65279 entries.*extends past end/));
    // e_shnum == 0 escape with an absurd count in section 0's sh_size.
    assert.throws(() => parseElf(p().u16(H.shnum, 0).word(sh(0) + S.size, 0xffffffffn).bytes), elfError(/4294967295 entries.*extends past end/));
    try {
      parseElf(p().u16(H.shnum, 0xfeff).bytes);
    } catch (e) {
      assert.equal((e as BtfkitError).where.offset, r.shoff);
    }
  });

  test(`${label}: bad e_shentsize / e_phentsize`, () => {
    assert.throws(() => parseElf(p().u16(H.shentsize, cls === 64 ? 40 : 64).bytes), elfError(/bad e_shentsize/));
    assert.throws(() => parseElf(p().u16(H.shentsize, 0).bytes), elfError(/bad e_shentsize 0/));
    assert.throws(() => parseElf(p().u16(H.phentsize, 1).bytes), elfError(/bad e_phentsize 1/));
  });

  test(`${label}: bad e_shstrndx`, () => {
    assert.throws(() => parseElf(p().u16(H.shstrndx, 99).bytes), elfError(/bad e_shstrndx 99: the file has 6 sections/));
    assert.throws(() => parseElf(p().u16(H.shstrndx, 1).bytes), elfError(/bad e_shstrndx 1: section 1 has type 1, not SHT_STRTAB/));
    // SHN_XINDEX escape pointing nowhere.
    assert.throws(() => parseElf(p().u16(H.shstrndx, SHN_XINDEX).u32(sh(0) + S.link, 1000).bytes), elfError(/bad e_shstrndx 1000/));
    // e_shstrndx == 0: no names, but the file still parses.
    const elf = parseElf(p().u16(H.shstrndx, 0).bytes);
    assert.ok(elf.sections.every((s) => s.name === ''));
  });

  test(`${label}: section data past end, huge offsets and sizes`, () => {
    const len = r.bytes.length;
    assert.throws(() => parseElf(p().word(sh(4) + S.size, BigInt(len)).bytes), elfError(/section 4: data at offset .* with sh_size .* extends past end of file/));
    assert.throws(() => parseElf(p().word(sh(4) + S.offset, BigInt(len + 1)).bytes), elfError(/section 4: data at offset/));
    assert.throws(() => parseElf(p().word(sh(1) + S.size, cls === 64 ? 0xffffffffffffffffn : 0xffffffffn).bytes), elfError(/section 1: .*extends past end/));
    assert.throws(() => parseElf(p().word(sh(1) + S.offset, cls === 64 ? 0x7fffffffffffffffn : 0xfffffff0n).bytes), elfError(/section 1: .*extends past end/));
    // Overlapping offset/size whose sum would wrap in 32-bit arithmetic.
    assert.throws(() => parseElf(p().word(sh(1) + S.offset, 0x10n).word(sh(1) + S.size, 0xfffffff8n).bytes), elfError(/past end/));
    try {
      parseElf(p().word(sh(4) + S.size, BigInt(len)).bytes);
    } catch (e) {
      assert.equal((e as BtfkitError).where.offset, sh(4));
    }
  });

  test(`${label}: bad section names`, () => {
    assert.throws(() => parseElf(p().u32(sh(2) + S.name, 0x7fff).bytes), elfError(/section 2 name: string offset 32767 is outside/));
    // Name table without a terminating NUL.
    const shstr = r.offsets[5]!;
    const names = r.bytes.subarray(shstr, r.bytes.length).indexOf(0, 1);
    assert.ok(names > 0);
    const q = p();
    q.word(sh(5) + S.size, BigInt(names)); // cut before the NUL of the first name
    q.u32(sh(1) + S.name, 1);
    assert.throws(() => parseElf(q.bytes), elfError(/not NUL-terminated/));
  });

  test(`${label}: symbol table with bad link, entsize, size or names`, () => {
    const bad = (x: Patcher, re: RegExp) => {
      const elf = parseElf(x.bytes); // sections are fine
      assert.throws(() => elf.symbols(), elfError(re));
    };
    bad(p().u32(sh(2) + S.link, 0), /sh_link 0 is not a valid section index/);
    bad(p().u32(sh(2) + S.link, 77), /sh_link 77 is not a valid section index/);
    bad(p().u32(sh(2) + S.link, 1), /sh_link 1 points to section \.text of type 1, not SHT_STRTAB/);
    bad(p().word(sh(2) + S.entsize, 8n), /sh_entsize is 8/);
    bad(p().word(sh(2) + S.size, BigInt(cls === 64 ? 25 : 17)), /not a multiple of its entry size/);
    const symOff = r.offsets[2]! + (cls === 64 ? 24 : 16);
    bad(p().u32(symOff, 9999), /symbol 1 name: string offset 9999 is outside/);
    bad(p().u16(symOff + (cls === 64 ? 6 : 14), SHN_XINDEX), /SHN_XINDEX but there is no SHT_SYMTAB_SHNDX/);
    // Two symbol tables.
    const two = p().u32(sh(4) + S.type, SHT_SYMTAB);
    assert.throws(() => parseElf(two.bytes).symbols(), elfError(/multiple symbol tables/));
  });

  test(`${label}: program header table and segments past end`, () => {
    const H2 = H;
    assert.throws(() => parseElf(p().word(H2.phoff, BigInt(r.bytes.length - 4)).bytes), elfError(/program header table .* extends past end/));
    assert.throws(() => parseElf(p().u16(H2.phnum, 0xfffe).bytes), elfError(/program header table/));
    const ph = cls === 64 ? 64 : 52;
    const fileszAt = ph + (cls === 64 ? 32 : 16);
    assert.throws(() => parseElf(p().word(fileszAt, 0xffffffffn).bytes), elfError(/program header 0: segment .* extends past end/));
  });

  test(`${label}: relocation section with a bad size`, () => {
    const q = p().u32(sh(4) + S.type, 4 /* SHT_RELA */);
    const elf = parseElf(q.bytes);
    const rel = elf.relocationSections()[0]!;
    assert.equal(rel.section.name, '.BTF');
    assert.equal(elf.relocations(rel).length, cls === 64 ? 1 : 2); // 24 bytes
    q.word(sh(4) + S.size, 20n);
    const bad = parseElf(q.bytes);
    assert.throws(() => bad.relocations(bad.relocationSections()[0]!), elfError(new RegExp(`size 20 is not a multiple of its entry size ${cls === 64 ? 24 : 12}`)));
  });
}

test('string decoding budget: heavily overlapping names fail instead of blowing up', { timeout: 60_000 }, () => {
  // 20000 sections whose names all start inside one 60 KB name without NUL until its end.
  const n = 20000;
  const long = 'x'.repeat(60000);
  const r = buildElf({ class: 64, littleEndian: true, sections: Array.from({ length: n }, () => ({ name: long, type: SHT_PROGBITS })) });
  const b = r.bytes.slice();
  const dv = new DataView(b.buffer);
  for (let i = 1; i <= n; i++) dv.setUint32(r.shoff + i * 64, 1 + (i % 50000), true);
  // Each name is ~60 KB: 20000 of them would be ~1.2 GB of text; the budget (the file's size)
  // refuses them (the timeout is a hang guard only).
  assert.throws(() => parseElf(b), elfError(/more text than the file can hold/));
});

// ---------------------------------------------------------------- fuzzing

/** Deterministic xorshift32. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

test('fuzz: mutated fixtures never throw anything but BtfkitError (reader and writer)', (t) => {
  const files: Uint8Array[] = ['elf64le.o', 'elf32le.o', 'elf64be.o', 'elf32be.o', 'exec64le.elf', 'btf64le.o'].map(load);
  files.push(...VARIANTS.map((v) => sample(v.cls, v.le).bytes));
  const next = rng(0xb7f);
  let parsed = 0;
  let rejected = 0;
  for (let iter = 0; iter < 20000; iter++) {
    const src = files[iter % files.length]!;
    const b = src.slice();
    const cls = b[4] === 2 ? 64 : 32;
    const shoff = new DataView(b.buffer).getUint32(cls === 64 ? 40 : 32, b[5] === 1);
    const mutations = 1 + (next() % 4);
    for (let m = 0; m < mutations; m++) {
      // Aim most mutations at the headers, where the structure is.
      const where = next() % 3;
      let pos: number;
      if (where === 0) pos = next() % Math.min(64, b.length);
      else if (where === 1 && shoff < b.length) pos = shoff + (next() % (b.length - shoff));
      else pos = next() % b.length;
      const kind = next() % 4;
      if (kind === 0) b[pos] = next() & 0xff;
      else if (kind === 1) b[pos] = 0xff;
      else if (kind === 2) b[pos] = 0;
      else b[pos]! ^= 1 << (next() % 8);
    }
    const cut = next() % 10 === 0 ? b.subarray(0, next() % b.length) : b;
    try {
      const elf = parseElf(cut);
      for (const s of elf.sections) elf.sectionData(s);
      elf.symbols();
      for (const r of elf.relocationSections()) elf.relocations(r);
      const target = elf.sections.find((s) => s.index > 0 && s.type !== 8 && s.index !== elf.shstrndx);
      const replace = new Map<string, Uint8Array>();
      if (target) replace.set(target.name, new Uint8Array(next() % 300));
      const out = rewriteElf(elf, { replace, add: [{ name: '.fuzz.' + iter, data: new Uint8Array(next() % 64), align: 1 << (next() % 5) }] });
      const again = parseElf(out);
      assert.equal(again.sections.length, elf.sections.length + 1);
      parsed++;
    } catch (e) {
      if (!(e instanceof BtfkitError)) {
        assert.fail(`iteration ${iter}: ${e instanceof Error ? e.stack : String(e)}`);
      }
      assert.ok(e.code === 'ELF' || e.code === 'ELF_NO_SECTION', e.code);
      rejected++;
    }
  }
  t.diagnostic(`parsed and rewritten ${parsed}, rejected ${rejected}`);
  assert.ok(parsed > 100 && rejected > 100, `parsed ${parsed}, rejected ${rejected}`);
});
