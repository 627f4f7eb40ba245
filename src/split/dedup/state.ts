/**
 * Dedup working state and the per-kind signatures (hash, equality, compatibility).
 *
 * Approach: every type visible to the dedup (void, the whole base chain, the object's own
 * types) is copied into one word array `w` with `off[id]` its record offset, void being three
 * zero words at the end; the own records are a private copy that the reference stage rewrites
 * in place, as libbpf rewrites its modifiable types. `map` is the canonical map (UNPROCESSED /
 * IN_PROGRESS markers as libbpf's), `hypot`/`hypotList` the hypothetical map of the graph
 * equivalence check (candidate id + 1, 0 = none, so that a fresh array needs no fill),
 * `table` the candidate table keyed by 64-bit signatures, `enumTable` a second index of its
 * enums by their whole records (prim.ts). The own records are validated (known kinds, ids in
 * range) in the same pass that sets their kinds and map entries.
 *
 * Signatures: libbpf's (their low 32 bits, table.ts), except that a struct's also folds in the
 * names of its member types (which only drops candidates that could never be found
 * equivalent, see struct.ts).
 *
 * Reference behaviour: libbpf v1.7.0 btf.c struct btf_dedup, btf_dedup_new (VAR and DATASEC
 * self-canonical), btf_hash_* and btf_equal_* / btf_compat_* (enum signatures ignore size and
 * vlen so an enum forward matches a full enum; struct/typedef signatures ignore referenced ids).
 */

import { BtfkitError, Errno } from '../../errors.js';
import { KindId as Kind, recordWords, ID_FIXED, ID_WORD1, ID_WORD2, ELEM_ID, ELEM_START, ELEM_WORDS } from '../../format/kinds.js';
import type { Btf } from '../../model/btf.js';
import { ownSections } from './access.js';
import { CandidateTable, Signature } from './table.js';

/** Map markers; the maps are Int32Arrays so that every load stays a small integer. */
export const UNPROCESSED = -1;
export const IN_PROGRESS = -2;
export const MAX_NR_TYPES = 0x7fffffff;
/** errno of libbpf's reference-loop failure (not in Errno). */
export const ELOOP = 40;

export interface DedupState {
  btf: Btf;
  /** All records (void, base chain, own copy). */
  w: Uint32Array;
  /** Record offset per id, [0, typeCount). */
  off: Uint32Array;
  /** Kind per id (void = 0). */
  kinds: Uint8Array;
  startId: number;
  typeCount: number;
  map: Int32Array;
  /** Hypothetical map: canonical id -> candidate id + 1 (0: none). */
  hypot: Int32Array;
  hypotList: Uint32Array;
  hypotCnt: number;
  hypotAdjustCanon: boolean;
  table: CandidateTable;
  /**
   * The enums of `table` (libbpf keys them by name alone) also under their whole signature
   * (enumSig), following table's order; and the names that have a valueless enum (an enum
   * forward) among the candidates. See prim.ts.
   */
  enumTable: CandidateTable;
  enumFwdNames: Set<number>;
  h: Signature;
  /** Work budget for the structural comparisons (hostile inputs must not hang). */
  budget: number;
}

export function dedupError(msg: string, errno: number = Errno.EINVAL, typeId?: number): BtfkitError {
  return new BtfkitError('BTF_INVALID', `dedup: ${msg}`, { errno, where: typeId === undefined ? {} : { typeId } });
}

/** Copies the records of `btf` and its base chain into one array and sets up the maps. */
export function newState(btf: Btf): DedupState {
  const chain: Btf[] = [];
  for (let b: Btf | null = btf; b; b = b.base) chain.unshift(b);
  const typeCount = btf.typeCount();
  let total = 3;
  for (const b of chain) total += ownSections(b).nWords;
  const w = new Uint32Array(total);
  const off = new Uint32Array(Math.max(typeCount, 1));
  // void's three zero words go last, so that the bottom level's offsets are copied as they are
  let pos = 0;
  for (const b of chain) {
    const s = ownSections(b);
    w.set(s.words, pos);
    if (pos === 0) off.set(s.offs, b.startId);
    else for (let i = 0; i < s.nTypes; i++) off[b.startId + i] = pos + s.offs[i]!;
    pos += s.nWords;
  }
  off[0] = pos;
  const map = new Int32Array(typeCount);
  const kinds = new Uint8Array(typeCount);
  map[0] = 0;
  // base ids: kinds and map are set by dedupPrep's pass over them
  ownRecords(w, off, kinds, map, btf.startId, typeCount);
  return {
    btf, w, off, kinds, startId: btf.startId, typeCount, map,
    hypot: new Int32Array(typeCount),
    hypotList: new Uint32Array(1024), hypotCnt: 0, hypotAdjustCanon: false,
    table: new CandidateTable(typeCount), enumTable: new CandidateTable(typeCount >>> 4), enumFwdNames: new Set(),
    h: new Signature(), budget: 0,
  };
}

