import { readFileSync } from 'node:fs';
import type { Diagnostic } from '../errors.js';
import { JailError } from '../errors.js';
import type { ElfInfo } from '../elf/elf-info.js';
import { basenameInside, dirnameInside, joinInside } from '../rootfs/inside-path.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import { type Arch, archOf } from './arch.js';
import { type LdCache, parseLdCache } from './ld-so-cache.js';
import { readLdSoConf } from './ld-so-conf.js';
import { compiledSystemDirs } from './compiled-dirs.js';

export type LoaderFlavor = 'glibc' | 'musl';

/** Knobs of the emulated loader that come from the run, not from the files. */
export interface LoaderSettings {
  /** LD_LIBRARY_PATH to apply, when given. */
  ldLibraryPath?: string;
  /** Supported glibc-hwcaps subdirectories, best first; default: detected for the host's own root and ABI. */
  hwcaps?: string[];
  /** `$PLATFORM` / AT_PLATFORM; default: the architecture's usual value. */
  platform?: string;
  /**
   * With no (readable) ld.so.cache in the root, also search the folders ld.so.conf names, as ldconfig
   * would cache them: for a root that will run ldconfig before use. Off by default: the loader itself
   * never reads ld.so.conf, so without a cache it searches only its default folders (a library only a
   * configured folder holds is reported, LDCONF_NO_CACHE).
   */
  ldSoConfWithoutCache?: boolean;
  /**
   * The folder (inside the root) the program runs in: empty and relative DT_RPATH/DT_RUNPATH entries
   * and DT_NEEDED names with a slash are taken from it, as the loader does (CWD_DEPENDENT). Default `/`.
   */
  cwd?: string;
}

/**
 * Everything about one (root, ABI, C library) that the search order needs, read once and kept:
 * ld.so.cache, the ld.so.conf directories, the default directories, musl's path file.
 */
export class LoaderContext {
  readonly fs: SourceRoot;
  readonly arch: Arch;
  readonly flavor: LoaderFlavor;
  readonly interpreter: string | undefined;
  readonly settings: LoaderSettings;
  readonly diagnostics: Diagnostic[] = [];
  readonly systemDirs: string[];
  readonly hwcaps: string[];
  readonly platform: string;
  /** `$LIB`: the first default directory without its leading slash (Debian: lib/x86_64-linux-gnu). */
  readonly libToken: string;
  #cache: LdCache | null | undefined;
  #confDirs: string[] | undefined;
  #subdirs = new Map<string, string[]>();

  constructor(fs: SourceRoot, arch: Arch, flavor: LoaderFlavor, interpreter: string | undefined, settings: LoaderSettings) {
    this.fs = fs;
    this.arch = arch;
    this.flavor = flavor;
    this.interpreter = interpreter;
    this.settings = settings;
    this.platform = settings.platform ?? arch.platform;
    this.hwcaps = flavor === 'glibc' ? (settings.hwcaps ?? detectHwcaps(fs, arch)) : [];
    this.systemDirs = flavor === 'glibc' ? glibcSystemDirs(fs, arch, interpreter) : muslSystemDirs(fs, arch);
    this.libToken = (this.systemDirs[0] ?? '/lib').slice(1);
  }

  /** The root's ld.so.cache, or null when it has none (or an unreadable one, reported). */
  get ldCache(): LdCache | null {
    if (this.#cache === undefined) {
      this.#cache = null;
      const found = this.fs.lookup('/etc/ld.so.cache');
      if (found.kind === 'file') {
        try {
          // null: no regular file any more by the time it was opened (a jail's inmates may swap it).
          const bytes = this.fs.readBytes(found.path);
          this.#cache = bytes ? parseLdCache(bytes, '/etc/ld.so.cache') : null;
        } catch (err) {
          if (!(err instanceof JailError)) throw err;
          this.diagnostics.push({ code: 'LDCACHE_MALFORMED', severity: 'warning', path: '/etc/ld.so.cache', message: `${err.message}; searched as the loader would without one` });
        }
      }
    }
    return this.#cache;
  }

  /** Directories ldconfig would cache (ld.so.conf with includes), used when the root has no cache. */
  get confDirs(): string[] {
    if (this.#confDirs === undefined) {
      const conf = readLdSoConf(this.fs);
      for (const d of conf.diagnostics) this.diagnostics.push(d);
      this.#confDirs = conf.dirs.map((d) => d.dir);
    }
    return this.#confDirs;
  }

