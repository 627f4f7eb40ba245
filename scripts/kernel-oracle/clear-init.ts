/**
 * Keeps a module's init code from running when the kernel loads it (the oracle loads modules
 * of another 6.12 build, whose init would call into a kernel it was not built for).
 *
 * Approach: `struct module` of the module (section `.gnu.linkonce.this_module`) gets its
 * `init` pointer from one relocation in `.rela.gnu.linkonce.this_module` against the symbol
 * `init_module`. That relocation's type is set to 0 (R_X86_64_NONE, which the x86-64 module
 * loader skips), so `mod->init` stays NULL and do_init_module() runs no init function. Every
 * other byte of the file is kept; the section is rewritten with src/elf's rewriteElf.
 */

import { parseElf, rewriteElf } from '../../src/elf/index.js';

export const THIS_MODULE_RELA = '.rela.gnu.linkonce.this_module';

export interface ClearInitResult {
  /** The module with the relocation cleared (the input itself when there was nothing to clear). */
  bytes: Uint8Array;
  /** How many relocations against init_module were cleared (0: the module has no init). */
  cleared: number;
}

export function clearModuleInit(bytes: Uint8Array): ClearInitResult {
  const elf = parseElf(bytes);
  const rs = elf.relocationSections().find((r) => r.section.name === THIS_MODULE_RELA);
  if (!rs) return { bytes, cleared: 0 };
  if (!rs.rela || !elf.is64) throw new Error(`${THIS_MODULE_RELA}: expected ELF64 RELA entries`);
  const syms = elf.symbols();
  const relocs = elf.relocations(rs);
  const data = elf.sectionData(rs.section).slice();
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = elf.littleEndian;
  let cleared = 0;
  relocs.forEach((r, i) => {
    if (r.type === 0 || syms[r.sym]?.name !== 'init_module') return;
    // r_info is the second 8-byte word of an Elf64_Rela: sym in the high half, type in the low
    dv.setUint32(i * 24 + 8 + (le ? 0 : 4), 0, le);
    cleared++;
  });
  if (!cleared) return { bytes, cleared: 0 };
  return { bytes: rewriteElf(elf, { replace: new Map([[THIS_MODULE_RELA, data]]), keepTrailingData: true }), cleared };
}
