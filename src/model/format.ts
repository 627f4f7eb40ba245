/**
 * The shapes around the BTF model: byte order, header fields, the raw storage view that hot
 * loops read (BtfRaw), the sections handed to Btf.fromParts, the header-driven format (masks
 * of the classic and the 2026 format), and the keys of values derived from a model.
 */

export type Endian = 'little' | 'big';

export const HOST_ENDIAN: Endian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 'little' : 'big';

/** Header fields as found in (or written to) the raw bytes. */
export interface BtfHeader {
  magic: number;
  version: number;
  flags: number;
  hdrLen: number;
  typeOff: number;
  typeLen: number;
  strOff: number;
  strLen: number;
  /** 2026 format: offset/length of the layout section (0 when absent). */
  layoutOff: number;
  layoutLen: number;
}

export interface BtfOptions {
  endian?: Endian;
}

/**
 * The storage of a Btf as its `raw()` view shows it: the live arrays (not copies), read-only to
 * everyone but the model. Hot loops (serializer, dumps, distill, relocate) read it directly;
 * writers go through the model (`fromParts`, `setWord`, the add* builders).
 */
export interface BtfRaw {
  /** Own type records as host-order u32 words; only [0, nWords) is used. */
  readonly words: Uint32Array;
  readonly nWords: number;
  /** Word offset of each own type record; only [0, nTypes) is used. */
  readonly offs: Uint32Array;
  readonly nTypes: number;
  /** Own string section; only [0, strLen) is used. */
  readonly strs: Uint8Array;
  readonly strLen: number;
  /** Mask of the kind bits after shifting info right by 24 (0x1f classic, 0x7f in the 2026 format). */
  readonly kindMask: number;
  /** Mask of the vlen bits of info (0xffff classic, 0xffffff in the 2026 format). */
  readonly vlenMask: number;
}

/** BtfRaw, writable: the model's own view of its storage. */
export type Storage = { -readonly [K in keyof BtfRaw]: BtfRaw[K] };

/** Whole sections handed to `Btf.fromParts` (taken over, not copied). */
export interface BtfParts {
  words: Uint32Array;
  nWords: number;
  offs: Uint32Array;
  nTypes: number;
  strs: Uint8Array;
  strLen: number;
  /**
   * `words` and `strs` are views of the caller's bytes (parse of host-order input), exactly
   * their lengths: appending moves them to arrays of the model's own, and the one in-place
   * edit (setWord) copies the records first, so the caller's bytes are never written.
   */
  shared?: boolean;
}

/** The format facts of an assembled object: its header, 2026 layout section, info masks. */
export interface BtfFormat {
  /** Header as parsed (its hdrLen ≥ 32 selects the 2026 masks unless `wide` says otherwise). */
  header?: BtfHeader | null;
  layout?: Uint8Array | null;
  /** 2026 format: 7-bit kind, 24-bit vlen. Default: from `header`. */
  wide?: boolean;
  ptrSize?: number;
}

/** Key of a value derived from a model's content (see Btf.derived). */
export interface DerivedKey<T> {
  readonly name: string;
  /** Phantom: ties the key to its value type. */
  readonly __value?: T;
}

export const CLASSIC_KIND_MASK = 0x1f;
export const CLASSIC_VLEN_MASK = 0xffff;
export const WIDE_KIND_MASK = 0x7f;
export const WIDE_VLEN_MASK = 0xffffff;
/** Header length of the 2026 format (layout_off/layout_len after the classic fields). */
export const WIDE_HDR_LEN = 32;

/**
 * btf__add_str done by someone else while set on a Btf (Btf.setInterner): the encoder's
 * WebAssembly, which has the kernel's and the own strings' tables, so that the JavaScript
 * builds neither while a module is encoded.
 */
export interface StrInterner {
  /**
   * The logical offset of the bytes `src[at, at + n)` (no NUL among them) as btf__add_str
   * gives it: an equal string's (the base chain's first), or, for a new string, `end`, the end
   * of the Btf's string section (startStrOff + strLen), where the Btf appends it. -1: no
   * answer (the Btf does it itself, as without an interner); an interner whose own idea of
   * the section's end is not `end` must give none.
   */
  intern(src: Uint8Array, at: number, n: number, end: number): number;
}
