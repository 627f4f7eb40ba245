/**
 * What changed inside a struct or union between two kernels' BTF — the explanation a module
 * maintainer needs when relocation fails on "size differs".
 *
 * Approach: flatten each composite into its named fields (members of anonymous nested
 * structs/unions are lifted into the parent with their offsets added, as C makes them
 * accessible), then match fields by name: a field only in the old layout was removed, only in
 * the new one added; a field in both may have moved (bit offset), been resized (byte size or
 * bitfield width) or changed type (C spelling of its type). Output is ordered by the new
 * layout's offsets, removed fields by their old offsets.
 *
 * The explanation a maintainer reads (explainCompositeDiff) puts the root changes first:
 * added, removed, resized and retyped fields; a resized member that is itself a struct or union
 * is opened (recursively, a few levels) down to the field that changed; and a run of later
 * fields that only moved by the same amount becomes one line ("~ 12 later fields moved by 8
 * bytes (a … z)"), like the "+N" summaries of pahole's --reorganize.
 */

import { KindId as Kind } from '../format/kinds.js';
import type { Btf } from '../model/btf.js';
import { resolveSize } from '../model/size.js';

export interface FlatField {
  name: string;
  bitOffset: number;
  /** Bitfield width, 0 for a plain member. */
  bitfieldSize: number;
  /** Size in bytes of the member's type (-1 if unknown). */
  size: number;
  /** C spelling of the member's type, e.g. "struct list_head", "u8[16]", "void (*)(struct device *)". */
  type: string;
  /** The member's type id with modifiers and typedefs skipped (to open nested structs). */
  typeId?: number;
}

export type FieldChangeKind = 'added' | 'removed' | 'moved' | 'resized' | 'retyped';

export interface FieldChange {
  change: FieldChangeKind;
  field: string;
  before?: FlatField;
  after?: FlatField;
}

export interface CompositeDiff {
  name: string;
  kind: 'struct' | 'union';
  sizeBefore: number;
  sizeAfter: number;
  changes: FieldChange[];
}

const MAX_DEPTH = 16;

/** Flattened named fields of a STRUCT/UNION. */
export function flattenFields(btf: Btf, id: number): FlatField[] {
  const out: FlatField[] = [];
  const walk = (tid: number, base: number, depth: number): void => {
    const vlen = btf.vlen(tid);
    for (let i = 0; i < vlen; i++) {
      const mname = btf.str(btf.memberNameOff(tid, i));
      const mtype = btf.memberType(tid, i);
      const off = base + btf.memberBitOffset(tid, i);
      if (mname === '' && depth < MAX_DEPTH) {
        const under = btf.skipModsAndTypedefs(mtype);
        const k = btf.kind(under);
        if (k === Kind.STRUCT || k === Kind.UNION) {
          walk(under, off, depth + 1);
          continue;
        }
      }
      out.push({ name: mname, bitOffset: off, bitfieldSize: btf.memberBitfieldSize(tid, i), size: resolveSize(btf, mtype), type: typeToC(btf, mtype), typeId: btf.skipModsAndTypedefs(mtype) });
    }
  };
  walk(id, 0, 0);
  return out;
}

export function diffComposites(oldBtf: Btf, oldId: number, newBtf: Btf, newId: number): CompositeDiff {
  const before = flattenFields(oldBtf, oldId);
  const after = flattenFields(newBtf, newId);
  const oldByName = new Map<string, FlatField>();
  for (const f of before) if (f.name && !oldByName.has(f.name)) oldByName.set(f.name, f);
  const newNames = new Set(after.map((f) => f.name));
  const changes: FieldChange[] = [];
  for (const a of after) {
    const b = a.name ? oldByName.get(a.name) : undefined;
    if (!b) {
      changes.push({ change: 'added', field: a.name || '(anon)', after: a });
      continue;
    }
    if (b.size !== a.size || b.bitfieldSize !== a.bitfieldSize) changes.push({ change: 'resized', field: a.name, before: b, after: a });
    else if (b.type !== a.type) changes.push({ change: 'retyped', field: a.name, before: b, after: a });
    if (b.bitOffset !== a.bitOffset) changes.push({ change: 'moved', field: a.name, before: b, after: a });
  }
  for (const b of before) {
    if (!b.name || !newNames.has(b.name)) changes.push({ change: 'removed', field: b.name || '(anon)', before: b });
  }
  return {
    name: oldBtf.name(oldId),
    kind: oldBtf.kind(oldId) === Kind.UNION ? 'union' : 'struct',
    sizeBefore: oldBtf.size(oldId),
    sizeAfter: newBtf.size(newId),
    changes,
  };
}

