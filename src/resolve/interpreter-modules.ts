import type { Diagnostic } from '../errors.js';
import { printable } from '../errors.js';
import { type Reason, withOrigin } from '../model/reason.js';
import { basenameInside, dirnameInside, joinInside } from '../rootfs/inside-path.js';
import type { Lookup, SourceRoot } from '../rootfs/source-root.js';
import { perlModuleFile, scanPerlUses } from '../script/perl-uses.js';
import { scanPythonImports } from '../script/python-imports.js';

/** What following an interpreter's modules needs from the program resolver. */
export interface ModuleHost {
  fs: SourceRoot;
  /** A path of the root, links followed; undefined when missing. */
  lookup(path: string): Lookup | undefined;
  /** Puts a module file (source, data) in the jail. */
  addFile(found: Lookup, reason: Reason): void;
  /** Resolves a compiled module (an ELF shared object) like a program: what it loads comes too. */
  addProgram(found: Lookup, reason: Reason): void;
  diagnostics: Diagnostic[];
  /** Whether the file is one the host keeps from others (it is then not read). */
  isPrivate(realPath: string): boolean;
  /**
   * A program the module runs by name (looked up on the default PATH, or by its absolute path),
   * resolved like one a shell script runs; false when the root has no such program.
   */
  runCommand?(name: string, from: string, line: number, reason: Reason): boolean;
  /** What each module file was found to import, kept across the programs one resolver follows (the same encodings package for each). */
  scans?: Map<string, unknown>;
}

/** `scan()`, or what it gave before for `key` in this host's resolver. The caller must not change what it gets. */
function cachedScan<T>(host: ModuleHost, key: string, scan: () => T): T {
  const known = host.scans?.get(key);
  if (known !== undefined) return known as T;
  const fresh = scan();
  host.scans?.set(key, fresh);
  return fresh;
}

/** Source files larger than this are not read: no module is that big. */
const MAX_MODULE_BYTES = 4 * 1024 * 1024;
/** Modules followed from one script, at most (a runaway import graph stops there, with a warning). */
const MAX_MODULES = 20000;

/**
 * Modules CPython 3.11 as Debian builds it has compiled in (`sys.builtin_module_names`): imported,
 * they are no file. Other builds compile in fewer; a module missing from this list and from the
 * module path is reported, never fatal.
 */
const PYTHON_BUILTINS = new Set(
  (
    '_abc _ast _bisect _blake2 _codecs _collections _csv _datetime _elementtree _functools _heapq _imp _io _locale _md5 _opcode ' +
    '_operator _pickle _posixsubprocess _random _sha1 _sha256 _sha3 _sha512 _signal _socket _sre _stat _statistics _string _struct ' +
    '_symtable _thread _tokenize _tracemalloc _warnings _weakref array atexit binascii builtins cmath errno faulthandler fcntl gc grp ' +
    'itertools marshal math posix pwd pyexpat select spwd sys syslog time unicodedata xxsubtype zlib _frozen_importlib _frozen_importlib_external __main__'
  ).split(' '),
);

export function readText(host: ModuleHost, found: Lookup): string | null {
  if (found.kind !== 'file' || (found.stats?.size ?? 0) > MAX_MODULE_BYTES || host.isPrivate(found.path)) return null;
  return host.fs.readText(found.path);
}

function isDir(host: ModuleHost, path: string): boolean {
  return host.lookup(path)?.kind === 'directory';
}

/**
 * Modules a standard module imports inside a function that runs at import time of many others:
 * functools' `singledispatch().register` imports typing (`_is_union_type`, `get_type_hints`), and
 * modules register their implementations as they load (pydoc fails with "No module named 'typing'").
 */
const PYTHON_IMPLIED: Record<string, string[]> = {
  functools: ['typing'],
  // sysconfig: `__import__(_get_sysconfigdata_name())`, `_sysconfigdata_{abiflags}_{platform}_{multiarch}`
  // (site calls it when it adds the user's site folder; pydoc at start).
  sysconfig: ['_sysconfigdata_*'],
};

