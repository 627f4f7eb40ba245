/**
 * `btfkit layout TYPE... FILE`: the struct/union layout exactly as `pahole -F btf -C TYPE FILE`
 * (pahole v1.31) prints it — members with offsets and sizes, holes, padding, bit holes,
 * bitfields, cacheline markers, nested anonymous structs/unions, the statistics at the end.
 *
 * Approach: a printer that walks the BTF type graph the way pahole's dwarves_fprintf.c does,
 * building each line as a string: the column arithmetic depends on how many characters the
 * type part took (pahole pads comments to `type_spacing + name_spacing`, 26 + 23 at the top,
 * minus 8 per nesting level), so every function returns its text and callers measure it. The
 * printing settings travel in a small Conf record copied at the same places pahole copies its
 * `conf_fprintf`; the current cacheline is shared (a reference) as pahole shares it through a
 * pointer. Layout facts (offsets, holes, inferred alignment and packing) come from
 * LayoutModel, which keeps pahole's mutable per-run marks, so several TYPEs printed in one
 * session match one pahole run with a comma-separated -C list.
 */

import { KindId as Kind } from '../format/kinds.js';
import type { Btf } from '../model/btf.js';
import { keyOfString } from '../model/strings.js';
import { LayoutModel, CACHELINE_SIZE, type LayoutMember } from './layout-model.js';
import { type Conf, tabs, padRight, gap, num, trunc } from './layout-text.js';
import { StructWriter } from './layout-struct.js';

export class LayoutPrinter {
  readonly m: LayoutModel;
  private readonly btf: Btf;

  constructor(btf: Btf) {
    this.btf = btf;
    this.m = new LayoutModel(btf);
  }

  /**
   * pahole's -C lookup (cu__find_type_by_name) for several names in one pass over the types:
   * for each name, the first struct, union, typedef or enum of that name (declarations, i.e.
   * FWD, do not count); -1 when none. One scan compares names only on those kinds, which costs
   * less than building the BTF's full name index for a one-shot command.
   */
  findAll(names: readonly string[]): Map<string, number> {
    const btf = this.btf;
    const want = new Map<string, string>();
    for (const n of names) want.set(keyOfString(n), n);
    const found = new Map<string, number>();
    const end = btf.typeCount();
    for (let id = 1; id < end && found.size < want.size; id++) {
      const k = btf.kind(id);
      if (k !== Kind.STRUCT && k !== Kind.UNION && k !== Kind.TYPEDEF && k !== Kind.ENUM && k !== Kind.ENUM64) continue;
      const off = btf.nameOff(id);
      if (off === 0) continue;
      const n = want.get(btf.strKey(off));
      if (n !== undefined && !found.has(n)) found.set(n, id);
    }
    for (const n of names) if (!found.has(n)) found.set(n, -1);
    return found;
  }

  /** What pahole prints for one -C type: the definition, ';', and two newlines. */
  print(id: number): string {
    const conf: Conf = {
      indent: 0, typeSpacing: 26, nameSpacing: this.m.isUnion(id) ? 21 : 23, prefix: null, suffix: null,
      emitStats: true, suppressOffsetComment: false, relOffset: false, baseOffset: 0, cacheline: null,
      lastMember: false, firstMember: false, unionMember: false,
    };
    let s: string;
    const k = this.btf.kind(id);
    if (k === Kind.TYPEDEF) s = this.typedef(id, conf);
    else if (k === Kind.ENUM || k === Kind.ENUM64) s = this.enumeration(id, conf);
    else if (k === Kind.UNION) s = this.union(id, conf);
    else s = this.cls(id, conf);
    return s + ';\n\n';
  }

  // ------------------------------------------------------------- type names

  private notFound(id: number): string {
    return `<ERROR: type ${id} not found!>`;
  }