function pos(f: FlatField): string {
  const byte = Math.floor(f.bitOffset / 8);
  const bit = f.bitOffset % 8;
  const at = bit || f.bitfieldSize ? `offset ${byte} bit ${bit}` : `offset ${byte}`;
  const size = sz(f);
  return `${at}, ${size}`;
}

/** Readable lines, one per change. */
export function formatCompositeDiff(d: CompositeDiff): string[] {
  const lines: string[] = [];
  for (const c of d.changes) {
    switch (c.change) {
      case 'added':
        lines.push(`+ ${c.after!.type} ${c.field} (${pos(c.after!)})`);
        break;
      case 'removed':
        lines.push(`- ${c.before!.type} ${c.field} (was at ${pos(c.before!)})`);
        break;
      case 'moved':
        lines.push(`~ ${c.field} moved: offset ${fmtOff(c.before!)} -> ${fmtOff(c.after!)}`);
        break;
      case 'resized':
        lines.push(`~ ${c.field} resized: ${sz(c.before!)} -> ${sz(c.after!)}` +
          (c.before!.type !== c.after!.type ? ` (${c.before!.type} -> ${c.after!.type})` : ''));
        break;
      case 'retyped':
        lines.push(`~ ${c.field} type changed: ${c.before!.type} -> ${c.after!.type}`);
        break;
    }
  }
  return lines;
}

const MAX_OPEN_DEPTH = 4;

function isComposite(btf: Btf, id: number | undefined): id is number {
  if (id === undefined || id <= 0) return false;
  const k = btf.kind(id);
  return k === Kind.STRUCT || k === Kind.UNION;
}

function delta(bits: number): string {
  const n = Math.abs(bits);
  const dir = bits < 0 ? '-' : '+';
  return n % 8 === 0 ? `${dir}${n / 8} byte${n === 8 ? '' : 's'}` : `${dir}${n} bit${n === 1 ? '' : 's'}`;
}

/**
 * What changed in a struct/union, root changes first, nested structs opened, runs of fields
 * that only moved collapsed into one line each. Lines are indented by `indent`.
 */
export function explainCompositeDiff(oldBtf: Btf, oldId: number, newBtf: Btf, newId: number, indent = '', depth = 0): string[] {
  const d = diffComposites(oldBtf, oldId, newBtf, newId);
  const lines: string[] = [];
  const byField = new Map<string, FieldChange[]>();
  for (const c of d.changes) {
    if (c.change === 'removed') continue;
    const l = byField.get(c.field);
    if (l) l.push(c);
    else byField.set(c.field, [c]);
  }
  // A run of fields that only moved, all by the same amount.
  let run: { first: string; last: string; n: number; by: number } | null = null;
  const flush = (): void => {
    if (!run) return;
    lines.push(run.n === 1
      ? `${indent}~ ${run.first} moved by ${delta(run.by)}`
      : `${indent}~ ${run.n} later fields moved by ${delta(run.by)} (${run.first} … ${run.last})`);
    run = null;
  };
  const seen = new Set<string>();
  for (const c of d.changes) {
    if (c.change === 'removed' || seen.has(c.field)) continue;
    seen.add(c.field);
    const cs = byField.get(c.field)!;
    const root = cs.find((x) => x.change !== 'moved');
    const moved = cs.find((x) => x.change === 'moved');
    if (!root) {
      const by = moved!.after!.bitOffset - moved!.before!.bitOffset;
      if (run && run.by === by) {
        run.n++;
        run.last = c.field;
      } else {
        flush();
        run = { first: c.field, last: c.field, n: 1, by };
      }
      continue;
    }
    flush();
    const at = moved ? `, now at offset ${fmtOff(moved.after!)} (was ${fmtOff(moved.before!)})` : '';
    switch (root.change) {
      case 'added':
        lines.push(`${indent}+ ${root.after!.type} ${root.field} (${pos(root.after!)})`);
        break;
      case 'resized':
      case 'retyped': {
        const b = root.before!;
        const a = root.after!;
        const what = b.type === a.type ? a.type : `${b.type} -> ${a.type}`;
        const size = root.change === 'resized' ? `, ${sz(b)} -> ${sz(a)}` : ', same size';
        lines.push(`${indent}~ ${root.field}: ${what}${size}${at}`);
        if (depth < MAX_OPEN_DEPTH && isComposite(oldBtf, b.typeId) && isComposite(newBtf, a.typeId) && oldBtf.kind(b.typeId) === newBtf.kind(a.typeId)) {
          lines.push(...explainCompositeDiff(oldBtf, b.typeId, newBtf, a.typeId, indent + '    ', depth + 1));
        }
        break;
      }
    }
  }
  flush();
  for (const c of d.changes) {
    if (c.change === 'removed') lines.push(`${indent}- ${c.before!.type} ${c.field} (was at ${pos(c.before!)})`);
  }
  return lines;
}

