/**
 * The type encoder of encode.c, from JavaScript (src/encode/index.ts runs it unit by unit):
 * the module's DWARF (relocated), its DIE index (DwarfInfo), the kernel's strings and their
 * index (StrIndex) are copied into the instance's memory once; each unit's records, type order
 * and new strings are copied out. No `node:` import.
 *
 * `open` gives null where WebAssembly cannot be used (wasm.ts LazyInstance) and `unit` gives
 * null where the C code stops short of what the JavaScript would do for that unit (encode.c
 * ENC_BAIL): the caller then encodes that unit in JavaScript, tells this encoder the strings
 * it added (`sync`), and goes on. A trap ends the encoder (every later unit: JavaScript).
 */

import { ENCODE_WASM } from './encode-wasm.js';
import { LazyInstance, type WasmBaseExports } from './wasm.js';

interface EncodeExports extends WasmBaseExports {
  btfkit_enc_alloc(n: number): number;
  btfkit_enc_input(): number;
  btfkit_enc_init(): number;
  btfkit_enc_sync(p: number, len: number): number;
  btfkit_enc_unit(ui: number, idOff: number, st: number): number;
  btfkit_enc_out(): number;
  btfkit_enc_base_index(cap: number): number;
  btfkit_enc_base_table(): number;
}

const encodeWasm = new LazyInstance<EncodeExports>(ENCODE_WASM, [
  'btfkit_enc_alloc', 'btfkit_enc_input', 'btfkit_enc_init', 'btfkit_enc_sync', 'btfkit_enc_unit', 'btfkit_enc_out',
  'btfkit_enc_base_index', 'btfkit_enc_base_table',
]);

/** What the C encoder reads (see encode.c struct input). */
export interface EncodeInput {
  info: Uint8Array;
  str: Uint8Array;
  lineStr: Uint8Array;
  strOffsets: Uint8Array;
  littleEndian: boolean;
  /** DwarfInfo.raw() and its DIE count. */
  nDies: number;
  off: Uint32Array;
  abbr: Uint32Array;
  attrOff: Uint32Array;
  par: Int32Array;
  sib: Int32Array;
  unitOf: Uint32Array;
  /** Abbrevs' arrays (n abbreviations, nAttrs attributes). */
  abbrevs: {
    n: number; nAttrs: number; tag: Uint32Array; children: Uint8Array; attrStart: Uint32Array; attrCount: Uint32Array;
    attrName: Uint32Array; attrForm: Uint32Array; attrConst: Float64Array; attrSize: Int32Array; attrPos: Int32Array;
  };
  units: ReadonlyArray<{ offset: number; end: number; version: number; offSize: number; addrSize: number; firstDie: number; endDie: number; strOffsetsBase: number }>;
  /**
   * The kernel's string section and its StrIndex table (null: no base); without a table, one
   * is built here (see baseTable).
   */
  base: { strs: Uint8Array; strLen: number; table: { slots: Int32Array; mask: number } | null } | null;
  /** First own string offset; the own section's bytes so far. */
  startStrOff: number;
  ownStrs: Uint8Array;
}

/** One unit's types as the C encoder made them. */
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

/** A StrIndex table: (offset + 1, hash) pairs, mask + 1 of them, count strings. */
export interface BaseTable {
  slots: Int32Array;
  mask: number;
  count: number;
}

const INPUT_WORDS = 32;
const UNIT_WORDS = 8;
const ENC_BAIL = -1;

export class WasmTypeEncoder {
  private dead = false;

  private constructor(
    private readonly ex: EncodeExports,
    private readonly nUnits: number,
    /** Three words for IndexTypeState. */
    private readonly st: number,
    /** The kernel's string table built here (when the input had none), for the kernel's Btf to take over. */
    readonly baseTable: BaseTable | null,
  ) {}

