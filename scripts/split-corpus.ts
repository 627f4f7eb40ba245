/**
 * Corpus sweep for distill + relocate (issue 4): every module of Debian 6.1.0-47 against the
 * libbpf v1.7.0 results in ../shared/golden/modules-6.1.0-47.tsv.gz (src/testing/fixtures.ts).
 *
 * For each module: take the `.BTF` section of the .ko, parse it as split BTF on vmlinux-47,
 * distill, compare the sha256 of the distilled base and the new split; re-parse those bytes
 * (as libbpf's harness did) and relocate onto the vmlinux BTF of 6.1.0-47, 6.1.0-55 and
 * 6.1.0-55-cloud, comparing status, relocated sha256, id-map sha256 and the first libbpf
 * error line. Prints `N passed, M failed`, per-column mismatch counts and timings.
 *
 *   node dist/scripts/split-corpus.js [--limit N] [--every K] [--verbose]
 *   node dist/scripts/split-corpus.js --write-fixtures test/golden/split
 *
 */

import { REPO, cacheDir, goldenDir } from '../src/testing/fixtures.js';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, copyFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseBtf } from '../src/format/parse.js';
import { serializeBtf } from '../src/format/write.js';
import { KindId as Kind } from '../src/format/kinds.js';
import { Btf } from '../src/model/btf.js';
import { distillBase } from '../src/split/distill.js';
import { tryRelocate } from '../src/split/relocate.js';
import { parseElf } from '../src/elf/index.js';
import { hasCorpus, kernelBtfPath, modulesDir } from './corpus-paths.js';

export const CACHE = cacheDir();
export const VMLINUX_DIR = join(CACHE, 'vmlinux');
/** The corpus of `npm run corpus` first; the older hand-extracted cache layout as a fallback. */
export const MODULE_DIR = hasCorpus('6.1.0-47-amd64') ? modulesDir('6.1.0-47-amd64') : join(CACHE, 'x/linux-image-6.1.0-47-amd64-unsigned_6.1.170-3_amd64/lib/modules/6.1.0-47-amd64/kernel');
/** The shared golden set (src/testing/fixtures.ts); a path that does not exist when it is absent. */
export const GOLDEN = goldenDir() ?? join(REPO, '..', 'shared', 'golden');
export const KERNELS = ['6.1.0-47', '6.1.0-55', '6.1.0-55-cloud'] as const;
export type KernelId = (typeof KERNELS)[number];

export function vmlinuxPath(k: string): string {
  if (hasCorpus(`${k}-amd64`)) return kernelBtfPath(`${k}-amd64`);
  return join(VMLINUX_DIR, `${k}-amd64.btf`);
}

/** The bytes of the named section of an ELF file (the last one of that name, as libbpf), or null. */
export function elfSection(buf: Uint8Array, name: string): Uint8Array | null {
  const elf = parseElf(buf);
  const sec = elf.section(name);
  return sec ? elf.sectionData(sec) : null;
}

export function sha256(b: Uint8Array | string): string {
  return createHash('sha256').update(b).digest('hex');
}

/** The golden id-map text: "<old> <new>\n" for old = 1 … n−1. */
export function idMapText(m: Uint32Array): string {
  const parts: string[] = new Array(m.length > 0 ? m.length - 1 : 0);
  for (let i = 1; i < m.length; i++) parts[i - 1] = `${i} ${m[i]}\n`;
  return parts.join('');
}

export interface TsvRow {
  module: string;
  btf: string;
  btfIds: string;
  distilledBase: string;
  split: string;
  reloc: Record<string, { status: string; relocated: string; idmap: string; error: string }>;
}

export function readTsv(path = join(GOLDEN, 'modules-6.1.0-47.tsv.gz')): TsvRow[] {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
  const rows: TsvRow[] = [];
  for (const line of lines.slice(1)) {
    if (!line) continue;
    const c = line.split('\t');
    const reloc: TsvRow['reloc'] = {};
    KERNELS.forEach((k, i) => {
      const b = 5 + 4 * i;
      reloc[k] = { status: c[b]!, relocated: c[b + 1]!, idmap: c[b + 2]!, error: c[b + 3]! };
    });
    rows.push({ module: c[0]!, btf: c[1]!, btfIds: c[2]!, distilledBase: c[3]!, split: c[4]!, reloc });
  }
  return rows;
}

