/**
 * Reader tests: every committed fixture parsed and checked against facts taken from
 * `readelf -hSsrW` on that file (written down below, so readelf is not needed), plus
 * escapes (SHN_XINDEX, e_shnum == 0, SHT_SYMTAB_SHNDX) on synthetic files, and an optional
 * cross-check against the real readelf (skipped when it is missing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseElf, isElf, SHT_SYMTAB, SHT_STRTAB, SHT_PROGBITS, SHT_SYMTAB_SHNDX, SHN_XINDEX, SHF_ALLOC } from './index.js';
import { buildElf, packSymbols, stringTable } from './synth.js';
import { cacheDir } from '../testing/fixtures.js';
import { join } from 'node:path';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/elf/', import.meta.url));
const load = (name: string) => new Uint8Array(readFileSync(FIXTURES + name));

type SecFact = [name: string, type: number, addr: string, offset: number, size: number, entsize: number, flags: number, link: number, info: number, align: number];
type SymFact = [name: string, value: string, size: number, type: number, bind: number, shndx: number];
interface Facts {
  header: { cls: number; le: boolean; type: number; machine: number; entry: string; shoff: number; shnum: number; shstrndx: number; phnum: number };
  sections: SecFact[];
  symbols: SymFact[];
  relocs: [name: string, target: number][];
}

// From readelf -hSsW (binutils 2.40) on the committed fixtures.
const FACTS: Record<string, Facts> = {
  'elf64le.o': {
    header: {"cls": 64, "le": true, "type": 1, "machine": 62, "entry": "0x0", "shoff": 1128, "shnum": 13, "shstrndx": 12, "phnum": 0},
    sections: [
      ["", 0, "0x0", 0, 0, 0, 0, 0, 0, 0],
      [".text", 1, "0x0", 64, 102, 0, 6, 0, 0, 16],
      [".rela.text", 4, "0x0", 760, 216, 24, 64, 10, 1, 8],
      [".data", 1, "0x0", 168, 8, 0, 3, 0, 0, 4],
      [".bss", 8, "0x0", 176, 4, 0, 3, 0, 0, 4],
      [".BTF_ids", 1, "0x0", 176, 16, 0, 3, 0, 0, 16],
      [".rodata", 1, "0x0", 192, 11, 0, 2, 0, 0, 8],
      [".note.GNU-stack", 1, "0x0", 203, 0, 0, 0, 0, 0, 1],
      [".eh_frame", 1, "0x0", 208, 88, 0, 2, 0, 0, 8],
      [".rela.eh_frame", 4, "0x0", 976, 48, 24, 64, 10, 8, 8],
      [".symtab", 2, "0x0", 296, 336, 24, 0, 11, 7, 8],
      [".strtab", 3, "0x0", 632, 124, 0, 0, 0, 0, 1],
      [".shstrtab", 3, "0x0", 1024, 97, 0, 0, 0, 0, 1],
    ],
    symbols: [
      ["", "0x0", 0, 0, 0, 0],
      ["simple.c", "0x0", 0, 4, 0, 65521],
      [".text", "0x0", 0, 3, 0, 1],
      [".data", "0x0", 0, 3, 0, 3],
      ["local_state", "0x0", 4, 1, 0, 3],
      ["btf_ids", "0x0", 16, 1, 0, 5],
      [".BTF_ids", "0x0", 0, 3, 0, 5],
      ["weak_hook", "0x0", 4, 2, 2, 1],
      ["simple_entry", "0x10", 86, 2, 1, 1],
      ["external_fn", "0x0", 0, 0, 1, 0],
      ["initialized_global", "0x4", 4, 1, 1, 3],
      ["external_counter", "0x0", 0, 0, 1, 0],
      ["zeroed_global", "0x0", 4, 1, 1, 4],
      ["greeting", "0x0", 11, 1, 1, 6],
    ],
    relocs: [[".rela.text", 1], [".rela.eh_frame", 8]],
  },
  'elf32le.o': {
    header: {"cls": 32, "le": true, "type": 1, "machine": 3, "entry": "0x0", "shoff": 832, "shnum": 13, "shstrndx": 12, "phnum": 0},
    sections: [
      ["", 0, "0x0", 0, 0, 0, 0, 0, 0, 0],
      [".text", 1, "0x0", 64, 103, 0, 6, 0, 0, 16],
      [".rel.text", 9, "0x0", 648, 72, 8, 64, 10, 1, 4],
      [".data", 1, "0x0", 168, 8, 0, 3, 0, 0, 4],
      [".bss", 8, "0x0", 176, 4, 0, 3, 0, 0, 4],
      [".BTF_ids", 1, "0x0", 176, 16, 0, 3, 0, 0, 4],
      [".rodata", 1, "0x0", 192, 11, 0, 2, 0, 0, 4],
      [".note.GNU-stack", 1, "0x0", 203, 0, 0, 0, 0, 0, 1],
      [".eh_frame", 1, "0x0", 204, 96, 0, 2, 0, 0, 4],
      [".rel.eh_frame", 9, "0x0", 720, 16, 8, 64, 10, 8, 4],
      [".symtab", 2, "0x0", 300, 224, 16, 0, 11, 7, 4],
      [".strtab", 3, "0x0", 524, 124, 0, 0, 0, 0, 1],
      [".shstrtab", 3, "0x0", 736, 95, 0, 0, 0, 0, 1],
    ],
    symbols: [
      ["", "0x0", 0, 0, 0, 0],
      ["simple.c", "0x0", 0, 4, 0, 65521],
      [".text", "0x0", 0, 3, 0, 1],
      [".data", "0x0", 0, 3, 0, 3],
      ["local_state", "0x0", 4, 1, 0, 3],
      ["btf_ids", "0x0", 16, 1, 0, 5],
      [".BTF_ids", "0x0", 0, 3, 0, 5],
      ["weak_hook", "0x0", 8, 2, 2, 1],
      ["simple_entry", "0x10", 87, 2, 1, 1],
      ["external_fn", "0x0", 0, 0, 1, 0],
      ["external_counter", "0x0", 0, 0, 1, 0],
      ["zeroed_global", "0x0", 4, 1, 1, 4],
      ["initialized_global", "0x4", 4, 1, 1, 3],
      ["greeting", "0x0", 11, 1, 1, 6],
    ],
    relocs: [[".rel.text", 1], [".rel.eh_frame", 8]],
  },
  'elf64be.o': {
    header: {"cls": 64, "le": false, "type": 1, "machine": 22, "entry": "0x0", "shoff": 1216, "shnum": 13, "shstrndx": 12, "phnum": 0},
    sections: [
      ["", 0, "0x0", 0, 0, 0, 0, 0, 0, 0],
      [".text", 1, "0x0", 64, 144, 0, 6, 0, 0, 8],
      [".rela.text", 4, "0x0", 896, 168, 24, 64, 10, 1, 8],
      [".data", 1, "0x0", 208, 8, 0, 3, 0, 0, 4],
      [".bss", 8, "0x0", 216, 4, 0, 3, 0, 0, 4],
      [".rodata", 1, "0x0", 216, 16, 0, 2, 0, 0, 8],
      [".BTF_ids", 1, "0x0", 232, 16, 0, 3, 0, 0, 4],
      [".note.GNU-stack", 1, "0x0", 248, 0, 0, 0, 0, 0, 1],
      [".eh_frame", 1, "0x0", 248, 88, 0, 2, 0, 0, 8],
      [".rela.eh_frame", 4, "0x0", 1064, 48, 24, 64, 10, 8, 8],
      [".symtab", 2, "0x0", 336, 432, 24, 0, 11, 11, 8],
      [".strtab", 3, "0x0", 768, 124, 0, 0, 0, 0, 1],
      [".shstrtab", 3, "0x0", 1112, 97, 0, 0, 0, 0, 1],
    ],
    symbols: [
      ["", "0x0", 0, 0, 0, 0],
      ["simple.c", "0x0", 0, 4, 0, 65521],
      [".text", "0x0", 0, 3, 0, 1],
      [".data", "0x0", 0, 3, 0, 3],
      [".bss", "0x0", 0, 3, 0, 4],
      [".rodata", "0x0", 0, 3, 0, 5],
      ["local_state", "0x0", 4, 1, 0, 3],
      [".BTF_ids", "0x0", 0, 3, 0, 6],
      ["btf_ids", "0x0", 16, 1, 0, 6],
      [".note.GNU-stack", "0x0", 0, 3, 0, 7],
      [".eh_frame", "0x0", 0, 3, 0, 8],
      ["weak_hook", "0x0", 10, 2, 2, 1],
      ["simple_entry", "0x10", 124, 2, 1, 1],
      ["external_fn", "0x0", 0, 0, 1, 0],
      ["external_counter", "0x0", 0, 0, 1, 0],
      ["greeting", "0x0", 11, 1, 1, 5],
      ["zeroed_global", "0x0", 4, 1, 1, 4],
      ["initialized_global", "0x4", 4, 1, 1, 3],
    ],
    relocs: [[".rela.text", 1], [".rela.eh_frame", 8]],
  },
  'elf32be.o': {
    header: {"cls": 32, "le": false, "type": 1, "machine": 22, "entry": "0x0", "shoff": 924, "shnum": 13, "shstrndx": 12, "phnum": 0},
    sections: [
      ["", 0, "0x0", 0, 0, 0, 0, 0, 0, 0],
      [".text", 1, "0x0", 56, 128, 0, 6, 0, 0, 8],
      [".rela.text", 4, "0x0", 716, 84, 12, 64, 10, 1, 4],
      [".data", 1, "0x0", 184, 8, 0, 3, 0, 0, 4],
      [".bss", 8, "0x0", 192, 4, 0, 3, 0, 0, 4],
      [".rodata", 1, "0x0", 192, 12, 0, 2, 0, 0, 4],
      [".BTF_ids", 1, "0x0", 204, 16, 0, 3, 0, 0, 4],
      [".note.GNU-stack", 1, "0x0", 220, 0, 0, 0, 0, 0, 1],
      [".eh_frame", 1, "0x0", 220, 84, 0, 2, 0, 0, 4],
      [".rela.eh_frame", 4, "0x0", 800, 24, 12, 64, 10, 8, 4],
      [".symtab", 2, "0x0", 304, 288, 16, 0, 11, 11, 4],
      [".strtab", 3, "0x0", 592, 124, 0, 0, 0, 0, 1],
      [".shstrtab", 3, "0x0", 824, 97, 0, 0, 0, 0, 1],
    ],
    symbols: [
      ["", "0x0", 0, 0, 0, 0],
      ["simple.c", "0x0", 0, 4, 0, 65521],
      [".text", "0x0", 0, 3, 0, 1],
      [".data", "0x0", 0, 3, 0, 3],
      [".bss", "0x0", 0, 3, 0, 4],
      [".rodata", "0x0", 0, 3, 0, 5],
      ["local_state", "0x0", 4, 1, 0, 3],
      [".BTF_ids", "0x0", 0, 3, 0, 6],
      ["btf_ids", "0x0", 16, 1, 0, 6],
      [".note.GNU-stack", "0x0", 0, 3, 0, 7],
      [".eh_frame", "0x0", 0, 3, 0, 8],
      ["weak_hook", "0x0", 6, 2, 2, 1],
      ["simple_entry", "0x8", 120, 2, 1, 1],
      ["external_fn", "0x0", 0, 0, 1, 0],
      ["external_counter", "0x0", 0, 0, 1, 0],
      ["greeting", "0x0", 11, 1, 1, 5],
      ["zeroed_global", "0x0", 4, 1, 1, 4],
      ["initialized_global", "0x4", 4, 1, 1, 3],
    ],
    relocs: [[".rela.text", 1], [".rela.eh_frame", 8]],
  },
  'exec64le.elf': {
    header: {"cls": 64, "le": true, "type": 2, "machine": 62, "entry": "0x4000f0", "shoff": 568, "shnum": 7, "shstrndx": 6, "phnum": 3},
    sections: [
      ["", 0, "0x0", 0, 0, 0, 0, 0, 0, 0],
      [".text", 1, "0x4000f0", 240, 12, 0, 6, 0, 0, 16],
      [".eh_frame", 1, "0x400100", 256, 44, 0, 2, 0, 0, 8],
      [".bss", 8, "0x401000", 4096, 8, 0, 3, 0, 0, 4],
      [".symtab", 2, "0x0", 304, 168, 24, 0, 5, 2, 8],
      [".strtab", 3, "0x0", 472, 43, 0, 0, 0, 0, 1],
      [".shstrtab", 3, "0x0", 515, 48, 0, 0, 0, 0, 1],
    ],
    symbols: [
      ["", "0x0", 0, 0, 0, 0],
      ["start.c", "0x0", 0, 4, 0, 65521],
      ["exit_code", "0x401000", 4, 1, 1, 3],
      ["_start", "0x4000f0", 12, 2, 1, 1],
      ["__bss_start", "0x401000", 0, 0, 1, 3],
      ["_edata", "0x401000", 0, 0, 1, 3],
      ["_end", "0x401008", 0, 0, 1, 3],
    ],
    relocs: [],
  },
  'btf64le.o': {
    header: {"cls": 64, "le": true, "type": 1, "machine": 62, "entry": "0x0", "shoff": 856, "shnum": 12, "shstrndx": 11, "phnum": 0},
    sections: [
      ["", 0, "0x0", 0, 0, 0, 0, 0, 0, 0],
      [".text", 1, "0x0", 64, 63, 0, 6, 0, 0, 16],
      [".data", 1, "0x0", 127, 0, 0, 3, 0, 0, 1],
      [".bss", 8, "0x0", 127, 0, 0, 3, 0, 0, 1],
      [".BTF_ids", 1, "0x0", 128, 8, 0, 3, 0, 0, 8],
      [".note.GNU-stack", 1, "0x0", 136, 0, 0, 0, 0, 0, 1],
      [".eh_frame", 1, "0x0", 136, 48, 0, 2, 0, 0, 8],
      [".rela.eh_frame", 4, "0x0", 736, 24, 24, 64, 9, 6, 8],
      [".BTF", 1, "0x0", 184, 431, 0, 0, 0, 0, 1],
      [".symtab", 2, "0x0", 616, 96, 24, 0, 10, 3, 8],
      [".strtab", 3, "0x0", 712, 22, 0, 0, 0, 0, 1],
      [".shstrtab", 3, "0x0", 760, 89, 0, 0, 0, 0, 1],
    ],
    symbols: [
      ["", "0x0", 0, 0, 0, 0],
      [".text", "0x0", 0, 3, 0, 1],
      ["shape_ids", "0x0", 8, 1, 0, 4],
      ["shape_area", "0x0", 63, 2, 1, 1],
    ],
    relocs: [[".rela.eh_frame", 6]],
  },
};

for (const [file, facts] of Object.entries(FACTS)) {
  test(`parse ${file}: header, sections, symbols, relocation sections match readelf`, () => {
    const bytes = load(file);
    assert.ok(isElf(bytes));
    const elf = parseElf(bytes);
    const h = elf.header;
    assert.equal(h.class, facts.header.cls);
    assert.equal(h.littleEndian, facts.header.le);
    assert.equal(h.type, facts.header.type);
    assert.equal(h.machine, facts.header.machine);
    assert.equal(h.entry, BigInt(facts.header.entry));
    assert.equal(h.shoff, facts.header.shoff);
    assert.equal(elf.sections.length, facts.header.shnum);
    assert.equal(elf.shstrndx, facts.header.shstrndx);
    assert.equal(elf.programHeaders.length, facts.header.phnum);
    assert.equal(elf.sections.length, facts.sections.length);
    facts.sections.forEach(([name, type, addr, offset, size, entsize, flags, link, info, align], i) => {
      const s = elf.sections[i]!;
      assert.deepEqual(
        { index: s.index, name: s.name, type: s.type, addr: s.addr, offset: s.offset, size: s.size, entsize: s.entsize, flags: s.flags, link: s.link, info: s.info, align: s.addralign },
        { index: i, name, type, addr: BigInt(addr), offset, size, entsize, flags, link, info, align },
        `section ${i} ${name}`,
      );
      if (i > 0) assert.equal(elf.section(name), s);
      const data = elf.sectionData(s);
      assert.equal(data.length, type === 8 ? 0 : size);
      if (data.length > 0) {
        assert.equal(data.buffer, bytes.buffer, 'zero-copy');
        assert.equal(data.byteOffset, bytes.byteOffset + offset);
      }
    });
    const syms = elf.symbols();
    assert.equal(syms.length, facts.symbols.length);
    facts.symbols.forEach(([name, value, size, type, bind, shndx], i) => {
      const s = syms[i]!;
      assert.deepEqual(
        { name: s.name, value: s.value, size: s.size, type: s.type, bind: s.bind, shndx: s.shndx },
        // readelf shows a section symbol under its section's name; st_name itself is 0.
        { name: type === 3 ? '' : name, value: BigInt(value), size: BigInt(size), type, bind, shndx },
        `symbol ${i} ${name}`,
      );
    });
    assert.equal(elf.symbols(), syms, 'symbols are cached');
    assert.deepEqual(
      elf.relocationSections().map((r) => [r.section.name, r.target]),
      facts.relocs,
    );
  });
}

test('relocation entries match readelf -r (first two of .rel[a].text)', () => {
  const expect: Record<string, { offset: bigint; type: number; sym: number; addend: bigint }[]> = {
    'elf64le.o': [
      { offset: 0x19n, type: 4, sym: 9, addend: -4n },
      { offset: 0x1fn, type: 2, sym: 10, addend: -4n },
    ],
    'elf32le.o': [
      { offset: 0x1bn, type: 2, sym: 9, addend: 0n },
      { offset: 0x21n, type: 1, sym: 10, addend: 0n },
    ],
    'elf64be.o': [
      { offset: 0x22n, type: 0x14, sym: 13, addend: 2n },
      { offset: 0x28n, type: 0x13, sym: 3, addend: 2n },
    ],
    'elf32be.o': [
      { offset: 0x14n, type: 0x13, sym: 13, addend: 2n },
      { offset: 0x1an, type: 0x13, sym: 3, addend: 2n },
    ],
  };
  for (const [file, want] of Object.entries(expect)) {
    const elf = parseElf(load(file));
    const rs = elf.relocationSections()[0]!;
    assert.equal(rs.rela, file !== 'elf32le.o');
    const rel = elf.relocations(rs);
    assert.equal(rel.length, file.startsWith('elf64be') || file.startsWith('elf32be') ? 7 : 9, file);
    assert.deepEqual(rel.slice(0, 2), want, file);
  }
});

test('section contents are read in the file byte order', () => {
  const be = parseElf(load('elf32be.o'));
  assert.equal(new TextDecoder().decode(be.sectionData(be.requireSection('.rodata'))), 'hello, btf\0\0');
  const le = parseElf(load('elf64le.o'));
  assert.deepEqual([...le.sectionData(le.requireSection('.BTF_ids'))], new Array(16).fill(0));
});

test('btf64le.o carries a .BTF section with the BTF magic', () => {
  const elf = parseElf(load('btf64le.o'));
  const btf = elf.sectionData(elf.requireSection('.BTF'));
  assert.equal(btf[0], 0x9f);
  assert.equal(btf[1], 0xeb);
});

test('requireSection: missing section is ELF_NO_SECTION', () => {
  const elf = parseElf(load('elf64le.o'));
  assert.equal(elf.section('.BTF'), undefined);
  assert.throws(() => elf.requireSection('.BTF'), (e: any) => e.code === 'ELF_NO_SECTION' && /\.BTF/.test(e.message) && e.errno === 61);
});

test('program headers of the executable fixture', () => {
  const elf = parseElf(load('exec64le.elf'));
  assert.deepEqual(
    elf.programHeaders.map((p) => [p.type, p.offset, p.vaddr, p.filesz, p.memsz, p.flags, p.align]),
    [
      [1, 0, 0x400000n, 0x12c, 0x12cn, 5, 0x1000n],
      [1, 0, 0x401000n, 0, 8n, 6, 0x1000n],
      [0x6474e551, 0, 0n, 0, 0n, 6, 0x10n],
    ],
  );
  // .bss (SHT_NOBITS) lies past the end of the file: legal, and its data is empty.
  const bss = elf.requireSection('.bss');
  assert.ok(bss.offset > elf.bytes.length);
  assert.equal(elf.sectionData(bss).length, 0);
});

test('repeated section name: the last one wins (libbpf behaviour)', () => {
  for (const cls of [32, 64] as const) {
    for (const le of [true, false]) {
      const r = buildElf({
        class: cls,
        littleEndian: le,
        sections: [
          { name: '.BTF', type: SHT_PROGBITS, data: new Uint8Array([1, 2, 3]) },
          { name: '.BTF', type: SHT_PROGBITS, data: new Uint8Array([4, 5]) },
        ],
      });
      const elf = parseElf(r.bytes);
      assert.equal(elf.section('.BTF')!.index, 2);
      assert.deepEqual([...elf.sectionData(elf.section('.BTF')!)], [4, 5]);
    }
  }
});

test('SHN_XINDEX escapes: e_shnum == 0, e_shstrndx == SHN_XINDEX, SHT_SYMTAB_SHNDX', () => {
  for (const cls of [32, 64] as const) {
    for (const le of [true, false]) {
      const names = stringTable(['big_sym', 'small_sym']);
      // Extended index table: entry i holds the real index of symbol i.
      const shndx = new Uint8Array(12);
      new DataView(shndx.buffer).setUint32(4, 70000, le);
      const r = buildElf({
        class: cls,
        littleEndian: le,
        escapeShnum: true,
        escapeShstrndx: true,
        sections: [
          { name: '.text', type: SHT_PROGBITS, flags: SHF_ALLOC | 4, data: new Uint8Array(8), align: 4 },
          {
            name: '.symtab',
            type: SHT_SYMTAB,
            link: 3,
            info: 1,
            entsize: cls === 64 ? 24 : 16,
            align: 8,
            data: packSymbols(cls, le, [{ name: 0 }, { name: names.offsets[0]!, shndx: SHN_XINDEX, info: 0x11 }, { name: names.offsets[1]!, shndx: 1, info: 0x12 }]),
          },
          { name: '.strtab', type: SHT_STRTAB, data: names.data },
          { name: '.symtab_shndx', type: SHT_SYMTAB_SHNDX, link: 2, entsize: 4, align: 4, data: shndx },
        ],
      });
      const elf = parseElf(r.bytes);
      assert.equal(elf.header.shnum, 0);
      assert.equal(elf.header.shstrndx, SHN_XINDEX);
      assert.ok(elf.shnumEscaped);
      assert.equal(elf.sections.length, 6);
      assert.equal(elf.shstrndx, 5);
      assert.equal(elf.sections[5]!.name, '.shstrtab');
      const syms = elf.symbols();
      assert.deepEqual(
        syms.map((s) => [s.name, s.shndx, s.rawShndx, s.bind, s.type]),
        [
          ['', 0, 0, 0, 0],
          ['big_sym', 70000, SHN_XINDEX, 1, 1],
          ['small_sym', 1, 1, 1, 2],
        ],
      );
    }
  }
});

test('more than 0xff00 sections (synthetic, escapes required)', () => {
  const n = 0xff10;
  const sections = [];
  for (let i = 0; i < n; i++) sections.push({ name: i % 2 ? '.a' : '.b', type: SHT_PROGBITS, data: new Uint8Array(0) });
  const r = buildElf({ class: 64, littleEndian: true, escapeShnum: true, escapeShstrndx: true, sections });
  const elf = parseElf(r.bytes);
  assert.equal(elf.sections.length, n + 2);
  assert.equal(elf.shstrndx, n + 1);
  assert.equal(elf.section('.a')!.index, n);
});

const VMLINUX_DIR = join(cacheDir(), 'vmlinux');
test('a large vmlinux: parseElf reads the section table only; section data are views of the input, not copies (its speed: npm run bench)', (t) => {
  const path = ['vmlinux-6.1.0-47-amd64', 'vmlinux-6.1.0-55-amd64'].map((n) => join(VMLINUX_DIR, n)).find((p) => existsSync(p));
  if (!path) return t.skip('no vmlinux in ' + VMLINUX_DIR);
  const bytes = new Uint8Array(readFileSync(path));
  const elf = parseElf(bytes);
  const btf = elf.sectionData(elf.requireSection('.BTF'));
  assert.equal(btf[0], 0x9f);
  assert.equal(btf.buffer, bytes.buffer);
  t.diagnostic(`parseElf(${bytes.length} bytes, ${elf.sections.length} sections)`);
});

function hasTool(name: string): boolean {
  try {
    execFileSync(name, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('cross-check with the real readelf (skipped when readelf is missing)', (t) => {
  if (!hasTool('readelf')) return t.skip('readelf not installed');
  for (const file of Object.keys(FACTS)) {
    const out = execFileSync('readelf', ['-SW', FIXTURES + file], { encoding: 'utf8' });
    const elf = parseElf(load(file));
    for (const s of elf.sections) {
      if (s.index === 0) continue;
      const re = new RegExp(`\\[\\s*${s.index}\\] (\\S+)\\s+\\S+\\s+[0-9a-f]+ ([0-9a-f]+) ([0-9a-f]+)`);
      const m = re.exec(out);
      assert.ok(m, `${file}: section ${s.index} in readelf output`);
      assert.equal(m[1], s.name);
      assert.equal(parseInt(m[2]!, 16), s.offset);
      assert.equal(parseInt(m[3]!, 16), s.size);
    }
  }
});
