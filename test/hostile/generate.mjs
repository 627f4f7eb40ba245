#!/usr/bin/env node
// Regenerates the hostile input files of this directory (see src/fuzz/hostile-gen.ts for what
// each family is). Needs a build (npx tsc -p tsconfig.json) and xz, bzip2, zstd, lz4, lzma
// (Debian: xz-utils, bzip2, zstd, lz4); files whose tool is missing are skipped.
// Usage: node test/hostile/generate.mjs      (writes *.btf, *.o, ... and MANIFEST.json here)
import { writeFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const { generateHostile } = await import(join(here, '..', '..', 'dist', 'src', 'fuzz', 'hostile-gen.js'));
for (const f of readdirSync(here)) if (f !== 'generate.mjs' && f !== 'README.md') rmSync(join(here, f));
const files = generateHostile();
const manifest = {};
for (const f of files) {
  if (f.bytes.length > 32 * 1024) throw new Error(`${f.name}: ${f.bytes.length} bytes, too large for a committed hostile file`);
  writeFileSync(join(here, f.name), f.bytes);
  manifest[f.name] = { bytes: f.bytes.length, valid: !!f.valid, about: f.about };
}
writeFileSync(join(here, 'MANIFEST.json'), JSON.stringify(manifest, null, 1) + '\n');
console.log(`${files.length} hostile files written to ${here}`);
