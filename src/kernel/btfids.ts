/**
 * `.BTF_ids`: the kernel build's `resolve_btfids`, and remapping the section through an id map.
 *
 * Approach: `parseBtfIds` reads the symbol table once and turns every `__BTF_ID__*` symbol
 * defined in `.BTF_ids` into a slot (a 4-byte id word, with kind and type name) or a set
 * header (`set`: u32 cnt + cnt u32 ids; `set8`: u32 cnt, u32 flags + cnt {u32 id, u32 flags}).
 * All later steps work on that layout and on a copy of the section bytes, reading and writing
 * u32s in the ELF's byte order.
 *
 * Reference behaviour: `tools/bpf/resolve_btfids/main.c` as used by Linux 6.1 … 6.x (with set8,
 * before the 2026 raw-output rework) and `include/linux/btf_ids.h`:
 * * a symbol counts if its section index is the (last) `.BTF_ids` section and its name starts
 *   with `__BTF_ID__`; prefixes are tried in the order struct, union, typedef, func, set8, set
 *   (plain `strncmp` prefixes, anything else is "FAILED unsupported prefix");
 * * `__BTF_ID__<kind>__<name>__<uniq>`: the two characters after the kind are skipped and the
 *   name ends at the last `_` of the rest, which must be preceded by another `_` (so names may
 *   contain `__`, e.g. `nf_conn___init`); `__BTF_ID__set__<name>` / `__BTF_ID__set8__<name>`
 *   keep the whole rest; a set's count is `st_size / 4 - 1` resp. `st_size / 8 - 1`;
 * * symbols with the same kind and name are one entry (at most 100 addresses each); set names
 *   (set and set8 share one namespace) must be unique;
 * * resolution walks type ids 1 … type_cnt-1 (base first) and gives each name the *first* id of
 *   the matching kind (FUNC, STRUCT, UNION, TYPEDEF); a later match prints
 *   `WARN: multiple IDs found for '%s': %d, %d - using %d` — but only while that kind still has
 *   unresolved symbols (the tool counts symbols, not names, so with one symbol per name later
 *   duplicates are silent);
 * * patching writes every entry's id (0 if unresolved, warning
 *   `WARN: resolve_btfids: unresolved symbol %s`) at each of its addresses, and each set's count
 *   at its header; kinds are patched struct, union, typedef, func, then sets, each in the
 *   tool's red-black-tree order, which is *descending* byte order of the names (that fixes the
 *   order of the warnings); then every set is sorted by id (signed int compare, glibc's stable
 *   merge sort; set8 sorts whole {id, flags} pairs so flags stay with their id).
 * Slot offsets are `st_value - sh_addr` (ET_EXEC / vmlinux); for ET_REL (modules) `st_value`
 * is already the section offset (the gABI rule; resolve_btfids subtracts sh_addr, which is 0
 * in every real module). Offsets are rounded down to a multiple of 4 as the tool indexes an
 * int array.
 *
 * resolve_btfids is not idempotent on set8s (zeroing the ids of a sorted set8 leaves the flags
 * at their sorted positions); `unsortBtfIdSets` puts set entries back at their symbols' slots
 * so that zero + resolve reproduces the tool's output exactly.
 *
 * Remapping (docs/design.md §resolve_btfids, §module-loading): `remapForDistill` rewrites every slot through a distill
 * old→new id map and re-sorts all sets; `remapForKernelLoad` does what a 6.11+ kernel does at
 * module load through `btf->base_id_map`: only kfunc set8s are remapped and re-sorted (plain
 * `BTF_ID_LIST` slots and `set`s are not), plus `remapDtorKfuncs` for destructor tables.
 */

import { BtfkitError, Errno } from '../errors.js';
import { ET_REL, SHT_NOBITS } from '../elf/constants.js';
import type { ElfFile } from '../elf/reader.js';
import { rewriteElf } from '../elf/writer.js';
import { KindId as Kind } from '../format/kinds.js';
import type { Btf } from '../model/btf.js';
import { keyOfString, compareKeys } from '../model/strings.js';

export const BTF_IDS_SECTION = '.BTF_ids';
const BTF_ID_PREFIX = '__BTF_ID__';
/** resolve_btfids' ADDR_CNT: at most this many symbols may share one kind + name. */
export const BTF_IDS_MAX_ADDRS = 100;