  /** __tag__name: the C spelling of a type used as a declarator's type. */
  tagName(id: number, depth = 0): string {
    const m = this.m;
    if (!m.exists(id) || depth > 64) return 'void';
    const btf = this.btf;
    const name = m.name(id);
    switch (btf.kind(id) as Kind) {
      case Kind.INT:
        if (name === null) return 'nameless base type!';
        return name; // pahole's is_bool is a 1-bit field given BTF_INT_BOOL (4): never set
      case Kind.FLOAT:
        return name === null ? 'nameless base type!' : `single ${name}`;
      case Kind.PTR:
        return this.ptrName(id, depth);
      case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: {
        const t = btf.type(id);
        if (t !== 0 && !m.exists(t)) return this.notFound(t);
        const k = btf.kind(id);
        const inner = trunc(this.tagName(t, depth + 1));
        return `${k === Kind.CONST ? 'const ' : k === Kind.VOLATILE ? 'volatile ' : ''}${inner}${k === Kind.RESTRICT ? ' restrict' : ''} `;
      }
      case Kind.ARRAY: {
        const t = btf.arrayElemType(id);
        return m.exists(t) ? this.tagName(t, depth + 1) : this.notFound(t);
      }
      case Kind.FUNC_PROTO:
        return this.ftype(id, null, false, false, 0, true, depth + 1);
      case Kind.TYPE_TAG: {
        const t = btf.type(id);
        if (t !== 0 && !m.exists(t)) return this.notFound(t);
        return this.tagName(t, depth + 1);
      }
      case Kind.FUNC: case Kind.VAR: case Kind.TYPEDEF:
        return name ?? '';
      case Kind.STRUCT: return `struct ${name ?? ''}`;
      case Kind.UNION: return `union ${name ?? ''}`;
      case Kind.FWD: return `${btf.kflag(id) ? 'union' : 'struct'} ${name ?? ''}`;
      case Kind.ENUM: case Kind.ENUM64: return `enum ${name ?? ''}`;
      case Kind.DATASEC: case Kind.DECL_TAG: case Kind.UNKN:
        return '';
    }
    return '';
  }

  /** tag__ptr_name with the "*" suffix. */
  private ptrName(id: number, depth: number): string {
    const m = this.m;
    const t = this.btf.type(id);
    if (t === 0) return 'void *';
    if (!m.exists(t)) return `${this.notFound(t)} *`;
    let ty = t;
    let constPtr = '';
    if (this.btf.kind(ty) === Kind.CONST) {
      const next = this.btf.type(ty);
      if (m.exists(next) && this.btf.kind(next) === Kind.PTR) {
        constPtr = 'const ';
        ty = next;
      }
    }
    return `${this.tagName(ty, depth + 1)} ${constPtr}*`;
  }

  /** ftype__fprintf: a function type, optionally a pointer, with its parameters. */
  private ftype(id: number, name: string | null, inlined: boolean, isPointer: boolean, typeSpacing: number, isPrototype: boolean, depth: number): string {
    const btf = this.btf;
    const stype = trunc(this.tagName(btf.type(id), depth + 1));
    let s = `${inlined ? 'inline ' : ''}${padRight(stype, typeSpacing)} ${isPrototype ? '(' : ''}${isPointer ? '*' : ''}${name ?? ''}${isPrototype ? ')' : ''}`;
    s += '(';
    let first = true;
    let unspec = false;
    const n = btf.vlen(id);
    for (let i = 0; i < n; i++) {
      const pt = btf.paramType(id, i);
      if (pt === 0) {
        unspec = true;
        continue;
      }
      if (!first) s += ', ';
      first = false;
      const pno = btf.paramNameOff(id, i);
      const pname = pno === 0 ? null : btf.str(pno);
      let stypeP: string;
      if (!this.m.exists(pt)) stypeP = `<ERROR: type ${pt} not found>`;
      else {
        const k = btf.kind(pt);
        if (k === Kind.PTR && btf.type(pt) !== 0) {
          const target = btf.type(pt);
          if (!this.m.exists(target)) {
            s += this.notFound(target);
            continue;
          }
          if (btf.kind(target) === Kind.FUNC_PROTO) {
            s += this.ftype(target, pname, false, true, 0, true, depth + 1);
            continue;
          }
        } else if (k === Kind.FUNC_PROTO) {
          s += this.ftype(pt, pname, true, false, 0, false, depth + 1);
          continue;
        }
        stypeP = trunc(this.tagName(pt, depth + 1));
      }
      s += `${stypeP}${pname !== null ? ' ' : ''}${pname ?? ''}`;
    }
    if (first) s += 'void)';
    else if (unspec) s += ', ...)';
    else s += ')';
    return s;
  }

  // ------------------------------------------------------------ declarations

