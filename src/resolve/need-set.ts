import type { Lookup, SourceRoot } from '../rootfs/source-root.js';
import { sortBytewise } from '../rootfs/source-root.js';
import { type Reason, withOrigin } from '../model/reason.js';

/** Something that must exist in a jail: a file (copied) or a symbolic link (recreated as a link). */
export interface Need {
  path: string;
  kind: 'file' | 'symlink';
  /** For links: the target exactly as written. */
  target?: string;
  /** For links: what the link leads to in the end, so a jail can tell directory links apart. */
  linkTo?: 'file' | 'directory' | 'other' | 'missing';
  /** Why it is needed: the first reason found. */
  reason: Reason;
  /** What it is to the program: the program itself or one it runs, a shared library, a link, a data file. */
  role: 'program' | 'library' | 'link' | 'data';
}

/** The needs of one input, deduplicated by path, keeping the first reason; listed in bytewise order. */
export class NeedSet {
  readonly #fs: SourceRoot;
  readonly #byPath = new Map<string, Need>();

  constructor(fs: SourceRoot) {
    this.#fs = fs;
  }

  has(path: string): boolean {
    return this.#byPath.has(path);
  }

  addFile(path: string, reason: Reason, role: Need['role'] = 'program'): void {
    if (!this.#byPath.has(path)) this.#byPath.set(path, { path, kind: 'file', reason, role });
  }

  /** Adds every link met by a lookup, and its final path when that is a file. */
  addLookup(found: Lookup, reason: Reason, role: Need['role'] = 'program'): void {
    for (const hop of found.links) {
      if (this.#byPath.has(hop.path)) continue;
      const end = this.#fs.lookup(hop.path);
      const linkTo = end.kind === 'missing' ? 'missing' : end.kind === 'directory' ? 'directory' : end.kind === 'file' ? 'file' : 'other';
      this.#byPath.set(hop.path, { path: hop.path, kind: 'symlink', target: hop.target, linkTo, reason: withOrigin({ kind: 'link-on-way', from: found.requested }, reason.origin), role: 'link' });
    }
    if (found.kind === 'file') this.addFile(found.path, reason, role);
  }

  /** Adds needs found elsewhere (another closure), keeping reasons already recorded. */
  merge(needs: Iterable<Need>): void {
    for (const n of needs) if (!this.#byPath.has(n.path)) this.#byPath.set(n.path, n);
  }

  /** The needs, sorted bytewise by path (or in the order they were added, for a caller that sorts them itself). */
  list(order: 'sorted' | 'unsorted' = 'sorted'): Need[] {
    const all = [...this.#byPath.values()];
    return order === 'sorted' ? sortBytewise(all, (n) => n.path) : all;
  }
}
