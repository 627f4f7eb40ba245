/**
 * btfkit for the browser: the library's root entry, its ELF entry (`btfkit/elf`) and the
 * decoders of compressed modules and kernel images (src/image), none of which imports a
 * `node:` module. `npm run build:web` bundles this file into dist/web/btfkit.js, an ES module
 * any page can import.
 */
export * from '../src/index.js';
export { parseElf, isElf, ElfFile } from '../src/elf/index.js';
export { btfMagicEndian } from '../src/format/parse.js';
export { decodeXz, decodeLz4Frame, findKernelPayload, detectFormat } from '../src/image/index.js';
