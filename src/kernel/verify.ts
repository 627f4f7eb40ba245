/**
 * The kernel's BTF checks at load time, offline: what Linux 6.11+ (kernel/bpf/btf.c) runs on
 * vmlinux BTF (btf_parse_vmlinux), on a module's `.BTF.base` (btf_parse_base) and on a
 * module's split `.BTF` (btf_parse_module), spec §1.7 (end) and §4.5.
 *
 * Approach: the same stages in the same order as the kernel — btf_parse_hdr (with
 * btf_check_sec_info), btf_parse_str_sec, btf_check_all_metas (each kind's check_meta), then
 * btf_check_type_tags — stopping at the first failure with the kernel's errno (positive) and
 * its verifier log. The log is kept both as logical lines and as the `BPF: ...` lines the
 * kernel prints to dmesg (every bpf_verifier_log() call is one printk there). The type section
 * is copied once into an aligned Uint32Array in kernel byte order and walked once; nothing is
 * allocated per type, and identifier checks are cached per string offset. On success the words
 * and offsets of that walk become the returned Btf model (no second parse).
 * Like the kernel, the resolve pass (btf_check_all_types: size resolution, loops, member
 * bitfield checks, FUNC→FUNC_PROTO) is NOT run: the kernel skips it for vmlinux and module
 * BTF, so e.g. a PTR to a missing type id passes here, while libbpf rejects it.
 */

import { Errno, errnoName } from '../errors.js';
import { Btf, HOST_ENDIAN, type BtfHeader, type Endian } from '../model/btf.js';
import { BTF_MAGIC, swapWords } from '../format/parse.js';
import { KindId as Kind, KIND_NAMES } from '../format/kinds.js';
import { decodeStr, strEnd } from '../model/strings.js';
import { growU32 } from '../model/grow.js';

/** The errno values the kernel returns from these checks (from the one table in errors.ts). */
export const KernelErrno = {
  E2BIG: Errno.E2BIG,
  EINVAL: Errno.EINVAL,
  ELOOP: Errno.ELOOP,
  ENOTSUPP: Errno.ENOTSUPP,
} as const;

/** Which kernel entry point is emulated. */
export type KernelBtfWhat = 'vmlinux' | 'base' | 'module';

/** The kernel stage that failed. */
export type KernelVerifyStage = 'setup' | 'header' | 'strings' | 'types' | 'type_tags';

export interface KernelVerifyOptions {
  /**
   * 'vmlinux': btf_parse_vmlinux; 'base': btf_parse_base of a module's `.BTF.base`
   * (same checks as vmlinux); 'module': btf_parse_module of the split `.BTF`.
   */
  what: KernelBtfWhat;
  /** For 'module': the base it is split on (vmlinux BTF, or the already verified `.BTF.base`). Ignored otherwise. */
  base?: Btf | null;
  /** Byte order of the kernel (default 'little': x86-64, arm64). Data is read in this order, as the kernel reads it natively. */
  endian?: Endian;
  /**
   * Newer kernels (2025, "bpf: Allow kind_flag for BTF type and decl tags") accept kind_flag on
   * TYPE_TAG and DECL_TAG. Default false: the 6.11 rule (kind_flag rejected).
   */
  tagAttributes?: boolean;
}

export interface KernelVerifyOk {
  ok: true;
  /** The verified object (split on `opts.base` for 'module'), built from the verification walk. */
  btf: Btf;
}

export interface KernelVerifyError {
  ok: false;
  /** The kernel's errno, positive (22 = EINVAL, 7 = E2BIG, 40 = ELOOP, 524 = ENOTSUPP). */
  errno: number;
  errnoName: string;
  stage: KernelVerifyStage;
  /** The verifier log as logical lines, e.g. `[5] TYPEDEF (anon) type_id=1 Invalid name`. */
  log: string[];
  /** The same log as the kernel prints it to dmesg: one `BPF: ` line per log call. */
  dmesg: string[];
  /** One line for humans (also for the failures the kernel does not log). */
  message: string;
  /** Type id of the offending record (kernel numbering: split ids continue the base's). */
  typeId?: number;
  /** Byte offset in the input of the offending header field, section, record or member. */
  offset?: number;
}

export type KernelVerifyResult = KernelVerifyOk | KernelVerifyError;

// ------------------------------------------------------------------------ constants

