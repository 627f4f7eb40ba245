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
 * --no-turbo-inlining: a command such as `btfkit dump vmlinux --format c` runs once, for
 * ~100 ms, and most of its code is optimized while it runs. With inlining, TurboFan builds
 * each hot emitter function together with everything it calls (10-20 ms of background
 * compile each, queued one after the other), and the dump runs in slow code meanwhile;
 * without it, each function is compiled alone, in a few ms, and is fast much sooner. The C
 * dump of a 6.18 vmlinux takes ~25 ms less from start to exit (~175 -> ~150 ms here).
 */
export const BUNDLE_V8_FLAGS = '--no-turbo-inlining';

/**
 * Commands that run long enough (seconds: thousands of modules, on worker threads that compile
 * their own code) for inlined, fully optimized code to pay off: the launcher turns inlining
 * back on for them once the bundle is compiled (`check` of a kernel's 4022 modules: ~1.4 s
 * with inlining, ~2.0 s without).
 */
export const LONG_RUNNING_COMMANDS: readonly string[] = ['check'];
export const LONG_RUNNING_V8_FLAGS = '--turbo-inlining';

export function wrapBundle(source: string): string {
  return BUNDLE_WRAP_HEAD + source + BUNDLE_WRAP_TAIL;
}

/**
 * The first two lines of the installed bin (dist/src/cli/launcher.cjs, see scripts/bundle.ts):
 * run as a shell script, they clear NODE_EXTRA_CA_CERTS and execute the file with node and
 * BUNDLE_V8_FLAGS (on the command line they cost nothing; setting them from JavaScript means
 * loading node:v8, ~2 ms); run by node, they are a no-op string statement and a comment.
 */
export const BIN_HEADER = `#!/bin/sh\n':' //; unset NODE_EXTRA_CA_CERTS; exec node ${BUNDLE_V8_FLAGS} "$0" "$@"\n`;
