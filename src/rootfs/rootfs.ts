import { linkSync, lstatSync, readdirSync, readlinkSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { type FileStat, KeptStat } from './file-stat.js';
import { resolve as resolveHostPath } from 'node:path';
import { JailError } from '../errors.js';
import { FileSource } from '../io/byte-source.js';
import { hostPrivacy } from './host-private.js';
import { SourceRoot } from './source-root.js';
import type { SourceIdentity } from '../model/jail-entry.js';
import { DirHandle, errnoOf, type OpenedFile, readOpened } from './dir-handle.js';
import { collapseDots, hasDotDot, joinInside } from './inside-path.js';
import { letYoungGenerationGrowWhenDue } from '../io/young-generation.js';

/** Folders kept open for reading and copying: enough for the folders of a jail's sources, bounded. */
const MAX_OPEN_FOLDERS = 256;

/** The identity of a source file as lstat saw it (see SourceIdentity). */
export function identityOf(st: FileStat): SourceIdentity {
  return { dev: st.dev, ino: st.ino, mtimeMs: st.mtimeMs };
}

export { compareBytes, type LinkHop, type Lookup, MAX_LINKS, type NodeKind, nodeKindOf, sortBytewise } from './source-root.js';

/**
 * A source root that is a folder on the host (`/`, a sysroot): every access to it goes through here.
 * lstat and readlink results are kept (misses included) for the life of the object; files are read
 * and copied folder by folder without following any link, and must be the very files lstat saw, so
 * whoever changes the root meanwhile (the owner of a source folder) is met with SOURCE_CHANGED, never
 * with another file's bytes.
 */
export class RootFs extends SourceRoot {
  /** Host path of the root directory, without a trailing slash ('' for `/`). */
  readonly #prefix: string;
  readonly root: string;
  readonly #stats = new Map<string, FileStat | null>();
  readonly #links = new Map<string, string>();
  /** Open folders of the root by inside path, for reading and copying ('' is the root itself). */
  readonly #handles = new Map<string, DirHandle>();

  constructor(root = '/') {
    super();
    this.root = resolveHostPath(root);
    this.#prefix = this.root === '/' ? '' : this.root;
  }

  /** The host path of a path inside the root: for this class's own access, and for hostPrivacy. */
  hostPath(inside: string): string {
    return this.#prefix + collapseDots(inside);
  }

  /**
   * Where a path of the root really is on the host (the root's real path, then the path): for
   * comparing locations (an output must not hold what a build reads), never for opening anything.
   */
  override locationOnHost(inside: string): string {
    let root: string;
    try {
      root = realpathSync(this.root);
    } catch {
      root = this.root;
    }
    return (root === '/' ? '' : root) + collapseDots(inside);
  }

  /** lstat inside the root; null when nothing is there. */
  override lstat(inside: string): FileStat | null {
    // Asked again for a path already normal (the usual case): its answer is kept under that very path.
    const kept = this.#stats.get(inside);
    if (kept !== undefined) return kept;
    // `..` is applied lexically here (callers pass paths without links); it can never climb out.
    const key = collapseDots(inside);
    let st = this.#stats.get(key);
    if (st === undefined) {
      try {
        // A long walk never lets a timer fire: the CLI's young-generation setting looks here (cheap).
        letYoungGenerationGrowWhenDue();
        st = new KeptStat(lstatSync(this.#prefix + key));
      } catch (err) {
        if (!isMissingError(err)) throw err;
        st = null;
      }
      this.#stats.set(key, st);
    }
    return st;
  }

  override readlink(inside: string): string {
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

  protected override listNames(realPath: string): string[] | null {
    try {
      return readdirSync(this.hostPath(realPath));
    } catch (err) {
      if (!isMissingError(err)) throw err;
      return null;
    }
  }

  /** The bytes of a real path's file, when it is still the file lstat saw (see openSeen); else null. */
  protected override readFile(realPath: string): Buffer | null {
    let file: OpenedFile;
    try {
      file = this.openSeen(realPath);
    } catch (err) {
      if (err instanceof JailError && err.code === 'SOURCE_CHANGED') return null;
      throw err;
    }
    try {
      return readWhole(file, this.#shown(realPath));
    } finally {
      file.close();
    }
  }

  /** Opens a resolved regular file for positioned reads (see openSeen); errors name it by its path inside the root. */
  override open(resolvedInside: string): FileSource {
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
    const changed = (why: string, cause?: unknown): JailError => new JailError('SOURCE_CHANGED', `${this.#shown(realPath)}: ${why} while it was being read`, { file: realPath, cause });
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
    // A normal path (no empty, `.` or `..` component) is cut as a string; anything else is made normal
    // first, and a `..` in it refused: the plan's sources are real paths, never climbing.
    const path = joinInside('/', realPath);
    const cut = path.lastIndexOf('/');
    const name = path.slice(cut + 1);
    if (name === '' || hasDotDot(path)) {
      throw Object.assign(new Error(`${realPath}: not a plain path to a file`), { code: 'EFTYPE' });
    }
    return this.#folder(path.slice(0, cut)).openFile(name);
  }

  /**
   * Opens a source file of a plan for copying, proving it is the file the plan saw: every folder on
   * the way and the file itself are opened without following links (the plan's `source` is a real
   * path: the links on the way are entries of their own), and the opened file must have the planned
   * device, inode, size and modification time. Whoever owns a source folder may swap a folder for a
   * link to a root-only folder after the plan was made; that swap is met as a link and refused, never
   * followed. Copy from the returned descriptor (its `path` reopens that very file), then close it.
   */
  override openPlanned(source: string, expected: { identity?: SourceIdentity | undefined; size?: number }): OpenedFile {
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
  override releaseHandles(): void {
    for (const h of this.#handles.values()) h.close();
    this.#handles.clear();
  }

  /**
   * An open folder of the root, reached from the root one component at a time, no link followed.
   * `dir` is a normal path without `..`, '' for the root itself.
   */
  #folder(dir: string): DirHandle {
    const known = this.#handles.get(dir);
    if (known) return known;
    let handle: DirHandle;
    if (dir === '') {
      // The root itself is the admin's own path: links in it are followed, as everywhere else.
      handle = DirHandle.open(this.root, { followLast: true });
    } else {
      const cut = dir.lastIndexOf('/');
      handle = this.#folder(dir.slice(0, cut)).openDir(dir.slice(cut + 1));
    }
    if (this.#handles.size >= MAX_OPEN_FOLDERS) {
      // Drop the oldest (Maps keep insertion order); it is opened again when needed.
      const [oldKey, old] = this.#handles.entries().next().value as [string, DirHandle];
      old.close();
      this.#handles.delete(oldKey);
    }
    this.#handles.set(dir, handle);
    return handle;
  }

  /** The file's identity on disk with nanosecond times: if any part changes, what was learnt of it is dropped. */
  override fileKey(realPath: string): string | undefined {
    try {
      const st = statSync(this.hostPath(realPath), { bigint: true });
      return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    } catch {
      return undefined;
    }
  }

  override privacyOf(realPath: string): string | null {
    return hostPrivacy(this, realPath);
  }

  /**
   * Hard-links the planned source file at `dest` (a path in the jail being written), when both are on
   * one file system. link() takes a path, so the link made is checked afterwards: it must be the
   * planned file (same device and inode), else it is removed and false returned (copy instead).
   */
  override linkPlanned(source: string, dest: string, planned: { dev: number; ino: number }): boolean {
    try {
      linkSync(this.hostPath(source), dest);
    } catch {
      return false;
    }
    const made = lstatSync(dest);
    if (made.dev === planned.dev && made.ino === planned.ino) return true;
    unlinkSync(dest);
    return false;
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
