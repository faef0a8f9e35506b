import { namedPathsIn } from '../elf/named-paths.js';
import { basenameInside } from '../rootfs/inside-path.js';
import { globInside } from '../rootfs/glob.js';
import type { Lookup, SourceRoot } from '../rootfs/source-root.js';

/**
 * What a program family is known to read or run by a path it computes or keeps in its data, which no
 * ELF header, `#!` line or script names: the facts a jail-building shell script learns one strace at a
 * time, written down once (as jailkit's `jk_init.ini` does for its sections). Each entry is a fact of
 * the family's upstream or Debian build, kept narrow: it applies only when the program's closure holds
 * the file it names, and brings only what the family reads from there.
 *
 * A general rule was measured first and rejected (README, "Data a program names is measured, not
 * guessed"): bringing every folder a binary names in its read-only data reached 50 % precision. These
 * entries use the same reading (`named`) only where the family is known to read the folder it names.
 */
export interface KnownReads {
  /** The family and what it reads, as reasons and the README say it. */
  what: string;
  /** A file of a program's closure, by its real path; its groups fill `$1`, `$2`, ... in `brings`. */
  file: RegExp;
  /**
   * Paths of the root to bring (files, or folders with everything in them): `*` matches within one
   * path component, `{program}` is the name the program was asked for by (`/usr/bin/psql` gives `psql`).
   * Programs and shared objects among them are resolved like a binary.
   */
  brings?: string[];
  /** The folders and files `file` names in its read-only data that match: brought as `brings` would. */
  named?: RegExp;
  /** The embedded interpreter whose start-up modules come with the file (`python3.11`: `$1` filled in). */
  startup?: string;
  /**
   * Python modules the program imports at start from a folder of its own (gdb's `gdb` package in
   * /usr/share/gdb/python), followed like a script's imports with the interpreter the program links.
   */
  pythonModules?: { folder: string; names: string[] };
}

