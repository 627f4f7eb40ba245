/**
 * addBtf — libbpf `btf__add_btf()`: append all own types of one BTF to another; merge — add
 * every input to an empty BTF, then dedup (what `btfkit merge` does).
 *
 * Approach: each source record is copied verbatim, then its string fields are re-interned in
 * the destination (empty-string and base-chain offsets left as they are; a per-source-offset
 * cache so each distinct string is looked up once) and its type-id fields shifted by the
 * distance between the source's first own id and the destination's next id (void and base ids
 * left as they are). A split source must be split on the destination's very base object.
 * A source record of an unknown kind aborts before the destination changes, and so does a
 * source without types added to a destination without types (libbpf fails there with ENOMEM:
 * it requests room for zero entries in an offset index it never allocated).
 *
 * Reference behaviour: libbpf v1.7.0 btf__add_btf (-EOPNOTSUPP for a foreign base; strings
 * through btf__add_str, which prefers the base chain's copy); a BTF built by add_btf on an
 * empty BTF has its strings marked as deduplicated, so the following btf__dedup keeps the
 * string section as built.
 */

import { BtfkitError, Errno } from '../errors.js';
import { recordWords } from '../format/kinds.js';
import { Btf } from '../model/btf.js';
import { visitIdFields, visitStrFields } from '../model/iter.js';
import { latin1Key } from '../model/strings.js';
import { ownSections } from './dedup/access.js';
import { dedup, type DedupResult } from './dedup/index.js';

/** Appends every own type of `src` to `dst`; returns the id the first one got. */
export function addBtf(dst: Btf, src: Btf): number {
  if (src.base && src.base !== dst.base) {
    throw new BtfkitError('BTF_INVALID', 'add_btf: the source is split on another base than the destination', { errno: Errno.ENOTSUP });
  }
  const s = ownSections(src);
  if (s.nTypes === 0 && dst.typeCount() === dst.startId) {
    // libbpf v1.7.0 asks for room for zero more type offsets in a destination whose offset
    // index was never allocated, gets NULL back and reports ENOMEM
    throw new BtfkitError('BTF_INVALID', 'add_btf: a source without types cannot be added to a destination without types (libbpf: Cannot allocate memory)', { errno: Errno.ENOMEM });
  }
  const lens = new Uint32Array(s.nTypes);
  for (let i = 0; i < s.nTypes; i++) {
    const o = s.offs[i]!;
    const info = s.words[o + 1]!;
    const n = recordWords((info >>> 24) & 0x1f, info & 0xffff);
    if (n < 0 || o + n > s.nWords) {
      throw new BtfkitError('BTF_TYPES', `add_btf: type [${src.startId + i}] has unsupported kind ${(info >>> 24) & 0x1f}`, { where: { typeId: src.startId + i } });
    }
    lens[i] = n;
  }
  const srcStartId = src.startId;
  const shift = dst.typeCount() - srcStartId;
  const firstId = dst.typeCount();
  const startStr = src.startStrOff;
  const cache = new Map<number, number>();
  const rec = new Uint32Array(64);
  let buf = rec;
  const fixStr = (p: number): void => {
    const so = buf[p]!;
    if (so === 0 || so < startStr) return;
    let r = cache.get(so);
    if (r === undefined) {
      const local = so - startStr;
      if (local >= s.strLen) throw new BtfkitError('BTF_TYPE_REF', `add_btf: invalid string offset ${so}`);
      let e = local;
      while (e < s.strLen && s.strs[e] !== 0) e++;
      r = dst.addStrKey(latin1Key(s.strs, local, e));
      cache.set(so, r);
    }
    buf[p] = r;
  };
  const fixId = (p: number): void => {
    const id = buf[p]!;
    if (id === 0 || id < srcStartId) return;
    buf[p] = id + shift;
  };
  for (let i = 0; i < s.nTypes; i++) {
    const o = s.offs[i]!;
    const n = lens[i]!;
    if (buf.length < n) buf = new Uint32Array(n);
    buf.set(s.words.subarray(o, o + n));
    const info = buf[1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    visitStrFields(buf, 0, kind, vlen, fixStr);
    visitIdFields(buf, 0, kind, vlen, fixId);
    dst.addRecordFrom(buf, 0, n);
  }
  return firstId;
}

/** `btfkit merge`: an empty BTF (split on `base` when given), every source added, then dedup. */
export function mergeBtfs(srcs: readonly Btf[], base: Btf | null = null): DedupResult {
  const dst = base ? Btf.createSplit(base) : Btf.create();
  for (const s of srcs) addBtf(dst, s);
  return dedup(dst, { stringsDeduped: true });
}