const BTF_VERSION = 1;
/** sizeof(struct btf_header) in 6.11. */
const KERNEL_HDR_LEN = 24;
const BTF_MAX_TYPE = 0xfffff;
const BTF_MAX_NAME_OFFSET = 0xffffff;
/** Bits of btf_type.info that must be zero (~BTF_INFO_MASK, BTF_INFO_MASK = 0x9f00ffff). */
const INFO_RESERVED = 0x60ff0000;
/** Bits of the INT data word that must be zero (~BTF_INT_MASK). */
const INT_RESERVED = 0xf0000000;
const BTF_KIND_MAX = Kind.ENUM64;
const KSYM_NAME_LEN = 512;
const MAX_CHAIN = 32;
const BITS_PER_U128 = 128;

// The kernel's ctype table (lib/ctype.c, Latin-1 aware): bit 1 alpha, 2 digit, 4 printable.
const C_ALPHA = 1;
const C_DIGIT = 2;
const C_PRINT = 4;
const CTYPE = (() => {
  const t = new Uint8Array(256);
  for (let c = 32; c <= 126; c++) t[c] = C_PRINT;
  for (let c = 0x30; c <= 0x39; c++) t[c] |= C_DIGIT;
  for (let c = 0x41; c <= 0x5a; c++) t[c] |= C_ALPHA;
  for (let c = 0x61; c <= 0x7a; c++) t[c] |= C_ALPHA;
  for (let c = 160; c <= 255; c++) t[c] = C_PRINT; // 160 is a space, 161-191 punctuation
  for (let c = 192; c <= 255; c++) if (c !== 215 && c !== 247) t[c] |= C_ALPHA;
  return t;
})();
const UNDERSCORE = 0x5f;
const DOT = 0x2e;

/** btf_name_valid_identifier on bytes[i..]: [A-Za-z_.] then [A-Za-z0-9_.], at most 512 bytes (kernel ctype, Latin-1 letters count). */
function identAt(s: Uint8Array, i: number): boolean {
  let c = s[i]!;
  if (!(CTYPE[c]! & C_ALPHA) && c !== UNDERSCORE && c !== DOT) return false;
  for (let j = 1; j < KSYM_NAME_LEN; j++) {
    c = s[i + j]!;
    if (c === 0) return true;
    if (!(CTYPE[c]! & (C_ALPHA | C_DIGIT)) && c !== UNDERSCORE && c !== DOT) return false;
  }
  return s[i + KSYM_NAME_LEN] === 0;
}

/** btf_name_valid_section on bytes[i..]: non-empty, printable (kernel isprint), at most 512 bytes. */
function sectionAt(s: Uint8Array, i: number): boolean {
  if (s[i] === 0) return false;
  for (let j = 0; j < KSYM_NAME_LEN; j++) {
    const c = s[i + j]!;
    if (c === 0) return true;
    if (!(CTYPE[c]! & C_PRINT)) return false;
  }
  return s[i + KSYM_NAME_LEN] === 0;
}

/**
 * Would the kernel accept `name` as a type/member name ('identifier', e.g. STRUCT, TYPEDEF,
 * FUNC, VAR) or as a DATASEC name ('section')? The name is taken as its UTF-8 bytes.
 */
export function kernelNameValid(name: string, rule: 'identifier' | 'section'): boolean {
  const b = new TextEncoder().encode(name);
  const s = new Uint8Array(b.length + 1);
  s.set(b);
  if (b.indexOf(0) >= 0) return false;
  return rule === 'identifier' ? identAt(s, 0) : sectionAt(s, 0);
}

// -------------------------------------------------------------------------- log

/** The verifier log: one fragment per bpf_verifier_log() call, as the kernel emits them. */
class KernelLog {
  readonly frags: string[] = [];
  add(s: string): void {
    this.frags.push(s);
  }
  /** Logical lines: fragments joined up to each one ending in '\n'. */
  lines(): string[] {
    const out: string[] = [];
    let cur = '';
    for (const f of this.frags) {
      if (f.endsWith('\n')) {
        out.push(cur + f.slice(0, -1));
        cur = '';
      } else cur += f;
    }
    if (cur !== '') out.push(cur);
    return out;
  }
  /** dmesg: pr_err("BPF: %s%s", buf, newline ? "" : "\n") per fragment. */
  dmesg(): string[] {
    return this.frags.map((f) => 'BPF: ' + (f.endsWith('\n') ? f.slice(0, -1) : f));
  }
}

class Reject {
  constructor(
    readonly errno: number,
    readonly stage: KernelVerifyStage,
    readonly message: string,
    readonly typeId?: number,
    readonly offset?: number,
  ) {}
}

function hex(v: number): string {
  return (v >>> 0).toString(16);
}

function roundupBytes(bits: number): number {
  return (bits >>> 3) + ((bits & 7) !== 0 ? 1 : 0);
}

function isModifier(kind: number): boolean {
  return kind === Kind.TYPEDEF || kind === Kind.VOLATILE || kind === Kind.CONST || kind === Kind.RESTRICT || kind === Kind.TYPE_TAG;
}

