/**
 * What changed between two BTFs (two kernels, or two modules' split BTF): types added and
 * removed (by kind and name), and for types in both, the change: structs and unions field by
 * field (diffComposites / formatCompositeDiff of ./structdiff.ts, the words `check` uses),
 * enums value by value, functions by prototype, typedefs by what they name.
 *
 * Approach: one pass over each BTF's own types builds a Map from "kind name" to the first id
 * of that kind and name (kinds: struct, union, enum (ENUM and ENUM64), typedef, func); the two
 * maps are then joined by key, so the work is linear in the number of types (no pairwise
 * matching). Results are sorted by kind, then name. Nothing here touches the file system.
 */

import { KindId as Kind } from '../format/kinds.js';
import type { Btf } from '../model/btf.js';
import { diffComposites, formatCompositeDiff, typeToC, type FieldChange } from './structdiff.js';
import { resolveSize } from '../model/size.js';

export type DiffKind = 'struct' | 'union' | 'enum' | 'typedef' | 'func';
const KIND_ORDER: readonly DiffKind[] = ['struct', 'union', 'enum', 'typedef', 'func'];

export interface TypeRef {
  kind: DiffKind;
  name: string;
  id: number;
  /** Byte size for struct/union/enum, -1 otherwise. */
  size: number;
}

export interface EnumChange {
  change: 'added' | 'removed' | 'value';
  name: string;
  before?: string;
  after?: string;
}

export interface TypeChange {
  kind: DiffKind;
  name: string;
  oldId: number;
  newId: number;
  sizeBefore: number;
  sizeAfter: number;
  /** struct/union: the field changes (structdiff's records). */
  fields?: FieldChange[];
  /** enum: the enumerator changes. */
  values?: EnumChange[];
  /** func: prototype; typedef: the named type (C spelling). */
  before?: string;
  after?: string;
  /** The readable lines, in check's words. */
  lines: string[];
}

export interface BtfDiff {
  added: TypeRef[];
  removed: TypeRef[];
  changed: TypeChange[];
  /** Types present in both (by kind and name), changed or not. */
  compared: number;
}

/**
 * Per-BTF memo of the C spelling (structdiff's typeToC) and size of referenced types: member
 * and parameter types repeat across thousands of structs and functions, so the equality
 * pre-checks below cost one Map lookup per reference after the first.
 */
class Names {
  private c = new Map<number, string>();
  private z = new Map<number, number>();
  constructor(readonly btf: Btf) {}
  cName(id: number): string {
    let v = this.c.get(id);
    if (v === undefined) {
      v = typeToC(this.btf, id);
      this.c.set(id, v);
    }
    return v;
  }
  size(id: number): number {
    let v = this.z.get(id);
    if (v === undefined) {
      v = resolveSize(this.btf, id);
      this.z.set(id, v);
    }
    return v;
  }
}

/**
 * True when two structs/unions certainly compare equal under diffComposites: same size and
 * member count, every member named (anonymous members are flattened there, so they take the
 * full path), with the same name, offset, bitfield width, type spelling and type size.
 */
function sameComposite(a: Names, oldId: number, b: Names, newId: number): boolean {
  const x = a.btf;
  const y = b.btf;
  const n = x.vlen(oldId);
  if (x.size(oldId) !== y.size(newId) || n !== y.vlen(newId)) return false;
  for (let i = 0; i < n; i++) {
    const xn = x.memberNameOff(oldId, i);
    const yn = y.memberNameOff(newId, i);
    if (xn === 0 || yn === 0) return false;
    if (x.memberBitOffset(oldId, i) !== y.memberBitOffset(newId, i)) return false;
    if (x.memberBitfieldSize(oldId, i) !== y.memberBitfieldSize(newId, i)) return false;
    if (x.str(xn) !== y.str(yn)) return false;
    const xt = x.memberType(oldId, i);
    const yt = y.memberType(newId, i);
    if (a.cName(xt) !== b.cName(yt) || a.size(xt) !== b.size(yt)) return false;
  }
  return true;
}

/** True when two FUNC_PROTOs spell the same return and parameter types. */
function sameProto(a: Names, oldProto: number, b: Names, newProto: number): boolean {
  const x = a.btf;
  const y = b.btf;
  const n = x.vlen(oldProto);
  if (n !== y.vlen(newProto) || a.cName(x.type(oldProto)) !== b.cName(y.type(newProto))) return false;
  for (let i = 0; i < n; i++) if (a.cName(x.paramType(oldProto, i)) !== b.cName(y.paramType(newProto, i))) return false;
  return true;
}