const COLUMNS = ['btf', 'distilled_base', 'split', ...KERNELS.flatMap((k) => [`${k}.status`, `${k}.relocated`, `${k}.idmap`, `${k}.error`])];

export interface SweepOptions {
  limit?: number;
  every?: number;
  verbose?: boolean;
  log?: (s: string) => void;
}

export interface SweepResult {
  modules: number;
  passed: number;
  failed: number;
  mismatches: Record<string, number>;
  failedModules: string[];
  ms: { total: number; parse: number; distill: number; relocate: number; distillMedianUs: number; relocateMedianUs: number };
  relocateOk: Record<string, number>;
}

function median(a: number[]): number {
  if (a.length === 0) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1]!;
}

export function sweep(opts: SweepOptions = {}): SweepResult {
  const log = opts.log ?? ((s: string) => process.stdout.write(s + '\n'));
  const t0 = performance.now();
  const bases = new Map<string, Btf>();
  for (const k of KERNELS) bases.set(k, parseBtf(new Uint8Array(readFileSync(vmlinuxPath(k))), { section: `vmlinux-${k}` }));
  let rows = readTsv();
  if (opts.every && opts.every > 1) rows = rows.filter((_, i) => i % opts.every! === 0);
  if (opts.limit !== undefined) rows = rows.slice(0, opts.limit);
  const mismatches: Record<string, number> = Object.fromEntries(COLUMNS.map((c) => [c, 0]));
  const relocateOk: Record<string, number> = Object.fromEntries(KERNELS.map((k) => [k, 0]));
  const failedModules: string[] = [];
  let passed = 0;
  let tParse = 0;
  let tDistill = 0;
  let tReloc = 0;
  const dTimes: number[] = [];
  const rTimes: number[] = [];
  const v47 = bases.get('6.1.0-47')!;
  for (const row of rows) {
    const bad: string[] = [];
    const ko = new Uint8Array(readFileSync(join(MODULE_DIR, row.module)));
    const sec = elfSection(ko, '.BTF');
    if (!sec) {
      bad.push('btf');
    } else {
      if (sha256(sec) !== row.btf) bad.push('btf');
      let a = performance.now();
      const split = parseBtf(sec, { base: v47, section: '.BTF' });
      tParse += performance.now() - a;
      a = performance.now();
      const d = distillBase(split);
      const dt = performance.now() - a;
      tDistill += dt;
      dTimes.push(dt);
      const dbBytes = serializeBtf(d.base);
      const spBytes = serializeBtf(d.split);
      if (sha256(dbBytes) !== row.distilledBase) bad.push('distilled_base');
      if (sha256(spBytes) !== row.split) bad.push('split');
      for (const k of KERNELS) {
        const exp = row.reloc[k]!;
        a = performance.now();
        const db = parseBtf(dbBytes);
        const sp = parseBtf(spBytes, { base: db });
        tParse += performance.now() - a;
        a = performance.now();
        const r = tryRelocate(sp, bases.get(k)!);
        const rt = performance.now() - a;
        tReloc += rt;
        rTimes.push(rt);
        const status = r.ok ? 'ok' : 'fail';
        if (r.ok) relocateOk[k]!++;
        if (status !== exp.status) bad.push(`${k}.status`);
        const relocated = r.ok ? sha256(serializeBtf(r.btf)) : '-';
        const idmap = r.ok ? sha256(idMapText(r.idMap)) : '-';
        const error = r.ok ? '-' : `libbpf: ${r.error.message}`;
        if (relocated !== exp.relocated) bad.push(`${k}.relocated`);
        if (idmap !== exp.idmap) bad.push(`${k}.idmap`);
        if (error !== exp.error) {
          bad.push(`${k}.error`);
          if (opts.verbose) log(`  ${row.module} ${k}: ours ${JSON.stringify(error)} libbpf ${JSON.stringify(exp.error)}`);
        }
      }
    }
    if (bad.length === 0) passed++;
    else {
      failedModules.push(row.module);
      for (const c of bad) mismatches[c] = (mismatches[c] ?? 0) + 1;
      if (opts.verbose) log(`FAIL ${row.module}: ${bad.join(', ')}`);
    }
  }
  return {
    modules: rows.length,
    passed,
    failed: rows.length - passed,
    mismatches,
    failedModules,
    relocateOk,
    ms: {
      total: performance.now() - t0,
      parse: tParse,
      distill: tDistill,
      relocate: tReloc,
      distillMedianUs: median(dTimes) * 1000,
      relocateMedianUs: median(rTimes) * 1000,
    },
  };
}

