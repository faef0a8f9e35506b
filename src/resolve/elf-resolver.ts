import { type Diagnostic, JailError, printable } from '../errors.js';
import { DF_1_NODEFLIB, ET_EXEC } from '../elf/constants.js';
import type { ElfInfo } from '../elf/elf-info.js';
import { type Reason, withOrigin } from '../model/reason.js';
import { archOf, compatibleElf } from '../loader/arch.js';
import { dependsOnCwd } from '../loader/dst.js';
import { lookupLdCache } from '../loader/ld-so-cache.js';
import type { AnalysisCache } from '../cache/analysis-cache.js';
import { defaultInterpreter, flavorOfInterpreter, LoaderContext, type LoaderSettings } from '../loader/loader-context.js';
import { type Candidate, glibcCandidates, isMuslReservedName, muslCandidates, type SearchingObject } from '../loader/search-order.js';
import { basenameInside, dirnameInside } from '../rootfs/inside-path.js';
import type { Lookup, SourceRoot } from '../rootfs/source-root.js';
import { NeedSet, type Need } from './need-set.js';
import { ParsedFiles } from './parsed-files.js';

export type DlopenLevel = 'none' | 'required' | 'recommended' | 'suggested';

export interface ElfResolverOptions extends LoaderSettings {
  /** Which `.note.dlopen` declarations to load as if DT_NEEDED: up to this priority. Default 'required'. */
  dlopen?: DlopenLevel;
  /** Headers learnt in earlier runs, checked against each file's identity. */
  cache?: AnalysisCache;
}

/** An object in the emulated process. */
export interface LoadedObject extends SearchingObject {
  realPath: string;
  /** How it came in: 'input', 'interpreter', 'DT_NEEDED', 'dlopen'. */
  how: string;
  /** The rule of the search order that found it ('ld.so.cache', 'DT_RUNPATH', ...). */
  via: string;
  children: LoadedObject[];
}

export interface MissingLibrary {
  name: string;
  neededBy: string;
  how: 'DT_NEEDED' | 'PT_INTERP' | 'dlopen' | 'input' | 'command';
}

/** What loading one ELF file takes: every path that must exist, what could not be found, the load tree. */
export interface ElfClosure {
  input: string;
  /** 'dynamic' (has an interpreter or needs), 'static', or 'library' (a shared object given as input). */
  linkage: 'dynamic' | 'static' | 'library';
  flavor?: 'glibc' | 'musl';
  needs: Need[];
  missing: MissingLibrary[];
  root?: LoadedObject;
  diagnostics: Diagnostic[];
}

/** One library to find: where the search happens, who asks, and where what is found goes. */
interface SearchRequest {
  ctx: LoaderContext;
  name: string;
  requester: LoadedObject;
  main: LoadedObject;
  needs: NeedSet;
  diagnostics: Diagnostic[];
  /** Why the library is wanted; the hit's reason adds the soname and how it was found. */
  reason: Reason;
  /** Answers shared by the programs of the same context and ABI (see #search); none for a one-off search. */
  shared?: SharedSearches;
}

/** Search answers by library name, with the diagnostics each search gave. */
type SharedSearches = Map<string, { hit: SearchHit | undefined; diagnostics: Diagnostic[] }>;

interface SearchHit {
  found: Lookup;
  elf: ElfInfo;
  via: string;
}

const DLOPEN_RANK: Record<string, number> = { required: 1, recommended: 2, suggested: 3 };
/** glibc's libraries that define pthread_exit and pthread_cancel (their string tables name them too). */
const GLIBC_THREADS = /^(?:libc\.so\.6|libpthread\.so\.0)$/;

/**
 * Computes, for ELF files inside a root, the files and links the dynamic loader would open, by the
 * loader's own rules (see loader/search-order.ts). What each file says (ParsedFiles), lookups and
 * loader settings are kept for the life of the resolver, so resolving many files costs little more
 * than reading each once.
 */
export class ElfResolver {
  readonly fs: SourceRoot;
  readonly options: ElfResolverOptions;
  readonly #contexts = new Map<string, LoaderContext>();
  readonly #files: ParsedFiles;
  /**
   * Searches whose answer depends only on the loader context, the name and the program's ABI (no
   * DT_RPATH or DT_RUNPATH on the way, no DF_1_NODEFLIB, no token in LD_LIBRARY_PATH: searchIsShared):
   * the same hundred libraries are searched for by every program, and each search is made once per
   * context and ABI.
   */
  readonly #searches = new Map<LoaderContext, Map<string, SharedSearches>>();
  /** What makes each file's loading depend on the working directory (usually nothing), found once per file. */
  readonly #cwdFindings = new Map<ElfInfo, string[]>();

