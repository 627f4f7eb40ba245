/**
 * relocate — libbpf `btf_relocate()` / `btf__relocate()`: re-parents a split BTF
 * from its distilled base onto a full base (e.g. the running vmlinux BTF).
 *
 * Approach, in libbpf's stages (one function each below): validate the distilled base; shift split ids; sort the (small) distilled base by
 * name bytes asc / size desc / id asc (libbpf's comparator, ties in id order as glibc's stable
 * qsort leaves them) and group equal names; mark distilled composites embedded by value in any
 * split STRUCT/UNION (the fixed marking that scans *all* split types, libbpf ≥ 1.6); then one
 * ascending scan of the new base hashes the name bytes of each named INT/FLOAT/ENUM/ENUM64/
 * FWD/STRUCT/UNION straight from its string section and keeps only the types whose name is a
 * distilled name (no JS strings, no per-type objects). Those few are then matched exactly as
 * libbpf does, candidate by candidate, with its kind table and quirks. The name lookup is in
 * relocate-index.ts, the explanation of a failure in relocate-explain.ts.
 * Ids and string offsets are rewritten in a *copy* of the split's records, so the input is never
 * modified and a failure never leaves a half-rewritten object.
 *
 * On failure the error message is libbpf's first message (the text after `libbpf: `); the
 * error's `details` is a RelocationFailure listing every distilled type that cannot be mapped
 * and why (missing, size, encoding, kind, several candidates, embedded by value where), which
 * libbpf does not report.
 *
 * Reference behaviour matched: libbpf v1.7.0 btf_relocate.c (kernel btf_relocate() with its
 * id map). Deviations, all on inputs libbpf mishandles: a non-split input or a missing base is
 * an error instead of a crash; a chained (split) new base uses its full string space.
 */

import { BtfkitError, Errno } from '../errors.js';
import { KindId as Kind, kindName, KINDS, MAX_KNOWN_KIND, MODIFIER, ID_FIXED, ID_WORD1, ID_WORD2, ELEM_ID, ELEM_STR, ELEM_START, ELEM_WORDS, unreachableKind } from '../format/kinds.js';
import { Btf, WIDE_KIND_MASK, type BtfRaw } from '../model/btf.js';
import { keyBytes, keyToString } from '../model/strings.js';
import { hashBytes } from './strset.js';
import { findNamedMatches } from './relocate-index.js';
import { describeKindName, explain, strayStrings, unmappedBase } from './relocate-explain.js';

/** map[] mark of a distilled composite embedded by value in the split (its size must match). */
const EMBEDDED = 0xffffffff;

/** Why a distilled type could not be mapped onto the new base. */
export type RelocationProblem =
  /** no type of that name in the new base */
  | 'missing'
  /** same-named type(s) exist but none has the required size */
  | 'size'
  /** an INT of that name and size exists but its encoding (signed/char/bool) differs */
  | 'encoding'
  /** same-named type(s) exist but none of a compatible kind (includes FWD flavour mismatches) */
  | 'kind'
  /** two base types match equally well (libbpf "multiple candidates") */
  | 'multiple'
  /** the distilled base type has no name (invalid distilled base) */
  | 'anonymous'
  /** the distilled base type has a kind a distilled base may not contain */
  | 'invalid-kind'
  /** a named new-base type whose name is the empty string matches the void entry */
  | 'base-empty-name';

export interface RelocationCandidate {
  /** Id in the new base. */
  id: number;
  kind: string;
  /** The size word for sized kinds (INT, FLOAT, ENUM, ENUM64, STRUCT, UNION). */
  size?: number;
  /** Extra facts that decide compatibility (INT encoding, FWD/composite flavour). */
  note?: string;
}

export interface EmbeddingSite {
  /** Split type (pre-relocation id) whose member embeds the distilled type by value. */
  typeId: number;
  /** 'struct foo' / 'union bar' / 'struct (anon)'. */
  typeName: string;
  /** Member name ('' for an anonymous member). */
  member: string;
  memberIndex: number;
  /** Reference chain from the member to the embedded type, e.g. ['typedef foo_t', 'array']. */
  via: string[];
}

