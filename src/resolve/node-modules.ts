/**
 * Follows a Node.js script's `require` and `import`, recursively, as Node resolves them in the root
 * (CommonJS's algorithm, with package.json `exports` for the `node`, `require`, `import` and `default`
 * conditions): every module file goes in the jail with the package.json files read on the way, a
 * `.node` addon is resolved as an ELF file, `.json` files come as data. Node's built-in modules
 * (`fs`, `node:path`) are no file. A module found nowhere, or named at run time, is a warning naming
 * the file and line, for the script and the files outside `node_modules` only.
 */
import { builtinModules } from 'node:module';
import { printable } from '../errors.js';
import { type Reason, withOrigin } from '../model/reason.js';
import { dirnameInside, joinInside } from '../rootfs/inside-path.js';
import type { Lookup } from '../rootfs/source-root.js';
import { scanJsRequires } from '../script/js-requires.js';
import { type ModuleHost, ModuleGate, readText, reportDynamic } from './interpreter-modules.js';

/** Modules followed from one script, at most. */
const MAX_MODULES = 20000;
/** The most files one `require(`./dir/${x}.js`)` brings. */
const MAX_FAMILY = 256;
const BUILTIN = new Set(builtinModules);
const EXTENSIONS = ['', '.js', '.json', '.node', '.cjs', '.mjs'];
const CONDITIONS = ['node', 'require', 'import', 'default'];

/** A module found, the package.json files read on the way, and the files other conditions name (`also`). */
type Found = { file: Lookup; packageJsons: Lookup[]; also?: Lookup[] };

/** The folders Node searches for a bare name after the node_modules folders above the file: `$PREFIX/lib/node` and Debian's. */
export function nodeGlobalFolders(host: ModuleHost, realNode: string): string[] {
  const prefix = dirnameInside(dirnameInside(realNode));
  return [joinInside(prefix, 'lib/node'), '/usr/share/nodejs', '/usr/lib/nodejs'].filter((d) => host.lookup(d)?.kind === 'directory');
}

function fileAt(host: ModuleHost, path: string): Lookup | undefined {
  const at = host.lookup(path);
  return at?.kind === 'file' ? at : undefined;
}

type PackageJson = { at: Lookup; json: Record<string, unknown> };

/** package.json files read so far, per walk (a package's is consulted at every require of it). */
const packageJsons = new WeakMap<ModuleHost, Map<string, PackageJson | undefined>>();

function packageJson(host: ModuleHost, dir: string): PackageJson | undefined {
  let read = packageJsons.get(host);
  if (!read) packageJsons.set(host, (read = new Map()));
  if (read.has(dir)) return read.get(dir);
  const pkg = readPackageJson(host, dir);
  read.set(dir, pkg);
  return pkg;
}

function readPackageJson(host: ModuleHost, dir: string): PackageJson | undefined {
  const at = fileAt(host, joinInside(dir, 'package.json'));
  if (!at) return undefined;
  const text = readText(host, at);
  if (text === null) return undefined;
  try {
    const json: unknown = JSON.parse(text);
    return json !== null && typeof json === 'object' && !Array.isArray(json) ? { at, json: json as Record<string, unknown> } : undefined;
  } catch {
    return undefined;
  }
}

/** The package.json that decides whether a .js file is CommonJS or an ES module: the nearest one above it, not past a node_modules folder. */
function packageScope(host: ModuleHost, file: string): Lookup | undefined {
  for (let d = dirnameInside(file); ; d = dirnameInside(d)) {
    if (d.endsWith('/node_modules')) return undefined;
    const at = fileAt(host, joinInside(d, 'package.json'));
    if (at) return at;
    if (d === '/') return undefined;
  }
}

/** LOAD_AS_FILE, then LOAD_AS_DIRECTORY (package.json `main`, then `index`). */
function loadPath(host: ModuleHost, base: string, packageJsons: Lookup[] = []): Found | undefined {
  for (const ext of EXTENSIONS) {
    const at = ext === '' && base.endsWith('/') ? undefined : fileAt(host, `${base}${ext}`);
    if (at) return { file: at, packageJsons };
  }
  if (host.lookup(base)?.kind !== 'directory') return undefined;
  const pkg = packageJson(host, base);
  const seen = pkg ? [...packageJsons, pkg.at] : packageJsons;
  if (pkg && typeof pkg.json.main === 'string' && pkg.json.main !== '') {
    const main = joinInside(base, pkg.json.main);
    for (const ext of EXTENSIONS) {
      const at = fileAt(host, `${main}${ext}`);
      if (at) return { file: at, packageJsons: seen };
    }
    for (const index of ['index.js', 'index.json', 'index.node']) {
      const at = fileAt(host, joinInside(main, index));
      if (at) return { file: at, packageJsons: seen };
    }
  }
  for (const index of ['index.js', 'index.json', 'index.node']) {
    const at = fileAt(host, joinInside(base, index));
    if (at) return { file: at, packageJsons: seen };
  }
  return undefined;
}