/** Kinds of single id slots, in resolve_btfids' patch order. */
export type BtfIdKind = 'struct' | 'union' | 'typedef' | 'func';
export type BtfIdSetKind = 'set' | 'set8';

const SLOT_KINDS: readonly BtfIdKind[] = ['struct', 'union', 'typedef', 'func'];
const BTF_KIND_OF: Readonly<Record<BtfIdKind, number>> = {
  struct: Kind.STRUCT,
  union: Kind.UNION,
  typedef: Kind.TYPEDEF,
  func: Kind.FUNC,
};

/** One `__BTF_ID__<kind>__<name>__<uniq>` symbol: a 4-byte id slot. */
export interface BtfIdSlot {
  readonly kind: BtfIdKind;
  /** Type name to look up (the symbol name without prefix and `__<uniq>` suffix). */
  readonly name: string;
  /** Full symbol name. */
  readonly symbol: string;
  readonly symbolIndex: number;
  /** Byte offset of the slot in the section (a multiple of 4). */
  readonly offset: number;
}

/** One `__BTF_ID__set__<name>` / `__BTF_ID__set8__<name>` symbol: a sorted id list. */
export interface BtfIdSet {
  readonly kind: BtfIdSetKind;
  readonly name: string;
  readonly symbol: string;
  readonly symbolIndex: number;
  /** Byte offset of the header (u32 cnt; for set8 followed by u32 flags), a multiple of 4. */
  readonly offset: number;
  /** Number of entries, from the symbol size (`st_size / 4 - 1` or `st_size / 8 - 1`). */
  readonly count: number;
  /** Byte offset of the first entry (offset + 4 for set, offset + 8 for set8). */
  readonly entriesOffset: number;
  /** Bytes per entry: 4 (id) or 8 ({id, flags}). */
  readonly entrySize: 4 | 8;
}

export interface BtfIdsLayout {
  readonly sectionIndex: number;
  readonly sectionSize: number;
  readonly sectionAddr: bigint;
  /** ELF byte order; every u32 of the section is in this order. */
  readonly littleEndian: boolean;
  /** Id slots in symbol-table order. */
  readonly slots: readonly BtfIdSlot[];
  /** Sets in symbol-table order. */
  readonly sets: readonly BtfIdSet[];
}

function fail(message: string, offset?: number, errno: number = Errno.EINVAL): never {
  const where: { section: string; offset?: number } = { section: BTF_IDS_SECTION };
  if (offset !== undefined) where.offset = offset;
  throw new BtfkitError('BTF_IDS', message, { errno, where });
}

/** get_id(): name part of "<kind>__<name>__<uniq>" after the kind; null where the tool fails. */
function symbolTypeName(afterKind: string): string | null {
  if (afterKind.length <= 2) return null;
  const id = afterKind.slice(2);
  const p = id.lastIndexOf('_');
  if (p <= 0 || id.charCodeAt(p - 1) !== 0x5f) return null;
  return id.slice(0, p - 1);
}

/** True if the ELF has a `.BTF_ids` section. */
export function hasBtfIds(elf: ElfFile): boolean {
  return elf.section(BTF_IDS_SECTION) !== undefined;
}

/**
 * Finds the `__BTF_ID__*` symbols of `.BTF_ids` (resolve_btfids' `symbols_collect`).
 * Throws BtfkitError 'BTF_IDS' where resolve_btfids fails: no `.BTF_ids` or no symbol table
 * (errno ENODATA), an unsupported prefix, an unparsable name, a repeated set name, more than
 * 100 symbols for one name, a slot or set outside the section, a set symbol smaller than its
 * header.
 */