  /** type__fprintf: "TYPE NAME" as a member or array element declaration. */
  private typeDecl(id: number, name: string | null, conf: Conf, depth = 0): string {
    const m = this.m;
    const btf = this.btf;
    const tconf: Conf = { ...conf };
    const notFound = (nm: string | null): string => `${padRight('<ERROR', tconf.typeSpacing)}> ${nm ?? '(null)'}`;
    if (!m.exists(id) || depth > 64) return notFound(name);
    let type = id;
    let s = '';
    let viaPtr = false;
    const innerStruct = (): void => {
      tconf.prefix = null;
      tconf.suffix = name;
      tconf.emitStats = false;
      tconf.suppressOffsetComment = conf.suppressOffsetComment;
    };
    if (m.isStruct(type) || m.isUnion(type) || m.isEnum(type)) innerStruct();
    for (let guard = 0; guard < 64; guard++) {
      const k = btf.kind(type) as Kind;
      switch (k) {
        case Kind.PTR: {
          const ptid = this.skipTypeTags(btf.type(type));
          if (ptid !== 0) {
            if (!m.exists(ptid)) return s + notFound(name);
            if (btf.kind(ptid) === Kind.FUNC_PROTO) return s + this.ftype(ptid, name, false, true, tconf.typeSpacing, true, depth + 1);
            if ((m.isStruct(ptid) || m.isUnion(ptid) || m.isEnum(ptid)) && m.name(ptid) === null) {
              if (viaPtr) return s + notFound(name);
              viaPtr = true;
              name = `* ${name ?? '(null)'}`;
              tconf.relOffset = true;
              type = ptid;
              tconf.typeSpacing -= 8;
              innerStruct();
              continue;
            }
          }
          return s + `${padRight(trunc(this.tagName(type)), tconf.typeSpacing)} ${name ?? '(null)'}`;
        }
        case Kind.FUNC_PROTO:
          return s + this.ftype(type, name, false, false, tconf.typeSpacing, true, depth + 1);
        case Kind.CONST: {
          s += 'const ';
          tconf.typeSpacing -= 6;
          const t = btf.type(type);
          if (m.exists(t)) {
            type = t;
            continue;
          }
          return s + `${padRight(trunc(this.tagName(type)), tconf.typeSpacing)} ${name ?? '(null)'}`;
        }
        case Kind.ARRAY:
          return s + this.arrayDecl(type, name, tconf, depth + 1);
        case Kind.STRUCT:
          if (m.name(type) !== null) return s + `struct ${padRight(m.name(type)!, tconf.typeSpacing - 7)} ${name ?? ''}`;
          tconf.typeSpacing -= 8;
          return s + this.cls(type, tconf);
        case Kind.FWD:
          if (btf.kflag(type)) return s + this.unionDecl(type, name, tconf);
          return s + `struct ${padRight(m.name(type) ?? '', tconf.typeSpacing - 7)} ${name ?? ''}`;
        case Kind.UNION:
          return s + this.unionDecl(type, name, tconf);
        case Kind.ENUM: case Kind.ENUM64:
          if (m.name(type) !== null) return s + `enum ${padRight(m.name(type)!, tconf.typeSpacing - 5)} ${name ?? ''}`;
          return s + this.enumeration(type, tconf);
        case Kind.TYPE_TAG: {
          const t = btf.type(type);
          if (!m.exists(t)) return s + notFound(name);
          type = t;
          continue;
        }
        case Kind.INT: case Kind.FLOAT: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.RESTRICT:
        case Kind.FUNC: case Kind.VAR: case Kind.DATASEC: case Kind.DECL_TAG: case Kind.UNKN:
          return s + `${padRight(trunc(this.tagName(type)), tconf.typeSpacing)} ${name ?? '(null)'}`;
      }
    }
    return s + notFound(name);
  }

  private skipTypeTags(id: number): number {
    for (let i = 0; i < 64 && id !== 0; i++) {
      if (!this.m.exists(id) || this.btf.kind(id) !== Kind.TYPE_TAG || this.btf.type(id) === id) break;
      id = this.btf.type(id);
    }
    return id;
  }

  /** array_type__fprintf. */
  private arrayDecl(id: number, name: string | null, conf: Conf, depth: number): string {
    const btf = this.btf;
    let type = btf.arrayElemType(id);
    if (!this.m.exists(type)) return this.notFound(type);
    const n = btf.arrayNelems(id);
    if (n === 0 && btf.kind(type) === Kind.CONST) type = btf.type(type);
    let s = this.typeDecl(type, name, conf, depth);
    const single = conf.lastMember && conf.firstMember;
    s += n !== 0 || !conf.lastMember || single || conf.unionMember ? `[${n}]` : '[]';
    return s;
  }

