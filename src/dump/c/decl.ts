/**
 * Declarations of the C emitter, btf_dump_emit_type_decl (libbpf v1.7.0 btf_dump.c): the chain
 * of PTR/ARRAY/FUNC_PROTO/modifiers from a declared name to its terminal type is pushed onto
 * the declaration stack, then unwound into C declarator syntax (btf_dump_emit_type_chain):
 * modifiers right of pointers, parenthesized function pointers and arrays, qualifiers GCC
 * puts on arrays and noreturn prototypes dropped (btf_dump_drop_mods). Nested declarations
 * (anonymous types inline, prototypes in parameters) get their own frame of the shared stack.
 *
 * Shortcut: the text before the name of a pointer/modifier chain ending at a named type (or
 * void) does not depend on context once its names are resolved, so it is copied from its
 * first emission (the declaration cache of EmitCtx).
 */

import { KindId as Kind } from '../../format/kinds.js';
import { missedKind } from '../missed-kind.js';
import { growU32 } from '../../model/grow.js';
import { MAX_DECL_NESTING, MAX_TYPE_DEPTH, tooDeep, warn, type EmitCtx } from './context.js';
import { emitEnumDef, emitEnumFwd, emitFwdDef, emitStructDef, emitStructFwd } from './defs.js';
import { L, SPACE } from './literals.js';
import { writeIdentName, writeName } from './naming.js';

function push(c: EmitCtx, id: number): void {
  if (c.sp === c.stack.length) c.stack = growU32(c.stack, c.sp + 1);
  c.stack[c.sp++] = id;
}

/** Is the declared name non-empty? (fnOff -1 = the caller-provided name.) */
function nameNonEmpty(c: EmitCtx, fnOff: number, fnDup: number): boolean {
  if (fnOff < 0) return c.extName.length > 0;
  return fnDup > 1 || (fnOff !== 0 && c.S[fnOff] !== 0);
}

