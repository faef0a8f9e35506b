import type { FileStat } from './file-stat.js';
import { JailError } from '../errors.js';
import type { ClosableSource } from '../io/byte-source.js';
import type { SourceIdentity } from '../model/jail-entry.js';
import type { OpenedFile } from './dir-handle.js';
import { joinInside, splitInside } from './inside-path.js';

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
  stats?: FileStat;
}

/** What lstat found, as a node kind. */
export function nodeKindOf(st: FileStat): NodeKind {
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isDirectory()) return 'directory';
  if (st.isFile()) return 'file';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return 'socket';
}

/**
 * Bytewise comparison of strings as UTF-8, the order jailbuild sorts every listing in, without encoding
 * them: UTF-8's byte order is code point order, which is UTF-16's code unit order except that the
 * surrogates (U+D800-U+DFFF, the halves of code points above U+FFFF) must sort after U+E000-U+FFFF.
 * (Sorting a large listing encoded two Buffers per comparison before.)
 */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x < y ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** A UTF-16 surrogate: the only code units whose order differs from that of the UTF-8 bytes. */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Sorts `items` in place bytewise (as UTF-8) by `key`, and returns them. When no key holds a surrogate
 * (the usual case), UTF-16 order is byte order and the engine's own string comparison does the work;
 * compareBytes, which walks the strings in JavaScript, is left for the rest.
 */
export function sortBytewise<T>(items: T[], key: (item: T) => string): T[] {
  if (items.some((item) => SURROGATE.test(key(item)))) return items.sort((x, y) => compareBytes(key(x), key(y)));
  return items.sort((x, y) => {
    const a = key(x);
    const b = key(y);
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * A source root: the one interface through which everything jailbuild reads of a root goes, whether
 * the root is a folder on the host (RootFs) or a tarball being audited (TarRootFs). Paths are
 * absolute paths *inside* the root. Links are resolved here, one component at a time, with absolute
 * targets taken from the root and `..` never climbing above it, so nothing outside the root is ever
 * reached; implementations only answer for single, link-free paths. Answers are kept for the life of
 * the object: a root is taken to be unchanging during one run (where it is not, reads say so).
 */
export abstract class SourceRoot {
  /** What the root is, for messages: a host folder, or the tarball's name. */
  abstract readonly root: string;
  readonly #lookups = new Map<string, Lookup>();
  readonly #lookupsNoFollow = new Map<string, Lookup>();
  readonly #dirs = new Map<string, string[] | null>();

  /** lstat of a link-free path inside the root; null when nothing is there. */
  abstract lstat(inside: string): FileStat | null;

  /** The target of the link at a link-free path inside the root. */
  abstract readlink(inside: string): string;

  /** The names in the folder at a real path inside the root, unsorted; null when there is none. */
  protected abstract listNames(realPath: string): string[] | null;

  /** The bytes of the regular file at a real path inside the root; null when unreadable or no longer that file. */
  protected abstract readFile(realPath: string): Buffer | null;

  /** Opens a resolved regular file for positioned reads; errors name it by its path inside the root. */
  abstract open(resolvedInside: string): ClosableSource;

  /**
   * Opens a source file of a plan for copying, proving it is the file the plan saw (same device,
   * inode, size and mtime), following no link: see RootFs. Copy from the descriptor, then close it.
   */
  abstract openPlanned(source: string, expected: { identity?: SourceIdentity | undefined; size?: number }): OpenedFile;

  /** Closes what reads and copies keep open. The root stays usable. */
  abstract releaseHandles(): void;

  /** A key that changes whenever the file at a real path changes (for the analysis cache); undefined when there is none. */
  abstract fileKey(realPath: string): string | undefined;

  /**
   * Where a path of the root really is on the host, for comparing locations (an output must not hold
   * what a build reads), never for opening anything; undefined for a root that is not a host folder.
   */
  abstract locationOnHost(inside: string): string | undefined;

  /**
   * Hard-links the planned source at `dest` (a path of the jail being written) when it can, checking
   * the link made is the planned file; false when it cannot (then copy).
   */
  abstract linkPlanned(source: string, dest: string, planned: { dev: number; ino: number }): boolean;

  /**
   * Why the host keeps the file at a real path from other users (so that it must not be read into
   * messages or copied into a jail unasked), or null. Roots that are no host folder say null.
   */
  abstract privacyOf(realPath: string): string | null;

  /**
   * Resolves `path` inside the root, following every link (the last one too unless `followLast` is
   * false). Throws SYMLINK_LOOP past MAX_LINKS links; a missing component gives kind 'missing'.
   */
  lookup(path: string, followLast = true): Lookup {
    // Each answer is kept under its normal path, in one map per way of asking (a key made of the path
    // and a marker could be asked for as a path, one with a NUL in it). Most paths asked are already
    // normal and asked before: answered before normalizing.
    const answers = followLast ? this.#lookups : this.#lookupsNoFollow;
    const seen = answers.get(path);
    if (seen !== undefined) return seen;
    const requested = joinInside('/', path);
    const known = answers.get(requested);
    if (known) return known;
    const result = this.#walk(requested, followLast);
    answers.set(requested, result);
    return result;
  }

  #walk(requested: string, followLast: boolean): Lookup {
    const links: LinkHop[] = [];
    const done: string[] = [];
    // The path of `done`, kept as a string ('' for the root) so that each step costs one concatenation.
    let base = '';
    const todo = splitInside(requested).reverse();
    let hops = 0;
    while (todo.length > 0) {
      const part = todo.pop() as string;
      if (part === '.' || part === '') continue;
      if (part === '..') {
        done.pop();
        base = done.length === 0 ? '' : '/' + done.join('/');
        continue;
      }
      const here = `${base}/${part}`;
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
        if (target.startsWith('/')) {
          done.length = 0;
          base = '';
        }
        const parts = splitInside(target);
        for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i] as string);
        continue;
      }
      if (!isLast && !st.isDirectory()) {
        return { requested, path: '/' + [...done, part, ...todo.reverse()].join('/'), links, kind: 'missing' };
      }
      done.push(part);
      base = here;
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
      const listed = this.listNames(found.path);
      names = listed ? sortBytewise(listed, (name) => name) : null;
      this.#dirs.set(found.path, names);
    }
    return names;
  }

  /** The bytes of a file inside the root, following links inside the root; null when missing, no regular file, or unreadable. */
  readBytes(inside: string): Buffer | null {
    const found = this.lookup(inside);
    if (found.kind !== 'file') return null;
    return this.readFile(found.path);
  }

  /** Reads a whole (small) file inside the root as UTF-8, following links inside the root; null as readBytes. */
  readText(inside: string): string | null {
    return this.readBytes(inside)?.toString('utf8') ?? null;
  }
}
