import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';

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

/**
 * V8 grows the young generation (where new objects are made) from 1 MiB up to 16 MiB as objects
 * survive; every page it grows by is memory the process touches for the first time, and each first
 * touch is a page fault (12 µs each on the VM jailbuild was measured on, 17,000 of them in one resolve
 * of /usr/bin). A run of jailbuild keeps what it learns (headers, lookups) and drops the rest within
 * one program: a young generation that stays at its first size is collected more often but touches no
 * new memory. The growth factor is read whenever V8 would grow it, so it can be set after start-up.
 */
const SMALL_YOUNG_GENERATION = '--semi-space-growth-factor=1';
/** V8's own default, which code caches are made under (V8 refuses a cache made under other flags). */
const DEFAULT_YOUNG_GENERATION = '--semi-space-growth-factor=2';
let youngGenerationKeptSmall = false;

/**
 * For the command line only, once its bundle is loaded: keeps V8's young generation at its first
 * size (see SMALL_YOUNG_GENERATION). A library must not change the flags of the process it runs in.
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString(SMALL_YOUNG_GENERATION);
  youngGenerationKeptSmall = true;
}

/**
 * Runs `compile` under V8's default flags: V8 takes a code cache only under the flags it was made
 * with (a hash of every flag that differs from its default), and the caches are made under the
 * defaults; the young generation goes back to being kept small afterwards.
 */
function underDefaultFlags<T>(compile: () => T): T {
  if (!youngGenerationKeptSmall) return compile();
  v8.setFlagsFromString(DEFAULT_YOUNG_GENERATION);
  try {
    return compile();
  } finally {
    v8.setFlagsFromString(SMALL_YOUNG_GENERATION);
  }
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
