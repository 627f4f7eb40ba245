/**
 * The state of one C emitter (libbpf's `struct btf_dump`), passed explicitly to the stage
 * functions of order.ts, emit.ts, defs.ts, decl.ts and naming.ts: the flat BTF view, the output
 * writer, per-id typed-array state (order state, emit state, flags, name suffixes, the
 * declaration cache), the two name namespaces, and the scratch stacks of the walks. One
 * `EmitCtx` per CEmitter; nothing is kept in module-level mutable variables.
 *
 * Also the shared constants of the emitter: per-id states and flags (libbpf's
 * btf_dump_type_aux_state), the nesting limits, and the errors they raise.
 */

import { BtfkitError } from '../../errors.js';
import type { Btf } from '../../model/btf.js';
import { flatten, guessPtrSize, type FlatBtf } from './flat.js';
import { Layout } from './layout.js';
import { NameCounter } from './names.js';
import { CWriter, MAX_OUTPUT } from './writer.js';

/** Order state of a type (btf_dump_order_type). */
export const NOT_ORDERED = 0;
export const ORDERING = 1;
export const ORDERED = 2;

/** Emit state of a type (btf_dump_emit_type). */
export const NOT_EMITTED = 0;
export const EMITTING = 1;
export const EMITTED = 2;

/** Flag bits per id. */
export const F_FWD_EMITTED = 1;
export const F_NAME_RESOLVED = 2;
/** Pointer/modifier/array/prototype chain whose emission can no longer write anything. */
export const F_DONE = 8;

export const ELOOP = 40;
export const EINVAL = 22;

/**
 * Most nested levels the recursive walks (ordering, emission) and the sort follow. libbpf
 * recurses without a bound: on a reference cycle without a struct/union on it (a typedef
 * of itself, a PTR/CONST loop) it never returns, and JavaScript runs out of stack long before
 * C would on very deep chains. Real C nests a few dozen levels at most (a 6.18 vmlinux needs
 * under 32 here), so deeper BTF is refused with ELOOP, like a cycle.
 */
export const MAX_TYPE_DEPTH = 512;
/**
 * Most nested declarations: an anonymous struct/union defined inline in a member, a function
 * prototype in a parameter, an array or prototype in a declarator chain each nest one level,
 * and a level costs several JavaScript frames (about 800 levels fit in Node's default stack).
 */
export const MAX_DECL_NESTING = 256;
/**
 * Largest gap (bytes) between struct members, or at a struct's end, that is padded. libbpf
 * writes one `long: 64;` line per 8 bytes of a gap, so a size the BTF merely claims (4 GiB
 * in a 73-byte file) would become gigabytes of text. Real kernels need at most a page (4092
 * bytes in 6.1 vmlinux): a larger gap is refused (E2BIG) before anything is written.
 */
export const MAX_PAD_GAP = 4 << 20;

/** libbpf's pfx(): at most 13 tabs of indentation. */
export const MAX_INDENT = 13;

export interface CEmitterOptions {
  /**
   * Pointer size in bytes (4 or 8) used for `long` padding, pointer sizes and alignments.
   * Default: `btf.ptrSize` when it is not 8 (set from a 32-bit ELF); otherwise, like libbpf
   * for raw BTF, the size of the BTF's `long` INT, or 8 when there is none.
   */
  ptrSize?: number;
  /** Receives libbpf's warnings ("unsatisfiable type cycle", ...); default: ignored. */
  warn?: (msg: string) => void;
  /** Initial output buffer size in bytes. */
  initialCapacity?: number;
  /** Most bytes of output (default MAX_OUTPUT, 256 MiB); more throws a BtfkitError (E2BIG). */
  maxOutputBytes?: number;
}

