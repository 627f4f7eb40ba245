/**
 * Raw text dump, byte-identical to `bpftool btf dump file FILE [-B BASE] format raw`
 * (bpftool v7.7.0, `dump_btf_raw` / `dump_btf_type` in src/btf.c).
 *
 * Reference behaviour matched: one `[id] KIND 'name'` line per type followed by kind-specific
 * fields; member/value/param/var lines start with "\n\t"; a name offset of 0 prints `(anon)`
 * and an offset libbpf can't resolve prints `(invalid)`; INT encoding via btf_int_enc_str
 * (`(none)`, SIGNED, CHAR, BOOL, else UNKN); ENUM/ENUM64 print `encoding=SIGNED|UNSIGNED`
 * from kflag and values as %d / %u (ENUM) or %lldLL / %lluULL (ENUM64); FUNC linkage
 * static/global/extern/(unknown) from vlen; VAR prints `type_id=N, linkage=...` (with the
 * comma) and static/global/extern/(unknown); struct members print `bitfield_size=` only when
 * kflag is set and the size is non-zero; DATASEC var lines append ` (KIND 'name')` when the
 * var's id is below btf__type_cnt; FWD prints fwd_kind=union|struct from kflag; DECL_TAG
 * prints its signed component_idx; TYPE_TAG its type_id; kflag of DECL_TAG/TYPE_TAG (the
 * 2025 "attr" flag) is not printed by v7.7.0; kinds above ENUM64 print `UNKNOWN` and nothing
 * else. For split BTF only the split's own ids (start_id..) are dumped.
 *
 * Approach: walk the owner's typed arrays directly (no per-type objects) and write bytes
 * into a ByteWriter; names are copied straight from the string table bytes.
 */

import { BtfkitError } from '../errors.js';
import { KindId as Kind } from '../format/kinds.js';
import { missedKind } from './missed-kind.js';
import type { Btf } from '../model/btf.js';
import { ByteWriter, type ByteSink } from './text.js';
import { keyBytes } from '../model/strings.js';

export interface RawDumpOptions {
  /**
   * Dump only these type ids, in this order (bpftool's `root_id`, and what it does for
   * `map`/`prog` sources). Ids of the base are allowed; 0 dumps the void type. Default: every
   * type the object itself holds (for split BTF: start_id upwards).
   */
  rootIds?: readonly number[];
}

/** bpftool's btf_kind_str, indexed by kind; kinds beyond ENUM64 print as UNKNOWN. */
export const BPFTOOL_KIND_STR: readonly string[] = [
  'UNKNOWN', 'INT', 'PTR', 'ARRAY', 'STRUCT', 'UNION', 'ENUM', 'FWD', 'TYPEDEF', 'VOLATILE',
  'CONST', 'RESTRICT', 'FUNC', 'FUNC_PROTO', 'VAR', 'DATASEC', 'FLOAT', 'DECL_TAG', 'TYPE_TAG', 'ENUM64',
];

export function bpftoolKindStr(kind: number): string {
  return kind < BPFTOOL_KIND_STR.length ? BPFTOOL_KIND_STR[kind]! : 'UNKNOWN';
}

/** bpftool's btf_int_enc_str. */
export function intEncStr(enc: number): string {
  switch (enc) {
    case 0: return '(none)';
    case 1: return 'SIGNED';
    case 2: return 'CHAR';
    case 4: return 'BOOL';
    default: return 'UNKN';
  }
}

/** bpftool's btf_func_linkage_str (FUNC linkage lives in vlen). */
export function funcLinkageStr(linkage: number): string {
  switch (linkage) {
    case 0: return 'static';
    case 1: return 'global';
    case 2: return 'extern';
    default: return '(unknown)';
  }
}

/** bpftool's btf_var_linkage_str. */
export function varLinkageStr(linkage: number): string {
  switch (linkage) {
    case 0: return 'static';
    case 1: return 'global';
    case 2: return 'extern';
    default: return '(unknown)';
  }
}