export interface UnmappedType {
  /** Distilled base id (pre-relocation numbering). */
  id: number;
  name: string;
  kind: string;
  problem: RelocationProblem;
  /** Size word of the distilled record. */
  distilledSize: number;
  /** Same-named types of the new base (for 'multiple': the competing ones). */
  candidates: RelocationCandidate[];
  /** Where the split embeds this type by value (sizes must then match exactly). */
  embeddedIn: EmbeddingSite[];
  /** One readable sentence. */
  reason: string;
}

export interface UnmappedString {
  /** Split type (pre-relocation id) holding the string field. */
  typeId: number;
  /** The offset into the distilled base's string section. */
  offset: number;
  string: string;
}

export interface RelocationFailure {
  /** libbpf's first message, as libbpf prints it without the `libbpf: ` prefix. */
  message: string;
  errno: number;
  /** Every distilled type that cannot be mapped, ascending id. */
  unmapped: UnmappedType[];
  /** Split string fields that point into the distilled base but at no type name. */
  unmappedStrings: UnmappedString[];
  /** Number of types in the distilled base and in the new base (void excluded). */
  distilledTypes: number;
  baseTypes: number;
}

export interface RelocationResult {
  /** The relocated split BTF, whose base is the new base. */
  btf: Btf;
  /** Pre-relocation id → final id (kernel btf_relocate's id map; [0] = 0). */
  idMap: Uint32Array;
}

export type TryRelocateResult =
  | ({ ok: true } & RelocationResult)
  | { ok: false; error: BtfkitError; failure: RelocationFailure };

// --------------------------------------------------------------------------- public API

/**
 * libbpf btf_relocate(split, newBase, &id_map) on a copy: returns a new split BTF on `newBase`
 * and the id map. Throws BtfkitError code 'RELOCATE' (errno EINVAL, or ENOENT for the string
 * failure) whose message is libbpf's and whose `details` is a RelocationFailure.
 */
export function relocate(split: Btf, newBase: Btf): RelocationResult {
  const r = run(split, newBase);
  if ('failure' in r) throw relocationError(r.failure);
  return r;
}

/** Non-throwing relocate. */
export function tryRelocate(split: Btf, newBase: Btf): TryRelocateResult {
  const r = run(split, newBase);
  if ('failure' in r) return { ok: false, error: relocationError(r.failure), failure: r.failure };
  return { ok: true, btf: r.btf, idMap: r.idMap };
}

/** The complete list of reasons why `split` cannot be relocated onto `newBase`, or null if it can. */
export function diagnoseRelocation(split: Btf, newBase: Btf): RelocationFailure | null {
  const r = run(split, newBase);
  return 'failure' in r ? r.failure : null;
}

/** The BtfkitError that relocate() throws for a failure. */
export function relocationError(f: RelocationFailure): BtfkitError {
  const first = f.unmapped.find((u) => u.id > 0);
  return new BtfkitError('RELOCATE', f.message, {
    errno: f.errno,
    where: first ? { typeId: first.id } : {},
    details: f,
  });
}

/** Readable multi-line text of a failure. */
export function formatRelocationFailure(f: RelocationFailure): string {
  const lines: string[] = [];
  lines.push(`relocation failed: ${f.message}`);
  const n = f.unmapped.filter((u) => u.id > 0).length;
  if (n > 0)
    lines.push(`${n} of ${f.distilledTypes} distilled base type${f.distilledTypes === 1 ? '' : 's'} cannot be mapped onto the new base (${f.baseTypes} types):`);
  for (const u of f.unmapped) {
    const head = u.id > 0 ? `  [${u.id}] ${describeKindName(u.kind, u.name)} (${u.distilledSize} bytes)` : '  new base';
    lines.push(`${head}: ${u.problem} — ${u.reason}`);
    for (const c of u.candidates) {
      const parts = [`[${c.id}] ${c.kind}`];
      if (c.size !== undefined) parts.push(`size ${c.size}`);
      if (c.note) parts.push(c.note);
      lines.push(`      candidate ${parts.join(', ')}`);
    }
    for (const e of u.embeddedIn) {
      const via = e.via.length ? ` via ${e.via.join(' → ')}` : '';
      lines.push(`      embedded in ${e.typeName} [${e.typeId}] member '${e.member || '(anon)'}'${via}`);
    }
  }
  for (const s of f.unmappedStrings)
    lines.push(`  split type [${s.typeId}]: string '${s.string}' at offset ${s.offset} of the distilled base is not a type name`);
  return lines.join('\n');
}

