/**
 * Stage 2 of a C dump, btf_dump_emit_type (libbpf v1.7.0 btf_dump.c): writes one queued type
 * after the types its definition needs, and forward declarations where a cycle needs one (a
 * struct/union reached again while it is being emitted gets `struct foo;`, a typedef is
 * written early as its own forward declaration). The definitions themselves are in defs.ts.
 *
 * Shortcut (no change to any decision or byte): pointer/modifier/array/prototype chains are
 * flagged F_DONE once their emission can no longer write anything (isDone), so later visits
 * skip the walk libbpf would repeat.
 */

import { KindId as Kind } from '../../format/kinds.js';
import { missedKind } from '../missed-kind.js';
import { EMITTED, EMITTING, F_DONE, F_FWD_EMITTED, MAX_TYPE_DEPTH, NOT_EMITTED, tooDeep, warn, type EmitCtx } from './context.js';
import { emitEnumDef, emitFwdDef, emitMissingAliases, emitStructDef, emitStructFwd, emitTypedefDef } from './defs.js';
import { ascii, L } from './literals.js';
import { strEquals } from './naming.js';

/** Types named so are not emitted (libbpf's blacklist: the compiler defines it). */
const BUILTIN_VA_LIST = ascii('__builtin_va_list');

function isBlacklisted(c: EmitCtx, id: number): boolean {
  const off = c.W[c.O[id]!]!;
  return off !== 0 && strEquals(c, off, BUILTIN_VA_LIST);
}

/** btf_dump_emit_type, with its nesting bounded by MAX_TYPE_DEPTH. */
export function emitType(c: EmitCtx, id: number, contId: number): void {
  if (c.emitState[id] === EMITTED) return;
  if (c.emitDepth === MAX_TYPE_DEPTH) throw tooDeep(id);
  c.emitDepth++;
  emitTypeStep(c, id, contId);
  c.emitDepth--;
}

