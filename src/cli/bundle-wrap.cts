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