export function parseBtfIds(elf: ElfFile): BtfIdsLayout {
  const sec = elf.section(BTF_IDS_SECTION);
  if (sec === undefined) fail(`FAILED to find needed sections: no ${BTF_IDS_SECTION} section`, undefined, Errno.ENODATA);
  if (elf.symbolTable() === undefined) fail('FAILED to find needed sections: no symbol table', undefined, Errno.ENODATA);
  const size = sec.type === SHT_NOBITS ? 0 : sec.size;
  const isRel = elf.header.type === ET_REL;
  const slots: BtfIdSlot[] = [];
  const sets: BtfIdSet[] = [];
  const setNames = new Set<string>();
  const addrCount = new Map<string, number>();

  const offsetOf = (value: bigint, symbol: string): number => {
    const rel = isRel ? value : value - sec.addr;
    if (rel < 0n || rel >= BigInt(size)) {
      const shown = rel < 0n ? rel + (1n << 64n) : rel; // the tool computes it unsigned
      fail(`FAILED patching index ${shown} out of bounds ${size} (symbol ${symbol})`);
    }
    return Number(rel) & ~3;
  };

  for (const sym of elf.symbols()) {
    if (sym.shndx !== sec.index || !sym.name.startsWith(BTF_ID_PREFIX)) continue;
    const prefix = sym.name.slice(BTF_ID_PREFIX.length);
    const slotKind = SLOT_KINDS.find((k) => prefix.startsWith(k));
    if (slotKind !== undefined) {
      const name = symbolTypeName(prefix.slice(slotKind.length));
      if (name === null) fail(`FAILED to parse symbol name: ${prefix}`);
      const key = `${slotKind}\0${name}`;
      const n = (addrCount.get(key) ?? 0) + 1;
      if (n > BTF_IDS_MAX_ADDRS) fail(`FAILED symbol ${name} crossed the number of allowed lists`);
      addrCount.set(key, n);
      const offset = offsetOf(sym.value, sym.name);
      if (offset + 4 > size) fail(`slot of ${sym.name} at byte offset ${offset} extends past the end of ${BTF_IDS_SECTION} (${size} bytes)`, offset);
      slots.push({ kind: slotKind, name, symbol: sym.name, symbolIndex: sym.index, offset });
      continue;
    }
    const setKind: BtfIdSetKind | undefined = prefix.startsWith('set8') ? 'set8' : prefix.startsWith('set') ? 'set' : undefined;
    if (setKind === undefined) fail(`FAILED unsupported prefix ${prefix}`);
    const name = prefix.slice(setKind.length + 2);
    if (name.length === 0) fail(`FAILED to parse set name: ${prefix}`);
    if (setNames.has(name)) fail(`FAILED set '${name}' is defined more than once`);
    setNames.add(name);
    const entrySize = setKind === 'set8' ? 8 : 4;
    if (sym.size < BigInt(entrySize)) fail(`FAILED malformed data for set '${name}': symbol size ${sym.size} is smaller than its ${entrySize}-byte header`);
    const count = Number(sym.size / BigInt(entrySize)) - 1;
    const offset = offsetOf(sym.value, sym.name);
    const entriesOffset = offset + entrySize;
    if (entriesOffset > size || count > (size - entriesOffset) / entrySize) {
      fail(`FAILED malformed data for set '${name}': ${count} entries at byte offset ${entriesOffset} extend past the end of ${BTF_IDS_SECTION} (${size} bytes)`, offset);
    }
    sets.push({ kind: setKind, name, symbol: sym.name, symbolIndex: sym.index, offset, count, entriesOffset, entrySize });
  }
  return { sectionIndex: sec.index, sectionSize: size, sectionAddr: sec.addr, littleEndian: elf.littleEndian, slots, sets };
}

// ------------------------------------------------------------------------- byte helpers

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkSize(layout: BtfIdsLayout, bytes: Uint8Array): void {
  if (bytes.length !== layout.sectionSize) {
    fail(`section data has ${bytes.length} bytes, the layout was read from a ${layout.sectionSize}-byte ${BTF_IDS_SECTION}`);
  }
}

/** Names in resolve_btfids' rb-tree order: descending C strcmp order. */
function treeOrder<T extends { name: string }>(items: Iterable<T>): T[] {
  return [...items].map((it) => ({ it, key: keyOfString(it.name) })).sort((a, b) => compareKeys(b.key, a.key)).map((x) => x.it);
}

/**
 * Sorts a set in place as resolve_btfids' `sets_patch` (and the kernel's `sort` with
 * `btf_id_cmp_func`) does: by the id word compared as a signed int. The sort is stable (glibc
 * qsort is a merge sort); the kernel's heapsort is not, so ties among equal ids may be
 * ordered differently there.
 */
