/**
 * Fuzz targets: what each entry point must do with any bytes, on top of the per-input
 * invariants of the harness (only BtfkitError escapes, < 1 s, bounded memory).
 *
 *  btf        parseBtf on base BTF (both byte orders, 24- and 32-byte headers, a layout
 *             section): same accept/reject and errno as the libbpf v1.7.0 oracle; accepted
 *             BTF round-trips through serializeBtf (same and opposite byte order), every id's
 *             size resolves, raw/JSON/C dumps succeed, the kernel verifier returns a verdict.
 *  btf-split  the same for split BTF on a golden distilled base (oracle with that base).
 *  distill    distillBase on mutated split BTF; relocating the result onto the same base
 *             gives back equivalent types (through both id maps); outputs re-parse and dump.
 *  relocate   relocate with a mutated distilled base or a mutated new base.
 *  elf        parseElf on mutated ELF files; everything the reader offers (symbols,
 *             relocations, elfEnd, .BTF/.BTF.base); rewriteElf output re-parses with the
 *             replaced/added sections holding exactly the new data, and rewriteElfParts
 *             gives the same bytes.
 *  image      unpackBytes and every decoder (xz, lzma, lz4 frame/legacy, zstd, gzip, bzip2)
 *             on mutated compressed modules and fake bzImages, with an output cap.
 *  btfids     parseBtfIds / resolveBtfIds / decodeBtfIds / unsortBtfIdSets on mutated ELFs.
 *  dedup      dedup on mutated base BTF: only BtfkitError escapes, the output re-parses, and when
 *             the kernel accepts the input it accepts the output too.
 *  verify     verifyKernelBtf (vmlinux/base/module, both kernel byte orders, tag attributes)
 *             never throws on any bytes.
 */

import fc from 'fast-check';
import { BtfkitError } from '../errors.js';
import { parseBtf } from '../format/parse.js';
import { serializeBtf } from '../format/write.js';
import { recordWords } from '../format/kinds.js';
import { Btf } from '../model/btf.js';
import { visitIdFields, visitStrFields } from '../model/iter.js';
import { resolveSize } from '../model/size.js';
import { concatBytes, parseElf, rewriteElf, rewriteElfParts } from '../elf/index.js';
import { decompress, unpackBytes } from '../node/decompress.js';
import type { CompressionFormat } from '../image/detect.js';
import { distillBase } from '../split/distill.js';
import { relocate, tryRelocate } from '../split/relocate.js';
import { dedup } from '../split/dedup/index.js';
import { parseBtfIds, resolveBtfIds, decodeBtfIds, unsortBtfIdSets, BTF_IDS_SECTION } from '../kernel/btfids.js';
import { verifyKernelBtf, verifyKernelModule } from '../kernel/verify.js';
import { dumpRaw } from '../dump/raw.js';
import { dumpJson } from '../dump/json.js';
import { allow, attempt, bump, must, Violation, type Stats, type Target, type TargetInput } from './harness.js';
import { headerLength, libbpfVerdict, oracleBase, type OracleBase } from './libbpf-oracle.js';
import { baseBtfSeeds, btfIdsSeeds, elfSeeds, goldenModule, goldenModules, imageSeeds, type Seed } from './corpus.js';
import { btfMutationArb, elfMutationArb, genericMutationArb, type Mutation } from './mutate.js';

// The C dump is loaded lazily so that this module builds and runs even where it is absent.
type DumpC = (btf: Btf) => Uint8Array;
let dumpC: DumpC | null = null;
try {
  const spec = '../dump/c.js';
  const m = (await import(spec)) as { dumpC?: DumpC };
  dumpC = m.dumpC ?? null;
} catch {
  dumpC = null;
}
export const hasCDump = (): boolean => dumpC !== null;

// ------------------------------------------------------------------- shared checks

