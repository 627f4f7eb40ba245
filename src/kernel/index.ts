/**
 * btfkit/kernel — kernel-side tooling, no Node.js dependencies: the checks the kernel itself
 * makes when it loads BTF (verifyKernelBtf, verifyKernelModule), the .BTF_ids section
 * (resolve_btfids' layout, resolution and id remapping), module load emulation, struct layout
 * diffs, and the module-check pipeline with its report and HTML page.
 */
export { verifyKernelBtf, verifyKernelModule, kernelNameValid } from './verify.js';
export type { KernelBtfWhat, KernelVerifyOptions, KernelVerifyResult, KernelVerifyOk, KernelVerifyError, KernelModuleVerifyOptions, KernelModuleVerifyResult } from './verify.js';
export { BTF_IDS_SECTION, hasBtfIds, parseBtfIds, resolveBtfIds, decodeBtfIds, zeroBtfIdSlots, remapForDistill, remapForKernelLoad } from './btfids.js';
export type { BtfIdsLayout, BtfIdSlot, BtfIdSet, ResolveBtfIdsOptions, ResolveBtfIdsResult } from './btfids.js';
export { checkModuleBtf, checkNotDistilled, prepareModule, checkPrepared, formatCheckResult } from './check.js';
export type { ModuleCheckResult, ModuleBtfInput, KernelRef, CheckReason, CheckStatus, PreparedModule } from './check.js';
export { emulateModuleLoad, formatLoadEmulation } from './load.js';
export type { LoadEmulationInput, LoadEmulationResult } from './load.js';
export { diffComposites, formatCompositeDiff } from './structdiff.js';
export type { CompositeDiff, FieldChange } from './structdiff.js';
export { ReportBuilder } from './report.js';
export type { CheckReport, KernelSummary } from './report.js';
export { renderHtml } from './html.js';
export type { HtmlOptions } from './html.js';