function diffKind(btf: Btf, id: number): DiffKind | null {
  switch (btf.kind(id) as Kind) {
    case Kind.STRUCT: return 'struct';
    case Kind.UNION: return 'union';
    case Kind.ENUM: case Kind.ENUM64: return 'enum';
    case Kind.TYPEDEF: return 'typedef';
    case Kind.FUNC: return 'func';
    case Kind.UNKN: case Kind.INT: case Kind.PTR: case Kind.ARRAY: case Kind.FWD: case Kind.VOLATILE:
    case Kind.CONST: case Kind.RESTRICT: case Kind.FUNC_PROTO: case Kind.VAR: case Kind.DATASEC:
    case Kind.FLOAT: case Kind.DECL_TAG: case Kind.TYPE_TAG:
      return null;
  }
  return null;
}

/** "kind name" → first id, over the BTF's own types (a split BTF: the module's types only). */
export function indexTypes(btf: Btf, only: ReadonlySet<string> | null = null): Map<string, number> {
  const m = new Map<string, number>();
  const start = btf.base ? btf.startId : 1;
  const end = btf.typeCount();
  for (let id = start; id < end; id++) {
    if (btf.nameOff(id) === 0) continue;
    const k = diffKind(btf, id);
    if (k === null) continue;
    const name = btf.name(id);
    if (only && !only.has(name)) continue;
    const key = `${k} ${name}`;
    if (!m.has(key)) m.set(key, id);
  }
  return m;
}

function sizeOf(btf: Btf, id: number, kind: DiffKind): number {
  return kind === 'struct' || kind === 'union' || kind === 'enum' ? btf.size(id) : -1;
}

function ref(btf: Btf, key: string, id: number): TypeRef {
  const sp = key.indexOf(' ');
  const kind = key.slice(0, sp) as DiffKind;
  return { kind, name: key.slice(sp + 1), id, size: sizeOf(btf, id, kind) };
}

/** Enumerator name → value (decimal text; signed per the kflag). */
function enumValues(btf: Btf, id: number): Map<string, string> {
  const m = new Map<string, string>();
  const is64 = btf.kind(id) === Kind.ENUM64;
  const signed = btf.kflag(id);
  for (let i = 0; i < btf.vlen(id); i++) {
    const name = btf.str(is64 ? btf.enum64NameOff(id, i) : btf.enumNameOff(id, i));
    let v: string;
    if (is64) v = signed ? BigInt.asIntN(64, btf.enum64Value(id, i)).toString() : BigInt.asUintN(64, btf.enum64Value(id, i)).toString();
    else v = signed ? String(btf.enumValue(id, i) | 0) : String(btf.enumValue(id, i) >>> 0);
    if (!m.has(name)) m.set(name, v);
  }
  return m;
}

function diffEnum(oldBtf: Btf, oldId: number, newBtf: Btf, newId: number): EnumChange[] {
  const a = enumValues(oldBtf, oldId);
  const b = enumValues(newBtf, newId);
  const out: EnumChange[] = [];
  for (const [n, v] of b) {
    const w = a.get(n);
    if (w === undefined) out.push({ change: 'added', name: n, after: v });
    else if (w !== v) out.push({ change: 'value', name: n, before: w, after: v });
  }
  for (const [n, v] of a) if (!b.has(n)) out.push({ change: 'removed', name: n, before: v });
  return out;
}

function enumLines(changes: EnumChange[]): string[] {
  return changes.map((c) =>
    c.change === 'added' ? `+ ${c.name} = ${c.after}` : c.change === 'removed' ? `- ${c.name} (was ${c.before})` : `~ ${c.name}: ${c.before} -> ${c.after}`);
}

function isAnonComposite(btf: Btf, id: number): boolean {
  const k = btf.kind(id);
  return (k === Kind.STRUCT || k === Kind.UNION) && btf.nameOff(id) === 0;
}