function fail(log: KernelLog, r: Reject): KernelVerifyError {
  const e: KernelVerifyError = {
    ok: false,
    errno: r.errno,
    errnoName: errnoName(r.errno),
    stage: r.stage,
    log: log.lines(),
    dmesg: log.dmesg(),
    message: r.message,
  };
  if (r.typeId !== undefined) e.typeId = r.typeId;
  if (r.offset !== undefined) e.offset = r.offset;
  return e;
}

// ----------------------------------------------------------------------- verify

/**
 * Runs the kernel's checks on raw BTF bytes as the kernel would when loading vmlinux BTF
 * ('vmlinux'), a module's `.BTF.base` ('base') or a module's split `.BTF` ('module', on
 * `opts.base`). Never throws on bad input.
 */
export function verifyKernelBtf(bytes: Uint8Array, opts: KernelVerifyOptions): KernelVerifyResult {
  const log = new KernelLog();
  const isModule = opts.what === 'module';
  const base = isModule ? (opts.base ?? null) : null;
  if (isModule && !base)
    return fail(log, new Reject(KernelErrno.EINVAL, 'setup', 'module BTF needs a base BTF (vmlinux or the module\'s .BTF.base)'));
  try {
    return { ok: true, btf: run(bytes, opts, base, log) };
  } catch (e) {
    if (e instanceof Reject) return fail(log, e);
    throw e;
  }
}

