/**
 * Pure (no node:) part of btfkit's compressed-input support: content detection
 * (detect.ts), the built-in xz / LZMA / LZ4 decoders and the zstd frame walker.
 * gzip, zstd and bzip2 decoding, which use node:zlib or npm packages, live in
 * src/node/decompress.ts, which also ties everything together for files.
 */

export * from './detect.js';
export { DEFAULT_MAX_OUTPUT, KERNEL_MAX_OUTPUT, PREALLOC_MAX, type DecodeOptions } from './output.js';
export { decodeXz } from './xz.js';
export { decodeLzmaAlone, parseLzmaAloneHeader, type LzmaAloneHeader } from './lzma.js';
export { decodeLz4Legacy, decodeLz4Frame, xxh32 } from './lz4.js';
export { walkZstdFrames, type ZstdFrames } from './zstd.js';
export { crc32, crc64 } from './crc.js';
