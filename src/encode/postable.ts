/**
 * The encoder's string cache: DwarfInfo.strPos (where a DWARF string's bytes are) → the BTF
 * string offset it was interned at. Kernel headers repeat the same member and type names in
 * every unit, so most lookups hit.
 *
 * Approach: open addressing over one Int32Array of (key + 1, value) pairs, linear probing,
 * grown at half load. A Map keyed by numbers held millions of entries for a large module (a ZFS build:
 * 2.3M DIEs) and spent most of the encoder's time in its lookups and rehashing; the typed
 * arrays hold 8 bytes per slot and nothing for the garbage collector to trace.
 */

/** Positions the table can hold (keys are stored as pos + 1 in an Int32Array). */
export const MAX_POS = 0x7ffffffe;

const HASH = 0x9e3779b1 | 0;

export class PosTable {
  /** Slot i: key + 1 at 2i (0: empty), value at 2i + 1 (one cache line for both). */
  private slots: Int32Array;
  private mask: number;
  /** 32 - log2(capacity): the slot is the top bits of the multiplicative hash. */
  private shift: number;
  private count = 0;

  constructor(capacity = 4096) {
    let cap = 1024;
    while (cap < capacity) cap <<= 1;
    this.slots = new Int32Array(cap * 2);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  /** The value stored for `pos` (0 <= pos < MAX_POS), or -1. */
  get(pos: number): number {
    const slots = this.slots;
    const mask = this.mask;
    const k = pos + 1;
    for (let i = Math.imul(k, HASH) >>> this.shift; ; i = (i + 1) & mask) {
      const v = slots[2 * i]!;
      if (v === k) return slots[2 * i + 1]!;
      if (v === 0) return -1;
    }
  }

  /** Stores `val` (>= 0) for `pos`, which is not in the table yet. */
  set(pos: number, val: number): void {
    if ((this.count + 1) * 2 > this.mask + 1) this.grow();
    this.insert(pos + 1, val);
    this.count++;
  }

  private insert(k: number, val: number): void {
    const slots = this.slots;
    const mask = this.mask;
    let i = Math.imul(k, HASH) >>> this.shift;
    while (slots[2 * i] !== 0) i = (i + 1) & mask;
    slots[2 * i] = k;
    slots[2 * i + 1] = val;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    this.shift--;
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) this.insert(old[i]!, old[i + 1]!);
  }
}