/** The module names an implied name stands for: itself, or with `*` the top-level modules on the path that match. */
function impliedModuleNames(host: ModuleHost, implied: string, path: string[]): string[] {
  if (!implied.endsWith('*')) return [implied];
  const prefix = implied.slice(0, -1);
  const names = new Set<string>();
  for (const dir of path) for (const f of host.fs.readdir(dir) ?? []) if (f.startsWith(prefix) && f.endsWith('.py')) names.add(f.slice(0, -3));
  return [...names].sort();
}

/** Where CPython looks for modules, as Debian builds it, for the interpreter at `realInterpreter`. */
export function pythonModulePath(host: ModuleHost, realInterpreter: string, scriptDir: string): { path: string[]; own: string[] } {
  const version = /python(\d+\.\d+)/.exec(basenameInside(realInterpreter))?.[1];
  const prefix = dirnameInside(dirnameInside(realInterpreter));
  if (version === undefined) return { path: [scriptDir], own: [] };
  const major = version.split('.')[0] as string;
  const own = [`${prefix}/lib/python${version}`, `${prefix}/lib/python${version}/lib-dynload`];
  const site = [`/usr/local/lib/python${version}/dist-packages`, `${prefix}/lib/python${major}/dist-packages`, `${prefix}/lib/python${version}/dist-packages`, `${prefix}/lib/python${version}/site-packages`];
  const path = [scriptDir, ...own, ...site].filter((d) => isDir(host, d));
  return { path, own: [...own, ...site].filter((d) => isDir(host, d)) };
}

/**
 * Whether a file (by its real path) is in one of the interpreter's own folders, named as on the
 * module path or by their real paths (Debian's /usr/share/perl/5.36 is a link to 5.36.0).
 */
function ownFolders(host: ModuleHost, dirs: string[]): (file: string) => boolean {
  const all = new Set(dirs);
  for (const d of dirs) {
    const real = host.lookup(d)?.path;
    if (real !== undefined) all.add(real);
  }
  const list = [...all];
  return (file) => list.some((d) => file.startsWith(`${d}/`));
}

interface FoundModule {
  /** The module's file: `x.py`, `pkg/__init__.py`, `x.cpython-311-x86_64-linux-gnu.so`; undefined for a namespace package. */
  file?: Lookup;
  /** For a package, its folder. */
  packageDir?: string;
  /** `__init__.py` files of the packages on the way (`a/__init__.py` for `a.b`). */
  inits: Lookup[];
}

/** A compiled module's file name: its module name, then the tag CPython builds add (`.cpython-311-x86_64-linux-gnu`, `.abi3`), then `.so`. */
const COMPILED_MODULE = /^([^.]+)\.(cpython-[^.]+\.|abi\d+\.)?so$/;

/** Per folder listing (the source root keeps one array per folder): each module name's first compiled file in it. */
const compiledIndexes = new WeakMap<readonly string[], Map<string, string>>();

/**
 * The compiled modules of a folder by module name, the first in listing order for each. Built once
 * per listing: every module looked for on the path (most of them are no compiled module) was a
 * pass over each folder's names.
 */
function compiledModules(listing: readonly string[]): Map<string, string> {
  let index = compiledIndexes.get(listing);
  if (index === undefined) {
    index = new Map();
    for (const file of listing) {
      const m = COMPILED_MODULE.exec(file);
      if (m && !index.has(m[1] as string)) index.set(m[1] as string, file);
    }
    compiledIndexes.set(listing, index);
  }
  return index;
}

/** A module named `name` directly in `dir`: `name.py`, `name/__init__.py`, a compiled `name.*.so`, or a namespace folder. */
function moduleIn(host: ModuleHost, dir: string, name: string): FoundModule | undefined {
  const init = host.lookup(`${dir}/${name}/__init__.py`);
  if (init?.kind === 'file') return { file: init, packageDir: `${dir}/${name}`, inits: [] };
  const source = host.lookup(`${dir}/${name}.py`);
  if (source?.kind === 'file') return { file: source, inits: [] };
  const listing = host.fs.readdir(dir);
  const compiled = listing ? compiledModules(listing).get(name) : undefined;
  if (compiled !== undefined) {
    const at = host.lookup(`${dir}/${compiled}`);
    if (at?.kind === 'file') return { file: at, inits: [] };
  }
  if (isDir(host, `${dir}/${name}`)) return { packageDir: `${dir}/${name}`, inits: [] };
  return undefined;
}

