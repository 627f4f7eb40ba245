/**
 * The BTF model: one object per BTF blob (base or split), backed by typed arrays.
 *
 * Approach: the type section is kept as one Uint32Array of host-order words plus a
 * Uint32Array of record offsets (one entry per type), the string section as one
 * Uint8Array. Records are decoded lazily through accessors; nothing allocates an object
 * per type. A split object points at its base and resolves ids below `startId` and
 * string offsets below `startStrOff` through it, exactly like libbpf's `struct btf`
 * (docs/design.md §split-btf). The same object is the builder: the add* methods follow libbpf's
 * btf__add_* encodings and string-interning rules (docs/design.md §format-strings, §builder).
 */

import { BtfkitError, Errno } from '../errors.js';
import { KindId as Kind, recordWords, hasTypeWord, isModifierKind } from '../format/kinds.js';
import { growU32, growU8 } from './grow.js';
import { StrIndex } from './strindex.js';
import { decodeStr, keyBytes, keyOfString, latin1Key, strEnd, keyToString } from './strings.js';
import {
  HOST_ENDIAN, CLASSIC_KIND_MASK, CLASSIC_VLEN_MASK, WIDE_KIND_MASK, WIDE_VLEN_MASK, WIDE_HDR_LEN,
  type Endian, type BtfHeader, type BtfOptions, type BtfRaw, type BtfParts, type BtfFormat, type DerivedKey, type Storage, type StrInterner,
} from './format.js';

export { HOST_ENDIAN, CLASSIC_KIND_MASK, CLASSIC_VLEN_MASK, WIDE_KIND_MASK, WIDE_VLEN_MASK, WIDE_HDR_LEN } from './format.js';
export type { Endian, BtfHeader, BtfOptions, BtfRaw, BtfParts, BtfFormat, DerivedKey, StrInterner } from './format.js';

const INITIAL_WORDS = 256;

export class Btf {
  /** The base this object is split on, or null for a base BTF. */
  readonly base: Btf | null;
  /** First own type id (1 for a base BTF, type_cnt(base) for split). */
  readonly startId: number;
  /** First own logical string offset (0 for base BTF). */
  readonly startStrOff: number;
  /** Byte order of the serialized form. */
  readonly endian: Endian;
  /** Pointer size in bytes of the target (8 unless an ELF says otherwise). */
  ptrSize = 8;

  /** Own storage; see BtfRaw. */
  private readonly s: Storage;

  /** Header as parsed (null for objects built in code). */
  readonly header: BtfHeader | null = null;
  /** 2026 format: the layout section bytes, if the input had one. */
  readonly layout: Uint8Array | null = null;

  /** The parsed input bytes while the object is unmodified (libbpf returns them as-is). */
  private rawBytes: Uint8Array | null = null;
  private strIndex: StrIndex | null = null;
  private nameIdx: Map<string, number[]> | null = null;
  /** Values derived from the content (indexes of other modules), dropped by any mutation. */
  private derivedValues: Map<DerivedKey<unknown>, unknown> | null = null;
  private gen = 0;
  /** The records are a view of the parsed input (BtfParts.shared): copied before an in-place edit. */
  private sharedWords = false;
  /** btf__add_str done elsewhere while set (setInterner). */
  private interner: StrInterner | null = null;

  constructor(base: Btf | null, endian: Endian, format: BtfFormat = {}) {
    this.base = base;
    this.endian = endian;
    this.startId = base ? base.typeCount() : 1;
    this.startStrOff = base ? base.startStrOff + base.s.strLen : 0;
    const wide = format.wide ?? (format.header ? format.header.hdrLen >= WIDE_HDR_LEN : false);
    this.s = {
      words: new Uint32Array(INITIAL_WORDS),
      nWords: 0,
      offs: new Uint32Array(64),
      nTypes: 0,
      strs: new Uint8Array(64),
      strLen: 0,
      kindMask: wide ? WIDE_KIND_MASK : CLASSIC_KIND_MASK,
      vlenMask: wide ? WIDE_VLEN_MASK : CLASSIC_VLEN_MASK,
    };
    if (!base) {
      this.s.strs[0] = 0;
      this.s.strLen = 1;
    }
    this.header = format.header ?? null;
    this.layout = format.layout ?? null;
    if (base) this.ptrSize = base.ptrSize;
    if (format.ptrSize !== undefined) this.ptrSize = format.ptrSize;
  }

  /** A new empty base BTF (strings = "\0"), host order unless told otherwise. */
  static create(opts: BtfOptions = {}): Btf {
    return new Btf(null, opts.endian ?? HOST_ENDIAN);
  }

