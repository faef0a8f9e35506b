import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

/** A CommonJS file loaded by loadCommonJs: its exports, the compiled script, whether V8 took the cache. */
export interface CachedLoad {
  exports: unknown;
  script: vm.Script;
  cacheUsed: boolean;
}

/** Every file loaded through loadCommonJs in this process, by path: for the build step that saves their caches. */
export const loadedScripts = new Map<string, vm.Script>();

/**
 * Loads a CommonJS file as Node does (the same wrapper, `this` the module's exports, a `require` of
 * its own), handing V8 the code cache at `cachePath` when there is one: the functions that cache holds
 * arrive compiled instead of being parsed and compiled again. V8 checks a cache against the source,
 * its own version and its flags and compiles from source when they differ (`cacheUsed` false): a cache
 * makes a load faster, never different. Caches are made at build time (scripts/make-code-cache.mjs)
 * and kept beside the code, never written while jailbuild runs: a cache is code, and one that others
 * could write would be code they run as root. `cachePath` null: compile from source.
 */
export function loadCommonJs(file: string, cachePath: string | null): CachedLoad {
  const source = readFileSync(file, 'utf8');
  let cachedData: Buffer | undefined;
  if (cachePath !== null) {
    try {
      cachedData = readFileSync(cachePath);
    } catch {
      cachedData = undefined;
    }
  }
  // The wrapper keeps the file's first line on line 1, so stack traces name the file's own lines.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new vm.Script(wrapped, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    // import() of a package the file leaves to Node (cosmiconfig's loaders in the CLI bundle).
    ...(vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
  });
  const module = { exports: {} as unknown };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  loadedScripts.set(file, script);
  return { exports: module.exports, script, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}
