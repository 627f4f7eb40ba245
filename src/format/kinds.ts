/**
 * BTF kinds: ONE descriptor per kind (KIND_TABLE below) and the tables derived from it.
 *
 * A record is a 12-byte prefix (name_off, info, size_or_type) followed by kind-specific
 * trailing data: `infoWords` words once, then `vlen` elements of `elemWords` words (the
 * kernel's include/uapi/linux/btf.h and Documentation/bpf/btf.rst). Everything here works in
 * 32-bit words because every BTF record field is a u32.
 *
 * The descriptor also says where type ids and string offsets sit (libbpf btf_iter.c's field
 * iterators), which of them libbpf's btf_sanity_check validates, and the roles distill and
 * relocate give the kind. The parser's sanity tables, the field visitors (model/iter.ts), the
 * field positions of distill and relocate are all derived from it; nothing else describes
 * record layouts.
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

// ------------------------------------------------------------------ the descriptor

/**
 * What `btf__distill_base` does with a base type the split refers to (libbpf
 * btf_add_distilled_type_ids / btf_add_distilled_types):
 * - 'keep': copied verbatim into the distilled base (INT, FLOAT, FWD);
 * - 'composite': named → memberless STRUCT/UNION in the distilled base, not descended into;
 *   anonymous → moved into the new split;
 * - 'enum': named → memberless ENUM of the same size in the distilled base; anonymous → moved;
 * - 'move': moved into the new split with the split's records;
 * - 'reject': a split may not refer to a base type of this kind (distill fails).
 */
export type DistillRole = 'keep' | 'composite' | 'enum' | 'move' | 'reject';

export interface KindDescriptor {
  readonly id: KindId;
  /** BTF_KIND_* without the prefix ('UNKNOWN' for kind 0). */
  readonly name: string;
  /** False only for kind 0 (UNKN), which has no record (libbpf rejects it). */
  readonly hasRecord: boolean;
  /** Words after the 3-word prefix, before the elements (INT 1, ARRAY 3, VAR 1, DECL_TAG 1). */
  readonly infoWords: number;
  /** Words per vlen element; 0 when vlen is not an element count (FUNC: linkage) or must be 0. */
  readonly elemWords: number;
  /** What word 2 (size_or_type) holds. */
  readonly word2: 'size' | 'type' | 'none';
  /** Record-relative words holding type ids outside the elements, in libbpf's iterator order (at most 2). */
  readonly ids: readonly number[];
  /** Element-relative word holding a type id (-1: none). Visited after `ids`. */
  readonly elemId: number;
  /** Element-relative word holding a string offset (-1: none). Word 0 (name_off) is always one. */
  readonly elemStr: number;
  /** libbpf btf_sanity_check validates the `ids` (not for FWD, nor FUNC_PROTO's return type). */
  readonly sanityIds: boolean;
  /** libbpf's word for an invalid element name ('field name', 'enum name', 'param name'). */
  readonly elemStrWhat: 'field name' | 'enum name' | 'param name' | null;
  /** libbpf: word 2 must refer to a FUNC_PROTO (FUNC). */
  readonly needsProto: boolean;
  /** Typedefs, cv-modifiers and type tags: followed through word 2 to the underlying type. */
  readonly modifier: boolean;
  /** btf__distill_base's treatment of a referenced base type of this kind. */
  readonly distill: DistillRole;
  /** btf_relocate: a distilled base may hold this kind (named). */
  readonly distilledBase: boolean;
  /** btf_relocate: named new-base types of this kind are matched by name against the distilled base. */
  readonly relocKey: boolean;
}

type Desc = Omit<KindDescriptor, 'id' | 'name' | 'hasRecord' | 'sanityIds' | 'elemStrWhat' | 'needsProto' | 'modifier' | 'distilledBase' | 'relocKey'> &
  Partial<Pick<KindDescriptor, 'sanityIds' | 'elemStrWhat' | 'needsProto' | 'modifier' | 'distilledBase' | 'relocKey'>>;

/** A kind whose word 2 is a type id and that has no other id or element (PTR, TYPEDEF, ...). */
const REF = { infoWords: 0, elemWords: 0, word2: 'type', ids: [2], elemId: -1, elemStr: -1, sanityIds: true } as const;