export const KNOWN_READS: readonly KnownReads[] = [
  {
    // postgresql-common's pg_wrapper (psql, pg_dump, createdb, ... are links to it) picks the default
    // cluster from user_clusters and the clusters' postgresql.conf (its port), and execs
    // /usr/lib/postgresql/VERSION/bin/NAME, NAME being the name it was run by.
    what: "PostgreSQL's pg_wrapper picks the default cluster and runs the program of its own name from /usr/lib/postgresql/VERSION/bin",
    file: /^\/usr\/share\/postgresql-common\/pg_wrapper$/,
    brings: ['/usr/lib/postgresql/*/bin/{program}', '/etc/postgresql-common/user_clusters', '/etc/postgresql/*/*/postgresql.conf'],
  },
  {
    // gcc/gcc-ar.c: finds liblto_plugin.so in GCC's own library folder for its version and runs
    // binutils' ar, nm or ranlib with `--plugin` pointing there.
    what: "gcc-ar, gcc-nm and gcc-ranlib run binutils' program of the same name with GCC's LTO plugin",
    file: /^\/usr\/bin\/(?:[A-Za-z0-9_.-]+-)?gcc-(ar|nm|ranlib)-([0-9]+)$/,
    brings: ['/usr/lib/gcc/*/$2/liblto_plugin.so', '/usr/bin/$1'],
  },
  {
    // kpathsea reads texmf.cnf from every folder of its compiled-in TEXMFCNF path (the folders it
    // names, as its warning lists them), and mktex.opt, mktex.cnf and fmtutil.cnf beside it.
    what: 'kpathsea reads texmf.cnf and the mktex and fmtutil configuration from the web2c folders compiled into it',
    file: /^\/(?:usr\/)?lib(?:32|64|x32)?\/(?:[^/]+\/)?libkpathsea\.so\.[0-9.]+$/,
    named: /^\/(?:etc\/texmf|usr\/share\/texmf|usr\/share\/texlive\/texmf-dist|usr\/local\/share\/texmf)\/web2c$/,
  },
  {
    // groff's programs read their device descriptions (font/devNAME/DESC) and macros from the
    // FONTPATH and MACROPATH compiled into them.
    what: "groff's programs read fonts and macros from the folders compiled into them",
    file: /^\/usr\/bin\/(?:groff|troff|pre-grohtml|post-grohtml|grops|grotty|grodvi|grolj4|grolbp)$/,
    named: /^\/usr\/share\/groff\/[^/]+\/font$/,
    brings: ['/usr/share/groff/*/tmac'],
  },
  {
    // Ghostscript's library starts by running gs_init.ps from the Resource/Init folder compiled into
    // it, with the resources, ICC profiles and PostScript library beside it (GS_LIB's default); its
    // Resource/Font entries are links to the fonts it ships with (URW base 35), which come with them.
    what: "Ghostscript's library reads its initialisation, resources and ICC profiles from the folders compiled into it",
    file: /^\/(?:usr\/)?lib(?:32|64|x32)?\/(?:[^/]+\/)?libgs\.so\.[0-9.]+$/,
    brings: ['/usr/share/ghostscript/*/Resource', '/usr/share/ghostscript/*/lib', '/usr/share/ghostscript/*/iccprofiles'],
  },
  {
    // fontconfig reads fonts.conf and the conf.d links from the configuration folder compiled into it,
    // and says "Cannot load default config file" at every start without it.
    what: 'fontconfig reads its configuration from the folder compiled into it (/etc/fonts)',
    file: /^\/(?:usr\/)?lib(?:32|64|x32)?\/(?:[^/]+\/)?libfontconfig\.so\.[0-9.]+$/,
    brings: ['/etc/fonts'],
  },
  {
    // Dpkg::Arch asks the C compiler for the GNU system type (`qx($CC -dumpmachine)`, gcc unless CC
    // is set), warning at every start when it cannot, and maps it through the tables in
    // $Dpkg::DATADIR (/usr/share/dpkg: cputable, ostable, tupletable, abitable).
    what: "dpkg-dev's Dpkg::Arch runs the C compiler (gcc) for the GNU system type and reads dpkg's architecture tables",
    file: /^\/usr\/share\/perl5\/Dpkg\/Arch\.pm$/,
    brings: ['/usr/bin/gcc', '/usr/share/dpkg/*table'],
  },
  {
    // Tcl's library runs init.tcl from the tcl_library folder compiled into it (Debian:
    // /usr/share/tcltk/tcl8.6), which sets up auto_path and the packages beside it.
    what: "Tcl's library runs init.tcl from the folder compiled into it",
    file: /^\/(?:usr\/)?lib(?:32|64|x32)?\/(?:[^/]+\/)?libtcl[0-9.]+\.so(?:\.[0-9.]+)?$/,
    named: /^\/usr\/share\/tcltk\/tcl[0-9.]+$/,
  },
  {
    // Tk finds tk.tcl in its library folder beside Tcl's ($tcl_library/../tkX.Y).
    what: "Tk's library reads tk.tcl and its scripts from its folder beside Tcl's",
    file: /^\/(?:usr\/)?lib(?:32|64|x32)?\/(?:[^/]+\/)?libtk([0-9]+\.[0-9]+)\.so(?:\.[0-9.]+)?$/,
    brings: ['/usr/share/tcltk/tk$1'],
  },
  {
    // groff is a driver: it runs troff, then the postprocessor of the device (grops for its default,
    // ps), each found on PATH; `groff --version` runs both to print their versions.
    what: 'groff runs troff and the postprocessor of its default device (grops)',
    file: /^\/usr\/bin\/groff$/,
    brings: ['/usr/bin/troff', '/usr/bin/grops'],
  },
  {
    // Debian builds PHP with the system time zone database: it validates date.timezone (UTC when unset)
    // by reading /usr/share/zoneinfo/ZONE, and warns at every start when it cannot.
    what: 'PHP reads the time zone database it names (/usr/share/zoneinfo)',
    file: /^\/usr\/(?:s?bin|lib\/cgi-bin)\/php(?:-fpm|-cgi)?[0-9.]*$/,
    named: /^\/usr\/share\/zoneinfo$/,
  },
  {
    // A program linked with libpython (gdb) starts an interpreter at its own start: site, encodings
    // and what they import, on the module path computed from the program's prefix.
    what: 'a program linked with libpython starts the interpreter, which imports its start-up modules',
    file: /^\/(?:usr\/)?lib(?:32|64|x32)?\/(?:[^/]+\/)?libpython([0-9]+\.[0-9]+)\.so(?:\.[0-9.]+)?$/,
    startup: 'python$1',
  },
  {
    // gdb imports its own Python package (gdb, gdb.printing, ...) from DATA-DIRECTORY/python at start.
    what: "gdb imports its Python package from its data directory's python folder",
    file: /^\/usr\/bin\/gdb(?:-multiarch)?$/,
    pythonModules: { folder: '/usr/share/gdb/python', names: ['gdb'] },
  },
];