/** Finds a dotted module on the module path, package by package. */
function findPythonModule(host: ModuleHost, dotted: string, path: string[]): FoundModule | undefined {
  const parts = dotted.split('.');
  let found: FoundModule | undefined;
  for (const dir of path) {
    found = moduleIn(host, dir, parts[0] as string);
    if (found) break;
  }
  const inits: Lookup[] = [];
  for (const part of parts.slice(1)) {
    if (!found?.packageDir) return undefined;
    if (found.file) inits.push(found.file);
    found = moduleIn(host, found.packageDir, part);
  }
  return found ? { ...found, inits } : undefined;
}

/**
 * Follows a Python script's imports, recursively through the modules found: every module file (and
 * the `__init__.py` of each package on the way) goes in the jail, compiled modules are resolved as ELF
 * files, and so do the interpreter's own start-up modules (`site` and what it imports, the whole
 * `encodings` package, `sitecustomize`). A module found nowhere, or imported by a name computed at run
 * time, is a warning naming the file and line, for the script and its own modules only (the standard
 * library imports many modules only where they exist). With `startupOnly` (a program that embeds the
 * interpreter, such as gdb), only the start-up modules come, and the `modules` it imports from a folder
 * of its own (put first on the module path), followed as the program's own files.
 */
export function followPythonImports(host: ModuleHost, script: Lookup, realInterpreter: string, reason: Reason, options: { startupOnly?: boolean; modules?: { folder: string; names: string[] } } = {}): void {
  const { path, own } = pythonModulePath(host, realInterpreter, dirnameInside(script.path));
  if (options.modules && isDir(host, options.modules.folder)) path.splice(1, 0, options.modules.folder);
  const isOwn = ownFolders(host, own);
  const gate = new ModuleGate(host, script, isOwn);
  // path → whether the program's own files import it directly (then its lazy imports count too).
  const done = new Map<string, boolean>();
  // An embedding program (gdb) is no script: only the interpreter's start-up modules come for it.
  const queue: Array<{ file: Lookup; module: string; isPackage: boolean; direct: boolean }> = options.startupOnly ? [] : [{ file: script, module: '__main__', isPackage: false, direct: true }];
  const add = (m: FoundModule, name: string, why: Reason, direct = false): void => {
    m.inits.forEach((init, i) =>
      enqueue(
        init,
        name
          .split('.')
          .slice(0, i + 1)
          .join('.'),
        true,
        why,
        direct,
      ),
    );
    if (m.file) enqueue(m.file, name, m.packageDir !== undefined, why, direct);
  };
  const enqueue = (file: Lookup, module: string, isPackage: boolean, why: Reason, direct = false): void => {
    const seen = done.get(file.path);
    if (seen === true || (seen === false && !direct)) return;
    if (seen === undefined && !gate.admits(file, why.from ?? script.path)) {
      done.set(file.path, true);
      return;
    }
    done.set(file.path, direct);
    if (file.path.endsWith('.so')) {
      if (seen === undefined) host.addProgram(file, why);
    } else {
      if (seen === undefined) host.addFile(file, why);
      queue.push({ file, module, isPackage, direct });
    }
  };
  // The interpreter's start-up: site (and so os, codecs, ...), every codec, the local customizations.
  const startup = withOrigin({ kind: 'imported', from: realInterpreter, name: 'site' }, reason.origin);
  for (const name of ['site', 'sitecustomize']) {
    const m = findPythonModule(host, name, path.slice(1));
    if (m) add(m, name, { ...startup, name });
  }
  const encodings = findPythonModule(host, 'encodings', path.slice(1));
  if (encodings?.packageDir) {
    add(encodings, 'encodings', { ...startup, name: 'encodings' });
    for (const f of host.fs.readdir(encodings.packageDir) ?? []) {
      if (!f.endsWith('.py')) continue;
      const at = host.lookup(`${encodings.packageDir}/${f}`);
      if (at?.kind === 'file') enqueue(at, `encodings.${f.slice(0, -3)}`, false, { ...startup, name: `encodings.${f.slice(0, -3)}` });
    }
  }
  for (const name of options.modules?.names ?? []) {
    const m = findPythonModule(host, name, path.slice(1));
    if (m) add(m, name, withOrigin({ kind: 'imported', from: script.path, name }, reason.origin), true);
  }
  // A setuptools entry-point script finds its distribution's metadata and loads the module it names.
  const entry = options.startupOnly ? undefined : entryPointOf(readText(host, script) ?? '');
  if (entry) {
    const meta = distributionMetadata(host, entry.dist, path);
    if (meta) {
      const why = withOrigin({ kind: 'imported', from: script.path, line: 2, name: entry.dist }, reason.origin);
      for (const f of meta.files) if (gate.admits(f, script.path)) host.addFile(f, why);
      const module = entryPointModule(meta.entryPoints, entry.group, entry.name);
      const found = module ? findPythonModule(host, module, path) : undefined;
      if (found && module) add(found, module, { ...why, name: module }, true);
    } else {
      host.diagnostics.push({
        code: 'MODULE_MISSING',
        severity: 'warning',
        path: script.path,
        message: `${script.path}:2: runs an entry point of ${printable(entry.dist)}, whose metadata (.egg-info, .dist-info) is not on the module path in the root`,
      });
    }
  }
  while (queue.length > 0) {
    if (done.size > MAX_MODULES) {
      host.diagnostics.push({ code: 'MODULE_UNKNOWN', severity: 'warning', path: script.path, message: `${script.path}: more than ${MAX_MODULES} modules imported; not followed further` });
      break;
    }
    const { file, module, isPackage, direct } = queue.shift() as { file: Lookup; module: string; isPackage: boolean; direct: boolean };
    const text = readText(host, file);
    if (text === null) continue;
    const report = !isOwn(file.path);
    const base = cachedScan(host, `py\0${file.path}`, () => scanPythonImports(text));
    const scanned = { ...base, imports: [...base.imports] };
    for (const implied of PYTHON_IMPLIED[module] ?? []) {
      for (const name of impliedModuleNames(host, implied, path)) scanned.imports.push({ module: name, level: 0, line: 1, lazy: false });
    }
    if (report) addNamedFiles(host, gate, file, scanned.named, reason);
    // The program's own literal sys.path changes (py3compile's `sys.path.insert(1, '/usr/share/python3/')`).
    if (report) {
      const first = addedFolders(
        host,
        scanned.paths.filter((p) => p.first).map((p) => p.dir),
        path,
      );
      path.unshift(...first);
      path.push(
        ...addedFolders(
          host,
          scanned.paths.filter((p) => !p.first).map((p) => p.dir),
          path,
        ),
      );
    }
    if (scanned.imports.length > MAX_IMPORTS_PER_FILE) {
      host.diagnostics.push({ code: 'MODULE_UNKNOWN', severity: 'warning', path: file.path, message: `${printable(file.path)}: more than ${MAX_IMPORTS_PER_FILE} imports; the rest are not followed` });
    }
    for (const imp of scanned.imports.slice(0, MAX_IMPORTS_PER_FILE)) {
      // The interpreter's own library imports much inside functions, for what few programs call:
      // followed from the program's own files and from the modules they import themselves (gettext's
      // `import locale` inside install()), not deeper.
      if (imp.lazy && !report && !direct) continue;
      let name = imp.module;
      if (imp.level > 0) {
        // Relative to the package this file is in (a package's __init__ is in the package itself).
        const pkg = (isPackage ? module : module.split('.').slice(0, -1).join('.')).split('.').filter(Boolean);
        if (module === '__main__' || imp.level - 1 > pkg.length) continue;
        const base = pkg.slice(0, pkg.length - (imp.level - 1));
        name = [...base, ...(imp.module ? [imp.module] : [])].join('.');
      }
      const why = withOrigin({ kind: 'imported', from: file.path, line: imp.line, name }, reason.origin);
      const top = name.split('.')[0] as string;
      const found = name === '' ? undefined : findPythonModule(host, name, path);
      if (found) add(found, name, why, report);
      else if (name !== '' && report && !PYTHON_BUILTINS.has(top) && !PYTHON_BUILTINS.has(name)) {
        gate.missing(file.path, `${printable(file.path)}:${imp.line}: imports ${printable(name)}, which is not on the module path in the root (${describePath(path)})`);
      }
      // `from package import name`: each name may be a submodule.
      for (const sub of imp.names ?? []) {
        if (sub === '*' || !(found?.packageDir || name === '')) continue;
        const full = name === '' ? sub : `${name}.${sub}`;
        const m = findPythonModule(host, full, path);
        if (m?.file) add({ ...m, inits: [] }, full, { ...why, name: full }, report);
      }
    }
    if (report) reportDynamic(host, file.path, scanned.dynamic, 'imports');
  }
  gate.finish();
}