  /** A new empty split BTF on `base`; it inherits the base's byte order. */
  static createSplit(base: Btf): Btf {
    return new Btf(base, base.endian);
  }

  /**
   * An object assembled from whole sections at once (parse, the kernel checks, distill and
   * relocate build the type and string sections in bulk). The arrays are taken over, not
   * copied: `words[0, nWords)` are the records, `offs[0, nTypes)` their word offsets,
   * `strs[0, strLen)` the own string section. `startId`/`startStrOff` follow from `base` as
   * for `createSplit`; `format` gives the header, layout section and masks.
   */
  static fromParts(base: Btf | null, endian: Endian, parts: BtfParts, format: BtfFormat = {}): Btf {
    const b = new Btf(base, endian, format);
    const s = b.s;
    s.words = parts.words;
    s.nWords = parts.nWords;
    s.offs = parts.offs;
    s.nTypes = parts.nTypes;
    s.strs = parts.strs;
    s.strLen = parts.strLen;
    b.sharedWords = parts.shared === true;
    return b;
  }

  /**
   * The live storage, read-only: for the serializer and hot loops. The arrays are the model's
   * own (valid until the next mutation grows them); never write through them.
   */
  raw(): BtfRaw {
    return this.s;
  }

  /** Number of own type words. */
  get nWords(): number {
    return this.s.nWords;
  }
  /** Number of own types (= ownTypeCount()). */
  get nTypes(): number {
    return this.s.nTypes;
  }
  /** Length of the own string section in bytes. */
  get strLen(): number {
    return this.s.strLen;
  }
  /** Kind mask of info >>> 24 (0x1f, or 0x7f when the header says 2026 format). */
  get kindMask(): number {
    return this.s.kindMask;
  }
  /** vlen mask of info (0xffff, or 0xffffff when the header says 2026 format). */
  get vlenMask(): number {
    return this.s.vlenMask;
  }

  /**
   * Overwrites word `k` of the record of own type `id` (0 = name_off, 1 = info, ...): the one
   * explicit in-place edit (tests, fixtures). Drops every cache.
   */
  setWord(id: number, k: number, value: number): void {
    const i = id - this.startId;
    if (!(i >= 0 && i < this.s.nTypes)) throw new BtfkitError('BTF_INVALID', `setWord: type ${id} is not an own type`, { where: { typeId: id } });
    if (this.sharedWords) {
      this.s.words = this.s.words.slice();
      this.sharedWords = false;
    }
    this.s.words[this.s.offs[i]! + k] = value >>> 0;
    this.invalidateIndexes();
  }

  /**
   * A value derived from this object's content, built by `build` on first use and kept until
   * the object is modified (e.g. relocation's name index of a base, distill's scratch arrays).
   */
  derived<T>(key: DerivedKey<T>, build: () => T): T {
    const m = (this.derivedValues ??= new Map());
    let v = m.get(key) as T | undefined;
    if (v === undefined) {
      v = build();
      m.set(key, v);
    }
    return v;
  }

  /** Drops the derived value under `key` (e.g. when it depends on other objects that changed). */
  invalidateDerived<T>(key: DerivedKey<T>): void {
    this.derivedValues?.delete(key);
  }

  /** The derived value under `key` if one was built and is still valid, else undefined. */
  peekDerived<T>(key: DerivedKey<T>): T | undefined {
    return this.derivedValues?.get(key) as T | undefined;
  }

  // ------------------------------------------------------------------ ids

  /** type_cnt: 1 + number of types visible through this object (the first unused id). */
  typeCount(): number {
    return this.startId + this.s.nTypes;
  }

  /** Number of types this object itself holds. */
  ownTypeCount(): number {
    return this.s.nTypes;
  }

  hasType(id: number): boolean {
    return id >= 0 && id < this.startId + this.s.nTypes && Number.isInteger(id);
  }

  /** The object that holds type `id` (void belongs to the bottom base). */
  typeOwner(id: number): Btf {
    let b: Btf = this;
    while (id < b.startId && b.base) b = b.base;
    return b;
  }

  /** Word offset of the record of `id` inside `typeOwner(id).words`, or -1 for void. */
  typeOff(id: number): number {
    const b = this.typeOwner(id);
    const i = id - b.startId;
    if (i < 0) return -1;
    if (i >= b.s.nTypes) throw new BtfkitError('BTF_INVALID', `invalid type id ${id}`, { where: { typeId: id } });
    return b.s.offs[i]!;
  }

