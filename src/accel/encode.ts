/**
 * The type encoder of encode.c, from JavaScript (src/encode/index.ts runs it unit by unit):
 * the kernel's strings and their table (StrIndex's, built there; kept from one module to the
 * next on the same kernel), the module's DWARF (relocated) and its DIE index (DwarfInfo) are
 * copied into the instance's memory once; each unit's records, type order and new strings are
 * copied out, and the JavaScript's own strings go through `intern` (Btf.setInterner). No
 * `node:` import.
 *
 * `open` gives null where WebAssembly cannot be used (wasm.ts LazyInstance) and `unit` gives
 * null where the C code stops short of what the JavaScript would do for that unit (encode.c
 * ENC_BAIL): the caller then encodes that unit in JavaScript, tells this encoder the strings
 * it added (`sync`), and goes on. A trap ends the encoder (every later unit: JavaScript).
 */

import { ENCODE_WASM } from './encode-wasm.js';
import { heldOf, holds, LazyInstance, type WasmBaseExports } from './wasm.js';
import type { DieIndexer, DwarfUnit } from '../dwarf/info.js';
import type { Abbrevs } from '../dwarf/abbrev.js';

interface EncodeExports extends WasmBaseExports {
  btfkit_enc_alloc(n: number): number;
  btfkit_enc_input(keepBase: number): number;
  btfkit_enc_hold_base(): void;
  btfkit_enc_intern(p: number, n: number): number;
  btfkit_enc_base_scan(extra: number, extraLen: number): number;
  btfkit_enc_init(): number;
  btfkit_enc_sync(p: number, len: number): number;
  btfkit_enc_unit(ui: number, idOff: number, st: number): number;
  btfkit_enc_out(): number;
  btfkit_enc_base_index(): number;
  btfkit_enc_abbrevs(
    n: number, tag: number, children: number, attrStart: number, attrCount: number, fixed: number, nAttrs: number, name: number,
    form: number, cnst: number, size: number, pos: number,
  ): number;
  btfkit_enc_index_unit(ui: number, p: number, end: number, offSize: number, addrSize: number, version: number, byCode: number, nCodes: number): number;
  btfkit_enc_index_at(): number;
  btfkit_enc_use_index(nDies: number): number;
}

const encodeWasm = new LazyInstance<EncodeExports>(ENCODE_WASM, [
  'btfkit_enc_alloc', 'btfkit_enc_input', 'btfkit_enc_init', 'btfkit_enc_sync', 'btfkit_enc_unit', 'btfkit_enc_out',
  'btfkit_enc_base_index', 'btfkit_enc_abbrevs', 'btfkit_enc_index_unit', 'btfkit_enc_index_at',
  'btfkit_enc_use_index', 'btfkit_enc_hold_base', 'btfkit_enc_intern', 'btfkit_enc_base_scan',
]);

/** The module's DWARF sections the C encoder reads (DwarfSections' fields). */
export interface EncodeSections {
  info: Uint8Array;
  str: Uint8Array;
  lineStr: Uint8Array;
  strOffsets: Uint8Array;
  littleEndian: boolean;
}

/** The rest of what the C encoder reads (see encode.c struct input), once the DIEs are indexed. */
export interface EncodeInput {
  /** DwarfInfo.raw() and its DIE count. */
  nDies: number;
  off: Uint32Array;
  abbr: Uint32Array;
  attrOff: Uint32Array;
  par: Int32Array;
  sib: Int32Array;
  unitOf: Uint32Array;
  abbrevs: Abbrevs;
  units: readonly DwarfUnit[];
  /** First own string offset; the own section's bytes so far. */
  startStrOff: number;
  ownStrs: Uint8Array;
}

/**
 * One unit's types as the C encoder made them. `words`, `offs` and `strs` are views of the
 * instance's memory, valid until the encoder's next call (Btf.appendParts copies them).
 */