/** Compares two objects' own records and strings (the parsed content). */
function sameRecords(a: Btf, b: Btf, what: string): void {
  if (a.nTypes !== b.nTypes) throw new Violation('roundtrip', `${what}: ${a.nTypes} types became ${b.nTypes}`);
  if (a.nWords !== b.nWords) throw new Violation('roundtrip', `${what}: ${a.nWords} words became ${b.nWords}`);
  for (let i = 0; i < a.nWords; i++)
    if (a.raw().words[i] !== b.raw().words[i]) throw new Violation('roundtrip', `${what}: type word ${i} 0x${a.raw().words[i]!.toString(16)} became 0x${b.raw().words[i]!.toString(16)}`);
  if (a.strLen !== b.strLen) throw new Violation('roundtrip', `${what}: str_len ${a.strLen} became ${b.strLen}`);
  for (let i = 0; i < a.strLen; i++) if (a.raw().strs[i] !== b.raw().strs[i]) throw new Violation('roundtrip', `${what}: string byte ${i} differs`);
  for (let i = 0; i < a.nTypes; i++) if (a.raw().offs[i] !== b.raw().offs[i]) throw new Violation('roundtrip', `${what}: record offset of type ${a.startId + i} differs`);
}

/** serialize(parse(x)) re-parses to the same records, in both byte orders. */
function roundTrip(btf: Btf, base: Btf | null): void {
  const same = must('roundtrip', 'serializeBtf', () => serializeBtf(btf));
  const p1 = must('roundtrip', 're-parse of serializeBtf output', () => parseBtf(same, { base }));
  sameRecords(btf, p1, 'serialize → parse');
  const other = btf.endian === 'little' ? 'big' : 'little';
  const swapped = must('roundtrip', `serializeBtf(${other})`, () => serializeBtf(btf, other));
  const p2 = must('roundtrip', `re-parse of ${other}-endian output`, () => parseBtf(swapped, { base }));
  if (p2.endian !== other) throw new Violation('roundtrip', `${other}-endian output parsed as ${p2.endian}`);
  sameRecords(btf, p2, `serialize(${other}) → parse`);
  const back = must('roundtrip', 'serialize back', () => serializeBtf(p2, btf.endian));
  const p3 = must('roundtrip', 're-parse back', () => parseBtf(back, { base }));
  sameRecords(btf, p3, `serialize(${other}) → serialize(${btf.endian}) → parse`);
}

/** Every accepted BTF dumps (raw, JSON) and every id's size resolves. (C: the dump-c target.) */
function dumps(btf: Btf, stats: Stats): void {
  must('dump', 'dumpRaw', () => dumpRaw(btf));
  must('dump', 'dumpJson', () => dumpJson(btf));
  must('dump', 'resolveSize', () => {
    for (let id = btf.startId; id < btf.typeCount(); id++) resolveSize(btf, id);
  });
  bump(stats, 'dumped');
}

interface OracleStats {
  agree: number;
  disagree: number;
}
export const oracleTally = { classic: { agree: 0, disagree: 0 } as OracleStats, wide: { agree: 0, disagree: 0 } as OracleStats, wideSamples: [] as string[] };

/** Parses and compares with the oracle. Returns the parsed BTF or null. */
function parseAndCompare(input: TargetInput, base: Btf | null, obase: OracleBase | null, stats: Stats): Btf | null {
  const r = attempt('parseBtf', () => parseBtf(input.bytes, { base }));
  const v = libbpfVerdict(input.bytes, obase);
  const ours = r.ok ? 'accept' : `reject errno ${r.error.errno}`;
  const theirs = v.accept ? 'accept' : `reject errno ${v.errno}`;
  const hl = headerLength(input.bytes);
  const wide = hl !== null && hl >= 32;
  const tally = wide ? oracleTally.wide : oracleTally.classic;
  if (ours === theirs) {
    tally.agree++;
    bump(stats, 'oracle-agree');
  } else {
    tally.disagree++;
    bump(stats, wide ? 'oracle-disagree-wide' : 'oracle-disagree');
    const detail = `parser: ${ours}${r.ok ? '' : ` (${r.error.message})`}; libbpf v1.7.0 model: ${theirs}${v.accept ? '' : ` at step ${v.step} (${v.why})`}`;
    // hdr_len >= 32 selects the 2026 layout format in our parser (7-bit kind, 24-bit vlen,
    // layout section): a documented extension beyond libbpf v1.7.0, tallied but not failed.
    if (!wide) throw new Violation('oracle', detail);
    if (oracleTally.wideSamples.length < 20) oracleTally.wideSamples.push(detail);
  }
  if (r.ok) bump(stats, 'accepted');
  else bump(stats, 'rejected');
  return r.ok ? r.value : null;
}

// ------------------------------------------------------------------------ contexts

const baseCache = new Map<string, { btf: Btf; oracle: OracleBase | null }>();

