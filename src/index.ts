/**
 * btfkit — library entry point. Everything exported here runs in any JavaScript runtime
 * (no `node:` imports); file and process I/O live in `btfkit/node`.
 */
export { BtfkitError, Errno, isBtfkitError } from './errors.js';
export type { ErrorCode, ErrorLocation } from './errors.js';
export { Kind, KIND_NAMES, kindName, IntEncoding, FuncLinkage, VarLinkage, recordWords } from './format/kinds.js';
export { parseBtf, readHeader, btfMagicEndian, BTF_MAGIC } from './format/parse.js';
export type { ParseOptions } from './format/parse.js';
export { serializeBtf } from './format/write.js';
export { Btf, HOST_ENDIAN } from './model/btf.js';
export type { BtfHeader, Endian } from './model/btf.js';
export { visitIdFields, visitStrFields, typeIdFields, strOffFields } from './model/iter.js';
