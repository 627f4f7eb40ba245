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
import { recordWords, ELEM_ID, ELEM_START, ELEM_STR, ELEM_WORDS, ID_FIXED, ID_WORD1, ID_WORD2 } from '../format/kinds.js';
import { Btf } from '../model/btf.js';
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
  // source local string offset -> destination offset + 1 (0: not yet looked up)
  const cache = new Uint32Array(s.strLen + 1);
  let buf = new Uint32Array(64);
  for (let i = 0; i < s.nTypes; i++) {
    const o = s.offs[i]!;
    const n = lens[i]!;
    if (buf.length < n) buf = new Uint32Array(n);
    for (let j = 0; j < n; j++) buf[j] = s.words[o + j]!;
    const info = buf[1]!;
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    // string fields (libbpf's string iterator order): name, then each element's name
    const es = ELEM_STR[kind]!;
    const ew = ELEM_WORDS[kind]!;
    const ns = es < 0 ? 0 : vlen;
    for (let j = -1, p = 0; j < ns; j++) {
      const so = buf[p]!;
      if (so !== 0 && so >= startStr) {
        const local = so - startStr;
        if (local >= s.strLen) throw new BtfkitError('BTF_TYPE_REF', `add_btf: invalid string offset ${so}`);
        let r = cache[local]!;
        if (r === 0) {
          let e = local;
          while (e < s.strLen && s.strs[e] !== 0) e++;
          r = dst.addStrKey(latin1Key(s.strs, local, e)) + 1;
          cache[local] = r;
        }
        buf[p] = r - 1;
      }
      p = j < 0 ? ELEM_START[kind]! + es : p + ew;
    }
    // id fields: own ids shifted, void and base ids kept
    const nf = ID_FIXED[kind]!;
    if (nf > 0) buf[ID_WORD1[kind]!] = shiftId(buf[ID_WORD1[kind]!]!, srcStartId, shift);
    if (nf > 1) buf[ID_WORD2[kind]!] = shiftId(buf[ID_WORD2[kind]!]!, srcStartId, shift);
    const ei = ELEM_ID[kind]!;
    if (ei >= 0) for (let j = 0, p = ELEM_START[kind]! + ei; j < vlen; j++, p += ew) buf[p] = shiftId(buf[p]!, srcStartId, shift);
    dst.addRecordFrom(buf, 0, n);
  }
  return firstId;
}

function shiftId(id: number, srcStartId: number, shift: number): number {
  return id === 0 || id < srcStartId ? id : id + shift;
}

/** `btfkit merge`: an empty BTF (split on `base` when given), every source added, then dedup. */
export function mergeBtfs(srcs: readonly Btf[], base: Btf | null = null): DedupResult {
  const dst = base ? Btf.createSplit(base) : Btf.create();
  for (const s of srcs) addBtf(dst, s);
  return dedup(dst, { stringsDeduped: true });
}