/** The parsed golden distilled base of a module context 'golden:<name>'. */
function moduleBase(ctx: string): { btf: Btf; oracle: OracleBase | null; name: string } {
  const name = ctx.replace(/^golden:/, '').replace(/\/.*$/, '');
  let c = baseCache.get(name);
  if (!c) {
    const m = goldenModule(name);
    if (!m) throw new Violation('invariant', `unknown module context ${ctx}`);
    c = { btf: parseBtf(m.base), oracle: oracleBase(m.base) };
    baseCache.set(name, c);
  }
  return { ...c, name };
}

// -------------------------------------------------------------------------- targets

const btfTarget: Target = {
  name: 'btf',
  about: 'parseBtf on base BTF vs the libbpf v1.7.0 oracle; round trip; dumps; kernel verifier',
  check(input, stats) {
    allow('verifyKernelBtf', () => verifyKernelBtf(input.bytes, { what: 'base' }));
    const btf = parseAndCompare(input, null, null, stats);
    if (!btf) return;
    roundTrip(btf, null);
    dumps(btf, stats);
  },
};

const btfSplitTarget: Target = {
  name: 'btf-split',
  about: 'parseBtf on split BTF over a golden distilled base vs the oracle; round trip; dumps',
  check(input, stats) {
    const { btf: base, oracle } = moduleBase(input.ctx);
    allow('verifyKernelBtf(module)', () => verifyKernelBtf(input.bytes, { what: 'module', base }));
    const btf = parseAndCompare(input, base, oracle, stats);
    if (!btf) return;
    roundTrip(btf, base);
    dumps(btf, stats);
  },
};

/** A structural signature of type `id` to `depth` levels: kind, strings, non-id words, referenced signatures. */
export function signature(btf: Btf, id: number, depth: number): string {
  if (id === 0) return 'void';
  if (!btf.hasType(id)) return `bad#${id}`;
  const kind = btf.kind(id);
  const vlen = btf.vlen(id);
  if (recordWords(kind, vlen) < 0) return `kind${kind}`;
  const owner = btf.typeOwner(id);
  const o = owner.raw().offs[id - owner.startId]!;
  const n = recordWords(kind, vlen);
  const words = owner.raw().words;
  const parts: string[] = new Array(n);
  for (let i = 0; i < n; i++) parts[i] = String(words[o + i]);
  visitStrFields(words, o, kind, vlen, (p) => {
    const off = words[p]!;
    parts[p - o] = JSON.stringify(btf.isValidStrOff(off) ? btf.strKey(off) : `#${off}`);
  });
  visitIdFields(words, o, kind, vlen, (p) => {
    parts[p - o] = depth > 0 ? `(${signature(btf, words[p]!, depth - 1)})` : '*';
  });
  return parts.join(',');
}

/** distill → relocate onto the same base gives equivalent types for every mapped id. */
function distillRelocateEquivalent(src: Btf, base: Btf, stats: Stats): void {
  const d = attempt('distillBase', () => distillBase(src));
  if (!d.ok) {
    bump(stats, 'distill-rejected');
    return;
  }
  bump(stats, 'distilled');
  const { base: db, split: ds, idMap: dmap } = d.value;
  // The outputs serialize, re-parse and dump.
  const dbBytes = must('distill-relocate', 'serialize distilled base', () => serializeBtf(db));
  const dsBytes = must('distill-relocate', 'serialize new split', () => serializeBtf(ds));
  const db2 = must('distill-relocate', 're-parse distilled base', () => parseBtf(dbBytes));
  const ds2 = must('distill-relocate', 're-parse new split', () => parseBtf(dsBytes, { base: db2 }));
  sameRecords(ds, ds2, 'distilled split re-parse');
  dumps(ds2, stats);
  const r = attempt('relocate', () => relocate(ds2, base));
  if (!r.ok) {
    // Relocation onto the base the types came from can only fail when the base itself is
    // ambiguous for a distilled type (several same-named candidates).
    if (r.error.code !== 'RELOCATE') throw new Violation('distill-relocate', `relocate failed with ${r.error.code}: ${r.error.message}`);
    bump(stats, 'relocate-rejected');
    return;
  }
  bump(stats, 'relocated');
  const out = r.value.btf;
  const rmap = r.value.idMap;
  for (let id = 1; id < src.typeCount(); id++) {
    const m = dmap[id] ?? 0;
    if (m === 0) continue;
    const f = rmap[m];
    if (f === undefined) throw new Violation('distill-relocate', `id ${id} → distilled ${m} has no relocated id`);
    const a = signature(src, id, 2);
    const b = signature(out, f, 2);
    if (a !== b) throw new Violation('distill-relocate', `type [${id}] → [${m}] → [${f}] differs:\n  before ${a.slice(0, 300)}\n  after  ${b.slice(0, 300)}`);
  }
  roundTrip(out, base);
}

