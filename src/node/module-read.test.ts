/**
 * ModuleReader: the sections of .ko.xz modules decoded into its kept buffers are those of the
 * general path (readModuleSections), byte for byte, and so are its errors; a module larger
 * than the buffer, after smaller ones, and smaller ones after it, come out right.
 * The xz files are made by the xz tool (skipped without it) and taken from the corpus.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModuleReader, readModuleSections, isNoBtfError, type ModuleSections } from './module-read.js';
import { findModules } from '../cli/check.js';
import { withSynthWorld } from './pool-fixtures.test-util.js';
import { buildElf } from '../elf/synth.js';
import { corpus612, modulesXzDir } from '../../scripts/corpus-paths.js';

const haveXz = spawnSync('xz', ['--version'], { stdio: 'ignore' }).status === 0;

function xz(data: Uint8Array): Uint8Array {
  // kmod's settings for modules.
  return execFileSync('xz', ['-c', '--check=crc32', '--lzma2=dict=1MiB'], { input: data, maxBuffer: 1 << 28 });
}

function plain(s: ModuleSections): [number[], number[] | null] {
  return [[...s.btf], s.btfBase ? [...s.btfBase] : null];
}

async function outcome(p: Promise<ModuleSections>): Promise<unknown> {
  try {
    return plain(await p);
  } catch (e) {
    return { error: String(e), noBtf: isNoBtfError(e) };
  }
}

/** A module ELF with `.BTF` (and `.BTF.base`), padded with `pad` bytes of filler. */
function moduleWith(btf: Uint8Array, base: Uint8Array | null, pad: number): Uint8Array {
  const filler = new Uint8Array(pad);
  for (let i = 0; i < pad; i++) filler[i] = (i * 2654435761) >>> 27;
  const sections = [
    { name: '.text', type: 1, flags: 6, data: filler, align: 16 },
    { name: '.BTF', type: 1, data: btf, align: 4 },
    ...(base ? [{ name: '.BTF.base', type: 1, data: base, align: 4 }] : []),
  ];
  return buildElf({ class: 64, littleEndian: true, type: 1, machine: 62, sections }).bytes;
}

test('ModuleReader: .ko.xz sections and errors are those of the general path; its buffers are reused', { skip: !haveXz && 'xz not installed' }, async () => {
  return withSynthWorld(async (w) => {
    const btf = new Uint8Array(readFileSync(w.kernelB));
    const files: string[] = [];
    // Small, large (grows the kept buffer), small again (stale bytes beyond it), with .BTF.base.
    const sizes = [1000, 3_000_000, 20_000, 500];
    sizes.forEach((pad, i) => {
      const f = join(w.dir, `m${i}.ko.xz`);
      writeFileSync(f, xz(moduleWith(btf.subarray(0, btf.length - (i * 4)), i === 2 ? btf : null, pad)));
      files.push(f);
    });
    for (const m of findModules([w.modules])) {
      if (!m.endsWith('.ko')) continue;
      const f = join(w.dir, `${m.split('/').pop()}.xz`);
      writeFileSync(f, xz(readFileSync(m)));
      files.push(f);
    }
    // Bad ones: corrupt in the middle, truncated, no .BTF, not an ELF, not xz at all.
    const good = readFileSync(files[1]!);
    const corrupt = Uint8Array.from(good);
    corrupt[corrupt.length >> 1] ^= 0x55;
    const bad: Array<[string, Uint8Array]> = [
      ['corrupt.ko.xz', corrupt],
      ['truncated.ko.xz', good.subarray(0, good.length - 30)],
      ['nobtf.ko.xz', xz(buildElf({ class: 64, littleEndian: true, type: 1, machine: 62, sections: [{ name: '.text', type: 1, flags: 6, data: new Uint8Array(64), align: 16 }] }).bytes)],
      ['text.ko.xz', xz(new TextEncoder().encode('not an ELF file\n'))],
      ['gz-named.ko.xz', readFileSync(join(w.modules, 'sub', 'ok2.ko.gz'))],
    ];
    for (const [name, data] of bad) {
      const f = join(w.dir, name);
      writeFileSync(f, data);
      files.push(f);
    }
    files.push(join(w.dir, 'missing.ko.xz'));
    const reader = new ModuleReader();
    for (const f of files) assert.deepEqual(await outcome(reader.read(f)), await outcome(readModuleSections(f)), f);
    // Every good xz module was decoded into the kept buffer.
    assert.equal(reader.reused, sizes.length + findModules([w.modules]).filter((m) => m.endsWith('.ko')).length + 2);
    const again = await reader.read(files[0]!);
    assert.deepEqual(plain(again), plain(await readModuleSections(files[0]!)));
  });
});

test('ModuleReader over corpus .ko.xz modules: the general path\'s sections', { skip: !corpus612() && 'no 6.12 corpus (npm run corpus)' }, async () => {
  const dir = modulesXzDir(corpus612()!.older);
  if (!existsSync(dir)) return;
  const all = findModules([dir]);
  const pick = all.filter((_, i) => i % 40 === 0);
  const reader = new ModuleReader();
  for (const m of pick) assert.deepEqual(await outcome(reader.read(m)), await outcome(readModuleSections(m)), m);
  assert.ok(reader.reused > 0);
});
