import { lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { resolve as resolveHostPath } from 'node:path';
import { JailError } from '../errors.js';
import { FileSource } from '../elf/byte-source.js';
import type { SourceIdentity } from '../model/jail-entry.js';
import { DirHandle, errnoOf, type OpenedFile, readOpened } from './dir-handle.js';
import { collapseDots, joinInside, splitInside } from './inside-path.js';

/** Folders kept open for reading and copying: enough for the folders of a jail's sources, bounded. */
const MAX_OPEN_FOLDERS = 256;

/** The identity of a source file as lstat saw it (see SourceIdentity). */
export function identityOf(st: Stats): SourceIdentity {
  return { dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs };
}

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
  /** Open folders of the root by inside path, for reading and copying ('' is the root itself). */
  readonly #handles = new Map<string, DirHandle>();

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
      try {
        target = readlinkSync(this.#prefix + key, 'utf8');
      } catch (err) {
        // lstat said link; someone replaced it since (the owner of the folder, racing us).
        if (errnoOf(err) === 'EINVAL' || errnoOf(err) === 'ENOENT') throw new JailError('SOURCE_CHANGED', `${this.#shown(key)}: no longer the link it was a moment ago: it changed while being read`, { file: key, cause: err });
        throw err;
      }
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

  /** Reads a whole (small) file inside the root, following links inside the root; null when missing or no regular file. */
  readText(inside: string): string | null {
    return this.readBytes(inside)?.toString('utf8') ?? null;
  }

  /**
   * The bytes of a file inside the root, following links inside the root (as lookup resolves them);
   * null when missing, no regular file, or no longer the file lookup saw (see openSeen).
   */
  readBytes(inside: string): Buffer | null {
    const found = this.lookup(inside);
    if (found.kind !== 'file') return null;
    let file: OpenedFile;
    try {
      file = this.openSeen(found.path);
    } catch (err) {
      if (err instanceof JailError && err.code === 'SOURCE_CHANGED') return null;
      throw err;
    }
    try {
      return readWhole(file, this.#shown(found.path));
    } finally {
      file.close();
    }
  }

  /** Opens a resolved regular file for positioned reads (see openSeen); errors name it by its path inside the root. */
  open(resolvedInside: string): FileSource {
    const file = this.openSeen(resolvedInside);
    return FileSource.fromDescriptor(file.fd, file.stats.size, resolvedInside);
  }

  /**
   * Opens the regular file at `realPath` (a path inside the root with no link in it, as lookup
   * returns), folder by folder without following any link, and checks that it is the very file lstat
   * saw there (same device and inode): what this RootFs answered about a file (its kind, its mode, who
   * may read it) is then true of the bytes read. The owner of a folder who swaps a file for a link to a
   * root-only file between the two is met with SOURCE_CHANGED, not with the other file's bytes.
   */
  openSeen(realPath: string): OpenedFile {
    const seen = this.lstat(realPath);
    const changed = (why: string, cause?: unknown): JailError =>
      new JailError('SOURCE_CHANGED', `${this.#shown(realPath)}: ${why} while it was being read`, { file: realPath, cause });
    let file: OpenedFile;
    try {
      file = this.#openNoFollow(realPath);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ELOOP' || code === 'ENOTDIR') throw changed('it (or a folder on its way) became a symbolic link', err);
      if (code === 'ENOENT') throw changed('it went away', err);
      if (code === 'EFTYPE') throw changed('it is no longer a regular file', err);
      throw err;
    }
    if (!seen || seen.dev !== file.stats.dev || seen.ino !== file.stats.ino) {
      file.close();
      throw changed('another file took its place');
    }
    return file;
  }

  /** Opens the regular file at a real path inside the root, folder by folder, following no link. */
  #openNoFollow(realPath: string): OpenedFile {
    const parts = splitInside(realPath);
    const name = parts.pop();
    if (name === undefined || parts.includes('..') || name === '..') {
      throw Object.assign(new Error(`${realPath}: not a plain path to a file`), { code: 'EFTYPE' });
    }
    return this.#folder(parts).openFile(name);
  }

  /**
   * Opens a source file of a plan for copying, proving it is the file the plan saw: every folder on
   * the way and the file itself are opened without following links (the plan's `source` is a real
   * path: the links on the way are entries of their own), and the opened file must have the planned
   * device, inode, size and modification time. Whoever owns a source folder may swap a folder for a
   * link to a root-only folder after the plan was made; that swap is met as a link and refused, never
   * followed. Copy from the returned descriptor (its `path` reopens that very file), then close it.
   */
  openPlanned(source: string, expected: { identity?: SourceIdentity; size?: number }): OpenedFile {
    const refuse = (why: string, cause?: unknown): JailError =>
      new JailError('SOURCE_CHANGED', `${this.#shown(source)}: ${why} since the plan was made; nothing was copied from it: run again, and find out who changes it`, { file: source, cause });
    let file: OpenedFile;
    try {
      file = this.#openNoFollow(source);
    } catch (err) {
      if (err instanceof JailError) throw err;
      const code = errnoOf(err);
      if (code === 'ELOOP' || code === 'ENOTDIR') throw refuse('it (or a folder on its way) became a symbolic link', err);
      if (code === 'ENOENT') throw refuse('it is gone', err);
      if (code === 'EFTYPE') throw refuse('it is no longer a regular file', err);
      throw new JailError('IO_ERROR', `${this.#shown(source)}: cannot be read: ${(err as Error).message}`, { file: source, cause: err });
    }
    const st = file.stats;
    const id = expected.identity;
    let why: string | undefined;
    if (id !== undefined && (st.dev !== id.dev || st.ino !== id.ino)) why = 'another file is at its path (device and inode differ)';
    else if (expected.size !== undefined && st.size !== expected.size) why = `its size changed (${expected.size} bytes planned, ${st.size} now)`;
    else if (id !== undefined && st.mtimeMs !== id.mtimeMs) why = 'it was modified';
    if (why !== undefined) {
      file.close();
      throw refuse(why);
    }
    return file;
  }

  /** Closes the folders kept open for reading and copying. The RootFs stays usable. */
  releaseHandles(): void {
    for (const h of this.#handles.values()) h.close();
    this.#handles.clear();
  }

  /** An open folder of the root, reached from the root one component at a time, no link followed. */
  #folder(parts: string[]): DirHandle {
    const key = parts.join('/');
    const known = this.#handles.get(key);
    if (known) return known;
    let handle: DirHandle;
    if (parts.length === 0) {
      // The root itself is the admin's own path: links in it are followed, as everywhere else.
      handle = DirHandle.open(this.root, { followLast: true });
    } else {
      handle = this.#folder(parts.slice(0, -1)).openDir(parts[parts.length - 1] as string);
    }
    if (this.#handles.size >= MAX_OPEN_FOLDERS) {
      // Drop the oldest (Maps keep insertion order); it is opened again when needed.
      const [oldKey, old] = this.#handles.entries().next().value as [string, DirHandle];
      old.close();
      this.#handles.delete(oldKey);
    }
    this.#handles.set(key, handle);
    return handle;
  }

  /** A source path as the admin finds it on the host. */
  #shown(inside: string): string {
    return this.#prefix + collapseDots(inside);
  }
}

/** readFileSync's own limit (2 GiB - 1): the files read whole (configuration, scripts, ld.so.cache) are far smaller. */
const MAX_WHOLE_READ = 2 ** 31 - 1;

/** The bytes of an opened regular file, up to the size fstat gave when it was opened. */
function readWhole(file: OpenedFile, shown: string): Buffer {
  const size = file.stats.size;
  if (size > MAX_WHOLE_READ) throw new JailError('IO_ERROR', `${shown}: ${size} bytes, too large to read whole`, { file: shown });
  return readOpened(file);
}

function isMissingError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG';
}

/** Bytewise comparison of strings as UTF-8, the order jailbuild sorts every listing in. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
