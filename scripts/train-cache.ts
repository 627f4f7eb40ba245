/**
 * The V8 code cache of a bundle made by a training run (scripts/bundle.ts runs this in a child
 * process for the bundle of `btfkit encode`): the bundle is compiled as the launcher compiles
 * it (src/cli/bundle-wrap.cts), run once on the command line given, and its cache written
 * after the run. V8's cache then holds the functions that command ran (bytecode compiled on
 * their first call), and no others: a third smaller than the cache of every function (~440 KB
 * against ~710 KB), so less to read and deserialize on each start; a function the run did not
 * call is compiled when first called, as any script's.
 *
 *   node dist/scripts/train-cache.js BUNDLE ARGS...
 *
 * Exit 0 with the cache written, or 1 (the command failed: no cache, the build stops).
 */

import { writeFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { Script } from 'node:vm';
import { bundleCachePath, wrapBundle } from '../src/cli/bundle-wrap.cjs';

const [bundleArg, ...args] = process.argv.slice(2);
if (bundleArg === undefined) {
  process.stderr.write('usage: train-cache.js BUNDLE ARGS...\n');
  process.exit(2);
}
const bundle = resolve(bundleArg);
const script = new Script(wrapBundle(readFileSync(bundle, 'latin1')), { filename: bundle });
process.argv = [process.argv[0]!, bundle, ...args];
process.on('exit', (code) => {
  if (code !== 0) {
    process.stderr.write(`train-cache: ${bundle} ${args.join(' ')} exited ${code}: no code cache\n`);
    process.exitCode = 1;
    return;
  }
  writeFileSync(bundleCachePath(bundle, process.versions.v8), script.createCachedData());
});
const run = script.runInThisContext() as (exports: object, require: NodeJS.Require, module: object, filename: string, dirname: string) => void;
const mod = { exports: {} };
run.call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