/**
 * Kinds and initial map entries of the own records, which must be of known kinds and refer only
 * to existing ids (parse guarantees it for files; a built object need not).
 */
function ownRecords(w: Uint32Array, off: Uint32Array, kinds: Uint8Array, map: Int32Array, startId: number, typeCount: number): void {
  for (let id = startId; id < typeCount; id++) {
    const o = off[id]!;
    const info = w[o + 1]!;
    const k = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const n = recordWords(k, vlen);
    if (n < 0 || o + n > w.length) throw dedupError(`unknown kind ${k}`, Errno.EINVAL, id);
    kinds[id] = k;
    map[id] = k === Kind.VAR || k === Kind.DATASEC ? id : UNPROCESSED;
    // the id fields in libbpf's field-iterator order (kinds.ts tables)
    const nf = ID_FIXED[k]!;
    if (nf > 0 && w[o + ID_WORD1[k]!]! >= typeCount) throw badId(w[o + ID_WORD1[k]!]!, id);
    if (nf > 1 && w[o + ID_WORD2[k]!]! >= typeCount) throw badId(w[o + ID_WORD2[k]!]!, id);
    const ei = ELEM_ID[k]!;
    if (ei < 0) continue;
    const ew = ELEM_WORDS[k]!;
    for (let j = 0, p = o + ELEM_START[k]! + ei; j < vlen; j++, p += ew) if (w[p]! >= typeCount) throw badId(w[p]!, id);
  }
}

function badId(v: number, id: number): BtfkitError {
  return dedupError(`invalid type id ${v}`, Errno.EINVAL, id);
}

export function kindOf(w: Uint32Array, o: number): number {
  return (w[o + 1]! >>> 24) & 0x1f;
}

export function vlenOf(w: Uint32Array, o: number): number {
  return w[o + 1]! & 0xffff;
}

export function isMapped(d: DedupState, id: number): boolean {
  return d.map[id]! >= 0;
}

/** Follows the canonical map to its end (resolve_type_id). */
export function resolveId(d: DedupState, id: number): number {
  const map = d.map;
  let guard = d.typeCount;
  while (map[id]! >= 0 && map[id] !== id) {
    id = map[id]!;
    if (--guard < 0) throw dedupError('cycle in the canonical map', ELOOP, id);
  }
  return id;
}

/** A FWD resolved to a STRUCT/UNION, else the id itself (resolve_fwd_id). */
export function resolveFwdId(d: DedupState, id: number): number {
  if (kindOf(d.w, d.off[id]!) !== Kind.FWD) return id;
  const r = resolveId(d, id);
  return kindOf(d.w, d.off[r]!) !== Kind.FWD ? r : id;
}

export function hypotClear(d: DedupState): void {
  for (let i = 0; i < d.hypotCnt; i++) d.hypot[d.hypotList[i]!] = 0;
  d.hypotCnt = 0;
  d.hypotAdjustCanon = false;
}

/** Appends a canonical candidate under the signature currently in d.h. */
export function tableAdd(d: DedupState, id: number): void {
  d.table.append(d.h.v, id, d.off[id]!);
}

// ------------------------------------------------------------------ signatures (into d.h)

export function hashCommon(d: DedupState, o: number): void {
  const w = d.w;
  d.h.reset(w[o]!).add(w[o + 1]!).add(w[o + 2]!);
}

export function hashTypedef(d: DedupState, o: number): void {
  d.h.reset(d.w[o]!).add(d.w[o + 1]!);
}

export function hashIntTag(d: DedupState, o: number): void {
  hashCommon(d, o);
  d.h.add(d.w[o + 3]!);
}

export function hashEnum(d: DedupState, o: number): void {
  d.h.reset(d.w[o]!);
}

/** Words of an ENUM/ENUM64 record that equalEnum compares: the common three and every value. */
export function enumSigWords(w: Uint32Array, o: number): number {
  return 3 + (w[o + 1]! & 0xffff) * (kindOf(w, o) === Kind.ENUM ? 2 : 3);
}

/**
 * Enters a canonical enum as a candidate: in the table under libbpf's key (its name, in d.h
 * already), in the enum table under its whole signature, and its name among the enum forwards'
 * when it has no values.
 */
