/**
 * btfkit/node — the Node.js layer: loading BTF from files (raw, ELF, compressed modules,
 * kernel images, /sys/kernel/btf), atomic file writes, decompression.
 */
export { openInput, loadBtf, loadBtfFromInput, loadBaseBtf, elfSection, resolveBtfPath, KERNEL_BTF_PATH } from './load.js';
export type { InputFile, LoadedBtf } from './load.js';
export { readFileBytes, writeFileAtomic, samePath } from './files.js';
export type { WriteOptions } from './files.js';
export { decompress, decompressSection, unpackBytes, extractKernelElf, loadElfOrBtfBytes } from './decompress.js';
