import type { SourceRoot } from '../rootfs/source-root.js';
import { readDpkgStatus, visitDpkgLists } from './dpkg-database.js';

/**
 * Which installed package owns each path of a root, read once from its package database (Debian's
 * /var/lib/dpkg: status and info/*.list). Paths are real paths in the root: dpkg lists them as the
 * package shipped them (/bin/dash, with merged /usr the file is /usr/bin/dash), so each listed folder
 * is taken through the root's links first. Shaped for other databases (apk's lib/apk/db/installed, an
 * RPM database) to fill the same index.
 */
export class PackageIndex {
  readonly #owners: Map<string, string[]>;
  /** Each package's source package (its own name when it has none of its own). */
  readonly #source: Map<string, string>;
  /** Every listed path, sorted bytewise: what lies below a folder is a contiguous range. */
  readonly #sorted: string[];

  private constructor(owners: Map<string, string[]>, source: Map<string, string>) {
    this.#owners = owners;
    this.#source = source;
    // Any lexicographic order keeps what lies below a folder contiguous; JavaScript's own (by UTF-16
    // unit) is the fast one, and the searches below use the same.
    this.#sorted = [...owners.keys()].sort();
  }

  /** The index of a root's dpkg database; empty when the root has none. */
  static ofDpkg(fs: SourceRoot): PackageIndex {
    const installed = readDpkgStatus(fs);
    const owners = new Map<string, string[]>();
    const source = new Map<string, string>();
    for (const pkg of installed.values()) source.set(pkg.name, pkg.source ?? pkg.name);
    visitDpkgLists(fs, installed, (path, pkg) => {
      const list = owners.get(path) ?? [];
      if (!list.includes(pkg.name)) list.push(pkg.name);
      owners.set(path, list);
    });
    return new PackageIndex(owners, source);
  }

  /** Every installed package's name, sorted. */
  packageNames(): string[] {
    return [...this.#source.keys()].sort();
  }

  /** The real paths a package lists (folders included), sorted; empty for a package not installed. */
  pathsOf(pkg: string): string[] {
    if (this.#byPackage === undefined) {
      const by = new Map<string, string[]>();
      for (const path of this.#sorted)
        for (const o of this.#owners.get(path) ?? []) {
          let list = by.get(o);
          if (!list) by.set(o, (list = []));
          list.push(path);
        }
      this.#byPackage = by;
    }
    return this.#byPackage.get(pkg) ?? [];
  }

  #byPackage: Map<string, string[]> | undefined;

  /** The packages that list this path (a file or a folder), empty when none does. */
  ownersOf(realPath: string): string[] {
    return this.#owners.get(realPath) ?? [];
  }

  /** The packages built from the same source packages as these (libpython3.11-minimal and -stdlib: python3.11). */
  sameSource(packages: Iterable<string>): Set<string> {
    const sources = new Set([...packages].map((p) => this.#source.get(p) ?? p));
    const out = new Set<string>();
    for (const [pkg, src] of this.#source) if (sources.has(src)) out.add(pkg);
    for (const p of packages) out.add(p);
    return out;
  }

  /** How many source packages these packages come from. */
  sourceCount(packages: Iterable<string>): number {
    return new Set([...packages].map((p) => this.#source.get(p) ?? p)).size;
  }

  /** The packages that list anything below this folder. */
  ownersBelow(dir: string): Set<string> {
    const out = new Set<string>();
    for (const p of this.#below(dir)) for (const o of this.#owners.get(p) ?? []) out.add(o);
    return out;
  }

  /** How many paths the database lists below this folder, and how many of them one of `packages` lists. */
  countBelow(dir: string, packages: Set<string>): { total: number; owned: number } {
    let total = 0;
    let owned = 0;
    for (const p of this.#below(dir)) {
      total++;
      if ((this.#owners.get(p) ?? []).some((o) => packages.has(o))) owned++;
    }
    return { total, owned };
  }

  /** The paths the database lists below a folder, in order. */
  listedBelow(dir: string): Generator<string> {
    return this.#below(dir);
  }

  *#below(dir: string): Generator<string> {
    const prefix = dir === '/' ? '/' : `${dir}/`;
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.#sorted[mid] as string) < prefix) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#sorted.length; i++) {
      const p = this.#sorted[i] as string;
      if (!p.startsWith(prefix)) return;
      yield p;
    }
  }

  get size(): number {
    return this.#sorted.length;
  }
}