// --------------------------------------------------------------------------- core

type RunResult = RelocationResult | { failure: RelocationFailure };

function simpleFailure(message: string, nD: number, nB: number): { failure: RelocationFailure } {
  return { failure: { message, errno: Errno.EINVAL, unmapped: [], unmappedStrings: [], distilledTypes: Math.max(0, nD - 1), baseTypes: Math.max(0, nB - 1) } };
}

/** A split id after relocation: through the map below `n`, else shifted. */
function mapId(v: number, n: number, map: Uint32Array, shift: number): number {
  return v < n ? map[v]! : v + shift;
}

/**
 * libbpf btf_relocate_rewrite_type_id over every record of `words` (a copy of the split's):
 * the id fields where the kind descriptors put them. (Its own function: one hot loop per
 * function lets V8 optimize each on its own.)
 */
function rewriteIds(words: Uint32Array, sr: BtfRaw, n: number, map: Uint32Array, shift: number): void {
  const { offs, kindMask, vlenMask, nTypes } = sr;
  for (let i = 0; i < nTypes; i++) {
    const o = offs[i]!;
    const info = words[o + 1]!;
    const kind = (info >>> 24) & kindMask;
    if (kind > MAX_KNOWN_KIND) continue; // a kind of the 2026 layout section: no known fields
    const nf = ID_FIXED[kind]!;
    if (nf > 0) words[o + ID_WORD1[kind]!] = mapId(words[o + ID_WORD1[kind]!]!, n, map, shift);
    if (nf > 1) words[o + ID_WORD2[kind]!] = mapId(words[o + ID_WORD2[kind]!]!, n, map, shift);
    const ei = ELEM_ID[kind]!;
    if (ei < 0) continue;
    const ew = ELEM_WORDS[kind]!;
    const vlen = info & vlenMask;
    for (let k = 0, p = o + ELEM_START[kind]! + ei; k < vlen; k++, p += ew) words[p] = mapId(words[p]!, n, map, shift);
  }
}

/**
 * libbpf btf_relocate_rewrite_strs: split strings move past the new base's; strings of the
 * distilled base become the matched base type's name. Returns the first string offset that
 * names no matched type (-1: none); such a field is left as it was.
 */
function rewriteStrs(words: Uint32Array, sr: BtfRaw, dEnd: number, strShift: number, strmap: Uint32Array): number {
  const { offs, kindMask, vlenMask, nTypes } = sr;
  let unmapped = -1;
  for (let i = 0; i < nTypes; i++) {
    const o = offs[i]!;
    const info = words[o + 1]!;
    const kind = (info >>> 24) & kindMask;
    if (kind > MAX_KNOWN_KIND || kind === Kind.UNKN) continue;
    const v = mapStrOff(words[o]!, dEnd, strShift, strmap);
    if (v >= 0) words[o] = v;
    else if (unmapped < 0) unmapped = words[o]!;
    const es = ELEM_STR[kind]!;
    if (es < 0) continue;
    const ew = ELEM_WORDS[kind]!;
    const vlen = info & vlenMask;
    for (let k = 0, p = o + ELEM_START[kind]! + es; k < vlen; k++, p += ew) {
      const e = mapStrOff(words[p]!, dEnd, strShift, strmap);
      if (e >= 0) words[p] = e;
      else if (unmapped < 0) unmapped = words[p]!;
    }
  }
  return unmapped;
}