  constructor(fs: SourceRoot, options: ElfResolverOptions = {}) {
    this.fs = fs;
    this.options = options;
    this.#files = new ParsedFiles(fs, options.cache);
  }

  /** Files whose headers were read from disk in this run (not from the cache). */
  get parsed(): number {
    return this.#files.parsed;
  }

  /** The parsed headers of a regular file (by its real path inside the root), or the error reading it gave. */
  elfAt(realPath: string): ElfInfo | JailError {
    return this.#files.elfAt(realPath);
  }

  /** The first bytes of a file that is not ELF (for its `#!` line), read once; null when unreadable. */
  headOf(realPath: string): Buffer | null {
    return this.#files.headOf(realPath);
  }

  #context(elf: ElfInfo, interpreter: string | undefined): LoaderContext {
    const arch = archOf(elf);
    const flavor = flavorOfInterpreter(interpreter);
    const key = `${arch.id}\0${flavor}\0${interpreter ?? ''}`;
    let ctx = this.#contexts.get(key);
    if (!ctx) {
      ctx = new LoaderContext(this.fs, arch, flavor, interpreter, this.options);
      this.#contexts.set(key, ctx);
    }
    return ctx;
  }

  /**
   * The closure of one ELF file already looked up (`found` is a regular file whose headers are `elf`).
   * `reason` says why the input is wanted; everything it brings in carries its profile line. The needs
   * come sorted bytewise by path, unless the caller, which sorts them itself, asks for them 'unsorted'.
   */
  closure(found: Lookup, elf: ElfInfo, reason: Reason = { kind: 'input' }, order: 'sorted' | 'unsorted' = 'sorted'): ElfClosure {
    const needs = new NeedSet(this.fs);
    const diagnostics: Diagnostic[] = [];
    const missing: MissingLibrary[] = [];
    needs.addLookup(found, reason);
    const input = found.requested;

    if (elf.interpreter === undefined && elf.needed.length === 0) {
      return { input, linkage: 'static', needs: needs.list(), missing, diagnostics };
    }
    const linkage = elf.interpreter === undefined ? 'library' : 'dynamic';
    const interpreter = elf.interpreter ?? defaultInterpreter(this.fs, elf);
    const ctx = this.#context(elf, interpreter);
    const main: LoadedObject = {
      path: found.path,
      realPath: found.path,
      // The kernel gives the loader the real path of the program (/proc/self/exe), so the main
      // program's $ORIGIN is the folder of its real file, whatever link it was started through. A
      // library's $ORIGIN is the folder of the path it is opened by (glibc's _dl_new_object takes it
      // from that name, links and all), as for the libraries it loads.
      origin: dirnameInside(linkage === 'library' ? found.requested : found.path),
      elf,
      loader: null,
      how: 'input',
      via: 'input',
      children: [],
    };
    const loaded: LoadedObject[] = [main];
    const byName = new Map<string, LoadedObject>();
    const byReal = new Map<string, LoadedObject>([[main.realPath, main]]);
    const remember = (obj: LoadedObject, name: string): void => {
      if (!byName.has(name)) byName.set(name, obj);
    };
    if (ctx.flavor === 'glibc') {
      remember(main, found.path);
      if (elf.soname) remember(main, elf.soname);
    }

    let interp: LoadedObject | undefined;
    if (interpreter !== undefined) {
      const at = this.fs.lookup(interpreter);
      const why: Reason = withOrigin({ kind: 'interpreter', from: input }, reason.origin);
      if (at.kind !== 'file') {
        if (linkage === 'dynamic') missing.push({ name: interpreter, neededBy: input, how: 'PT_INTERP' });
      } else {
        const info = this.elfAt(at.path);
        if (info instanceof JailError) {
          diagnostics.push({ code: info.code, severity: 'error', path: at.path, message: info.message });
          if (linkage === 'dynamic') missing.push({ name: interpreter, neededBy: input, how: 'PT_INTERP' });
        } else {
          if (linkage === 'dynamic') needs.addLookup(at, why, 'library');
          interp = {
            path: interpreter,
            realPath: at.path,
            origin: dirnameInside(interpreter),
            elf: info,
            loader: null,
            how: 'interpreter',
            via: 'PT_INTERP',
            children: [],
          };
          if (linkage === 'dynamic') main.children.push(interp);
          byReal.set(at.path, interp);
          remember(interp, interpreter);
          if (info.soname) remember(interp, info.soname);
        }
      }
    }

    if (linkage === 'dynamic' && /\$(\{ORIGIN\}|ORIGIN(?![A-Za-z0-9_]))/.test(`${elf.rpath ?? ''}:${elf.runpath ?? ''}`)) {
      diagnostics.push({
        code: 'ORIGIN_NEEDS_PROC',
        severity: 'warning',
        path: found.path,
        message: `${found.path}: its search path uses $ORIGIN, which the loader expands for a program by reading /proc/self/exe: inside a jail, /proc must be mounted (or LD_ORIGIN_PATH set)`,
      });
    }

    const shared = this.#sharedSearches(ctx, elf);
    const level = DLOPEN_RANK[this.options.dlopen ?? 'required'] ?? 0;
    // Breadth-first, in load order, as _dl_map_object_deps does: each object's needs are mapped in
    // the order it lists them, then the next object's.
    for (let i = 0; i < loaded.length; i++) {
      const obj = loaded[i] as LoadedObject;
      this.#checkCwd(obj, ctx, diagnostics);
      const dlopened: string[] = [];
      for (const decl of obj.elf.dlopen) {
        if ((DLOPEN_RANK[decl.priority] ?? 9) > level) continue;
        // A declaration lists alternatives: the first one found is loaded.
        for (const name of decl.soname) dlopened.push(name);
      }
      // glibc dlopens libgcc_s.so.1 when a thread exits or is cancelled through pthread_exit or
      // pthread_cancel (to unwind it), and aborts without it: it comes with an object that calls them
      // (not with glibc's own libraries, which define them).
      if (ctx.flavor === 'glibc' && obj.elf.unwinds && level >= (DLOPEN_RANK.required ?? 0) && !GLIBC_THREADS.test(obj.elf.soname ?? '')) dlopened.push('libgcc_s.so.1');
      const needed = obj.elf.needed;
      for (let r = 0; r < needed.length + dlopened.length; r++) {
        const req = r < needed.length ? { name: needed[r] as string, how: 'DT_NEEDED' as const } : { name: dlopened[r - needed.length] as string, how: 'dlopen' as const };
        const known = this.#alreadyLoaded(ctx, req.name, byName, interp);
        if (known) continue;
        const wanted = withOrigin({ kind: req.how === 'dlopen' ? 'dlopened' : 'needed', from: obj.path }, reason.origin);
        const hit = this.#search({ ctx, name: req.name, requester: obj, main, needs, diagnostics, reason: wanted, shared });
        if (!hit) {
          missing.push({ name: req.name, neededBy: obj.path, how: req.how });
          continue;
        }
        const same = byReal.get(hit.found.path);
        if (same) {
          remember(same, req.name);
          continue;
        }
        const child: LoadedObject = {
          path: hit.found.requested,
          realPath: hit.found.path,
          origin: dirnameInside(hit.found.requested),
          elf: hit.elf,
          loader: obj,
          how: req.how,
          via: hit.via,
          children: [],
        };
        obj.children.push(child);
        loaded.push(child);
        byReal.set(child.realPath, child);
        remember(child, req.name);
        if (ctx.flavor === 'glibc') {
          remember(child, child.path);
          if (child.elf.soname) remember(child, child.elf.soname);
        }
      }
    }
    for (const d of ctx.diagnostics) diagnostics.push(d);
    return { input, linkage, flavor: ctx.flavor, needs: needs.list(order), missing: dedupeMissing(missing), root: main, diagnostics };
  }

  /**
   * Finds a library by soname as the loader would for `program` (a dlopen from it, with its own search
   * path): for the libraries a profile names (NSS modules and other dlopen'd code).
   */
  findLibrary(name: string, program: Lookup, elf: ElfInfo): { found: Lookup; via: string; diagnostics: Diagnostic[] } | undefined {
    const interpreter = elf.interpreter ?? defaultInterpreter(this.fs, elf);
    const ctx = this.#context(elf, interpreter);
    const main: LoadedObject = { path: program.path, realPath: program.path, origin: dirnameInside(program.path), elf, loader: null, how: 'input', via: 'input', children: [] };
    const diagnostics: Diagnostic[] = [];
    const hit = this.#search({ ctx, name, requester: main, main, needs: new NeedSet(this.fs), diagnostics, reason: { kind: 'library' } });
    return hit ? { found: hit.found, via: hit.via, diagnostics } : undefined;
  }

  /** The default folders of the loader `elf` would use: where a jail's loader looks without a cache. */
  systemDirsFor(elf: ElfInfo): string[] {
    return this.#context(elf, elf.interpreter ?? defaultInterpreter(this.fs, elf)).systemDirs;
  }

  /** glibc reuses a loaded object whose name, soname or any name it was loaded by matches; musl only by the name. */
  #alreadyLoaded(ctx: LoaderContext, name: string, byName: Map<string, LoadedObject>, interp: LoadedObject | undefined): LoadedObject | undefined {
    if (ctx.flavor === 'musl') {
      if (interp && (isMuslReservedName(name) || name === basenameInside(interp.path))) return interp;
      return name.includes('/') ? undefined : byName.get(name);
    }
    return byName.get(name);
  }

  /** An object whose search path or needed names are taken from the working directory depends on where it runs. */
  #checkCwd(obj: LoadedObject, ctx: LoaderContext, diagnostics: Diagnostic[]): void {
    let what = this.#cwdFindings.get(obj.elf);
    if (what === undefined) {
      what = [];
      const tag = obj.elf.runpath !== undefined ? 'DT_RUNPATH' : 'DT_RPATH';
      const path = obj.elf.runpath ?? obj.elf.rpath;
      if (path !== undefined && dependsOnCwd(path)) what.push(`its ${tag} "${printable(path, 200)}" has an empty or relative entry`);
      for (const n of obj.elf.needed) if (n.includes('/') && !n.startsWith('/')) what.push(`it needs "${printable(n, 200)}" by a relative path`);
      this.#cwdFindings.set(obj.elf, what);
    }
    if (what.length === 0) return;
    const cwd = ctx.settings.cwd ?? '/';
    diagnostics.push({
      code: 'CWD_DEPENDENT',
      severity: 'warning',
      path: obj.path,
      message: `${obj.path}: ${what.join('; ')}: the loader takes it from the working directory, so what loads depends on where the program runs; searched from ${cwd} (--cwd)`,
    });
  }

  /**
   * The search answers shared by every program of a loader context and ABI (a candidate of another
   * class or machine is skipped, so the ABI is part of the key).
   */
  #sharedSearches(ctx: LoaderContext, elf: ElfInfo): SharedSearches {
    let byAbi = this.#searches.get(ctx);
    if (!byAbi) this.#searches.set(ctx, (byAbi = new Map()));
    const abi = `${elf.elfClass}\0${elf.endian}\0${elf.machine}\0${elf.flags}\0${elf.osabi}\0${elf.abiVersion}`;
    let shared = byAbi.get(abi);
    if (!shared) byAbi.set(abi, (shared = new Map()));
    return shared;
  }

  /** Finds a library as the loader would, and adds what it found (and the links on the way) to the request's needs. */
  #search(req: SearchRequest): SearchHit | undefined {
    let hit: SearchHit | undefined;
    if (!req.shared || !searchIsShared(req)) hit = this.#searchOnce(req, req.diagnostics);
    else {
      let memo = req.shared.get(req.name);
      if (!memo) {
        const diagnostics: Diagnostic[] = [];
        memo = { hit: this.#searchOnce(req, diagnostics), diagnostics };
        req.shared.set(req.name, memo);
      }
      hit = memo.hit;
      for (const d of memo.diagnostics) req.diagnostics.push(d);
    }
    if (hit) req.needs.addLookup(hit.found, { ...req.reason, name: req.name, via: hit.via }, 'library');
    return hit;
  }

  #searchOnce(req: SearchRequest, diagnostics: Diagnostic[]): SearchHit | undefined {
    const hit = this.#firstCandidate(req, diagnostics);
    if (req.ctx.flavor === 'glibc' && req.ctx.ldCache && hit?.via !== 'ld.so.cache') this.#checkStaleCache(req.ctx, req.name, req.main.elf, diagnostics);
    if (req.ctx.flavor === 'glibc' && !req.ctx.ldCache && !req.ctx.settings.ldSoConfWithoutCache) this.#checkNoCache(req.ctx, req.name, req.main.elf, hit, diagnostics);
    return hit;
  }

  /**
   * A root with folders in ld.so.conf but no ld.so.cache: the loader never reads ld.so.conf, so a
   * library that a configured folder holds is not what it loads. Say so, and how to change it.
   */
  #checkNoCache(ctx: LoaderContext, name: string, wanted: ElfInfo, hit: SearchHit | undefined, diagnostics: Diagnostic[]): void {
    if (name.includes('/')) return;
    for (const dir of ctx.confDirs) {
      const at = this.fs.lookup(`${dir}/${name}`);
      if (at.kind !== 'file' || at.path === hit?.found.path) continue;
      const info = this.elfAt(at.path);
      if (info instanceof JailError || !compatibleElf(wanted, info)) continue;
      const outcome = hit ? `it loads ${hit.found.requested} instead` : 'it does not find it';
      diagnostics.push({
        code: 'LDCONF_NO_CACHE',
        severity: 'warning',
        path: '/etc/ld.so.conf',
        message: `${name} is in ${dir}, which ld.so.conf names, but the root has no /etc/ld.so.cache and the loader never reads ld.so.conf: ${outcome}. Run ldconfig in the root, or pass --ld-so-conf-without-cache for a root that will run it before use`,
      });
      return;
    }
  }

  /**
   * The loader reads ld.so.cache, never ld.so.conf: a library that only a configured folder holds is
   * not found until ldconfig runs again. Say so where cache and configuration disagree.
   */
  #checkStaleCache(ctx: LoaderContext, name: string, wanted: ElfInfo, diagnostics: Diagnostic[]): void {
    if (!ctx.ldCache || lookupLdCache(ctx.ldCache, name, ctx.arch.cacheFlags, ctx.hwcaps) !== undefined) return;
    for (const dir of ctx.confDirs) {
      const at = this.fs.lookup(`${dir}/${name}`);
      if (at.kind !== 'file') continue;
      const info = this.elfAt(at.path);
      if (info instanceof JailError || !compatibleElf(wanted, info)) continue;
      diagnostics.push({
        code: 'LDCACHE_STALE',
        severity: 'warning',
        path: '/etc/ld.so.cache',
        message: `${name} is in ${dir}, which ld.so.conf names, but not in /etc/ld.so.cache: the cache is stale (run ldconfig)`,
      });
      return;
    }
  }

  #firstCandidate({ ctx, name, requester, main }: SearchRequest, diagnostics: Diagnostic[]): SearchHit | undefined {
    const candidates: Iterable<Candidate> = ctx.flavor === 'glibc' ? glibcCandidates(ctx, name, requester, main) : muslCandidates(ctx, name, requester, main);
    for (const cand of candidates) {
      let found: Lookup;
      try {
        found = this.fs.lookup(cand.path);
      } catch (err) {
        if (!(err instanceof JailError)) throw err;
        diagnostics.push({ code: err.code, severity: 'warning', path: cand.path, message: err.message });
        continue;
      }
      if (found.kind !== 'file') continue;
      const info = this.elfAt(found.path);
      if (info instanceof JailError) {
        diagnostics.push({ code: info.code, severity: 'warning', path: found.path, message: `${info.message}; skipped while looking for ${name}` });
        if (ctx.flavor === 'musl') return undefined;
        continue;
      }
      // glibc skips a candidate of another class, byte order or machine and goes on searching;
      // musl takes the first file that opens, and then fails to map it: the program cannot start.
      if (!compatibleElf(main.elf, info)) {
        if (ctx.flavor === 'glibc') continue;
        diagnostics.push({
          code: 'LIBRARY_WRONG_CLASS',
          severity: 'error',
          path: found.path,
          // The message names no program: the answer is shared by every program of the same ABI (#search).
          message: `${found.path}: of another class, byte order or machine than the program; musl loads the first file named ${name} it finds (${cand.via}) and fails on it (Exec format error): the program cannot start`,
        });
        return undefined;
      }
      if (info.type === ET_EXEC) {
        diagnostics.push({ code: 'ELF_NOT_LOADABLE', severity: 'error', path: found.path, message: `${found.path}: an executable, not a library: cannot be loaded as ${name}` });
        return undefined;
      }
      return { found, elf: info, via: cand.via };
    }
    return undefined;
  }
}

/**
 * Whether a search's answer can be shared with other programs of the same context and ABI: not when
 * it depends on who asks, through a DT_RPATH on the way up the chain of loaders or a DT_RUNPATH (both
 * may hold $ORIGIN), a token in LD_LIBRARY_PATH (taken from the program), or DF_1_NODEFLIB.
 */
function searchIsShared({ ctx, requester }: SearchRequest): boolean {
  if ((requester.elf.flags1 & DF_1_NODEFLIB) !== 0 || ctx.settings.ldLibraryPath?.includes('$')) return false;
  for (let obj: SearchingObject | null = requester; obj; obj = obj.loader) {
    if (obj.elf.runpath !== undefined || obj.elf.rpath !== undefined) return false;
  }
  return true;
}

function dedupeMissing(list: MissingLibrary[]): MissingLibrary[] {
  const seen = new Set<string>();
  return list.filter((m) => {
    if (seen.has(m.name)) return false;
    seen.add(m.name);
    return true;
  });
}
