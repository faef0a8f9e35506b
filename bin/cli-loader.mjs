// Loads the command line bundle (dist/src/bundle/cli.cjs, made by scripts/build-bundle.mjs) with the
// V8 code cache made for it at build time (cli.cjs.v8cache, scripts/make-code-cache.mjs): the
// functions a run needs arrive compiled instead of being parsed and compiled again on every run. See
// loadCommonJs (src/io/code-cache.ts) for how the cache is checked and why it is never written here.
import { fileURLToPath } from 'node:url';
import { loadCommonJs } from '../dist/src/io/code-cache.js';

export const BUNDLE = fileURLToPath(new URL('../dist/src/bundle/cli.cjs', import.meta.url));
export const CODE_CACHE = `${BUNDLE}.v8cache`;

/** Runs the bundle; returns its exports, the compiled script and whether V8 took the cache (`cachePath` null: none). */
export function loadBundle(bundle = BUNDLE, cachePath = CODE_CACHE) {
  return loadCommonJs(bundle, cachePath);
}