/** A split string offset after relocation, or -1 when it points into the distilled base at no matched name. */
function mapStrOff(s: number, dEnd: number, strShift: number, strmap: Uint32Array): number {
  if (s === 0) return 0;
  if (s >= dEnd) return s + strShift;
  const m = strmap[s]!;
  return m === 0 ? -1 : m;
}

/** The distilled base, decoded once: per id its kind, name offset, size word, INT encoding, kflag. */
interface Distilled {
  D: Btf;
  nD: number;
  kind: Uint8Array;
  name: Uint32Array;
  size: Uint32Array;
  enc: Uint8Array;
  kflag: Uint8Array;
}

/** The distilled base sorted by name bytes asc / size desc / id asc, grouped by name, with a hash of the groups. */
interface NameGroups {
  keys: string[];
  size31: Uint32Array;
  sorted: number[];
  gLo: number[];
  gHi: number[];
  gBytes: Uint8Array[];
  gHash: number[];
  gSlots: Int32Array;
  gMask: number;
}

/** What matching found: strings map, conflicts, void hits, the first libbpf message. */
interface MatchState {
  strmap: Uint32Array;
  conflicts: Map<number, Set<number>>;
  emptyNameHits: number[];
  firstMsg: string | null;
}

function run(split: Btf, newBase: Btf): RunResult {
  const D = split.base;
  if (!newBase) return simpleFailure('relocation needs a new base BTF', 0, 0);
  if (!D) return simpleFailure('cannot relocate: BTF is not split BTF (it has no distilled base)', 0, newBase.typeCount());
  if (D === newBase) return simpleFailure('cannot relocate: the new base is the current (distilled) base', D.typeCount(), newBase.typeCount());

  const nB = newBase.typeCount();
  const dist = decodeDistilledBase(D);
  const invalid = validateDistilledBase(dist);
  if (invalid) return { failure: { ...invalid, errno: Errno.EINVAL, unmappedStrings: [], distilledTypes: dist.nD - 1, baseTypes: nB - 1 } };

  const nD = dist.nD;
  const n = nD + split.nTypes;
  // Split id shift: split ids follow the new base's.
  const map = new Uint32Array(n);
  for (let id = nD; id < n; id++) map[id] = id + nB - nD;
  const groups = groupByName(dist);
  const embedded = markEmbedded(split, dist, map);
  const st = matchBaseTypes(split, newBase, dist, groups, map);
  const unmappedIds = checkComplete(dist, groups, map, st);

  const dEnd = split.startStrOff; // distilled base string space (= D.str_len for a flat D)
  if (st.firstMsg !== null) {
    const unmapped = explain(split, newBase, { nD, keys: groups.keys, dKind: dist.kind, dSize: dist.size, dEnc: dist.enc, dKflag: dist.kflag, embedded, conflicts: st.conflicts, unmappedIds, emptyNameHits: st.emptyNameHits });
    const unmappedStrings = strayStrings(split, nD, dEnd, dist.name);
    return { failure: { message: st.firstMsg, errno: Errno.EINVAL, unmapped, unmappedStrings, distilledTypes: nD - 1, baseTypes: nB - 1 } };
  }
  return rewriteSplit(split, newBase, dist, map, st.strmap);
}

function decodeDistilledBase(D: Btf): Distilled {
  const nD = D.typeCount();
  const d: Distilled = { D, nD, kind: new Uint8Array(nD), name: new Uint32Array(nD), size: new Uint32Array(nD), enc: new Uint8Array(nD), kflag: new Uint8Array(nD) };
  for (let i = 1; i < nD; i++) {
    const kind = D.kind(i);
    d.kind[i] = kind;
    d.name[i] = D.nameOff(i);
    d.size[i] = D.word(i, 2);
    d.kflag[i] = D.kflag(i) ? 1 : 0;
    if (kind === Kind.INT) d.enc[i] = D.intEncoding(i);
  }
  return d;
}

