/**
 * The function wrapper around the bundled CLI (see scripts/bundle.ts). The build compiles
 * the bundle inside it to produce the V8 code cache, and the launcher (launcher.cts), a CommonJS module like this one (the launcher must not pay for the ES module loader) compiles
 * it the same way to use that cache: the compiled text must be identical in both, so both
 * take it from here.
 */

export const BUNDLE_WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const BUNDLE_WRAP_TAIL = '\n});';

/**
 * V8 flags the launcher sets before it compiles the bundle (the build sets them too, before
 * it makes the code cache: V8 accepts a cache only under the flags it was made with).
 *
 * A command such as `btfkit dump vmlinux --format c` runs once, for ~100 ms, and most of its
 * code is optimized while it runs: TurboFan compiles ~70 functions on a background thread
 * (over 100 ms of CPU on this 2-vCPU machine) while the dump runs in slower, unoptimized code.
 * Cheaper compiles make the fast code arrive sooner, which matters more here than how fast
 * it is:
 *  - --no-turbo-inlining: each function is compiled alone, not together with everything it
 *    calls (10-20 ms per hot emitter function with inlining);
 *  - --no-turbo-loop-peeling, --no-turbo-loop-variable: no copy of each loop's first
 *    iteration, no induction variable analysis.
 * From start to exit, the C dump of the 6.18 vmlinux takes ~175 -> ~145 ms here, that of
 * Debian's 6.1 ~150 -> ~120 ms (measured one flag set at a time, interleaved runs).
 */
export const BUNDLE_V8_FLAGS = '--no-turbo-inlining --no-turbo-loop-peeling --no-turbo-loop-variable';

/** The command that runs long: Node's defaults from the shell line, V8's from the launcher. */
export const LONG_RUNNING_COMMAND = 'check';

/**
 * Whether fully optimized code (V8's defaults) pays off for a command line (the arguments
 * after the bin): for commands that run long (`check` of a kernel's 4022 modules, on worker
 * threads that compile their own code: ~1.4 s with inlining, ~2.0 s without) or make tens of
 * millions of small calls (`dump --format json` of a vmlinux: ~127 ms with inlining, ~139 ms
 * without). The launcher then sets FULL_OPTIMIZATION_V8_FLAGS once the bundle is compiled.
 * Only speed depends on it.
 */
export function wantsFullOptimization(args: readonly string[]): boolean {
  if (args[0] === LONG_RUNNING_COMMAND) return true;
  if (args[0] !== 'dump') return false;
  let format = '';
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') break;
    if ((a === '--format' || a === '-f') && i + 1 < args.length) format = args[++i]!;
    else if (a.startsWith('--format=')) format = a.slice('--format='.length);
    else if (a.startsWith('-f') && !a.startsWith('--')) format = a.slice(2);
  }
  return format === 'json';
}
export const FULL_OPTIMIZATION_V8_FLAGS = '--turbo-inlining --turbo-loop-peeling --turbo-loop-variable';

export function wrapBundle(source: string): string {
  return BUNDLE_WRAP_HEAD + source + BUNDLE_WRAP_TAIL;
}

/**
 * Node.js options for one-shot commands, given by the bin's shell line: one background
 * thread for V8 (compiles, GC tasks) instead of four. On a 2-vCPU machine, several compile
 * jobs at once take the second core and preempt the main thread too; one at a time leaves it
 * a core of its own (C dump of 6.1.0-47 ~126 -> ~119 ms, JSON ~111 -> ~107 ms). `check`,
 * whose worker threads compile their own code, keeps Node's default.
 */
export const ONE_SHOT_NODE_OPTIONS = '--v8-pool-size=1';


/**
 * The first two lines of the installed bin (dist/src/cli/launcher.cjs, see scripts/bundle.ts):
 * run as a shell script, they clear NODE_EXTRA_CA_CERTS and execute the file with node,
 * ONE_SHOT_NODE_OPTIONS and BUNDLE_V8_FLAGS (`check`: node alone, see wantsFullOptimization).
 * On the command line the flags cost nothing; setting them from JavaScript means loading
 * node:v8, ~2 ms. Run by node, the two lines are a no-op string statement and a comment.
 */
export const BIN_HEADER =
  `#!/bin/sh\n':' //; unset NODE_EXTRA_CA_CERTS; [ "$1" = ${LONG_RUNNING_COMMAND} ] && exec node "$0" "$@"; ` +
  `exec node ${ONE_SHOT_NODE_OPTIONS} ${BUNDLE_V8_FLAGS} "$0" "$@"\n`;
