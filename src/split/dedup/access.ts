/**
 * The one place where dedup and add read a Btf's storage in bulk.
 *
 * Approach: dedup and add_btf walk every record and every string of an object; going through
 * the per-id accessors for that would cost a base-chain walk per word. This function hands out
 * read-only views of one object's own sections (records, record offsets, strings). When the
 * model's raw storage becomes private, only this function changes.
 *
 * Reference behaviour: none (plumbing); libbpf reads `types_data`, `type_offs` and the string
 * set of `struct btf` directly.
 */

import type { Btf } from '../../model/btf.js';
import type { BtfParts } from '../../model/format.js';

/** The own sections, shaped as `Btf.fromParts` takes them (words and offs in host order, used up to nWords/nTypes/strLen). */
export type OwnSections = BtfParts;

/** Read-only views of `btf`'s own type and string sections (do not write through them). */
export function ownSections(btf: Btf): OwnSections {
  const r = btf.raw();
  return {
    words: r.words.subarray(0, r.nWords),
    nWords: r.nWords,
    offs: r.offs.subarray(0, r.nTypes),
    nTypes: r.nTypes,
    strs: r.strs.subarray(0, r.strLen),
    strLen: r.strLen,
  };
}