  kind(id: number): number {
    if (id === 0) return 0;
    const b = this.typeOwner(id);
    const i = id - b.startId;
    if (i < 0 || i >= b.s.nTypes) throw new BtfkitError('BTF_INVALID', `invalid type id ${id}`, { where: { typeId: id } });
    return (b.s.words[b.s.offs[i]! + 1]! >>> 24) & b.s.kindMask;
  }

  vlen(id: number): number {
    if (id === 0) return 0;
    const b = this.typeOwner(id);
    return b.s.words[b.s.offs[id - b.startId]! + 1]! & b.s.vlenMask;
  }

  kflag(id: number): boolean {
    return this.word(id, 1) >>> 31 === 1;
  }

  info(id: number): number {
    return this.word(id, 1);
  }

  /** Word `k` of the record of `id` (0 = name_off, 1 = info, 2 = size/type, 3.. = trailing). */
  word(id: number, k: number): number {
    if (id === 0) return 0;
    const b = this.typeOwner(id);
    return b.s.words[b.s.offs[id - b.startId]! + k]!;
  }

  nameOff(id: number): number {
    return this.word(id, 0);
  }

  /** The size word (INT, STRUCT, UNION, ENUM, ENUM64, DATASEC, FLOAT). */
  size(id: number): number {
    return this.word(id, 2);
  }

  /** The type word (PTR, TYPEDEF, modifiers, FUNC, FUNC_PROTO return, VAR, tags). */
  type(id: number): number {
    return this.word(id, 2);
  }

  /** Name of type `id` ('' when anonymous). */
  name(id: number): string {
    return this.str(this.nameOff(id));
  }

  // ----------------------------------------------------- kind-specific decoding

  intEncoding(id: number): number {
    return (this.word(id, 3) >>> 24) & 0x0f;
  }
  intOffset(id: number): number {
    return (this.word(id, 3) >>> 16) & 0xff;
  }
  intBits(id: number): number {
    return this.word(id, 3) & 0xff;
  }

  arrayElemType(id: number): number {
    return this.word(id, 3);
  }
  arrayIndexType(id: number): number {
    return this.word(id, 4);
  }
  arrayNelems(id: number): number {
    return this.word(id, 5);
  }

  /** STRUCT/UNION member i: name_off. */
  memberNameOff(id: number, i: number): number {
    return this.word(id, 3 + 3 * i);
  }
  memberType(id: number, i: number): number {
    return this.word(id, 4 + 3 * i);
  }
  /** Raw offset word (bit offset, or with kflag: bitfield size << 24 | bit offset). */
  memberOffsetWord(id: number, i: number): number {
    return this.word(id, 5 + 3 * i);
  }
  memberBitOffset(id: number, i: number): number {
    const w = this.memberOffsetWord(id, i);
    return this.kflag(id) ? w & 0xffffff : w;
  }
  memberBitfieldSize(id: number, i: number): number {
    return this.kflag(id) ? this.memberOffsetWord(id, i) >>> 24 : 0;
  }

  /** ENUM value i: name_off and (signed per kflag) value. */
  enumNameOff(id: number, i: number): number {
    return this.word(id, 3 + 2 * i);
  }
  enumValue(id: number, i: number): number {
    const v = this.word(id, 4 + 2 * i);
    return this.kflag(id) ? v | 0 : v >>> 0;
  }
  enum64NameOff(id: number, i: number): number {
    return this.word(id, 3 + 3 * i);
  }
  enum64Value(id: number, i: number): bigint {
    const lo = BigInt(this.word(id, 4 + 3 * i) >>> 0);
    const hi = BigInt(this.word(id, 5 + 3 * i) >>> 0);
    const u = (hi << 32n) | lo;
    return this.kflag(id) ? BigInt.asIntN(64, u) : u;
  }

  paramNameOff(id: number, i: number): number {
    return this.word(id, 3 + 2 * i);
  }
  paramType(id: number, i: number): number {
    return this.word(id, 4 + 2 * i);
  }

  varLinkage(id: number): number {
    return this.word(id, 3);
  }

  datasecVarType(id: number, i: number): number {
    return this.word(id, 3 + 3 * i);
  }
  datasecVarOffset(id: number, i: number): number {
    return this.word(id, 4 + 3 * i);
  }
  datasecVarSize(id: number, i: number): number {
    return this.word(id, 5 + 3 * i);
  }

  declTagComponentIdx(id: number): number {
    return this.word(id, 3) | 0;
  }

  // -------------------------------------------------------------------- strings

