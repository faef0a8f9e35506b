import { JailError } from '../errors.js';
import { describeProfileLine } from '../model/reason.js';
import { PackageIndex } from '../packages/package-index.js';
import type { Located, PackageSpec } from '../profile/profile-types.js';
import type { PlanContext } from './plan-context.js';
import { keptFromOthers } from './secret-gate.js';

/**
 * What a package ships for people rather than programs: documentation, manual and info pages, the
 * translations of its messages, its lintian and bug-report notes. Left out unless `"docs": true`.
 */
const DOCS = /^\/usr\/share\/(doc|doc-base|man|info|locale|lintian|bug|help)(\/|$)/;

/** A shared object by its name (`libfoo.so`, `libfoo.so.6.1`, `_ssl.cpython-311-x86_64-linux-gnu.so`). */
const SHARED_OBJECT = /\.so(\.[0-9]+)*$/;

/**
 * Whether `name` matches `pattern`, where `*` is any run of characters and the rest is literal. Greedy
 * with one backtrack point (the last `*`), so linear in practice whatever the number of stars: a
 * RegExp of `.*` runs backtracks exponentially on a pattern such as `**********q`.
 */
export function wildcardMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (star >= 0) {
      p = star + 1;
      n = ++mark;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** The installed packages a spec names: itself, or those its `*` pattern matches. */
export function packagesNamed(spec: PackageSpec, index: PackageIndex): string[] {
  const installed = index.packageNames();
  if (!spec.name.includes('*')) return installed.includes(spec.name) ? [spec.name] : [];
  return installed.filter((n) => wildcardMatch(spec.name, n));
}

/**
 * Places the profile's `packages`: every file, link and folder the root's package database lists
 * for them (documentation, manuals and translations left out unless asked), links kept as links;
 * every program, script and shared object among them is resolved like a binary, so what they load
 * and run comes too. A library the package itself ships counts as found for its other files (libjvm.so
 * is loaded before the libraries that name it).
 */
export function placePackages(ctx: PlanContext): void {
  if (ctx.profile.packages.length === 0) return;
  let index: PackageIndex;
  try {
    index = PackageIndex.ofDpkg(ctx.fs);
  } catch (err) {
    if (!(err instanceof JailError)) throw err;
    for (const spec of ctx.profile.packages) ctx.fail(spec.origin, `the package database of ${ctx.fs.root} cannot be read: ${err.message}`);
    return;
  }
  for (const spec of ctx.profile.packages) {
    const names = packagesNamed(spec, index);
    if (names.length === 0) {
      if (!spec.optional) ctx.fail(spec.origin, `package ${spec.name}: not installed in the root ${ctx.fs.root} (per its dpkg database)`);
      continue;
    }
    for (const name of names) placePackage(ctx, spec, name, index.pathsOf(name));
  }
}

/** Places one installed package's files for `spec` (see placePackages). */
export function placePackage(ctx: PlanContext, spec: Located<PackageSpec>, name: string, paths: string[]): void {
  const { fs, builder } = ctx;
  const extra = ctx.overrides(spec, spec.origin);
  const reason = (src: string): ReturnType<PlanContext['asked']> => ({ ...ctx.asked(spec.origin, src, spec.because), name });
  const toResolve: string[] = [];
  for (const path of paths) {
    if (!spec.docs && DOCS.test(path)) continue;
    const st = fs.lstat(path);
    if (!st) continue; // listed, but removed since (a conffile the admin deleted)
    if (st.isSymbolicLink()) builder.add({ path, kind: 'symlink', mode: 0o777, target: fs.readlink(path), reason: reason(path) });
    else if (st.isDirectory()) builder.add({ path, kind: 'directory', mode: st.mode & 0o7777, reason: reason(path) });
    else if (st.isFile()) {
      const placed = ctx.placeSource(path, path, reason(path), extra, (privacy) => {
        ctx.diagnostics.push({ code: 'PRIVATE_LEFT_OUT', severity: 'warning', path, message: `${path}: left out (${describeProfileLine(spec.origin)}, package ${name}): ${keptFromOthers(privacy)}` });
      });
      if (placed && ((st.mode & 0o111) !== 0 || SHARED_OBJECT.test(path))) toResolve.push(path);
    }
  }
  // The sonames the package ships: found, whatever the static search says.
  const own = new Set<string>();
  for (const path of toResolve) {
    const info = ctx.resolver.elf.elfAt(path);
    if (!(info instanceof Error)) {
      own.add(path.slice(path.lastIndexOf('/') + 1));
      if (info.soname) own.add(info.soname);
    }
  }
  for (const path of toResolve) {
    const closure = ctx.resolver.closure(fs.lookup(path), reason(path));
    for (const need of closure.needs.list()) if (need.path !== path) ctx.placeNeed(need, spec.origin);
    for (const m of closure.missing) {
      if (own.has(m.name)) continue;
      ctx.diagnostics.push({ code: 'TREE_MISSING', severity: 'warning', path, message: `${path}: ${m.name} (needed by ${m.neededBy}) is not in the root (${describeProfileLine(spec.origin)}, package ${name})` });
    }
  }
}
