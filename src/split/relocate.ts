/**
 * relocate — libbpf `btf_relocate()` / `btf__relocate()` (docs/design.md §relocate): re-parents a split BTF
 * from its distilled base onto a full base (e.g. the running vmlinux BTF).
 *
 * Approach: validate the distilled base; shift split ids; sort the (small) distilled base by
 * name bytes asc / size desc / id asc (libbpf's comparator, ties in id order as glibc's stable
 * qsort leaves them) and group equal names; mark distilled composites embedded by value in any
 * split STRUCT/UNION (the fixed marking that scans *all* split types, libbpf ≥ 1.6); then one
 * ascending scan of the new base hashes the name bytes of each named INT/FLOAT/ENUM/ENUM64/
 * FWD/STRUCT/UNION straight from its string section and keeps only the types whose name is a
 * distilled name (no JS strings, no per-type objects). Those few are then matched exactly as
 * libbpf does, candidate by candidate, with its kind table and quirks Q1–Q6 (docs/design.md §relocate-match, §quirks).
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
import { KindId as Kind, kindName } from '../format/kinds.js';
import { Btf } from '../model/btf.js';
import { keyBytes, keyToString } from '../model/strings.js';
import { growI32, growU32, growU8 } from '../model/grow.js';
import { hashBytes, idFieldPos, strFieldStride } from './distill.js';

const EMBEDDED = 0xffffffff;
const FNV_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

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

interface Level {
  words: Uint32Array;
  offs: Uint32Array;
  startId: number;
  nTypes: number;
  strs: Uint8Array;
  strLen: number;
  startStrOff: number;
  kindMask: number;
}

function levelsOf(b: Btf): Level[] {
  const out: Level[] = [];
  for (let x: Btf | null = b; x; x = x.base)
    out.unshift({ words: x.words, offs: x.offs, startId: x.startId, nTypes: x.nTypes, strs: x.strs, strLen: x.strLen, startStrOff: x.startStrOff, kindMask: x.kindMask });
  return out;
}

/** New-base kinds that produce a search key (docs/design.md §relocate-match, step 4). */
const SCAN_KIND = new Uint8Array(32);
for (const k of [Kind.INT, Kind.FLOAT, Kind.ENUM, Kind.ENUM64, Kind.FWD, Kind.STRUCT, Kind.UNION]) SCAN_KIND[k] = 1;

function simpleFailure(message: string, nD: number, nB: number): { failure: RelocationFailure } {
  return { failure: { message, errno: Errno.EINVAL, unmapped: [], unmappedStrings: [], distilledTypes: Math.max(0, nD - 1), baseTypes: Math.max(0, nB - 1) } };
}