/** Pre-encoded ASCII literals of the raw format. */
const lit = keyBytes;
const S_ANON = lit('(anon)');
const S_INVALID = lit('(invalid)');
const S_SP_QUOTE = lit(" '");
const S_SIZE = lit(' size=');
const S_BITS_OFFSET = lit(' bits_offset=');
const S_NR_BITS = lit(' nr_bits=');
const S_ENCODING = lit(' encoding=');
const S_TYPE_ID = lit(' type_id=');
const S_INDEX_TYPE_ID = lit(' index_type_id=');
const S_NR_ELEMS = lit(' nr_elems=');
const S_VLEN = lit(' vlen=');
const S_NL_TAB_QUOTE = lit("\n\t'");
const S_QUOTE_TYPE_ID = lit("' type_id=");
const S_BITFIELD_SIZE = lit(' bitfield_size=');
const S_QUOTE_VAL = lit("' val=");
const S_LL = lit('LL');
const S_ULL = lit('ULL');
const S_LINKAGE = lit(' linkage=');
const S_RET_TYPE_ID = lit(' ret_type_id=');
const S_COMMA_LINKAGE = lit(', linkage=');
const S_NL_TAB_TYPE_ID = lit('\n\ttype_id=');
const S_OFFSET = lit(' offset=');
const S_SP_PAREN = lit(' (');
const S_QUOTE_PAREN = lit("')");
const S_COMPONENT_IDX = lit(' component_idx=');
/** "] KIND '" for each kind bpftool names, then for the UNKNOWN fallback. */
const S_HEAD: readonly Uint8Array[] = BPFTOOL_KIND_STR.map((k) => lit(`] ${k} '`));
const S_HEAD_UNKNOWN = S_HEAD[0]!;

// ------------------------------------------------------------------ string location

/**
 * libbpf btf__str_by_offset: the BTF of the chain whose string section holds logical string
 * offset `off` (the string is at `off - startStrOff` of its `strs`, up to `strLen`), or null
 * when libbpf would return NULL.
 */
export function strTableOf(btf: Btf, off: number): Btf | null {
  const rel = off - btf.startStrOff;
  if (rel >= 0) return rel < btf.strLen ? btf : null;
  return btf.strOwner(off);
}

/** Writes bpftool's btf_str(off): `(anon)` for 0, `(invalid)` when unresolvable, else the bytes. */
export function writeBtfStr(w: ByteWriter, btf: Btf, off: number): void {
  if (off === 0) {
    w.lit(S_ANON);
    return;
  }
  const rel = off - btf.startStrOff;
  if (rel >= 0 && rel < btf.strLen) {
    w.cstr(btf.raw().strs, rel, btf.strLen);
    return;
  }
  const b = strTableOf(btf, off);
  if (b === null) {
    w.lit(S_INVALID);
    return;
  }
  w.cstr(b.raw().strs, off - b.startStrOff, b.strLen);
}

// ------------------------------------------------------------------ record location

/** Where the record of a type id is: its words array, word offset, and the masks of its BTF. */
export interface RecLoc {
  words: Uint32Array;
  o: number;
  kindMask: number;
  vlenMask: number;
}

export function newRecLoc(): RecLoc {
  return { words: VOID_REC, o: 0, kindMask: 0x1f, vlenMask: 0xffff };
}

const VOID_REC = new Uint32Array(3);

/** Fills `recLoc` with the record of `id` through the base chain (the void record for 0). */
export function locateType(btf: Btf, id: number, recLoc: RecLoc): void {
  if (id === 0) {
    recLoc.words = VOID_REC;
    recLoc.o = 0;
    recLoc.kindMask = btf.kindMask;
    recLoc.vlenMask = btf.vlenMask;
    return;
  }
  const b = btf.typeOwner(id);
  const i = id - b.startId;
  if (!(i >= 0 && i < b.nTypes) || !Number.isInteger(id))
    throw new BtfkitError('BTF_INVALID', `invalid type id ${id}`, { where: { typeId: id } });
  recLoc.words = b.raw().words;
  recLoc.o = b.raw().offs[i]!;
  recLoc.kindMask = b.kindMask;
  recLoc.vlenMask = b.vlenMask;
}

// ------------------------------------------------------------------------- dumping

