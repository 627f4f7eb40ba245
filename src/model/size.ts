/**
 * Type sizes, as libbpf's btf__resolve_size computes them: typedefs, modifiers, type tags and
 * VARs are followed; arrays multiply; pointers take the target's pointer size; sized kinds
 * give their size word. Returns -1 where libbpf returns an error (FUNC, FUNC_PROTO, void,
 * loops, overflow).
 */

import { KindId as Kind } from '../format/kinds.js';
import type { Btf } from './btf.js';

const MAX_RESOLVE_DEPTH = 32;

export function resolveSize(btf: Btf, id: number): number {
  let nelems = 1;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH && id !== 0; depth++) {
    const k = btf.kind(id) as Kind;
    switch (k) {
      case Kind.INT: case Kind.STRUCT: case Kind.UNION: case Kind.ENUM: case Kind.ENUM64:
      case Kind.DATASEC: case Kind.FLOAT: {
        const size = btf.size(id) * nelems;
        return size > 0xffffffff ? -1 : size;
      }
      case Kind.PTR:
        return btf.ptrSize * nelems;
      case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT:
      case Kind.VAR: case Kind.DECL_TAG: case Kind.TYPE_TAG:
        id = btf.type(id);
        break;
      case Kind.ARRAY: {
        const n = btf.arrayNelems(id);
        if (n && nelems > 0xffffffff / n) return -1;
        nelems *= n;
        id = btf.arrayElemType(id);
        break;
      }
      case Kind.UNKN: case Kind.FUNC: case Kind.FUNC_PROTO: case Kind.FWD:
        return -1;
      default: {
        // Kinds beyond KindId (admitted by a 2026 layout section) have no size libbpf knows.
        const unknown: never = k;
        void unknown;
        return -1;
      }
    }
  }
  return -1;
}
