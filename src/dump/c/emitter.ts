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
import { KindId as Kind } from '../../format/kinds.js';
import type { Btf } from '../../model/btf.js';
import { flatten, guessPtrSize, REF_MARKED, type FlatBtf } from './flat.js';
import { Layout } from './layout.js';
import { NameCounter } from './names.js';
import { growU32 } from '../../model/grow.js';
import { CWriter, MAX_OUTPUT, outputTooBig } from './writer.js';

const NOT_ORDERED = 0;
const ORDERING = 1;
const ORDERED = 2;

const NOT_EMITTED = 0;
const EMITTING = 1;
const EMITTED = 2;

const F_FWD_EMITTED = 1;
const F_NAME_RESOLVED = 2;
/** Pointer/modifier/array/prototype chain whose emission can no longer write anything. */
const F_DONE = 8;

const ELOOP = Errno.ELOOP;
const EINVAL = Errno.EINVAL;

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
const MAX_INDENT = 13;

const TAB = 9;
const NL = 10;
const SPACE = 32;

/** Pre-encoded literal text (written with one native copy each). */
const L = {
  ASSIGN: ascii(' = '),
  ATTR_OPEN: ascii(' __attribute__(('),
  CLOSE2: ascii('))'),
  COLON: ascii(': '),
  COMMA: ascii(', '),
  CONST_: ascii('const '),
  DUP: ascii('___'),
  ELLIPSIS: ascii('...'),
  ENUM: ascii('enum'),
  ENUM_: ascii('enum '),
  GNUC_VA: ascii('typedef __builtin_va_list __gnuc_va_list'),
  LL_COMMA: ascii('LL,'),
  MODE_BYTE: ascii(' __attribute__((mode(byte)))'),
  MODE_WORD: ascii(' __attribute__((mode(word)))'),
  OPEN: ascii(' {'),
  PACKED: ascii(' __attribute__((packed))'),
  RESTRICT_: ascii('restrict '),
  SEMI_NL2: ascii(';\n\n'),
  STRUCT: ascii('struct'),
  STRUCT_: ascii('struct '),
  TAG_CLOSE: ascii('")))'),
  TAG_OPEN: ascii(' __attribute__((btf_type_tag("'),
  TYPEDEF_: ascii('typedef '),
  ULL_COMMA: ascii('ULL,'),
  UNION: ascii('union'),
  UNION_: ascii('union '),
  VOID: ascii('void'),
  VOID_CLOSE: ascii('void)'),
  VOLATILE_: ascii('volatile '),
  _CONST: ascii(' const'),
  _PAREN: ascii(' ('),
  _RESTRICT: ascii(' restrict'),
  _STAR: ascii(' *'),
  _VOLATILE: ascii(' volatile'),
} as const;

/** Padding markers: long, int, short, char. */
const PADS = [ascii('long: '), ascii('int: '), ascii('short: '), ascii('char: ')];

