import { closeSync, constants, mkdirSync, openSync, readlinkSync } from 'node:fs';
import { JailError } from '../errors.js';
import { DirHandle, errnoOf, type OpenedFile } from '../rootfs/dir-handle.js';
import { joinInside, splitInside } from '../rootfs/inside-path.js';

/** Where a mount goes: the open folder that holds the mount point, and the mount point's name in it. */
export interface MountPointParent {
  parent: DirHandle;
  name: string;
  /** The mount point's host path, as the kernel names the open parent now. */
  path: string;
}

/** The mount point itself, opened: a mount of a descriptor onto `fd` lands on this very folder or file. */
export interface OpenedMountPoint {
  fd: number;
  close(): void;
}

export interface TargetRequest {
  target: string;
  /** The profile file and the JSON pointer of the field, for messages. */
  file: string;
  field: string;
}

function refuse(req: TargetRequest, why: string): JailError {
  return new JailError('INPUT', `${req.file}: ${req.field}: mount target ${req.target}: ${why}`, { file: req.file, field: req.field });
}

/** Makes a folder (0755) in an open folder; one made meanwhile by someone else is met by the open that follows. */
function makeFolder(dir: DirHandle, name: string): void {
  try {
    mkdirSync(dir.at(name), { mode: 0o755 });
  } catch (err) {
    if (errnoOf(err) !== 'EEXIST') throw err;
  }
}

/** The host path of an open descriptor, as the kernel names it now. */
export function pathOfDescriptor(fd: number): string {
  return readlinkSync(`/proc/self/fd/${fd}`);
}

/**
 * Opens the folder that holds `target` inside the open jail, one folder at a time, never through a
 * link: a link inside the jail (which the jailed service may have placed) could lead the mount out of
 * it; `..` is refused outright. With `make`, missing folders are made (0755); without it, undefined
 * when one is missing.
 */
export function openMountPointParent(jail: DirHandle, req: TargetRequest, make: boolean): MountPointParent | undefined {
  if (req.target.split('/').includes('..')) throw refuse(req, 'leaves the jail ("..")');
  const parts = splitInside(joinInside('/', req.target));
  const name = parts.pop();
  if (name === undefined) throw refuse(req, "is the jail's root; mount on a folder inside it");
  // A handle of its own on the jail folder, so that the caller may close whatever this returns.
  let here = DirHandle.open(`/proc/self/fd/${jail.fd}`, { followLast: true });
  try {
    for (const part of parts) {
      if (make && !here.lstat(part)) makeFolder(here, part);
      let next: DirHandle;
      try {
        next = here.openDir(part);
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'ENOENT' && !make) {
          here.close();
          return undefined;
        }
        if (code === 'ENOTDIR' || code === 'ELOOP') {
          const where = `${pathOfDescriptor(here.fd)}/${part}`;
          throw refuse(req, here.lstat(part)?.isSymbolicLink() ? `${where}: a link inside the jail; refusing to mount through it` : `${where}: not a folder`);
        }
        throw err;
      }
      here.close();
      here = next;
    }
  } catch (err) {
    here.close();
    throw err;
  }
  const parentPath = pathOfDescriptor(here.fd);
  return { parent: here, name, path: parentPath === '/' ? `/${name}` : `${parentPath}/${name}` };
}

/**
 * Opens the mount point `name` in its folder without following a link, made first where missing (a
 * folder, or an empty file for a file's bind mount). A mount already there is entered: callers check
 * for one first.
 */
export function openMountPoint(at: MountPointParent, kind: 'dir' | 'file', req: TargetRequest): OpenedMountPoint {
  const { parent, name, path } = at;
  const st = parent.lstat(name);
  if (!st) {
    if (kind === 'dir') makeFolder(parent, name);
    // O_EXCL: a link planted meanwhile makes this fail instead of creating the file it points to.
    else closeSync(openSync(parent.at(name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644));
  } else if (st.isSymbolicLink()) {
    throw refuse(req, `${path}: a link inside the jail; refusing to mount through it`);
  } else if (kind === 'dir' && !st.isDirectory()) {
    throw refuse(req, `${path}: not a folder, and the source is one`);
  } else if (kind === 'file' && !st.isFile()) {
    throw refuse(req, `${path}: not a regular file, and the source is one (a file is bind-mounted on a file)`);
  }
  try {
    if (kind === 'dir') {
      const dir = parent.openDir(name);
      return { fd: dir.fd, close: () => dir.close() };
    }
    const file: OpenedFile = parent.openFile(name);
    return { fd: file.fd, close: () => file.close() };
  } catch (err) {
    const code = errnoOf(err);
    // Swapped since the lstat, by whoever can write inside the jail.
    if (code === 'ENOTDIR' || code === 'ELOOP' || code === 'EFTYPE') throw refuse(req, `${path}: became a link or another kind of file while it was opened; refusing to mount through it`);
    throw err;
  }
}
