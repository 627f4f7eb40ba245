/**
 * Why a relocation failed, in full (failure path only): for each distilled type that cannot
 * be mapped, the same-named new-base types and why none fits, where the split embeds it by
 * value, and the split strings that point into the distilled base at no type name. libbpf
 * reports only its first message; this is btfkit's own explanation.
 */

import { KindId as Kind, kindName, isModifierKind, RELOC_KEY, strFieldPos, unreachableKind } from '../format/kinds.js';
import type { Btf } from '../model/btf.js';
import { keyBytes, keyToString } from '../model/strings.js';
import { typesNamed } from './relocate-index.js';
import type { EmbeddingSite, RelocationCandidate, RelocationProblem, UnmappedString, UnmappedType } from './relocate.js';


export function describeKindName(kind: string, name: string): string {
  const k = kind.toLowerCase();
  return `${k} ${name === '' ? '(anon)' : name}`;
}

export function unmappedBase(D: Btf, id: number, problem: RelocationProblem, reason: string): UnmappedType {
  return { id, name: D.name(id), kind: kindName(D.kind(id)), problem, distilledSize: D.word(id, 2), candidates: [], embeddedIn: [], reason };
}

export interface ExplainCtx {
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

export function explain(split: Btf, base: Btf, cx: ExplainCtx): UnmappedType[] {
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
    const dk = cx.dKind[d]! as Kind;
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
        const keyed = (k: number): boolean => RELOC_KEY[k] === 1;
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
      // A distilled base holds no other kind (validated before matching).
      case Kind.UNKN: case Kind.PTR: case Kind.ARRAY: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST:
      case Kind.RESTRICT: case Kind.FUNC: case Kind.FUNC_PROTO: case Kind.VAR: case Kind.DATASEC:
      case Kind.DECL_TAG: case Kind.TYPE_TAG: case Kind.ENUM64:
        u.problem = 'kind';
        u.reason = `unexpected distilled kind ${kindName(dk)}`;
        break;
      default:
        unreachableKind(dk);
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
        if (isModifierKind(nk)) {
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
export function strayStrings(split: Btf, nD: number, dEnd: number, dName: Uint32Array): UnmappedString[] {
  const isName = new Uint8Array(Math.max(dEnd, 1));
  for (let d = 1; d < nD; d++) if (dName[d]! < dEnd) isName[dName[d]!] = 1;
  const out: UnmappedString[] = [];
  const { words: w, offs, nTypes, kindMask, vlenMask } = split.raw();
  for (let i = 0; i < nTypes; i++) {
    const o = offs[i]!;
    const info = w[o + 1]!;
    const kind = (info >>> 24) & kindMask;
    const vlen = info & vlenMask;
    for (let k = 0; ; k++) {
      const p = strFieldPos(kind, vlen, k);
      if (p < 0) break;
      const s = w[o + p]!;
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
