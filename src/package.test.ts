/**
 * What the package ships (`npm pack --dry-run`): the library, the CLI and its bundle, without
 * tests, fuzzers, scripts or test support; every entry of package.json (bin, exports) is in it,
 * and every relative import of a shipped file resolves to a shipped file. The library core
 * (everything under src/ but src/node and src/cli, which do the I/O) imports no `node:` module,
 * so it runs in a browser.
 */

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { REPO } from './testing/fixtures.js';

interface Pkg {
  bin: Record<string, string>;
  main: string;
  types: string;
  exports: Record<string, string | { types: string; default: string }>;
}
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Pkg;

/** The paths `npm pack` would put in the tarball (no build: --ignore-scripts). */
function packList(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const [info] = JSON.parse(out) as { files: { path: string }[] }[];
  return info!.files.map((f) => f.path).sort();
}

const IMPORT_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;
const importsOf = (text: string): string[] => [...text.matchAll(IMPORT_RE)].map((m) => m[1]!);

test('npm pack: no test, fuzzer, script or test support; the bin, the bundle and every entry are in', { timeout: 120_000 }, () => {
  const files = packList();
  const shipped = new Set(files);
  const unwanted = files.filter((f) => /\.test(-util)?\.|(^|\/)(fuzz|scripts|testing)\/|(^|\/)test\/|synth\.|fixture/.test(f));
  assert.deepEqual(unwanted, []);
  assert.ok(files.every((f) => f === 'package.json' || f === 'README.md' || f.startsWith('dist/src/') || f.startsWith('docs/')), files.join(' '));
  const wanted = [pkg.bin.btfkit!, pkg.main, pkg.types, 'dist/src/bin/btfkit.cjs', 'dist/src/bin/btfkit-encode.cjs', 'dist/src/cli/bundle-wrap.cjs', 'dist/src/cli/main.js', 'dist/src/node/check-worker.js'];
  for (const e of Object.values(pkg.exports)) {
    if (typeof e === 'string') wanted.push(e);
    else wanted.push(e.types, e.default);
  }
  for (const w of wanted) assert.ok(shipped.has(posix.normalize(w)), `${w} is not in the package`);
  assert.ok(files.some((f) => /^dist\/src\/bin\/btfkit\.cjs\.v8-.*\.cache$/.test(f)), 'the V8 code cache of the bundle');
  assert.ok(files.some((f) => /^dist\/src\/bin\/btfkit-encode\.cjs\.v8-.*\.cache$/.test(f)), 'the V8 code cache of the encode bundle');
  // The shipped code never reaches for something left out.
  for (const f of files.filter((x) => /\.(c?js)$/.test(x))) {
    for (const spec of importsOf(readFileSync(join(REPO, f), 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = posix.normalize(posix.join(posix.dirname(f), spec));
      assert.ok(shipped.has(target), `${f} imports ${spec}, which is not shipped`);
    }
  }
});

/** Compiled core modules: dist/src/** except node/, cli/, bin/ and what tests alone use. */
function coreFiles(dir: string, root: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    const rel = relative(root, p).split('\\').join('/');
    if (e.isDirectory()) {
      if (!['node', 'cli', 'bin', 'fuzz', 'testing'].includes(rel)) out.push(...coreFiles(p, root));
    } else if (e.name.endsWith('.js') && !/\.test(-util)?\.js$/.test(e.name) && e.name !== 'package.test.js') out.push(p);
  }
  return out;
}

test('the library core imports no node: module (it runs in a browser)', () => {
  const root = join(REPO, 'dist', 'src');
  const files = coreFiles(root, root);
  assert.ok(files.length > 30, `${files.length} core files`);
  const offenders: string[] = [];
  for (const f of files) {
    for (const spec of importsOf(readFileSync(f, 'utf8'))) {
      if (spec.startsWith('node:') || /^(fs|path|os|url|zlib|child_process|worker_threads|crypto|util|module|vm|v8)$/.test(spec)) offenders.push(`${relative(root, f)}: ${spec}`);
    }
  }
  assert.deepEqual(offenders, []);
  // The scan sees imports (it would flag one).
  assert.deepEqual(importsOf("import { x } from 'node:fs';\nconst y = await import('node:zlib');"), ['node:fs', 'node:zlib']);
  assert.ok(dirname(files[0]!).startsWith(root));
});