/** Files in one folder brought whole, at most (a folder that big is not data one family reads). */
export const MAX_FOLDER_FILES = 5000;

/** What one entry brings for one file of a closure. */
export interface KnownBringing {
  entry: KnownReads;
  /** The closure's file that matched. */
  file: string;
  /** Paths of the root the entry brings that exist (files or folders), sorted. */
  paths: string[];
  /** The interpreter whose start-up modules come (`/usr/bin/python3.11`), when the entry says so. */
  startup?: string;
}

/** Whether what the entries bring for `file` depends on the name the program was asked by (`{program}`). */
export function namesProgram(file: string, entries: readonly KnownReads[] = KNOWN_READS): boolean {
  return entries.some((e) => e.file.test(file) && (e.brings ?? []).some((b) => b.includes('{program}')));
}

/**
 * Fills `$1`.. and `{program}` in `template`; undefined when a group it uses did not match, when the
 * program's name would widen the pattern (a glob character, a slash, empty), or when the result climbs
 * or stays in place (a `..` or `.` component).
 */
function fill(template: string, match: RegExpExecArray, program: string): string | undefined {
  if (template.includes('{program}') && (program === '' || /[*?[\]\\/]/.test(program))) return undefined;
  let missing = false;
  const out = template
    .replace(/\$([1-9])/g, (_, n: string) => {
      const g = match[Number(n)];
      if (g === undefined) missing = true;
      return g ?? '';
    })
    .replace(/\{program\}/g, () => program);
  // A name filled in must not climb or stay in place (`..`, `.` as a component).
  if (missing || out.split('/').some((c) => c === '..' || c === '.')) return undefined;
  return out;
}

/**
 * The entries of KNOWN_READS that apply to `file` (a real path of a program's closure), with the paths
 * of the root they bring. `invokedAs` is the path the program was asked for by. A program name that
 * holds a glob character or a slash, or is `.` or `..`, brings nothing by `{program}` (it could widen
 * the pattern, or name the folder above: the whole of /usr/lib/postgresql/15).
 */
export function knownReadsOf(fs: SourceRoot, file: string, invokedAs: string, entries: readonly KnownReads[] = KNOWN_READS): KnownBringing[] {
  const out: KnownBringing[] = [];
  const program = programName(invokedAs);
  for (const entry of entries) {
    const match = entry.file.exec(file);
    // The file that tells must be the system's own: in a system folder (the patterns say where) and
    // owned by root or a system account (a tenant's library of the same name tells nothing).
    if (!match || !systemOwned(fs, file)) continue;
    const paths = new Set<string>();
    for (const template of entry.brings ?? []) {
      const pattern = fill(template, match, program);
      if (pattern !== undefined) for (const p of safeGlob(fs, pattern)) paths.add(p);
    }
    if (entry.named) for (const p of namedIn(fs, file)) if (entry.named.test(p) && existing(fs, p)) paths.add(p);
    const bringing: KnownBringing = { entry, file, paths: [...paths].sort() };
    if (entry.startup !== undefined) {
      const name = fill(entry.startup, match, program);
      if (name !== undefined) bringing.startup = `/usr/bin/${name}`;
    }
    if (bringing.paths.length > 0 || bringing.startup !== undefined || entry.pythonModules !== undefined) out.push(bringing);
  }
  return out;
}

/** Folders below a folder brought whole, at most this deep. */
export const MAX_FOLDER_DEPTH = 16;
/** Files larger than this are not read for the paths they name (no library's read-only data is that big). */
const MAX_NAMED_READ = 64 * 1024 * 1024;

/** The name a program was asked by (`/usr/bin/psql` gives `psql`): what `{program}` stands for. */
export function programName(invokedAs: string): string {
  return basenameInside(invokedAs);
}

/** The first uid of ordinary accounts in each root (`UID_MIN` of its /etc/login.defs, else 1000). */
const firstUserUid = new WeakMap<SourceRoot, number>();