/** The emitter's state (see the file comment). Fields are read and written by the stage functions. */
export class EmitCtx {
  readonly out: CWriter;
  readonly ptrSize: number;
  /** The flat view of the BTF chain the emitter works on. */
  readonly flat: FlatBtf;
  readonly W: Uint32Array;
  readonly O: Uint32Array;
  readonly K: Uint8Array;
  readonly S: Uint8Array;
  readonly vlenMask: number;
  readonly layout: Layout;
  readonly warnFn: ((msg: string) => void) | undefined;

  readonly orderState: Uint8Array;
  readonly emitState: Uint8Array;
  readonly flags: Uint8Array;
  /** Dup count of the resolved name (0 or 1: no suffix). */
  readonly nameDup: Uint32Array;
  /** Namespaces of struct/union/enum tags and of typedef/enumerator identifiers. */
  readonly typeNames: NameCounter;
  readonly identNames: NameCounter;

  /** Emit queue of the current dumpType (btf_dump's emit_queue). */
  queue = new Uint32Array(256);
  queueLen = 0;
  /** Declaration stack (btf_dump's decl_stack), shared by nested declarations as frames. */
  stack = new Uint32Array(256);
  sp = 0;
  frameBase = new Int32Array(64);
  frameCnt = new Int32Array(64);
  depth = 0;
  /** Nesting of emitChain calls (see emitChain). */
  declNest = 0;

  stripMods = false;
  /** last_was_ptr where the last completed type chain ended (for the declaration cache). */
  lastWasPtr = false;
  /** Declaration cache by id: output offset of the text before the name (-1 unknown, -2 not cacheable), its length, and whether it ends with '*'. */
  readonly declOff: Int32Array;
  readonly declLen: Uint32Array;
  readonly declPtr: Uint8Array;
  skipAnonDefs = false;
  /** Bytes of a caller-provided field name (fname offset -1). */
  extName: Uint8Array = new Uint8Array(0);

  /** The type of the last unsatisfiable cycle (or of a too deep chain). */
  cycleId = 0;
  /** Nesting of orderType / emitType calls, and the ids on the current orderType path. */
  orderDepth = 0;
  emitDepth = 0;
  readonly orderPath = new Uint32Array(MAX_TYPE_DEPTH);
  /** The last orderType error was the depth limit with no repeated id on the path. */
  tooDeep = false;

  constructor(btf: Btf, opts: CEmitterOptions) {
    const f = flatten(btf);
    this.flat = f;
    this.W = f.W;
    this.O = f.O;
    this.K = f.K;
    this.S = f.S;
    this.vlenMask = f.vlenMask;
    this.ptrSize = opts.ptrSize ?? (btf.ptrSize && btf.ptrSize !== 8 ? btf.ptrSize : guessPtrSize(f) || 8);
    this.layout = new Layout(f, this.ptrSize);
    this.warnFn = opts.warn;
    this.out = new CWriter(opts.initialCapacity ?? 1 << 16, opts.maxOutputBytes ?? MAX_OUTPUT, f.S);
    const n = f.n;
    this.orderState = new Uint8Array(n);
    this.emitState = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.nameDup = new Uint32Array(n);
    this.declOff = new Int32Array(n).fill(-1);
    this.declLen = new Uint32Array(n);
    this.declPtr = new Uint8Array(n);
    this.typeNames = new NameCounter(f.S);
    this.identNames = new NameCounter(f.S);
    // VOID is special.
    this.orderState[0] = ORDERED;
    this.emitState[0] = EMITTED;
  }
}

export function warn(c: EmitCtx, msg: string): void {
  if (c.warnFn) c.warnFn(msg);
}

/** Type [id] starts a reference chain deeper than MAX_TYPE_DEPTH (or one that loops). */
export function tooDeep(id: number, max = MAX_TYPE_DEPTH): BtfkitError {
  return new BtfkitError('BTF_INVALID', `type nesting deeper than ${max} levels or a reference loop, not dumpable as C`, {
    errno: ELOOP,
    where: { typeId: id },
  });
}
