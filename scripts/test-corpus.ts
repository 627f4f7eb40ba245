/**
 * `npm run test:corpus`: parity sweeps over the whole corpus (`npm run corpus` first).
 *
 *  1. every vmlinux and every module's `.BTF`: parse → serialize byte-identical (canonical);
 *  2. the bpftool goldens: raw / JSON / C dumps of the 6.1.0-47 and -55 vmlinux, raw and C
 *     dumps of the 40 golden modules with -B vmlinux-47;
 *  3. distill + relocate of every module against libbpf's results (scripts/split-corpus);
 *  4. the ELF write path: every module's `.BTF` rewritten with its own bytes (scripts/elf-roundtrip);
 *  5. the 6.12 kernels (zstd images, .ko.xz modules), when the corpus has them: round trips,
 *     raw and C dumps of both vmlinux against bpftool v7.7.0 run live, distill + relocate of
 *     the older one's tree onto the newer one against libbpf v1.7.0 run live (btfo), and
 *     the shipped .ko.xz tree decoding to the decompressed one. The reference tools come
 *     from $BTFKIT_ORACLE or ~/.cache/btf-oracle/bin; without them those checks fail.
 *  6. the encoder's DKMS corpus (scripts/dkms-corpus.sh, `<corpus>/encoder-dkms`), when present:
 *     every module of test/golden/encoder/dkms.tsv encoded on the 6.12.118 kernel's BTF gets
 *     the .BTF, .BTF.base and .BTF_ids digests of kbuild + pahole v1.31 + resolve_btfids; the
 *     same for the DKMS corpus built in Debian 13 by gcc 14 against its own 6.12 headers
 *     (scripts/trixie-corpus.sh, `<corpus>/encoder-dkms-trixie`, test/golden/encoder/dkms-trixie.tsv);
 *  7. compressed DWARF: every third module of the encoder corpus (scripts/encoder-corpus.sh)
 *     with its debug sections compressed by `objcopy --compress-debug-sections` (zlib, zstd)
 *     gets the digests of test/golden/encoder/modules.tsv all the same.
 *
 *   node dist/scripts/test-corpus.js [--every K] [--612] [--dkms] [--compressed]   (K > 1: a
 *   representative slice, for CI; --612: only the 6.12 checks; --dkms: only the DKMS encoder
 *   sweep; --compressed: only 7.)
 *
 * Prints one line per check and `N passed, M failed` at the end; exits 1 on any failure.
 */

import { goldenDir as sharedGoldenDir } from '../src/testing/fixtures.js';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { parseBtf } from '../src/format/parse.js';
import { serializeBtf } from '../src/format/write.js';
import { parseElf } from '../src/elf/index.js';
import { dumpRaw } from '../src/dump/raw.js';
import { dumpJson } from '../src/dump/json.js';
import { dumpC } from '../src/dump/c.js';
import type { Btf } from '../src/model/btf.js';
import { checkEncoderGolden } from '../src/testing/encoder-golden.js';
import { CORPUS_KERNELS, corpusDir, corpus612, filesUnder, hasCorpus, kernelBtfPath, modulesDir, modulesXzDir } from './corpus-paths.js';
import { sweep612 } from './split-corpus.js';
import { decompress, decompressSection } from '../src/node/decompress.js';
import { homedir, tmpdir } from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

function goldenDir(): string | null {
  const d = sharedGoldenDir();
  return d !== null && existsSync(join(d, 'README.md')) ? d : null;
}

let passed = 0;
let failed = 0;
function report(name: string, ok: boolean, detail = ''): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
}



function roundTrip(btf: Btf, bytes: Uint8Array): boolean {
  btf.modified();
  const out = serializeBtf(btf);
  return out.length === bytes.length && Buffer.compare(Buffer.from(out), Buffer.from(bytes)) === 0;
}

function oracleBin(name: string): string {
  return join(process.env.BTFKIT_ORACLE ?? join(homedir(), '.cache', 'btf-oracle', 'bin'), name);
}

