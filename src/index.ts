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
export { resolveSize } from './model/size.js';

// split BTF: distill and relocate
export { distillBase } from './split/distill.js';
export type { DistillResult } from './split/distill.js';
export { relocate, tryRelocate, diagnoseRelocation, formatRelocationFailure } from './split/relocate.js';
export type { RelocationResult, RelocationFailure, UnmappedType, RelocationProblem, TryRelocateResult } from './split/relocate.js';

// ELF
export { parseElf, isElf, rewriteElf, ElfFile } from './elf/index.js';
export type { ElfHeader, ElfSection, ElfSymbol, ElfChanges, NewSection } from './elf/index.js';

// dumps
export { dumpRaw, dumpRawTo } from './dump/raw.js';
export { dumpJson } from './dump/json.js';
export { dumpC, dumpCText, CEmitter } from './dump/c.js';
export { btfInfo, formatInfo } from './dump/info.js';
export type { BtfInfo } from './dump/info.js';

// kernel tooling
export { parseBtfIds, resolveBtfIds, remapForDistill, remapForKernelLoad, zeroBtfIdSlots } from './kernel/btfids.js';
export { verifyKernelBtf, verifyKernelModule } from './kernel/verify.js';
export { checkModuleBtf, prepareModule, checkPrepared, formatCheckResult } from './kernel/check.js';
export type { ModuleCheckResult, CheckReason, CheckStatus } from './kernel/check.js';
export { emulateModuleLoad, formatLoadEmulation } from './kernel/load.js';
export { diffComposites, formatCompositeDiff } from './kernel/structdiff.js';
export { ReportBuilder } from './kernel/report.js';
export { renderHtml } from './kernel/html.js';
