#!/usr/bin/env node
/**
 * The `btfkit` command (package.json "bin"): runs the bundled CLI, dist/src/bin/btfkit.cjs,
 * with the V8 code cache made when it was built (see scripts/bundle.ts), so that a one-shot
 * command spends its time on the work, not on loading and compiling our code. CommonJS, like
 * the bundle, because starting Node's ES module loader costs more than everything this file
 * does. Without a bundle (the TypeScript compiled but not bundled), the ES modules run as they
 * are.
 *
 * The build replaces the '#!' line below with a /bin/sh line that clears NODE_EXTRA_CA_CERTS
 * and runs node with BUNDLE_V8_FLAGS (see BIN_HEADER in bundle-wrap.cts): what `btfkit`
 * executes. `node launcher.cjs` skips that line and gets the flags set here.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { BUNDLE_V8_FLAGS, FULL_OPTIMIZATION_V8_FLAGS, wantsFullOptimization, wrapBundle } from './bundle-wrap.cjs';

const bundle = join(__dirname, '..', 'bin', 'btfkit.cjs');
let source: string | null = null;
try {
  source = readFileSync(bundle, 'utf8');
} catch {
  source = null;
}

if (source === null) {
  void import('./main.js');
} else {
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${bundle}.cache`);
  } catch {
    cachedData = undefined; // compiled as usual
  }
  // The cache is valid under BUNDLE_V8_FLAGS only. The bin's shell line passes them to node;
  // run as `node launcher.cjs`, set them here.
  const v8 = (): typeof import('node:v8') => require('node:v8') as typeof import('node:v8');
  if (!BUNDLE_V8_FLAGS.split(' ').every((f) => process.execArgv.includes(f))) v8().setFlagsFromString(BUNDLE_V8_FLAGS);
  const script = new Script(wrapBundle(source), { filename: bundle, cachedData });
  if (wantsFullOptimization(process.argv.slice(2))) v8().setFlagsFromString(FULL_OPTIMIZATION_V8_FLAGS);
  const run = script.runInThisContext() as (exports: object, req: NodeJS.Require, module: object, filename: string, dir: string) => void;
  const mod = { exports: {} };
  run.call(mod.exports, mod.exports, createRequire(bundle), mod, bundle, dirname(bundle));
}
