/**
 * BTF kinds and the fixed geometry of their records (docs/design.md §format-records).
 *
 * A record is a 12-byte prefix (name_off, info, size_or_type) followed by kind-specific
 * trailing data whose length depends only on kind and vlen. Everything here works in
 * 32-bit words because every BTF record field is a u32.
 */

/**
 * The kind numbers as a `const enum`, for the library's own code: tsc writes the number itself
 * at every use, so a `switch` over kinds compiles to a jump table and hot loops read no
 * object property (this matters most before V8's optimizing JIT has warmed up). Modules
 * import it as `KindId as Kind`. Not part of the public API (const enums do not work for
 * consumers compiled with isolatedModules); the public `Kind` object below has the same values.
 */
export const enum KindId {
  UNKN = 0,
  INT = 1,
  PTR = 2,
  ARRAY = 3,
  STRUCT = 4,
  UNION = 5,
  ENUM = 6,
  FWD = 7,
  TYPEDEF = 8,
  VOLATILE = 9,
  CONST = 10,
  RESTRICT = 11,
  FUNC = 12,
  FUNC_PROTO = 13,
  VAR = 14,
  DATASEC = 15,
  FLOAT = 16,
  DECL_TAG = 17,
  TYPE_TAG = 18,
  ENUM64 = 19,
}

/** BTF kind numbers (BTF_KIND_*). */
export const Kind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;
export type KindName = keyof typeof Kind;

/** Highest kind libbpf v1.7.0 understands. */
export const MAX_KNOWN_KIND = 19;

export const KIND_NAMES: readonly string[] = [
  'UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE',
  'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
];

export function kindName(kind: number): string {
  return KIND_NAMES[kind] ?? `UNKNOWN(${kind})`;
}

/** INT encoding bits (bits 24..27 of the INT data word). */
export const IntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** FUNC linkage (stored in vlen) and VAR linkage. */
export const FuncLinkage = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;
export const VarLinkage = { STATIC: 0, GLOBAL_ALLOCATED: 1, GLOBAL_EXTERN: 2 } as const;

/** Words of trailing data before the vlen-repeated part, per kind (the "info" part). */
const INFO_WORDS = new Int8Array([-1, 1, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
/** Words per vlen element, per kind. */
const ELEM_WORDS = new Int8Array([-1, 0, 0, 0, 3, 3, 2, 0, 0, 0, 0, 0, 0, 2, 0, 3, 0, 0, 0, 3]);

/**
 * Number of u32 words of a record of `kind` with `vlen` elements, or -1 for a kind that
 * libbpf does not know (kind 0 included, as libbpf rejects it).
 */
export function recordWords(kind: number, vlen: number): number {
  if (kind <= 0 || kind > MAX_KNOWN_KIND) return -1;
  return 3 + INFO_WORDS[kind]! + ELEM_WORDS[kind]! * vlen;
}

/** Words of the kind-specific single trailing part (e.g. 1 for INT, 3 for ARRAY). */
export function infoWords(kind: number): number {
  return kind > 0 && kind <= MAX_KNOWN_KIND ? INFO_WORDS[kind]! : 0;
}

/** Words of each vlen element (e.g. 3 for a STRUCT member). */
export function elemWords(kind: number): number {
  return kind > 0 && kind <= MAX_KNOWN_KIND ? ELEM_WORDS[kind]! : 0;
}

/** Kinds whose third word is a type id (docs/design.md §field-order "the type word"). */
export function hasTypeWord(kind: number): boolean {
  switch (kind) {
    case KindId.PTR: case KindId.TYPEDEF: case KindId.VOLATILE: case KindId.CONST: case KindId.RESTRICT:
    case KindId.FUNC: case KindId.VAR: case KindId.DECL_TAG: case KindId.TYPE_TAG: case KindId.FWD:
    case KindId.FUNC_PROTO:
      return true;
    default:
      return false;
  }
}

/** Kinds whose third word is a byte size. */
export function hasSizeWord(kind: number): boolean {
  switch (kind) {
    case KindId.INT: case KindId.STRUCT: case KindId.UNION: case KindId.ENUM: case KindId.ENUM64:
    case KindId.DATASEC: case KindId.FLOAT:
      return true;
    default:
      return false;
  }
}
