#!/usr/bin/env node
/**
 * The `btfkit` command (package.json "bin"): a plain Node.js script that runs the bundled CLI,
 * dist/src/bin/btfkit.cjs (scripts/bundle.ts), so that a one-shot command spends its time on
 * the work, not on loading and compiling our code; `btfkit encode` runs the bundle of that
 * command alone, dist/src/bin/btfkit-encode.cjs (a third of the code to load). CommonJS, like the bundle, because starting
 * Node's ES module loader costs more than everything this file does. No Node.js or V8 options,
 * no change to the environment: what runs is `node` as the user has it.
 *
 * Compilation, cheapest first:
 *  1. the V8 code cache shipped with the bundle, made by the build for the V8 version it ran
 *     on (bundleCachePath): compiling the bundle against it costs next to nothing;
 *  2. otherwise, on Node.js >= 22.1, Node's own compile cache (module.enableCompileCache(),
 *     kept in the user's temporary directory): the first run compiles, later runs reuse it;
 *  3. otherwise the bundle compiles as any script does.
 * Without a bundle (the TypeScript compiled but not bundled), the ES modules run as they are.
 */

import { existsSync, readFileSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { bundleCachePath, bundleFor, wrapBundle } from './bundle-wrap.cjs';

const bundle = bundleFor(process.argv[2], join(__dirname, '..', 'bin'), existsSync);

function readCache(): Buffer | undefined {
  try {
    return readFileSync(bundleCachePath(bundle, process.versions.v8));
  } catch {
    return undefined;
  }
}

function runWithCache(cachedData: Buffer): void {
  // the build leaves the bundle ASCII (scripts/bundle.ts): latin1 reads it as UTF-8 would, without the UTF-8 decoder's pass
  const script = new Script(wrapBundle(readFileSync(bundle, 'latin1')), { filename: bundle, cachedData });
  const run = script.runInThisContext() as (exports: object, req: NodeJS.Require, module: object, filename: string, dir: string) => void;
  const mod = { exports: {} };
  run.call(mod.exports, mod.exports, nodeModule.createRequire(bundle), mod, bundle, dirname(bundle));
}

if (!existsSync(bundle)) {
  void import('./main.js');
} else {
  const cachedData = readCache();
  if (cachedData !== undefined) {
    runWithCache(cachedData);
  } else {
    // Node.js >= 22.1; a failure to set it up only costs speed.
    const enable = (nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache;
    if (typeof enable === 'function') {
      try {
        enable();
      } catch {
        // compiled as usual
      }
    }
    require(bundle);
  }
}