/** Writes one type exactly as bpftool's dump_btf_type does in text mode (with the final newline). */
function writeType(w: ByteWriter, btf: Btf, id: number, W: Uint32Array, o: number, kindMask: number, vlenMask: number): void {
  const info = W[o + 1]!;
  const kind = (info >>> 24) & kindMask;
  const vlen = info & vlenMask;
  const kflag = info >>> 31;
  w.byte(91); // [
  w.u32(id);
  w.lit(kind < S_HEAD.length ? S_HEAD[kind]! : S_HEAD_UNKNOWN);
  writeBtfStr(w, btf, W[o]!);
  w.byte(39);

  const k = kind as Kind;
  switch (k) {
    case Kind.INT: {
      const v = W[o + 3]!;
      w.lit(S_SIZE);
      w.u32(W[o + 2]!);
      w.lit(S_BITS_OFFSET);
      w.u32((v >>> 16) & 0xff);
      w.lit(S_NR_BITS);
      w.u32(v & 0xff);
      w.lit(S_ENCODING);
      w.ascii(intEncStr((v >>> 24) & 0x0f));
      break;
    }
    case Kind.PTR: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.TYPEDEF:
    case Kind.TYPE_TAG:
      w.lit(S_TYPE_ID);
      w.u32(W[o + 2]!);
      break;
    case Kind.ARRAY:
      w.lit(S_TYPE_ID);
      w.u32(W[o + 3]!);
      w.lit(S_INDEX_TYPE_ID);
      w.u32(W[o + 4]!);
      w.lit(S_NR_ELEMS);
      w.u32(W[o + 5]!);
      break;
    case Kind.STRUCT: case Kind.UNION:
      w.lit(S_SIZE);
      w.u32(W[o + 2]!);
      w.lit(S_VLEN);
      w.u32(vlen);
      writeMembers(w, btf, W, o, vlen, kflag);
      break;
    case Kind.ENUM: {
      enumHead(w, kflag !== 0, W[o + 2]!, vlen);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 2) {
        w.lit(S_NL_TAB_QUOTE);
        writeBtfStr(w, btf, W[p]!);
        w.lit(S_QUOTE_VAL);
        if (kflag) w.i32(W[p + 1]!);
        else w.u32(W[p + 1]!);
      }
      break;
    }
    case Kind.ENUM64:
      enumHead(w, kflag !== 0, W[o + 2]!, vlen);
      writeEnum64Values(w, btf, W, o, vlen, kflag);
      break;
    case Kind.FWD:
      w.ascii(kflag ? ' fwd_kind=union' : ' fwd_kind=struct');
      break;
    case Kind.FUNC:
      w.lit(S_TYPE_ID);
      w.u32(W[o + 2]!);
      w.lit(S_LINKAGE);
      w.ascii(funcLinkageStr(vlen));
      break;
    case Kind.FUNC_PROTO: {
      w.lit(S_RET_TYPE_ID);
      w.u32(W[o + 2]!);
      w.lit(S_VLEN);
      w.u32(vlen);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 2) {
        w.lit(S_NL_TAB_QUOTE);
        writeBtfStr(w, btf, W[p]!);
        w.lit(S_QUOTE_TYPE_ID);
        w.u32(W[p + 1]!);
      }
      break;
    }
    case Kind.VAR:
      w.lit(S_TYPE_ID);
      w.u32(W[o + 2]!);
      w.lit(S_COMMA_LINKAGE);
      w.ascii(varLinkageStr(W[o + 3]!));
      break;
    case Kind.DATASEC:
      w.lit(S_SIZE);
      w.u32(W[o + 2]!);
      w.lit(S_VLEN);
      w.u32(vlen);
      writeDatasecVars(w, btf, W, o, vlen);
      break;
    case Kind.FLOAT:
      w.lit(S_SIZE);
      w.u32(W[o + 2]!);
      break;
    case Kind.DECL_TAG:
      w.lit(S_TYPE_ID);
      w.u32(W[o + 2]!);
      w.lit(S_COMPONENT_IDX);
      w.i32(W[o + 3]!);
      break;
    case Kind.UNKN:
      break;
    default:
      missedKind(k);
      break;
  }
  w.byte(10);
}

/** Members of a STRUCT/UNION: `\n\t'NAME' type_id=N bits_offset=N[ bitfield_size=N]`. */
function writeMembers(w: ByteWriter, btf: Btf, W: Uint32Array, o: number, vlen: number, kflag: number): void {
  for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
    const off = W[p + 2]!;
    w.lit(S_NL_TAB_QUOTE);
    writeBtfStr(w, btf, W[p]!);
    w.lit(S_QUOTE_TYPE_ID);
    w.u32(W[p + 1]!);
    w.lit(S_BITS_OFFSET);
    if (kflag) {
      w.u32(off & 0xffffff);
      const sz = off >>> 24;
      if (sz) {
        w.lit(S_BITFIELD_SIZE);
        w.u32(sz);
      }
    } else w.u32(off);
  }
}

