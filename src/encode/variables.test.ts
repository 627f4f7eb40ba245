/**
 * Per-CPU variables (VAR + DATASEC `.data..percpu`) against pahole v1.31: the percpu-*.o
 * fixtures (test/fixtures/dwarf/percpu.c, scripts/dwarf-fixtures.sh; gcc 12 DWARF 5 with
 * DW_OP_addr, clang DWARF 5 with DW_OP_addrx through .debug_addr, clang DWARF 4 where two
 * sections share the name `.data..percpu`) encode and deduplicate to `pahole -J`'s bytes
 * (test/golden/encoder, scripts/golden-encoder.sh); what is and is not a VAR; libdwfl's layout.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseElf, SHF_ALLOC } from '../elf/index.js';
import { serializeBtf } from '../format/write.js';
import { KindId } from '../format/kinds.js';
import { dedup } from '../split/dedup/index.js';
import type { Btf } from '../model/btf.js';
import { BtfkitError } from '../errors.js';
import { encodeModuleBtf } from './index.js';
import { sectionLayout } from './layout.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/dwarf');
const GOLD = join(ROOT, 'test/golden/encoder');
const OBJECTS = ['percpu-gcc-dwarf5', 'percpu-clang-dwarf5', 'percpu-clang-dwarf4'];

const object = (n: string) => parseElf(new Uint8Array(readFileSync(join(FIX, `${n}.o`))));

for (const n of OBJECTS) {
  test(`${n}: per-CPU variables encoded and deduplicated as pahole -J writes them`, () => {
    const out = serializeBtf(dedup(encodeModuleBtf(object(n), null), { stringsDeduped: true }).btf);
    assert.deepEqual(out, new Uint8Array(readFileSync(join(GOLD, `${n}.btf`))));
  });
}

/** VARs as "name linkage", DATASECs as "name size: var@offset+size ...", in id order. */
function varsAndSecs(btf: Btf): string[] {
  const out: string[] = [];
  for (let id = 1; id < btf.typeCount(); id++) {
    if (btf.kind(id) === KindId.VAR) out.push(`VAR ${btf.name(id)} ${btf.varLinkage(id)}`);
    if (btf.kind(id) === KindId.DATASEC) {
      const vars = [];
      for (let i = 0; i < btf.vlen(id); i++) {
        vars.push(`${btf.name(btf.datasecVarType(id, i))}@${btf.datasecVarOffset(id, i)}+${btf.datasecVarSize(id, i)}`);
      }
      out.push(`DATASEC ${btf.name(id)} ${btf.size(id)}: ${vars.join(' ')}`);
    }
  }
  return out;
}

test('which variables become VARs: per-CPU definitions with a size, by offset in their DATASEC', () => {
  // gcc: all four in one section; __UNIQUE_ID_* filtered, the empty struct (size 0) and the
  // function-local static left out, and .data/.bss variables are not per-CPU.
  assert.deepEqual(varsAndSecs(encodeModuleBtf(object('percpu-gcc-dwarf5'), null)), [
    'VAR level 0',
    'VAR pcpu_stats 1',
    'VAR flags 0',
    'VAR cv_short 0',
    'DATASEC .data..percpu 68: cv_short@8+2 flags@24+15 pcpu_stats@40+24 level@64+4',
  ]);
  // clang puts the initialized array in a second `.data..percpu`: one DATASEC per section
  assert.deepEqual(varsAndSecs(encodeModuleBtf(object('percpu-clang-dwarf5'), null)), [
    'VAR pcpu_stats 1',
    'VAR cv_short 0',
    'VAR flags 0',
    'DATASEC .data..percpu 34: pcpu_stats@0+24 cv_short@32+2',
    'DATASEC .data..percpu 15: flags@0+15',
  ]);
});

test("libdwfl's layout of a relocatable file: ALLOC sections one after another from 0x10000, aligned", () => {
  const elf = object('percpu-gcc-dwarf5');
  const addr = sectionLayout(elf);
  let end = 0x10000;
  let seen = 0;
  for (const s of elf.sections) {
    if (s.index === 0) continue;
    if (!(s.flags & SHF_ALLOC)) {
      assert.equal(addr[s.index], 0, s.name);
      continue;
    }
    const a = s.addralign || 1;
    assert.equal(addr[s.index], Math.ceil(end / a) * a, s.name);
    end = addr[s.index]! + s.size;
    seen++;
  }
  assert.ok(seen >= 4, `${seen} ALLOC sections`);
});

test('mutated DWARF and relocations of a per-CPU object: a BtfkitError or BTF, nothing else', () => {
  const elf = object('percpu-clang-dwarf5');
  const targets = ['.debug_info', '.debug_addr', '.rela.debug_addr', '.symtab'].map((n) => elf.section(n)!);
  let x = 4242;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8);
  let encoded = 0;
  for (let round = 0; round < 200; round++) {
    const bytes = elf.bytes.slice();
    const sec = targets[round % targets.length]!;
    for (let k = 1 + (rnd() % 3); k > 0; k--) bytes[sec.offset + (rnd() % sec.size)] = rnd() & 0xff;
    try {
      encodeModuleBtf(parseElf(bytes), null);
      encoded++;
    } catch (e) {
      assert.ok(e instanceof BtfkitError, `round ${round} (${sec.name}): ${String(e)}`);
    }
  }
  assert.ok(encoded > 20, `${encoded} of 200 encoded`);
});