export interface UnitTypes {
  nTypes: number;
  words: Uint32Array;
  offs: Uint32Array;
  /** The unit's type DIEs in order, and each DIE's position + 1 in it (order.ts CuTypes). */
  order: number[];
  smallId: Int32Array;
  /** Strings added to the own section, NUL-terminated. */
  strs: Uint8Array;
}

/** EncoderState's index-type fields (types.ts), read and updated by `unit`. */
export interface IndexTypeState {
  hasIndexType: boolean;
  arrayIndexId: number;
  needIndexType: boolean;
}

/**
 * The kernel's string section and its StrIndex table when its Btf has one (else one is built
 * in C): held at the bottom of the instance's memory from one module to the next on that kernel.
 */
export interface BaseStrings {
  strs: Uint8Array;
  strLen: number;
  table: { slots: Int32Array; mask: number } | null;
  /**
   * The strings the module's BTF may get besides its DWARF's (NUL-terminated each: its section
   * names, the kfunc decl tags): looked up in the kernel's strings with .debug_str's, when the
   * pass over them is made (made when asked).
   */
  extraStrs(): Uint8Array;
}

/** encode.c struct input's words for the kernel's strings: base_strs, base_len, base_slots, base_mask. */
const BASE_WORDS_AT = 27;
/**
 * A module's .debug_str at most this many times smaller than the kernel's strings: its first
 * encode on a kernel passes over the kernel's strings for the module's (encode.c cand) instead
 * of indexing the kernel's (a small module's .debug_str is 100-300 KB beside a kernel's 2 MB;
 * ld -r keeps every unit's copy of a string, so a large module's is megabytes).
 */
const SCAN_RATIO = 4;

const INPUT_WORDS = 32;
const UNIT_WORDS = 8;
const ENC_BAIL = -1;

/** The words of encode.c struct input: the sections' nine, then the DIE index's. */
const SECTION_WORDS = 9;

export class WasmTypeEncoder {
  private dead = false;
  private nUnits = 0;
  /** Three words for IndexTypeState. */
  private st = 0;
  /** Whether the kernel's strings and table were found in place, left by the last module on this kernel. */
  keptBase = false;
  /** Bytes of the own string section the C encoder has (its mirror): see `sync` and `intern`. */
  ownLen = 0;
  /** The module's first own string offset (the kernel's string section length). */
  private startStrOff = 0;
  /** Room for the bytes of one `intern` call. */
  private scratch = 0;
  private scratchLen = 0;
  /** DIEs indexed here so far, abbreviations and attributes passed in so far; whether every unit was indexed here. */
  private indexed = 0;
  private abN = 0;
  private abAttrs = 0;
  private indexAll = true;

  private constructor(
    private readonly ex: EncodeExports,
    /** encode.c struct input. */
    private readonly inp: number,
  ) {}