const distillTarget: Target = {
  name: 'distill',
  about: 'distillBase on mutated split BTF; relocation back onto the same base is equivalent',
  check(input, stats) {
    const { btf: base } = moduleBase(input.ctx);
    const split = allow('parseBtf', () => parseBtf(input.bytes, { base }));
    if (!split) return bump(stats, 'rejected');
    distillRelocateEquivalent(split, base, stats);
  },
};

const relocateTarget: Target = {
  name: 'relocate',
  about: 'relocate with a mutated distilled base (ctx golden:X) or a mutated new base (ctx golden:X/newbase)',
  check(input, stats) {
    const name = input.ctx.replace(/^golden:/, '').replace(/\/.*$/, '');
    const m = goldenModule(name);
    if (!m) throw new Violation('invariant', `unknown module ${name}`);
    const newBaseMutated = input.ctx.endsWith('/newbase');
    const distilled = newBaseMutated ? parseBtf(m.base) : allow('parseBtf(distilled)', () => parseBtf(input.bytes));
    if (!distilled) return bump(stats, 'rejected');
    const split = allow('parseBtf(split)', () => parseBtf(m.split, { base: distilled }));
    if (!split) return bump(stats, 'rejected');
    const newBase = newBaseMutated ? allow('parseBtf(new base)', () => parseBtf(input.bytes)) : parseBtf(m.base);
    if (!newBase) return bump(stats, 'rejected');
    const r = allow('tryRelocate', () => tryRelocate(split, newBase));
    if (!r) return bump(stats, 'rejected');
    if (!r.ok) {
      if (r.error.code !== 'RELOCATE') throw new Violation('invariant', `tryRelocate failure has code ${r.error.code}`);
      return bump(stats, 'relocate-failed');
    }
    bump(stats, 'relocated');
    if (r.idMap.length !== split.typeCount()) throw new Violation('invariant', `id map has ${r.idMap.length} entries for ${split.typeCount()} ids`);
    for (let id = split.startId; id < split.typeCount(); id++) {
      const f = r.idMap[id]!;
      if (!(f >= r.btf.startId && f < r.btf.typeCount())) throw new Violation('invariant', `split id ${id} mapped to ${f} outside the relocated split`);
    }
    roundTrip(r.btf, newBase);
    dumps(r.btf, stats);
  },
};

