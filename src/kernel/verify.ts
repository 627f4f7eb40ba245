/**
 * The kernel's BTF checks at load time, offline: what Linux 6.11+ (kernel/bpf/btf.c) runs on
 * vmlinux BTF (btf_parse_vmlinux), on a module's `.BTF.base` (btf_parse_base) and on a
 * module's split `.BTF` (btf_parse_module), docs/design.md §format-load-checks (the kernel is stricter) and §module-loading.
 *
 * Approach: the same stages in the same order as the kernel, one Verifier method each —
 * btf_parse_hdr, btf_check_sec_info, btf_parse_str_sec, btf_check_all_metas (each kind's
 * check_meta from the CHECK_META table of verify-kinds.ts), then btf_check_type_tags —
 * stopping at the first failure with the kernel's errno (positive) and its verifier log. The log is kept both as logical lines and as the `BPF: ...` lines the
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
import { KindId as Kind, KIND_NAMES, isModifierKind } from '../format/kinds.js';
import { CHECK_META, logDetails, hex, type CheckedKind } from './verify-kinds.js';
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
const BTF_MAX_NAME_OFFSET = 0xffffff;
/** Bits of btf_type.info that must be zero (~BTF_INFO_MASK, BTF_INFO_MASK = 0x9f00ffff). */
const INFO_RESERVED = 0x60ff0000;
const BTF_KIND_MAX = Kind.ENUM64;
const KSYM_NAME_LEN = 512;
const MAX_CHAIN = 32;

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
    const v = new Verifier(bytes, opts, base, log);
    v.parseHeader();
    v.checkSectionInfo();
    v.parseStrSec();
    v.checkAllMetas();
    v.checkTypeTags();
    return { ok: true, btf: v.result() };
  } catch (e) {
    if (e instanceof Reject) return fail(log, e);
    throw e;
  }
}

/**
 * One verification: the input, what the stages found so far, and the record being checked.
 * The stages are methods, called in the kernel's order by verifyKernelBtf; each kind's
 * check_meta is in verify-kinds.ts (CHECK_META, the kernel's btf_kind_operations).
 */
export class Verifier {
  readonly endian: Endian;
  readonly le: boolean;
  readonly tagAttr: boolean;
  private readonly size: number;
  private readonly dv: DataView;

  // ---- btf_parse_hdr
  private magic = 0;
  private version = 0;
  private flags = 0;
  private hdrLen = 0;
  private typeOff = 0;
  private typeLen = 0;
  private strOff = 0;
  private strLen = 0;

  // ---- btf_parse_str_sec
  private strStart = 0;
  private strEndPos = 0;
  private ownStrs: Uint8Array = new Uint8Array(0);
  /** First logical string offset of this object (the base's string space ends there). */
  private strBase = 0;
  private strTotal = 0;
  /** 0 = not yet known, 1 = valid identifier, 2 = not one (own strings only). */
  private identCache: Uint8Array = new Uint8Array(0);
  /** String located by `locate`. */
  private sArr: Uint8Array = new Uint8Array(0);
  private sIdx = 0;

  // ---- btf_check_all_metas
  words: Uint32Array = new Uint32Array(0);
  private offs: Uint32Array = new Uint32Array(0);
  private nTypes = 0;
  private firstId = 1;
  typeStart = 0;
  /** The record being checked: id, byte offset in the type section, word index. */
  id = 0;
  cur = 0;
  w = 0;
  /** Its prefix: name_off, size_or_type word, vlen, kind_flag, bytes left after the prefix. */
  nameOff = 0;
  st = 0;
  vlen = 0;
  kflag = false;
  left = 0;