/**
 * THE table: one entry per kind. The mapped type makes tsc point here when a kind is added
 * to KindId without a descriptor.
 *
 * Checklist: what else a new kind needs. Derived from this table without further edits: record
 * sizes (recordWords), the parser's sanity checks (format/parse.ts), the id and string visitors
 * (model/iter.ts), distill's marking, placement and rewriting (split/distill.ts), relocation's
 * name keys, distilled-base validation, id and string rewriting (split/relocate*.ts), the
 * modifier chains (model/btf.ts skipModsAndTypedefs, kernel type-tag check). Still to write by
 * hand, because each says something kind-specific in its own words:
 * - src/model/btf.ts: an add* builder method (libbpf btf__add_*) and accessors for new fields;
 * - src/kernel/verify-kinds.ts: the kernel's check_meta (CHECK_META, a table over every kind:
 *   tsc asks for the entry) and its log_details text (exhaustive switch);
 * - src/model/size.ts: resolveSize (exhaustive switch); src/split/relocate*.ts: only if the kind
 *   may appear in a distilled base (exhaustive switches over distilled kinds);
 * - dumps, which print each kind in the reference tool's words: src/dump/raw.ts and json.ts
 *   (bpftool's raw/JSON lines), src/dump/c/* (how C declares it: emitter, sort, layout, flat),
 *   src/kernel/structdiff.ts (member comparison);
 * - src/format/every-kind.test.ts: a case (CASES is a table over every kind: tsc asks for it).
 */
export const KIND_TABLE: { readonly [K in KindId]: Desc } = {
  [KindId.UNKN]: { infoWords: -1, elemWords: -1, word2: 'none', ids: [], elemId: -1, elemStr: -1, distill: 'reject' },
  [KindId.INT]: { infoWords: 1, elemWords: 0, word2: 'size', ids: [], elemId: -1, elemStr: -1, distill: 'keep', distilledBase: true, relocKey: true },
  [KindId.PTR]: { ...REF, distill: 'move' },
  [KindId.ARRAY]: { infoWords: 3, elemWords: 0, word2: 'none', ids: [3, 4], elemId: -1, elemStr: -1, sanityIds: true, distill: 'move' },
  [KindId.STRUCT]: { infoWords: 0, elemWords: 3, word2: 'size', ids: [], elemId: 1, elemStr: 0, elemStrWhat: 'field name', distill: 'composite', distilledBase: true, relocKey: true },
  [KindId.UNION]: { infoWords: 0, elemWords: 3, word2: 'size', ids: [], elemId: 1, elemStr: 0, elemStrWhat: 'field name', distill: 'composite', distilledBase: true, relocKey: true },
  [KindId.ENUM]: { infoWords: 0, elemWords: 2, word2: 'size', ids: [], elemId: -1, elemStr: 0, elemStrWhat: 'enum name', distill: 'enum', distilledBase: true, relocKey: true },
  [KindId.FWD]: { infoWords: 0, elemWords: 0, word2: 'type', ids: [2], elemId: -1, elemStr: -1, distill: 'keep', distilledBase: true, relocKey: true },
  [KindId.TYPEDEF]: { ...REF, modifier: true, distill: 'move' },
  [KindId.VOLATILE]: { ...REF, modifier: true, distill: 'move' },
  [KindId.CONST]: { ...REF, modifier: true, distill: 'move' },
  [KindId.RESTRICT]: { ...REF, modifier: true, distill: 'move' },
  [KindId.FUNC]: { ...REF, needsProto: true, distill: 'reject' },
  [KindId.FUNC_PROTO]: { infoWords: 0, elemWords: 2, word2: 'type', ids: [2], elemId: 1, elemStr: 0, elemStrWhat: 'param name', distill: 'move' },
  [KindId.VAR]: { ...REF, infoWords: 1, distill: 'reject' },
  [KindId.DATASEC]: { infoWords: 0, elemWords: 3, word2: 'size', ids: [], elemId: 0, elemStr: -1, distill: 'reject' },
  [KindId.FLOAT]: { infoWords: 0, elemWords: 0, word2: 'size', ids: [], elemId: -1, elemStr: -1, distill: 'keep', distilledBase: true, relocKey: true },
  [KindId.DECL_TAG]: { ...REF, infoWords: 1, distill: 'reject' },
  [KindId.TYPE_TAG]: { ...REF, modifier: true, distill: 'move' },
  [KindId.ENUM64]: { infoWords: 0, elemWords: 3, word2: 'size', ids: [], elemId: -1, elemStr: 0, elemStrWhat: 'enum name', distill: 'enum', relocKey: true },
};

/** The descriptors, indexed by kind number (0 … MAX_KNOWN_KIND). */
export const KINDS: readonly KindDescriptor[] = KIND_NAMES.map((name, k) => {
  const d = (KIND_TABLE as Record<number, Desc | undefined>)[k];
  if (!d) throw new Error(`kinds.ts: no descriptor for kind ${k} (${name})`);
  if (d.ids.length > 2) throw new Error(`kinds.ts: kind ${name} has more than 2 fixed id fields`);
  return {
    id: k as KindId,
    name,
    hasRecord: k !== KindId.UNKN,
    sanityIds: false,
    elemStrWhat: null,
    needsProto: false,
    modifier: false,
    distilledBase: false,
    relocKey: false,
    ...d,
  };
});
if (KINDS.length !== MAX_KNOWN_KIND + 1) throw new Error('kinds.ts: KIND_NAMES and MAX_KNOWN_KIND disagree');

