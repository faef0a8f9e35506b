import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';
import { underDefaultFlags } from './young-generation.js';

/** A CommonJS file loaded by loadCommonJs: its exports, the compiled script, whether V8 took the cache. */
export interface CachedLoad {
  exports: unknown;
  script: vm.Script;
  cacheUsed: boolean;
}

/**
 * A cache file: this magic, the sha256 of the source it was made for, the sha256 of V8's data, the
 * data. V8 itself checks a cache only against the source's length (a same-length edit would run the
 * old code) and, in release builds, not against damage (a flipped byte can crash it): both are checked
 * here first, and a cache that fails either is not used.
 */
const MAGIC = Buffer.from('JBV8CC1\n', 'latin1');
const HEADER = MAGIC.length + 64;

const sha256 = (bytes: Buffer): Buffer => createHash('sha256').update(bytes).digest();

/** The cache file for `source` (the file's bytes) holding `data` (script.createCachedData()). */
export function codeCacheBytes(source: Buffer, data: Buffer): Buffer {
  return Buffer.concat([MAGIC, sha256(source), sha256(data), data]);
}

/** V8's data from a cache file made for exactly `source`, or undefined. */
function cacheFor(source: Buffer, file: Buffer): Buffer | undefined {
  if (file.length <= HEADER || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const data = file.subarray(HEADER);
  if (!file.subarray(MAGIC.length, MAGIC.length + 32).equals(sha256(source))) return undefined;
  if (!file.subarray(MAGIC.length + 32, HEADER).equals(sha256(data))) return undefined;
  return data;
}

/** Every file loaded through loadCommonJs in this process, by path: for the build step that saves their caches. */
export const loadedScripts = new Map<string, vm.Script>();

/**
 * Loads a CommonJS file as Node does (the same wrapper, `this` the module's exports, a `require` of
 * its own), handing V8 the code cache at `cachePath` when there is one: the functions that cache holds
 * arrive compiled instead of being parsed and compiled again. A cache is used only when its header
 * names this very source and its data is intact (see MAGIC), and V8 then checks its own version and
 * flags; otherwise the file is compiled from source (`cacheUsed` false): a cache makes a load faster,
 * never different. Caches are made at build time (scripts/make-code-cache.mjs) and kept beside the
 * code, never written while jailbuild runs: a cache is code, and one that others could write would be
 * code they run as root. `cachePath` null: compile from source.
 */
export function loadCommonJs(file: string, cachePath: string | null): CachedLoad {
  const bytes = readFileSync(file);
  const source = bytes.toString('utf8');
  let cachedData: Buffer | undefined;
  if (cachePath !== null) {
    try {
      cachedData = cacheFor(bytes, readFileSync(cachePath));
    } catch {
      cachedData = undefined;
    }
  }
  // The wrapper keeps the file's first line on line 1, so stack traces name the file's own lines.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = underDefaultFlags(
    () =>
      new vm.Script(wrapped, {
        filename: file,
        ...(cachedData ? { cachedData } : {}),
        // import() of a package the file leaves to Node (cosmiconfig's loaders in the CLI bundle).
        ...(vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER ? { importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER } : {}),
      }),
  );
  const module = { exports: {} as unknown };
  const run = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  loadedScripts.set(file, script);
  return { exports: module.exports, script, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}
