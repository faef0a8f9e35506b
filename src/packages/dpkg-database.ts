import { JailError } from '../errors.js';
import { basenameInside, dirnameInside, joinInside } from '../rootfs/inside-path.js';
import type { SourceRoot } from '../rootfs/source-root.js';

export interface DebPackage {
  name: string;
  version: string;
  architecture: string;
  /** The source package, when it differs from the binary package's name. */
  source?: string;
}

/** The installed packages of a root's /var/lib/dpkg/status, by `name` and by `name:arch`. */
export function readDpkgStatus(fs: SourceRoot): Map<string, DebPackage> {
  const text = fs.readText('/var/lib/dpkg/status');
  const out = new Map<string, DebPackage>();
  if (text === null) return out;
  for (const para of text.split(/\n\s*\n/)) {
    const field = (name: string): string | undefined => new RegExp(`^${name}:[ \\t]*(.*)$`, 'mi').exec(para)?.[1]?.trim();
    const name = field('Package');
    const version = field('Version');
    if (!name || !version || !/\binstalled$/.test(field('Status') ?? '')) continue;
    const pkg: DebPackage = { name, version, architecture: field('Architecture') ?? 'all' };
    const source = field('Source')?.split(' ')[0];
    if (source && source !== name) pkg.source = source;
    out.set(`${name}:${pkg.architecture}`, pkg);
    if (!out.has(name)) out.set(name, pkg);
  }
  return out;
}

/** The largest package list read (the largest on the machine this was written on, google-cloud-cli's, is 4 MB). */
const MAX_LIST_BYTES = 32 * 1024 * 1024;
/** All package lists together, at most (8 MB on that machine, with TeX, Java and the cloud SDK). */
const MAX_LISTS_BYTES = 256 * 1024 * 1024;

/**
 * Every path of every installed package's /var/lib/dpkg/info/*.list, as a real path in the root:
 * dpkg records paths as the package shipped them (with merged /usr it lists /bin/dash while the file is
 * /usr/bin/dash), so each listed folder is taken through the root's links (the last component is not: a
 * package that ships a link owns the link). A list the size of no real package's, or lists past the
 * total, are not read: whoever wrote the root's database cannot make the build read gigabytes.
 */
export function visitDpkgLists(fs: SourceRoot, installed: Map<string, DebPackage>, visit: (path: string, pkg: DebPackage) => void): void {
  const realDirs = new Map<string, string>();
  const realDir = (dir: string): string => {
    let real = realDirs.get(dir);
    if (real === undefined) {
      try {
        const found = fs.lookup(dir);
        real = found.kind === 'directory' ? found.path : dir;
      } catch (err) {
        if (!(err instanceof JailError)) throw err;
        real = dir;
      }
      realDirs.set(dir, real);
    }
    return real;
  };
  let budget = MAX_LISTS_BYTES;
  for (const name of fs.readdir('/var/lib/dpkg/info') ?? []) {
    if (!name.endsWith('.list')) continue;
    const pkg = installed.get(name.slice(0, -'.list'.length));
    if (!pkg) continue;
    const size = fs.lstat(`/var/lib/dpkg/info/${name}`)?.size ?? 0;
    if (size > MAX_LIST_BYTES || size > budget) continue;
    budget -= size;
    for (const line of (fs.readText(`/var/lib/dpkg/info/${name}`) ?? '').split('\n')) {
      if (!line.startsWith('/') || line === '/.') continue;
      // dpkg writes clean absolute paths; anything else is taken apart the careful way.
      const clean = !line.includes('//') && !line.endsWith('/') && !/\/\.\.?(\/|$)/.test(line);
      const listed = clean ? line : joinInside('/', line);
      const cut = listed.lastIndexOf('/');
      const dir = clean ? listed.slice(0, cut) || '/' : dirnameInside(listed);
      const base = clean ? listed.slice(cut + 1) : basenameInside(listed);
      const real = realDir(dir);
      visit(real === '/' ? `/${base}` : `${real}/${base}`, pkg);
    }
  }
}

/** Which packages own `wanted` paths (real paths in the root), from the root's dpkg lists. */
export function dpkgOwners(fs: SourceRoot, wanted: Set<string>, packages: Map<string, DebPackage>): Map<string, DebPackage[]> {
  const owners = new Map<string, DebPackage[]>();
  visitDpkgLists(fs, packages, (path, pkg) => {
    if (!wanted.has(path)) return;
    const list = owners.get(path) ?? [];
    if (!list.includes(pkg)) list.push(pkg);
    owners.set(path, list);
  });
  return owners;
}

/** ID and VERSION_ID of the root's os-release, for package URLs (`pkg:deb/debian/...&distro=debian-12`). */
export function readOsRelease(fs: SourceRoot): { id: string; versionId?: string } {
  const text = fs.readText('/etc/os-release') ?? fs.readText('/usr/lib/os-release') ?? '';
  const value = (key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1]?.replace(/^["']|["']$/g, '');
  const id = value('ID') ?? 'debian';
  const versionId = value('VERSION_ID');
  return versionId ? { id, versionId } : { id };
}