function sortSet(dv: DataView, le: boolean, entriesOffset: number, count: number, entrySize: 4 | 8): void {
  if (count < 2) return;
  const entries: { id: number; flags: number }[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const p = entriesOffset + i * entrySize;
    entries[i] = { id: dv.getInt32(p, le), flags: entrySize === 8 ? dv.getUint32(p + 4, le) : 0 };
  }
  entries.sort((a, b) => a.id - b.id);
  for (let i = 0; i < count; i++) {
    const p = entriesOffset + i * entrySize;
    dv.setInt32(p, entries[i]!.id, le);
    if (entrySize === 8) dv.setUint32(p + 4, entries[i]!.flags, le);
  }
}

/** The count word of a set as stored, checked against the section. */
function storedCount(dv: DataView, le: boolean, set: BtfIdSet): number {
  const cnt = dv.getInt32(set.offset, le);
  if (cnt < 0 || set.entriesOffset + cnt * set.entrySize > dv.byteLength) {
    fail(`set '${set.name}': count ${cnt} at byte offset ${set.offset} does not fit in ${BTF_IDS_SECTION} (${dv.byteLength} bytes)`, set.offset);
  }
  return cnt;
}

// ----------------------------------------------------------------------------- resolve

export interface ResolveBtfIdsOptions {
  /** The layout from `parseBtfIds(elf)`, to avoid reading the symbols again. */
  readonly layout?: BtfIdsLayout;
}

/** One distinct kind + name and the id it resolved to (0: unresolved). */
export interface ResolvedBtfId {
  readonly kind: BtfIdKind;
  readonly name: string;
  readonly id: number;
  /** Byte offsets of its slots, in symbol-table order. */
  readonly offsets: readonly number[];
}

export interface ResolveBtfIdsResult {
  /** New section contents (the input is not modified). */
  readonly bytes: Uint8Array;
  /** resolve_btfids' stderr lines, in its order, without newlines. */
  readonly warnings: string[];
  /** Entries that resolved to no type (their slots hold 0), in warning order. */
  readonly unresolved: ResolvedBtfId[];
  /** Every entry, in patch order (struct, union, typedef, func; names descending). */
  readonly symbols: ResolvedBtfId[];
}

/**
 * Resolves `.BTF_ids` as resolve_btfids does: every slot gets the first type id (in `btf`'s
 * full id space, base first) with its kind and name, set counts are written, sets sorted.
 * `sectionBytes` are the current section contents (e.g. `elf.sectionData(...)`, or zeroed).
 *
 * Which `btf` to pass: for vmlinux its own BTF; for a module without `.BTF.base` the module's
 * `.BTF` parsed as split on the vmlinux BTF (`resolve_btfids -b vmlinux`); for a module with
 * `.BTF.base` (6.11+, docs/design.md §resolve_btfids) the module's `.BTF` parsed as split on its *distilled* base
 * (`parseBtf(.BTF, { base: parseBtf(.BTF.base) })`), without relocation — the tool drops the
 * `-b vmlinux` base when it sees `.BTF.base`, so the ids are in the pre-relocation numbering.
 */
export function resolveBtfIds(elf: ElfFile, sectionBytes: Uint8Array, btf: Btf, opts: ResolveBtfIdsOptions = {}): ResolveBtfIdsResult {
  const layout = opts.layout ?? parseBtfIds(elf);
  checkSize(layout, sectionBytes);
  const le = layout.littleEndian;
  const { symbols, warnings } = resolveNames(layout, btf);

  // symbols_patch + sets_patch
  const out = sectionBytes.slice();
  const dv = view(out);
  const unresolved: ResolvedBtfId[] = [];
  for (const e of symbols) {
    if (e.id === 0) {
      warnings.push(`WARN: resolve_btfids: unresolved symbol ${e.name}`);
      unresolved.push(e);
    }
    for (const off of e.offsets) dv.setUint32(off, e.id, le);
  }
  const sets = treeOrder(layout.sets);
  for (const set of sets) dv.setUint32(set.offset, set.count, le);
  for (const set of sets) sortSet(dv, le, set.entriesOffset, storedCount(dv, le, set), set.entrySize);
  return { bytes: out, warnings, unresolved, symbols };
}