  /** The object holding logical string offset `off`, or null when invalid. */
  strOwner(off: number): Btf | null {
    let b: Btf = this;
    while (off < b.startStrOff) {
      if (!b.base) return null;
      b = b.base;
    }
    return off - b.startStrOff < b.s.strLen ? b : null;
  }

  /** Is `off` a valid logical string offset (libbpf btf__str_by_offset != NULL)? */
  isValidStrOff(off: number): boolean {
    return this.strOwner(off) !== null;
  }

  /** The string at logical offset `off` (UTF-8 decoded); throws on invalid offsets. */
  str(off: number): string {
    if (off === 0 && this.startStrOff === 0) return '';
    const b = this.strOwner(off);
    if (!b) throw new BtfkitError('BTF_TYPE_REF', `invalid string offset ${off}`);
    const s = off - b.startStrOff;
    return decodeStr(b.s.strs, s, strEnd(b.s.strs, s, b.s.strLen));
  }

  /** The exact bytes of the string at `off`, as a latin1 key. */
  strKey(off: number): string {
    const b = this.strOwner(off);
    if (!b) throw new BtfkitError('BTF_TYPE_REF', `invalid string offset ${off}`);
    const s = off - b.startStrOff;
    return latin1Key(b.s.strs, s, strEnd(b.s.strs, s, b.s.strLen));
  }

  /** Own-string index: latin1 key -> own local offset (first occurrence wins, like libbpf's strset). */
  /**
   * The own string section's lookup table (built if need be): what findStrBytes answers from,
   * for code that looks strings up the same way elsewhere (src/accel/encode.ts).
   */
  ownStrTable(): { strs: Uint8Array; strLen: number; slots: Int32Array; mask: number } {
    return { strs: this.s.strs, strLen: this.s.strLen, ...this.ownStrIndex().table() };
  }

  /** Whether the own string section's lookup table is built. */
  hasOwnStrTable(): boolean {
    return this.strIndex !== null;
  }

  private ownStrIndex(): StrIndex {
    if (!this.strIndex) this.strIndex = new StrIndex(this.s.strs, this.s.strLen);
    return this.strIndex;
  }

  /** libbpf btf__find_str: logical offset of an exact string (base chain first), or -1. */
  findStrKey(key: string): number {
    if (this.base) {
      const o = this.base.findStrKey(key);
      if (o >= 0) return o;
    }
    const local = this.ownStrIndex().find(key);
    return local < 0 ? -1 : this.startStrOff + local;
  }

  findStr(s: string): number {
    return this.findStrKey(keyOfString(s));
  }

  /**
   * Has `interner` answer btf__add_str (addStr, addStrKey, addStrBytes and the builders that
   * name types) until it is unset (null). Its tables and this object's section must hold the
   * same strings: it sees every string added meanwhile.
   */
  setInterner(interner: StrInterner | null): void {
    this.interner = interner;
  }

  /** addStrBytes through the interner: the offset, or -1 when it gives no answer. */
  private addStrInterned(src: Uint8Array, at: number, n: number): number {
    const end = this.startStrOff + this.s.strLen;
    const off = this.interner!.intern(src, at, n, end);
    if (off < 0) return -1;
    if (off < end) return off;
    if (off > end) throw new Error(`string interner out of step: offset ${off} past the section's end ${end}`);
    this.appendOwnStr(src, at, n);
    return off;
  }

  /** Appends the bytes src[at, at + n) and a NUL to the own string section (indexed if the index is built); their local offset. */
  private appendOwnStr(src: Uint8Array, at: number, n: number): number {
    const local = this.s.strLen;
    const need = local + n + 1;
    this.s.strs = growU8(this.s.strs, need);
    this.s.strs.set(src.subarray(at, at + n), local);
    this.s.strs[local + n] = 0;
    this.s.strLen = need;
    this.strIndex?.added(this.s.strs, local, n);
    this.modified();
    return local;
  }

  /** libbpf btf__add_str on a latin1 key: reuse from base chain, then own, else append. */
  addStrKey(key: string): number {
    if (this.interner) {
      const off = this.addStrInterned(keyBytes(key), 0, key.length);
      if (off >= 0) return off;
    }
    if (this.base) {
      const o = this.base.findStrKey(key);
      if (o >= 0) return o;
    }
    const have = this.ownStrIndex().find(key);
    if (have >= 0) return this.startStrOff + have;
    return this.startStrOff + this.appendOwnStr(keyBytes(key), 0, key.length);
  }

  /** libbpf btf__find_str on the `n` bytes `src[at, at + n)` (no NUL among them): offset or -1. */
  findStrBytes(src: Uint8Array, at: number, n: number): number {
    if (this.base) {
      const o = this.base.findStrBytes(src, at, n);
      if (o >= 0) return o;
    }
    const local = this.ownStrIndex().findBytes(src, at, n);
    return local < 0 ? -1 : this.startStrOff + local;
  }

