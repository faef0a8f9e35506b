import { lstatSync, rmdirSync, unlinkSync } from 'node:fs';
import { JailError } from '../errors.js';
import { mountsBelow } from '../mounts/mounts-below.js';
import { DirHandle, errnoOf } from '../rootfs/dir-handle.js';

/** Deeper trees are refused (the descriptors held open grow with the depth). */
const MAX_DEPTH = 512;
/** A folder refilled faster than it is emptied this many times in a row is given up on. */
const MAX_ROUNDS = 64;

/**
 * Removes a tree without ever touching anything outside it, whatever the processes still living in it
 * do meanwhile (the retired jail is removed while its services may still run in it, as uid 33 or any
 * other). Every folder is opened without following links and emptied through its descriptor, one name
 * at a time (see DirHandle): a folder swapped for a link to a host folder after it was listed is met
 * as a link and unlinked, never followed. Like `rm --one-file-system -rf`, it refuses outright when
 * anything is mounted below the tree and never crosses into another file system: the failsafe of
 * the admins' jail scripts, built in.
 */
export function removeTreeSafely(dir: string): void {
  const mounts = mountsBelow(dir);
  if (mounts.length > 0) {
    throw new JailError('INPUT', `${dir}: not removed: something is mounted below it (${mounts.join(', ')}); unmount first`, { file: dir });
  }
  const top = lstatSync(dir, { throwIfNoEntry: false });
  if (!top) return;
  if (!top.isDirectory()) {
    unlinkSync(dir);
    return;
  }
  const handle = DirHandle.open(dir);
  try {
    emptyFolder(handle, handle.stats.dev, 0);
  } finally {
    handle.close();
  }
  rmdirSync(dir);
}

/** Removes everything in an open folder; listed again until it stays empty (an inmate may add files). */
function emptyFolder(folder: DirHandle, dev: number, depth: number): void {
  if (depth > MAX_DEPTH) throw new JailError('IO_ERROR', `${folder.label}: more than ${MAX_DEPTH} folders deep; not removed`, { file: folder.label });
  for (let round = 0; ; round++) {
    const names = folder.names();
    if (names.length === 0) return;
    if (round >= MAX_ROUNDS) throw new JailError('IO_ERROR', `${folder.label}: keeps being refilled while it is removed; stop the processes using it and remove it again`, { file: folder.label });
    for (const name of names) removeChild(folder, name, dev, depth);
  }
}

/** Removes one child of an open folder, whatever it has become since the folder was listed. */
function removeChild(folder: DirHandle, name: string, dev: number, depth: number): void {
  const st = folder.lstat(name);
  if (!st) return;
  if (!st.isDirectory()) {
    try {
      folder.unlink(name);
    } catch (err) {
      // Swapped for a folder since the lstat: the next round of the caller's loop takes it as one.
      if (errnoOf(err) !== 'ENOENT' && errnoOf(err) !== 'EISDIR') throw err;
    }
    return;
  }
  let child: DirHandle;
  try {
    child = folder.openDir(name);
  } catch (err) {
    // No longer a folder (a link or a file now): removed as what it is now, on the next round.
    if (['ENOENT', 'ENOTDIR', 'ELOOP'].includes(errnoOf(err) ?? '')) return;
    throw err;
  }
  try {
    if (child.stats.dev !== dev) throw new JailError('INPUT', `${child.label}: on another file system; not removed`, { file: child.label });
    emptyFolder(child, dev, depth + 1);
  } finally {
    child.close();
  }
  try {
    folder.rmdir(name);
  } catch (err) {
    // Refilled, replaced or removed meanwhile: the caller lists the folder again.
    if (!['ENOENT', 'ENOTEMPTY', 'EEXIST', 'ENOTDIR'].includes(errnoOf(err) ?? '')) throw err;
  }
}
