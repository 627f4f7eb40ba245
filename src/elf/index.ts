/**
 * ELF layer of btfkit: a zero-copy reader (`parseElf`) and a section-level rewriter
 * (`rewriteElf`) for ELF32/ELF64 files of either byte order. No Node.js dependencies.
 */
export { parseElf, isElf, ElfFile } from './reader.js';
export type { ElfClass, ElfHeader, ElfSection, ElfProgramHeader, ElfSymbol, ElfRelocationSection, ElfRelocation } from './reader.js';
export { rewriteElf, rewriteElfParts } from './writer.js';
export { concatBytes } from './output.js';
export type { ElfChanges, NewSection } from './writer.js';
export * from './constants.js';