  /** libbpf btf__add_str on the `n` bytes `src[at, at + n)` (no NUL among them), without a JS string. */
  addStrBytes(src: Uint8Array, at: number, n: number): number {
    if (this.interner) {
      const off = this.addStrInterned(src, at, n);
      if (off >= 0) return off;
    }
    if (this.base) {
      const o = this.base.findStrBytes(src, at, n);
      if (o >= 0) return o;
    }
    const have = this.ownStrIndex().findBytes(src, at, n);
    if (have >= 0) return this.startStrOff + have;
    return this.startStrOff + this.appendOwnStr(src, at, n);
  }

  /** Intern a JS string (UTF-8 encoded). */
  addStr(s: string): number {
    return this.addStrKey(keyOfString(s));
  }

  // ---------------------------------------------------------------- name lookup

  private nameIndex(): Map<string, number[]> {
    if (this.nameIdx) return this.nameIdx;
    const m = new Map<string, number[]>();
    const n = this.typeCount();
    for (let id = 1; id < n; id++) {
      const no = this.nameOff(id);
      if (no === 0) continue;
      const k = this.strKey(no);
      const l = m.get(k);
      if (l) l.push(id);
      else m.set(k, [id]);
    }
    this.nameIdx = m;
    return m;
  }

  /** Ids of all types (base chain included) with this exact name, ascending. */
  findAllByName(name: string): readonly number[] {
    return this.nameIndex().get(keyOfString(name)) ?? [];
  }

  /** libbpf btf__find_by_name_kind: first id with this name and kind, or -1. */
  findByNameKind(name: string, kind: number): number {
    for (const id of this.findAllByName(name)) if (this.kind(id) === kind) return id;
    return -1;
  }

  /** libbpf btf__find_by_name: first id with this name, or -1 ("void" finds 0). */
  findByName(name: string): number {
    if (name === 'void') return 0;
    const l = this.findAllByName(name);
    return l.length ? l[0]! : -1;
  }

  // -------------------------------------------------------------- raw & state

  /** Called by every mutation: drops caches that depend on content. */
  modified(): void {
    this.rawBytes = null;
    this.nameIdx = null;
    this.derivedValues = null;
    this.gen++;
  }

  /**
   * Bumped by every mutation and by invalidateIndexes(), so that values derived from a chain
   * of objects (e.g. relocation's name index of a split base) can tell that a level changed.
   */
  get generation(): number {
    return this.gen;
  }

  /** Mark the object as parsed from `bytes` (used by the parser). */
  setRaw(bytes: Uint8Array | null): void {
    this.rawBytes = bytes;
  }

  /** The original bytes while unmodified, else null. */
  rawIfUnmodified(): Uint8Array | null {
    return this.rawBytes;
  }

  /** Drops the lazily built lookup indexes (after in-place rewriting of records). */
  invalidateIndexes(): void {
    this.nameIdx = null;
    this.strIndex = null;
    this.rawBytes = null;
    this.derivedValues = null;
    this.gen++;
  }

  // ------------------------------------------------------------------- builder

  /** Append a record given as words (host order). Returns the new type id. */
  addRecord(rec: ArrayLike<number>): number {
    const n = rec.length;
    this.s.words = growU32(this.s.words, this.s.nWords + n);
    this.s.offs = growU32(this.s.offs, this.s.nTypes + 1);
    this.s.offs[this.s.nTypes] = this.s.nWords;
    for (let i = 0; i < n; i++) this.s.words[this.s.nWords + i] = rec[i]! >>> 0;
    this.s.nWords += n;
    this.s.nTypes++;
    this.modified();
    return this.startId + this.s.nTypes - 1;
  }

