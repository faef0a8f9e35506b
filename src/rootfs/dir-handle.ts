import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readdirSync, readSync, rmdirSync, type Stats, unlinkSync } from 'node:fs';
import { JailError } from '../errors.js';

/**
 * Node has no openat(), unlinkat() or fstatat(). Linux offers the same thing through /proc: the path
 * `/proc/self/fd/N/NAME` names NAME inside the folder open as descriptor N, whatever has happened to
 * the path that led to that folder since it was opened (the kernel jumps to the open folder; it does
 * not walk its path again). Every operation below takes one name at a time, relative to an open
 * folder, and never follows a link in that name: a folder swapped for a link between two steps is
 * met as a link, not as the folder it points to. This is how `rm` (fts) and `tar` stay inside a tree
 * that someone else is changing; jailbuild needs it because it runs as root over trees that jailed
 * processes and the owners of source folders can change while it works.
 */
const O_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
/** O_NONBLOCK: opening a named pipe planted where a file was must not hang; regular files ignore it. */
const O_FILE = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

let procChecked = false;

/** The /proc/self/fd mechanism needs /proc; without it nothing here can be done safely. */
function requireProc(): void {
  if (procChecked) return;
  if (!existsSync('/proc/self/fd')) {
    throw new JailError('IO_ERROR', '/proc is not mounted: jailbuild needs /proc/self/fd to work on folders without following links that others may plant');
  }
  procChecked = true;
}

/** One path component: not empty, not `.` or `..`, no slash, no NUL. */
export function isPlainName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0');
}

function checkName(name: string, where: string): void {
  if (!isPlainName(name)) throw new JailError('INPUT', `${where}: ${JSON.stringify(name)} is not a single path component`, { file: where });
}

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** A regular file opened without following links, with what fstat said of it. */
export interface OpenedFile {
  fd: number;
  stats: Stats;
  /** A path that opens this very file again (for copyFile and the like): `/proc/self/fd/N`. */
  path: string;
  close(): void;
}

/** The bytes of an opened file, up to the size fstat gave when it was opened (a file growing meanwhile adds nothing). */
export function readOpened(file: OpenedFile): Buffer {
  const size = file.stats.size;
  const buf = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const got = readSync(file.fd, buf, done, size - done, done);
    if (got === 0) break;
    done += got;
  }
  return buf.subarray(0, done);
}

/** An open folder: operations on its children go through the descriptor, never through a path. */
export class DirHandle {
  readonly fd: number;
  readonly stats: Stats;
  /** How messages name this folder (its host path when opened, with children appended). */
  readonly label: string;
  #open = true;

  private constructor(fd: number, label: string) {
    this.fd = fd;
    this.label = label;
    try {
      this.stats = fstatSync(fd);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /**
   * Opens a folder by its host path. Links in the folders leading to it are followed (the path is
   * the caller's); the last component is not followed unless `followLast`.
   */
  static open(hostPath: string, options: { followLast?: boolean } = {}): DirHandle {
    requireProc();
    const flags = options.followLast ? constants.O_RDONLY | constants.O_DIRECTORY : O_DIR;
    return new DirHandle(openSync(hostPath, flags), hostPath);
  }

  /** The path a system call can take to reach `name` in this folder, resolved from the descriptor. */
  at(name: string): string {
    checkName(name, this.label);
    if (!this.#open) throw new JailError('IO_ERROR', `${this.label}: used after it was closed`);
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  /** The folder `name`, opened without following a link there (ENOTDIR when it is a link or no folder). */
  openDir(name: string): DirHandle {
    return new DirHandle(openSync(this.at(name), O_DIR), `${this.label}/${name}`);
  }

  /** Opens the folder reached by `names`, one component at a time, following no link anywhere. */
  openPath(names: string[]): DirHandle {
    // Every handle opened on the way but the last is closed; this one stays open.
    let opened: DirHandle | undefined;
    try {
      for (const name of names) {
        const next = (opened ?? this).openDir(name);
        opened?.close();
        opened = next;
      }
    } catch (err) {
      opened?.close();
      throw err;
    }
    return opened ?? this;
  }

  /** Opens the regular file `name` for reading without following a link; anything else is refused. */
  openFile(name: string): OpenedFile {
    const fd = openSync(this.at(name), O_FILE);
    let stats: Stats;
    try {
      stats = fstatSync(fd);
      if (!stats.isFile()) {
        const err = new Error(`${this.label}/${name}: not a regular file`) as NodeJS.ErrnoException;
        err.code = 'EFTYPE';
        throw err;
      }
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    let open = true;
    return {
      fd,
      stats,
      path: `/proc/self/fd/${fd}`,
      close: () => {
        if (open) closeSync(fd);
        open = false;
      },
    };
  }

  /** lstat of a child; null when nothing is there. */
  lstat(name: string): Stats | null {
    try {
      return lstatSync(this.at(name));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return null;
      throw err;
    }
  }

  /** The names in this folder, in no particular order. */
  names(): string[] {
    return readdirSync(`/proc/self/fd/${this.fd}`);
  }

  /** Removes a child that is not a folder (a link is removed, never followed). */
  unlink(name: string): void {
    unlinkSync(this.at(name));
  }

  /** Removes an empty child folder. */
  rmdir(name: string): void {
    rmdirSync(this.at(name));
  }

  close(): void {
    if (this.#open) closeSync(this.fd);
    this.#open = false;
  }
}
