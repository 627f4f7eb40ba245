/**
 * `npm run test:corpus`: parity sweeps over the whole corpus (`npm run corpus` first).
 *
 *  1. every vmlinux and every module's `.BTF`: parse → serialize byte-identical (canonical);
 *  2. the bpftool goldens: raw / JSON / C dumps of the 6.1.0-47 and -55 vmlinux, raw and C
 *     dumps of the 40 golden modules with -B vmlinux-47;
 *  3. distill + relocate of every module against libbpf's results (scripts/split-corpus);
 *  4. the ELF write path: every module's `.BTF` rewritten with its own bytes (scripts/elf-roundtrip).
 *
 *   node dist/scripts/test-corpus.js [--every K]   (K > 1: a representative slice, for CI)
 *
 * Prints one line per check and `N passed, M failed` at the end; exits 1 on any failure.
 */

import { createHash } from 'node:crypto';
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
import { CORPUS_KERNELS, hasCorpus, kernelBtfPath, modulesDir } from './corpus-paths.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');

function goldenDir(): string | null {
  for (const d of [process.env.BTFKIT_GOLDEN, join(repo, '..', 'shared', 'golden'), '/work/shared/golden']) {
    if (d && existsSync(join(d, 'README.md'))) return d;
  }
  return null;
}

let passed = 0;
let failed = 0;
function report(name: string, ok: boolean, detail = ''): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function modulesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.ko')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

function roundTrip(btf: Btf, bytes: Uint8Array): boolean {
  btf.modified();
  const out = serializeBtf(btf);
  return out.length === bytes.length && Buffer.compare(Buffer.from(out), Buffer.from(bytes)) === 0;
}

function main(): void {
  const ei = process.argv.indexOf('--every');
  const every = ei > 0 ? Math.max(1, Number(process.argv[ei + 1])) : 1;
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
    const mods = modulesUnder(modulesDir(k)).filter((_, i) => i % every === 0);
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
    void sha;
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
  console.log(`\n${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

main();
