import { DF_1_NODEFLIB } from '../elf/constants.js';
import type { ElfInfo } from '../elf/elf-info.js';
import { joinInside } from '../rootfs/inside-path.js';
import { splitSearchPath } from './dst.js';
import { lookupLdCache } from './ld-so-cache.js';
import type { LoaderContext } from './loader-context.js';

/** An object already in the process, as far as the search order cares. */
export interface SearchingObject {
  /** The path it was opened by (inside the root). */
  path: string;
  /** `$ORIGIN`: the folder of the path it was opened by; for the main program, of its real path. */
  origin: string;
  elf: ElfInfo;
  /** The object whose DT_NEEDED brought it in (null for the main program). */
  loader: SearchingObject | null;
}

/** One place to try, and which rule of the search order produced it. */
export interface Candidate {
  path: string;
  via: string;
}

function dstValues(ctx: LoaderContext, obj: SearchingObject): { origin: string; lib: string; platform: string } {
  return { origin: obj.origin, lib: ctx.libToken, platform: ctx.platform };
}

function* inDirs(ctx: LoaderContext, dirs: string[], name: string, via: string): Generator<Candidate> {
  for (const dir of dirs) {
    for (const sub of ctx.subdirsOf(dir)) {
      yield { path: joinInside(joinInside(dir, sub), name), via: sub ? `${via} (${sub})` : via };
    }
  }
}

/**
 * glibc's search order for a DT_NEEDED `name` of `requester` (elf/dl-load.c, _dl_map_object):
 *  1. a name with a slash is opened as it is;
 *  2. unless the requester has DT_RUNPATH: DT_RPATH of the requester, then of the object that loaded
 *     it, and so on up to the main program (an object with DT_RUNPATH has its DT_RPATH ignored);
 *  3. LD_LIBRARY_PATH, when given;
 *  4. DT_RUNPATH of the requester, for its own needs only;
 *  5. ld.so.cache (entries in default folders skipped under DF_1_NODEFLIB); with no cache in the root,
 *     the folders ld.so.conf names, which is what ldconfig would have cached;
 *  6. the default folders, unless DF_1_NODEFLIB.
 * Each folder is tried with its glibc-hwcaps and legacy subfolders first.
 */
export function* glibcCandidates(ctx: LoaderContext, name: string, requester: SearchingObject, main: SearchingObject): Generator<Candidate> {
  if (name.includes('/')) {
    yield { path: joinInside(ctx.settings.cwd ?? '/', name), via: 'path in DT_NEEDED' };
    return;
  }
  if (requester.elf.runpath === undefined) {
    for (let obj: SearchingObject | null = requester; obj; obj = obj.loader) {
      if (obj.elf.rpath === undefined || obj.elf.runpath !== undefined) continue;
      const who = obj === requester ? 'DT_RPATH' : `DT_RPATH of ${obj.path}`;
      yield* inDirs(ctx, splitSearchPath(obj.elf.rpath, dstValues(ctx, obj), /:/, ctx.settings.cwd), name, who);
    }
  }
  if (ctx.settings.ldLibraryPath) {
    yield* inDirs(ctx, splitSearchPath(ctx.settings.ldLibraryPath, dstValues(ctx, main), /[:;]/, ctx.settings.cwd), name, 'LD_LIBRARY_PATH');
  }
  if (requester.elf.runpath !== undefined) {
    yield* inDirs(ctx, splitSearchPath(requester.elf.runpath, dstValues(ctx, requester), /:/, ctx.settings.cwd), name, 'DT_RUNPATH');
  }
  const nodeflib = (requester.elf.flags1 & DF_1_NODEFLIB) !== 0;
  const cache = ctx.ldCache;
  if (cache) {
    const hit = lookupLdCache(cache, name, ctx.arch.cacheFlags, ctx.hwcaps);
    if (hit !== undefined && !(nodeflib && ctx.systemDirs.some((d) => hit.startsWith(`${d}/`)))) {
      yield { path: hit, via: 'ld.so.cache' };
    }
  } else if (ctx.settings.ldSoConfWithoutCache) {
    yield* inDirs(ctx, ctx.confDirs, name, 'ld.so.conf');
  }
  if (!nodeflib) yield* inDirs(ctx, ctx.systemDirs, name, 'default path');
}

/**
 * musl's search order (ldso/dynlink.c, load_library): a name with a slash as it is; LD_LIBRARY_PATH;
 * the DT_RUNPATH (or DT_RPATH) of the requester, then of each object up the chain that loaded it;
 * then /etc/ld-musl-ARCH.path or the built-in default. The first file that opens wins: musl does not
 * check class or machine.
 */
export function* muslCandidates(ctx: LoaderContext, name: string, requester: SearchingObject, main: SearchingObject): Generator<Candidate> {
  if (name.includes('/')) {
    yield { path: joinInside(ctx.settings.cwd ?? '/', name), via: 'path in DT_NEEDED' };
    return;
  }
  if (ctx.settings.ldLibraryPath) {
    yield* inDirs(ctx, splitSearchPath(ctx.settings.ldLibraryPath, dstValues(ctx, main), /:/, ctx.settings.cwd), name, 'LD_LIBRARY_PATH');
  }
  for (let obj: SearchingObject | null = requester; obj; obj = obj.loader) {
    const path = obj.elf.runpath ?? obj.elf.rpath;
    if (path === undefined) continue;
    const tag = obj.elf.runpath !== undefined ? 'DT_RUNPATH' : 'DT_RPATH';
    const who = obj === requester ? tag : `${tag} of ${obj.path}`;
    yield* inDirs(ctx, splitSearchPath(path, dstValues(ctx, obj), /:/, ctx.settings.cwd), name, who);
  }
  yield* inDirs(ctx, ctx.systemDirs, name, 'musl path');
}

/** musl serves these names from the loader itself (ldso/dynlink.c's reserved list). */
export function isMuslReservedName(name: string): boolean {
  return /^lib(c|pthread|rt|m|dl|util|xnet)\./.test(name);
}
