/**
 * DWARF reading for the BTF encoder: sections (relocated for `.ko` files), abbreviations, and
 * the DIE index with on-demand attributes. Core code: no `node:` imports.
 */
export { readDwarfSections, hasDwarf, dwarfSection, DWARF_SECTION_NAMES, MAX_DEBUG_SECTION, type DwarfSections, type DwarfReadOptions, type SectionDecompressor } from './sections.js';
export { DwarfInfo, AttrSet, parseDwarf, type DwarfUnit } from './info.js';
export { Tag, At, Form, Ate, UnitType, formName, tagName } from './constants.js';

import type { ElfFile } from '../elf/index.js';
import { readDwarfSections, type DwarfReadOptions } from './sections.js';
import { DwarfInfo } from './info.js';

/** The DWARF of an ELF file (a `.ko`, a vmlinux, an object file). */
export function readDwarf(elf: ElfFile, opts: DwarfReadOptions = {}): DwarfInfo {
  return new DwarfInfo(readDwarfSections(elf, opts));
}
export { locationExprs, parameterReg } from './location.js';