/**
 * resolve_btfids' `symbols_collect` + `symbols_resolve`: one entry per kind + name with its id,
 * in patch order (struct, union, typedef, func; names descending), and the "multiple IDs"
 * warnings.
 */
function resolveNames(layout: BtfIdsLayout, btf: Btf): { symbols: ResolvedBtfId[]; warnings: string[] } {
  type Entry = { kind: BtfIdKind; name: string; id: number; offsets: number[] };
  const byKind = new Map<BtfIdKind, Map<string, Entry>>();
  const nr = new Map<BtfIdKind, number>(); // nr_<kind> counts symbols, not names
  for (const k of SLOT_KINDS) {
    byKind.set(k, new Map());
    nr.set(k, 0);
  }
  for (const s of layout.slots) {
    const m = byKind.get(s.kind)!;
    let e = m.get(s.name);
    if (e === undefined) m.set(s.name, (e = { kind: s.kind, name: s.name, id: 0, offsets: [] }));
    e.offsets.push(s.offset);
    nr.set(s.kind, nr.get(s.kind)! + 1);
  }
  // The types that match some entry by kind and name, in id order (the tool walks every id).
  const events: { typeId: number; entry: Entry }[] = [];
  for (const [kind, m] of byKind) {
    const btfKind = BTF_KIND_OF[kind];
    for (const e of m.values()) {
      for (const typeId of btf.findAllByName(e.name)) if (btf.kind(typeId) === btfKind) events.push({ typeId, entry: e });
    }
  }
  events.sort((a, b) => a.typeId - b.typeId);
  const warnings: string[] = [];
  for (const { typeId, entry } of events) {
    const left = nr.get(entry.kind)!;
    if (left === 0) continue; // the tool stops looking at a kind once its count reaches 0
    if (entry.id !== 0) {
      warnings.push(`WARN: multiple IDs found for '${entry.name}': ${entry.id}, ${typeId} - using ${entry.id}`);
    } else {
      entry.id = typeId;
      nr.set(entry.kind, left - 1);
    }
  }
  const symbols: ResolvedBtfId[] = [];
  for (const kind of SLOT_KINDS) {
    for (const e of treeOrder(byKind.get(kind)!.values())) symbols.push({ kind: e.kind, name: e.name, id: e.id, offsets: e.offsets });
  }
  return { symbols, warnings };
}

/**
 * Undoes resolve_btfids' set sorting: a copy of a resolved section in which the entries of
 * every set and set8 are back at the slots of the symbols they belong to (ids as resolved
 * against `btf`, set8 flags moved along with their id), i.e. the section as resolve_btfids
 * had it just before `sets_patch`. Entries that no symbol names are taken to have held id 0.
 * Throws 'BTF_IDS' if a set does not hold exactly the ids its symbols resolve to.
 *
 * Why: resolve_btfids is not idempotent on set8s. Zeroing the id slots of a resolved section
 * leaves each set8 flags word where the sort put it, and resolving again pairs it with the
 * id of whichever symbol owns that slot — wrong whenever the first sort moved pairs with
 * different flags (6.1.0-47 nf_conntrack: its kfunc ids run opposite to the declaration
 * order). `zeroBtfIdSlots(layout, unsortBtfIdSets(layout, bytes, btf))` is the compile-time
 * section (up to the count words, which resolving rewrites), from which resolving against
 * `btf` gives `bytes` back.
 */
export function unsortBtfIdSets(layout: BtfIdsLayout, sectionBytes: Uint8Array, btf: Btf): Uint8Array {
  checkSize(layout, sectionBytes);
  const le = layout.littleEndian;
  const idAt = new Map<number, number>();
  for (const e of resolveNames(layout, btf).symbols) for (const off of e.offsets) idAt.set(off, e.id); // last write wins, as in the tool
  const out = sectionBytes.slice();
  const dv = view(out);
  for (const set of treeOrder(layout.sets).reverse()) {
    const cnt = storedCount(dv, le, set);
    const size = set.entrySize;
    const pre: number[] = [];
    for (let i = 0; i < cnt; i++) pre.push((idAt.get(set.entriesOffset + i * size) ?? 0) | 0);
    const order = pre.map((_, i) => i).sort((a, b) => pre[a]! - pre[b]!); // the stable sort's permutation
    const flags: number[] = new Array(cnt).fill(0);
    for (let k = 0; k < cnt; k++) {
      const p = set.entriesOffset + k * size;
      const id = dv.getInt32(p, le);
      if (id !== pre[order[k]!]) {
        fail(`set '${set.name}' entry ${k} holds id ${id >>> 0}, but its symbols resolve to ${pre[order[k]!]! >>> 0} there: the section was not resolved against this BTF`, p);
      }
      if (size === 8) flags[order[k]!] = dv.getUint32(p + 4, le);
    }
    for (let i = 0; i < cnt; i++) {
      const p = set.entriesOffset + i * size;
      dv.setInt32(p, pre[i]!, le);
      if (size === 8) dv.setUint32(p + 4, flags[i]!, le);
    }
  }
  return out;
}

