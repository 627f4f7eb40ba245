/**
 * `npm run bundle` (part of `npm run build`): the `btfkit` command as one pre-compiled file.
 *
 * Why: `btfkit dump` of a vmlinux is a one-shot process whose target (bpftool's whole-process
 * time) includes Node's start-up, so loading our code must cost next to nothing. Two costs are
 * removed here:
 *  - module loading: the ~30 ES modules of a command cost ~0.4 ms each to resolve, read,
 *    compile and link; esbuild bundles the compiled CLI (dist/src/cli/main.js) into one
 *    CommonJS file, dist/src/bin/btfkit.cjs (CommonJS: Node's ES module loader alone costs a
 *    few ms to start). npm packages stay external (resolved from node_modules at run time).
 *  - compilation: V8 compiles each function on its first call; the bundle ships with a V8 code
 *    cache of every function (dist/src/bin/btfkit.cjs.v8-<version>.cache, see bundleCachePath),
 *    produced here by compiling the bundle eagerly (V8's --no-lazy, set only while this build
 *    compiles). The launcher (src/cli/launcher.cts, the package's bin) runs the bundle with
 *    that cache when its V8 is the one that made it; with another Node.js it uses Node's own
 *    compile cache (Node >= 22.1) or compiles as usual.
 * A second bundle, dist/src/bin/btfkit-encode.cjs (entry dist/src/cli/main-encode.js), holds
 * `btfkit encode` alone, which the launcher runs for that command: a module's encode is
 * measured against pahole's whole process, and the full bundle's code (its cache is 1.2 MB)
 * cost it ~4 ms to load and deserialize. Its cache is made by a training run instead
 * (scripts/train-cache.ts): a committed object file (test/fixtures/dwarf/args-gcc-dwarf5.o)
 * encoded on this machine's kernel BTF (/sys/kernel/btf/vmlinux; a committed small base where
 * there is none), so that it holds the functions an encode on a kernel's 100k types runs and
 * no others (~450 KB against ~710 KB for every function: ~3 ms less per encode of a small
 * module, measured on tcp_bbr; trained on the small base instead, ~1 ms).
 * The library itself is not bundled: `import 'btfkit'` uses dist/src/index.js.
 *
 * import.meta.url (used by the Node layer to find worker scripts and to require CommonJS
 * packages) becomes the bundle's own file URL. dist/src/bin sits at the same depth as
 * dist/src/node, so `new URL('../node/check-worker.js', import.meta.url)` finds the worker
 * from either place.
 */

import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Script } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { bundleCachePath, wrapBundle } from '../src/cli/bundle-wrap.cjs';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(dist, '..');
const outdir = join(dist, 'src', 'bin');

rmSync(outdir, { recursive: true, force: true });
await bundleOne(join(dist, 'src', 'cli', 'main.js'), join(outdir, 'btfkit.cjs'));
await bundleOne(join(dist, 'src', 'cli', 'main-encode.js'), join(outdir, 'btfkit-encode.cjs'), encodeTraining);

/**
 * The training runs of the encode bundle's cache, best first: `btfkit encode` of a committed
 * object on this machine's kernel BTF, then on a committed small base (no kernel BTF here, a
 * container or another OS, or one this build cannot read), each into `out`.
 */
function encodeTraining(out: string): string[][] {
  const object = join(repo, 'test', 'fixtures', 'dwarf', 'args-gcc-dwarf5.o');
  const small = join(repo, 'test', 'golden', 'modules', 'tcp_bbr', 'distilled_base.btf');
  const runs = [['encode', object, '--base', small, '-o', out, '-q']];
  try {
    accessSync('/sys/kernel/btf/vmlinux', constants.R_OK);
    runs.unshift(['encode', object, '--base', '/sys/kernel/btf/vmlinux', '-o', out, '-q']);
  } catch {
    /* the small base only */
  }
  return runs;
}

/**
 * `entry` bundled into `bundle` (CommonJS, ASCII), with its V8 code cache beside it: of every
 * function, or made by the first of the training runs `train` gives the command lines of that
 * succeeds (see the top).
 */
async function bundleOne(entry: string, bundle: string, train?: (out: string) => string[][]): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    define: { 'import.meta.url': '__btfkit_bundle_url' },
    banner: { js: 'const __btfkit_bundle_url = require("node:url").pathToFileURL(__filename).href;' },
    logLevel: 'warning',
  });

  // The entry's '#!' line is not valid inside the function wrapper the launcher compiles.
  // esbuild escapes non-ASCII characters in code but keeps them in the doc comments it leaves:
  // one is enough to make the whole source a two-byte string (twice the memory, and a slower
  // UTF-8 decode and source check on every start), so they are escaped too (valid anywhere);
  // the launcher then reads the file as latin1.
  const source = readFileSync(bundle, 'utf8')
    .replace(/^#![^\n]*\n/, '')
    .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(bundle, source);

  if (train) {
    const tmp = mkdtempSync(join(tmpdir(), 'btfkit-train-'));
    try {
      const runs = train(join(tmp, 'out'));
      const ok = runs.some((args) => spawnSync(process.execPath, [join(dist, 'scripts', 'train-cache.js'), bundle, ...args], { stdio: 'inherit' }).status === 0);
      if (!ok) throw new Error(`every training run of ${bundle}'s code cache failed`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return;
  }
  // Eager compilation, so that the cache holds every function, whatever command runs. V8 accepts
  // a cache only under the flags it was made with: --lazy is back on before the cache is written.
  setFlagsFromString('--no-lazy');
  const script = new Script(wrapBundle(source), { filename: bundle });
  setFlagsFromString('--lazy');
  writeFileSync(bundleCachePath(bundle, process.versions.v8), script.createCachedData());
}

// The package's bin runs by its '#!/usr/bin/env node' line (npx, npm's bin links): it must be
// executable.
const launcher = join(dist, 'src', 'cli', 'launcher.cjs');
if (!readFileSync(launcher, 'utf8').startsWith('#!/usr/bin/env node\n')) throw new Error(`${launcher}: expected a '#!/usr/bin/env node' first line`);
chmodSync(launcher, 0o755);
