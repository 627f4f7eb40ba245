/**
 * The file `rewriteElf` writes, laid over its input: bytes [0, keptEnd) are the input's own
 * except where something is written there (a section rewritten in place, the ELF header's
 * e_shoff and e_shnum), and the rest (moved and added sections, the section header table) is
 * new. `parts()` gives the file as slices of the input and of the written bytes, in order, so
 * that a large module whose DWARF stays where it is (a ZFS build: 105 MB, of which a few
 * hundred KB of BTF are new) is written from the input's own memory, without a second copy.
 *
 * Approach: writes below keptEnd go to patch regions, kept sorted and disjoint; a write that
 * touches or adjoins regions merges them into one (copied from the input, then the regions'
 * bytes over it). There are a handful of such writes per file, so regions are a plain array.
 */

interface Patch {
  start: number;
  bytes: Uint8Array;
}

export class PatchedOutput {
  /** Bytes [keptEnd, total), and a view of them for header fields. */
  private readonly tail: Uint8Array;
  private readonly tailView: DataView;
  private readonly patches: Patch[] = [];

  constructor(
    private readonly input: Uint8Array,
    private readonly keptEnd: number,
    readonly total: number,
  ) {
    this.tail = new Uint8Array(total - keptEnd);
    this.tailView = new DataView(this.tail.buffer);
  }

  /** Writes `data` at file offset `off`. */
  set(data: Uint8Array, off: number): void {
    if (data.length === 0) return;
    const k = this.keptEnd;
    if (off + data.length > k) this.tail.set(off >= k ? data : data.subarray(k - off), Math.max(off, k) - k);
    if (off < k) this.region(off, Math.min(off + data.length, k)).set(data.subarray(0, Math.min(data.length, k - off)));
  }

  /** Writes `v` at [start, end). */
  fill(v: number, start: number, end: number): void {
    if (end <= start) return;
    const k = this.keptEnd;
    if (end > k) this.tail.fill(v, Math.max(start, k) - k, end - k);
    if (start < k) this.region(start, Math.min(end, k)).fill(v);
  }

  /** A 16-bit or 32-bit field at `off`, in the given byte order. */
  setU16(off: number, v: number, le: boolean): void {
    if (off >= this.keptEnd) this.tailView.setUint16(off - this.keptEnd, v, le);
    else this.set(le ? new Uint8Array([v & 0xff, (v >>> 8) & 0xff]) : new Uint8Array([(v >>> 8) & 0xff, v & 0xff]), off);
  }

  setU32(off: number, v: number, le: boolean): void {
    if (off >= this.keptEnd) {
      this.tailView.setUint32(off - this.keptEnd, v >>> 0, le);
      return;
    }
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, le);
    this.set(b, off);
  }

  /** The file, in order: input slices, patched regions, the new tail (empty parts left out). */
  parts(): Uint8Array[] {
    const out: Uint8Array[] = [];
    let pos = 0;
    for (const p of this.patches) {
      if (p.start > pos) out.push(this.prefix(pos, p.start));
      out.push(p.bytes);
      pos = p.start + p.bytes.length;
    }
    if (pos < this.keptEnd) out.push(this.prefix(pos, this.keptEnd));
    if (this.tail.length > 0) out.push(this.tail);
    return out;
  }

  /** The whole file in one buffer. */
  bytes(): Uint8Array {
    return concatBytes(this.parts());
  }

  /** Input bytes [a, b) (zeros past the input's end, as a copy into a zeroed file left them). */
  private prefix(a: number, b: number): Uint8Array {
    if (b <= this.input.length) return this.input.subarray(a, b);
    const z = new Uint8Array(b - a);
    if (a < this.input.length) z.set(this.input.subarray(a));
    return z;
  }

  /** A writable view of [start, end) (below keptEnd), merging the regions it touches or adjoins. */
  private region(start: number, end: number): Uint8Array {
    const ps = this.patches;
    let i = 0;
    while (i < ps.length && ps[i]!.start + ps[i]!.bytes.length < start) i++;
    let j = i;
    while (j < ps.length && ps[j]!.start <= end) j++;
    if (j === i + 1 && ps[i]!.start <= start && ps[i]!.start + ps[i]!.bytes.length >= end) {
      const p = ps[i]!;
      return p.bytes.subarray(start - p.start, end - p.start);
    }
    const lo = j > i ? Math.min(start, ps[i]!.start) : start;
    const hi = j > i ? Math.max(end, ps[j - 1]!.start + ps[j - 1]!.bytes.length) : end;
    const merged = new Uint8Array(hi - lo);
    merged.set(this.prefix(lo, hi));
    for (let k = i; k < j; k++) merged.set(ps[k]!.bytes, ps[k]!.start - lo);
    ps.splice(i, j - i, { start: lo, bytes: merged });
    return merged.subarray(start - lo, end - lo);
  }
}

/** `parts` one after the other, in one new buffer (rewriteElfParts' parts made one file). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    out.set(p, n);
    n += p.length;
  }
  return out;
}
