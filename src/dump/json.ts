/**
 * JSON dump, equal to `bpftool -j btf dump file FILE [-B BASE]` (bpftool v7.7.0,
 * `dump_btf_type` in JSON mode and `json_writer.c`), byte for byte as far as checked.
 *
 * Reference behaviour matched: `{"types":[{"id":..,"kind":..,"name":..,...},...]}` followed
 * by the newline that jsonw_destroy writes; fields and their order per kind as bpftool emits
 * them (members/values/params/vars arrays, "bitfield_size" only when non-zero, DATASEC vars
 * without the var's name); numbers as jsonw_uint_field/jsonw_int_field print them, including
 * bpftool's quirk that an unsigned ENUM value is the __s32 `val` widened to u64 (so 2^31
 * prints as 18446744071562067968); strings escaped like jsonw_puts: \t \n \r \f \b \\ \" and
 * \' (not valid JSON, but what bpftool writes), every other byte copied as is (no \u escapes,
 * no UTF-8 validation). `pretty` reproduces `-p` (jsonw_pretty: 4-space indent, newline
 * before each property name and before a closing bracket of a non-empty collection).
 *
 * Approach: a tiny state machine equal to json_writer's (separator + depth) over ByteWriter,
 * reading the typed arrays directly as the raw dumper does.
 */

import { KindId as Kind } from '../format/kinds.js';
import { missedKind } from './missed-kind.js';
import type { Btf } from '../model/btf.js';
import { ByteWriter, type ByteSink } from './text.js';
import {
  BPFTOOL_KIND_STR, funcLinkageStr, intEncStr, locateType, newRecLoc, strTableOf, varLinkageStr,
} from './raw.js';
import { keyBytes } from '../model/strings.js';

export interface JsonDumpOptions {
  /** Dump only these ids, in this order (bpftool `root_id`). Default: the object's own types. */
  rootIds?: readonly number[];
  /** bpftool `-p` (pretty) layout instead of compact. */
  pretty?: boolean;
}

/** Property names pre-encoded as `"name":`. */
function key(n: string): Uint8Array {
  return keyBytes(`"${n}":`);
}
const K_BITFIELD_SIZE = key('bitfield_size');
const K_BITS_OFFSET = key('bits_offset');
const K_COMPONENT_IDX = key('component_idx');
const K_ENCODING = key('encoding');
const K_FWD_KIND = key('fwd_kind');
const K_ID = key('id');
const K_INDEX_TYPE_ID = key('index_type_id');
const K_KIND = key('kind');
const K_LINKAGE = key('linkage');
const K_MEMBERS = key('members');
const K_NAME = key('name');
const K_NR_BITS = key('nr_bits');
const K_NR_ELEMS = key('nr_elems');
const K_OFFSET = key('offset');
const K_PARAMS = key('params');
const K_RET_TYPE_ID = key('ret_type_id');
const K_SIZE = key('size');
const K_TYPE_ID = key('type_id');
const K_TYPES = key('types');
const K_VAL = key('val');
const K_VALUES = key('values');
const K_VARS = key('vars');
const K_VLEN = key('vlen');

/** json_writer.c's writer state on top of a ByteWriter. */
class JsonW {
  private sep = false;
  private depth = 0;
  constructor(readonly w: ByteWriter, readonly pretty: boolean) {}

  private eor(): void {
    if (this.sep) this.w.byte(44);
    this.sep = true;
  }
  private eol(): void {
    if (!this.pretty) return;
    const w = this.w;
    w.byte(10);
    for (let i = 0; i < this.depth; i++) w.ascii('    ');
  }
  begin(c: number): void {
    this.eor();
    this.w.byte(c);
    this.depth++;
    this.sep = false;
  }
  end(c: number): void {
    this.depth--;
    if (this.sep) this.eol();
    this.w.byte(c);
    this.sep = true;
  }
  /** A property name, pre-encoded with its quotes and colon (see key()). */
  name(k: Uint8Array): void {
    this.eor();
    this.eol();
    this.sep = false;
    this.w.lit(k);
    if (this.pretty) this.w.byte(32);
  }
  u32(n: Uint8Array, v: number): void {
    this.name(n);
    this.eor();
    this.w.u32(v);
  }
  i32(n: Uint8Array, v: number): void {
    this.name(n);
    this.eor();
    this.w.i32(v);
  }
  u64(n: Uint8Array, v: bigint): void {
    this.name(n);
    this.eor();
    this.w.u64(v);
  }
  i64(n: Uint8Array, v: bigint): void {
    this.name(n);
    this.eor();
    this.w.i64(v);
  }
  /** A string field with an ASCII value that needs no escaping. */
  asciiStr(n: Uint8Array, v: string): void {
    this.name(n);
    this.eor();
    const w = this.w;
    w.byte(34);
    w.ascii(v);
    w.byte(34);
  }
  /** A string field holding bpftool's btf_str(off), escaped like jsonw_puts. */
  btfStr(n: Uint8Array, btf: Btf, off: number): void {
    this.name(n);
    this.eor();
    const w = this.w;
    w.byte(34);
    if (off === 0) w.ascii('(anon)');
    else {
      const b = strTableOf(btf, off);
      if (b === null) w.ascii('(invalid)');
      else putsEscaped(w, b.raw().strs, off - b.startStrOff, b.strLen);
    }
    w.byte(34);
  }
  /** jsonw_destroy's final newline. */
  close(): void {
    this.w.byte(10);
  }
}

