import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { resolve as resolveHostPath } from 'node:path';
import { JailError } from '../errors.js';
import { FileSource } from '../elf/byte-source.js';
import { collapseDots, joinInside, splitInside } from './inside-path.js';

/** Linux's own limit on links followed in one lookup (MAXSYMLINKS). */
export const MAX_LINKS = 40;

/** A symbolic link met while resolving a path: where it is (inside the root) and what it says. */
export interface LinkHop {
  path: string;
  target: string;
}

export type NodeKind = 'file' | 'directory' | 'symlink' | 'char' | 'block' | 'fifo' | 'socket';

/** The outcome of looking a path up inside the root. */
export interface Lookup {
  /** The path as asked, normalized. */
  requested: string;
  /** The final path with every link resolved (or, when missing, the path where the lookup stopped). */
  path: string;
  /** Every link met on the way, in the order met: file links and directory links. */
  links: LinkHop[];
  kind: NodeKind | 'missing';
  stats?: Stats;
}

/** What lstat found, as a node kind. */
export function nodeKindOf(st: Stats): NodeKind {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

/**
 * All access to a source root goes through here. Paths are absolute paths *inside* the root; links are
 * resolved one component at a time with absolute targets taken from the root and `..` never climbing
 * above it, so nothing outside the root is ever read. Results of lstat and readlink are kept (misses
 * included) for the life of the object: a source root is taken to be unchanging during one run.
 */
export class RootFs {
  /** Host path of the root directory, without a trailing slash ('' for `/`). */
  readonly #prefix: string;
  readonly root: string;
  readonly #stats = new Map<string, Stats | null>();
  readonly #links = new Map<string, string>();
  readonly #lookups = new Map<string, Lookup>();
  readonly #dirs = new Map<string, string[] | null>();

  constructor(root = '/') {
    this.root = resolveHostPath(root);
    this.#prefix = this.root === '/' ? '' : this.root;
  }

  /** The host path of a path inside the root. Only meaningful for paths that `lookup` returned. */
  hostPath(inside: string): string {
    return this.#prefix + collapseDots(inside);
  }

  /** lstat inside the root; null when nothing is there. */
  lstat(inside: string): Stats | null {
    // `..` is applied lexically here (callers pass paths without links); it can never climb out.
    const key = collapseDots(inside);
    let st = this.#stats.get(key);
    if (st === undefined) {
      try {
        st = lstatSync(this.#prefix + key);
      } catch (err) {
        if (!isMissingError(err)) throw err;
        st = null;
      }
      this.#stats.set(key, st);
    }
    return st;
  }

  readlink(inside: string): string {
    const key = collapseDots(inside);
    let target = this.#links.get(key);
    if (target === undefined) {
      target = readlinkSync(this.#prefix + key, 'utf8');
      this.#links.set(key, target);
    }
    return target;
  }

  /**
   * Resolves `path` inside the root, following every link (the last one too unless `followLast` is
   * false). Throws SYMLINK_LOOP past MAX_LINKS links; a missing component gives kind 'missing'.
   */
  lookup(path: string, followLast = true): Lookup {
    const requested = joinInside('/', path);
    const key = followLast ? requested : `${requested}\0nofollow`;
    const known = this.#lookups.get(key);
    if (known) return known;
    const result = this.#walk(requested, followLast);
    this.#lookups.set(key, result);
    return result;
  }

  #walk(requested: string, followLast: boolean): Lookup {
    const links: LinkHop[] = [];
    const done: string[] = [];
    const todo = splitInside(requested).reverse();
    let hops = 0;
    while (todo.length > 0) {
      const part = todo.pop() as string;
      if (part === '.' || part === '') continue;
      if (part === '..') {
        done.pop();
        continue;
      }
      const here = '/' + [...done, part].join('/');
      const st = this.lstat(here);
      if (st === null) {
        return { requested, path: '/' + [...done, part, ...todo.reverse()].join('/'), links, kind: 'missing' };
      }
      const isLast = todo.length === 0;
      if (st.isSymbolicLink() && (!isLast || followLast)) {
        if (++hops > MAX_LINKS) {
          throw new JailError('SYMLINK_LOOP', `${requested}: too many levels of symbolic links (loop at ${here})`, { file: requested });
        }
        const target = this.readlink(here);
        links.push({ path: here, target });
        if (target.startsWith('/')) done.length = 0;
        const parts = splitInside(target);
        for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i] as string);
        continue;
      }
      if (!isLast && !st.isDirectory()) {
        return { requested, path: '/' + [...done, part, ...todo.reverse()].join('/'), links, kind: 'missing' };
      }
      done.push(part);
      if (isLast) return { requested, path: here, links, kind: nodeKindOf(st), stats: st };
    }
    // The walk ended on `.`/`..` (or a link to them): the answer is the folder reached so far.
    const path = '/' + done.join('/');
    const st = this.lstat(path);
    return { requested, path, links, kind: st ? nodeKindOf(st) : 'missing', ...(st ? { stats: st } : {}) };
  }

  /** Names in a directory inside the root, sorted bytewise; null when it is not a readable directory. */
  readdir(inside: string): string[] | null {
    const found = this.lookup(inside);
    if (found.kind !== 'directory') return null;
    let names = this.#dirs.get(found.path);
    if (names === undefined) {
      try {
        names = readdirSync(this.hostPath(found.path)).sort(compareBytes);
      } catch (err) {
        if (!isMissingError(err)) throw err;
        names = null;
      }
      this.#dirs.set(found.path, names);
    }
    return names;
  }

  /** Reads a whole (small) file inside the root, following links inside the root; null when missing. */
  readText(inside: string): string | null {
    const found = this.lookup(inside);
    if (found.kind !== 'file') return null;
    return readFileSync(this.hostPath(found.path), 'utf8');
  }

  readBytes(inside: string): Buffer | null {
    const found = this.lookup(inside);
    if (found.kind !== 'file') return null;
    return readFileSync(this.hostPath(found.path));
  }

  /** Opens a resolved regular file for positioned reads; errors name it by its path inside the root. */
  open(resolvedInside: string): FileSource {
    return FileSource.open(this.hostPath(resolvedInside), resolvedInside);
  }
}

function isMissingError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG';
}

/** Bytewise comparison of strings as UTF-8, the order jailbuild sorts every listing in. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