  /**
   * The encoder with the kernel's strings (`base`; null: none) and the module's DWARF in its
   * memory, or null when WebAssembly cannot be used or the memory cannot be had. The kernel's
   * strings and their table go first, and stay for the next module on the same kernel (the same
   * bytes: WasmInstance.held).
   */
  static start(sections: EncodeSections, base: BaseStrings | null): WasmTypeEncoder | null {
    const inst = encodeWasm.get();
    if (inst === null) return null;
    const ex = inst.ex;
    try {
      // the held strings are this kernel's, all of them (C takes their length from what it holds)
      const keep = base !== null && base.strLen > 0 && holds(inst.held, base.strs, base.strLen) && inst.held!.n === base.strLen;
      if (!keep) inst.held = null;
      const inp = ex.btfkit_enc_input(keep ? 1 : 0);
      const enc = new WasmTypeEncoder(ex, inp);
      enc.keptBase = keep;
      // the kernel's table: the kernel's Btf's when it has one; for a module whose .debug_str is
      // small beside the kernel's strings, none at first (btfkit_enc_base_scan: one pass over
      // the kernel's strings for the module's); else, or on the next module on this kernel
      // (which finds it kept), StrIndex's, built here
      const scan = base !== null && base.table === null && !keep && sections.str.length * SCAN_RATIO <= base.strLen;
      if (!keep && base !== null && base.strLen > 0) {
        // the kernel's strings with 16 zero bytes after them (the NUL searches read them)
        const ps = enc.put(base.strs.subarray(0, base.strLen), 16);
        const pt = base.table ? enc.put(base.table.slots) : 0;
        new Uint32Array(ex.memory.buffer, inp, INPUT_WORDS).set([ps, base.strLen, pt, base.table ? base.table.mask : 0], BASE_WORDS_AT);
        inst.held = heldOf(base.strs, base.strLen);
      }
      if (base !== null && base.strLen > 0 && !scan && enc.baseTableAt() === 0) {
        // StrIndex's table (sized as strindex.ts tableSlots sizes it), right after the kernel's strings, kept with them
        if (ex.btfkit_enc_base_index() !== 0) {
          encodeWasm.drop();
          return null;
        }
      }
      if (base !== null && base.strLen > 0) ex.btfkit_enc_hold_base();
      const words = [
        enc.put(sections.info), sections.info.length, enc.put(sections.str), sections.str.length,
        enc.put(sections.lineStr), sections.lineStr.length, enc.put(sections.strOffsets), sections.strOffsets.length,
        sections.littleEndian ? 1 : 0,
      ];
      new Uint32Array(ex.memory.buffer, inp, SECTION_WORDS).set(words);
      if (scan) {
        const extra = base.extraStrs();
        if (ex.btfkit_enc_base_scan(enc.put(extra), extra.length) !== 0) {
          encodeWasm.drop();
          return null;
        }
      }
      return enc;
    } catch {
      encodeWasm.drop();
      return null;
    }
  }

  /** Where the kernel's string table is in the instance's memory (0: none). */
  private baseTableAt(): number {
    return new Uint32Array(this.ex.memory.buffer, this.inp, INPUT_WORDS)[BASE_WORDS_AT + 2]!;
  }

  /** A copy of the kernel's string table the C encoder has (StrIndex's layout), or null: none (yet). */
  baseTable(): { slots: Int32Array; mask: number } | null {
    const w = new Uint32Array(this.ex.memory.buffer, this.inp, INPUT_WORDS);
    const slots = w[BASE_WORDS_AT + 2]!;
    const mask = w[BASE_WORDS_AT + 3]!;
    return slots === 0 ? null : { slots: new Int32Array(this.ex.memory.buffer, slots, (mask + 1) * 2).slice(), mask };
  }

  /** How many DIEs were indexed here (all of them when every unit was). */
  get indexedDies(): number {
    return this.indexAll ? this.indexed : -1;
  }

  /** Room for `bytes` in the instance's memory (which may grow: views are made afresh after). */
  private take(bytes: number): number {
    const p = this.ex.btfkit_enc_alloc(Math.max(bytes, 8));
    if (p === 0) throw new RangeError('encode.wasm: out of memory');
    return p;
  }