/** Values of an ENUM64: `\n\t'NAME' val=N` with an LL (signed) or ULL suffix. */
function writeEnum64Values(w: ByteWriter, btf: Btf, W: Uint32Array, o: number, vlen: number, kflag: number): void {
  for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
    w.lit(S_NL_TAB_QUOTE);
    writeBtfStr(w, btf, W[p]!);
    w.lit(S_QUOTE_VAL);
    const lo = W[p + 1]!;
    const hi = W[p + 2]!;
    if (kflag) {
      if (hi === 0 && lo <= 0x7fffffff) w.u32(lo);
      else if (hi === 0xffffffff && lo >= 0x80000000) w.i32(lo);
      else w.i64((BigInt(hi) << 32n) | BigInt(lo));
      w.lit(S_LL);
    } else {
      if (hi === 0) w.u32(lo);
      else w.u64((BigInt(hi) << 32n) | BigInt(lo));
      w.lit(S_ULL);
    }
  }
}

/** Variables of a DATASEC: `\n\ttype_id=N offset=N size=N (KIND 'NAME')`. */
function writeDatasecVars(w: ByteWriter, btf: Btf, W: Uint32Array, o: number, vlen: number): void {
  const cnt = btf.typeCount();
  const loc = newRecLoc();
  for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
    const t = W[p]!;
    w.lit(S_NL_TAB_TYPE_ID);
    w.u32(t);
    w.lit(S_OFFSET);
    w.u32(W[p + 1]!);
    w.lit(S_SIZE);
    w.u32(W[p + 2]!);
    if (t < cnt) {
      locateType(btf, t, loc);
      const VW = loc.words;
      const vo = loc.o;
      const vk = (VW[vo + 1]! >>> 24) & loc.kindMask;
      w.lit(S_SP_PAREN);
      w.ascii(bpftoolKindStr(vk));
      w.lit(S_SP_QUOTE);
      writeBtfStr(w, btf, VW[vo]!);
      w.lit(S_QUOTE_PAREN);
    }
  }
}

/** The head of an ENUM / ENUM64 line: ` encoding=SIGNED|UNSIGNED size=N vlen=N`. */
function enumHead(w: ByteWriter, signed: boolean, size: number, vlen: number): void {
  w.ascii(signed ? ' encoding=SIGNED size=' : ' encoding=UNSIGNED size=');
  w.u32(size);
  w.lit(S_VLEN);
  w.u32(vlen);
}

/** Writes the raw dump of `btf` into `w` (see dumpRaw). */
export function writeRaw(w: ByteWriter, btf: Btf, opts: RawDumpOptions = {}): void {
  const roots = opts.rootIds;
  if (roots) {
    const loc = newRecLoc();
    for (const id of roots) {
      locateType(btf, id, loc);
      writeType(w, btf, id, loc.words, loc.o, loc.kindMask, loc.vlenMask);
      w.flushIfFull();
    }
    return;
  }
  const W = btf.raw().words;
  const offs = btf.raw().offs;
  const n = btf.nTypes;
  const start = btf.startId;
  const km = btf.kindMask;
  const vm = btf.vlenMask;
  for (let i = 0; i < n; i++) {
    writeType(w, btf, start + i, W, offs[i]!, km, vm);
    if ((i & 63) === 63) w.flushIfFull();
  }
}

/** Rough output size, to size the buffer once. */
function estimate(btf: Btf, opts: RawDumpOptions): number {
  if (opts.rootIds) return 256 * opts.rootIds.length + 1024;
  return btf.nTypes * 48 + btf.nWords * 12 + 1024;
}

/**
 * `bpftool btf dump file FILE [-B BASE] format raw` as bytes. For split BTF (parsed with
 * a base) only the split's own types are dumped, with ids from start_id.
 */
export function dumpRaw(btf: Btf, opts: RawDumpOptions = {}): Uint8Array {
  const w = new ByteWriter({ capacity: estimate(btf, opts) });
  writeRaw(w, btf, opts);
  return w.finish();
}

/** Streaming variant of dumpRaw: hands the output to `sink` in chunks of about `chunkSize` bytes. */
export function dumpRawTo(btf: Btf, sink: ByteSink, opts: RawDumpOptions & { chunkSize?: number } = {}): void {
  const w = new ByteWriter({ sink, chunkSize: opts.chunkSize });
  writeRaw(w, btf, opts);
  w.finish();
}