function run(bytes: Uint8Array, opts: KernelVerifyOptions, base: Btf | null, log: KernelLog): Btf {
  const endian: Endian = opts.endian ?? 'little';
  const le = endian === 'little';
  const tagAttr = opts.tagAttributes === true;
  const size = bytes.length;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  const plain = (msg: string, errno: number, stage: KernelVerifyStage, offset?: number, typeId?: number, message?: string): never => {
    log.add(msg);
    throw new Reject(errno, stage, message ?? msg, typeId, offset);
  };

  // ---- btf_parse_hdr
  if (size < 8) plain('hdr_len not found', KernelErrno.EINVAL, 'header', 4);
  const rawHdrLen = dv.getUint32(4, le);
  if (size < rawHdrLen) plain('btf_header not found', KernelErrno.EINVAL, 'header', 4);
  if (rawHdrLen > KERNEL_HDR_LEN) {
    for (let i = KERNEL_HDR_LEN; i < rawHdrLen; i++)
      if (bytes[i] !== 0)
        plain('Unsupported btf_header', KernelErrno.E2BIG, 'header', i, undefined, `Unsupported btf_header: non-zero byte at offset ${i} of a ${rawHdrLen}-byte header`);
  }
  // The kernel copies min(hdr_len, 24) bytes into a zeroed struct btf_header and uses that copy.
  const hb = new Uint8Array(KERNEL_HDR_LEN);
  hb.set(bytes.subarray(0, Math.min(rawHdrLen, KERNEL_HDR_LEN)));
  const hv = new DataView(hb.buffer);
  const magic = hv.getUint16(0, le);
  const version = hb[2]!;
  const flags = hb[3]!;
  const hdrLen = hv.getUint32(4, le);
  const typeOff = hv.getUint32(8, le);
  const typeLen = hv.getUint32(12, le);
  const strOff = hv.getUint32(16, le);
  const strLen = hv.getUint32(20, le);
  if (magic !== BTF_MAGIC)
    plain('Invalid magic', KernelErrno.EINVAL, 'header', 0, undefined,
      hv.getUint16(0, !le) === BTF_MAGIC ? `Invalid magic: ${le ? 'big' : 'little'}-endian BTF on a ${endian}-endian kernel` : `Invalid magic: 0x${hex(magic)}`);
  if (version !== BTF_VERSION) plain('Unsupported version', KernelErrno.ENOTSUPP, 'header', 2, undefined, `Unsupported version: ${version}`);
  if (flags !== 0) plain('Unsupported flags', KernelErrno.ENOTSUPP, 'header', 3, undefined, `Unsupported flags: 0x${hex(flags)}`);
  if (!base && size === hdrLen) plain('No data', KernelErrno.EINVAL, 'header', 4);

  // ---- btf_check_sec_info: the two sections sorted by (offset, length) must tile the data exactly
  {
    let s0o = typeOff, s0l = typeLen, s0f = 8;
    let s1o = strOff, s1l = strLen, s1f = 16;
    const cmp = ((s0o - s1o) | 0) || ((s0l - s1l) | 0);
    if (cmp > 0) {
      [s0o, s1o] = [s1o, s0o];
      [s0l, s1l] = [s1l, s0l];
      [s0f, s1f] = [s1f, s0f];
    }
    const expected = (size - hdrLen) >>> 0;
    let total = 0;
    const secs: [number, number, number][] = [[s0o, s0l, s0f], [s1o, s1l, s1f]];
    for (const [off, len, field] of secs) {
      const what = field === 8 ? 'type' : 'string';
      if (expected < off) plain('Invalid section offset', KernelErrno.EINVAL, 'header', field, undefined, `Invalid section offset: ${what} section at ${off}, data after the header is ${expected} bytes`);
      if (total < off) plain('Unsupported section found', KernelErrno.EINVAL, 'header', hdrLen + total, undefined, `Unsupported section found: gap of ${off - total} bytes before the ${what} section`);
      if (total > off) plain('Section overlap found', KernelErrno.EINVAL, 'header', field, undefined, `Section overlap found: ${what} section at ${off} overlaps the previous one (ends at ${total})`);
      if (expected - total < len) plain('Total section length too long', KernelErrno.EINVAL, 'header', field + 4, undefined, `Total section length too long: ${what} section of ${len} bytes at ${off}, data after the header is ${expected} bytes`);
      total += len;
    }
    if (expected !== total)
      plain('Unsupported section found', KernelErrno.EINVAL, 'header', hdrLen + total, undefined, `Unsupported section found: ${expected - total} trailing bytes after the sections`);
  }

  // ---- btf_parse_str_sec
  const strStart = hdrLen + strOff;
  const strEndPos = strStart + strLen;
  if (strEndPos !== size) plain('String section is not at the end', KernelErrno.EINVAL, 'strings', strStart);
  if (!(base && strLen === 0)) {
    if (strLen === 0 || strLen - 1 > BTF_MAX_NAME_OFFSET || bytes[strEndPos - 1] !== 0)
      plain('Invalid string section', KernelErrno.EINVAL, 'strings', strLen === 0 ? strStart : strEndPos - 1, undefined,
        strLen === 0 ? 'Invalid string section: empty' : strLen - 1 > BTF_MAX_NAME_OFFSET ? `Invalid string section: ${strLen} bytes (max ${BTF_MAX_NAME_OFFSET + 1})` : 'Invalid string section: last byte is not NUL');
    if (!base && bytes[strStart] !== 0)
      plain('Invalid string section', KernelErrno.EINVAL, 'strings', strStart, undefined, 'Invalid string section: first byte is not NUL');
  }

  // ---- btf_check_all_metas
  const ownStrs = bytes.subarray(strStart, strEndPos);
  const strBase = base ? base.startStrOff + base.strLen : 0;
  const strTotal = strBase + strLen;
  const firstId = base ? base.typeCount() : 1;
  const typeStart = hdrLen + typeOff;

  const nw = Math.ceil(typeLen / 4);
  const words = new Uint32Array(nw);
  new Uint8Array(words.buffer).set(bytes.subarray(typeStart, typeStart + typeLen));
  if (endian !== HOST_ENDIAN) swapWords(words, nw);

  // String access: own section, or the base chain below strBase.
  let sArr: Uint8Array = ownStrs;
  let sIdx = 0;
  const locate = (off: number): boolean => {
    if (off >= strBase) {
      const i = off - strBase;
      if (i >= strLen) return false;
      sArr = ownStrs;
      sIdx = i;
      return true;
    }
    const b = base ? base.strOwner(off) : null;
    if (!b) return false;
    sArr = b.raw().strs;
    sIdx = off - b.startStrOff;
    return true;
  };
  const nameOk = (off: number): boolean => off <= BTF_MAX_NAME_OFFSET && off < strTotal; // btf_name_offset_valid
  // 0 = not yet known, 1 = valid identifier, 2 = not one (own strings only).
  const identCache = new Uint8Array(strLen);
  const ident = (off: number): boolean => {
    if (off >= strBase) {
      const i = off - strBase;
      const c = identCache[i]!;
      if (c !== 0) return c === 1;
      const v = identAt(ownStrs, i);
      identCache[i] = v ? 1 : 2;
      return v;
    }
    return locate(off) && identAt(sArr, sIdx);
  };
  const section = (off: number): boolean => locate(off) && sectionAt(sArr, sIdx);
  const emptyStr = (off: number): boolean => !locate(off) || sArr[sIdx] === 0;
  const strOf = (off: number): string => {
    if (off === 0) return '(anon)';
    if (!locate(off)) return '(invalid-name-offset)';
    return decodeStr(sArr, sIdx, strEnd(sArr, sIdx, sArr.length));
  };

  let offs = new Uint32Array(Math.max(16, Math.min(nw >>> 3, 1 << 22)));
  let nTypes = 0;
  let id = firstId;
  let cur = 0; // byte offset inside the type section
  let w = 0; // word index of the current record

  // log_details of the current record, as separate log calls (one dmesg line each).
  const details = (kind: number): string[] => {
    const st = words[w + 2]!;
    switch (kind) {
      case Kind.INT: {
        const d = words[w + 3]!;
        const enc = (d >>> 24) & 0x0f;
        const es = enc === 0 ? '(none)' : enc === 1 ? 'SIGNED' : enc === 2 ? 'CHAR' : enc === 4 ? 'BOOL' : 'UNKN';
        return [`size=${st} bits_offset=${(d >>> 16) & 0xff} nr_bits=${d & 0xff} encoding=${es}`];
      }
      case Kind.PTR: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT:
      case Kind.TYPE_TAG: case Kind.FUNC:
        return [`type_id=${st}`];
      case Kind.FWD:
        return [words[w + 1]! >>> 31 ? 'union' : 'struct'];
      case Kind.ARRAY:
        return [`type_id=${words[w + 3]} index_type_id=${words[w + 4]} nr_elems=${words[w + 5]}`];
      case Kind.STRUCT: case Kind.UNION: case Kind.ENUM: case Kind.ENUM64: case Kind.DATASEC:
        return [`size=${st} vlen=${words[w + 1]! & 0xffff}`];
      case Kind.FUNC_PROTO: {
        const n = words[w + 1]! & 0xffff;
        const out = [`return=${st} args=(`];
        const pt = (i: number) => words[w + 4 + 2 * i]!;
        const pn = (i: number) => strOf(words[w + 3 + 2 * i]!);
        if (n === 0) out.push('void');
        else if (n === 1 && pt(0) === 0) out.push('vararg');
        else {
          out.push(`${pt(0)} ${pn(0)}`);
          for (let i = 1; i < n - 1; i++) out.push(`, ${pt(i)} ${pn(i)}`);
          if (n > 1) out.push(pt(n - 1) ? `, ${pt(n - 1)} ${pn(n - 1)}` : ', vararg');
        }
        out.push(')');
        return out;
      }
      case Kind.VAR:
        return [`type_id=${st} linkage=${words[w + 3]}`];
      case Kind.FLOAT:
        return [`size=${st}`];
      case Kind.DECL_TAG:
        return [`type=${st} component_idx=${words[w + 3]! | 0}`];
      default:
        return [];
    }
  };
  const head = (kind: number): string => `[${id}] ${KIND_NAMES[kind]} ${strOf(words[w]!)}`;
  /** btf_verifier_log_type (with details) or btf_verifier_log_basic (without). */
  const typeErr = (kind: number, msg: string, withDetails = true, errno: number = KernelErrno.EINVAL): never => {
    log.add(head(kind) + (withDetails ? ' ' : ''));
    if (withDetails) for (const d of details(kind)) log.add(d);
    log.add(' ');
    log.add(msg);
    log.add('\n');
    throw new Reject(errno, 'types', `${head(kind)}: ${msg}`, id, typeStart + cur);
  };
  const basic = (kind: number, msg: string): never => typeErr(kind, msg, false);
  /** btf_verifier_log_member (CHECK_META phase: the member line alone). */
  const memberErr = (kind: number, p: number, msg: string): never => {
    const mn = words[p]!, mt = words[p + 1]!, mo = words[p + 2]!;
    log.add(words[w + 1]! >>> 31
      ? `\t${strOf(mn)} type_id=${mt} bitfield_size=${mo >>> 24} bits_offset=${mo & 0xffffff}`
      : `\t${strOf(mn)} type_id=${mt} bits_offset=${mo}`);
    log.add(' ');
    log.add(msg);
    log.add('\n');
    throw new Reject(KernelErrno.EINVAL, 'types', `${head(kind)}: member #${(p - w - 3) / 3} (${strOf(mn)}): ${msg}`, id, typeStart + p * 4);
  };
  /** btf_verifier_log_vsi. */
  const vsiErr = (kind: number, p: number, msg: string): never => {
    log.add(`\t type_id=${words[p]} offset=${words[p + 1]} size=${words[p + 2]}`);
    log.add(' ');
    log.add(msg);
    log.add('\n');
    throw new Reject(KernelErrno.EINVAL, 'types', `${head(kind)}: variable #${(p - w - 3) / 3}: ${msg}`, id, typeStart + p * 4);
  };

  while (cur < typeLen) {
    const metaLeft = typeLen - cur;
    w = cur >>> 2;
    if (metaLeft < 12)
      plain(`[${id}] meta_left:${metaLeft} meta_needed:12`, KernelErrno.EINVAL, 'types', typeStart + cur, id,
        `[${id}] meta_left:${metaLeft} meta_needed:12 (${metaLeft} trailing bytes in the type section)`);
    const nameOff = words[w]!;
    const info = words[w + 1]!;
    const st = words[w + 2]!;
    if (info & INFO_RESERVED) plain(`[${id}] Invalid btf_info:${hex(info)}`, KernelErrno.EINVAL, 'types', typeStart + cur + 4, id);
    const kind = (info >>> 24) & 0x1f;
    if (kind > BTF_KIND_MAX || kind === 0) plain(`[${id}] Invalid kind:${kind}`, KernelErrno.EINVAL, 'types', typeStart + cur + 4, id);
    if (!nameOk(nameOff)) plain(`[${id}] Invalid name_offset:${nameOff}`, KernelErrno.EINVAL, 'types', typeStart + cur, id);
    const vlen = info & 0xffff;
    const kflag = info >>> 31 !== 0;
    const left = metaLeft - 12;
    let extra = 0;

    switch (kind) {
      case Kind.INT: {
        if (left < 4) basic(kind, `meta_left:${left} meta_needed:4`);
        if (vlen) typeErr(kind, 'vlen != 0');
        if (kflag) typeErr(kind, 'Invalid btf_info kind_flag');
        const d = words[w + 3]!;
        if (d & INT_RESERVED) basic(kind, `Invalid int_data:${hex(d)}`);
        const nrBits = (d & 0xff) + ((d >>> 16) & 0xff);
        if (nrBits > BITS_PER_U128) typeErr(kind, `nr_bits exceeds ${BITS_PER_U128}`);
        if (roundupBytes(nrBits) > st) typeErr(kind, 'nr_bits exceeds type_size');
        const enc = (d >>> 24) & 0x0f;
        if (enc !== 0 && enc !== 1 && enc !== 2 && enc !== 4) typeErr(kind, 'Unsupported encoding', true, KernelErrno.ENOTSUPP);
        extra = 4;
        break;
      }
      case Kind.PTR: case Kind.TYPEDEF: case Kind.VOLATILE: case Kind.CONST: case Kind.RESTRICT:
      case Kind.TYPE_TAG: {
        // btf_ref_type_check_meta
        if (vlen) typeErr(kind, 'vlen != 0');
        if (kflag && !(tagAttr && kind === Kind.TYPE_TAG)) typeErr(kind, 'Invalid btf_info kind_flag');
        if (st > BTF_MAX_TYPE) typeErr(kind, 'Invalid type_id');
        if (kind === Kind.TYPEDEF) {
          if (!nameOff || !ident(nameOff)) typeErr(kind, 'Invalid name');
        } else if (kind === Kind.TYPE_TAG) {
          if (emptyStr(nameOff)) typeErr(kind, 'Invalid name');
        } else if (nameOff) typeErr(kind, 'Invalid name');
        break;
      }
      case Kind.ARRAY: {
        if (left < 12) basic(kind, `meta_left:${left} meta_needed:12`);
        if (nameOff) typeErr(kind, 'Invalid name');
        if (vlen) typeErr(kind, 'vlen != 0');
        if (kflag) typeErr(kind, 'Invalid btf_info kind_flag');
        if (st) typeErr(kind, 'size != 0');
        const elem = words[w + 3]!;
        if (!elem || elem > BTF_MAX_TYPE) typeErr(kind, 'Invalid elem');
        const index = words[w + 4]!;
        if (!index || index > BTF_MAX_TYPE) typeErr(kind, 'Invalid index');
        extra = 12;
        break;
      }
      case Kind.STRUCT: case Kind.UNION: {
        const need = vlen * 12;
        if (left < need) basic(kind, `meta_left:${left} meta_needed:${need}`);
        if (nameOff && !ident(nameOff)) typeErr(kind, 'Invalid name');
        const isUnion = kind === Kind.UNION;
        let last = 0;
        for (let i = 0, p = w + 3; i < vlen; i++, p += 3) {
          const mn = words[p]!;
          const mt = words[p + 1]!;
          const mo = words[p + 2]!;
          if (!nameOk(mn)) memberErr(kind, p, `Invalid member name_offset:${mn}`);
          if (mn && !ident(mn)) memberErr(kind, p, 'Invalid name');
          if (!mt || mt > BTF_MAX_TYPE) memberErr(kind, p, 'Invalid type_id');
          const bitOff = kflag ? mo & 0xffffff : mo;
          if (isUnion && bitOff) memberErr(kind, p, 'Invalid member bits_offset');
          if (last > bitOff) memberErr(kind, p, 'Invalid member bits_offset');
          if (roundupBytes(bitOff) > st) memberErr(kind, p, 'Member bits_offset exceeds its struct size');
          last = bitOff;
        }
        extra = need;
        break;
      }
      case Kind.ENUM: case Kind.ENUM64: {
        const ew = kind === Kind.ENUM ? 2 : 3;
        const need = vlen * ew * 4;
        if (left < need) basic(kind, `meta_left:${left} meta_needed:${need}`);
        if (st > 8 || st === 0 || (st & (st - 1)) !== 0) typeErr(kind, 'Unexpected size');
        if (nameOff && !ident(nameOff)) typeErr(kind, 'Invalid name');
        for (let i = 0, p = w + 3; i < vlen; i++, p += ew) {
          const vn = words[p]!;
          if (!nameOk(vn))
            plain(`\tInvalid name_offset:${vn}`, KernelErrno.EINVAL, 'types', typeStart + p * 4, id, `${head(kind)}: value #${i}: Invalid name_offset:${vn}`);
          if (!vn || !ident(vn)) typeErr(kind, 'Invalid name');
        }
        extra = need;
        break;
      }
      case Kind.FWD: {
        if (vlen) typeErr(kind, 'vlen != 0');
        if (st) typeErr(kind, 'type != 0');
        if (!nameOff || !ident(nameOff)) typeErr(kind, 'Invalid name');
        break;
      }
      case Kind.FUNC: {
        if (!nameOff || !ident(nameOff)) typeErr(kind, 'Invalid name');
        if (vlen > 1) typeErr(kind, 'Invalid func linkage'); // only static (0) and global (1)
        if (kflag) typeErr(kind, 'Invalid btf_info kind_flag');
        break;
      }
      case Kind.FUNC_PROTO: {
        const need = vlen * 8;
        if (left < need) basic(kind, `meta_left:${left} meta_needed:${need}`);
        if (nameOff) typeErr(kind, 'Invalid name');
        if (kflag) typeErr(kind, 'Invalid btf_info kind_flag');
        extra = need;
        break;
      }
      case Kind.VAR: {
        if (left < 4) basic(kind, `meta_left:${left} meta_needed:4`);
        if (vlen) typeErr(kind, 'vlen != 0');
        if (kflag) typeErr(kind, 'Invalid btf_info kind_flag');
        if (!nameOff || !ident(nameOff)) typeErr(kind, 'Invalid name');
        if (!st || st > BTF_MAX_TYPE) typeErr(kind, 'Invalid type_id');
        const linkage = words[w + 3]!;
        if (linkage !== 0 && linkage !== 1) typeErr(kind, 'Linkage not supported');
        extra = 4;
        break;
      }
      case Kind.DATASEC: {
        const need = vlen * 12;
        if (left < need) basic(kind, `meta_left:${left} meta_needed:${need}`);
        if (!st) typeErr(kind, 'size == 0');
        if (kflag) typeErr(kind, 'Invalid btf_info kind_flag');
        if (!nameOff || !section(nameOff)) typeErr(kind, 'Invalid name');
        let lastEnd = 0;
        let sum = 0;
        for (let i = 0, p = w + 3; i < vlen; i++, p += 3) {
          const vt = words[p]!;
          const vo = words[p + 1]!;
          const vs = words[p + 2]!;
          if (!vt || vt > BTF_MAX_TYPE) vsiErr(kind, p, 'Invalid type_id');
          if (vo < lastEnd || vo >= st) vsiErr(kind, p, 'Invalid offset');
          if (!vs || vs > st) vsiErr(kind, p, 'Invalid size');
          lastEnd = vo + vs;
          if (lastEnd > st) vsiErr(kind, p, 'Invalid offset+size');
          sum += vs;
        }
        if (st < sum) typeErr(kind, 'Invalid btf_info size');
        extra = need;
        break;
      }
      case Kind.FLOAT: {
        if (vlen) typeErr(kind, 'vlen != 0');
        if (kflag) typeErr(kind, 'Invalid btf_info kind_flag');
        if (st !== 2 && st !== 4 && st !== 8 && st !== 12 && st !== 16) typeErr(kind, 'Invalid type_size');
        break;
      }
      case Kind.DECL_TAG: {
        if (left < 4) basic(kind, `meta_left:${left} meta_needed:4`);
        if (emptyStr(nameOff)) typeErr(kind, 'Invalid value');
        if (vlen) typeErr(kind, 'vlen != 0');
        if (kflag && !tagAttr) typeErr(kind, 'Invalid btf_info kind_flag');
        if ((words[w + 3]! | 0) < -1) typeErr(kind, 'Invalid component_idx');
        extra = 4;
        break;
      }
    }

    if (nTypes === offs.length) offs = growU32(offs, nTypes + 1);
    offs[nTypes++] = w;
    cur += 12 + extra;
    id++;
  }

  // ---- btf_check_type_tags: modifier chains of at most 32, type tags only before other modifiers
  {
    const n = firstId + nTypes; // btf_nr_types(): the first id past the end
    const kindAt = (t: number): number => {
      if (t >= firstId) return (words[offs[t - firstId]! + 1]! >>> 24) & 0x1f;
      return t === 0 || !base ? 0 : base.kind(t);
    };
    const refAt = (t: number): number => (t >= firstId ? words[offs[t - firstId]! + 2]! : base!.type(t));
    let good = firstId - 1;
    for (let i = firstId; i < n; i++) {
      let k = kindAt(i);
      if (!isModifier(k)) continue;
      let limit = MAX_CHAIN;
      let t = i;
      let inTags = k === Kind.TYPE_TAG;
      const where = typeStart + offs[i - firstId]! * 4;
      while (isModifier(k)) {
        if (limit-- === 0)
          plain('Max chain length or cycle detected', KernelErrno.ELOOP, 'type_tags', where, i,
            `type [${i}]: modifier chain longer than ${MAX_CHAIN} or cyclic (Max chain length or cycle detected)`);
        if (k === Kind.TYPE_TAG) {
          if (!inTags)
            plain("Type tags don't precede modifiers", KernelErrno.EINVAL, 'type_tags', where, i,
              `type [${i}]: type tag [${t}] follows a non-tag modifier (Type tags don't precede modifiers)`);
        } else inTags = false;
        if (t <= good) break;
        t = refAt(t);
        if (t >= n)
          throw new Reject(KernelErrno.EINVAL, 'type_tags', `type [${i}]: modifier chain reaches type id ${t}, which does not exist (the kernel fails with -EINVAL without a log message)`, i, where);
        k = kindAt(t);
      }
      good = i;
    }
  }

  // ---- the verified object
  const header: BtfHeader = { magic, version, flags, hdrLen, typeOff, typeLen, strOff, strLen, layoutOff: 0, layoutLen: 0 };
  const btf = Btf.fromParts(base, endian, { words, nWords: typeLen >>> 2, offs, nTypes, strs: bytes.slice(strStart, strEndPos), strLen }, { header, wide: false });
  btf.setRaw(bytes);
  return btf;
}