  /** `data` copied into the instance's memory (then `zeros` zero bytes): where. */
  private put(data: Uint8Array | Uint32Array | Int32Array | Float64Array, zeros = 0): number {
    const p = this.take(data.byteLength + zeros);
    const m = new Uint8Array(this.ex.memory.buffer);
    m.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), p);
    if (zeros) m.fill(0, p + data.byteLength, p + data.byteLength + zeros);
    return p;
  }

  /**
   * DwarfInfo's indexer (its constructor's `indexer`): each unit's DIEs indexed in C, where the
   * encoder keeps them; null (the JavaScript indexes the unit, and from then on every unit)
   * where the C code stops short of the JavaScript's walk.
   */
  readonly indexer: DieIndexer = (u) => {
    if (this.dead || !this.indexAll || u.firstDie !== this.indexed) {
      this.indexAll = false;
      return null;
    }
    const ex = this.ex;
    try {
      const a = u.abbrevs;
      if (a.n > this.abN || a.nAttrs > this.abAttrs) {
        const n0 = this.abN, a0 = this.abAttrs;
        const args = [
          this.put(a.tag.subarray(n0, a.n)), this.put(a.children.subarray(n0, a.n)), this.put(a.attrStart.subarray(n0, a.n)),
          this.put(a.attrCount.subarray(n0, a.n)), this.put(a.fixedSize.subarray(n0, a.n)),
          this.put(a.attrName.subarray(a0, a.nAttrs)), this.put(a.attrForm.subarray(a0, a.nAttrs)), this.put(a.attrConst.subarray(a0, a.nAttrs)),
          this.put(a.attrSize.subarray(a0, a.nAttrs)), this.put(a.attrPos.subarray(a0, a.nAttrs)),
        ] as const;
        if (ex.btfkit_enc_abbrevs(a.n - n0, args[0], args[1], args[2], args[3], args[4], a.nAttrs - a0, args[5], args[6], args[7], args[8], args[9]) !== 0) {
          this.indexAll = false;
          return null;
        }
        this.abN = a.n;
        this.abAttrs = a.nAttrs;
      }
      const codes = this.put(u.byCode);
      const r = ex.btfkit_enc_index_unit(u.ui, u.p, u.end, u.unit.offSize, u.unit.addrSize, u.unit.version, codes, u.byCode.length);
      if (r < 0) {
        this.indexAll = false;
        return null;
      }
      const buf = ex.memory.buffer;
      const at = new Uint32Array(buf, ex.btfkit_enc_index_at(), 5);
      const first = u.firstDie * 4;
      this.indexed += r;
      return {
        count: r,
        off: new Uint32Array(buf, at[0]! + first, r),
        abbr: new Uint32Array(buf, at[1]! + first, r),
        attrOff: new Uint32Array(buf, at[2]! + first, r),
        par: new Int32Array(buf, at[3]! + first, r),
        sib: new Int32Array(buf, at[4]! + first, r),
      };
    } catch {
      this.end();
      this.indexAll = false;
      return null;
    }
  };

  /**
   * The rest of the input (the DIE index and abbreviations are the ones made here when every
   * unit was indexed here, else copied in); false ends the encoder.
   */
  open(input: EncodeInput): boolean {
    if (this.dead) return false;
    const ex = this.ex;
    try {
      const a = input.abbrevs;
      const n = input.nDies;
      const useOwn = this.indexAll && this.indexed === n && this.abN === a.n && this.abAttrs === a.nAttrs && ex.btfkit_enc_use_index(n) === 0;
      const unitWords = new Uint32Array(input.units.length * UNIT_WORDS);
      input.units.forEach((u, i) => unitWords.set([u.offset, u.end, u.version, u.offSize, u.addrSize, u.firstDie, u.endDie, u.strOffsetsBase], i * UNIT_WORDS));
      const index = useOwn ? null : [
        this.put(input.off.subarray(0, n)), this.put(input.abbr.subarray(0, n)), this.put(input.attrOff.subarray(0, n)),
        this.put(input.par.subarray(0, n)), this.put(input.sib.subarray(0, n)), this.put(input.unitOf.subarray(0, n)), n,
        this.put(a.tag.subarray(0, a.n)), this.put(a.children.subarray(0, a.n)), this.put(a.attrStart.subarray(0, a.n)),
        this.put(a.attrCount.subarray(0, a.n)), this.put(a.attrName.subarray(0, a.nAttrs)), this.put(a.attrForm.subarray(0, a.nAttrs)),
        this.put(a.attrConst.subarray(0, a.nAttrs)), this.put(a.attrSize.subarray(0, a.nAttrs)), this.put(a.attrPos.subarray(0, a.nAttrs)),
      ];
      const units = this.put(unitWords);
      this.st = this.take(12);
      const own = input.ownStrs.length > 0 ? this.put(input.ownStrs) : 0;
      const words = new Uint32Array(ex.memory.buffer, this.inp, INPUT_WORDS);
      if (index !== null) words.set(index, SECTION_WORDS);
      // units, then (after the kernel's strings, set by start) the first own string offset
      words.set([units, input.units.length], SECTION_WORDS + 16);
      words[BASE_WORDS_AT + 4] = input.startStrOff;
      if (ex.btfkit_enc_init() !== 0) return this.end();
      if (own !== 0 && ex.btfkit_enc_sync(own, input.ownStrs.length) !== 0) return this.end();
      this.ownLen = input.ownStrs.length;
      this.startStrOff = input.startStrOff;
      this.nUnits = input.units.length;
      return true;
    } catch {
      return this.end();
    }
  }
  /** Tells the encoder the strings the JavaScript added to the own section (`strs`, NUL-terminated each); false ends it. */
  sync(strs: Uint8Array): boolean {
    if (this.dead) return false;
    if (strs.length === 0) return true;
    try {
      const p = this.ex.btfkit_enc_alloc(strs.length);
      if (p === 0) return this.end();
      new Uint8Array(this.ex.memory.buffer, p, strs.length).set(strs);
      if (this.ex.btfkit_enc_sync(p, strs.length) !== 0) return this.end();
      this.ownLen += strs.length;
      return true;
    } catch {
      return this.end();
    }
  }

  /** Unit `ui`'s types after type id `idOff`, `state` updated; null: the JavaScript encodes this unit. */
  unit(ui: number, idOff: number, state: IndexTypeState): UnitTypes | null {
    if (this.dead || ui >= this.nUnits) return null;
    const ex = this.ex;
    try {
      new Uint32Array(ex.memory.buffer, this.st, 3).set([state.hasIndexType ? 1 : 0, state.arrayIndexId >>> 0, state.needIndexType ? 1 : 0]);
      const r = ex.btfkit_enc_unit(ui, idOff, this.st);
      if (r === ENC_BAIL) return null;
      const buf = ex.memory.buffer;
      const s = new Uint32Array(buf, this.st, 3);
      state.hasIndexType = s[0] !== 0;
      state.arrayIndexId = s[1]!;
      state.needIndexType = s[2] !== 0;
      const o = new Uint32Array(buf, ex.btfkit_enc_out(), 10);
      const [pw, nw, po, nt, pord, nord, psmall, nsmall, ps, ns] = o;
      // the caller appends the unit's strings (Btf.appendParts), which the mirror has already
      this.ownLen += ns!;
      return {
        nTypes: nt!,
        words: new Uint32Array(buf, pw!, nw!),
        offs: new Uint32Array(buf, po!, nt!),
        order: Array.from(new Uint32Array(buf, pord!, nord!)),
        smallId: new Int32Array(buf, psmall!, nsmall!).slice(),
        strs: new Uint8Array(buf, ps!, ns!),
      };
    } catch {
      this.end();
      return null;
    }
  }

  /**
   * StrInterner (Btf.setInterner, src/model/format.ts) for the module's Btf while it is encoded: btf__add_str of
   * src[at, at + n) in C, which has the kernel's and the own strings' tables (the JavaScript
   * then builds neither). When the string is new, C has appended it to its mirror and the Btf
   * appends it to its section (the same offset). -1 when the encoder has ended.
   */
  intern(src: Uint8Array, at: number, n: number, end: number): number {
    if (this.dead) return -1;
    // the Btf's section and the mirror out of step (a string added some other way): the
    // JavaScript takes over from here
    if (end !== this.startStrOff + this.ownLen) return this.end() || -1;
    const ex = this.ex;
    try {
      if (n + 1 > this.scratchLen) {
        this.scratchLen = Math.max(256, 2 * (n + 1));
        this.scratch = this.take(this.scratchLen);
      }
      new Uint8Array(ex.memory.buffer, this.scratch, n).set(src.subarray(at, at + n));
      const before = this.startStrOff + this.ownLen;
      const off = ex.btfkit_enc_intern(this.scratch, n);
      if (off < 0) return this.end() || -1;
      if (off === before) this.ownLen += n + 1;
      else if (off > before) return this.end() || -1;
      return off;
    } catch {
      this.end();
      return -1;
    }
  }

  private end(): false {
    this.dead = true;
    encodeWasm.drop();
    return false;
  }
}
