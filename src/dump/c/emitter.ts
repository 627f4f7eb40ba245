/**
 * BTF -> C type emitter: a port of libbpf v1.7.0's btf_dump.c (the C-syntax part).
 *
 * Approach: the algorithm is libbpf's, step for step, because byte-identical output depends
 * on its exact order of decisions:
 *  - `dumpType(id)` = btf_dump__dump_type: a DFS (`orderType`) puts the named definitions a
 *    type needs into an emit queue, telling "strong" links (the definition must come first:
 *    embedding, anonymous types) from "weak" ones (a forward declaration is enough: through
 *    a pointer); then `emitType` writes each queued type, emitting forward declarations
 *    where a cycle needs one;
 *  - `emitTypeDecl` = btf_dump_emit_type_decl: pushes a chain of PTR/ARRAY/FUNC_PROTO/
 *    modifiers onto a stack until a terminal type, then unwinds it into C declarator
 *    syntax (modifiers right of pointers, parenthesized function pointers and arrays);
 *  - names are made unique per namespace with `___N` suffixes in the order libbpf first
 *    resolves them; enumerator names are counted again at every emission, as libbpf does.
 * The stages are plain functions over an explicit state object (`EmitCtx`, context.ts):
 * order.ts (btf_dump_order_type), emit.ts (btf_dump_emit_type: emit order and forward
 * declarations), defs.ts (struct/union/enum/typedef definitions and padding), decl.ts
 * (btf_dump_emit_type_decl: declarator chains), naming.ts (btf_dump_resolve_name); this file
 * is the public `CEmitter` (btf_dump__dump_type, btf_dump__emit_type_decl).
 * Per-type state (order state, emit state, flags, resolved name suffix) lives in typed
 * arrays indexed by id; the declaration stack and its frames are typed arrays too; output
 * goes to a byte writer that copies names from the string table. Nothing is allocated per
 * type in the hot paths. Three shortcuts skip repeated work without changing any decision
 * or byte: pointer/modifier/array/prototype chains are marked ORDERED once what they refer
 * to is (libbpf would recurse and get the same 1), and "done" once their emission can no
 * longer write anything; and the declaration text of a pointer/modifier chain to a named
 * type is copied from its first emission.
 */

import { BtfkitError, Errno } from '../../errors.js';
import type { Btf } from '../../model/btf.js';
import { ELOOP, EmitCtx, tooDeep, type CEmitterOptions } from './context.js';
import { emitDecl } from './decl.js';
import { emitType } from './emit.js';
import type { FlatBtf } from './flat.js';
import { orderType, unsettled } from './order.js';

export { MAX_TYPE_DEPTH, MAX_DECL_NESTING, MAX_PAD_GAP } from './context.js';
export type { CEmitterOptions } from './context.js';

export interface EmitTypeDeclOptions {
  /** Declared name (libbpf `field_name`); default none. */
  fieldName?: string;
  /** Indentation level used for inline anonymous types (libbpf `indent_level`). */
  indentLevel?: number;
  /** Drop const/volatile/restrict/type tags (libbpf `strip_mods`). */
  stripMods?: boolean;
}

/**
 * The libbpf `struct btf_dump` C emitter: emits types (with every type they need, once) as
 * compilable C into an internal byte buffer. Create one per BTF object and output; like
 * libbpf, state carries over between calls, so a type already emitted is not emitted again.
 */
export class CEmitter {
  private readonly c: EmitCtx;
  readonly ptrSize: number;
  /** The flat view of the BTF chain the emitter works on. */
  readonly flat: FlatBtf;

  constructor(btf: Btf, opts: CEmitterOptions = {}) {
    this.c = new EmitCtx(btf, opts);
    this.ptrSize = this.c.ptrSize;
    this.flat = this.c.flat;
  }

  /** Number of type ids (btf__type_cnt). */
  get typeCount(): number {
    return this.flat.n;
  }