const elfTarget: Target = {
  name: 'elf',
  about: 'parseElf and everything it offers; rewriteElf output re-parses with exactly the new data, and rewriteElfParts gives the same bytes',
  check(input, stats) {
    const elf = allow('parseElf', () => parseElf(input.bytes));
    if (!elf) return bump(stats, 'rejected');
    bump(stats, 'accepted');
    void elf.elfEnd;
    for (const s of elf.sections) allow('sectionData', () => elf.sectionData(s));
    allow('symbols', () => elf.symbols());
    for (const rs of elf.relocationSections()) allow('relocations', () => elf.relocations(rs));
    const btfSec = elf.section('.BTF');
    const baseSec = elf.section('.BTF.base');
    let dbase: Btf | undefined;
    if (baseSec) dbase = allow('parse .BTF.base', () => parseBtf(elf.sectionData(baseSec)));
    if (btfSec) allow('parse .BTF', () => parseBtf(elf.sectionData(btfSec), { base: dbase ?? null }));
    // Rewrite: replace .BTF (or the last named section) and add a section.
    const target = btfSec ?? [...elf.sections].reverse().find((s) => s.index > 0 && s.name !== '' && s.type !== 8);
    const newData = new Uint8Array(37).fill(0xab);
    const replace = new Map<string, Uint8Array>();
    if (target) replace.set(target.name, newData);
    const addName = elf.section('.fuzz.added') ? '.fuzz.added2' : '.fuzz.added';
    const changes = { replace, add: [{ name: addName, data: new Uint8Array([1, 2, 3, 4, 5]), flags: 2, align: 4 }] };
    const out = allow('rewriteElf', () => rewriteElf(elf, changes));
    if (!out) return bump(stats, 'rewrite-rejected');
    bump(stats, 'rewritten');
    // the same image as parts (what encode, distill and resolve-btfids write): every byte equal
    const joined = concatBytes(must('rewrite', 'rewriteElfParts after rewriteElf succeeded', () => rewriteElfParts(elf, changes)));
    if (joined.length !== out.length) throw new Violation('rewrite', `rewriteElfParts gives ${joined.length} bytes, rewriteElf ${out.length}`);
    const at = joined.findIndex((b, i) => b !== out[i]);
    if (at >= 0) throw new Violation('rewrite', `rewriteElfParts differs from rewriteElf at byte ${at}`);
    const again = must('rewrite', 're-parse of rewriteElf output', () => parseElf(out));
    if (target) {
      const s = again.section(target.name);
      if (!s) throw new Violation('rewrite', `replaced section ${target.name} is gone`);
      const d = again.sectionData(s);
      if (d.length !== newData.length || d.some((x, i) => x !== newData[i])) throw new Violation('rewrite', `replaced section ${target.name} does not hold the new data`);
    }
    const added = again.section(addName);
    if (!added || again.sectionData(added).join() !== '1,2,3,4,5') throw new Violation('rewrite', 'added section missing or wrong');
    if (again.sections.length !== elf.sections.length + 1) throw new Violation('rewrite', `${elf.sections.length} sections became ${again.sections.length}`);
    // Ranges the rewrite legitimately changes: the headers, the section header table, the
    // replaced section and the section-name table; a section overlapping them may change.
    const h = elf.header;
    const touched: [number, number][] = [[0, Math.max(64, h.ehsize)], [h.shoff, h.shoff + elf.sections.length * (h.class === 64 ? 64 : 40)]];
    if (target) touched.push([target.offset, target.offset + target.size]);
    const shs = elf.sections[elf.shstrndx];
    if (shs) touched.push([shs.offset, shs.offset + shs.size]);
    for (const s of elf.sections) {
      if (s.index === 0 || s.name === target?.name || s.type === 8) continue;
      if (s.size > 0 && touched.some(([a, b]) => s.offset < b && a < s.offset + s.size) && s.index !== elf.shstrndx) continue;
      if (elf.sections.filter((x) => x.name === s.name).length > 1) continue;
      const t = again.section(s.name);
      const shstr = s.index === elf.shstrndx;
      if (!t) throw new Violation('rewrite', `section ${s.name} lost`);
      if (!shstr && t.size !== s.size) throw new Violation('rewrite', `section ${s.name} changed size`);
      if (!shstr) {
        const a = elf.sectionData(s);
        const b = again.sectionData(t);
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Violation('rewrite', `section ${s.name} changed content at ${i}`);
      }
    }
  },
};

const FORMATS: CompressionFormat[] = ['gzip', 'xz', 'zstd', 'lz4-legacy', 'lz4', 'bzip2', 'lzma'];
const CAP = 4 * 1024 * 1024;

const imageTarget: Target = {
  name: 'image',
  about: 'unpackBytes and every decoder, output capped at 4 MiB',
  check(input, stats) {
    const u = allow('unpackBytes', () => unpackBytes(input.bytes, { maxOutput: CAP }));
    if (u) {
      bump(stats, 'unpacked');
      if (u.bytes.length > CAP) throw new Violation('invariant', `unpackBytes returned ${u.bytes.length} bytes over the ${CAP} cap`);
      if (u.kind === 'elf') allow('parseElf(unpacked)', () => parseElf(u.bytes));
      else allow('parseBtf(unpacked)', () => parseBtf(u.bytes));
    } else bump(stats, 'rejected');
    for (const f of FORMATS) {
      const d = allow(`decompress ${f}`, () => decompress(f, input.bytes, { maxOutput: CAP }));
      if (d && d.length > CAP) throw new Violation('invariant', `${f} returned ${d.length} bytes over the cap`);
      allow(`decompress ${f} partial`, () => decompress(f, input.bytes, { maxOutput: 64, partial: true }));
      // A claimed size (as a kernel image's appended one) only changes how the output is
      // allocated (zstd: one shot, proven by the checksum), never what it is.
      const n = input.bytes.length;
      const claim = n >= 4 ? (input.bytes[n - 4]! | (input.bytes[n - 3]! << 8) | (input.bytes[n - 2]! << 16)) + 1 : 1;
      const h = allow(`decompress ${f} sizeHint`, () => decompress(f, input.bytes, { maxOutput: CAP, sizeHint: Math.min(claim, CAP) }));
      if (d && h && (d.length !== h.length || d.some((x, i) => x !== h[i]))) throw new Violation('invariant', `${f}: a size hint changed the output`);
      if (f === 'zstd' && d) {
        // zstd's own decoder (WebAssembly, the default before Node 22.15) and fzstd agree on what both decode.
        const j = allow('decompress zstd fzstd', () => decompress(f, input.bytes, { maxOutput: CAP, zstdEngine: 'fzstd' }));
        if (j && (d.length !== j.length || d.some((x, i) => x !== j[i]))) throw new Violation('invariant', 'zstd: the decoders disagree');
      }
    }
  },
};

