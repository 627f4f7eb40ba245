/**
 * The function wrapper around the bundled CLI (see scripts/bundle.ts). The build compiles the
 * bundle inside it to produce the V8 code cache, and the launcher (launcher.cts) compiles it
 * the same way to use that cache: the compiled text must be identical in both, so both take it
 * from here. CommonJS, like the launcher (which must not pay for the ES module loader).
 */

export const BUNDLE_WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const BUNDLE_WRAP_TAIL = '\n});';

export function wrapBundle(source: string): string {
  return BUNDLE_WRAP_HEAD + source + BUNDLE_WRAP_TAIL;
}

/**
 * The code cache file of a bundle, named after the V8 version that made it: V8 accepts a
 * cache only from its own version, so another Node.js finds no file (one failed open) instead
 * of compiling the whole bundle to learn that the cache is stale.
 */
export function bundleCachePath(bundle: string, v8Version: string): string {
  return `${bundle}.v8-${v8Version}.cache`;
}

/**
 * The bundle the launcher runs for a command line whose first argument is `command`: the
 * bundle of `btfkit encode` alone for that command when it is there, else the full one.
 */
export function bundleFor(command: string | undefined, binDir: string, exists: (path: string) => boolean): string {
  const encode = `${binDir}/btfkit-encode.cjs`;
  return command === 'encode' && exists(encode) ? encode : `${binDir}/btfkit.cjs`;
}