  /**
   * Appends records and own strings in bulk (the encoder's WebAssembly units): the `nTypes`
   * records in `words[0, nWords)` at word offsets `offs[0, nTypes)`, and the strings of
   * `strs[0, strLen)` (each NUL-terminated, none already in the section) at the end of the own
   * string section, where the records' name offsets already point. Returns the first new id.
   */
  appendParts(words: Uint32Array, nWords: number, offs: Uint32Array, nTypes: number, strs: Uint8Array, strLen: number): number {
    const s = this.s;
    const first = this.startId + s.nTypes;
    s.words = growU32(s.words, s.nWords + nWords);
    s.words.set(words.subarray(0, nWords), s.nWords);
    s.offs = growU32(s.offs, s.nTypes + nTypes);
    for (let i = 0; i < nTypes; i++) s.offs[s.nTypes + i] = s.nWords + offs[i]!;
    s.nWords += nWords;
    s.nTypes += nTypes;
    if (strLen > 0) {
      const at = s.strLen;
      s.strs = growU8(s.strs, at + strLen);
      s.strs.set(strs.subarray(0, strLen), at);
      s.strLen = at + strLen;
      const idx = this.strIndex;
      if (idx) {
        for (let p = at; p < s.strLen; ) {
          let e = p;
          while (s.strs[e] !== 0) e++;
          idx.added(s.strs, p, e - p);
          p = e + 1;
        }
      }
    }
    this.modified();
    return first;
  }

  /**
   * Append a record by copying `nw` words from `src` starting at `srcOff` (a verbatim copy,
   * unused info bits included). Returns the new id.
   */
  addRecordFrom(src: Uint32Array, srcOff: number, nw: number): number {
    this.s.words = growU32(this.s.words, this.s.nWords + nw);
    this.s.offs = growU32(this.s.offs, this.s.nTypes + 1);
    this.s.offs[this.s.nTypes] = this.s.nWords;
    const w = this.s.words;
    const at = this.s.nWords;
    // a record is a few words: a loop, not a subarray object and a set() call per record
    for (let i = 0; i < nw; i++) w[at + i] = src[srcOff + i]!;
    this.s.nWords += nw;
    this.s.nTypes++;
    this.modified();
    return this.startId + this.s.nTypes - 1;
  }

  /** Number of words of the record of own/base type id (for copying). */
  recordLength(id: number): number {
    const k = this.kind(id);
    const w = recordWords(k, this.vlen(id));
    if (w < 0) throw new BtfkitError('BTF_TYPES', `type [${id}] has unsupported kind ${k}`, { where: { typeId: id } });
    return w;
  }

  private nameArg(name: string | null | undefined): number {
    return name ? this.addStr(name) : 0;
  }

  /** An info word in this object's format (kind and vlen masked by the header-driven masks). */
  private makeInfo(kind: number, vlen: number, kflag: boolean): number {
    return ((kflag ? 0x80000000 : 0) | ((kind & this.s.kindMask) << 24) | (vlen & this.s.vlenMask)) >>> 0;
  }

  /** libbpf's validate_type_id: any id up to BTF_MAX_NR_TYPES (forward references are allowed). */
  private checkId(id: number, what: string): void {
    if (!(Number.isInteger(id) && id >= 0 && id <= 0x7fffffff))
      throw new BtfkitError('BTF_INVALID', `${what}: invalid type id ${id}`, { errno: Errno.EINVAL });
  }

  private requireName(name: string | null | undefined, what: string): string {
    if (!name) throw new BtfkitError('BTF_INVALID', `${what}: a name is required`, { errno: Errno.EINVAL });
    return name;
  }

  /** btf__add_int: encoding is 0 or a combination allowed by libbpf (SIGNED, CHAR, BOOL). */
  addInt(name: string, byteSize: number, encoding = 0): number {
    this.requireName(name, 'add_int');
    if (![1, 2, 4, 8, 16].includes(byteSize))
      throw new BtfkitError('BTF_INVALID', `add_int: invalid byte size ${byteSize}`);
    if (encoding & ~0x07) throw new BtfkitError('BTF_INVALID', `add_int: invalid encoding ${encoding}`);
    const no = this.addStr(name);
    return this.addRecord([no, this.makeInfo(Kind.INT, 0, false), byteSize, ((encoding << 24) | (byteSize * 8)) >>> 0]);
  }

  addFloat(name: string, byteSize: number): number {
    this.requireName(name, 'add_float');
    if (![2, 4, 8, 12, 16].includes(byteSize))
      throw new BtfkitError('BTF_INVALID', `add_float: invalid byte size ${byteSize}`);
    return this.addRecord([this.addStr(name), this.makeInfo(Kind.FLOAT, 0, false), byteSize]);
  }

  private addRef(kind: number, name: string | null, ref: number, kflag = false): number {
    this.checkId(ref, kind === Kind.PTR ? 'add_ptr' : 'add_ref');
    return this.addRecord([this.nameArg(name), this.makeInfo(kind, 0, kflag), ref]);
  }

