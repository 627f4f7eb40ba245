/**
 * clearModuleInit: only the relocation that sets `struct module.init` is neutralised, every
 * other byte of the module stays as it was (synthetic ELF64 of both byte orders, and a real
 * module of the corpus when it is there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseElf, SHT_PROGBITS, SHT_RELA, SHT_STRTAB, SHT_SYMTAB } from '../../src/elf/index.js';
import { buildElf, packSymbols, stringTable } from '../../src/elf/synth.js';
import { unpackBytes } from '../../src/node/decompress.js';
import { modulesDir } from '../corpus-paths.js';
import { clearModuleInit, THIS_MODULE_RELA } from './clear-init.js';

const R_X86_64_64 = 1;

function rela(le: boolean, entries: { off: number; sym: number; type: number; addend: number }[]): Uint8Array {
  const b = new Uint8Array(entries.length * 24);
  const dv = new DataView(b.buffer);
  entries.forEach((e, i) => {
    dv.setBigUint64(i * 24, BigInt(e.off), le);
    dv.setBigUint64(i * 24 + 8, (BigInt(e.sym) << 32n) | BigInt(e.type), le);
    dv.setBigInt64(i * 24 + 16, BigInt(e.addend), le);
  });
  return b;
}

/** A module-shaped ELF: this_module, its RELA against init_module/cleanup_module, a symtab. */
function synthModule(le: boolean, withInit = true): Uint8Array {
  const str = stringTable(['init_module', 'cleanup_module', 'other']);
  // sections: 1 .gnu.linkonce.this_module, 2 .rela..., 3 .symtab, 4 .strtab, 5 .text
  const syms = packSymbols(64, le, [
    { name: 0 },
    { name: str.offsets[0]!, info: 0x12, shndx: 5, value: 0x10n },
    { name: str.offsets[1]!, info: 0x12, shndx: 5, value: 0x20n },
    { name: str.offsets[2]!, info: 0x12, shndx: 5, value: 0x30n },
  ]);
  const relocs = [
    ...(withInit ? [{ off: 0x138, sym: 1, type: R_X86_64_64, addend: 0 }] : []),
    { off: 0x3c8, sym: 2, type: R_X86_64_64, addend: 0 },
    { off: 0x40, sym: 3, type: R_X86_64_64, addend: 8 },
  ];
  return buildElf({
    class: 64, littleEndian: le, type: 1, machine: 62,
    sections: [
      { name: '.gnu.linkonce.this_module', type: SHT_PROGBITS, flags: 3, data: new Uint8Array(0x500), align: 64 },
      { name: THIS_MODULE_RELA, type: SHT_RELA, flags: 0x40, data: rela(le, relocs), link: 3, info: 1, align: 8, entsize: 24 },
      { name: '.symtab', type: SHT_SYMTAB, data: syms, link: 4, info: 1, align: 8, entsize: 24 },
      { name: '.strtab', type: SHT_STRTAB, data: str.data },
      { name: '.text', type: SHT_PROGBITS, flags: 6, data: new Uint8Array(0x40).fill(0xcc), align: 16 },
    ],
  }).bytes;
}

function relocsOf(bytes: Uint8Array) {
  const e = parseElf(bytes);
  const rs = e.relocationSections().find((r) => r.section.name === THIS_MODULE_RELA)!;
  return e.relocations(rs).map((r) => ({ sym: e.symbols()[r.sym]!.name, type: r.type, offset: r.offset, addend: r.addend }));
}

for (const le of [true, false]) {
  test(`clears only the init_module relocation (${le ? 'LSB' : 'MSB'})`, () => {
    const input = synthModule(le);
    const before = input.slice();
    const r = clearModuleInit(input);
    assert.equal(r.cleared, 1);
    assert.deepEqual(input, before, 'input untouched');
    assert.deepEqual(relocsOf(r.bytes), [
      { sym: 'init_module', type: 0, offset: 0x138n, addend: 0n },
      { sym: 'cleanup_module', type: R_X86_64_64, offset: 0x3c8n, addend: 0n },
      { sym: 'other', type: R_X86_64_64, offset: 0x40n, addend: 8n },
    ]);
    // every other section's bytes are the same
    const a = parseElf(input);
    const b = parseElf(r.bytes);
    for (const s of a.sections) {
      if (s.name === THIS_MODULE_RELA || s.name === '') continue;
      assert.deepEqual(b.sectionData(b.section(s.name)!), a.sectionData(s), s.name);
    }
  });
}

test('a module without init is returned as it is', () => {
  const input = synthModule(true, false);
  const r = clearModuleInit(input);
  assert.equal(r.cleared, 0);
  assert.equal(r.bytes, input);
});

test('clearing twice changes nothing more', () => {
  const once = clearModuleInit(synthModule(true)).bytes;
  const twice = clearModuleInit(once);
  assert.equal(twice.cleared, 0);
  assert.equal(twice.bytes, once);
});

test('a real module of the corpus: init relocation cleared, exit kept', (t) => {
  const p = join(modulesDir('6.1.0-55-amd64'), 'net', 'ipv4', 'tcp_bbr.ko');
  if (!existsSync(p)) return t.skip('corpus not built (npm run corpus)');
  const u = unpackBytes(new Uint8Array(readFileSync(p)));
  const r = clearModuleInit(u.bytes);
  assert.equal(r.cleared, 1);
  const after = relocsOf(r.bytes);
  assert.deepEqual(after.filter((x) => x.sym === 'init_module').map((x) => x.type), [0]);
  assert.ok(after.some((x) => x.sym === 'cleanup_module' && x.type !== 0));
  assert.deepEqual(relocsOf(u.bytes).map((x) => ({ ...x, type: x.sym === 'init_module' ? 0 : x.type })), after);
});
