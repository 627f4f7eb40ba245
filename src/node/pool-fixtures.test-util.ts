/**
 * Test support for the pool, check and distill tests: a small synthetic "kernel" world that
 * always exists, and the locations of the real corpus (present on developer machines and CI
 * once `npm run corpus` ran; tests that need it skip otherwise).
 *
 * Synthetic world: kernel A and kernel B differ in `struct device` (4 bytes in A, 8 in B) and
 * B has no `struct gone`. Modules built on A: `ok.ko` (only an int), `dev.ko` (embeds struct
 * device by value: fails on B), `gone.ko` (points to struct gone: fails on B), `ok2.ko.gz`
 * (like ok.ko, gzip-compressed), and a non-ELF `junk.ko`.
 */

import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { Btf } from '../model/btf.js';
import { serializeBtf } from '../format/write.js';
import { buildElf } from '../elf/synth.js';
import { CORPUS_KERNELS, hasCorpus, kernelBtfPath, modulesDir } from '../../scripts/corpus-paths.js';
import { cachePath, firstExisting, goldenPath } from '../testing/fixtures.js';

export { REPO } from '../testing/fixtures.js';

function kernel(deviceSize: number, withGone: boolean): { btf: Btf; int: number; device: number; gone: number } {
  const b = Btf.create();
  const int = b.addInt('int', 4, 1);
  const device = b.addStruct('device', deviceSize);
  b.addField('a', int, 0);
  if (deviceSize > 4) b.addField('b', int, 32);
  const gone = withGone ? b.addStruct('gone', 4) : b.addStruct('other', 4);
  b.addField('x', int, 0);
  return { btf: b, int, device, gone };
}

function moduleElf(btf: Uint8Array): Uint8Array {
  return buildElf({
    class: 64,
    littleEndian: true,
    type: 1, // ET_REL
    machine: 62, // x86-64
    sections: [
      { name: '.text', type: 1, flags: 6, data: new Uint8Array(16), align: 16 },
      { name: '.BTF', type: 1, data: btf, align: 4 },
    ],
  }).bytes;
}

export interface SynthWorld {
  dir: string;
  kernelA: string;
  kernelB: string;
  modules: string;
}

/**
 * Runs `fn` on a fresh synthetic world and removes its directory afterwards (once the promise
 * settles when `fn` is async).
 */
export function withSynthWorld<T>(fn: (w: SynthWorld) => T): T {
  const w = makeSynthWorld();
  const remove = () => rmSync(w.dir, { recursive: true, force: true });
  let r: T;
  try {
    r = fn(w);
  } catch (e) {
    remove();
    throw e;
  }
  if (r instanceof Promise) return r.finally(remove) as T;
  remove();
  return r;
}

/** Writes the synthetic world into a fresh temp directory. */
export function makeSynthWorld(): SynthWorld {
  const dir = mkdtempSync(join(tmpdir(), 'btfkit-pool-'));
  const a = kernel(4, true);
  const bk = kernel(8, false);
  const kernelA = join(dir, 'A.btf');
  const kernelB = join(dir, 'B.btf');
  writeFileSync(kernelA, serializeBtf(a.btf));
  writeFileSync(kernelB, serializeBtf(bk.btf));
  const modules = join(dir, 'modules');
  mkdirSync(join(modules, 'sub'), { recursive: true });

  const okSplit = Btf.createSplit(a.btf);
  okSplit.addStruct('mine', 4);
  okSplit.addField('v', a.int, 0);
  const okBytes = moduleElf(serializeBtf(okSplit));
  writeFileSync(join(modules, 'ok.ko'), okBytes);
  writeFileSync(join(modules, 'sub', 'ok2.ko.gz'), gzipSync(okBytes));

  const devSplit = Btf.createSplit(a.btf);
  devSplit.addStruct('holder', 8);
  devSplit.addField('dev', a.device, 0);
  devSplit.addField('n', a.int, 32);
  writeFileSync(join(modules, 'sub', 'dev.ko'), moduleElf(serializeBtf(devSplit)));

  const goneSplit = Btf.createSplit(a.btf);
  const p = goneSplit.addPtr(a.gone);
  goneSplit.addStruct('user', 8);
  goneSplit.addField('g', p, 0);
  writeFileSync(join(modules, 'gone.ko'), moduleElf(serializeBtf(goneSplit)));

  writeFileSync(join(modules, 'junk.ko'), new TextEncoder().encode('this is not an ELF file\n'));
  writeFileSync(join(modules, 'README'), 'not a module\n');
  return { dir, kernelA, kernelB, modules };
}

// ------------------------------------------------------------------ the real corpus

const firstDir = firstExisting;
const CACHE = cachePath();

/** BTF of a corpus kernel ('6.1.0-47-amd64', …), or null. */
export function corpusKernel(kver: (typeof CORPUS_KERNELS)[number]): string | null {
  if (hasCorpus(kver)) return kernelBtfPath(kver);
  return CACHE ? firstDir([join(CACHE, 'vmlinux', `${kver}.btf`)]) : null;
}

/** The 6.1.0-47 module tree (paths below it as in the golden TSV), or null. */
export function corpusModules47(): string | null {
  if (hasCorpus('6.1.0-47-amd64')) return modulesDir('6.1.0-47-amd64');
  return CACHE ? firstDir([join(CACHE, 'x', 'linux-image-6.1.0-47-amd64-unsigned_6.1.170-3_amd64', 'lib', 'modules', '6.1.0-47-amd64', 'kernel')]) : null;
}

/** The golden modules TSV, or null. */
export function goldenTsv(): string | null {
  return goldenPath('modules-6.1.0-47.tsv.gz');
}

export interface GoldenRow {
  module: string;
  /** status and libbpf error per new base: '6.1.0-47', '6.1.0-55', '6.1.0-55-cloud'. */
  status: Record<string, 'ok' | 'fail' | 'skip'>;
  error: Record<string, string>;
}

/** Parses the (gunzipped) golden TSV. */
export function parseGoldenTsv(text: string): Map<string, GoldenRow> {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const head = lines[0]!.split('\t');
  const out = new Map<string, GoldenRow>();
  for (const line of lines.slice(1)) {
    const cols = line.split('\t');
    const row: GoldenRow = { module: cols[0]!, status: {}, error: {} };
    head.forEach((h, i) => {
      const m = /^(.*)\.(status|error)$/.exec(h);
      if (!m) return;
      if (m[2] === 'status') row.status[m[1]!] = cols[i] as 'ok' | 'fail' | 'skip';
      else row.error[m[1]!] = cols[i]!;
    });
    out.set(row.module, row);
  }
  return out;
}

/** The type libbpf named in a golden error: "libbpf: distilled base BTF type 'device' [3] …" → 'device'. */
export function goldenErrorType(error: string): string | null {
  const m = /type '([^']*)'/.exec(error);
  return m ? m[1]! : null;
}