function run(split: Btf, newBase: Btf): RunResult {
  const D = split.base;
  if (!newBase) return simpleFailure('relocation needs a new base BTF', 0, 0);
  if (!D) return simpleFailure('cannot relocate: BTF is not split BTF (it has no distilled base)', 0, newBase.typeCount());
  if (D === newBase) return simpleFailure('cannot relocate: the new base is the current (distilled) base', D.typeCount(), newBase.typeCount());

  const nD = D.typeCount();
  const nB = newBase.typeCount();
  const nS = split.nTypes;
  const n = nD + nS;
  const dEnd = split.startStrOff; // distilled base string space (= D.str_len for a flat D)
  const bEnd = newBase.startStrOff + newBase.strLen;

  // ---- Step 1: validate the distilled base (docs/design.md §relocate-validate).
  const dKind = new Uint8Array(nD);
  const dName = new Uint32Array(nD);
  const dSize = new Uint32Array(nD);
  const dEnc = new Uint8Array(nD);
  const dKflag = new Uint8Array(nD);
  const invalid: UnmappedType[] = [];
  let firstMsg: string | null = null;
  for (let i = 1; i < nD; i++) {
    const kind = D.kind(i);
    const no = D.nameOff(i);
    dKind[i] = kind;
    dName[i] = no;
    dSize[i] = D.word(i, 2);
    dKflag[i] = D.kflag(i) ? 1 : 0;
    if (kind === Kind.INT) dEnc[i] = D.intEncoding(i);
    switch (kind) {
      case Kind.INT: case Kind.FLOAT: case Kind.ENUM: case Kind.STRUCT: case Kind.UNION: case Kind.FWD:
        if (no !== 0) break;
        firstMsg ??= `type [${i}], kind [${kind}] is invalid for distilled base BTF; it is anonymous`;
        invalid.push(unmappedBase(D, i, 'anonymous', `the distilled base's ${kindName(kind)} has no name, so it cannot be looked up by name`));
        break;
      default:
        firstMsg ??= `type [${i}] in distilled based BTF has unexpected kind [${kind}]`;
        invalid.push(unmappedBase(D, i, 'invalid-kind', `a distilled base may only hold named INT, FLOAT, ENUM, STRUCT, UNION and FWD types, not ${kindName(kind)}`));
    }
  }
  if (firstMsg !== null) {
    return { failure: { message: firstMsg, errno: Errno.EINVAL, unmapped: invalid, unmappedStrings: [], distilledTypes: nD - 1, baseTypes: nB - 1 } };
  }

  // ---- Step 2: split id shift (docs/design.md §relocate-shift).
  const map = new Uint32Array(n);
  for (let id = nD; id < n; id++) map[id] = id + nB - nD;

  // ---- Step 3a: sorted index of the distilled base, grouped by name.
  const keys: string[] = new Array(nD);
  keys[0] = '';
  for (let i = 1; i < nD; i++) keys[i] = D.strKey(dName[i]!);
  const size31 = new Uint32Array(nD);
  for (let i = 1; i < nD; i++) size31[i] = dSize[i]! & 0x7fffffff;
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

  // ---- Step 3b: embedded marking over all split composites (docs/design.md §relocate-match, step 2: the fixed version).
  const sWords = split.words;
  const sOffs = split.offs;
  const sKindMask = split.kindMask;
  const sVlenMask = split.vlenMask;
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
        if (nk === Kind.CONST || nk === Kind.RESTRICT || nk === Kind.VOLATILE || nk === Kind.TYPEDEF || nk === Kind.TYPE_TAG) {
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

  // ---- Step 3c: find the new-base types whose name bytes equal a distilled name, in ascending
  // id order (libbpf walks all base types and binary-searches each name). The first relocation
  // onto a base object scans it directly; later ones use a per-base hash index of names, built
  // once and cached, so only the distilled names are looked up.
  const matches = findNamedMatches(newBase, gBytes, gHash, gSlots, gMask);
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

  // ---- Step 3d: match, in ascending base id order, exactly as libbpf.
  const strmap = new Uint32Array(Math.max(dEnd, 1));
  const conflicts = new Map<number, Set<number>>(); // distilled id → competing base ids
  const emptyNameHits: number[] = [];
  for (let j = 0; j < nm; j++) {
    const b = mId[j]!;
    const L = newBase.typeOwner(b);
    const o = L.offs[b - L.startId]!;
    const bNo = L.words[o]!;
    const bInfo = L.words[o + 1]!;
    const bKind = (bInfo >>> 24) & L.kindMask;
    const bSize = L.words[o + 2]!;
    const bKflag = bInfo >>> 31;
    const needsSize =
      bKind === Kind.STRUCT || bKind === Kind.UNION ? compCount.get(bNo)! > 1 : bKind !== Kind.FWD;
    const bSize31 = bSize & 0x7fffffff;
    const g = mGroup[j]!;
    for (let q = gLo[g]!, qe = gHi[g]!; q < qe; q++) {
      const d = sorted[q]!;
      if (needsSize && size31[d] !== bSize31) continue;
      if (d === 0) {
        firstMsg ??= `base BTF id [${b}] maps to invalid distilled base BTF id [${d}]`;
        emptyNameHits.push(b);
        continue;
      }
      switch (dKind[d]) {
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
          if (bKind !== Kind.INT || ((L.words[o + 3]! >>> 24) & 0x0f) !== dEnc[d]) continue;
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
        default:
          continue;
      }
      const cur = map[d]!;
      if (cur !== 0 && cur !== EMBEDDED) {
        firstMsg ??= `distilled base BTF type '${keyToString(keys[d]!)}' [${d}], size ${bSize} has multiple candidates of the same size (ids [${b}, ${cur}]) in base BTF`;
        let set = conflicts.get(d);
        if (!set) conflicts.set(d, (set = new Set([cur])));
        set.add(b);
        continue;
      }
      map[d] = b;
      strmap[dName[d]!] = bNo;
    }
  }

  // ---- Step 3e: completeness.
  let unmappedIds: number[] | null = null;
  for (let d = 1; d < nD; d++) {
    const v = map[d]!;
    if (v !== 0 && v !== EMBEDDED) continue;
    firstMsg ??= `distilled base BTF type '${keyToString(keys[d]!)}' [${d}] is not mapped to base BTF id`;
    (unmappedIds ??= []).push(d);
  }

  if (firstMsg !== null) {
    const unmapped = explain(split, newBase, { nD, keys, dKind, dSize, dEnc, dKflag, embedded, conflicts, unmappedIds: unmappedIds ?? [], emptyNameHits });
    const unmappedStrings = strayStrings(split, nD, dEnd, dName);
    return { failure: { message: firstMsg, errno: Errno.EINVAL, unmapped, unmappedStrings, distilledTypes: nD - 1, baseTypes: nB - 1 } };
  }

  // ---- Steps 4–5: rewrite ids and strings in a copy.
  const nWords = split.nWords;
  const words = sWords.slice(0, Math.max(nWords, 1));
  const shift = nB - nD;
  for (let i = 0; i < nS; i++) {
    const o = sOffs[i]!;
    const info = words[o + 1]!;
    const kind = (info >>> 24) & sKindMask;
    const vlen = info & sVlenMask;
    for (let k = 0; ; k++) {
      const p = idFieldPos(kind, vlen, k);
      if (p < 0) break;
      const v = words[o + p]!;
      words[o + p] = v < n ? map[v]! : v + shift;
    }
  }
  const strShift = bEnd - dEnd;
  let strMsg: string | null = null;
  for (let i = 0; i < nS; i++) {
    const o = sOffs[i]!;
    const info = words[o + 1]!;
    const kind = (info >>> 24) & sKindMask;
    const vlen = info & sVlenMask;
    const stride = strFieldStride(kind);
    if (stride < 0) continue;
    const last = stride === 0 ? 0 : vlen;
    for (let k = -1; k < last; k++) {
      const p = k < 0 ? o : o + 3 + stride * k;
      const s = words[p]!;
      if (s === 0) continue;
      if (s >= dEnd) {
        words[p] = s + strShift;
      } else {
        const m = strmap[s]!;
        if (m === 0) {
          strMsg ??= `string '' [offset ${s}] is not mapped to base BTF`;
          continue;
        }
        words[p] = m;
      }
    }
  }
  if (strMsg !== null) {
    return {
      failure: { message: strMsg, errno: Errno.ENOENT, unmapped: [], unmappedStrings: strayStrings(split, nD, dEnd, dName), distilledTypes: nD - 1, baseTypes: nB - 1 },
    };
  }

  const btf = Btf.fromParts(newBase, split.endian, {
    words,
    nWords,
    offs: sOffs.slice(0, Math.max(nS, 1)),
    nTypes: nS,
    strs: split.strs.slice(0, Math.max(split.strLen, 1)),
    strLen: split.strLen,
  });
  btf.kindMask = split.kindMask;
  btf.vlenMask = split.vlenMask;
  btf.ptrSize = split.ptrSize;
  btf.layout = split.layout;
  return { btf, idMap: map };
}

// --------------------------------------------------------------------------- base name lookup

interface Matches {
  count: number;
  ids: Int32Array;
  groups: Int32Array;
}

/**
 * Hash index of the named types of a base (cached per base object): the "scan" index holds
 * the kinds relocation matches (INT, FLOAT, ENUM, ENUM64, FWD, STRUCT, UNION), the full one
 * (built only to explain a failure) every named type.
 */
interface BaseNameIndex {
  generation: number;
  words: Uint32Array;
  strs: Uint8Array;
  nTypes: number;
  strLen: number;
  count: number;
  /** Type ids of the named types, ascending. */
  ids: Uint32Array;
  kinds: Uint8Array;
  /** FNV-1a hash of each one's name bytes (int32). */
  hashes: Int32Array;
  /** Byte length of each one's name. */
  lens: Uint32Array;
  /** Hash buckets: first entry + 1 (0 = empty); `next` chains entries in ascending id order. */
  head: Int32Array;
  next: Int32Array;
}

const scanIndexCache = new WeakMap<Btf, BaseNameIndex>();
const fullIndexCache = new WeakMap<Btf, BaseNameIndex>();
/** Bases relocated onto once already (the second relocation builds the index). */
const seenBases = new WeakMap<Btf, number>();

function validIndex(base: Btf, all: boolean): BaseNameIndex | null {
  const c = (all ? fullIndexCache : scanIndexCache).get(base);
  if (c && c.generation === base.generation && c.words === base.words && c.strs === base.strs && c.nTypes === base.nTypes && c.strLen === base.strLen && sameChain(base))
    return c;
  return null;
}

function cachedIndex(base: Btf, all: boolean): BaseNameIndex {
  const c = validIndex(base, all);
  if (c) return c;
  const idx = buildIndex(base, all);
  (all ? fullIndexCache : scanIndexCache).set(base, idx);
  chainStamp.set(base, chainKey(base));
  return idx;
}

function buildIndex(base: Btf, all: boolean): BaseNameIndex {
  let cap = 1024;
  let ids: Uint32Array = new Uint32Array(cap);
  let kinds: Uint8Array = new Uint8Array(cap);
  let hashes: Int32Array = new Int32Array(cap);
  let lens: Uint32Array = new Uint32Array(cap);
  let count = 0;
  for (const L of levelsOf(base)) {
    const words = L.words;
    const offs = L.offs;
    const km = L.kindMask;
    for (let i = 0; i < L.nTypes; i++) {
      const o = offs[i]!;
      const no = words[o]!;
      if (no === 0) continue;
      const kind = (words[o + 1]! >>> 24) & km;
      if (!all && SCAN_KIND[kind] === 0) continue;
      let buf = L.strs;
      let s = no - L.startStrOff;
      let lim = L.strLen;
      if (s < 0 || s >= lim) {
        const ow = base.strOwner(no);
        if (!ow) continue; // invalid name offset: libbpf would crash; never matches here
        buf = ow.strs;
        s = no - ow.startStrOff;
        lim = ow.strLen;
      }
      let h = FNV_BASIS | 0;
      let e = s;
      for (; e < lim; e++) {
        const ch = buf[e]!;
        if (ch === 0) break;
        h = Math.imul(h ^ ch, FNV_PRIME);
      }
      if (count === cap) {
        cap *= 2;
        ids = growU32(ids, cap);
        hashes = growI32(hashes, cap);
        lens = growU32(lens, cap);
        kinds = growU8(kinds, cap);
      }
      ids[count] = L.startId + i;
      kinds[count] = kind;
      hashes[count] = h;
      lens[count] = e - s;
      count++;
    }
  }
  let size = 1024;
  while (size < count * 2) size <<= 1;
  const head = new Int32Array(size);
  const next = new Int32Array(Math.max(count, 1));
  for (let j = count - 1; j >= 0; j--) {
    const slot = hashes[j]! & (size - 1);
    next[j] = head[slot]!;
    head[slot] = j + 1;
  }
  return { generation: base.generation, words: base.words, strs: base.strs, nTypes: base.nTypes, strLen: base.strLen, count, ids, kinds, hashes, lens, head, next };
}

/** Does the name of base type `id` equal `bytes`? */
function nameIs(base: Btf, id: number, bytes: Uint8Array): boolean {
  const no = base.nameOff(id);
  const ow = base.strOwner(no);
  if (!ow) return false;
  const s = no - ow.startStrOff;
  const n = bytes.length;
  if (s + n >= ow.strLen || ow.strs[s + n] !== 0) return false;
  let k = 0;
  while (k < n && bytes[k] === ow.strs[s + k]) k++;
  return k === n;
}

/** Ids (ascending) of the types of `base` named exactly `bytes`: all kinds, or (`scanOnly`) only INT … UNION. */
function typesNamed(base: Btf, bytes: Uint8Array, scanOnly = false): number[] {
  const ix = cachedIndex(base, !scanOnly);
  const h = hashBytes(bytes, 0, bytes.length);
  const out: number[] = [];
  const head = ix.head;
  const next = ix.next;
  for (let e = head[h & (head.length - 1)]!; e !== 0; e = next[e - 1]!) {
    const j = e - 1;
    if (ix.hashes[j] !== h || ix.lens[j] !== bytes.length) continue;
    if (scanOnly && SCAN_KIND[ix.kinds[j]!] === 0) continue;
    if (nameIs(base, ix.ids[j]!, bytes)) out.push(ix.ids[j]!);
  }
  return out;
}

/**
 * The new-base types that relocation considers for each distilled name group: named INT,
 * FLOAT, ENUM, ENUM64, FWD, STRUCT, UNION whose name bytes equal the group's, ascending id.
 */
function findNamedMatches(base: Btf, gBytes: Uint8Array[], gHash: number[], gSlots: Int32Array, gMask: number): Matches {
  if (validIndex(base, false) || seenBases.has(base)) {
    const pairs: number[] = [];
    for (let g = 0; g < gBytes.length; g++) for (const id of typesNamed(base, gBytes[g]!, true)) pairs.push(id, g);
    const order = Array.from({ length: pairs.length >> 1 }, (_, i) => i).sort((a, b) => pairs[2 * a]! - pairs[2 * b]!);
    const ids = new Int32Array(order.length);
    const groups = new Int32Array(order.length);
    order.forEach((p, i) => {
      ids[i] = pairs[2 * p]!;
      groups[i] = pairs[2 * p + 1]!;
    });
    return { count: order.length, ids, groups };
  }
  seenBases.set(base, 1);
  return scanMatches(base, gBytes, gHash, gSlots, gMask);
}

/** One direct pass over the base (first relocation onto it): a two-byte prefix filter, then the name hash. */
function scanMatches(base: Btf, gBytes: Uint8Array[], gHash: number[], gSlots: Int32Array, gMask: number): Matches {
  const prefix = new Uint8Array(65536);
  for (const gb of gBytes) prefix[gb.length === 0 ? 0 : gb[0]! | ((gb.length > 1 ? gb[1]! : 0) << 8)] = 1;
  let ids: Int32Array = new Int32Array(256);
  let groups: Int32Array = new Int32Array(256);
  let count = 0;
  for (const L of levelsOf(base)) {
    const words = L.words;
    const offs = L.offs;
    const km = L.kindMask;
    for (let i = 0; i < L.nTypes; i++) {
      const o = offs[i]!;
      const no = words[o]!;
      if (no === 0) continue;
      if (SCAN_KIND[(words[o + 1]! >>> 24) & km] === 0) continue;
      let buf = L.strs;
      let s = no - L.startStrOff;
      let lim = L.strLen;
      if (s < 0 || s >= lim) {
        const ow = base.strOwner(no);
        if (!ow) continue;
        buf = ow.strs;
        s = no - ow.startStrOff;
        lim = ow.strLen;
      }
      const c0 = buf[s]!;
      if (prefix[c0 === 0 ? 0 : c0 | ((s + 1 < lim ? buf[s + 1]! : 0) << 8)] === 0) continue;
      let h = FNV_BASIS | 0;
      let e = s;
      for (; e < lim; e++) {
        const c = buf[e]!;
        if (c === 0) break;
        h = Math.imul(h ^ c, FNV_PRIME);
      }
      for (let slot = h & gMask; ; slot = (slot + 1) & gMask) {
        const v = gSlots[slot]!;
        if (v === 0) break;
        const gb = gBytes[v - 1]!;
        if (gHash[v - 1] !== h || gb.length !== e - s) continue;
        let k = 0;
        while (k < gb.length && gb[k] === buf[s + k]) k++;
        if (k !== gb.length) continue;
        if (count === ids.length) {
          ids = growI32(ids, count + 1);
          groups = growI32(groups, count + 1);
        }
        ids[count] = L.startId + i;
        groups[count] = v - 1;
        count++;
        break;
      }
    }
  }
  return { count, ids, groups };
}

/** Lower levels of a chained base must be unchanged too. */
const chainStamp = new WeakMap<Btf, string>();
function chainKey(base: Btf): string {
  let k = '';
  for (let x = base.base; x; x = x.base) k += `${x.generation}:${x.nTypes}:${x.strLen};`;
  return k;
}
function sameChain(base: Btf): boolean {
  return base.base === null || chainStamp.get(base) === chainKey(base);
}

// --------------------------------------------------------------------------- diagnosis (failure path only)

function describeKindName(kind: string, name: string): string {
  const k = kind.toLowerCase();
  return `${k} ${name === '' ? '(anon)' : name}`;
}

function unmappedBase(D: Btf, id: number, problem: RelocationProblem, reason: string): UnmappedType {
  return { id, name: D.name(id), kind: kindName(D.kind(id)), problem, distilledSize: D.word(id, 2), candidates: [], embeddedIn: [], reason };
}

interface ExplainCtx {
  nD: number;
  keys: string[];
  dKind: Uint8Array;
  dSize: Uint32Array;
  dEnc: Uint8Array;
  dKflag: Uint8Array;
  embedded: Uint8Array;
  conflicts: Map<number, Set<number>>;
  unmappedIds: number[];
  emptyNameHits: number[];
}

const ENC_NAMES = ['(none)', 'SIGNED', 'CHAR', 'SIGNED|CHAR', 'BOOL', 'SIGNED|BOOL', 'CHAR|BOOL', 'SIGNED|CHAR|BOOL'];
function encName(e: number): string {
  return ENC_NAMES[e] ?? `0x${e.toString(16)}`;
}

function hasSize(kind: number): boolean {
  return kind === Kind.INT || kind === Kind.FLOAT || kind === Kind.ENUM || kind === Kind.ENUM64 || kind === Kind.STRUCT || kind === Kind.UNION;
}

function candidateOf(base: Btf, id: number): RelocationCandidate {
  const kind = base.kind(id);
  const c: RelocationCandidate = { id, kind: kindName(kind) };
  if (hasSize(kind)) c.size = base.word(id, 2);
  if (kind === Kind.INT) c.note = `encoding ${encName(base.intEncoding(id))}`;
  else if (kind === Kind.FWD) c.note = base.kflag(id) ? 'union forward' : 'struct forward';
  else if ((kind === Kind.STRUCT || kind === Kind.UNION) && base.kflag(id)) c.note = 'kflag set (bitfields)';
  return c;
}

function explain(split: Btf, base: Btf, cx: ExplainCtx): UnmappedType[] {
  const out: UnmappedType[] = [];
  const problemIds = new Set<number>(cx.unmappedIds);
  for (const d of cx.conflicts.keys()) problemIds.add(d);

  // All same-named new-base types (any kind) of the problem names.
  const wanted = new Map<string, number[]>();
  for (const d of problemIds) {
    const k = cx.keys[d]!;
    if (!wanted.has(k)) wanted.set(k, typesNamed(base, keyBytes(k)));
  }

  const sites = embeddingSites(split, cx.nD, cx.embedded, problemIds);

  for (const d of [...problemIds].sort((a, b) => a - b)) {
    const name = keyToString(cx.keys[d]!);
    const dk = cx.dKind[d]!;
    const dsz = cx.dSize[d]!;
    const same = wanted.get(cx.keys[d]!) ?? [];
    const u: UnmappedType = {
      id: d,
      name,
      kind: kindName(dk),
      problem: 'missing',
      distilledSize: dsz,
      candidates: same.map((id) => candidateOf(base, id)),
      embeddedIn: sites.get(d) ?? [],
      reason: '',
    };
    const what = describeKindName(kindName(dk), name);
    const conflict = cx.conflicts.get(d);
    if (conflict) {
      const ids = [...conflict].sort((a, b) => a - b);
      u.problem = 'multiple';
      u.candidates = ids.map((id) => candidateOf(base, id));
      u.reason = `${ids.length} base types match ${what} equally well (ids ${ids.join(', ')}); relocation cannot choose`;
      out.push(u);
      continue;
    }
    if (same.length === 0) {
      u.problem = 'missing';
      u.reason = `the new base has no type named '${name}'`;
      out.push(u);
      continue;
    }
    const kinds = same.map((id) => base.kind(id));
    const sizes = (pred: (k: number) => boolean): string =>
      same.filter((_, i) => pred(kinds[i]!)).map((id) => `${base.word(id, 2)} ([${id}])`).join(', ');
    switch (dk) {
      case Kind.INT: {
        const ints = same.filter((_, i) => kinds[i] === Kind.INT);
        if (ints.length === 0) {
          u.problem = 'kind';
          u.reason = `the new base has '${name}' only as ${[...new Set(kinds.map(kindName))].join('/')}, not as INT`;
        } else if (ints.some((id) => (base.word(id, 2) & 0x7fffffff) === (dsz & 0x7fffffff))) {
          u.problem = 'encoding';
          u.reason = `INT '${name}' of ${dsz} bytes has encoding ${encName(cx.dEnc[d]!)} in the distilled base but ${ints.filter((id) => base.word(id, 2) === dsz).map((id) => `${encName(base.intEncoding(id))} ([${id}])`).join(', ')} in the new base`;
        } else {
          u.problem = 'size';
          u.reason = `INT '${name}' is ${dsz} bytes in the distilled base but ${sizes((k) => k === Kind.INT)} in the new base`;
        }
        break;
      }
      case Kind.FLOAT:
      case Kind.ENUM: {
        const ok = (k: number): boolean => (dk === Kind.FLOAT ? k === Kind.FLOAT : k === Kind.ENUM || k === Kind.ENUM64);
        if (!kinds.some(ok)) {
          u.problem = 'kind';
          u.reason = `the new base has '${name}' only as ${[...new Set(kinds.map(kindName))].join('/')}, not as ${dk === Kind.FLOAT ? 'FLOAT' : 'ENUM/ENUM64'}`;
        } else {
          u.problem = 'size';
          u.reason = `${what} is ${dsz} bytes in the distilled base but ${sizes(ok)} in the new base`;
        }
        break;
      }
      case Kind.FWD: {
        const flav = cx.dKflag[d] ? 'union' : 'struct';
        u.problem = 'kind';
        if (!kinds.some((k) => k === Kind.FWD || k === Kind.STRUCT || k === Kind.UNION)) {
          u.reason = `the new base has '${name}' only as ${[...new Set(kinds.map(kindName))].join('/')}, not as a struct/union or forward declaration`;
        } else {
          u.reason =
            `forward declaration of ${flav} '${name}' has no compatible new-base type: a FWD must have the same flavour; ` +
            `a STRUCT is accepted only without kflag, a UNION only with kflag (libbpf tests the base type's kflag)`;
        }
        break;
      }
      case Kind.STRUCT:
      case Kind.UNION: {
        const keyed = (k: number): boolean => SCAN_KIND[k] === 1;
        const comps = (k: number): boolean => k === Kind.STRUCT || k === Kind.UNION;
        if (!kinds.some(keyed)) {
          u.problem = 'kind';
          u.reason = `the new base has '${name}' only as ${[...new Set(kinds.map(kindName))].join('/')}, which cannot stand for a ${kindName(dk)}`;
        } else if (cx.embedded[d]) {
          u.problem = 'size';
          u.reason = `${what} is embedded by value in split types, so its size must match: ${dsz} bytes in the distilled base, ${sizes(comps) || sizes(keyed)} in the new base`;
        } else {
          u.problem = 'size';
          u.reason = `the new base has several types named '${name}', so the size must match: ${dsz} bytes in the distilled base, ${sizes(keyed)} in the new base`;
        }
        break;
      }
      default:
        u.problem = 'kind';
        u.reason = `unexpected distilled kind ${kindName(dk)}`;
    }
    out.push(u);
  }

  if (cx.emptyNameHits.length > 0) {
    out.unshift({
      id: 0,
      name: '',
      kind: 'VOID',
      problem: 'base-empty-name',
      distilledSize: 0,
      candidates: [...new Set(cx.emptyNameHits)].map((id) => candidateOf(base, id)),
      embeddedIn: [],
      reason: 'named new-base types whose name is the empty string match the void entry of the distilled base',
    });
  }
  return out;
}

/** Where the split embeds each problem distilled composite, following the marking's chains. */
function embeddingSites(split: Btf, nD: number, embedded: Uint8Array, ids: Set<number>): Map<number, EmbeddingSite[]> {
  const out = new Map<number, EmbeddingSite[]>();
  let any = false;
  for (const d of ids) if (embedded[d]) any = true;
  if (!any) return out;
  const n = split.typeCount();
  const start = split.startId;
  for (let id = start; id < n; id++) {
    const kind = split.kind(id);
    if (kind !== Kind.STRUCT && kind !== Kind.UNION) continue;
    const vlen = split.vlen(id);
    for (let k = 0; k < vlen; k++) {
      let next = split.memberType(id, k);
      const via: string[] = [];
      for (let guard = 0; next !== 0 && next < n && guard <= n; guard++) {
        const nk = split.kind(next);
        if (nk === Kind.CONST || nk === Kind.RESTRICT || nk === Kind.VOLATILE || nk === Kind.TYPEDEF || nk === Kind.TYPE_TAG) {
          via.push(nk === Kind.TYPEDEF || nk === Kind.TYPE_TAG ? `${kindName(nk).toLowerCase()} ${split.name(next)}` : kindName(nk).toLowerCase());
          next = split.type(next);
        } else if (nk === Kind.ARRAY) {
          via.push(`array[${split.arrayNelems(next)}]`);
          next = split.arrayElemType(next);
        } else {
          if ((nk === Kind.STRUCT || nk === Kind.UNION) && next < nD && ids.has(next)) {
            let l = out.get(next);
            if (!l) out.set(next, (l = []));
            l.push({
              typeId: id,
              typeName: describeKindName(kindName(kind), split.name(id)),
              member: split.str(split.memberNameOff(id, k)),
              memberIndex: k,
              via,
            });
          }
          break;
        }
      }
    }
  }
  return out;
}

/** Split string fields below the distilled string end that are not a distilled type's name. */
function strayStrings(split: Btf, nD: number, dEnd: number, dName: Uint32Array): UnmappedString[] {
  const isName = new Uint8Array(Math.max(dEnd, 1));
  for (let d = 1; d < nD; d++) if (dName[d]! < dEnd) isName[dName[d]!] = 1;
  const out: UnmappedString[] = [];
  const w = split.words;
  for (let i = 0; i < split.nTypes; i++) {
    const o = split.offs[i]!;
    const info = w[o + 1]!;
    const kind = (info >>> 24) & split.kindMask;
    const vlen = info & split.vlenMask;
    const stride = strFieldStride(kind);
    if (stride < 0) continue;
    const last = stride === 0 ? 0 : vlen;
    for (let k = -1; k < last; k++) {
      const s = w[k < 0 ? o : o + 3 + stride * k]!;
      if (s === 0 || s >= dEnd || isName[s]) continue;
      let str = '';
      try {
        str = split.str(s);
      } catch {
        str = '';
      }
      out.push({ typeId: split.startId + i, offset: s, string: str });
    }
  }
  return out;
}
