/**
 * `npm run build:web`: the library as an ES module for browsers, and the page that shows it.
 *
 *   web/btfkit-web.ts → dist/web/btfkit.js   the library (root entry + image decoders), one file
 *   web/app.ts        → dist/web/app.js      the page's script; imports ./btfkit.js at run time
 *   web/index.html    → dist/web/index.html
 *
 * The page's TypeScript is type-checked against the DOM first (web/tsconfig.json). esbuild
 * bundles for `platform: 'browser'`, so a `node:` import reaching the core fails the build.
 */

import { build, type Plugin } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const web = join(root, 'web');
const out = join(root, 'dist', 'web');

const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(web, 'tsconfig.json')], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

mkdirSync(out, { recursive: true });
const common = { bundle: true, format: 'esm' as const, platform: 'browser' as const, target: 'es2022', logLevel: 'warning' as const };
await build({ ...common, entryPoints: [join(web, 'btfkit-web.ts')], outfile: join(out, 'btfkit.js') });

/** The page's import of the library stays an import of the separately built bundle. */
const libraryExternal: Plugin = {
  name: 'btfkit-library-external',
  setup(b) {
    b.onResolve({ filter: /^\.\/btfkit-web\.js$/ }, () => ({ path: './btfkit.js', external: true }));
  },
};
await build({ ...common, entryPoints: [join(web, 'app.ts')], outfile: join(out, 'app.js'), plugins: [libraryExternal] });
copyFileSync(join(web, 'index.html'), join(out, 'index.html'));