/** `UID_MIN` from the root's /etc/login.defs (shadow's useradd gives ordinary accounts uids from there), else 1000. */
export function uidMin(fs: SourceRoot): number {
  let min = firstUserUid.get(fs);
  if (min === undefined) {
    let text: string | null;
    try {
      text = fs.readText('/etc/login.defs');
    } catch {
      text = null; // unreadable (a link loop, too big): the default
    }
    const m = text !== null ? /^[ \t]*UID_MIN[ \t]+([0-9]{1,9})[ \t]*$/m.exec(text) : null;
    min = m ? Number(m[1]) : 1000;
    firstUserUid.set(fs, min);
  }
  return min;
}

/**
 * Whether a real path of the root belongs to the system: owned by root or by a system account (uid
 * below the root's UID_MIN, 1000 on Debian: postgres owns its clusters' configuration). What an
 * ordinary account owns (a tenant's file, or a link's target it planted) is never brought by a known read.
 */
export function systemOwned(fs: SourceRoot, realPath: string): boolean {
  const uid = fs.lstat(realPath)?.uid;
  return uid !== undefined && (uid === 0 || uid < uidMin(fs));
}

/** A lookup that gives `missing` instead of throwing (a link loop, a name too long). */
function lookupOrMissing(fs: SourceRoot, path: string): Lookup {
  try {
    return fs.lookup(path);
  } catch {
    return { requested: path, path, links: [], kind: 'missing' };
  }
}

function existing(fs: SourceRoot, path: string): boolean {
  return lookupOrMissing(fs, path).kind !== 'missing';
}

function safeGlob(fs: SourceRoot, pattern: string): string[] {
  try {
    return globInside(fs, pattern);
  } catch {
    return []; // a link loop on the way: nothing there to bring
  }
}

/**
 * The absolute paths `file` names in its read-only data; none when it is not ELF, too big or
 * malformed. Only the headers and the read-only data sections are read (php8.2 is 5.7 MB, its
 * .rodata a tenth of that), through the same checked open as a whole read.
 */
function namedIn(fs: SourceRoot, file: string): string[] {
  try {
    const size = fs.lstat(file)?.size ?? 0;
    if (size > MAX_NAMED_READ) return [];
    const found = fs.lookup(file);
    if (found.kind !== 'file') return [];
    const src = fs.open(found.path);
    try {
      return namedPathsIn(src);
    } finally {
      src.close();
    }
  } catch {
    return [];
  }
}

/**
 * Every file and link inside folder `dir` of the root, recursively, without following links into
 * other folders (a link is kept, and what it leads to when that is a file): at most `max` entries
 * (folders count too) and MAX_FOLDER_DEPTH levels, then `truncated`. A link whose target loops or is
 * not the system's (see systemOwned) is left out and counted in `refused`. Folder by folder, each in
 * sorted order, so that what comes is the same at every build.
 */
export function folderContents(fs: SourceRoot, dir: string, max = MAX_FOLDER_FILES): { files: Lookup[]; truncated: boolean; refused: string[] } {
  const files: Lookup[] = [];
  const refused: string[] = [];
  const stack: Array<{ path: string; depth: number }> = [{ path: dir, depth: 0 }];
  let seen = 0;
  while (stack.length > 0) {
    const { path: here, depth } = stack.pop() as { path: string; depth: number };
    const names = (fs.readdir(here) ?? []).slice().sort();
    const below: string[] = [];
    for (const name of names) {
      if (++seen > max) return { files, truncated: true, refused };
      const path = `${here === '/' ? '' : here}/${name}`;
      const st = fs.lstat(path);
      if (!st) continue;
      if (!systemOwned(fs, path)) {
        refused.push(path);
        continue;
      }
      if (st.isDirectory()) {
        if (depth + 1 > MAX_FOLDER_DEPTH) return { files, truncated: true, refused };
        below.push(path);
      } else if (st.isFile()) files.push({ requested: path, path, links: [], kind: 'file', stats: st });
      else if (st.isSymbolicLink()) {
        const end = lookupOrMissing(fs, path);
        if (end.kind === 'missing' || (end.kind === 'file' && !systemOwned(fs, end.path))) refused.push(path);
        else files.push(end);
      }
    }
    for (const b of below.reverse()) stack.push({ path: b, depth: depth + 1 });
  }
  return { files, truncated: false, refused };
}