export function tableAddEnum(d: DedupState, id: number): void {
  tableAdd(d, id);
  const w = d.w;
  const o = d.off[id]!;
  const h = d.h.words(w, o, enumSigWords(w, o));
  d.enumTable.follow(d.table);
  d.enumTable.link(h.v, id, o);
  if ((w[o + 1]! & 0xffff) === 0) d.enumFwdNames.add(w[o]!);
}

/**
 * libbpf's struct signature (names, sizes, member names and offsets), refined by the names of
 * the member types: the equivalence walk compares a name at every pair it meets, and the
 * canonical map only links types of one name, so two structs whose member types differ in
 * name can never be found equivalent. The refinement only drops candidates that would fail.
 */
export function hashStruct(d: DedupState, o: number): void {
  hashCommon(d, o);
  const w = d.w;
  const off = d.off;
  const n = vlenOf(w, o);
  const h = d.h;
  for (let i = 0, p = o + 3; i < n; i++, p += 3) h.add(w[p]!).add(w[p + 2]!).add(w[off[w[p + 1]!]!]!);
}

export function hashArray(d: DedupState, o: number): void {
  hashCommon(d, o);
  d.h.add(d.w[o + 3]!).add(d.w[o + 4]!).add(d.w[o + 5]!);
}

export function hashFnProto(d: DedupState, o: number): void {
  hashCommon(d, o);
  const w = d.w;
  const n = vlenOf(w, o);
  const h = d.h;
  for (let i = 0, p = o + 3; i < n; i++, p += 2) h.add(w[p]!).add(w[p + 1]!);
}

// ------------------------------------------------------------------ equality (record offsets)

export function equalCommon(w: Uint32Array, a: number, b: number): boolean {
  return w[a] === w[b] && w[a + 1] === w[b + 1] && w[a + 2] === w[b + 2];
}

export function equalTypedef(w: Uint32Array, a: number, b: number): boolean {
  return w[a] === w[b] && w[a + 1] === w[b + 1];
}

export function equalIntTag(w: Uint32Array, a: number, b: number): boolean {
  return equalCommon(w, a, b) && w[a + 3] === w[b + 3];
}

function isAnyEnum(w: Uint32Array, o: number): boolean {
  const k = kindOf(w, o);
  return k === Kind.ENUM || k === Kind.ENUM64;
}

export function isEnumFwd(w: Uint32Array, o: number): boolean {
  return isAnyEnum(w, o) && vlenOf(w, o) === 0;
}

export function equalEnum(w: Uint32Array, a: number, b: number): boolean {
  if (!equalCommon(w, a, b)) return false;
  const n = vlenOf(w, a) * (kindOf(w, a) === Kind.ENUM ? 2 : 3);
  for (let i = 3; i < 3 + n; i++) if (w[a + i] !== w[b + i]) return false;
  return true;
}

export function compatEnum(w: Uint32Array, a: number, b: number): boolean {
  if (!isEnumFwd(w, a) && !isEnumFwd(w, b)) return equalEnum(w, a, b);
  return w[a] === w[b] && isAnyEnum(w, a) && isAnyEnum(w, b);
}

export function shallowEqualStruct(w: Uint32Array, a: number, b: number): boolean {
  if (!equalCommon(w, a, b)) return false;
  const n = vlenOf(w, a);
  for (let i = 0, p = 3; i < n; i++, p += 3) {
    if (w[a + p] !== w[b + p] || w[a + p + 2] !== w[b + p + 2]) return false;
  }
  return true;
}

export function equalArray(w: Uint32Array, a: number, b: number): boolean {
  return equalCommon(w, a, b) && w[a + 3] === w[b + 3] && w[a + 4] === w[b + 4] && w[a + 5] === w[b + 5];
}

export function compatArray(w: Uint32Array, a: number, b: number): boolean {
  return equalCommon(w, a, b) && w[a + 5] === w[b + 5];
}

export function equalFnProto(w: Uint32Array, a: number, b: number): boolean {
  if (!equalCommon(w, a, b)) return false;
  const n = vlenOf(w, a);
  for (let i = 0, p = 3; i < n; i++, p += 2) {
    if (w[a + p] !== w[b + p] || w[a + p + 1] !== w[b + p + 1]) return false;
  }
  return true;
}

export function compatFnProto(w: Uint32Array, a: number, b: number): boolean {
  if (w[a] !== w[b] || w[a + 1] !== w[b + 1]) return false;
  const n = vlenOf(w, a);
  for (let i = 0, p = 3; i < n; i++, p += 2) if (w[a + p] !== w[b + p]) return false;
  return true;
}
