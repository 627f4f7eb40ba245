/**
 * Variables in module BTF (the `var` feature: per-CPU variables), as pahole v1.31 picks them
 * (btf_encoder__encode_cu_variables).
 *
 * Approach: a unit-level DW_TAG_variable that defines storage (not a bare declaration, not
 * artificial) and whose location is DW_OP_addr is placed in the first PROGBITS/NOBITS section
 * whose [sh_addr, sh_addr + sh_size) holds that address — pahole's get_elf_section — and only a
 * variable placed in `.data..percpu` is encoded. In a relocatable `.ko` every section starts at
 * address 0, so the address (an offset into the variable's real section) lands in the first
 * section large enough, which is almost never `.data..percpu`: pahole encodes no variable for
 * most modules, and neither does btfkit. The rare module where one does land in `.data..percpu`
 * is refused (ENOTSUP, naming the variable) until VAR/DATASEC encoding is written.
 */

import { BtfkitError, Errno } from '../errors.js';
import { Tag, At, locationExprs, type DwarfInfo } from '../dwarf/index.js';
import type { ElfFile } from '../elf/index.js';
import type { CuTypes } from './order.js';

const SHT_PROGBITS = 1;
const SHT_NOBITS = 8;
const OP_ADDR = 0x03;
const PERCPU = '.data..percpu';

/** Refuses the unit when pahole would encode one of its variables (not supported yet). */
export function checkCuVariables(d: DwarfInfo, ct: CuTypes, elf: ElfFile): void {
  const percpu = elf.section(PERCPU);
  if (!percpu) return;
  const le = elf.header.littleEndian;
  for (let v = d.firstChild(ct.unit.firstDie); v >= 0; v = d.nextSibling(v)) {
    if (d.tag(v) !== Tag.variable) continue;
    if (d.has(v, At.declaration) && !d.has(v, At.specification)) continue;
    if (d.flag(v, At.artificial)) continue;
    const exprs = locationExprs(d, v, At.location);
    const e = exprs[0];
    if (!e || e.length < 1 + ct.unit.addrSize || e[0] !== OP_ADDR) continue;
    const addr = readAddr(e, ct.unit.addrSize, le);
    const sec = firstSectionHolding(elf, addr);
    if (sec === percpu.index) {
      const name = d.name(v) ?? (d.has(v, At.specification) ? d.name(d.ref(v, At.specification)) : undefined) ?? '?';
      throw new BtfkitError('DWARF', `per-CPU variable '${name}': encoding VAR/DATASEC is not supported yet`, {
        errno: Errno.ENOTSUP,
        where: { section: PERCPU },
      });
    }
  }
}

function readAddr(e: Uint8Array, size: number, le: boolean): number {
  let v = 0;
  for (let i = 0; i < size; i++) v += e[1 + (le ? i : size - 1 - i)]! * 2 ** (8 * i);
  return v;
}

function firstSectionHolding(elf: ElfFile, addr: number): number {
  for (const s of elf.sections) {
    if (s.index === 0 || (s.type !== SHT_PROGBITS && s.type !== SHT_NOBITS)) continue;
    const start = Number(s.addr);
    if (start <= addr && addr - start < s.size) return s.index;
  }
  return 0;
}