/** jsonw_puts body: the NUL-terminated bytes at s[start], with json_writer's escapes. */
function putsEscaped(w: ByteWriter, s: Uint8Array, start: number, limit: number): void {
  let run = start;
  let i = start;
  for (; i < limit; i++) {
    const c = s[i]!;
    if (c === 0) break;
    let esc = 0;
    switch (c) {
      case 9: esc = 116; break; // \t
      case 10: esc = 110; break; // \n
      case 13: esc = 114; break; // \r
      case 12: esc = 102; break; // \f
      case 8: esc = 98; break; // \b
      case 92: esc = 92; break; // \\
      case 34: esc = 34; break; // \"
      case 39: esc = 39; break; // \'
      default: continue;
    }
    w.bytes(s, run, i);
    w.byte(92);
    w.byte(esc);
    run = i + 1;
  }
  w.bytes(s, run, i);
}

/** 2^64 - 2^32: added to an int32's u32 bits >= 2^31 gives the u64 of its sign extension. */
const SEXT_HI = 0xffffffff00000000n;

function writeTypeJson(j: JsonW, btf: Btf, id: number, W: Uint32Array, o: number, kindMask: number, vlenMask: number): void {
  const info = W[o + 1]!;
  const kind = (info >>> 24) & kindMask;
  const vlen = info & vlenMask;
  const kflag = info >>> 31;
  j.begin(123);
  j.u32(K_ID, id);
  j.asciiStr(K_KIND, kind < BPFTOOL_KIND_STR.length ? BPFTOOL_KIND_STR[kind]! : 'UNKNOWN');
  j.btfStr(K_NAME, btf, W[o]!);
  const k = kind as Kind;
  switch (k) {
    case Kind.INT: {
      const v = W[o + 3]!;
      j.u32(K_SIZE, W[o + 2]!);
      j.u32(K_BITS_OFFSET, (v >>> 16) & 0xff);
      j.u32(K_NR_BITS, v & 0xff);
      j.asciiStr(K_ENCODING, intEncStr((v >>> 24) & 0x0f));
      break;
    }
    case Kind.PTR: case Kind.CONST: case Kind.VOLATILE: case Kind.RESTRICT: case Kind.TYPEDEF:
    case Kind.TYPE_TAG:
      j.u32(K_TYPE_ID, W[o + 2]!);
      break;
    case Kind.ARRAY:
      j.u32(K_TYPE_ID, W[o + 3]!);
      j.u32(K_INDEX_TYPE_ID, W[o + 4]!);
      j.u32(K_NR_ELEMS, W[o + 5]!);
      break;
    case Kind.STRUCT: case Kind.UNION: {
      j.u32(K_SIZE, W[o + 2]!);
      j.u32(K_VLEN, vlen);
      j.name(K_MEMBERS);
      j.begin(91);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
        const off = W[p + 2]!;
        j.begin(123);
        j.btfStr(K_NAME, btf, W[p]!);
        j.u32(K_TYPE_ID, W[p + 1]!);
        if (kflag) {
          j.u32(K_BITS_OFFSET, off & 0xffffff);
          if (off >>> 24) j.u32(K_BITFIELD_SIZE, off >>> 24);
        } else j.u32(K_BITS_OFFSET, off);
        j.end(125);
      }
      j.end(93);
      break;
    }
    case Kind.ENUM: {
      j.asciiStr(K_ENCODING, kflag ? 'SIGNED' : 'UNSIGNED');
      j.u32(K_SIZE, W[o + 2]!);
      j.u32(K_VLEN, vlen);
      j.name(K_VALUES);
      j.begin(91);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 2) {
        const v = W[p + 1]!;
        j.begin(123);
        j.btfStr(K_NAME, btf, W[p]!);
        if (kflag) j.i32(K_VAL, v);
        else if (v < 0x80000000) j.u32(K_VAL, v);
        else j.u64(K_VAL, SEXT_HI | BigInt(v));
        j.end(125);
      }
      j.end(93);
      break;
    }
    case Kind.ENUM64: {
      j.asciiStr(K_ENCODING, kflag ? 'SIGNED' : 'UNSIGNED');
      j.u32(K_SIZE, W[o + 2]!);
      j.u32(K_VLEN, vlen);
      j.name(K_VALUES);
      j.begin(91);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
        const v = (BigInt(W[p + 2]!) << 32n) | BigInt(W[p + 1]!);
        j.begin(123);
        j.btfStr(K_NAME, btf, W[p]!);
        if (kflag) j.i64(K_VAL, v);
        else j.u64(K_VAL, v);
        j.end(125);
      }
      j.end(93);
      break;
    }
    case Kind.FWD:
      j.asciiStr(K_FWD_KIND, kflag ? 'union' : 'struct');
      break;
    case Kind.FUNC:
      j.u32(K_TYPE_ID, W[o + 2]!);
      j.asciiStr(K_LINKAGE, funcLinkageStr(vlen));
      break;
    case Kind.FUNC_PROTO: {
      j.u32(K_RET_TYPE_ID, W[o + 2]!);
      j.u32(K_VLEN, vlen);
      j.name(K_PARAMS);
      j.begin(91);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 2) {
        j.begin(123);
        j.btfStr(K_NAME, btf, W[p]!);
        j.u32(K_TYPE_ID, W[p + 1]!);
        j.end(125);
      }
      j.end(93);
      break;
    }
    case Kind.VAR:
      j.u32(K_TYPE_ID, W[o + 2]!);
      j.asciiStr(K_LINKAGE, varLinkageStr(W[o + 3]!));
      break;
    case Kind.DATASEC: {
      j.u32(K_SIZE, W[o + 2]!);
      j.u32(K_VLEN, vlen);
      j.name(K_VARS);
      j.begin(91);
      for (let i = 0, p = o + 3; i < vlen; i++, p += 3) {
        j.begin(123);
        j.u32(K_TYPE_ID, W[p]!);
        j.u32(K_OFFSET, W[p + 1]!);
        j.u32(K_SIZE, W[p + 2]!);
        j.end(125);
      }
      j.end(93);
      break;
    }
    case Kind.FLOAT:
      j.u32(K_SIZE, W[o + 2]!);
      break;
    case Kind.DECL_TAG:
      j.u32(K_TYPE_ID, W[o + 2]!);
      j.i32(K_COMPONENT_IDX, W[o + 3]!);
      break;
    case Kind.UNKN:
      break;
    default:
      missedKind(k);
      break;
  }
  j.end(125);
}

