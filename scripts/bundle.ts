/**
 * `npm run bundle` (part of `npm run build`): bundles the compiled CLI (dist/src/cli/main.js)
 * into dist/src/bin/ with esbuild, the `btfkit` command of package.json.
 *
 * Why: a one-shot command pays for every ES module it loads (resolve, read, compile, link),
 * about 0.4 ms each on the target machines; the CLI path of `btfkit dump` touches ~30 of
 * them. The bundle is one entry file plus a chunk per lazily imported command or dumper
 * (code splitting), so a command loads and compiles only what it runs. npm packages stay
 * external (resolved from node_modules at run time). The library itself is not bundled:
 * `import 'btfkit'` uses dist/src/index.js.
 *
 * dist/src/bin sits at the same depth as dist/src/node, so worker scripts that the Node layer
 * resolves relative to its own module (`../node/check-worker.js`) are found from the bundle too.
 */

import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(dist, 'src', 'bin');

rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { btfkit: join(dist, 'src', 'cli', 'main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
