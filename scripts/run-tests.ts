/**
 * Test suites (package.json): `npm test` runs the unit and golden tests, `npm run test:fuzz`
 * the fuzz tests, i.e. `node dist/scripts/run-tests.js unit|fuzz [node --test options]`.
 *
 * A test file belongs to the fuzz suite when it sits in src/fuzz/ and is listed in FUZZ_TESTS
 * below (the long, randomized or process-killing ones); every other *.test.js under dist/src
 * (and under dist/scripts)
 * is a unit test, so a new test file joins `npm test` without a change here. (Node 20's
 * `node --test` takes directories but no exclusions, hence this list.)
 */

import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fuzz suite, relative to dist/src. */
export const FUZZ_TESTS = ['fuzz/fuzz.test.js', 'fuzz/hostile.test.js', 'fuzz/safe-writes.test.js'];

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');
/** Tests of the scripts' own pieces (e.g. the real-kernel oracle's), unit suite only. */
const SCRIPTS = dirname(fileURLToPath(import.meta.url));

function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (e.name.endsWith('.test.js')) out.push(p);
  }
  return out.sort();
}

const [suite, ...nodeArgs] = process.argv.slice(2);
if (suite !== 'unit' && suite !== 'fuzz') {
  process.stderr.write('usage: node dist/scripts/run-tests.js unit|fuzz [node --test options]\n');
  process.exit(2);
}
const files = testFiles(SRC).filter((f) => FUZZ_TESTS.includes(relative(SRC, f).split('\\').join('/')) === (suite === 'fuzz'));
if (suite === 'unit') files.push(...testFiles(SCRIPTS));
const r = spawnSync(process.execPath, ['--test', ...nodeArgs, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