  /** union_decl__fprintf. */
  private unionDecl(id: number, name: string | null, conf: Conf): string {
    const nm = this.m.name(id);
    if (nm !== null) return `union ${padRight(nm, conf.typeSpacing - 6)} ${name ?? ''}`;
    return this.union(id, { ...conf, typeSpacing: conf.typeSpacing - 8, suffix: name });
  }

  /** typedef__fprintf. */
  private typedef(id: number, conf: Conf): string {
    const m = this.m;
    const btf = this.btf;
    const name = m.name(id) ?? '(null)';
    const t = btf.type(id);
    let s = 'typedef ';
    if (t === 0) return s + `void ${name}`;
    if (!m.exists(t)) return s + `${this.notFound(t)} ${name}`;
    switch (btf.kind(t) as Kind) {
      case Kind.ARRAY:
        return s + this.arrayDecl(t, name, conf, 1);
      case Kind.PTR: {
        const pt = btf.type(t);
        if (pt !== 0) {
          if (!m.exists(pt)) return s + `${this.notFound(pt)} *${name}`;
          if (btf.kind(pt) === Kind.FUNC_PROTO) return s + this.ftype(pt, name, false, true, 0, true, 1);
        }
        break;
      }
      case Kind.FUNC_PROTO:
        return s + this.ftype(t, name, false, false, 0, true, 1);
      case Kind.STRUCT: {
        const cn = m.name(t);
        if (cn !== null) return s + `struct ${cn} ${name}`;
        return s + this.cls(t, { ...conf, typeSpacing: conf.typeSpacing - 8, suffix: name });
      }
      case Kind.UNION:
        return s + this.unionDecl(t, name, conf);
      case Kind.ENUM: case Kind.ENUM64: {
        const en = m.name(t);
        if (en !== null) return s + `enum ${en} ${name}`;
        return s + this.enumeration(t, { ...conf, suffix: name });
      }
      case Kind.FWD:
        if (btf.kflag(t)) return s + this.unionDecl(t, name, conf);
        return s + `struct ${m.name(t) ?? ''} ${name}`;
      case Kind.INT: case Kind.FLOAT: case Kind.TYPEDEF: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT:
      case Kind.TYPE_TAG: case Kind.FUNC: case Kind.VAR: case Kind.DATASEC: case Kind.DECL_TAG: case Kind.UNKN:
        break;
    }
    s += `${this.tagName(t)} ${name}`;
    return s;
  }

  /** enumeration__fprintf. */
  private enumeration(id: number, conf: Conf): string {
    const btf = this.btf;
    const name = this.m.name(id);
    let s = `enum${name !== null ? ' ' : ''}${name ?? ''}`;
    const n = btf.vlen(id);
    if (n === 0) return s;
    s += ' {\n';
    const is64 = btf.kind(id) === Kind.ENUM64;
    const signed = btf.kflag(id);
    const names: string[] = [];
    let maxLen = 0;
    for (let i = 0; i < n; i++) {
      const en = btf.str(is64 ? btf.enum64NameOff(id, i) : btf.enumNameOff(id, i));
      names.push(en);
      if (en.length > maxLen) maxLen = en.length;
    }
    const ind = tabs(Math.min(conf.indent, 16));
    for (let i = 0; i < n; i++) {
      let v: string;
      if (is64) {
        const raw = btf.enum64Value(id, i);
        v = signed ? BigInt.asIntN(64, raw).toString() : BigInt.asUintN(64, raw).toString();
      } else {
        const raw = btf.enumValue(id, i);
        v = signed ? String(raw | 0) : String(raw >>> 0);
      }
      s += `${ind}\t${padRight(names[i]!, maxLen)} = ${v},\n`;
    }
    s += `${ind}}`;
    if ((btf.size(id) || 4) !== 4) s += ' __attribute__((__packed__))';
    if (conf.suffix !== null) s += ` ${conf.suffix}`;
    return s;
  }

  // ----------------------------------------------------------- struct/union

  private cachelineBoundary(conf: Conf, offset: number): string {
    const line = Math.floor(offset / CACHELINE_SIZE);
    const ref = conf.cacheline!;
    if (line <= ref.v) return '';
    const pos = offset % CACHELINE_SIZE;
    const at = offset - pos;
    ref.v = line;
    const head = pos === 0
      ? `/* --- cacheline ${line} boundary (${at} bytes) --- */\n`
      : `/* --- cacheline ${line} boundary (${at} bytes) was ${pos} byte${pos > 1 ? 's' : ''} ago --- */\n`;
    return head + tabs(conf.indent);
  }