  addPtr(ref: number): number {
    return this.addRef(Kind.PTR, null, ref);
  }
  addConst(ref: number): number {
    return this.addRef(Kind.CONST, null, ref);
  }
  addVolatile(ref: number): number {
    return this.addRef(Kind.VOLATILE, null, ref);
  }
  addRestrict(ref: number): number {
    return this.addRef(Kind.RESTRICT, null, ref);
  }
  addTypedef(name: string, ref: number): number {
    return this.addRef(Kind.TYPEDEF, this.requireName(name, 'add_typedef'), ref);
  }
  /** btf__add_type_tag (kflag 0) or btf__add_type_attr (kflag 1). */
  addTypeTag(value: string, ref: number, attr = false): number {
    return this.addRef(Kind.TYPE_TAG, this.requireName(value, 'add_type_tag'), ref, attr);
  }

  /** btf__add_array(index_type, elem_type, nr_elems): the record stores elem first. */
  addArray(indexType: number, elemType: number, nelems: number): number {
    this.checkId(indexType, 'add_array');
    this.checkId(elemType, 'add_array');
    return this.addRecord([0, this.makeInfo(Kind.ARRAY, 0, false), 0, elemType, indexType, nelems >>> 0]);
  }

  addStruct(name: string | null, byteSize: number): number {
    return this.addRecord([this.nameArg(name), this.makeInfo(Kind.STRUCT, 0, false), byteSize >>> 0]);
  }
  addUnion(name: string | null, byteSize: number): number {
    return this.addRecord([this.nameArg(name), this.makeInfo(Kind.UNION, 0, false), byteSize >>> 0]);
  }

  /** The last own type, which the element adders (add_field, add_enum_value, ...) extend. */
  private lastOwn(kinds: readonly number[], what: string): number {
    if (this.s.nTypes === 0) throw new BtfkitError('BTF_INVALID', `${what}: no type to extend`);
    const id = this.typeCount() - 1;
    if (!kinds.includes(this.kind(id))) throw new BtfkitError('BTF_INVALID', `${what}: last type has the wrong kind`);
    return id;
  }

  private appendElem(id: number, elem: readonly number[], kflag: boolean): void {
    // The element goes at the end of the last record, which is at the end of words.
    // vlen is masked as the object's format says (24 bits in the 2026 format).
    const s = this.s;
    const o = s.offs[id - this.startId]!;
    const info = s.words[o + 1]!;
    const vm = s.vlenMask;
    const vlen = (info & vm) + 1;
    if (vlen > vm) throw new BtfkitError('BTF_INVALID', `too many members/values (vlen > ${vm})`, { errno: Errno.E2BIG });
    s.words = growU32(s.words, s.nWords + elem.length);
    for (let i = 0; i < elem.length; i++) s.words[s.nWords + i] = elem[i]! >>> 0;
    s.nWords += elem.length;
    const kf = kflag || info >>> 31 === 1;
    s.words[o + 1] = ((info & ~vm & 0x7fffffff) | (kf ? 0x80000000 : 0) | vlen) >>> 0;
    this.modified();
  }

  /** btf__add_field: bitfield size and non-byte offsets set the parent's kflag. */
  addField(name: string | null, type: number, bitOffset = 0, bitfieldSize = 0): void {
    const id = this.lastOwn([Kind.STRUCT, Kind.UNION], 'add_field');
    this.checkId(type, 'add_field');
    const isBitfield = bitfieldSize !== 0 || bitOffset % 8 !== 0;
    if (isBitfield && (bitfieldSize > 255 || bitOffset >= 1 << 24))
      throw new BtfkitError('BTF_INVALID', 'add_field: bitfield too large');
    if (this.kind(id) === Kind.UNION && bitOffset)
      throw new BtfkitError('BTF_INVALID', 'add_field: union members must be at offset 0');
    const no = this.nameArg(name);
    this.appendElem(id, [no, type, (bitOffset | (bitfieldSize << 24)) >>> 0], isBitfield);
  }

  addEnum(name: string | null, byteSize: number): number {
    if (![1, 2, 4, 8].includes(byteSize)) throw new BtfkitError('BTF_INVALID', `add_enum: invalid byte size ${byteSize}`);
    return this.addRecord([this.nameArg(name), this.makeInfo(Kind.ENUM, 0, false), byteSize]);
  }