  /** The encoder with `input` in its memory, or null when WebAssembly cannot be used or the memory cannot be had. */
  static open(input: EncodeInput): WasmTypeEncoder | null {
    const inst = encodeWasm.get();
    if (inst === null) return null;
    const ex = inst.ex;
    try {
      const inp = ex.btfkit_enc_input();
      const a = input.abbrevs;
      const n = input.nDies;
      // the buffers first (memory may grow on each), then the copies through fresh views
      const take = (bytes: number): number => {
        const p = ex.btfkit_enc_alloc(Math.max(bytes, 8));
        if (p === 0) throw new RangeError('encode.wasm: out of memory');
        return p;
      };
      const blobs: Array<[number, Uint8Array | Uint32Array | Int32Array | Float64Array]> = [];
      const put = (data: Uint8Array | Uint32Array | Int32Array | Float64Array, zeros = 0): number => {
        const p = take(data.byteLength + zeros);
        blobs.push([p, data]);
        if (zeros) blobs.push([p + data.byteLength, new Uint8Array(zeros)]);
        return p;
      };
      const unitWords = new Uint32Array(input.units.length * UNIT_WORDS);
      input.units.forEach((u, i) => unitWords.set([u.offset, u.end, u.version, u.offSize, u.addrSize, u.firstDie, u.endDie, u.strOffsetsBase], i * UNIT_WORDS));
      const base = input.base;
      const words = [
        put(input.info), input.info.length, put(input.str), input.str.length, put(input.lineStr), input.lineStr.length,
        put(input.strOffsets), input.strOffsets.length, input.littleEndian ? 1 : 0,
        put(input.off.subarray(0, n)), put(input.abbr.subarray(0, n)), put(input.attrOff.subarray(0, n)),
        put(input.par.subarray(0, n)), put(input.sib.subarray(0, n)), put(input.unitOf.subarray(0, n)), n,
        put(a.tag.subarray(0, a.n)), put(a.children.subarray(0, a.n)), put(a.attrStart.subarray(0, a.n)), put(a.attrCount.subarray(0, a.n)),
        put(a.attrName.subarray(0, a.nAttrs)), put(a.attrForm.subarray(0, a.nAttrs)), put(a.attrConst.subarray(0, a.nAttrs)),
        put(a.attrSize.subarray(0, a.nAttrs)), put(a.attrPos.subarray(0, a.nAttrs)),
        put(unitWords), input.units.length,
        // the kernel's strings with 16 zero bytes after them (the table's NUL search reads them)
        base ? put(base.strs.subarray(0, base.strLen), 16) : 0, base ? base.strLen : 0,
        base?.table ? put(base.table.slots) : 0, base?.table ? base.table.mask : 0,
        input.startStrOff,
      ];
      if (words.length !== INPUT_WORDS) throw new Error('encode.ts: input layout');
      const st = take(12);
      const own = input.ownStrs.length > 0 ? put(input.ownStrs) : 0;
      const buf = ex.memory.buffer;
      for (const [p, data] of blobs) new Uint8Array(buf, p, data.byteLength).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      new Uint32Array(buf, inp, INPUT_WORDS).set(words);
      if (ex.btfkit_enc_init() !== 0) return null;
      if (own !== 0 && ex.btfkit_enc_sync(own, input.ownStrs.length) !== 0) return null;
      let built: BaseTable | null = null;
      if (base !== null && base.table === null) {
        // StrIndex's first size: the section's length / 8, at least 1024 slots
        let cap = 1024;
        while (cap < base.strLen / 8) cap <<= 1;
        if (ex.btfkit_enc_base_index(cap) !== 0) return null;
        const t = new Uint32Array(ex.memory.buffer, ex.btfkit_enc_base_table(), 3);
        const [slots, mask, count] = [t[0]!, t[1]!, t[2]!];
        built = { slots: new Int32Array(ex.memory.buffer, slots, (mask + 1) * 2).slice(), mask, count };
      }
      return new WasmTypeEncoder(ex, input.units.length, st, built);
    } catch {
      encodeWasm.drop();
      return null;
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
      return this.ex.btfkit_enc_sync(p, strs.length) === 0 || this.end();
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
      const [pw, nw, po, nt, pord, nord, psmall, nsmall, ps, ns] = o as unknown as number[];
      return {
        nTypes: nt!,
        words: new Uint32Array(buf, pw!, nw!).slice(),
        offs: new Uint32Array(buf, po!, nt!).slice(),
        order: Array.from(new Uint32Array(buf, pord!, nord!)),
        smallId: new Int32Array(buf, psmall!, nsmall!).slice(),
        strs: new Uint8Array(buf, ps!, ns!).slice(),
      };
    } catch {
      this.end();
      return null;
    }
  }

  private end(): false {
    this.dead = true;
    encodeWasm.drop();
    return false;
  }
}