// ------------------------------------------------------------------ CI fixtures

/** The modules whose golden files are copied for CI (small files). */
export const FIXTURE_MODULES: Record<string, string> = {
  crc16: 'lib/crc16.ko',
  cast_common: 'crypto/cast_common.ko',
  nls_utf8: 'fs/nls/nls_utf8.ko',
  'i2c-ccgx-ucsi': 'drivers/i2c/busses/i2c-ccgx-ucsi.ko',
  tcp_dctcp: 'net/ipv4/tcp_dctcp.ko',
  act_nat: 'net/sched/act_nat.ko',
  at24: 'drivers/misc/eeprom/at24.ko',
  'i2c-amd8111': 'drivers/i2c/busses/i2c-amd8111.ko',
};

/**
 * A "skeleton" of a vmlinux BTF for CI: the same type count and string-section length, every
 * type that carries one of `names` (any kind) at its own id with its name at its own string
 * offset and the words relocation reads (kind, kflag, size, INT encoding; no members), every
 * other type an anonymous `PTR → void`. Relocating the fixture modules onto it gives the same
 * bytes, id map and errors as onto the real vmlinux, at a few KB gzipped.
 */
export function skeletonBase(full: Btf, names: Set<string>): Btf {
  if (full.base) throw new Error('skeletonBase: base BTF expected');
  const n = full.nTypes;
  let nw = 0;
  const keep = new Uint8Array(n + 1);
  for (let id = 1; id <= n; id++) {
    const no = full.nameOff(id);
    if (no !== 0 && names.has(full.nameKey(id))) {
      keep[id] = 1;
      nw += full.kind(id) === Kind.INT ? 4 : 3;
    } else nw += 3;
  }
  const words = new Uint32Array(nw);
  const offs = new Uint32Array(n);
  const strs = new Uint8Array(full.strLen);
  let w = 0;
  for (let id = 1; id <= n; id++) {
    offs[id - 1] = w;
    if (!keep[id]) {
      words[w + 1] = Kind.PTR << 24;
      w += 3;
      continue;
    }
    const kind = full.kind(id);
    const no = full.nameOff(id);
    const s = full.strOwner(no)!;
    const l = no - s.startStrOff;
    const e = s.raw().strs.indexOf(0, l);
    strs.set(s.raw().strs.subarray(l, e), no);
    const kflag = full.info(id) & 0x80000000;
    switch (kind) {
      case Kind.INT:
        words.set([no, (kflag | (Kind.INT << 24)) >>> 0, full.word(id, 2), full.word(id, 3)], w);
        w += 4;
        break;
      case Kind.FLOAT: case Kind.ENUM: case Kind.ENUM64: case Kind.STRUCT: case Kind.UNION: case Kind.FWD:
        words.set([no, (kflag | (kind << 24)) >>> 0, full.word(id, 2)], w);
        w += 3;
        break;
      default: // other kinds only matter to the diagnosis: keep the name, as a TYPEDEF → void
        words.set([no, Kind.TYPEDEF << 24, 0], w);
        w += 3;
    }
  }
  return Btf.fromParts(null, full.endian, { words, nWords: w, offs, nTypes: n, strs, strLen: full.strLen });
}