function fmtOff(f: FlatField): string {
  return f.bitOffset % 8 ? `${Math.floor(f.bitOffset / 8)}:${f.bitOffset % 8}` : String(f.bitOffset / 8);
}
function sz(f: FlatField): string {
  return f.bitfieldSize ? `${f.bitfieldSize} bit${f.bitfieldSize === 1 ? '' : 's'}` : `${f.size} byte${f.size === 1 ? '' : 's'}`;
}

/** C spelling of a type (abbreviated: function pointers print their prototype). */
export function typeToC(btf: Btf, id: number, depth = 0): string {
  if (id === 0) return 'void';
  if (depth > MAX_DEPTH) return '...';
  const k = btf.kind(id);
  const name = btf.name(id);
  switch (k) {
    case Kind.INT: case Kind.FLOAT: case Kind.TYPEDEF:
      return name;
    case Kind.STRUCT:
      return `struct ${name || '{...}'}`;
    case Kind.UNION:
      return `union ${name || '{...}'}`;
    case Kind.ENUM: case Kind.ENUM64:
      return `enum ${name || '{...}'}`;
    case Kind.FWD:
      return `${btf.kflag(id) ? 'union' : 'struct'} ${name}`;
    case Kind.CONST:
      return `const ${typeToC(btf, btf.type(id), depth + 1)}`;
    case Kind.VOLATILE:
      return `volatile ${typeToC(btf, btf.type(id), depth + 1)}`;
    case Kind.RESTRICT:
      return `${typeToC(btf, btf.type(id), depth + 1)} restrict`;
    case Kind.TYPE_TAG:
      return typeToC(btf, btf.type(id), depth + 1);
    case Kind.PTR: {
      const t = btf.type(id);
      if (t !== 0 && btf.kind(t) === Kind.FUNC_PROTO) return protoToC(btf, t, '(*)', depth + 1);
      return `${typeToC(btf, t, depth + 1)} *`;
    }
    case Kind.ARRAY:
      return `${typeToC(btf, btf.arrayElemType(id), depth + 1)}[${btf.arrayNelems(id)}]`;
    case Kind.FUNC_PROTO:
      return protoToC(btf, id, '', depth + 1);
    default:
      return name || `kind ${k}`;
  }
}

function protoToC(btf: Btf, id: number, inner: string, depth: number): string {
  const params: string[] = [];
  for (let i = 0; i < btf.vlen(id); i++) {
    const t = btf.paramType(id, i);
    params.push(t === 0 ? '...' : typeToC(btf, t, depth + 1));
  }
  return `${typeToC(btf, btf.type(id), depth + 1)} ${inner}(${params.join(', ') || 'void'})`;
}