function emitTypeStep(c: EmitCtx, id: number, contId: number): void {
  const st = c.emitState[id]!;
  if (st === EMITTED) return;
  const W = c.W;
  const o = c.O[id]!;
  const k = c.K[id] as Kind;
  const w = c.out;

  if (st === EMITTING) {
    if (c.flags[id]! & F_FWD_EMITTED) return;
    switch (k) {
      case Kind.STRUCT: case Kind.UNION:
        // Referencing the struct/union we are part of needs no forward declaration.
        if (id === contId) return;
        if (W[o] === 0) {
          warn(c, `anonymous struct/union loop, id:[${id}]`);
          return;
        }
        emitStructFwd(c, id);
        w.lit(L.SEMI_NL2);
        c.flags[id]! |= F_FWD_EMITTED;
        break;
      case Kind.TYPEDEF:
        // The typedef itself serves as the forward declaration (usable through pointers).
        if (!isBlacklisted(c, id)) {
          emitTypedefDef(c, id, 0);
          w.lit(L.SEMI_NL2);
        }
        c.flags[id]! |= F_FWD_EMITTED;
        break;
      // Only structs, unions and typedefs are ever left EMITTING.
      case Kind.UNKN: case Kind.INT: case Kind.PTR: case Kind.ARRAY: case Kind.ENUM: case Kind.FWD:
      case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.FUNC: case Kind.FUNC_PROTO:
      case Kind.VAR: case Kind.DATASEC: case Kind.FLOAT: case Kind.DECL_TAG: case Kind.TYPE_TAG:
      case Kind.ENUM64:
        break;
      default:
        missedKind(k);
        break;
    }
    return;
  }

  switch (k) {
    case Kind.INT:
      emitMissingAliases(c, id);
      c.emitState[id] = EMITTED;
      break;
    case Kind.ENUM: case Kind.ENUM64:
      if (contId === 0) {
        emitEnumDef(c, id, 0);
        w.lit(L.SEMI_NL2);
      }
      c.emitState[id] = EMITTED;
      break;
    case Kind.PTR: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG: {
      if (c.flags[id]! & F_DONE) break;
      const t = W[o + 2]!;
      emitType(c, t, contId);
      if (isDone(c, t)) c.flags[id]! |= F_DONE;
      break;
    }
    case Kind.ARRAY: {
      if (c.flags[id]! & F_DONE) break;
      const t = W[o + 3]!;
      emitType(c, t, contId);
      if (isDone(c, t)) c.flags[id]! |= F_DONE;
      break;
    }
    case Kind.FWD:
      emitFwdDef(c, id);
      w.lit(L.SEMI_NL2);
      c.emitState[id] = EMITTED;
      break;
    case Kind.TYPEDEF:
      c.emitState[id] = EMITTING;
      emitType(c, W[o + 2]!, id);
      if (!(c.flags[id]! & F_FWD_EMITTED) && !isBlacklisted(c, id)) {
        emitTypedefDef(c, id, 0);
        w.lit(L.SEMI_NL2);
      }
      c.emitState[id] = EMITTED;
      break;
    case Kind.STRUCT: case Kind.UNION: {
      c.emitState[id] = EMITTING;
      const top = contId === 0;
      const anon = W[o] === 0;
      if (top || anon) {
        // All fields will be written out: their types need their declarations first.
        const newCont = anon ? contId : id;
        const vlen = W[o + 1]! & c.vlenMask;
        const es = c.emitState;
        for (let i = 0, p = o + 4; i < vlen; i++, p += 3) if (es[W[p]!] !== EMITTED) emitType(c, W[p]!, newCont);
      } else if (!(c.flags[id]! & F_FWD_EMITTED) && id !== contId) {
        emitStructFwd(c, id);
        w.lit(L.SEMI_NL2);
        c.flags[id]! |= F_FWD_EMITTED;
      }
      if (top) {
        emitStructDef(c, id, 0);
        w.lit(L.SEMI_NL2);
        c.emitState[id] = EMITTED;
      } else {
        c.emitState[id] = NOT_EMITTED;
      }
      break;
    }
    case Kind.FUNC_PROTO: {
      if (c.flags[id]! & F_DONE) break;
      emitType(c, W[o + 2]!, contId);
      let all = isDone(c, W[o + 2]!);
      const vlen = W[o + 1]! & c.vlenMask;
      const es = c.emitState;
      for (let i = 0, p = o + 4; i < vlen; i++, p += 2) {
        if (es[W[p]!] === EMITTED) continue;
        emitType(c, W[p]!, contId);
        if (all && !isDone(c, W[p]!)) all = false;
      }
      if (all) c.flags[id]! |= F_DONE;
      break;
    }
    // Nothing to write: FLOAT needs no declaration; FUNC/VAR/DATASEC/DECL_TAG are not C types.
    case Kind.FLOAT: case Kind.FUNC: case Kind.VAR: case Kind.DATASEC: case Kind.DECL_TAG: case Kind.UNKN:
      break;
    default:
      missedKind(k);
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
function isDone(c: EmitCtx, t: number): boolean {
  if (c.emitState[t] === EMITTED) return true;
  const k = c.K[t] as Kind;
  switch (k) {
    case Kind.FLOAT: case Kind.FUNC: case Kind.VAR: case Kind.DATASEC: case Kind.DECL_TAG:
      return true;
    case Kind.STRUCT: case Kind.UNION:
      return c.W[c.O[t]!] !== 0 && (c.flags[t]! & F_FWD_EMITTED) !== 0;
    case Kind.PTR: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT: case Kind.TYPE_TAG:
    case Kind.ARRAY: case Kind.FUNC_PROTO:
      return (c.flags[t]! & F_DONE) !== 0;
    case Kind.UNKN: case Kind.INT: case Kind.ENUM: case Kind.ENUM64: case Kind.FWD: case Kind.TYPEDEF:
      return false;
    default:
      missedKind(k);
      return false;
  }
}
