/**
 * btfkit — the library's root entry (`import … from 'btfkit'`). Everything here runs in any
 * JavaScript runtime (no `node:` imports: a test scans the core for them).
 *
 * Public API of the root entry:
 *  - errors:   BtfkitError (code, errno, where), isBtfkitError, Errno;
 *  - model:    Btf (build, read, look up types), BtfHeader, Endian, HOST_ENDIAN, the kind
 *              constants (Kind, KIND_NAMES, kindName, IntEncoding, FuncLinkage, VarLinkage),
 *              resolveSize;
 *  - format:   parseBtf (raw BTF bytes → Btf, libbpf's checks), readHeader, serializeBtf;
 *  - split:    distillBase and relocate / tryRelocate / diagnoseRelocation (libbpf's
 *              btf__distill_base and btf__relocate), formatRelocationFailure;
 *  - dumps:    dumpRaw / dumpJson / dumpC (bpftool's `btf dump` formats, byte for byte),
 *              their streaming and text forms, btfInfo / formatInfo;
 *  - check:    checkModuleBtf (would the kernel load this module's BTF?), formatCheckResult.
 * Subpath entries hold the rest: `btfkit/elf` (ELF reader and rewriter), `btfkit/encode`
 * (DWARF reader and the BTF encoder: pahole's -J for modules), `btfkit/kernel`
 * (the kernel's own BTF checks, .BTF_ids, load emulation, struct diffs, check reports and
 * their HTML) and `btfkit/node` (files, compressed inputs, kernel images: Node.js only).
 * Anything not exported from an entry is internal and may change.
 */
export { BtfkitError, Errno, isBtfkitError } from './errors.js';
export type { ErrorCode, ErrorLocation } from './errors.js';

// model and format
export { Btf, HOST_ENDIAN } from './model/btf.js';
export type { BtfHeader, BtfOptions, Endian } from './model/btf.js';
export { Kind, KIND_NAMES, kindName, IntEncoding, FuncLinkage, VarLinkage } from './format/kinds.js';
export { resolveSize } from './model/size.js';
export { parseBtf, readHeader } from './format/parse.js';
export type { ParseOptions } from './format/parse.js';
export { serializeBtf } from './format/write.js';

// split BTF: distill and relocate
export { distillBase } from './split/distill.js';
export type { DistillResult } from './split/distill.js';
export { relocate, tryRelocate, diagnoseRelocation, formatRelocationFailure } from './split/relocate.js';
export type { RelocationResult, RelocationFailure, UnmappedType, RelocationProblem, TryRelocateResult } from './split/relocate.js';

export { dedup } from './split/dedup/index.js';
export type { DedupOptions, DedupResult } from './split/dedup/index.js';
export { addBtf, mergeBtfs } from './split/add.js';
export { btfOfElf } from './split/module-btf.js';
export type { ElfBtf } from './split/module-btf.js';

// dumps
export { dumpRaw, dumpRawTo } from './dump/raw.js';
export type { RawDumpOptions } from './dump/raw.js';
export { dumpJson, dumpJsonTo } from './dump/json.js';
export type { JsonDumpOptions } from './dump/json.js';
export { dumpC, dumpCText } from './dump/c.js';
export type { DumpCOptions } from './dump/c.js';
export { btfInfo, formatInfo } from './dump/info.js';
export type { BtfInfo } from './dump/info.js';

// module check
export { checkModuleBtf, formatCheckResult } from './kernel/check.js';
export type { ModuleCheckResult, ModuleBtfInput, KernelRef, CheckReason, CheckStatus } from './kernel/check.js';