/** 5. The 6.12 kernels (see the file comment). */
function check612(every: number): void {
  const k = corpus612();
  if (!k) {
    report('6.12 corpus kernels', false, 'missing: run `npm run corpus`');
    return;
  }
  const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
  const bpftool = oracleBin('bpftool');
  for (const kver of [k.older, k.newer]) {
    const vb = new Uint8Array(readFileSync(kernelBtfPath(kver)));
    const v = parseBtf(vb);
    report(`round trip vmlinux ${kver} (${v.nTypes} types)`, roundTrip(parseBtf(vb), vb));
    for (const [format, ours] of [['raw', dumpRaw], ['c', dumpC]] as const) {
      const r = spawnSync(bpftool, ['btf', 'dump', 'file', kernelBtfPath(kver), 'format', format], { maxBuffer: 1 << 30 });
      if (r.status !== 0) {
        report(`bpftool ${format} dump vmlinux ${kver}`, false, `bpftool failed: ${r.error?.message ?? r.stderr}`);
        continue;
      }
      report(`bpftool ${format} dump vmlinux ${kver} (live)`, same(ours(v), new Uint8Array(r.stdout)));
    }
  }
  const tmp = mkdtempSync(join(tmpdir(), 'btfkit-612-'));
  try {
    const s = sweep612({ btfo: oracleBin('btfo'), every, bytesEvery: 40, older: k.older, newer: k.newer, modulesDir: modulesDir(k.older), tmp });
    for (const d of [...s.statusDiffers, ...s.bytesDiffer].slice(0, 10)) console.log(`  ${d}`);
    report(`distill ${k.older} modules + relocate onto ${k.newer}: status as libbpf (live)`, s.statusDiffers.length === 0 && s.modules > 0, `${s.statusSame}/${s.modules}`);
    report(`  same, byte-identical base/split/relocated (every 40th)`, s.bytesDiffer.length === 0 && s.bytesChecked > 0, `${s.bytesChecked - s.bytesDiffer.length}/${s.bytesChecked} (${(s.ms / 1000).toFixed(1)} s)`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // The shipped .ko.xz tree decodes to the decompressed tree the corpus keeps.
  const xz = filesUnder(modulesXzDir(k.older).replace(/\/$/, ''), '.ko.xz').filter((_, i) => i % every === 0);
  let bad = 0;
  for (const f of xz) {
    const plain = join(modulesDir(k.older), f.slice(modulesXzDir(k.older).length + 1, -3));
    try {
      if (!same(decompress('xz', new Uint8Array(readFileSync(f))), new Uint8Array(readFileSync(plain)))) bad++;
    } catch (e) {
      bad++;
      console.log(`  ${f}: ${(e as Error).message}`);
    }
  }
  report(`decode ${xz.length} .ko.xz of ${k.older}`, bad === 0 && xz.length > 0, `${xz.length - bad}/${xz.length} identical`);
}

/**
 * 6. The encoder's DKMS corpora (see the file comment), each skipped when it was not built: the
 * kernel whose headers built it, and the script that builds it.
 */
const DKMS_CORPORA = [
  { dir: 'encoder-dkms', tsv: 'dkms.tsv', what: '', kernel: (): string => kernelBtfPath('6.12.118+deb12-amd64'), script: 'scripts/dkms-corpus.sh' },
  // trixie-corpus.sh keeps the BTF of the Debian 13 headers it built against beside the groups
  { dir: 'encoder-dkms-trixie', tsv: 'dkms-trixie.tsv', what: ' built by Debian 13 (gcc 14)', kernel: (): string => join(corpusDir(), 'encoder-dkms-trixie', 'vmlinux.btf'), script: 'scripts/trixie-corpus.sh' },
];

function checkEncoderDkms(): void {
  for (const c of DKMS_CORPORA) {
    const dir = join(corpusDir(), c.dir);
    const kernelPath = c.kernel();
    if (!existsSync(dir) || !existsSync(kernelPath)) {
      console.log(`skip encoder DKMS corpus${c.what}: ${existsSync(dir) ? `no ${kernelPath}` : `no ${dir} (${c.script})`}`);
      continue;
    }
    const kernel = parseBtf(new Uint8Array(readFileSync(kernelPath)));
    const results = checkEncoderGolden(join(repo, 'test/golden/encoder', c.tsv), dir, kernel);
    for (const r of results) if (!r.ok) console.log(`  ${r.module}: ${r.detail}`);
    const seen = results.length;
    const ok = results.filter((r) => r.ok).length;
    report(`encoder DKMS corpus${c.what}: ${seen} modules as kbuild + pahole v1.31 made them`, seen > 0 && ok === seen, `${ok}/${seen} identical or refused alike`);
  }
}

/** 7. Compressed DWARF (see the file comment); skipped without the encoder corpus or objcopy. */
function checkCompressedDwarf(): void {
  const dir = join(corpusDir(), 'encoder');
  const kernelPath = kernelBtfPath('6.12.118+deb12-amd64');
  if (!existsSync(dir) || !existsSync(kernelPath) || spawnSync('objcopy', ['--version']).status !== 0) {
    console.log('skip compressed DWARF: needs the encoder corpus (scripts/encoder-corpus.sh), 6.12.118 and objcopy');
    return;
  }
  const kernel = parseBtf(new Uint8Array(readFileSync(kernelPath)));
  const tmp = mkdtempSync(join(tmpdir(), 'btfkit-zdebug-'));
  try {
    for (const z of ['zlib', 'zstd']) {
      const input = (pre: string): Uint8Array => {
        const out = join(tmp, `${z}.ko`);
        const r = spawnSync('objcopy', [`--compress-debug-sections=${z}`, pre, out], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`objcopy: ${r.stderr.trim()}`);
        const bytes = new Uint8Array(readFileSync(out));
        if (((parseElf(bytes).section('.debug_info')?.flags ?? 0) & 0x800) === 0) throw new Error(`${pre}: objcopy left .debug_info uncompressed`);
        return bytes;
      };
      const results = checkEncoderGolden(join(repo, 'test/golden/encoder/modules.tsv'), dir, kernel, { input, decompress: decompressSection, every: 3 });
      for (const r of results) if (!r.ok) console.log(`  ${r.module}: ${r.detail}`);
      const ok = results.filter((r) => r.ok).length;
      report(`encoder corpus, debug sections ${z}-compressed (every third module)`, results.length > 0 && ok === results.length, `${ok}/${results.length} identical or refused alike`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function main(): void {
  if (process.argv.includes('--compressed')) {
    checkCompressedDwarf();
    console.log(`\n${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
    return;
  }
  if (process.argv.includes('--dkms')) {
    checkEncoderDkms();
    console.log(`\n${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
    return;
  }
  const ei = process.argv.indexOf('--every');
  const every = ei > 0 ? Math.max(1, Number(process.argv[ei + 1])) : 1;
  if (process.argv.includes('--612')) {
    // only the 6.12 checks (5.)
    check612(every);
    console.log(`\n${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
    return;
  }
  if (!hasCorpus()) {
    console.log('no corpus: run `npm run corpus` first');
    process.exit(1);
  }
  const bases = new Map<string, Btf>();
  // 1. round trips
  for (const k of CORPUS_KERNELS) {
    const vb = new Uint8Array(readFileSync(kernelBtfPath(k)));
    const v = parseBtf(vb);
    bases.set(k, parseBtf(vb));
    report(`round trip vmlinux ${k} (${v.nTypes} types)`, roundTrip(v, vb));
    const mods = filesUnder(modulesDir(k), '.ko').filter((_, i) => i % every === 0);
    let bad = 0;
    const t = performance.now();
    for (const m of mods) {
      try {
        const elf = parseElf(new Uint8Array(readFileSync(m)));
        const sec = elf.requireSection('.BTF');
        const data = elf.sectionData(sec);
        if (!roundTrip(parseBtf(data, { base: bases.get(k)! }), data)) bad++;
      } catch (e) {
        bad++;
        console.log(`  ${m}: ${(e as Error).message}`);
      }
    }
    report(`round trip ${mods.length} modules of ${k}`, bad === 0, `${mods.length - bad}/${mods.length} identical, ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  // 2. bpftool goldens
  const g = goldenDir();
  if (!g) {
    report('golden directory (../shared/golden)', false, 'not found');
  } else {
    const gz = (p: string): Buffer => gunzipSync(readFileSync(p));
    const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
    for (const [k, dir] of [['6.1.0-47-amd64', 'debian-6.1.0-47-amd64'], ['6.1.0-55-amd64', 'debian-6.1.0-55-amd64']] as const) {
      const b = bases.get(k)!;
      report(`bpftool raw dump vmlinux ${k}`, same(dumpRaw(b), gz(join(g, 'vmlinux', dir, 'raw.txt.gz'))));
      report(`bpftool json dump vmlinux ${k}`, JSON.stringify(JSON.parse(Buffer.from(dumpJson(b)).toString())) === JSON.stringify(JSON.parse(gz(join(g, 'vmlinux', dir, 'raw.json.gz')).toString())));
      report(`bpftool C dump vmlinux ${k}`, same(dumpC(b), gz(join(g, 'vmlinux', dir, 'c.h.gz'))));
    }
    const v47 = bases.get('6.1.0-47-amd64')!;
    const names = readdirSync(join(g, 'modules')).sort();
    let rawOk = 0;
    let cOk = 0;
    for (const n of names) {
      const r = JSON.parse(readFileSync(join(g, 'modules', n, 'result.json'), 'utf8')) as { module: string };
      const elf = parseElf(new Uint8Array(readFileSync(join(modulesDir('6.1.0-47-amd64'), r.module))));
      const btf = parseBtf(elf.sectionData(elf.requireSection('.BTF')), { base: v47 });
      if (same(dumpRaw(btf), gz(join(g, 'modules', n, 'module.raw.txt.gz')))) rawOk++;
      else console.log(`  raw dump differs: ${n}`);
      if (same(dumpC(btf), gz(join(g, 'modules', n, 'module.c.h.gz')))) cOk++;
      else console.log(`  C dump differs: ${n}`);
    }
    report(`bpftool raw dumps of ${names.length} golden modules (-B vmlinux-47)`, rawOk === names.length, `${rawOk}/${names.length}`);
    report(`bpftool C dumps of ${names.length} golden modules (-B vmlinux-47)`, cOk === names.length, `${cOk}/${names.length}`);
  }
  // 3 + 4: the sweeps of their own scripts
  const sub = (script: string, args: string[]): void => {
    const t = performance.now();
    const r = spawnSync(process.execPath, [join(here, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const last = (r.stdout ?? '').trim().split('\n').filter((l) => /\d+ passed, \d+ failed/.test(l)).pop() ?? (r.stderr ?? '').trim().split('\n').pop() ?? '';
    report(`${script} ${args.join(' ')}`.trim(), r.status === 0, `${last.trim()} (${((performance.now() - t) / 1000).toFixed(1)} s)`);
  };
  sub('split-corpus.js', every > 1 ? ['--every', String(every)] : []);
  sub('elf-roundtrip.js', [modulesDir('6.1.0-47-amd64')]);
  sub('dedup-corpus.js', []);
  check612(every);
  checkEncoderDkms();
  checkCompressedDwarf();
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main();