/** The change of one type present in both, or null when it is the same. */
function diffOne(kind: DiffKind, name: string, a: Names, oldId: number, b: Names, newId: number): TypeChange | null {
  const oldBtf = a.btf;
  const newBtf = b.btf;
  const sizeBefore = sizeOf(oldBtf, oldId, kind);
  const sizeAfter = sizeOf(newBtf, newId, kind);
  const base = { kind, name, oldId, newId, sizeBefore, sizeAfter };
  switch (kind) {
    case 'struct': case 'union': {
      if (sameComposite(a, oldId, b, newId)) return null;
      const d = diffComposites(oldBtf, oldId, newBtf, newId);
      if (d.changes.length === 0 && sizeBefore === sizeAfter) return null;
      return { ...base, fields: d.changes, lines: formatCompositeDiff(d) };
    }
    case 'enum': {
      const values = diffEnum(oldBtf, oldId, newBtf, newId);
      if (values.length === 0 && sizeBefore === sizeAfter) return null;
      return { ...base, values, lines: enumLines(values) };
    }
    case 'func': {
      const op = oldBtf.type(oldId);
      const np = newBtf.type(newId);
      if (oldBtf.kind(op) === Kind.FUNC_PROTO && newBtf.kind(np) === Kind.FUNC_PROTO && sameProto(a, op, b, np)) return null;
      const before = typeToC(oldBtf, oldBtf.type(oldId));
      const after = typeToC(newBtf, newBtf.type(newId));
      if (before === after) return null;
      return { ...base, before, after, lines: [`~ prototype: ${before} -> ${after}`] };
    }
    case 'typedef': {
      const ot = oldBtf.type(oldId);
      const nt = newBtf.type(newId);
      // a typedef of an anonymous struct/union: compare the bodies
      if (ot !== 0 && nt !== 0 && isAnonComposite(oldBtf, ot) && isAnonComposite(newBtf, nt) && oldBtf.kind(ot) === newBtf.kind(nt)) {
        const d = diffComposites(oldBtf, ot, newBtf, nt);
        if (d.changes.length === 0 && oldBtf.size(ot) === newBtf.size(nt)) return null;
        return { ...base, sizeBefore: oldBtf.size(ot), sizeAfter: newBtf.size(nt), fields: d.changes, lines: formatCompositeDiff(d) };
      }
      const before = a.cName(ot);
      const after = b.cName(nt);
      if (before === after) return null;
      return { ...base, before, after, lines: [`~ type changed: ${before} -> ${after}`] };
    }
  }
}

function byKindName(a: { kind: DiffKind; name: string }, b: { kind: DiffKind; name: string }): number {
  const k = KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind);
  return k !== 0 ? k : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The differences between two BTFs; `only` restricts them to types of these names. */
export function diffBtf(oldBtf: Btf, newBtf: Btf, only: readonly string[] | null = null): BtfDiff {
  const filter = only && only.length ? new Set(only) : null;
  const a = indexTypes(oldBtf, filter);
  const b = indexTypes(newBtf, filter);
  const added: TypeRef[] = [];
  const removed: TypeRef[] = [];
  const changed: TypeChange[] = [];
  let compared = 0;
  const na = new Names(oldBtf);
  const nb = new Names(newBtf);
  for (const [key, oldId] of a) {
    const newId = b.get(key);
    if (newId === undefined) {
      removed.push(ref(oldBtf, key, oldId));
      continue;
    }
    compared++;
    const r = ref(oldBtf, key, oldId);
    const c = diffOne(r.kind, r.name, na, oldId, nb, newId);
    if (c) changed.push(c);
  }
  for (const [key, newId] of b) if (!a.has(key)) added.push(ref(newBtf, key, newId));
  added.sort(byKindName);
  removed.sort(byKindName);
  changed.sort(byKindName);
  return { added, removed, changed, compared };
}

function sizeText(kind: DiffKind, size: number): string {
  return size >= 0 && kind !== 'enum' ? ` (${size} byte${size === 1 ? '' : 's'})` : '';
}

/** Counts per kind, e.g. "struct 12, func 3". */
function perKind(list: readonly { kind: DiffKind }[]): string {
  const n = new Map<DiffKind, number>();
  for (const x of list) n.set(x.kind, (n.get(x.kind) ?? 0) + 1);
  return KIND_ORDER.filter((k) => n.has(k)).map((k) => `${k} ${n.get(k)}`).join(', ');
}

/** One-line summary. */
export function diffSummary(d: BtfDiff): string {
  const part = (n: number, what: string, list: readonly { kind: DiffKind }[]): string =>
    `${n} ${what}${n ? ` (${perKind(list)})` : ''}`;
  if (!d.added.length && !d.removed.length && !d.changed.length) return `no differences (${d.compared} types compared)`;
  return `${part(d.changed.length, 'changed', d.changed)}, ${part(d.added.length, 'added', d.added)}, ${part(d.removed.length, 'removed', d.removed)}; ${d.compared - d.changed.length} of ${d.compared} types in both unchanged`;
}

/** The text report: changed types with their lines, then added and removed types, then the summary. */
export function formatDiff(d: BtfDiff): string {
  let s = '';
  for (const c of d.changed) {
    const size = c.sizeBefore !== c.sizeAfter ? `: ${c.sizeBefore} -> ${c.sizeAfter} bytes` : c.sizeBefore >= 0 && c.kind !== 'enum' && c.kind !== 'typedef' ? ` (${c.sizeBefore} bytes)` : '';
    s += `~ ${c.kind} ${c.name}${size}\n`;
    for (const l of c.lines) s += `    ${l}\n`;
  }
  for (const t of d.added) s += `+ ${t.kind} ${t.name}${sizeText(t.kind, t.size)}\n`;
  for (const t of d.removed) s += `- ${t.kind} ${t.name}${sizeText(t.kind, t.size)}\n`;
  return s + diffSummary(d) + '\n';
}