function writeDeclName(c: EmitCtx, fnOff: number, fnDup: number): void {
  if (fnOff < 0) {
    const e = c.extName;
    c.out.bytes(e, 0, e.length);
  } else if (fnOff !== 0 || fnDup > 1) {
    writeName(c, fnOff, fnDup);
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
export function emitDecl(c: EmitCtx, id: number, fnOff: number, fnDup: number, lvl: number): void {
  if (!c.stripMods) {
    const cached = c.declOff[id]!;
    if (cached >= 0) {
      c.out.copyOwn(cached, c.declLen[id]!);
      emitName(c, fnOff, fnDup, c.declPtr[id] === 1);
      return;
    }
    if (cached === -1) {
      if (declCacheable(c, id)) {
        const start = c.out.len;
        emitDeclRaw(c, id, 0, 0, lvl);
        c.declOff[id] = start;
        c.declLen[id] = c.out.len - start;
        c.declPtr[id] = c.lastWasPtr ? 1 : 0;
        emitName(c, fnOff, fnDup, c.lastWasPtr);
        return;
      }
      c.declOff[id] = -2;
    }
  }
  emitDeclRaw(c, id, fnOff, fnDup, lvl);
}

/** Does the declaration chain of id end at a named type or void, through pointers/modifiers/tags only? */
function declCacheable(c: EmitCtx, id: number): boolean {
  const { W, O, K } = c;
  for (let guard = 0; guard < 64; guard++) {
    if (id === 0) return true;
    const k = K[id] as Kind;
    switch (k) {
      case Kind.PTR: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG:
        id = W[O[id]! + 2]!;
        break;
      case Kind.INT: case Kind.FLOAT: case Kind.TYPEDEF: case Kind.FWD:
        return true;
      case Kind.STRUCT: case Kind.UNION: case Kind.ENUM: case Kind.ENUM64:
        return W[O[id]!] !== 0;
      case Kind.ARRAY: case Kind.FUNC_PROTO: case Kind.UNKN: case Kind.FUNC: case Kind.VAR: case Kind.DATASEC:
      case Kind.DECL_TAG:
        return false;
      default:
        missedKind(k);
        return false;
    }
  }
  return false;
}

function emitDeclRaw(c: EmitCtx, id: number, fnOff: number, fnDup: number, lvl: number): void {
  const W = c.W;
  const O = c.O;
  const K = c.K;
  const start = c.sp;
  for (;;) {
    if (c.sp - start === MAX_TYPE_DEPTH) throw tooDeep(id);
    const k = K[id] as Kind;
    if (!(c.stripMods && (k === Kind.VOLATILE || k === Kind.CONST || k === Kind.RESTRICT || k === Kind.TYPE_TAG)))
      push(c, id);
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
      case Kind.UNKN: case Kind.FUNC: case Kind.VAR: case Kind.DATASEC: case Kind.DECL_TAG:
        warn(c, `unexpected type in decl chain, kind:${k}, id:[${id}]`);
        done = true;
        break;
      default:
        warn(c, `unexpected type in decl chain, kind:${missedKind(k)}, id:[${id}]`);
        done = true;
    }
    if (done) break;
  }
  // Our own frame of the shared stack: [start, sp).
  const fr = ++c.depth;
  if (fr === c.frameBase.length) {
    const b = new Int32Array(fr * 2);
    b.set(c.frameBase);
    c.frameBase = b;
    const n = new Int32Array(fr * 2);
    n.set(c.frameCnt);
    c.frameCnt = n;
  }
  c.frameBase[fr] = start;
  c.frameCnt[fr] = c.sp - start;
  emitChain(c, fr, fnOff, fnDup, lvl);
  c.depth = fr - 1;
  c.sp = start;
}

/** btf_dump_emit_mods: const/volatile/restrict on top of the frame, written before the type. */
function emitMods(c: EmitCtx, fr: number): void {
  const base = c.frameBase[fr]!;
  let cnt = c.frameCnt[fr]!;
  const w = c.out;
  while (cnt) {
    const k = c.K[c.stack[base + cnt - 1]!]!;
    if (k === Kind.VOLATILE) w.lit(L.VOLATILE_);
    else if (k === Kind.CONST) w.lit(L.CONST_);
    else if (k === Kind.RESTRICT) w.lit(L.RESTRICT_);
    else break;
    cnt--;
  }
  c.frameCnt[fr] = cnt;
}

/** btf_dump_drop_mods. */
function dropMods(c: EmitCtx, fr: number): void {
  const base = c.frameBase[fr]!;
  let cnt = c.frameCnt[fr]!;
  while (cnt) {
    const k = c.K[c.stack[base + cnt - 1]!]!;
    if (k !== Kind.VOLATILE && k !== Kind.CONST && k !== Kind.RESTRICT && k !== Kind.TYPE_TAG) break;
    cnt--;
  }
  c.frameCnt[fr] = cnt;
}

function emitName(c: EmitCtx, fnOff: number, fnDup: number, lastWasPtr: boolean): void {
  if (nameNonEmpty(c, fnOff, fnDup) && !lastWasPtr) c.out.byte(SPACE);
  writeDeclName(c, fnOff, fnDup);
}

/**
 * btf_dump_emit_type_chain, with a bound on nesting: declarations inside declarations
 * (inlined anonymous types, prototypes in parameters) and arrays/prototypes in a chain
 * each nest one more level.
 */
function emitChain(c: EmitCtx, fr: number, fnOff: number, fnDup: number, lvl: number): void {
  if (c.declNest === MAX_DECL_NESTING) throw tooDeep(c.stack[c.frameBase[fr]! + c.frameCnt[fr]! - 1] ?? 0, MAX_DECL_NESTING);
  c.declNest++;
  emitChainStep(c, fr, fnOff, fnDup, lvl);
  c.declNest--;
}

function emitChainStep(c: EmitCtx, fr: number, fnOff: number, fnDup: number, lvl: number): void {
  const W = c.W;
  const w = c.out;
  // Whether the previous item was '*': no space before another '*' or the name.
  let lastWasPtr = true;
  const fb = c.frameBase[fr]!;
  while (c.frameCnt[fr]! > 0) {
    const cnt = --c.frameCnt[fr]!;
    const id = c.stack[fb + cnt]!;
    if (id === 0) {
      emitMods(c, fr);
      w.lit(L.VOID);
      lastWasPtr = false;
      continue;
    }
    const o = c.O[id]!;
    const k = c.K[id] as Kind;
    switch (k) {
      case Kind.INT: case Kind.FLOAT:
        emitMods(c, fr);
        w.str(W[o]!);
        break;
      case Kind.STRUCT: case Kind.UNION:
        emitMods(c, fr);
        if (W[o] === 0 && !c.skipAnonDefs) emitStructDef(c, id, lvl);
        else emitStructFwd(c, id);
        break;
      case Kind.ENUM: case Kind.ENUM64:
        emitMods(c, fr);
        if (W[o] === 0 && !c.skipAnonDefs) emitEnumDef(c, id, lvl);
        else emitEnumFwd(c, id);
        break;
      case Kind.FWD:
        emitMods(c, fr);
        emitFwdDef(c, id);
        break;
      case Kind.TYPEDEF:
        emitMods(c, fr);
        writeIdentName(c, id);
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
        emitMods(c, fr);
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
        dropMods(c, fr);
        const left = c.frameCnt[fr]!;
        if (left === 0) {
          emitName(c, fnOff, fnDup, lastWasPtr);
          w.byte(91);
          w.uint(nelems);
          w.byte(93);
          return;
        }
        const nextId = c.stack[fb + left - 1]!;
        const multidim = c.K[nextId] === Kind.ARRAY;
        if (nameNonEmpty(c, fnOff, fnDup) && !lastWasPtr) w.byte(SPACE);
        if (!multidim) w.byte(40);
        emitChain(c, fr, fnOff, fnDup, lvl);
        if (!multidim) w.byte(41);
        w.byte(91);
        w.uint(nelems);
        w.byte(93);
        return;
      }
      case Kind.FUNC_PROTO: {
        const vlen = W[o + 1]! & c.vlenMask;
        // GCC marks noreturn function pointers volatile: drop such qualifiers.
        dropMods(c, fr);
        if (c.frameCnt[fr]! > 0) {
          w.lit(L._PAREN);
          emitChain(c, fr, fnOff, fnDup, lvl);
          w.byte(41);
        } else {
          emitName(c, fnOff, fnDup, lastWasPtr);
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
          emitDecl(c, W[p + 1]!, W[p]!, 0, lvl);
        }
        w.byte(41);
        return;
      }
      case Kind.UNKN: case Kind.FUNC: case Kind.VAR: case Kind.DATASEC: case Kind.DECL_TAG:
        warn(c, `unexpected type in decl chain, kind:${k}, id:[${id}]`);
        return;
      default:
        warn(c, `unexpected type in decl chain, kind:${missedKind(k)}, id:[${id}]`);
        return;
    }
    lastWasPtr = k === Kind.PTR;
  }
  c.lastWasPtr = lastWasPtr;
  emitName(c, fnOff, fnDup, lastWasPtr);
}
