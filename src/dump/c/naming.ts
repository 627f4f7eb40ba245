/**
 * Name resolution of the C emitter (btf_dump_resolve_name and friends, libbpf v1.7.0): a name
 * that repeats within its namespace (struct/union/enum tags, or typedef/enumerator
 * identifiers) gets a `___N` suffix, N counted in the order libbpf first resolves each type's
 * name; the suffix is remembered per id.
 */

import { KindId as Kind } from '../../format/kinds.js';
import { F_NAME_RESOLVED, type EmitCtx } from './context.js';
import { L } from './literals.js';
import type { NameCounter } from './names.js';

export function strEquals(c: EmitCtx, off: number, lit: Uint8Array): boolean {
  const S = c.S;
  const n = lit.length;
  for (let i = 0; i < n; i++) if (S[off + i] !== lit[i]) return false;
  return (S[off + n] ?? 0) === 0;
}

/** btf_dump_resolve_name: the `___N` suffix count of id's name (0 = none). */
export function resolveName(c: EmitCtx, id: number, map: NameCounter): number {
  const W = c.W;
  const o = c.O[id]!;
  const nameOff = W[o]!;
  if (nameOff === 0) return 0;
  const fl = c.flags[id]!;
  if (fl & F_NAME_RESOLVED) return c.nameDup[id]!;
  const k = c.K[id]!;
  if (k === Kind.FWD || (k === Kind.ENUM && (W[o + 1]! & c.vlenMask) === 0)) {
    c.flags[id] = fl | F_NAME_RESOLVED;
    return 0;
  }
  const dup = map.inc(nameOff);
  if (dup > 1) c.nameDup[id] = dup;
  c.flags[id] = fl | F_NAME_RESOLVED;
  return c.nameDup[id]!;
}

/** Writes a BTF string, with libbpf's "%s___%zu" suffix (snprintf'd into 256 bytes) when dup > 1. */
export function writeName(c: EmitCtx, off: number, dup: number): void {
  const w = c.out;
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

export function writeTypeName(c: EmitCtx, id: number): void {
  const dup = resolveName(c, id, c.typeNames);
  const off = c.W[c.O[id]!]!;
  if (off !== 0) writeName(c, off, dup);
}

export function writeIdentName(c: EmitCtx, id: number): void {
  const dup = resolveName(c, id, c.identNames);
  const off = c.W[c.O[id]!]!;
  if (off !== 0) writeName(c, off, dup);
}
