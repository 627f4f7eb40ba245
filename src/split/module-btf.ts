/**
 * A module's (or vmlinux's) BTF from its ELF file, as libbpf's btf__parse_split reads it:
 * `.BTF` (required: ENODATA without it), on the module's `.BTF.base` when it has one (then
 * relocated onto `base` when one is given, unless told not to), else on `base`. The pointer
 * size follows the ELF class. Errors name the section; the Node layer adds the file.
 */

import { BtfkitError, Errno } from '../errors.js';
import type { ElfFile } from '../elf/index.js';
import { parseBtf } from '../format/parse.js';
import type { Btf } from '../model/btf.js';
import { relocate } from './relocate.js';

export interface ElfBtf {
  btf: Btf;
  /** The `.BTF.base` distilled base the file carried, if any. */
  distilledBase: Btf | null;
  /** When a `.BTF.base` module was relocated onto `base`: pre-relocation id → final id. */
  idMap: Uint32Array | null;
}

function inSection<T>(section: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof BtfkitError) throw e.withLocation({ section });
    throw e;
  }
}

export function btfOfElf(elf: ElfFile, base: Btf | null, opts: { relocate?: boolean } = {}): ElfBtf {
  const btfSec = elf.section('.BTF');
  if (!btfSec) throw new BtfkitError('ELF_NO_SECTION', "failed to find '.BTF' ELF section", { errno: Errno.ENODATA });
  const btfData = inSection('.BTF', () => elf.sectionData(btfSec));
  const baseSec = elf.section('.BTF.base');
  const ptrSize = elf.header.class === 32 ? 4 : 8;
  let distilled: Btf | null = null;
  if (baseSec) {
    distilled = inSection('.BTF.base', () => parseBtf(elf.sectionData(baseSec), { section: '.BTF.base' }));
    distilled.ptrSize = ptrSize;
  }
  let btf = inSection('.BTF', () => parseBtf(btfData, { base: distilled ?? base, section: '.BTF' }));
  btf.ptrSize = ptrSize;
  let idMap: Uint32Array | null = null;
  if (distilled && base && opts.relocate !== false) {
    const r = inSection('.BTF', () => relocate(btf, base));
    btf = r.btf;
    btf.ptrSize = ptrSize;
    idMap = r.idMap;
  }
  return { btf, distilledBase: distilled, idMap };
}