/** The descriptor of `kind`, or undefined for a kind libbpf does not know. */
export function kindDescriptor(kind: number): KindDescriptor | undefined {
  return KINDS[kind];
}

// ----------------------------------------------- flat tables for hot loops (derived)

function table<T extends Int8Array | Uint8Array>(make: (n: number) => T, f: (d: KindDescriptor) => number, fill = 0): T {
  const t = make(MAX_KNOWN_KIND + 1).fill(fill) as T;
  for (const d of KINDS) t[d.id] = f(d);
  return t;
}

/** Words of trailing data before the vlen-repeated part, per kind (-1 for UNKN). */
export const INFO_WORDS = table((n) => new Int8Array(n), (d) => d.infoWords);
/** Words per vlen element, per kind. */
export const ELEM_WORDS = table((n) => new Int8Array(n), (d) => d.elemWords);
/** First and second record-relative word of a fixed type id field (0: none). */
export const ID_WORD1 = table((n) => new Uint8Array(n), (d) => d.ids[0] ?? 0);
export const ID_WORD2 = table((n) => new Uint8Array(n), (d) => d.ids[1] ?? 0);
/** Number of fixed id fields. */
export const ID_FIXED = table((n) => new Uint8Array(n), (d) => d.ids.length);
/** Element-relative word of a type id / string offset (-1: none). */
export const ELEM_ID = table((n) => new Int8Array(n), (d) => d.elemId);
export const ELEM_STR = table((n) => new Int8Array(n), (d) => d.elemStr);
/** Record-relative word of the first element (3 + infoWords). */
export const ELEM_START = table((n) => new Int8Array(n), (d) => 3 + d.infoWords);
/** 1 where libbpf's sanity check validates the fixed id fields. */
export const SANITY_IDS = table((n) => new Uint8Array(n), (d) => (d.sanityIds ? 1 : 0));
/** 1 for typedefs, cv-modifiers and type tags. */
export const MODIFIER = table((n) => new Uint8Array(n), (d) => (d.modifier ? 1 : 0));
/** 1 for the kinds relocation matches by name in the new base. */
export const RELOC_KEY = table((n) => new Uint8Array(n), (d) => (d.relocKey ? 1 : 0));

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

/** Kinds whose third word is a type id. */
export function hasTypeWord(kind: number): boolean {
  return KINDS[kind]?.word2 === 'type';
}

/** Kinds whose third word is a byte size. */
export function hasSizeWord(kind: number): boolean {
  return KINDS[kind]?.word2 === 'size';
}

/** Is `kind` a typedef, cv-modifier or type tag (followed through its type word)? */
export function isModifierKind(kind: number): boolean {
  return MODIFIER[kind] === 1;
}

/**
 * Word index (relative to the record start) of the k-th type-id field in libbpf's ID
 * iterator order: the fixed ids, then one per element; -1 after the last field; -2 for a
 * kind the iterator rejects (beyond MAX_KNOWN_KIND).
 */
export function idFieldPos(kind: number, vlen: number, k: number): number {
  if (kind > MAX_KNOWN_KIND) return -2;
  const nf = ID_FIXED[kind]!;
  if (k < nf) return k === 0 ? ID_WORD1[kind]! : ID_WORD2[kind]!;
  const ei = ELEM_ID[kind]!;
  const e = k - nf;
  if (ei < 0 || e >= vlen) return -1;
  return ELEM_START[kind]! + ELEM_WORDS[kind]! * e + ei;
}

/**
 * Word index of the k-th string-offset field in libbpf's string iterator order: name_off,
 * then one per element; -1 after the last field; -2 for a kind the iterator rejects.
 */
export function strFieldPos(kind: number, vlen: number, k: number): number {
  if (kind > MAX_KNOWN_KIND) return -2;
  if (kind === KindId.UNKN) return -1;
  if (k === 0) return 0;
  const es = ELEM_STR[kind]!;
  if (es < 0 || k > vlen) return -1;
  return ELEM_START[kind]! + ELEM_WORDS[kind]! * (k - 1) + es;
}

/** Compile-time exhaustiveness: call in the `default:` of a switch over KindId. */
export function unreachableKind(kind: never): never {
  throw new Error(`unhandled kind ${String(kind)}`);
}