/** Writes the JSON dump of `btf` into `w` (see dumpJson). */
export function writeJson(w: ByteWriter, btf: Btf, opts: JsonDumpOptions = {}): void {
  const j = new JsonW(w, opts.pretty === true);
  j.begin(123);
  j.name(K_TYPES);
  j.begin(91);
  const roots = opts.rootIds;
  if (roots) {
    const loc = newRecLoc();
    for (const id of roots) {
      locateType(btf, id, loc);
      writeTypeJson(j, btf, id, loc.words, loc.o, loc.kindMask, loc.vlenMask);
      w.flushIfFull();
    }
  } else {
    const W = btf.raw().words;
    const offs = btf.raw().offs;
    const n = btf.nTypes;
    const start = btf.startId;
    const km = btf.kindMask;
    const vm = btf.vlenMask;
    for (let i = 0; i < n; i++) {
      writeTypeJson(j, btf, start + i, W, offs[i]!, km, vm);
      if ((i & 63) === 63) w.flushIfFull();
    }
  }
  j.end(93);
  j.end(125);
  j.close();
}

/**
 * `bpftool -j btf dump file FILE [-B BASE]` as bytes (UTF-8 only as far as the BTF names
 * are). For split BTF only the split's own types are dumped.
 */
export function dumpJson(btf: Btf, opts: JsonDumpOptions = {}): Uint8Array {
  const est = opts.rootIds ? 512 * opts.rootIds.length + 1024 : btf.nTypes * 80 + btf.nWords * 24 + 1024;
  const w = new ByteWriter({ capacity: opts.pretty ? est * 2 : est });
  writeJson(w, btf, opts);
  return w.finish();
}

/** Streaming variant of dumpJson. */
export function dumpJsonTo(btf: Btf, sink: ByteSink, opts: JsonDumpOptions & { chunkSize?: number } = {}): void {
  const w = new ByteWriter({ sink, chunkSize: opts.chunkSize });
  writeJson(w, btf, opts);
  w.finish();
}
