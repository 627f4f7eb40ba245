/**
 * dedup — libbpf `btf__dedup()` in TypeScript, byte-identical output plus the id map.
 *
 * Approach: the stages run in libbpf's order on a private copy of the records (the input Btf
 * is never modified): base hashing (prim.ts), strings (strings.ts), primitive types (prim.ts),
 * structs/unions/typedefs by graph equivalence (struct.ts), unambiguous FWDs and reference
 * types (ref.ts), compaction and remapping (compact.ts). The candidate table replays the order
 * of libbpf's hashmap (table.ts), which decides which duplicate becomes canonical.
 *
 * Reference behaviour: libbpf v1.7.0 btf__dedup() with default options (no .BTF.ext, FWD
 * resolution on, no forced hash collisions). The result keeps the input's byte order; a split
 * input yields a split result on the same base.
 */

import { Btf } from '../../model/btf.js';
import { BtfkitError, Errno } from '../../errors.js';
import { newState } from './state.js';
import { dedupStrings, stringsLookDeduped } from './strings.js';
import { ownSections } from './access.js';
import { dedupPrep, dedupPrimTypes } from './prim.js';
import { dedupStructTypes } from './struct.js';
import { dedupResolveFwds, dedupRefTypes } from './ref.js';
import { compactAndRemap } from './compact.js';

export interface DedupOptions {
  /** The base the input is split on; must be the input's own base when given. */
  base?: Btf | null;
  /**
   * Whether libbpf would consider the strings already deduplicated (then they are kept as
   * they are). Default: as libbpf decides for a parsed object (an empty split string section,
   * or a base one holding only "\0"). Objects built by add_btf (merge) pass true.
   */
  stringsDeduped?: boolean;
}

export interface DedupResult {
  btf: Btf;
  /** Old id -> new id for every id of the input (base ids map to themselves); built on first read. */
  readonly idMap: Uint32Array;
}

export function dedup(btf: Btf, opts: DedupOptions = {}): DedupResult {
  if (opts.base !== undefined && opts.base !== btf.base) {
    throw new BtfkitError('BTF_INVALID', 'dedup: the BTF is not split on the given base', { errno: Errno.EINVAL });
  }
  const d = newState(btf);
  const skipStrings = opts.stringsDeduped ?? stringsLookDeduped(btf);
  dedupPrep(d, !skipStrings);
  let strs: Uint8Array;
  let strLen: number;
  if (skipStrings) {
    const own = ownSections(btf);
    strs = own.strs.slice(0, Math.max(own.strLen, 1));
    strLen = own.strLen;
  } else {
    ({ strs, strLen } = dedupStrings(d));
  }
  dedupPrimTypes(d);
  dedupStructTypes(d);
  dedupResolveFwds(d);
  dedupRefTypes(d);
  const c = compactAndRemap(d);
  const out = Btf.fromParts(btf.base, btf.endian, { words: c.words, nWords: c.nWords, offs: c.offs, nTypes: c.nTypes, strs, strLen });
  out.ptrSize = btf.ptrSize;
  return { btf: out, idMap: c.idMap };
}