/** Copies the CI golden files of FIXTURE_MODULES and writes skeleton bases into `dir`. */
export function writeFixtures(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const names = new Set<string>();
  for (const [m, path] of Object.entries(FIXTURE_MODULES)) {
    const src = join(GOLDEN, 'modules', m);
    const dst = join(dir, m);
    mkdirSync(dst, { recursive: true });
    for (const f of ['distilled_base.btf', 'split.btf', 'result.json']) copyFileSync(join(src, f), join(dst, f));
    for (const k of KERNELS) {
      if (existsSync(join(src, `relocated-${k}.btf`))) copyFileSync(join(src, `relocated-${k}.btf`), join(dst, `relocated-${k}.btf`));
      if (existsSync(join(src, `idmap-${k}.txt.gz`))) copyFileSync(join(src, `idmap-${k}.txt.gz`), join(dst, `idmap-${k}.txt.gz`));
    }
    const sec = elfSection(new Uint8Array(readFileSync(join(MODULE_DIR, path))), '.BTF');
    if (!sec) throw new Error(`${path}: no .BTF`);
    writeFileSync(join(dst, 'module.BTF'), sec);
    const db = parseBtf(new Uint8Array(readFileSync(join(src, 'distilled_base.btf'))));
    for (let id = 1; id < db.typeCount(); id++) names.add(db.nameKey(id));
  }
  for (const k of KERNELS) {
    const full = parseBtf(new Uint8Array(readFileSync(vmlinuxPath(k))));
    const sk = skeletonBase(full, names);
    writeFileSync(join(dir, `skeleton-${k}.btf.gz`), gzipSync(serializeBtf(sk), { level: 9 }));
  }
}

// ------------------------------------------------------------------ CLI

function main(argv: string[]): void {
  const opts: SweepOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--limit') opts.limit = Number(argv[++i]);
    else if (a === '--every') opts.every = Number(argv[++i]);
    else if (a === '--verbose' || a === '-v') opts.verbose = true;
    else if (a === '--write-fixtures') {
      writeFixtures(argv[++i] ?? 'test/golden/split');
      return;
    } else {
      process.stderr.write(`usage: split-corpus [--limit N] [--every K] [--verbose] | --write-fixtures DIR\n`);
      process.exitCode = 2;
      return;
    }
  }
  if (!existsSync(vmlinuxPath('6.1.0-47')) || !existsSync(MODULE_DIR)) {
    process.stderr.write('split-corpus: no corpus (run `npm run corpus`)\n');
    process.exitCode = 1;
    return;
  }
  const r = sweep(opts);
  const out: string[] = [];
  out.push(`${r.passed} passed, ${r.failed} failed (of ${r.modules} modules)`);
  out.push(`mismatches per column: ${COLUMNS.map((c) => `${c}=${r.mismatches[c]}`).join(' ')}`);
  out.push(`relocation ok: ${KERNELS.map((k) => `${k}=${r.relocateOk[k]}`).join(' ')}`);
  out.push(
    `time: total ${(r.ms.total / 1000).toFixed(2)} s; parse ${(r.ms.parse / 1000).toFixed(2)} s, ` +
      `distill ${(r.ms.distill / 1000).toFixed(2)} s (median ${r.ms.distillMedianUs.toFixed(0)} µs), ` +
      `relocate ${(r.ms.relocate / 1000).toFixed(2)} s (median ${r.ms.relocateMedianUs.toFixed(0)} µs)`,
  );
  if (r.failedModules.length) out.push(`failed: ${r.failedModules.slice(0, 20).join(' ')}${r.failedModules.length > 20 ? ' …' : ''}`);
  process.stdout.write(out.join('\n') + '\n');
  if (r.failed > 0) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));

// ------------------------------------------------------------------ 6.12 (live libbpf)

export interface Sweep612Result {
  modules: number;
  statusSame: number;
  statusDiffers: string[];
  bytesChecked: number;
  bytesDiffer: string[];
  ms: number;
}