// ------------------------------------------------------------------- module load

export interface KernelModuleVerifyOptions {
  /** The running kernel's vmlinux BTF. */
  vmlinux: Btf;
  /** The module's `.BTF.base` section (distilled base), if it has one. */
  btfBase?: Uint8Array | null;
  /** Module name, for the `failed to validate module [%s] BTF: %ld` line. */
  moduleName?: string;
  endian?: Endian;
  tagAttributes?: boolean;
}

export type KernelModuleVerifyResult =
  | {
      ok: true;
      /** The base the split was checked on: the parsed `.BTF.base`, or `vmlinux`. */
      base: Btf;
      btf: Btf;
      /** True when the base is a `.BTF.base`: the kernel now relocates the split onto vmlinux (not done here). */
      needsRelocation: boolean;
    }
  | (KernelVerifyError & { section: '.BTF.base' | '.BTF' });

/**
 * The checks of btf_parse_module() steps 1-2 (spec §4.5): `.BTF.base` (when present) with the
 * base-BTF checks, then `.BTF` split on it (or on vmlinux). Relocation is not performed.
 */
export function verifyKernelModule(btf: Uint8Array, opts: KernelModuleVerifyOptions): KernelModuleVerifyResult {
  const common: { endian?: Endian; tagAttributes?: boolean } = {};
  if (opts.endian) common.endian = opts.endian;
  if (opts.tagAttributes !== undefined) common.tagAttributes = opts.tagAttributes;
  const withNotice = (r: KernelVerifyError, section: '.BTF.base' | '.BTF') => {
    const dmesg = opts.moduleName !== undefined ? [...r.dmesg, `failed to validate module [${opts.moduleName}] BTF: -${r.errno}`] : r.dmesg;
    return { ...r, dmesg, section };
  };
  let base = opts.vmlinux;
  if (opts.btfBase) {
    const rb = verifyKernelBtf(opts.btfBase, { ...common, what: 'base' });
    if (!rb.ok) return withNotice(rb, '.BTF.base');
    base = rb.btf;
  }
  const r = verifyKernelBtf(btf, { ...common, what: 'module', base });
  if (!r.ok) return withNotice(r, '.BTF');
  return { ok: true, base, btf: r.btf, needsRelocation: base !== opts.vmlinux };
}