/** libbpf btf_relocate_validate_distilled_base: named INT, FLOAT, ENUM, STRUCT, UNION, FWD only. */
function validateDistilledBase(dist: Distilled): { message: string; unmapped: UnmappedType[] } | null {
  const invalid: UnmappedType[] = [];
  let firstMsg: string | null = null;
  for (let i = 1; i < dist.nD; i++) {
    const kind = dist.kind[i]!;
    if (kind <= MAX_KNOWN_KIND && KINDS[kind]!.distilledBase) {
      if (dist.name[i] !== 0) continue;
      firstMsg ??= `type [${i}], kind [${kind}] is invalid for distilled base BTF; it is anonymous`;
      invalid.push(unmappedBase(dist.D, i, 'anonymous', `the distilled base's ${kindName(kind)} has no name, so it cannot be looked up by name`));
    } else {
      firstMsg ??= `type [${i}] in distilled based BTF has unexpected kind [${kind}]`;
      invalid.push(unmappedBase(dist.D, i, 'invalid-kind', `a distilled base may only hold named INT, FLOAT, ENUM, STRUCT, UNION and FWD types, not ${kindName(kind)}`));
    }
  }
  return firstMsg === null ? null : { message: firstMsg, unmapped: invalid };
}

/** The distilled base sorted as libbpf's comparator sorts it (ties in id order, as glibc's stable qsort), grouped by name. */
function groupByName(dist: Distilled): NameGroups {
  const { D, nD } = dist;
  const keys: string[] = new Array(nD);
  keys[0] = '';
  for (let i = 1; i < nD; i++) keys[i] = D.strKey(dist.name[i]!);
  const size31 = new Uint32Array(nD);
  for (let i = 1; i < nD; i++) size31[i] = dist.size[i]! & 0x7fffffff;
  const sorted = new Array<number>(nD);
  for (let i = 0; i < nD; i++) sorted[i] = i;
  sorted.sort((a, b) => {
    const ka = keys[a]!;
    const kb = keys[b]!;
    if (ka !== kb) return ka < kb ? -1 : 1;
    if (size31[a] !== size31[b]) return size31[b]! - size31[a]!;
    return a - b;
  });
  const gLo: number[] = [];
  const gHi: number[] = [];
  const gBytes: Uint8Array[] = [];
  const gHash: number[] = [];
  for (let j = 0; j < nD; ) {
    let e = j + 1;
    while (e < nD && keys[sorted[e]!] === keys[sorted[j]!]) e++;
    const bytes = keyBytes(keys[sorted[j]!]!);
    gLo.push(j);
    gHi.push(e);
    gBytes.push(bytes);
    gHash.push(hashBytes(bytes, 0, bytes.length));
    j = e;
  }
  const nG = gLo.length;
  let gSize = 16;
  while (gSize < nG * 4) gSize <<= 1;
  const gMask = gSize - 1;
  const gSlots = new Int32Array(gSize);
  for (let g = 0; g < nG; g++) {
    let i = gHash[g]! & gMask;
    while (gSlots[i] !== 0) i = (i + 1) & gMask;
    gSlots[i] = g + 1;
  }
  return { keys, size31, sorted, gLo, gHi, gBytes, gHash, gSlots, gMask };
}

/**
 * libbpf btf_mark_embedded_composite_type_ids (the fixed marking that scans all split types,
 * libbpf ≥ 1.6): distilled composites reached from a split member through modifiers and
 * arrays are embedded by value (map[] = EMBEDDED). Returns the embedded flags.
 */