  /** btf__add_enum_value: a negative value makes the enum signed (kflag). */
  addEnumValue(name: string, value: number): void {
    const id = this.lastOwn([Kind.ENUM], 'add_enum_value');
    this.requireName(name, 'add_enum_value');
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff)
      throw new BtfkitError('BTF_INVALID', 'add_enum_value: value out of range', { errno: Errno.E2BIG });
    this.appendElem(id, [this.addStr(name), value >>> 0], value < 0);
  }

  addEnum64(name: string | null, byteSize: number, isSigned: boolean): number {
    if (![1, 2, 4, 8].includes(byteSize)) throw new BtfkitError('BTF_INVALID', `add_enum64: invalid byte size ${byteSize}`);
    return this.addRecord([this.nameArg(name), this.makeInfo(Kind.ENUM64, 0, isSigned), byteSize]);
  }

  addEnum64Value(name: string, value: bigint): void {
    const id = this.lastOwn([Kind.ENUM64], 'add_enum64_value');
    this.requireName(name, 'add_enum64_value');
    const u = BigInt.asUintN(64, value);
    this.appendElem(id, [this.addStr(name), Number(u & 0xffffffffn), Number(u >> 32n)], false);
  }

  /** btf__add_fwd: STRUCT → FWD kflag 0, UNION → FWD kflag 1, ENUM → 4-byte ENUM, vlen 0. */
  addFwd(name: string, fwdKind: 'struct' | 'union' | 'enum'): number {
    this.requireName(name, 'add_fwd');
    if (fwdKind === 'enum') return this.addEnum(name, 4);
    return this.addRecord([this.addStr(name), this.makeInfo(Kind.FWD, 0, fwdKind === 'union'), 0]);
  }

  addFunc(name: string, linkage: number, proto: number): number {
    this.requireName(name, 'add_func');
    if (linkage < 0 || linkage > 2) throw new BtfkitError('BTF_INVALID', `add_func: invalid linkage ${linkage}`);
    this.checkId(proto, 'add_func');
    return this.addRecord([this.addStr(name), this.makeInfo(Kind.FUNC, linkage, false), proto]);
  }

  addFuncProto(ret: number): number {
    this.checkId(ret, 'add_func_proto');
    return this.addRecord([0, this.makeInfo(Kind.FUNC_PROTO, 0, false), ret]);
  }

  addFuncParam(name: string | null, type: number): void {
    const id = this.lastOwn([Kind.FUNC_PROTO], 'add_func_param');
    this.checkId(type, 'add_func_param');
    this.appendElem(id, [this.nameArg(name), type], false);
  }

  addVar(name: string, linkage: number, type: number): number {
    this.requireName(name, 'add_var');
    if (linkage < 0 || linkage > 2) throw new BtfkitError('BTF_INVALID', `add_var: invalid linkage ${linkage}`);
    this.checkId(type, 'add_var');
    return this.addRecord([this.addStr(name), this.makeInfo(Kind.VAR, 0, false), type, linkage]);
  }

  addDatasec(name: string, byteSize: number): number {
    this.requireName(name, 'add_datasec');
    return this.addRecord([this.addStr(name), this.makeInfo(Kind.DATASEC, 0, false), byteSize >>> 0]);
  }

  addDatasecVarInfo(varType: number, offset: number, byteSize: number): void {
    const id = this.lastOwn([Kind.DATASEC], 'add_datasec_var_info');
    this.checkId(varType, 'add_datasec_var_info');
    this.appendElem(id, [varType, offset >>> 0, byteSize >>> 0], false);
  }

  /** btf__add_decl_tag (kflag 0) or btf__add_decl_attr (kflag 1). */
  addDeclTag(value: string, ref: number, componentIdx: number, attr = false): number {
    this.requireName(value, 'add_decl_tag');
    this.checkId(ref, 'add_decl_tag');
    if (componentIdx < -1) throw new BtfkitError('BTF_INVALID', 'add_decl_tag: invalid component index');
    return this.addRecord([this.addStr(value), this.makeInfo(Kind.DECL_TAG, 0, attr), ref, componentIdx >>> 0]);
  }

  // ------------------------------------------------------------------- helpers

  /** Follows typedefs and modifiers (and type tags) to the underlying type. */
  skipModsAndTypedefs(id: number): number {
    for (let guard = 0; guard < 1 << 20; guard++) {
      if (isModifierKind(this.kind(id))) {
        id = this.type(id);
      } else return id;
    }
    return id;
  }

  /** Does the kind of `id` carry a type id in its third word? */
  refersByTypeWord(id: number): boolean {
    return hasTypeWord(this.kind(id));
  }

  /** Human name helper: name or '(anon)'. */
  displayName(id: number): string {
    const n = this.name(id);
    return n === '' ? '(anon)' : n;
  }

  /** Key of a name (bytes exact), e.g. for sorting like strcmp. */
  nameKey(id: number): string {
    return this.strKey(this.nameOff(id));
  }

  /** Converts a latin1 key back to a readable string. */
  static keyToString(key: string): string {
    return keyToString(key);
  }
}