  /** Appends text to the output (UTF-8), e.g. for a wrapper such as bpftool's header. */
  write(text: string): void {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) >= 0x80) {
        this.c.out.lit(new TextEncoder().encode(text));
        return;
      }
    }
    this.c.out.text(text);
  }

  /** The output so far (a copy). */
  output(): Uint8Array {
    return this.c.out.result();
  }

  /** Bytes written so far. */
  get outputLength(): number {
    return this.c.out.len;
  }

  /** Returns the output so far and starts a new, empty one (emission state is kept). */
  take(): Uint8Array {
    const out = this.c.out;
    const r = out.result();
    out.reset();
    // Cached declaration text pointed into the old output.
    const off = this.c.declOff;
    for (let i = 0; i < off.length; i++) if (off[i]! >= 0) off[i] = -1;
    return r;
  }

  /** Output so far as a string (UTF-8 decoded). */
  outputText(): string {
    const out = this.c.out;
    return new TextDecoder().decode(out.buf.subarray(0, out.len));
  }

  /**
   * btf_dump__dump_type: emits type `id` and, first, every type it needs that was not
   * emitted yet. Throws (after emitting nothing for this call) on an unsatisfiable type
   * cycle or an unsupported kind, as libbpf returns an error.
   */
  dumpType(id: number): void {
    const c = this.c;
    if (!(Number.isInteger(id) && id >= 0 && id < c.flat.n))
      throw new BtfkitError('BTF_INVALID', `dump_type: invalid type id ${id}`, { errno: Errno.EINVAL });
    c.queueLen = 0;
    c.orderDepth = 0;
    c.emitDepth = 0;
    c.tooDeep = false;
    c.depth = 0;
    c.sp = 0;
    c.declNest = 0;
    const err = orderType(c, id, false);
    if (err < 0) {
      if (c.tooDeep) throw tooDeep(c.cycleId);
      throw new BtfkitError('BTF_INVALID', err === -ELOOP ? `unsatisfiable type cycle, id:[${c.cycleId}]` : `cannot order type [${id}] for C dump`, {
        errno: -err,
        where: { typeId: err === -ELOOP ? c.cycleId : id },
      });
    }
    const q = c.queue;
    for (let i = 0; i < c.queueLen; i++) emitType(c, q[i]!, 0);
  }

  /** Every type in id order (what `bpftool btf dump ... format c unsorted` does, minus the wrapper). */
  dumpAll(): void {
    for (let id = 1; id < this.flat.n; id++) this.dumpType(id);
  }

  /**
   * btf_dump__emit_type_decl: writes the declaration of type `id` (e.g. a field or a
   * function prototype) without a trailing ';' or newline. Types it refers to are not
   * emitted.
   */
  emitTypeDecl(id: number, opts: EmitTypeDeclOptions = {}): void {
    const c = this.c;
    if (!(Number.isInteger(id) && id >= 0 && id < c.flat.n))
      throw new BtfkitError('BTF_INVALID', `emit_type_decl: invalid type id ${id}`, { errno: Errno.EINVAL });
    c.extName = new TextEncoder().encode(opts.fieldName ?? '');
    c.stripMods = opts.stripMods ?? false;
    c.depth = 0;
    c.sp = 0;
    c.declNest = 0;
    try {
      emitDecl(c, id, -1, 0, opts.indentLevel ?? 0);
    } finally {
      c.stripMods = false;
    }
  }

  /** Writes the C declaration of a BTF-named entity (e.g. a FUNC) whose name is a string of this BTF. */
  emitTypeDeclNamed(id: number, nameOff: number, indentLevel = 0): void {
    const c = this.c;
    c.depth = 0;
    c.sp = 0;
    c.declNest = 0;
    emitDecl(c, id, nameOff, 0, indentLevel);
  }

  /**
   * The ids of `ids` (in their order) whose dumpType() may still write something or change
   * state that a later dumpType() can observe; dumping the others is a no-op now and stays
   * one (see `unsettled` in order.ts; needed for the tail of bpftool's order: see dumpC).
   */
  unsettled(ids: Uint32Array): Uint32Array {
    return unsettled(this.c, ids);
  }
}