const btfidsTarget: Target = {
  name: 'btfids',
  about: 'parseBtfIds, resolveBtfIds, decodeBtfIds, unsortBtfIdSets on mutated .BTF_ids modules',
  check(input, stats) {
    const elf = allow('parseElf', () => parseElf(input.bytes));
    if (!elf) return bump(stats, 'rejected');
    const layout = allow('parseBtfIds', () => parseBtfIds(elf));
    if (!layout) return bump(stats, 'rejected');
    const sec = elf.section(BTF_IDS_SECTION);
    const btfSec = elf.section('.BTF');
    if (!sec || !btfSec) return;
    const btf = allow('parse .BTF', () => parseBtf(elf.sectionData(btfSec))) ?? Btf.create();
    const data = elf.sectionData(sec);
    const r = allow('resolveBtfIds', () => resolveBtfIds(elf, data, btf, { layout }));
    if (!r) return bump(stats, 'resolve-rejected');
    bump(stats, 'resolved');
    if (r.bytes.length !== data.length) throw new Violation('invariant', 'resolved section changed size');
    allow('decodeBtfIds', () => decodeBtfIds(layout, r.bytes));
    allow('unsortBtfIdSets', () => unsortBtfIdSets(layout, r.bytes, btf));
    const out = allow('rewriteElf', () => rewriteElf(elf, { replace: new Map([[BTF_IDS_SECTION, r.bytes]]), keepTrailingData: true }));
    if (out) must('rewrite', 're-parse resolved ELF', () => parseElf(out));
  },
};

const dedupTarget: Target = {
  name: 'dedup',
  about: 'dedup on mutated BTF: no escape or hang; output re-parses and passes the kernel checks the input passes',
  check(input, stats) {
    const btf = allow('parseBtf', () => parseBtf(input.bytes));
    if (!btf) return;
    const r = attempt('dedup', () => dedup(btf));
    if (!r.ok) return bump(stats, 'dedup-rejected');
    const out = must('invariant', 'serialize dedup output', () => serializeBtf(r.value.btf));
    must('invariant', 're-parse dedup output', () => parseBtf(out));
    if (verifyKernelBtf(input.bytes, { what: 'base' }).ok) {
      const v = verifyKernelBtf(out, { what: 'base' });
      if (!v.ok) throw new Violation('invariant', `the kernel accepts the input but not its dedup output: ${JSON.stringify(v).slice(0, 200)}`);
    }
    bump(stats, 'dedup-ok');
  },
};