/**
 * The targets of a package.json `exports` (or `imports`) value for the conditions Node may use here:
 * `require` and `import` can name different files (a package's CommonJS and ES builds), so each
 * condition's target is kept, in CONDITIONS order; of an array, the first that gives any.
 */
function exportTargets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) {
    for (const v of value) {
      const t = exportTargets(v);
      if (t.length > 0) return t;
    }
    return [];
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return [...new Set(CONDITIONS.filter((c) => c in obj).flatMap((c) => exportTargets(obj[c])))];
  }
  return [];
}

/**
 * The files `subpath` (`.` or `./x`) of a package resolves to through its `exports`, with `*` patterns;
 * also a `#name` through its `imports` (`prefix` `#`).
 */
function throughExports(exports: unknown, subpath: string, prefix = '.'): string[] {
  const map = exports !== null && typeof exports === 'object' && !Array.isArray(exports) ? (exports as Record<string, unknown>) : undefined;
  const keyed = map !== undefined && Object.keys(map).some((k) => k.startsWith(prefix));
  if (!keyed) return subpath === '.' ? exportTargets(exports) : [];
  if (subpath in (map as object)) return exportTargets(map[subpath]);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [head, tail] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(head) && subpath.endsWith(tail) && subpath.length >= key.length - 1) {
      const part = subpath.slice(head.length, subpath.length - tail.length);
      return exportTargets(value).map((t) => t.split('*').join(part));
    }
  }
  return [];
}

/** The first of `targets` (relative to `dir`) the root has, with the others it has as `also`. */
function firstFound(host: ModuleHost, dir: string, targets: string[], packageJsons: Lookup[]): Found | undefined {
  const files = targets.map((t) => fileAt(host, joinInside(dir, t))).filter((f): f is Lookup => f !== undefined);
  const [first, ...also] = files;
  return first ? { file: first, packageJsons, also } : undefined;
}

/** A bare request (`semver`, `@npmcli/config/lib/x`) from `dir`: node_modules folders upwards, then the global ones. */
function loadPackage(host: ModuleHost, request: string, dir: string, globals: string[]): Found | undefined {
  const parts = request.split('/');
  const nameLength = request.startsWith('@') ? 2 : 1;
  const name = parts.slice(0, nameLength).join('/');
  const rest = parts.slice(nameLength).join('/');
  const folders: string[] = [];
  for (let d = dir; ; d = dirnameInside(d)) {
    if (!d.endsWith('/node_modules')) folders.push(joinInside(d, 'node_modules'));
    if (d === '/') break;
  }
  for (const base of [...folders, ...globals]) {
    const pkgDir = joinInside(base, name);
    if (host.lookup(pkgDir)?.kind !== 'directory') continue;
    const pkg = packageJson(host, pkgDir);
    const seen = pkg ? [pkg.at] : [];
    if (pkg && pkg.json.exports !== undefined) {
      const found = firstFound(host, pkgDir, throughExports(pkg.json.exports, rest === '' ? '.' : `./${rest}`), seen);
      if (found) return found;
    }
    const found = loadPath(host, rest === '' ? pkgDir : joinInside(pkgDir, rest), seen);
    if (found) return found;
  }
  return undefined;
}