function markEmbedded(split: Btf, dist: Distilled, map: Uint32Array): Uint8Array {
  const { words: sWords, offs: sOffs, kindMask: sKindMask, vlenMask: sVlenMask, nTypes: nS } = split.raw();
  const nD = dist.nD;
  const dKind = dist.kind;
  const n = nD + nS;
  const embedded = new Uint8Array(nD);
  const kindOf = (id: number): number => (id < nD ? dKind[id]! : (sWords[sOffs[id - nD]! + 1]! >>> 24) & sKindMask);
  for (let i = 0; i < nS; i++) {
    const o = sOffs[i]!;
    const info = sWords[o + 1]!;
    const kind = (info >>> 24) & sKindMask;
    if (kind !== Kind.STRUCT && kind !== Kind.UNION) continue;
    const vlen = info & sVlenMask;
    for (let k = 0, p = o + 4; k < vlen; k++, p += 3) {
      let next = sWords[p]!;
      for (let guard = 0; next !== 0 && next < n && guard <= n; guard++) {
        const nk = kindOf(next);
        if (MODIFIER[nk] === 1) {
          next = sWords[sOffs[next - nD]! + 2]!;
        } else if (nk === Kind.ARRAY) {
          next = sWords[sOffs[next - nD]! + 3]!;
        } else {
          if ((nk === Kind.STRUCT || nk === Kind.UNION) && next < nD) {
            map[next] = EMBEDDED;
            embedded[next] = 1;
          }
          break;
        }
      }
    }
  }
  return embedded;
}

/**
 * libbpf btf_relocate_map_distilled_base: the new-base types whose name bytes equal a
 * distilled name, in ascending id order (libbpf walks all base types and binary-searches each
 * name), matched candidate by candidate exactly as libbpf does.
 */
function matchBaseTypes(split: Btf, newBase: Btf, dist: Distilled, g: NameGroups, map: Uint32Array): MatchState {
  const matches = findNamedMatches(newBase, g.gBytes, g.gHash, g.gSlots, g.gMask);
  const nm = matches.count;
  const mId = matches.ids;
  const mGroup = matches.groups;
  const compCount = new Map<number, number>(); // composite name_off → count (libbpf counts by offset)
  for (let j = 0; j < nm; j++) {
    const b = mId[j]!;
    const kind = newBase.kind(b);
    if (kind === Kind.STRUCT || kind === Kind.UNION) {
      const no = newBase.nameOff(b);
      compCount.set(no, (compCount.get(no) ?? 0) + 1);
    }
  }
  const st: MatchState = { strmap: new Uint32Array(Math.max(split.startStrOff, 1)), conflicts: new Map(), emptyNameHits: [], firstMsg: null };
  const { kind: dKind, size: dSize, enc: dEnc, kflag: dKflag, name: dName } = dist;
  const { size31, sorted, gLo, gHi, keys } = g;
  for (let j = 0; j < nm; j++) {
    const b = mId[j]!;
    const L = newBase.typeOwner(b);
    const LR = L.raw();
    const o = LR.offs[b - L.startId]!;
    const bNo = LR.words[o]!;
    const bInfo = LR.words[o + 1]!;
    const bKind = (bInfo >>> 24) & LR.kindMask;
    const bSize = LR.words[o + 2]!;
    const bKflag = bInfo >>> 31;
    const needsSize = bKind === Kind.STRUCT || bKind === Kind.UNION ? compCount.get(bNo)! > 1 : bKind !== Kind.FWD;
    const bSize31 = bSize & 0x7fffffff;
    const grp = mGroup[j]!;
    for (let q = gLo[grp]!, qe = gHi[grp]!; q < qe; q++) {
      const d = sorted[q]!;
      if (needsSize && size31[d] !== bSize31) continue;
      if (d === 0) {
        st.firstMsg ??= `base BTF id [${b}] maps to invalid distilled base BTF id [${d}]`;
        st.emptyNameHits.push(b);
        continue;
      }
      const dk = dKind[d]! as Kind;
      switch (dk) {
        case Kind.FWD:
          if (bKind === Kind.FWD) {
            if (dKflag[d] !== bKflag) continue;
          } else if (bKind === Kind.STRUCT) {
            if (bKflag) continue;
          } else if (bKind === Kind.UNION) {
            if (!bKflag) continue;
          } else continue;
          break;
        case Kind.INT:
          if (bKind !== Kind.INT || ((LR.words[o + 3]! >>> 24) & 0x0f) !== dEnc[d]) continue;
          break;
        case Kind.FLOAT:
          if (bKind !== Kind.FLOAT) continue;
          break;
        case Kind.ENUM:
          if (bKind !== Kind.ENUM && bKind !== Kind.ENUM64) continue;
          break;
        case Kind.STRUCT: case Kind.UNION:
          if (map[d] === EMBEDDED && bSize !== dSize[d]) continue;
          break;
        // validateDistilledBase admits no other kind (KINDS[k].distilledBase).
        case Kind.UNKN: case Kind.PTR: case Kind.ARRAY: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST:
        case Kind.RESTRICT: case Kind.FUNC: case Kind.FUNC_PROTO: case Kind.VAR: case Kind.DATASEC:
        case Kind.DECL_TAG: case Kind.TYPE_TAG: case Kind.ENUM64:
          continue;
        default:
          unreachableKind(dk);
      }
      const cur = map[d]!;
      if (cur !== 0 && cur !== EMBEDDED) {
        st.firstMsg ??= `distilled base BTF type '${keyToString(keys[d]!)}' [${d}], size ${bSize} has multiple candidates of the same size (ids [${b}, ${cur}]) in base BTF`;
        let set = st.conflicts.get(d);
        if (!set) st.conflicts.set(d, (set = new Set([cur])));
        set.add(b);
        continue;
      }
      map[d] = b;
      st.strmap[dName[d]!] = bNo;
    }
  }
  return st;
}