  /** class_member__fprintf: one member line, without the leading tabs and newline. */
  private member(mem: LayoutMember, unionMember: boolean, type: number, conf: Conf): string {
    const m = this.m;
    const size = mem.byteSize;
    const sconf: Conf = { ...conf };
    let offset = mem.byteOffset;
    if (!sconf.relOffset) {
      offset += sconf.baseOffset;
      if (!unionMember) sconf.baseOffset = offset;
    }
    if (mem.bitfieldOffset < 0) offset += size;
    const cl = this.cachelineBoundary(conf, offset);
    const name = mem.name;
    const composite = m.isStruct(type) || m.isUnion(type) || m.isEnum(type);
    let s: string;
    if (composite) {
      s = this.typeDecl(type, null, sconf);
      if (name !== null) {
        if (m.name(type) === null) s += ' ';
        s += name;
      }
    } else {
      s = this.typeDecl(type, name, sconf);
    }
    if (mem.bitfieldSize !== 0) s += `:${mem.bitfieldSize}`;
    let alignedLen = 0;
    if (mem.alignment !== 0) {
      const a = ` __attribute__((__aligned__(${mem.alignment})))`;
      s += a;
      alignedLen = a.length;
    }
    s += ';';
    if (sconf.suppressOffsetComment) return cl + s;
    let spacing: number;
    if (composite && m.name(type) === null) {
      let slen = alignedLen + (name !== null ? name.length : -1);
      if (m.isStruct(type) && m.isPacked(type)) slen += 28;
      spacing = sconf.typeSpacing + sconf.nameSpacing - slen - 3;
    } else {
      spacing = sconf.typeSpacing + sconf.nameSpacing - s.length;
      if (spacing < 0) spacing = 0;
    }
    s += `${gap(spacing)}/* ${num(offset >>> 0, 5)}`;
    let sizeSpacing = 5;
    if (mem.bitfieldSize !== 0) {
      const bfo = mem.bitfieldOffset < 0 ? mem.byteSize * 8 + mem.bitfieldOffset : mem.bitfieldOffset;
      s += `:${num(bfo, 2)}`;
      sizeSpacing -= 3;
    }
    s += ` ${num(size, sizeSpacing)} */`;
    return cl + s;
  }

  /** union__fprintf. */
  private union(id: number, conf: Conf): string {
    const m = this.m;
    const indent = Math.min(conf.indent, 16);
    let s = conf.prefix !== null ? `${conf.prefix} ` : '';
    const name = m.name(id);
    s += `union${name !== null ? ' ' : ''}${name ?? ''} {\n`;
    const uconf: Conf = { ...conf, indent: indent + 1 };
    const isFwd = this.btf.kind(id) === Kind.FWD;
    if (!isFwd) m.inferUnionPacked(id);
    if (uconf.cacheline === null) uconf.cacheline = { v: 0 };
    const initial = uconf.cacheline.v;
    const members = isFwd ? [] : m.cls(id).members;
    for (const pos of members) {
      if (!m.exists(pos.type)) {
        s += tabs(uconf.indent) + this.notFound(pos.type) + '\n';
        continue;
      }
      uconf.unionMember = true;
      s += tabs(uconf.indent) + this.member(pos, true, pos.type, uconf) + '\n';
      uconf.cacheline.v = initial;
    }
    return s + `${tabs(indent)}}${conf.suffix !== null ? ' ' : ''}${conf.suffix ?? ''}`;
  }

  /** __class__fprintf: a struct with its comments and statistics. */
  private cls(id: number, conf: Conf): string {
    return new StructWriter(this, this.m, id, conf).write();
  }

  /** Hooks for StructWriter. */
  memberLine(mem: LayoutMember, type: number, conf: Conf): string {
    return this.member(mem, false, type, conf);
  }
  declFor(type: number, name: string, conf: Conf): string {
    return this.typeDecl(type, name, conf);
  }
}

/** Result of printing TYPE names: the text pahole prints, and the first name not found. */
export interface LayoutResult {
  text: string;
  missing: string | null;
}

/**
 * pahole -C NAME1,NAME2,... : each type in order; like pahole, printing stops at the first
 * name that is not found (pahole reports only that one).
 */
export function layoutTypes(btf: Btf, names: readonly string[]): LayoutResult {
  const p = new LayoutPrinter(btf);
  const ids = p.findAll(names);
  let text = '';
  for (const name of names) {
    const id = ids.get(name)!;
    if (id < 0) return { text, missing: name };
    text += p.print(id);
  }
  return { text, missing: null };
}