  /**
   * The subdirectories glibc tries inside one search directory, best first, that exist in the root:
   * glibc-hwcaps/LEVEL for each supported level, then the legacy tls/PLATFORM, tls and PLATFORM,
   * then the directory itself ('').
   */
  subdirsOf(dir: string): string[] {
    let list = this.#subdirs.get(dir);
    if (list === undefined) {
      list = [];
      if (this.flavor === 'glibc') {
        const wanted = [...this.hwcaps.map((h) => `glibc-hwcaps/${h}`), ...(this.platform ? [`tls/${this.platform}`, 'tls', this.platform] : ['tls'])];
        for (const sub of wanted) {
          if (this.fs.lookup(joinInside(dir, sub)).kind === 'directory') list.push(sub);
        }
      }
      list.push('');
      this.#subdirs.set(dir, list);
    }
    return list;
  }
}

/**
 * glibc's compiled-in default directories, as Debian builds them. They depend on where that glibc was
 * configured to live, which the interpreter's real location tells: a multiarch glibc (in
 * /lib/TRIPLET) searches /lib/TRIPLET, /usr/lib/TRIPLET, /lib, /usr/lib; a biarch one (libc6-i386's
 * /lib32, Fedora's /lib64) searches /libNN, /usr/libNN, /lib, /usr/lib.
 */
/** A glibc loader is some 250 KB; a larger file named as one is not read whole. */
const MAX_LOADER_BYTES = 8 * 1024 * 1024;

function glibcSystemDirs(fs: SourceRoot, arch: Arch, interpreter: string | undefined): string[] {
  const multiarch = arch.triplet ? [`/lib/${arch.triplet}`, `/usr/lib/${arch.triplet}`, '/lib', '/usr/lib'] : ['/lib', '/usr/lib'];
  if (!interpreter) return multiarch;
  const real = fs.lookup(interpreter);
  if (real.kind === 'missing') return multiarch;
  // What the loader itself was built with, when it says.
  if (real.kind === 'file' && (fs.lstat(real.path)?.size ?? Infinity) <= MAX_LOADER_BYTES) {
    const bytes = fs.readBytes(real.path);
    const compiled = bytes ? compiledSystemDirs(bytes) : null;
    if (compiled) return compiled;
  }
  // Else guess from where it lives: in a biarch folder (/lib64), that folder's family.
  if (!arch.biarch) return multiarch;
  const dir = dirnameInside(real.path);
  if (arch.triplet && basenameInside(dir) === arch.triplet) return multiarch;
  if (basenameInside(dir) === arch.biarch) return [`/${arch.biarch}`, `/usr/${arch.biarch}`, '/lib', '/usr/lib'];
  return multiarch;
}

/** musl reads /etc/ld-musl-ARCH.path (entries separated by newlines or colons), else its built-in list. */
function muslSystemDirs(fs: SourceRoot, arch: Arch): string[] {
  const text = arch.muslArch ? fs.readText(`/etc/ld-musl-${arch.muslArch}.path`) : null;
  if (text !== null)
    return text
      .split(/[:\n]/)
      .map((s) => s.trim())
      .filter((s) => s !== '');
  return ['/lib', '/usr/local/lib', '/usr/lib'];
}

const X86_64_LEVELS: Array<[string, string[]]> = [
  ['x86-64-v4', ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl']],
  ['x86-64-v3', ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe', 'xsave']],
  ['x86-64-v2', ['cx16', 'lahf_lm', 'popcnt', 'sse4_1', 'sse4_2', 'ssse3']],
];

/**
 * The glibc-hwcaps levels this machine's CPU supports, when the root is the host's own and the ABI
 * is the host's: only then can the answer be known. Otherwise none (set `hwcaps` to choose).
 */
function detectHwcaps(fs: SourceRoot, arch: Arch): string[] {
  if (fs.root !== '/' || arch.id !== 'x86_64' || process.arch !== 'x64') return [];
  let flags: Set<string>;
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('flags'));
    flags = new Set((line ?? '').split(':')[1]?.trim().split(/\s+/) ?? []);
  } catch {
    return [];
  }
  const levels: string[] = [];
  // A level is supported only when every lower level is too.
  for (let i = X86_64_LEVELS.length - 1; i >= 0; i--) {
    const [name, needs] = X86_64_LEVELS[i] as [string, string[]];
    if (!needs.every((f) => flags.has(f))) break;
    levels.unshift(name);
  }
  return levels;
}

/** Which C library's loader an interpreter path belongs to. */
export function flavorOfInterpreter(interpreter: string | undefined): LoaderFlavor {
  return interpreter !== undefined && basenameInside(interpreter).startsWith('ld-musl-') ? 'musl' : 'glibc';
}

/** The interpreter to assume for a file that names none (a shared library given as input). */
export function defaultInterpreter(fs: SourceRoot, elf: ElfInfo): string | undefined {
  const arch = archOf(elf);
  for (const interp of arch.glibcInterpreters) if (fs.lookup(interp).kind === 'file') return interp;
  if (arch.muslArch) {
    const musl = `/lib/ld-musl-${arch.muslArch}.so.1`;
    if (fs.lookup(musl).kind === 'file') return musl;
  }
  return arch.glibcInterpreters[0];
}