  constructor(
    private readonly bytes: Uint8Array,
    opts: KernelVerifyOptions,
    private readonly base: Btf | null,
    private readonly log: KernelLog,
  ) {
    this.endian = opts.endian ?? 'little';
    this.le = this.endian === 'little';
    this.tagAttr = opts.tagAttributes === true;
    this.size = bytes.length;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A failure logged as one plain line. */
  plain(msg: string, errno: number, stage: KernelVerifyStage, offset?: number, typeId?: number, message?: string): never {
    this.log.add(msg);
    throw new Reject(errno, stage, message ?? msg, typeId, offset);
  }

  // ------------------------------------------------------------------ btf_parse_hdr

  parseHeader(): void {
    const { bytes, size, dv, le } = this;
    if (size < 8) this.plain('hdr_len not found', KernelErrno.EINVAL, 'header', 4);
    const rawHdrLen = dv.getUint32(4, le);
    if (size < rawHdrLen) this.plain('btf_header not found', KernelErrno.EINVAL, 'header', 4);
    if (rawHdrLen > KERNEL_HDR_LEN) {
      for (let i = KERNEL_HDR_LEN; i < rawHdrLen; i++)
        if (bytes[i] !== 0)
          this.plain('Unsupported btf_header', KernelErrno.E2BIG, 'header', i, undefined, `Unsupported btf_header: non-zero byte at offset ${i} of a ${rawHdrLen}-byte header`);
    }
    // The kernel copies min(hdr_len, 24) bytes into a zeroed struct btf_header and uses that copy.
    const hb = new Uint8Array(KERNEL_HDR_LEN);
    hb.set(bytes.subarray(0, Math.min(rawHdrLen, KERNEL_HDR_LEN)));
    const hv = new DataView(hb.buffer);
    this.magic = hv.getUint16(0, le);
    this.version = hb[2]!;
    this.flags = hb[3]!;
    this.hdrLen = hv.getUint32(4, le);
    this.typeOff = hv.getUint32(8, le);
    this.typeLen = hv.getUint32(12, le);
    this.strOff = hv.getUint32(16, le);
    this.strLen = hv.getUint32(20, le);
    if (this.magic !== BTF_MAGIC)
      this.plain('Invalid magic', KernelErrno.EINVAL, 'header', 0, undefined,
        hv.getUint16(0, !le) === BTF_MAGIC ? `Invalid magic: ${le ? 'big' : 'little'}-endian BTF on a ${this.endian}-endian kernel` : `Invalid magic: 0x${hex(this.magic)}`);
    if (this.version !== BTF_VERSION) this.plain('Unsupported version', KernelErrno.ENOTSUPP, 'header', 2, undefined, `Unsupported version: ${this.version}`);
    if (this.flags !== 0) this.plain('Unsupported flags', KernelErrno.ENOTSUPP, 'header', 3, undefined, `Unsupported flags: 0x${hex(this.flags)}`);
    if (!this.base && size === this.hdrLen) this.plain('No data', KernelErrno.EINVAL, 'header', 4);
  }

  /** btf_check_sec_info: the two sections sorted by (offset, length) must tile the data exactly. */
  checkSectionInfo(): void {
    const hdrLen = this.hdrLen;
    let s0o = this.typeOff, s0l = this.typeLen, s0f = 8;
    let s1o = this.strOff, s1l = this.strLen, s1f = 16;
    const cmp = ((s0o - s1o) | 0) || ((s0l - s1l) | 0);
    if (cmp > 0) {
      [s0o, s1o] = [s1o, s0o];
      [s0l, s1l] = [s1l, s0l];
      [s0f, s1f] = [s1f, s0f];
    }
    const expected = (this.size - hdrLen) >>> 0;
    let total = 0;
    const secs: [number, number, number][] = [[s0o, s0l, s0f], [s1o, s1l, s1f]];
    for (const [off, len, field] of secs) {
      const what = field === 8 ? 'type' : 'string';
      if (expected < off) this.plain('Invalid section offset', KernelErrno.EINVAL, 'header', field, undefined, `Invalid section offset: ${what} section at ${off}, data after the header is ${expected} bytes`);
      if (total < off) this.plain('Unsupported section found', KernelErrno.EINVAL, 'header', hdrLen + total, undefined, `Unsupported section found: gap of ${off - total} bytes before the ${what} section`);
      if (total > off) this.plain('Section overlap found', KernelErrno.EINVAL, 'header', field, undefined, `Section overlap found: ${what} section at ${off} overlaps the previous one (ends at ${total})`);
      if (expected - total < len) this.plain('Total section length too long', KernelErrno.EINVAL, 'header', field + 4, undefined, `Total section length too long: ${what} section of ${len} bytes at ${off}, data after the header is ${expected} bytes`);
      total += len;
    }
    if (expected !== total)
      this.plain('Unsupported section found', KernelErrno.EINVAL, 'header', hdrLen + total, undefined, `Unsupported section found: ${expected - total} trailing bytes after the sections`);
  }

  // ------------------------------------------------------------------ btf_parse_str_sec

  parseStrSec(): void {
    const { bytes, base, strLen } = this;
    const strStart = (this.strStart = this.hdrLen + this.strOff);
    const strEndPos = (this.strEndPos = strStart + strLen);
    if (strEndPos !== this.size) this.plain('String section is not at the end', KernelErrno.EINVAL, 'strings', strStart);
    if (!(base && strLen === 0)) {
      if (strLen === 0 || strLen - 1 > BTF_MAX_NAME_OFFSET || bytes[strEndPos - 1] !== 0)
        this.plain('Invalid string section', KernelErrno.EINVAL, 'strings', strLen === 0 ? strStart : strEndPos - 1, undefined,
          strLen === 0 ? 'Invalid string section: empty' : strLen - 1 > BTF_MAX_NAME_OFFSET ? `Invalid string section: ${strLen} bytes (max ${BTF_MAX_NAME_OFFSET + 1})` : 'Invalid string section: last byte is not NUL');
      if (!base && bytes[strStart] !== 0)
        this.plain('Invalid string section', KernelErrno.EINVAL, 'strings', strStart, undefined, 'Invalid string section: first byte is not NUL');
    }
    this.ownStrs = bytes.subarray(strStart, strEndPos);
    this.strBase = base ? base.startStrOff + base.strLen : 0;
    this.strTotal = this.strBase + strLen;
    this.identCache = new Uint8Array(strLen);
  }

  /** String access: own section, or the base chain below strBase (sets sArr/sIdx). */
  private locate(off: number): boolean {
    if (off >= this.strBase) {
      const i = off - this.strBase;
      if (i >= this.strLen) return false;
      this.sArr = this.ownStrs;
      this.sIdx = i;
      return true;
    }
    const b = this.base ? this.base.strOwner(off) : null;
    if (!b) return false;
    this.sArr = b.raw().strs;
    this.sIdx = off - b.startStrOff;
    return true;
  }
  /** btf_name_offset_valid. */
  nameOk(off: number): boolean {
    return off <= BTF_MAX_NAME_OFFSET && off < this.strTotal;
  }
  /** btf_name_valid_identifier, cached per own string offset. */
  ident(off: number): boolean {
    if (off >= this.strBase) {
      const i = off - this.strBase;
      const c = this.identCache[i]!;
      if (c !== 0) return c === 1;
      const v = identAt(this.ownStrs, i);
      this.identCache[i] = v ? 1 : 2;
      return v;
    }
    return this.locate(off) && identAt(this.sArr, this.sIdx);
  }
  /** btf_name_valid_section. */
  section(off: number): boolean {
    return this.locate(off) && sectionAt(this.sArr, this.sIdx);
  }
  /** An invalid offset or the empty string. */
  emptyStr(off: number): boolean {
    return !this.locate(off) || this.sArr[this.sIdx] === 0;
  }
  /** btf_name_by_offset as the log prints it. */
  strOf(off: number): string {
    if (off === 0) return '(anon)';
    if (!this.locate(off)) return '(invalid-name-offset)';
    return decodeStr(this.sArr, this.sIdx, strEnd(this.sArr, this.sIdx, this.sArr.length));
  }

  // ------------------------------------------------------------------ btf_check_all_metas

  checkAllMetas(): void {
    const { bytes, base } = this;
    const typeLen = this.typeLen;
    this.firstId = base ? base.typeCount() : 1;
    this.typeStart = this.hdrLen + this.typeOff;
    const nw = Math.ceil(typeLen / 4);
    const words = (this.words = new Uint32Array(nw));
    new Uint8Array(words.buffer).set(bytes.subarray(this.typeStart, this.typeStart + typeLen));
    if (this.endian !== HOST_ENDIAN) swapWords(words, nw);
    let offs = new Uint32Array(Math.max(16, Math.min(nw >>> 3, 1 << 22)));
    let nTypes = 0;
    this.id = this.firstId;
    this.cur = 0;
    while (this.cur < typeLen) {
      const cur = this.cur;
      const id = this.id;
      const metaLeft = typeLen - cur;
      const w = (this.w = cur >>> 2);
      if (metaLeft < 12)
        this.plain(`[${id}] meta_left:${metaLeft} meta_needed:12`, KernelErrno.EINVAL, 'types', this.typeStart + cur, id,
          `[${id}] meta_left:${metaLeft} meta_needed:12 (${metaLeft} trailing bytes in the type section)`);
      const nameOff = (this.nameOff = words[w]!);
      const info = words[w + 1]!;
      this.st = words[w + 2]!;
      if (info & INFO_RESERVED) this.plain(`[${id}] Invalid btf_info:${hex(info)}`, KernelErrno.EINVAL, 'types', this.typeStart + cur + 4, id);
      const kind = (info >>> 24) & 0x1f;
      if (kind > BTF_KIND_MAX || kind === 0) this.plain(`[${id}] Invalid kind:${kind}`, KernelErrno.EINVAL, 'types', this.typeStart + cur + 4, id);
      if (!this.nameOk(nameOff)) this.plain(`[${id}] Invalid name_offset:${nameOff}`, KernelErrno.EINVAL, 'types', this.typeStart + cur, id);
      this.vlen = info & 0xffff;
      this.kflag = info >>> 31 !== 0;
      this.left = metaLeft - 12;
      const extra = CHECK_META[kind as CheckedKind](this);
      if (nTypes === offs.length) offs = growU32(offs, nTypes + 1);
      offs[nTypes++] = w;
      this.cur = cur + 12 + extra;
      this.id = id + 1;
    }
    this.offs = offs;
    this.nTypes = nTypes;
  }

  /** `[id] KIND name` of the current record. */
  private head(kind: number): string {
    return `[${this.id}] ${KIND_NAMES[kind]} ${this.strOf(this.words[this.w]!)}`;
  }
  /** btf_verifier_log_type (with details) or btf_verifier_log_basic (without) for the current record. */
  typeErr(kind: number, msg: string, withDetails = true, errno: number = KernelErrno.EINVAL): never {
    const log = this.log;
    log.add(this.head(kind) + (withDetails ? ' ' : ''));
    if (withDetails) for (const d of logDetails(this, kind as CheckedKind)) log.add(d);
    log.add(' ');
    log.add(msg);
    log.add('\n');
    throw new Reject(errno, 'types', `${this.head(kind)}: ${msg}`, this.id, this.typeStart + this.cur);
  }
  basic(kind: number, msg: string): never {
    return this.typeErr(kind, msg, false);
  }
  /** btf_verifier_log_member (CHECK_META phase: the member line alone) for the element at word p. */
  memberErr(kind: number, p: number, msg: string): never {
    const words = this.words;
    const mn = words[p]!, mt = words[p + 1]!, mo = words[p + 2]!;
    this.log.add(words[this.w + 1]! >>> 31
      ? `\t${this.strOf(mn)} type_id=${mt} bitfield_size=${mo >>> 24} bits_offset=${mo & 0xffffff}`
      : `\t${this.strOf(mn)} type_id=${mt} bits_offset=${mo}`);
    this.log.add(' ');
    this.log.add(msg);
    this.log.add('\n');
    throw new Reject(KernelErrno.EINVAL, 'types', `${this.head(kind)}: member #${(p - this.w - 3) / 3} (${this.strOf(mn)}): ${msg}`, this.id, this.typeStart + p * 4);
  }
  /** btf_verifier_log_vsi for the DATASEC entry at word p. */
  vsiErr(kind: number, p: number, msg: string): never {
    const words = this.words;
    this.log.add(`\t type_id=${words[p]} offset=${words[p + 1]} size=${words[p + 2]}`);
    this.log.add(' ');
    this.log.add(msg);
    this.log.add('\n');
    throw new Reject(KernelErrno.EINVAL, 'types', `${this.head(kind)}: variable #${(p - this.w - 3) / 3}: ${msg}`, this.id, this.typeStart + p * 4);
  }
  /** An enumerator's invalid name offset (a plain line). */
  enumNameErr(kind: number, i: number, p: number, vn: number): never {
    return this.plain(`\tInvalid name_offset:${vn}`, KernelErrno.EINVAL, 'types', this.typeStart + p * 4, this.id, `${this.head(kind)}: value #${i}: Invalid name_offset:${vn}`);
  }

  // ------------------------------------------------------------------ btf_check_type_tags

  /** Modifier chains of at most 32, type tags only before other modifiers. */
  checkTypeTags(): void {
    const { words, offs, firstId, base } = this;
    const n = firstId + this.nTypes; // btf_nr_types(): the first id past the end
    const kindAt = (t: number): number => {
      if (t >= firstId) return (words[offs[t - firstId]! + 1]! >>> 24) & 0x1f;
      return t === 0 || !base ? 0 : base.kind(t);
    };
    const refAt = (t: number): number => (t >= firstId ? words[offs[t - firstId]! + 2]! : base!.type(t));
    let good = firstId - 1;
    for (let i = firstId; i < n; i++) {
      let k = kindAt(i);
      if (!isModifierKind(k)) continue;
      let limit = MAX_CHAIN;
      let t = i;
      let inTags = k === Kind.TYPE_TAG;
      const where = this.typeStart + offs[i - firstId]! * 4;
      while (isModifierKind(k)) {
        if (limit-- === 0)
          this.plain('Max chain length or cycle detected', KernelErrno.ELOOP, 'type_tags', where, i,
            `type [${i}]: modifier chain longer than ${MAX_CHAIN} or cyclic (Max chain length or cycle detected)`);
        if (k === Kind.TYPE_TAG) {
          if (!inTags)
            this.plain("Type tags don't precede modifiers", KernelErrno.EINVAL, 'type_tags', where, i,
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

  /** The verified object, from the words and offsets of the walk (no second parse). */
  result(): Btf {
    const { magic, version, flags, hdrLen, typeOff, typeLen, strOff, strLen } = this;
    const header: BtfHeader = { magic, version, flags, hdrLen, typeOff, typeLen, strOff, strLen, layoutOff: 0, layoutLen: 0 };
    const parts = { words: this.words, nWords: typeLen >>> 2, offs: this.offs, nTypes: this.nTypes, strs: this.bytes.slice(this.strStart, this.strEndPos), strLen };
    const btf = Btf.fromParts(this.base, this.endian, parts, { header, wide: false });
    btf.setRaw(this.bytes);
    return btf;
  }
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
 * The checks of btf_parse_module() steps 1-2 (docs/design.md §module-loading): `.BTF.base` (when present) with the
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
