import { JailError } from '../errors.js';
import { DirHandle, type OpenedFile } from './dir-handle.js';
import { splitInside } from './inside-path.js';

/**
 * Opens regular files below a folder that others may be changing (a jail whose inmates are hostile):
 * the folder is opened once, then every path is walked one component at a time from its descriptor
 * with no link followed anywhere (DirHandle), and the file itself is opened O_NOFOLLOW|O_NONBLOCK and
 * refused unless fstat says it is a regular file. A file swapped for a link to /dev/zero or to a host
 * file is met as a link (ELOOP), a folder swapped for a link as ENOTDIR, a named pipe or socket swapped
 * in for a file opens without hanging and is refused (EFTYPE). The folder of the last file opened is
 * kept open: callers go through files in path order, so neighbours share it.
 */
export class TreeOpener {
  readonly #hostRoot: string;
  #root: DirHandle | null = null;
  #last: { key: string; dir: DirHandle } | null = null;

  /** `hostRoot` is the caller's own path (a real path: its last component is not followed). */
  constructor(hostRoot: string) {
    this.#hostRoot = hostRoot;
  }

  /** Opens the regular file at `inside` (a path below the folder); throws the system error (ELOOP, ENOTDIR, ENOENT, EFTYPE...) otherwise. */
  open(inside: string): OpenedFile {
    const parts = splitInside(inside);
    const name = parts.pop();
    if (name === undefined || parts.includes('..') || name === '..') {
      throw new JailError('INPUT', `${inside}: not a plain path to a file`, { file: inside });
    }
    return this.#folder(parts).openFile(name);
  }

  /** Closes the folders kept open; the opener opens them again if used afterwards. */
  close(): void {
    this.#last?.dir.close();
    this.#last = null;
    this.#root?.close();
    this.#root = null;
  }

  #folder(parts: string[]): DirHandle {
    // Opened on first use: an inventory that never reads contents holds no descriptor.
    this.#root ??= DirHandle.open(this.#hostRoot);
    if (parts.length === 0) return this.#root;
    const key = parts.join('/');
    if (this.#last?.key === key) return this.#last.dir;
    const dir = this.#root.openPath(parts);
    this.#last?.dir.close();
    this.#last = { key, dir };
    return dir;
  }
}