/** Every distilled type must be mapped: the ids that are not (the first sets libbpf's message). */
function checkComplete(dist: Distilled, g: NameGroups, map: Uint32Array, st: MatchState): number[] {
  const out: number[] = [];
  for (let d = 1; d < dist.nD; d++) {
    const v = map[d]!;
    if (v !== 0 && v !== EMBEDDED) continue;
    st.firstMsg ??= `distilled base BTF type '${keyToString(g.keys[d]!)}' [${d}] is not mapped to base BTF id`;
    out.push(d);
  }
  return out;
}

/**
 * libbpf btf_relocate_rewrite_type_id and btf_relocate_rewrite_strs, on a copy of the split's
 * records: ids through the map (split ids shifted), strings of the distilled base through the
 * names matched, the split's own strings shifted past the new base's.
 */
function rewriteSplit(split: Btf, newBase: Btf, dist: Distilled, map: Uint32Array, strmap: Uint32Array): RunResult {
  const sr = split.raw();
  const { offs: sOffs, nTypes: nS, nWords } = sr;
  const nD = dist.nD;
  const n = nD + nS;
  const nB = newBase.typeCount();
  const dEnd = split.startStrOff;
  const bEnd = newBase.startStrOff + newBase.strLen;
  const words = sr.words.slice(0, Math.max(nWords, 1));
  rewriteIds(words, sr, n, map, nB - nD);
  const unmappedStr = rewriteStrs(words, sr, dEnd, bEnd - dEnd, strmap);
  const strMsg = unmappedStr >= 0 ? `string '' [offset ${unmappedStr}] is not mapped to base BTF` : null;
  if (strMsg !== null) {
    return {
      failure: { message: strMsg, errno: Errno.ENOENT, unmapped: [], unmappedStrings: strayStrings(split, nD, dEnd, dist.name), distilledTypes: nD - 1, baseTypes: nB - 1 },
    };
  }
  const btf = Btf.fromParts(
    newBase,
    split.endian,
    { words, nWords, offs: sOffs.slice(0, Math.max(nS, 1)), nTypes: nS, strs: sr.strs.slice(0, Math.max(sr.strLen, 1)), strLen: sr.strLen },
    { wide: sr.kindMask === WIDE_KIND_MASK, layout: split.layout, ptrSize: split.ptrSize },
  );
  return { btf, idMap: map };
}