/** Literal folders one file may add to the module path (`use lib`, `sys.path.insert`); more are ignored. */
const MAX_ADDED_FOLDERS = 32;
/** Imports read from one file; a file listing more is cut there, with a warning. */
const MAX_IMPORTS_PER_FILE = 5000;
/** MODULE_MISSING warnings per program; the rest are counted in one last warning. */
const MAX_MISSING_WARNINGS = 50;

/**
 * What module following may bring into a jail, decided before anything is read: a module file found
 * by the analysis of a script someone else wrote (the owner of an application's folder) must not pull
 * in what that person could not give away. Refused, with a warning: files below /proc, /sys and /dev;
 * files the host keeps from others (never parsed: their names and contents stay out of messages); and,
 * outside the interpreter's own module folders, files owned by neither root nor the script's owner
 * (another tenant's `config.php` reached through a link or `use lib`).
 */
/** The most data files one Python or Perl file brings by naming them. */
const MAX_NAMED = 32;

/**
 * The data files under /usr a script or its own modules name by their absolute path
 * (`'/usr/share/python3/debian_defaults'`), where the root has them as regular files: they are what
 * such a file opens (py3compile reads its defaults there). Folders are not brought, nor files the
 * gate refuses (kept from others, another account's); at most MAX_NAMED per file.
 */