/**
 * A copy of `sectionBytes` with every id slot zeroed; set counts and all flags are kept where
 * they are. On a resolved section whose set8s were reordered by the sort, apply
 * `unsortBtfIdSets` first to get the compile-time pairing of ids and flags back.
 */
export function zeroBtfIdSlots(layout: BtfIdsLayout, sectionBytes: Uint8Array): Uint8Array {
  checkSize(layout, sectionBytes);
  const out = sectionBytes.slice();
  for (const s of layout.slots) out.fill(0, s.offset, s.offset + 4);
  return out;
}

/** A new ELF image whose `.BTF_ids` holds `sectionBytes` (same size, so vmlinux works too). */
export function writeBtfIds(elf: ElfFile, sectionBytes: Uint8Array): Uint8Array {
  return rewriteElf(elf, { replace: new Map([[BTF_IDS_SECTION, sectionBytes]]) });
}

// ------------------------------------------------------------------------------ decode

export interface DecodedBtfIdSet {
  readonly set: BtfIdSet;
  /** The count word as stored. */
  readonly count: number;
  /** set8 header flags (0 for set). */
  readonly flags: number;
  readonly ids: number[];
  /** set8 per-entry flags (empty for set). */
  readonly entryFlags: number[];
}

/** Reads the slots and sets of a section. */
export function decodeBtfIds(layout: BtfIdsLayout, sectionBytes: Uint8Array): { slots: { slot: BtfIdSlot; id: number }[]; sets: DecodedBtfIdSet[] } {
  checkSize(layout, sectionBytes);
  const le = layout.littleEndian;
  const dv = view(sectionBytes);
  const slots = layout.slots.map((slot) => ({ slot, id: dv.getUint32(slot.offset, le) }));
  const sets = layout.sets.map((set) => {
    const count = storedCount(dv, le, set);
    const ids: number[] = [];
    const entryFlags: number[] = [];
    for (let i = 0; i < count; i++) {
      const p = set.entriesOffset + i * set.entrySize;
      ids.push(dv.getUint32(p, le));
      if (set.entrySize === 8) entryFlags.push(dv.getUint32(p + 4, le));
    }
    return { set, count, flags: set.kind === 'set8' ? dv.getUint32(set.offset + 4, le) : 0, ids, entryFlags };
  });
  return { slots, sets };
}

// ------------------------------------------------------------------------------- remap

function mapId(idMap: Uint32Array, id: number, offset?: number): number {
  if (id === 0) return 0;
  if (id >= idMap.length) {
    fail(`type id ${id}${offset === undefined ? '' : ` at byte offset ${offset}`} is outside the id map (${idMap.length} entries)`, offset);
  }
  return idMap[id]!;
}

export type BtfIdsRemapMode = 'distill' | 'kernel-load';

export interface RemapBtfIdsOptions {
  /**
   * kernel-load only: which set8s are kfunc id sets (registered with
   * `register_btf_kfunc_id_set`). The section does not say; the default treats every set8 as
   * one, which holds for 6.1–6.x modules (set8 is only used for kfunc sets there).
   */
  readonly isKfuncSet?: (set: BtfIdSet) => boolean;
}

/**
 * Remaps a resolved `.BTF_ids` through `idMap` (indexed by old id; 0 always maps to 0).
 * 'distill' = `remapForDistill`, 'kernel-load' = `remapForKernelLoad`.
 */
