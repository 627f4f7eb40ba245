/**
 * dedup — libbpf `btf__dedup()` in TypeScript, byte-identical output plus the id map.
 *
 * Approach: the stages run in libbpf's order on a private copy of the records (the input Btf
 * is never modified): base hashing (prim.ts), strings (strings.ts), primitive types (prim.ts),
 * structs/unions/typedefs by graph equivalence (struct.ts), unambiguous FWDs and reference
 * types (ref.ts), compaction and remapping (compact.ts). The candidate table replays the order
 * of libbpf's hashmap (table.ts), which decides which duplicate becomes canonical. When the
 * string stage is skipped the result shares the input's string bytes (a view of exactly their
 * length: both objects only ever append, which moves the appender to a buffer of its own).
 * The base pass and the type stages have twins in C (src/accel/dedup.c), run as WebAssembly
 * where it can be: the same state, word for word (twin.test.ts), at compiled speed from a
 * one-shot command's first type instead of V8's interpreter and baseline tiers.
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
import { buildIdMap, compactAndRemap, finalId } from './compact.js';
import { ELEM_ID, ELEM_START, ELEM_WORDS, ID_FIXED, ID_WORD1, ID_WORD2, INFO_WORDS } from '../../format/kinds.js';
import { dedupAllInWasm, dedupTypesInWasm, type AllInput, type ChainLevel } from '../../accel/dedup.js';

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
  return dedupWith(btf, opts, true);
}

/**
 * dedup, with the base pass and the type stages run in WebAssembly where it can be used
 * (src/accel/dedup.ts) or, with `wasm` false, in JavaScript only (the twin tests compare the two).
 */
export function dedupWith(btf: Btf, opts: DedupOptions, wasm: boolean): DedupResult {
  if (opts.base !== undefined && opts.base !== btf.base) {
    throw new BtfkitError('BTF_INVALID', 'dedup: the BTF is not split on the given base', { errno: Errno.EINVAL });
  }
  const skipStrings = opts.stringsDeduped ?? stringsLookDeduped(btf);
  if (wasm && skipStrings) {
    const r = dedupAllInWasm(allInput(btf));
    if (r !== null) return result(btf, r.words, r.nWords, r.offs, r.nTypes, () => buildIdMap(btf.typeCount(), finalId(r.map, r.renum, btf.startId, btf.typeCount())));
    // no WebAssembly here, or the C code stopped where the JavaScript reports an error: the
    // JavaScript does it all (its WebAssembly parts would stop at the same place)
    wasm = false;
  }
  const d = newState(btf);
  dedupPrep(d, skipStrings, wasm);
  let strs: Uint8Array;
  let strLen: number;
  if (skipStrings) {
    ({ strs, strLen } = keptStrings(btf));
  } else {
    ({ strs, strLen } = dedupStrings(d));
  }
  const inWasm = wasm && dedupTypesInWasm({
    w: d.w, off: d.off, kinds: d.kinds, map: d.map, start: d.startId, typeCount: d.typeCount,
    table: d.table.state, enumTable: d.enumTable.state, enumFwdNames: d.enumFwdNames, strLimit: btf.startStrOff + strLen,
  });
  if (!inWasm) {
    dedupPrimTypes(d);
    dedupStructTypes(d);
    dedupResolveFwds(d);
    dedupRefTypes(d);
  }
  const c = compactAndRemap(d);
  return result(btf, c.words, c.nWords, c.offs, c.nTypes, c.idMap, { strs, strLen });
}

/**
 * The input's string section as it is (dedup without the string stage): a view of exactly its
 * length, so that the first string added to either object moves that object's section to a
 * new buffer (strings are only ever appended) and neither sees the other's.
 */
function keptStrings(btf: Btf): { strs: Uint8Array; strLen: number } {
  const own = ownSections(btf);
  return { strs: own.strLen > 0 ? own.strs.subarray(0, own.strLen) : own.strs.slice(0, 1), strLen: own.strLen };
}

function result(
  btf: Btf, words: Uint32Array, nWords: number, offs: Uint32Array, nTypes: number, idMap: () => Uint32Array,
  strings: { strs: Uint8Array; strLen: number } = keptStrings(btf),
): DedupResult {
  const out = Btf.fromParts(btf.base, btf.endian, { words, nWords, offs, nTypes, strs: strings.strs, strLen: strings.strLen });
  out.ptrSize = btf.ptrSize;
  let map: Uint32Array | null = null;
  return {
    btf: out,
    get idMap(): Uint32Array {
      return (map ??= idMap());
    },
  };
}

/** dedup.ts AllInput of `btf`: its chain's records, bottom first (exported for the twin tests). */
export function allInput(btf: Btf): AllInput {
  const chain: ChainLevel[] = [];
  for (let b: Btf | null = btf; b; b = b.base) {
    const s = ownSections(b);
    chain.unshift({ words: s.words, nWords: s.nWords, offs: s.offs, nTypes: s.nTypes, startId: b.startId });
  }
  return {
    chain, typeCount: btf.typeCount(), limit: btf.startStrOff, strLimit: btf.startStrOff + ownSections(btf).strLen,
    kinds: { infoWords: INFO_WORDS, elemWords: ELEM_WORDS, idFixed: ID_FIXED, idWord1: ID_WORD1, idWord2: ID_WORD2, elemId: ELEM_ID, elemStart: ELEM_START },
  };
}