const verifyTarget: Target = {
  name: 'verify',
  about: 'verifyKernelBtf / verifyKernelModule never throw, in both kernel byte orders',
  check(input, stats) {
    const call = (what: string, fn: () => { ok: boolean }) => {
      try {
        const r = fn();
        bump(stats, r.ok ? 'kernel-ok' : 'kernel-reject');
      } catch (e) {
        if (e instanceof Violation) throw e;
        // verifyKernelBtf documents "never throws on bad input": even a BtfkitError is a violation.
        throw new Violation('escape', `${what} threw ${e instanceof BtfkitError ? 'BtfkitError' : ''} ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
    };
    for (const endian of ['little', 'big'] as const) {
      call(`verifyKernelBtf(vmlinux, ${endian})`, () => verifyKernelBtf(input.bytes, { what: 'vmlinux', endian, tagAttributes: endian === 'big' }));
    }
    const m = goldenModule(input.ctx.replace(/^golden:/, ''));
    if (m) {
      const vmlinux = moduleBase(input.ctx).btf;
      call('verifyKernelModule(.BTF.base mutated)', () => verifyKernelModule(m.split, { vmlinux, btfBase: input.bytes, moduleName: m.name }));
      call('verifyKernelModule(.BTF mutated)', () => verifyKernelModule(input.bytes, { vmlinux, btfBase: m.base, moduleName: m.name }));
    }
  },
};

const dumpCTarget: Target = {
  name: 'dump-c',
  about: 'dumpC (bpftool format c) on every BTF that parses (base, or split on a golden base); run isolated in a worker',
  check(input, stats) {
    const base = input.ctx.startsWith('golden:') && input.ctx.endsWith('/split') ? moduleBase(input.ctx).btf : null;
    const btf = allow('parseBtf', () => parseBtf(input.bytes, { base }));
    if (!btf) return bump(stats, 'rejected');
    if (!dumpC) return bump(stats, 'no-c-dump');
    // bpftool itself fails on some accepted BTF (e.g. unsatisfiable type cycles, -ELOOP):
    // a BtfkitError is a legitimate refusal; anything else, or no answer in time, is not.
    const ok = allow('dumpC', () => dumpC!(btf));
    bump(stats, ok ? 'dumped' : 'refused');
  },
};

// --------------------------------------------------------------------------- registry

export interface TargetSpec {
  target: Target;
  seeds(): Seed[];
  mutation: fc.Arbitrary<Mutation>;
  /** Relative cost: CI runs are split in proportion to 1/cost. */
  cost: number;
  /** Run each input in a worker with a hard timeout (for code that may hang or exhaust memory). */
  isolated?: boolean;
}

function splitSeeds(): Seed[] {
  return goldenModules().map((m) => ({ ctx: `golden:${m.name}`, bytes: m.split }));
}

/** Small modules only for the expensive targets (distill, relocate). */
function smallSplitSeeds(): Seed[] {
  return goldenModules().filter((m) => m.split.length <= 16384).map((m) => ({ ctx: `golden:${m.name}`, bytes: m.split }));
}

export const TARGETS: Record<string, TargetSpec> = {
  btf: { target: btfTarget, seeds: baseBtfSeeds, mutation: btfMutationArb, cost: 1 },
  'btf-split': { target: btfSplitTarget, seeds: splitSeeds, mutation: btfMutationArb, cost: 3 },
  distill: { target: distillTarget, seeds: smallSplitSeeds, mutation: btfMutationArb, cost: 3 },
  relocate: {
    target: relocateTarget,
    seeds: () =>
      goldenModules()
        .filter((m) => m.split.length <= 16384)
        .flatMap((m) => [
          { ctx: `golden:${m.name}`, bytes: m.base },
          { ctx: `golden:${m.name}/newbase`, bytes: m.base },
        ]),
    mutation: btfMutationArb,
    cost: 2,
  },
  elf: { target: elfTarget, seeds: elfSeeds, mutation: elfMutationArb, cost: 1 },
  image: { target: imageTarget, seeds: imageSeeds, mutation: genericMutationArb, cost: 2 },
  btfids: { target: btfidsTarget, seeds: btfIdsSeeds, mutation: elfMutationArb, cost: 1 },
  'dump-c': {
    target: dumpCTarget,
    seeds: () => [...baseBtfSeeds(), ...goldenModules().filter((m) => m.split.length <= 16384).map((m) => ({ ctx: `golden:${m.name}/split`, bytes: m.split }))],
    mutation: btfMutationArb,
    cost: 3,
    isolated: true,
  },
  dedup: { target: dedupTarget, seeds: baseBtfSeeds, mutation: btfMutationArb, cost: 2 },
  verify: {
    target: verifyTarget,
    seeds: () => [...baseBtfSeeds(), ...goldenModules().map((m) => ({ ctx: `golden:${m.name}`, bytes: m.base }))],
    mutation: btfMutationArb,
    cost: 1,
  },
};

export const TARGET_NAMES = Object.keys(TARGETS);

/** Looks a target up by name (for workers and regression replays). */
export function targetByName(name: string): Target | undefined {
  return TARGETS[name]?.target;
}
