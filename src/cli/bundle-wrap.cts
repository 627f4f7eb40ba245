/**
 * The function wrapper around the bundled CLI (see scripts/bundle.ts). The build compiles
 * the bundle inside it to produce the V8 code cache, and the launcher (launcher.cts), a CommonJS module like this one (the launcher must not pay for the ES module loader) compiles
 * it the same way to use that cache: the compiled text must be identical in both, so both
 * take it from here.
 */

export const BUNDLE_WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const BUNDLE_WRAP_TAIL = '\n});';

export function wrapBundle(source: string): string {
  return BUNDLE_WRAP_HEAD + source + BUNDLE_WRAP_TAIL;
}

/**
 * The first two lines of the installed bin (dist/src/cli/launcher.cjs, see scripts/bundle.ts):
 * run as a shell script, they clear NODE_EXTRA_CA_CERTS and execute the file with node; run by
 * node, they are a no-op string statement and a comment.
 */
export const BIN_HEADER = '#!/bin/sh\n\':\' //; unset NODE_EXTRA_CA_CERTS; exec node "$0" "$@"\n';