/** Our distill of `ko`'s .BTF on `oldBase` and relocation onto `newBase` (as btfo's sweep). */
function roundTrip612(ko: Uint8Array, oldBase: Btf, newBase: Btf): { status: 'ok' | 'nobtf' | 'fail'; base?: Uint8Array; split?: Uint8Array; relocated?: Uint8Array } {
  const sec = elfSection(ko, '.BTF');
  if (!sec) return { status: 'nobtf' };
  try {
    const d = distillBase(parseBtf(sec, { base: oldBase, section: '.BTF' }));
    const base = serializeBtf(d.base);
    const split = serializeBtf(d.split);
    const r = tryRelocate(parseBtf(split, { base: parseBtf(base) }), newBase);
    return r.ok ? { status: 'ok', base, split, relocated: serializeBtf(r.btf) } : { status: 'fail', base, split };
  } catch {
    return { status: 'fail' };
  }
}

/**
 * Distill + relocate of the 6.12 corpus tree (modules of the older 6.12 kernel distilled on its
 * vmlinux, relocated onto the newer one's) against libbpf v1.7.0 run live through the btfo
 * harness: the status of every module (one `btfo sweep` process), and byte equality of the
 * distilled base, the split and the relocated BTF for every `bytesEvery`-th module (`btfo
 * distill` + `btfo relocate`).
 */
export function sweep612(opts: { btfo: string; every?: number; bytesEvery?: number; older: string; newer: string; modulesDir: string; tmp: string; log?: (s: string) => void }): Sweep612Result {
  const t0 = performance.now();
  const oldPath = kernelBtfPath(opts.older);
  const newPath = kernelBtfPath(opts.newer);
  const oldBase = parseBtf(new Uint8Array(readFileSync(oldPath)));
  const newBase = parseBtf(new Uint8Array(readFileSync(newPath)));
  const every = Math.max(1, opts.every ?? 1);
  const bytesEvery = Math.max(1, opts.bytesEvery ?? 40);
  const mods = listKo(opts.modulesDir).filter((_, i) => i % every === 0);
  const list = join(opts.tmp, 'modules-612.txt');
  writeFileSync(list, mods.join('\n') + '\n');
  const r = spawnSync(opts.btfo, ['sweep', oldPath, newPath, list], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const theirs = new Map<string, string>();
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /^(\S+) (ok|nobtf|fail)\b/.exec(line);
    if (m) theirs.set(m[1]!, m[2]!);
  }
  const res: Sweep612Result = { modules: mods.length, statusSame: 0, statusDiffers: [], bytesChecked: 0, bytesDiffer: [], ms: 0 };
  const same = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
  mods.forEach((m, i) => {
    const ours = roundTrip612(new Uint8Array(readFileSync(m)), oldBase, newBase);
    if (theirs.get(m) === ours.status) res.statusSame++;
    else res.statusDiffers.push(`${m}: ours ${ours.status}, libbpf ${theirs.get(m) ?? '(no line)'}`);
    if (i % bytesEvery !== 0 || ours.status === 'nobtf') return;
    const [d, s, o] = ['d', 's', 'o'].map((x) => join(opts.tmp, `612.${x}`));
    const dist = spawnSync(opts.btfo, ['distill', oldPath, m, d!, s!], { encoding: 'utf8' });
    if (dist.status !== 0) return;
    res.bytesChecked++;
    const rel = spawnSync(opts.btfo, ['relocate', d!, s!, newPath, o!], { encoding: 'utf8' });
    const ok =
      same(ours.base, readFileSync(d!)) &&
      same(ours.split, readFileSync(s!)) &&
      (rel.status === 0 ? same(ours.relocated, readFileSync(o!)) : ours.relocated === undefined);
    if (!ok) res.bytesDiffer.push(m);
  });
  res.ms = performance.now() - t0;
  opts.log?.(`6.12 sweep: ${res.statusSame}/${res.modules} statuses as libbpf, ${res.bytesChecked - res.bytesDiffer.length}/${res.bytesChecked} byte-identical`);
  return res;
}

function listKo(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ko')) out.push(p);
    }
  };
  walk(dir);
  return out;
}