export function remapBtfIds(layout: BtfIdsLayout, sectionBytes: Uint8Array, idMap: Uint32Array, mode: BtfIdsRemapMode, opts: RemapBtfIdsOptions = {}): Uint8Array {
  if (mode === 'distill') return remapForDistill(layout, sectionBytes, idMap);
  if (mode === 'kernel-load') return remapForKernelLoad(layout, sectionBytes, idMap, opts);
  return fail(`unknown remap mode ${String(mode)}`);
}

/**
 * The distill case: every id slot is rewritten through the distill old→new map (ids of base
 * types that were not distilled map to 0, as the map holds them) and every set is re-sorted.
 * This equals resolving the compile-time section (`zeroBtfIdSlots(unsortBtfIdSets(...))`)
 * anew against the distilled module (split over its distilled base) whenever name lookup
 * there finds the image of the old type: always, except when a name had several candidates
 * and the first one was dropped or moved behind another by distillation (a base FUNC, which
 * is never distilled, maps to 0 and is "unresolved" there too). Set8 flags stay with their
 * ids; no BTF is needed.
 */
export function remapForDistill(layout: BtfIdsLayout, sectionBytes: Uint8Array, idMap: Uint32Array): Uint8Array {
  checkSize(layout, sectionBytes);
  const le = layout.littleEndian;
  const out = sectionBytes.slice();
  const dv = view(out);
  const done = new Set<number>();
  for (const s of layout.slots) {
    if (done.has(s.offset)) continue; // several symbols on one slot: map it once
    done.add(s.offset);
    dv.setUint32(s.offset, mapId(idMap, dv.getUint32(s.offset, le), s.offset), le);
  }
  for (const set of treeOrder(layout.sets)) sortSet(dv, le, set.entriesOffset, storedCount(dv, le, set), set.entrySize);
  return out;
}

/**
 * The kernel-load case (6.11+, docs/design.md §module-loading): what the kernel uses after loading a module whose
 * BTF was relocated, with `baseIdMap` = `btf->base_id_map` (the relocation map of every
 * pre-relocation id, distilled base and split). Only kfunc set8s are remapped
 * (`btf_relocate_id` on each pair's id) and re-sorted by id, flags kept with their id; the
 * set8 count and header flags, plain `BTF_ID_LIST` slots and `set`s are left as they are.
 * The kernel does this on its own copy of each set (the module's section is not written);
 * the result models that copy in place. Modules without `.BTF.base` have no map: nothing is
 * remapped. For destructor tables see `remapDtorKfuncs`.
 */
export function remapForKernelLoad(layout: BtfIdsLayout, sectionBytes: Uint8Array, baseIdMap: Uint32Array, opts: RemapBtfIdsOptions = {}): Uint8Array {
  checkSize(layout, sectionBytes);
  const le = layout.littleEndian;
  const isKfuncSet = opts.isKfuncSet ?? (() => true);
  const out = sectionBytes.slice();
  const dv = view(out);
  for (const set of layout.sets) {
    if (set.kind !== 'set8' || !isKfuncSet(set)) continue;
    const cnt = storedCount(dv, le, set);
    for (let i = 0; i < cnt; i++) {
      const p = set.entriesOffset + i * 8;
      dv.setUint32(p, mapId(baseIdMap, dv.getUint32(p, le), p), le);
    }
    sortSet(dv, le, set.entriesOffset, cnt, 8);
  }
  return out;
}

/** One `struct btf_id_dtor_kfunc`. */
export interface BtfIdDtorKfunc {
  readonly btfId: number;
  readonly kfuncBtfId: number;
}

/**
 * `register_btf_id_dtor_kfuncs` at module load (6.11+): both ids of each entry go through
 * `base_id_map`, then the table is sorted by `btfId` (stable here; the kernel's heapsort may
 * order equal `btfId`s differently).
 */
export function remapDtorKfuncs(dtors: readonly BtfIdDtorKfunc[], baseIdMap: Uint32Array): BtfIdDtorKfunc[] {
  const out = dtors.map((d) => ({ btfId: mapId(baseIdMap, d.btfId), kfuncBtfId: mapId(baseIdMap, d.kfuncBtfId) }));
  out.sort((a, b) => (a.btfId | 0) - (b.btfId | 0));
  return out;
}