function addNamedFiles(host: ModuleHost, gate: ModuleGate, file: Lookup, named: Array<{ line: number; path: string }>, reason: Reason): void {
  let added = 0;
  for (const { line, path } of named) {
    if (added >= MAX_NAMED) break;
    const at = host.lookup(path);
    if (at?.kind !== 'file' || !gate.admits(at, file.path)) continue;
    added++;
    host.addFile(at, withOrigin({ kind: 'named-by', from: file.path, line }, reason.origin));
  }
}

export class ModuleGate {
  readonly #host: ModuleHost;
  readonly #script: string;
  readonly #scriptOwner: number | undefined;
  readonly #isOwn: (path: string) => boolean;
  readonly #warned = new Set<string>();
  #missing = 0;

  constructor(host: ModuleHost, script: Lookup, isOwn: (path: string) => boolean) {
    this.#host = host;
    this.#script = script.path;
    this.#scriptOwner = host.fs.lstat(script.path)?.uid;
    this.#isOwn = isOwn;
  }

  admits(at: Lookup, from: string): boolean {
    const path = at.path;
    if (/^\/(proc|sys|dev)(\/|$)/.test(path)) return this.#refuse(path, 'MODULE_REFUSED', `${from}: loads ${printable(path)}, below /proc, /sys or /dev: not a module; not brought`);
    if (this.#host.isPrivate(path)) return this.#refuse(path, 'PRIVATE_LEFT_OUT', `${from}: loads ${printable(path)}, which the host keeps from others: not read, not brought`);
    if (this.#isOwn(path)) return true;
    const owner = this.#host.fs.lstat(path)?.uid;
    if (owner === 0 || owner === this.#scriptOwner) return true;
    return this.#refuse(
      path,
      'MODULE_REFUSED',
      `${from}: loads ${printable(path)}, owned by uid ${String(owner)}, neither root nor the owner of ${printable(this.#script)} (uid ${String(this.#scriptOwner)}): another account's file is not brought into this jail; name it in the profile if it belongs there`,
    );
  }

  /** A MODULE_MISSING warning, up to MAX_MISSING_WARNINGS per program. */
  missing(path: string, message: string): void {
    if (++this.#missing <= MAX_MISSING_WARNINGS) this.#host.diagnostics.push({ code: 'MODULE_MISSING', severity: 'warning', path, message });
  }

  finish(): void {
    const more = this.#missing - MAX_MISSING_WARNINGS;
    if (more > 0) this.#host.diagnostics.push({ code: 'MODULE_MISSING', severity: 'warning', path: this.#script, message: `${printable(this.#script)}: ${more} more modules not found on the module path` });
  }

  #refuse(path: string, code: 'MODULE_REFUSED' | 'PRIVATE_LEFT_OUT', message: string): false {
    if (!this.#warned.has(path)) {
      this.#warned.add(path);
      this.#host.diagnostics.push({ code, severity: 'warning', path, message });
    }
    return false;
  }
}

/** A module path as a message shows it: the first folders and how many there are. */
function describePath(path: string[]): string {
  return `${path.length} folders: ${printable(path.slice(0, 6).join(', '), 400)}${path.length > 6 ? ', …' : ''}`;
}

/** Literal folders a file adds, kept only when they exist in the root, once each, at most MAX_ADDED_FOLDERS. */
function addedFolders(host: ModuleHost, dirs: string[], path: string[]): string[] {
  const out: string[] = [];
  for (const d of dirs) {
    if (out.length >= MAX_ADDED_FOLDERS) break;
    if (!path.includes(d) && !out.includes(d) && isDir(host, d)) out.push(d);
  }
  return out;
}

/** One MODULE_UNKNOWN warning per import whose module is named at run time, with file and line. */
export function reportDynamic(host: ModuleHost, file: string, dynamic: Array<{ line: number; text: string }>, verb: 'imports' | 'loads'): void {
  for (const d of dynamic) {
    host.diagnostics.push({ code: 'MODULE_UNKNOWN', severity: 'warning', path: file, message: `${file}:${d.line}: ${printable(d.text, 80)} ${verb} a module named at run time: add it to the profile if the jail needs it` });
  }
}

/** `# EASY-INSTALL-ENTRY-SCRIPT: 'Pygments==2.14.0','console_scripts','pygmentize'` (Debian's setuptools scripts). */
function entryPointOf(text: string): { dist: string; group: string; name: string } | undefined {
  const m = /^# EASY-INSTALL-ENTRY-SCRIPT: '([^'=]+)(?:==[^']*)?','([^']+)','([^']+)'/m.exec(text.slice(0, 4096));
  return m ? { dist: m[1] as string, group: m[2] as string, name: m[3] as string } : undefined;
}

/** A distribution name as setuptools compares it: case, `-`, `_` and `.` alike. */
const normalizeDist = (name: string): string => name.toLowerCase().replace(/[-_.]+/g, '_');

/** The files of a distribution's `.egg-info` or `.dist-info` folder on the module path, and its entry_points.txt. */
function distributionMetadata(host: ModuleHost, dist: string, path: string[]): { files: Lookup[]; entryPoints: string } | undefined {
  for (const dir of path) {
    for (const name of host.fs.readdir(dir) ?? []) {
      const m = /^(.+?)-[^-]*\.(?:egg-info|dist-info)$/.exec(name);
      if (!m || normalizeDist(m[1] as string) !== normalizeDist(dist)) continue;
      const folder = `${dir}/${name}`;
      const files: Lookup[] = [];
      let entryPoints = '';
      for (const f of host.fs.readdir(folder) ?? []) {
        const at = host.lookup(`${folder}/${f}`);
        if (at?.kind !== 'file' || host.isPrivate(at.path)) continue;
        files.push(at);
        if (f === 'entry_points.txt') entryPoints = readText(host, at) ?? '';
      }
      return { files, entryPoints };
    }
  }
  return undefined;
}

/** The module of `name = module:attr` in section `[group]` of an entry_points.txt. */
function entryPointModule(text: string, group: string, name: string): string | undefined {
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const head = /^\[(.+)\]$/.exec(line);
    if (head) section = (head[1] as string).trim();
    else if (section === group) {
      const m = /^([^=\s]+)\s*=\s*([A-Za-z_][\w.]*)/.exec(line);
      if (m && m[1] === name) return m[2];
    }
  }
  return undefined;
}

/** Where Perl looks for modules (`@INC`) as Debian builds it, from the folders the root has. */
export function perlModulePath(host: ModuleHost): { path: string[]; own: string[]; vendor: string[] } {
  const versions = (host.fs.readdir('/usr/share/perl') ?? []).filter((v) => /^\d+\.\d+$/.test(v));
  const full = (host.fs.readdir('/usr/share/perl') ?? []).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const triplets = (host.fs.readdir('/usr/lib') ?? []).filter((t) => /-linux-/.test(t) && isDir(host, `/usr/lib/${t}/perl-base`));
  const path: string[] = ['/etc/perl'];
  for (const t of triplets) for (const v of full) path.push(`/usr/local/lib/${t}/perl/${v}`);
  for (const v of full) path.push(`/usr/local/share/perl/${v}`);
  for (const t of triplets) for (const v of versions) path.push(`/usr/lib/${t}/perl5/${v}`);
  path.push('/usr/share/perl5');
  for (const t of triplets) path.push(`/usr/lib/${t}/perl-base`);
  for (const t of triplets) for (const v of versions) path.push(`/usr/lib/${t}/perl/${v}`);
  for (const v of versions) path.push(`/usr/share/perl/${v}`);
  path.push('/usr/local/lib/site_perl');
  const existing = path.filter((d) => isDir(host, d));
  return {
    path: existing,
    own: existing.filter((d) => !d.startsWith('/usr/local/') && d !== '/etc/perl'),
    vendor: existing.filter((d) => d === '/usr/share/perl5' || /^\/usr\/lib\/[^/]+\/perl5\//.test(d)),
  };
}

/**
 * Modules a core module loads by a name it computes, where the computed name is known on Linux:
 * File::Spec does `require "File/Spec/$module.pm"` with `$module = $module{$^O} || 'Unix'`.
 */
const PERL_IMPLIED: Record<string, string[]> = {
  'File::Spec': ['File::Spec::Unix'],
  // Pod::Usage: `$Pod::Usage::Formatter ||= 'Pod::Text'; eval "require $Pod::Usage::Formatter"`.
  'Pod::Usage': ['Pod::Text'],
  // ExtUtils::MM: `eval "require ExtUtils::MM_$OS"`, $OS being Unix on Linux.
  'ExtUtils::MM': ['ExtUtils::MM_Unix'],
};

/** The most modules one `require Folder::$name` brings. */
const MAX_FAMILY = 64;

/** The module names (`Debian` for Dpkg/Vendor/Debian.pm) in `folder` on the search path, first folder wins, sorted. */
function familyMembers(host: ModuleHost, path: string[], folder: string): string[] {
  const names = new Set<string>();
  for (const dir of path) {
    const at = host.lookup(joinInside(dir, folder));
    if (at?.kind !== 'directory' || host.isPrivate(at.path)) continue;
    for (const f of host.fs.readdir(at.path) ?? []) {
      const m = /^([A-Za-z_]\w*)\.pm$/.exec(f);
      if (m) names.add(m[1] as string);
      if (names.size >= MAX_FAMILY) break;
    }
  }
  return [...names].sort();
}

/**
 * Follows a Perl script's `use` and `require`, recursively, on the root's @INC (and the script's
 * literal `use lib` folders): every module file goes in the jail, with its compiled part
 * (`auto/Module/Name/Name.so`, resolved as an ELF file) when it loads one, and its `auto/` folder when
 * it uses AutoLoader; every module of a folder a `require Folder::$name` names. A module found nowhere, or required by a computed name, is a warning naming the
 * file and line, for the script and its own modules only.
 */
export function followPerlUses(host: ModuleHost, script: Lookup, reason: Reason): void {
  const inc = perlModulePath(host);
  const isOwn = ownFolders(host, inc.own);
  const isVendor = ownFolders(host, inc.vendor);
  const gate = new ModuleGate(host, script, isOwn);
  const done = new Set<string>([script.path]);
  const queue: Array<{ file: Lookup; module?: string }> = [{ file: script }];
  let path = inc.path;
  const findFile = (relative: string): Lookup | undefined => {
    for (const dir of path) {
      const at = host.lookup(joinInside(dir, relative));
      if (at?.kind === 'file') return at;
    }
    return undefined;
  };
  while (queue.length > 0) {
    if (done.size > MAX_MODULES) break;
    const { file, module } = queue.shift() as { file: Lookup; module?: string };
    const text = readText(host, file);
    if (text === null) continue;
    const base = cachedScan(host, `pl\0${file.path}`, () => scanPerlUses(text));
    const scanned = { ...base, uses: [...base.uses], dynamic: [...base.dynamic] };
    for (const implied of module !== undefined ? (PERL_IMPLIED[module] ?? []) : []) scanned.uses.push({ module: implied, line: 1 });
    const report = !isOwn(file.path);
    if (file === script && scanned.libs.length > 0) path = [...addedFolders(host, scanned.libs, path), ...path];
    if (module !== undefined && (scanned.xs || scanned.autoload)) {
      const auto = `auto/${module.split('::').join('/')}`;
      const last = module.split('::').pop() as string;
      for (const dir of path) {
        if (!isDir(host, joinInside(dir, auto))) continue;
        const why = withOrigin({ kind: 'imported', from: file.path, name: module }, reason.origin);
        // A folder the host keeps from others is not listed: its names stay out of messages too.
        const autoDir = host.lookup(joinInside(dir, auto));
        if (autoDir && host.isPrivate(autoDir.path)) break;
        for (const f of host.fs.readdir(joinInside(dir, auto)) ?? []) {
          const at = host.lookup(joinInside(dir, `${auto}/${f}`));
          if (at?.kind !== 'file' || !gate.admits(at, file.path)) continue;
          if (f === `${last}.so`) host.addProgram(at, why);
          else if (scanned.autoload || f.endsWith('.bs')) host.addFile(at, why);
        }
        break;
      }
    }
    // A module named at run time inside a folder written out: every module of that folder, where the
    // name is not already known (File::Spec's).
    if (module === undefined || PERL_IMPLIED[module] === undefined)
      for (const family of scanned.families) {
        const members = familyMembers(host, path, family.folder);
        if (members.length === 0) scanned.dynamic.push(family);
        for (const name of members) scanned.uses.push({ module: `${family.folder.split('/').join('::')}::${name}`, line: family.line });
      }
    for (const use of scanned.uses) {
      const relative = use.file ? use.module : perlModuleFile(use.module);
      if (relative.startsWith('/')) continue;
      if (relative.split('/').includes('..')) {
        if (report)
          host.diagnostics.push({ code: 'MODULE_REFUSED', severity: 'warning', path: file.path, message: `${printable(file.path)}:${use.line}: require of ${printable(relative)}, which climbs out of @INC with ..: not followed` });
        continue;
      }
      const found = findFile(relative);
      const why = withOrigin({ kind: 'imported', from: file.path, line: use.line, name: use.module }, reason.origin);
      if (!found) {
        if (report) gate.missing(file.path, `${printable(file.path)}:${use.line}: loads ${printable(use.module)}, which is not in @INC in the root (${describePath(path)})`);
        continue;
      }
      if (done.has(found.path)) continue;
      done.add(found.path);
      if (!gate.admits(found, file.path)) continue;
      host.addFile(found, why);
      queue.push({ file: found, ...(use.file ? {} : { module: use.module }) });
    }
    if (report) addNamedFiles(host, gate, file, scanned.named, reason);
    // diagnostics.pm and splain read perl's explanations of its messages from pod/perldiag.pod on @INC.
    if (scanned.perldiag) {
      const pod = findFile('pod/perldiag.pod');
      if (pod && !done.has(pod.path) && gate.admits(pod, file.path)) {
        done.add(pod.path);
        host.addFile(pod, withOrigin({ kind: 'imported', from: file.path, name: 'pod/perldiag.pod' }, reason.origin));
      }
    }
    // The programs the script and its own modules run, and those the packages' modules it loads run
    // (Dpkg::Arch's `qx(dpkg --print-architecture)`); perl's core library runs many, each only where it
    // exists, so its commands are not followed, and a packaged module's missing command is no warning.
    const vendor = !report && isVendor(file.path);
    if ((report || vendor) && host.runCommand)
      for (const c of scanned.commands) {
        const why = withOrigin({ kind: 'run-by', from: file.path, line: c.line }, reason.origin);
        if (!host.runCommand(c.name, file.path, c.line, why) && report)
          host.diagnostics.push({ code: 'SCRIPT_UNKNOWN', severity: 'warning', path: file.path, message: `${printable(file.path)}:${c.line}: runs ${printable(c.name)}, which is not in the root` });
      }
    if (report) reportDynamic(host, file.path, scanned.dynamic, 'loads');
  }
  gate.finish();
}