/** GCC's __PolyX_t typedef targets that btf_dump aliases to base types. */
const MISSING_BASE_TYPES: ReadonlyArray<readonly [string, string]> = [
  ['__Poly8_t', 'unsigned char'],
  ['__Poly16_t', 'unsigned short'],
  ['__Poly64_t', 'unsigned long long'],
  ['__Poly128_t', 'unsigned __int128'],
];

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
  private readonly out: CWriter;
  readonly ptrSize: number;
  /** The flat view of the BTF chain the emitter works on. */
  readonly flat: FlatBtf;
  private readonly W: Uint32Array;
  private readonly O: Uint32Array;
  private readonly K: Uint8Array;
  private readonly S: Uint8Array;
  private readonly vlenMask: number;
  private readonly layout: Layout;
  private readonly warnFn: ((msg: string) => void) | undefined;

  private readonly orderState: Uint8Array;
  private readonly emitState: Uint8Array;
  private readonly flags: Uint8Array;
  /** Dup count of the resolved name (0 or 1: no suffix). */
  private readonly nameDup: Uint32Array;
  private readonly typeNames: NameCounter;
  private readonly identNames: NameCounter;

  private queue = new Uint32Array(256);
  private queueLen = 0;
  private stack = new Uint32Array(256);
  private sp = 0;
  private frameBase = new Int32Array(64);
  private frameCnt = new Int32Array(64);
  private depth = 0;
  /** Nesting of emitChain calls (see emitChain). */
  private declNest = 0;

  private stripMods = false;
  /** last_was_ptr where the last completed type chain ended (for the declaration cache). */
  private lastWasPtr = false;
  /** Declaration cache by id: output offset of the text before the name (-1 unknown, -2 not cacheable), its length, and whether it ends with '*'. */
  private readonly declOff: Int32Array;
  private readonly declLen: Uint32Array;
  private readonly declPtr: Uint8Array;
  private skipAnonDefs = false;
  /** Bytes of a caller-provided field name (fname offset -1). */
  private extName: Uint8Array = new Uint8Array(0);

  /** Byte codes of the blacklisted and special names. */
  private readonly builtinVaList = ascii('__builtin_va_list');
  private readonly gnucVaList = ascii('__gnuc_va_list');
  private readonly polyNames = MISSING_BASE_TYPES.map(([n]) => ascii(n));

  constructor(btf: Btf, opts: CEmitterOptions = {}) {
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

  /** Number of type ids (btf__type_cnt). */
  get typeCount(): number {
    return this.flat.n;
  }

  /** Appends text to the output (UTF-8), e.g. for a wrapper such as bpftool's header. */
  write(text: string): void {
    for (let i = 0; i < text.length; i++) {
      if (text.charCodeAt(i) >= 0x80) {
        this.out.lit(new TextEncoder().encode(text));
        return;
      }
    }
    this.out.text(text);
  }

  /** The output so far (a copy). */
  output(): Uint8Array {
    return this.out.result();
  }

  /** Bytes written so far. */
  get outputLength(): number {
    return this.out.len;
  }

  /** Returns the output so far and starts a new, empty one (emission state is kept). */
  take(): Uint8Array {
    const r = this.out.result();
    this.out.reset();
    // Cached declaration text pointed into the old output.
    const off = this.declOff;
    for (let i = 0; i < off.length; i++) if (off[i]! >= 0) off[i] = -1;
    return r;
  }

  /** Output so far as a string (UTF-8 decoded). */
  outputText(): string {
    return new TextDecoder().decode(this.out.buf.subarray(0, this.out.len));
  }

  private warn(msg: string): void {
    if (this.warnFn) this.warnFn(msg);
  }

  // -------------------------------------------------------------------- public

  /**
   * btf_dump__dump_type: emits type `id` and, first, every type it needs that was not
   * emitted yet. Throws (after emitting nothing for this call) on an unsatisfiable type
   * cycle or an unsupported kind, as libbpf returns an error.
   */
  dumpType(id: number): void {
    if (!(Number.isInteger(id) && id >= 0 && id < this.flat.n))
      throw new BtfkitError('BTF_INVALID', `dump_type: invalid type id ${id}`, { errno: Errno.EINVAL });
    this.queueLen = 0;
    this.orderDepth = 0;
    this.emitDepth = 0;
    this.tooDeep = false;
    this.depth = 0;
    this.sp = 0;
    this.declNest = 0;
    const err = this.orderType(id, false);
    if (err < 0) {
      if (this.tooDeep) throw tooDeep(this.cycleId);
      throw new BtfkitError('BTF_INVALID', err === -ELOOP ? `unsatisfiable type cycle, id:[${this.cycleId}]` : `cannot order type [${id}] for C dump`, {
        errno: -err,
        where: { typeId: err === -ELOOP ? this.cycleId : id },
      });
    }
    const q = this.queue;
    for (let i = 0; i < this.queueLen; i++) this.emitType(q[i]!, 0);
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
    if (!(Number.isInteger(id) && id >= 0 && id < this.flat.n))
      throw new BtfkitError('BTF_INVALID', `emit_type_decl: invalid type id ${id}`, { errno: Errno.EINVAL });
    this.extName = new TextEncoder().encode(opts.fieldName ?? '');
    this.stripMods = opts.stripMods ?? false;
    this.depth = 0;
    this.sp = 0;
    this.declNest = 0;
    try {
      this.emitDecl(id, -1, 0, opts.indentLevel ?? 0);
    } finally {
      this.stripMods = false;
    }
  }

  /** Writes the C declaration of a BTF-named entity (e.g. a FUNC) whose name is a string of this BTF. */
  emitTypeDeclNamed(id: number, nameOff: number, indentLevel = 0): void {
    this.depth = 0;
    this.sp = 0;
    this.declNest = 0;
    this.emitDecl(id, nameOff, 0, indentLevel);
  }

  /**
   * The ids of `ids` (in their order) whose dumpType() may still write something or change
   * state that a later dumpType() can observe, given what was dumped so far; dumping the
   * others is a no-op now and stays one (needed for the tail of bpftool's order: see dumpC).
   *
   * A type is *settled* when orderType() on it, now or after any further dumps, returns 1,
   * queues nothing and changes no state except marking settled types ORDERED, which only
   * turns the same answer into an early return. Settled are: ORDERED types; a PTR, ARRAY or
   * modifier whose target is settled; a FUNC_PROTO whose return and parameter types are;
   * an anonymous struct/union whose member types are (never queued, defined inline); an
   * anonymous, referenced enum or FWD (not queued). Named definitions that are not ORDERED
   * yet (typedefs, FWDs, ...), INT/FLOAT and FUNC/VAR/DATASEC/DECL_TAG that are not (their
   * first answer is 0, later ones 1) and anything on a reference cycle are not settled.
   * Once settled, a type stays settled (ORDERED is never undone), so dropping the dumps of
   * settled ids from a sequence leaves every other dump, and so the output, unchanged.
   * (One caveat: a chain deeper than MAX_TYPE_DEPTH that is refused when walked may not be
   * walked at all then; real BTF nests a few dozen levels.)
   */
  unsettled(ids: Uint32Array): Uint32Array {
    const memo = new Uint8Array(this.flat.n);
    const keep = new Uint32Array(ids.length);
    const { W, O, K } = this;
    const os = this.orderState;
    let m = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      // Most are a pointer, modifier or array of an ORDERED type, or a prototype whose
      // return and parameter types are all ORDERED: settled, no call needed.
      const k = K[id];
      const o = O[id]!;
      if ((k === Kind.PTR || k === Kind.CONST || k === Kind.VOLATILE || k === Kind.RESTRICT || k === Kind.TYPE_TAG) && os[W[o + 2]!] === ORDERED) continue;
      if (k === Kind.ARRAY && os[W[o + 3]!] === ORDERED) continue;
      if (k === Kind.FUNC_PROTO) {
        let all = os[W[o + 2]!] === ORDERED;
        const vlen = W[o + 1]! & this.vlenMask;
        for (let j = 0, p = o + 4; all && j < vlen; j++, p += 2) all = os[W[p]!] === ORDERED;
        if (all) continue;
      }
      if (!this.settled(id, memo, 0)) keep[m++] = id;
    }
    return keep.subarray(0, m);
  }

  /** See unsettled(). memo: 1 settled, 2 not, 3 being visited (a cycle: not settled). */
  private settled(id: number, memo: Uint8Array, depth: number): boolean {
    if (this.orderState[id] === ORDERED) return true;
    const m = memo[id]!;
    if (m !== 0) return m === 1;
    if (depth === MAX_TYPE_DEPTH) return false;
    memo[id] = 3;
    const W = this.W;
    const o = this.O[id]!;
    const os = this.orderState;
    let ok = false;
    switch (this.K[id]) {
      case Kind.PTR: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.TYPE_TAG:
        ok = this.settled(W[o + 2]!, memo, depth + 1);
        break;
      case Kind.ARRAY:
        ok = this.settled(W[o + 3]!, memo, depth + 1);
        break;
      case Kind.FUNC_PROTO: {
        ok = this.settled(W[o + 2]!, memo, depth + 1);
        const vlen = W[o + 1]! & this.vlenMask;
        for (let i = 0, p = o + 4; ok && i < vlen; i++, p += 2) ok = os[W[p]!] === ORDERED || this.settled(W[p]!, memo, depth + 1);
        break;
      }
      case Kind.STRUCT: case Kind.UNION: {
        ok = W[o] === 0;
        const vlen = W[o + 1]! & this.vlenMask;
        for (let i = 0, p = o + 4; ok && i < vlen; i++, p += 3) ok = os[W[p]!] === ORDERED || this.settled(W[p]!, memo, depth + 1);
        break;
      }
      case Kind.ENUM: case Kind.ENUM64: case Kind.FWD:
        ok = W[o] === 0 && (this.flat.R[id]! & REF_MARKED) !== 0;
        break;
      default:
        ok = false;
    }
    memo[id] = ok ? 1 : 2;
    return ok;
  }

  // ------------------------------------------------------------------- ordering

  private cycleId = 0;
  /** Nesting of orderType / emitType calls, and the ids on the current orderType path. */
  private orderDepth = 0;
  private emitDepth = 0;
  private readonly orderPath = new Uint32Array(MAX_TYPE_DEPTH);
  /** The last orderType error was the depth limit with no repeated id on the path. */
  private tooDeep = false;

  private enqueue(id: number): void {
    if (this.queueLen === this.queue.length) this.queue = growU32(this.queue, this.queueLen + 1);
    this.queue[this.queueLen++] = id;
  }

  /**
   * btf_dump_order_type with a bound on its nesting: a cycle that libbpf would follow forever
   * (no struct/union on it) is reported as an unsatisfiable cycle (-ELOOP), a chain deeper
   * than MAX_TYPE_DEPTH as too deep (-ELOOP, tooDeep set).
   */
  private orderType(id: number, throughPtr: boolean): number {
    if (this.orderState[id] === ORDERED) return 1;
    const d = this.orderDepth;
    if (d === MAX_TYPE_DEPTH) {
      const path = this.orderPath;
      // Same id twice on the path: a loop libbpf would never leave.
      const seen = new Set<number>();
      let loop = -1;
      for (let i = 0; i < d && loop < 0; i++) {
        if (seen.has(path[i]!)) loop = path[i]!;
        seen.add(path[i]!);
      }
      this.tooDeep = loop < 0;
      this.cycleId = loop < 0 ? id : loop;
      if (loop >= 0) this.warn(`unsatisfiable type cycle, id:[${loop}]`);
      return -ELOOP;
    }
    this.orderPath[d] = id;
    this.orderDepth = d + 1;
    const r = this.orderTypeStep(id, throughPtr);
    this.orderDepth = d;
    return r;
  }

  /** btf_dump_order_type: 1 = strong link, 0 = weak link, < 0 = -errno. */
  private orderTypeStep(id: number, throughPtr: boolean): number {
    const st = this.orderState[id]!;
    if (st === ORDERED) return 1;
    const W = this.W;
    const o = this.O[id]!;
    const k = this.K[id]!;
    if (st === ORDERING) {
      if ((k === Kind.STRUCT || k === Kind.UNION) && throughPtr && W[o] !== 0) return 0;
      this.cycleId = id;
      this.warn(`unsatisfiable type cycle, id:[${id}]`);
      return -ELOOP;
    }
    switch (k) {
      case Kind.INT: case Kind.FLOAT:
        this.orderState[id] = ORDERED;
        return 0;
      case Kind.PTR: {
        const err = this.orderType(W[o + 2]!, true);
        this.orderState[id] = ORDERED;
        return err;
      }
      case Kind.ARRAY: {
        // libbpf never marks arrays, modifiers and prototypes ORDERED, but once what they
        // refer to is ORDERED every later call returns 1, which is what ORDERED returns:
        // marking them saves walking the same chains again and again.
        const t = W[o + 3]!;
        const r = this.orderType(t, false);
        if (this.orderState[t] === ORDERED) this.orderState[id] = ORDERED;
        return r;
      }
      case Kind.STRUCT: case Kind.UNION: {
        // Part of a strong link only when embedded (no pointer on the path) or anonymous
        // (defined inline even behind a pointer).
        if (throughPtr && W[o] !== 0) return 0;
        const os = this.orderState;
        os[id] = ORDERING;
        const vlen = W[o + 1]! & this.vlenMask;
        for (let i = 0, p = o + 4; i < vlen; i++, p += 3) {
          // (An ORDERED member type would return 1 at once: no call.)
          if (os[W[p]!] === ORDERED) continue;
          const err = this.orderType(W[p]!, false);
          if (err < 0) return err;
        }
        if (W[o] !== 0) this.enqueue(id);
        this.orderState[id] = ORDERED;
        return 1;
      }
      case Kind.ENUM: case Kind.ENUM64: case Kind.FWD:
        // Named or unreferenced enums are top-level declarations; FWDs likewise.
        if (W[o] !== 0 || !(this.flat.R[id]! & REF_MARKED)) this.enqueue(id);
        this.orderState[id] = ORDERED;
        return 1;
      case Kind.TYPEDEF: {
        const isStrong = this.orderType(W[o + 2]!, throughPtr);
        if (isStrong < 0) return isStrong;
        // Like a struct w.r.t. forward declarations.
        if (throughPtr && !isStrong) return 0;
        this.enqueue(id);
        this.orderState[id] = ORDERED;
        return 1;
      }
      case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG: {
        const t = W[o + 2]!;
        const r = this.orderType(t, throughPtr);
        if (this.orderState[t] === ORDERED) this.orderState[id] = ORDERED;
        return r;
      }
      case Kind.FUNC_PROTO: {
        const os = this.orderState;
        let err = this.orderType(W[o + 2]!, throughPtr);
        if (err < 0) return err;
        let strong = err > 0;
        let all = os[W[o + 2]!] === ORDERED;
        const vlen = W[o + 1]! & this.vlenMask;
        for (let i = 0, p = o + 4; i < vlen; i++, p += 2) {
          if (os[W[p]!] === ORDERED) {
            strong = true;
            continue;
          }
          err = this.orderType(W[p]!, throughPtr);
          if (err < 0) return err;
          if (err > 0) strong = true;
          if (os[W[p]!] !== ORDERED) all = false;
        }
        if (all) os[id] = ORDERED;
        return strong ? 1 : 0;
      }
      case Kind.FUNC: case Kind.VAR: case Kind.DATASEC: case Kind.DECL_TAG:
        this.orderState[id] = ORDERED;
        return 0;
      default:
        return -EINVAL;
    }
  }

  // ------------------------------------------------------------------- emission

  private isBlacklisted(id: number): boolean {
    const off = this.W[this.O[id]!]!;
    return off !== 0 && this.strEquals(off, this.builtinVaList);
  }

  private strEquals(off: number, lit: Uint8Array): boolean {
    const S = this.S;
    const n = lit.length;
    for (let i = 0; i < n; i++) if (S[off + i] !== lit[i]) return false;
    return (S[off + n] ?? 0) === 0;
  }

  /** btf_dump_emit_type, with its nesting bounded by MAX_TYPE_DEPTH. */
  private emitType(id: number, contId: number): void {
    if (this.emitState[id] === EMITTED) return;
    if (this.emitDepth === MAX_TYPE_DEPTH) throw tooDeep(id);
    this.emitDepth++;
    this.emitTypeStep(id, contId);
    this.emitDepth--;
  }

  private emitTypeStep(id: number, contId: number): void {
    const st = this.emitState[id]!;
    if (st === EMITTED) return;
    const W = this.W;
    const o = this.O[id]!;
    const k = this.K[id]!;
    const w = this.out;

    if (st === EMITTING) {
      if (this.flags[id]! & F_FWD_EMITTED) return;
      switch (k) {
        case Kind.STRUCT: case Kind.UNION:
          // Referencing the struct/union we are part of needs no forward declaration.
          if (id === contId) return;
          if (W[o] === 0) {
            this.warn(`anonymous struct/union loop, id:[${id}]`);
            return;
          }
          this.emitStructFwd(id);
          w.lit(L.SEMI_NL2);
          this.flags[id]! |= F_FWD_EMITTED;
          break;
        case Kind.TYPEDEF:
          // The typedef itself serves as the forward declaration (usable through pointers).
          if (!this.isBlacklisted(id)) {
            this.emitTypedefDef(id, 0);
            w.lit(L.SEMI_NL2);
          }
          this.flags[id]! |= F_FWD_EMITTED;
          break;
        default:
          break;
      }
      return;
    }

    switch (k) {
      case Kind.INT:
        this.emitMissingAliases(id);
        this.emitState[id] = EMITTED;
        break;
      case Kind.ENUM: case Kind.ENUM64:
        if (contId === 0) {
          this.emitEnumDef(id, 0);
          w.lit(L.SEMI_NL2);
        }
        this.emitState[id] = EMITTED;
        break;
      case Kind.PTR: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG: {
        if (this.flags[id]! & F_DONE) break;
        const t = W[o + 2]!;
        this.emitType(t, contId);
        if (this.isDone(t)) this.flags[id]! |= F_DONE;
        break;
      }
      case Kind.ARRAY: {
        if (this.flags[id]! & F_DONE) break;
        const t = W[o + 3]!;
        this.emitType(t, contId);
        if (this.isDone(t)) this.flags[id]! |= F_DONE;
        break;
      }
      case Kind.FWD:
        this.emitFwdDef(id);
        w.lit(L.SEMI_NL2);
        this.emitState[id] = EMITTED;
        break;
      case Kind.TYPEDEF:
        this.emitState[id] = EMITTING;
        this.emitType(W[o + 2]!, id);
        if (!(this.flags[id]! & F_FWD_EMITTED) && !this.isBlacklisted(id)) {
          this.emitTypedefDef(id, 0);
          w.lit(L.SEMI_NL2);
        }
        this.emitState[id] = EMITTED;
        break;
      case Kind.STRUCT: case Kind.UNION: {
        this.emitState[id] = EMITTING;
        const top = contId === 0;
        const anon = W[o] === 0;
        if (top || anon) {
          // All fields will be written out: their types need their declarations first.
          const newCont = anon ? contId : id;
          const vlen = W[o + 1]! & this.vlenMask;
          const es = this.emitState;
          for (let i = 0, p = o + 4; i < vlen; i++, p += 3) if (es[W[p]!] !== EMITTED) this.emitType(W[p]!, newCont);
        } else if (!(this.flags[id]! & F_FWD_EMITTED) && id !== contId) {
          this.emitStructFwd(id);
          w.lit(L.SEMI_NL2);
          this.flags[id]! |= F_FWD_EMITTED;
        }
        if (top) {
          this.emitStructDef(id, 0);
          w.lit(L.SEMI_NL2);
          this.emitState[id] = EMITTED;
        } else {
          this.emitState[id] = NOT_EMITTED;
        }
        break;
      }
      case Kind.FUNC_PROTO: {
        if (this.flags[id]! & F_DONE) break;
        this.emitType(W[o + 2]!, contId);
        let all = this.isDone(W[o + 2]!);
        const vlen = W[o + 1]! & this.vlenMask;
        const es = this.emitState;
        for (let i = 0, p = o + 4; i < vlen; i++, p += 2) {
          if (es[W[p]!] === EMITTED) continue;
          this.emitType(W[p]!, contId);
          if (all && !this.isDone(W[p]!)) all = false;
        }
        if (all) this.flags[id]! |= F_DONE;
        break;
      }
      default:
        break;
    }
  }

  /**
   * Will emitType(id, any container) never write anything again? True for emitted types,
   * for kinds it ignores, for named structs/unions whose forward declaration is out (only a
   * top-level call defines them, and pointers/arrays/prototypes are never visited at top
   * level), and for pointer/modifier/array/prototype chains already found to lead only to
   * such types. libbpf walks those chains every time; remembering saves the walks only.
   */
  private isDone(t: number): boolean {
    if (this.emitState[t] === EMITTED) return true;
    switch (this.K[t]) {
      case Kind.FLOAT: case Kind.FUNC: case Kind.VAR: case Kind.DATASEC: case Kind.DECL_TAG:
        return true;
      case Kind.STRUCT: case Kind.UNION:
        return this.W[this.O[t]!] !== 0 && (this.flags[t]! & F_FWD_EMITTED) !== 0;
      case Kind.PTR: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG:
      case Kind.ARRAY: case Kind.FUNC_PROTO:
        return (this.flags[t]! & F_DONE) !== 0;
      default:
        return false;
    }
  }

  // ---------------------------------------------------------------------- names

  /** btf_dump_resolve_name: the `___N` suffix count of id's name (0 = none). */
  private resolveName(id: number, map: NameCounter): number {
    const W = this.W;
    const o = this.O[id]!;
    const nameOff = W[o]!;
    if (nameOff === 0) return 0;
    const fl = this.flags[id]!;
    if (fl & F_NAME_RESOLVED) return this.nameDup[id]!;
    const k = this.K[id]!;
    if (k === Kind.FWD || (k === Kind.ENUM && (W[o + 1]! & this.vlenMask) === 0)) {
      this.flags[id] = fl | F_NAME_RESOLVED;
      return 0;
    }
    const dup = map.inc(nameOff);
    if (dup > 1) this.nameDup[id] = dup;
    this.flags[id] = fl | F_NAME_RESOLVED;
    return this.nameDup[id]!;
  }

  /** Writes a BTF string, with libbpf's "%s___%zu" suffix (snprintf'd into 256 bytes) when dup > 1. */
  private writeName(off: number, dup: number): void {
    const w = this.out;
    if (dup <= 1) {
      w.str(off);
      return;
    }
    const start = w.len;
    w.str(off);
    w.lit(L.DUP);
    w.uint(dup);
    if (w.len - start > 255) w.len = start + 255;
  }

  private writeTypeName(id: number): void {
    const dup = this.resolveName(id, this.typeNames);
    const off = this.W[this.O[id]!]!;
    if (off !== 0) this.writeName(off, dup);
  }

  private writeIdentName(id: number): void {
    const dup = this.resolveName(id, this.identNames);
    const off = this.W[this.O[id]!]!;
    if (off !== 0) this.writeName(off, dup);
  }

  // ------------------------------------------------------------- definitions

  private emitMissingAliases(id: number): void {
    const dup = this.resolveName(id, this.typeNames);
    const off = this.W[this.O[id]!]!;
    if (off === 0 || dup > 1) return;
    for (let i = 0; i < MISSING_BASE_TYPES.length; i++) {
      if (this.strEquals(off, this.polyNames[i]!)) {
        this.out.text(`typedef ${MISSING_BASE_TYPES[i]![1]} ${MISSING_BASE_TYPES[i]![0]};\n\n`);
        break;
      }
    }
  }

  private emitStructFwd(id: number): void {
    const w = this.out;
    w.lit(this.K[id] === Kind.STRUCT ? L.STRUCT : L.UNION);
    if (this.W[this.O[id]!] !== 0) w.byte(SPACE);
    this.writeTypeName(id);
  }

  private emitFwdDef(id: number): void {
    const w = this.out;
    const info = this.W[this.O[id]! + 1]!;
    w.lit(info >>> 31 ? L.UNION_ : L.STRUCT_);
    this.writeTypeName(id);
  }

  private emitEnumFwd(id: number): void {
    this.out.lit(L.ENUM_);
    this.writeTypeName(id);
  }

  private emitTypedefDef(id: number, lvl: number): void {
    const W = this.W;
    const o = this.O[id]!;
    const dup = this.resolveName(id, this.identNames);
    const nameOff = W[o]!;
    // Old GCC emits __gnuc_va_list as a typedef of void: write a valid one instead.
    if (W[o + 2] === 0 && dup <= 1 && nameOff !== 0 && this.strEquals(nameOff, this.gnucVaList)) {
      this.out.lit(L.GNUC_VA);
      return;
    }
    this.out.lit(L.TYPEDEF_);
    this.emitDecl(W[o + 2]!, nameOff, dup, lvl);
  }

  /** btf_dump_emit_bit_padding. */
  private emitBitPadding(id: number, curOff: number, nextOff: number, nextAlign: number, inBitfield: boolean, lvl: number): void {
    if (curOff >= nextOff) return; // no gap
    const longBits = this.ptrSize * 8;
    // libbpf writes one `long: 64;` line per word of the gap: refuse a gap (from a size or
    // offset the BTF claims) that no real struct has, or whose lines would not fit in the
    // output cap, before writing them.
    if (nextOff - curOff > MAX_PAD_GAP * 8) {
      throw new BtfkitError('BTF_INVALID', `padding gap of ${Math.floor((nextOff - curOff) / 8)} bytes at bit offset ${curOff} (more than ${MAX_PAD_GAP}: struct size or member offset not plausible)`, {
        errno: Errno.E2BIG,
        where: { typeId: id },
      });
    }
    const lineBytes = 9 + (lvl > MAX_INDENT ? MAX_INDENT : lvl);
    if (this.out.len + ((nextOff - curOff) / longBits) * lineBytes > this.out.limit) throw outputTooBig(this.out.limit);
    // pads: long, int, short, char
    let newOff = 0;
    let padBits = 0;
    let pad = 0;
    for (let i = 0; i < 4; i++) {
      padBits = i === 0 ? longBits : 32 >> (i - 1);
      pad = i;
      newOff = roundup(curOff, padBits);
      if (newOff <= nextOff) break;
    }
    if (newOff > curOff && newOff <= nextOff) {
      // An explicit `<type>: 0` marker is needed when the next field sits right on the
      // boundary but its own alignment would not bring it there, or when `<type>: X`
      // would fit in the remaining hole; bitfields get an explicit bit count.
      if (inBitfield ||
        (newOff === nextOff && roundup(curOff, nextAlign * 8) !== newOff) ||
        (newOff !== nextOff && nextOff - newOff <= newOff - curOff)) {
        this.padLine(pad, inBitfield ? newOff - curOff : 0, lvl);
      }
      curOff = newOff;
    }
    // Fill the rest with full-size markers, the last one possibly smaller.
    while (curOff !== nextOff) {
      const bits = Math.min(nextOff - curOff, padBits);
      if (bits === padBits) {
        const count = Math.floor((nextOff - curOff) / padBits);
        this.padLines(pad, padBits, lvl, count);
        curOff += count * padBits;
        continue;
      }
      for (let i = 3; i >= 0; i--) {
        pad = i;
        padBits = i === 0 ? longBits : 32 >> (i - 1);
        if (padBits < bits) continue;
        this.padLine(pad, bits, lvl);
        curOff += bits;
        break;
      }
    }
  }

  /** `count` identical padLine()s: one written, then copied in doubling blocks. */
  private padLines(pad: number, bits: number, lvl: number, count: number): void {
    const w = this.out;
    const start = w.len;
    this.padLine(pad, bits, lvl);
    const one = w.len - start;
    w.ensure((count - 1) * one);
    for (let done = 1; done < count;) {
      const k = Math.min(done, count - done);
      w.copyOwn(start, k * one);
      done += k;
    }
  }

  private padLine(pad: number, bits: number, lvl: number): void {
    const w = this.out;
    w.byte(NL);
    w.tabs(lvl > MAX_INDENT ? MAX_INDENT : lvl);
    w.lit(PADS[pad]!);
    w.int(bits);
    w.byte(59); // ;
  }

  /** btf_dump_emit_struct_def. */
  private emitStructDef(id: number, lvl: number): void {
    const W = this.W;
    const o = this.O[id]!;
    const w = this.out;
    const isStruct = this.K[id] === Kind.STRUCT;
    const info = W[o + 1]!;
    const vlen = info & this.vlenMask;
    const kflag = info >>> 31 === 1;
    const size = W[o + 2]!;
    const layout = this.layout;
    const align = layout.alignOf(id);
    const packed = isStruct ? layout.isStructPacked(id) : false;

    w.lit(isStruct ? L.STRUCT : L.UNION);
    if (W[o] !== 0) w.byte(SPACE);
    this.writeTypeName(id);
    w.lit(L.OPEN);

    const inner = lvl + 1 > MAX_INDENT ? MAX_INDENT : lvl + 1;
    let off = 0;
    let prevBitfield = false;
    for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
      const fname = W[p]!;
      const mtype = W[p + 1]!;
      const ow = W[p + 2]!;
      let mSz = kflag ? ow >>> 24 : 0;
      const mOff = kflag ? ow & 0xffffff : ow;
      // (The member's alignment only matters when there is a gap before it.)
      if (off < mOff) this.emitBitPadding(id, off, mOff, packed ? 1 : layout.alignOf(mtype), prevBitfield && mSz !== 0, lvl + 1);
      w.nlTabs(inner);
      this.emitDecl(mtype, fname, 0, lvl + 1);
      if (mSz) {
        w.lit(L.COLON);
        w.int(mSz);
        off = mOff + mSz;
        prevBitfield = true;
      } else {
        mSz = layout.resolveSize(mtype);
        if (mSz < 0) mSz = 0;
        off = mOff + mSz * 8;
        prevBitfield = false;
      }
      w.byte(59); // ;
    }
    // Pad at the end, if necessary.
    if (isStruct) this.emitBitPadding(id, off, size * 8, align, false, lvl + 1);
    // Keep `struct empty {}` on one line.
    if (vlen || size) {
      w.byte(NL);
      w.tabs(lvl > MAX_INDENT ? MAX_INDENT : lvl);
      w.byte(125); // }
    } else {
      w.byte(125);
    }
    if (packed) w.lit(L.PACKED);
  }

  /** `\n<tabs>NAME[___N] = ` of an enumerator (counted at every emission, as libbpf does). */
  private emitEnumeratorName(nameOff: number, ind: number): void {
    const w = this.out;
    // Enumerators share a namespace with typedef names.
    const dup = this.identNames.inc(nameOff);
    w.byte(NL);
    w.tabs(ind);
    w.str(nameOff);
    if (dup > 1) {
      w.lit(L.DUP);
      w.uint(dup);
    }
    w.lit(L.ASSIGN);
  }

  /** btf_dump_emit_enum_def. */
  private emitEnumDef(id: number, lvl: number): void {
    const W = this.W;
    const o = this.O[id]!;
    const w = this.out;
    const info = W[o + 1]!;
    const vlen = info & this.vlenMask;
    const isSigned = info >>> 31 === 1;
    const is64 = this.K[id] === Kind.ENUM64;

    w.lit(L.ENUM);
    if (W[o] !== 0) w.byte(SPACE);
    this.writeTypeName(id);
    if (!vlen) return;
    w.lit(L.OPEN);
    const ind = lvl + 1 > MAX_INDENT ? MAX_INDENT : lvl + 1;
    if (!is64) {
      for (let i = 0, p = o + 3; i < vlen; i++, p += 2) {
        this.emitEnumeratorName(W[p]!, ind);
        const v = W[p + 1]!;
        if (isSigned) w.int(v | 0);
        else w.uint(v);
        w.byte(44); // ,
      }
    } else {
      for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
        this.emitEnumeratorName(W[p]!, ind);
        const lo = W[p + 1]!;
        const hi = W[p + 2]!;
        if (hi === 0) w.uint(lo);
        else if (isSigned && hi === 0xffffffff && lo >= 0x80000000) w.int(lo - 0x100000000);
        else {
          const u = (BigInt(hi) << 32n) | BigInt(lo);
          w.big(isSigned ? BigInt.asIntN(64, u) : u);
        }
        w.lit(isSigned ? L.LL_COMMA : L.ULL_COMMA);
      }
    }
    w.byte(NL);
    w.tabs(lvl > MAX_INDENT ? MAX_INDENT : lvl);
    w.byte(125); // }

    // Enums of unusual sizes.
    const size = W[o + 2]!;
    if (size === 1) {
      w.lit(L.MODE_BYTE);
    } else if (size === 8 && this.ptrSize === 8) {
      // An 8-byte enum comes naturally only from a value that needs 64 bits.
      let needsWordMode = true;
      if (is64) {
        for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
          if (W[p + 2] !== 0) {
            needsWordMode = false;
            break;
          }
        }
      }
      if (needsWordMode) w.lit(L.MODE_WORD);
    }
  }

  // ------------------------------------------------------------ declarations

  private push(id: number): void {
    if (this.sp === this.stack.length) this.stack = growU32(this.stack, this.sp + 1);
    this.stack[this.sp++] = id;
  }

  /** Is the declared name non-empty? (fnOff -1 = the caller-provided name.) */
  private nameNonEmpty(fnOff: number, fnDup: number): boolean {
    if (fnOff < 0) return this.extName.length > 0;
    return fnDup > 1 || (fnOff !== 0 && this.S[fnOff] !== 0);
  }

  private writeDeclName(fnOff: number, fnDup: number): void {
    if (fnOff < 0) {
      const e = this.extName;
      this.out.bytes(e, 0, e.length);
    } else if (fnOff !== 0 || fnDup > 1) {
      this.writeName(fnOff, fnDup);
    }
  }

  /**
   * btf_dump_emit_type_decl. The declared name is a BTF string (fnOff, with suffix fnDup) or,
   * for -1, the caller's.
   *
   * The text before the name of a chain of pointers/modifiers/type tags ending at a named
   * type (or void) does not depend on context once its names are resolved, so the first
   * emission's bytes are remembered (as a range of the output) and copied for later uses of
   * the same type id; arrays, function prototypes and anonymous types are always emitted.
   */
  private emitDecl(id: number, fnOff: number, fnDup: number, lvl: number): void {
    if (!this.stripMods) {
      const c = this.declOff[id]!;
      if (c >= 0) {
        this.out.copyOwn(c, this.declLen[id]!);
        this.emitName(fnOff, fnDup, this.declPtr[id] === 1);
        return;
      }
      if (c === -1) {
        if (this.declCacheable(id)) {
          const start = this.out.len;
          this.emitDeclRaw(id, 0, 0, lvl);
          this.declOff[id] = start;
          this.declLen[id] = this.out.len - start;
          this.declPtr[id] = this.lastWasPtr ? 1 : 0;
          this.emitName(fnOff, fnDup, this.lastWasPtr);
          return;
        }
        this.declOff[id] = -2;
      }
    }
    this.emitDeclRaw(id, fnOff, fnDup, lvl);
  }

  /** Does the declaration chain of id end at a named type or void, through pointers/modifiers/tags only? */
  private declCacheable(id: number): boolean {
    const { W, O, K } = this;
    for (let guard = 0; guard < 64; guard++) {
      if (id === 0) return true;
      switch (K[id]) {
        case Kind.PTR: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG:
          id = W[O[id]! + 2]!;
          break;
        case Kind.INT: case Kind.FLOAT: case Kind.TYPEDEF: case Kind.FWD:
          return true;
        case Kind.STRUCT: case Kind.UNION: case Kind.ENUM: case Kind.ENUM64:
          return W[O[id]!] !== 0;
        default:
          return false;
      }
    }
    return false;
  }

  private emitDeclRaw(id: number, fnOff: number, fnDup: number, lvl: number): void {
    const W = this.W;
    const O = this.O;
    const K = this.K;
    const start = this.sp;
    for (;;) {
      if (this.sp - start === MAX_TYPE_DEPTH) throw tooDeep(id);
      const k = K[id]!;
      if (!(this.stripMods && (k === Kind.VOLATILE || k === Kind.CONST || k === Kind.RESTRICT || k === Kind.TYPE_TAG)))
        this.push(id);
      if (id === 0) break;
      let done = false;
      switch (k) {
        case Kind.PTR: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.FUNC_PROTO: case Kind.TYPE_TAG:
          id = W[O[id]! + 2]!;
          break;
        case Kind.ARRAY:
          id = W[O[id]! + 3]!;
          break;
        case Kind.INT: case Kind.ENUM: case Kind.ENUM64: case Kind.FWD: case Kind.STRUCT: case Kind.UNION:
        case Kind.TYPEDEF: case Kind.FLOAT:
          done = true;
          break;
        default:
          this.warn(`unexpected type in decl chain, kind:${k}, id:[${id}]`);
          done = true;
      }
      if (done) break;
    }
    // Our own frame of the shared stack: [start, sp).
    const fr = ++this.depth;
    if (fr === this.frameBase.length) {
      const b = new Int32Array(fr * 2);
      b.set(this.frameBase);
      this.frameBase = b;
      const c = new Int32Array(fr * 2);
      c.set(this.frameCnt);
      this.frameCnt = c;
    }
    this.frameBase[fr] = start;
    this.frameCnt[fr] = this.sp - start;
    this.emitChain(fr, fnOff, fnDup, lvl);
    this.depth = fr - 1;
    this.sp = start;
  }

  /** btf_dump_emit_mods: const/volatile/restrict on top of the frame, written before the type. */
  private emitMods(fr: number): void {
    const base = this.frameBase[fr]!;
    let cnt = this.frameCnt[fr]!;
    const w = this.out;
    while (cnt) {
      const k = this.K[this.stack[base + cnt - 1]!]!;
      if (k === Kind.VOLATILE) w.lit(L.VOLATILE_);
      else if (k === Kind.CONST) w.lit(L.CONST_);
      else if (k === Kind.RESTRICT) w.lit(L.RESTRICT_);
      else break;
      cnt--;
    }
    this.frameCnt[fr] = cnt;
  }

  /** btf_dump_drop_mods. */
  private dropMods(fr: number): void {
    const base = this.frameBase[fr]!;
    let cnt = this.frameCnt[fr]!;
    while (cnt) {
      const k = this.K[this.stack[base + cnt - 1]!]!;
      if (k !== Kind.VOLATILE && k !== Kind.CONST && k !== Kind.RESTRICT && k !== Kind.TYPE_TAG) break;
      cnt--;
    }
    this.frameCnt[fr] = cnt;
  }

  private emitName(fnOff: number, fnDup: number, lastWasPtr: boolean): void {
    if (this.nameNonEmpty(fnOff, fnDup) && !lastWasPtr) this.out.byte(SPACE);
    this.writeDeclName(fnOff, fnDup);
  }

  /**
   * btf_dump_emit_type_chain, with a bound on nesting: declarations inside declarations
   * (inlined anonymous types, prototypes in parameters) and arrays/prototypes in a chain
   * each nest one more level.
   */
  private emitChain(fr: number, fnOff: number, fnDup: number, lvl: number): void {
    if (this.declNest === MAX_DECL_NESTING) throw tooDeep(this.stack[this.frameBase[fr]! + this.frameCnt[fr]! - 1] ?? 0, MAX_DECL_NESTING);
    this.declNest++;
    this.emitChainStep(fr, fnOff, fnDup, lvl);
    this.declNest--;
  }

  private emitChainStep(fr: number, fnOff: number, fnDup: number, lvl: number): void {
    const W = this.W;
    const w = this.out;
    // Whether the previous item was '*': no space before another '*' or the name.
    let lastWasPtr = true;
    const fb = this.frameBase[fr]!;
    while (this.frameCnt[fr]! > 0) {
      const cnt = --this.frameCnt[fr]!;
      const id = this.stack[fb + cnt]!;
      if (id === 0) {
        this.emitMods(fr);
        w.lit(L.VOID);
        lastWasPtr = false;
        continue;
      }
      const o = this.O[id]!;
      const k = this.K[id]!;
      switch (k) {
        case Kind.INT: case Kind.FLOAT:
          this.emitMods(fr);
          w.str(W[o]!);
          break;
        case Kind.STRUCT: case Kind.UNION:
          this.emitMods(fr);
          if (W[o] === 0 && !this.skipAnonDefs) this.emitStructDef(id, lvl);
          else this.emitStructFwd(id);
          break;
        case Kind.ENUM: case Kind.ENUM64:
          this.emitMods(fr);
          if (W[o] === 0 && !this.skipAnonDefs) this.emitEnumDef(id, lvl);
          else this.emitEnumFwd(id);
          break;
        case Kind.FWD:
          this.emitMods(fr);
          this.emitFwdDef(id);
          break;
        case Kind.TYPEDEF:
          this.emitMods(fr);
          this.writeIdentName(id);
          break;
        case Kind.PTR:
          if (lastWasPtr) w.byte(42);
          else w.lit(L._STAR);
          break;
        case Kind.VOLATILE:
          w.lit(L._VOLATILE);
          break;
        case Kind.CONST:
          w.lit(L._CONST);
          break;
        case Kind.RESTRICT:
          w.lit(L._RESTRICT);
          break;
        case Kind.TYPE_TAG:
          this.emitMods(fr);
          if (W[o + 1]! >>> 31) {
            w.lit(L.ATTR_OPEN);
            w.str(W[o]!);
            w.lit(L.CLOSE2);
          } else {
            w.lit(L.TAG_OPEN);
            w.str(W[o]!);
            w.lit(L.TAG_CLOSE);
          }
          break;
        case Kind.ARRAY: {
          const nelems = W[o + 5]!;
          // GCC adds const/volatile to arrays of const/volatile elements: drop them.
          this.dropMods(fr);
          const left = this.frameCnt[fr]!;
          if (left === 0) {
            this.emitName(fnOff, fnDup, lastWasPtr);
            w.byte(91);
            w.uint(nelems);
            w.byte(93);
            return;
          }
          const nextId = this.stack[fb + left - 1]!;
          const multidim = this.K[nextId] === Kind.ARRAY;
          if (this.nameNonEmpty(fnOff, fnDup) && !lastWasPtr) w.byte(SPACE);
          if (!multidim) w.byte(40);
          this.emitChain(fr, fnOff, fnDup, lvl);
          if (!multidim) w.byte(41);
          w.byte(91);
          w.uint(nelems);
          w.byte(93);
          return;
        }
        case Kind.FUNC_PROTO: {
          const vlen = W[o + 1]! & this.vlenMask;
          // GCC marks noreturn function pointers volatile: drop such qualifiers.
          this.dropMods(fr);
          if (this.frameCnt[fr]! > 0) {
            w.lit(L._PAREN);
            this.emitChain(fr, fnOff, fnDup, lvl);
            w.byte(41);
          } else {
            this.emitName(fnOff, fnDup, lastWasPtr);
          }
          w.byte(40);
          // No params, or a single void param (clang for BPF): `(void)`.
          if (vlen === 0 || (vlen === 1 && W[o + 4] === 0)) {
            w.lit(L.VOID_CLOSE);
            return;
          }
          for (let i = 0, p = o + 3; i < vlen; i++, p += 2) {
            if (i > 0) w.lit(L.COMMA);
            // A last param of type void is the vararg.
            if (i === vlen - 1 && W[p + 1] === 0) {
              w.lit(L.ELLIPSIS);
              break;
            }
            this.emitDecl(W[p + 1]!, W[p]!, 0, lvl);
          }
          w.byte(41);
          return;
        }
        default:
          this.warn(`unexpected type in decl chain, kind:${k}, id:[${id}]`);
          return;
      }
      lastWasPtr = k === Kind.PTR;
    }
    this.lastWasPtr = lastWasPtr;
    this.emitName(fnOff, fnDup, lastWasPtr);
  }
}

/** Type [id] starts a reference chain deeper than MAX_TYPE_DEPTH (or one that loops). */
function tooDeep(id: number, max = MAX_TYPE_DEPTH): BtfkitError {
  return new BtfkitError('BTF_INVALID', `type nesting deeper than ${max} levels or a reference loop, not dumpable as C`, {
    errno: ELOOP,
    where: { typeId: id },
  });
}

function roundup(x: number, y: number): number {
  return Math.ceil(x / y) * y;
}

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}
