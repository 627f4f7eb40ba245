/**
 * `btfkit/encode`: BTF from DWARF, as pahole v1.31 encodes a kernel module (docs/encoder.md),
 * and the DWARF reader under it. Core code: no `node:` imports.
 */
export { encodeModule } from './module.js';
export type { EncodeModuleOptions, EncodedModule } from './module.js';
export { encodeModuleBtf } from './index.js';
export type { EncodeOptions } from './index.js';
export { readDwarf, readDwarfSections, parseDwarf, hasDwarf, DwarfInfo, locationExprs, type DwarfReadOptions, type SectionDecompressor } from '../dwarf/index.js';
export type { DwarfSections, DwarfUnit } from '../dwarf/index.js';