/** Resolves one request from the file `from`; undefined when Node would not find it (built-ins are `builtin`). */
function resolveRequest(host: ModuleHost, request: string, from: string, globals: string[]): Found | 'builtin' | undefined {
  if (request.startsWith('node:') || BUILTIN.has(request)) return 'builtin';
  const dir = dirnameInside(from);
  if (request.startsWith('./') || request.startsWith('../') || request === '.' || request === '..') return loadPath(host, joinInside(dir, request));
  if (request.startsWith('/')) return loadPath(host, request);
  if (request.startsWith('#')) {
    // A subpath import: the "imports" of the package the file belongs to (chalk's '#supports-color').
    const scope = packageScope(host, from);
    const pkg = scope ? packageJson(host, dirnameInside(scope.path)) : undefined;
    if (!pkg) return undefined;
    const targets = throughExports(pkg.json.imports, request, '#');
    const local = firstFound(
      host,
      dirnameInside(pkg.at.path),
      targets.filter((t) => t.startsWith('./')),
      [pkg.at],
    );
    if (local) return local;
    const bare = targets.find((t) => !t.startsWith('./'));
    const found = bare !== undefined ? loadPackage(host, bare, dirnameInside(pkg.at.path), globals) : undefined;
    return found ? { ...found, packageJsons: [pkg.at, ...found.packageJsons] } : undefined;
  }
  return loadPackage(host, request, dir, globals);
}

/** Follows a Node.js script's modules (see the module's comment). */
export function followNodeRequires(host: ModuleHost, script: Lookup, realNode: string, reason: Reason): void {
  const globals = nodeGlobalFolders(host, realNode);
  const isOwn = (file: string): boolean => globals.some((d) => file.startsWith(`${d}/`));
  const gate = new ModuleGate(host, script, isOwn);
  const done = new Set<string>([script.path]);
  const queue: Lookup[] = [script];
  const reported = (file: string): boolean => file === script.path || !file.includes('/node_modules/');
  const bring = (found: Found, why: Reason): void => {
    for (const other of found.also ?? []) bring({ file: other, packageJsons: [] }, why);
    for (const pkg of found.packageJsons) {
      if (done.has(pkg.path)) continue;
      done.add(pkg.path);
      if (gate.admits(pkg, why.from ?? script.path)) host.addFile(pkg, why);
    }
    const file = found.file;
    if (done.has(file.path)) return;
    done.add(file.path);
    if (!gate.admits(file, why.from ?? script.path)) return;
    if (file.path.endsWith('.node')) host.addProgram(file, why);
    else {
      host.addFile(file, why);
      if (file.path.endsWith('.json')) return;
      queue.push(file);
      // Node reads the nearest package.json above a .js file for its "type" (CommonJS or ES module).
      const scope = packageScope(host, file.path);
      if (scope && !done.has(scope.path)) {
        done.add(scope.path);
        if (gate.admits(scope, file.path)) host.addFile(scope, why);
      }
    }
  };
  while (queue.length > 0) {
    if (done.size > MAX_MODULES) {
      host.diagnostics.push({ code: 'MODULE_UNKNOWN', severity: 'warning', path: script.path, message: `${script.path}: more than ${MAX_MODULES} modules required; not followed further` });
      break;
    }
    const file = queue.shift() as Lookup;
    const text = readText(host, file);
    if (text === null) continue;
    const scanned = scanJsRequires(text);
    const report = reported(file.path);
    for (const r of scanned.requires) {
      const found = resolveRequest(host, r.request, file.path, globals);
      if (found === 'builtin') continue;
      const why = withOrigin({ kind: 'imported', from: file.path, line: r.line, name: r.request }, reason.origin);
      if (!found) {
        if (report) gate.missing(file.path, `${printable(file.path)}:${r.line}: requires ${printable(r.request)}, which Node does not find in the root`);
        continue;
      }
      bring(found, why);
    }
    for (const r of scanned.nearby) {
      const found = resolveRequest(host, r.request, file.path, globals);
      if (found !== undefined && found !== 'builtin') bring(found, withOrigin({ kind: 'imported', from: file.path, line: r.line, name: r.request }, reason.origin));
    }
    for (const family of scanned.families) {
      const folder = host.lookup(joinInside(dirnameInside(file.path), family.folder));
      if (folder?.kind !== 'directory' || host.isPrivate(folder.path)) {
        if (report) scanned.dynamic.push(family);
        continue;
      }
      const names = (host.fs.readdir(folder.path) ?? []).filter((f) => f.endsWith(family.suffix)).sort();
      for (const name of names.slice(0, MAX_FAMILY)) {
        const at = fileAt(host, joinInside(folder.path, name));
        if (at) bring({ file: at, packageJsons: [] }, withOrigin({ kind: 'imported', from: file.path, line: family.line, name: `${family.folder}/${name}` }, reason.origin));
      }
    }
    if (report) reportDynamic(host, file.path, scanned.dynamic, 'loads');
  }
  gate.finish();
}
