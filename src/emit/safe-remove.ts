import { lstatSync, renameSync, rmdirSync, unlinkSync } from 'node:fs';
import { JailError } from '../errors.js';
import { mountsBelow } from '../mounts/mounts-below.js';
import { DirHandle, errnoOf } from '../rootfs/dir-handle.js';

/**
 * Folders deeper than this below the top are moved up to the top (renamed, through descriptors, within
 * the same tree) and removed from there: the descriptors held open stay few, whatever depth an inmate
 * builds.
 */
const MAX_DEPTH = 64;
/** A folder refilled faster than it is emptied this many times in a row is given up on. */
const MAX_ROUNDS = 64;
/** The top is listed again after each round; deep chains moved up need one round per MAX_DEPTH levels. */
const MAX_TOP_ROUNDS = 100_000;

/**
 * Removes a tree without ever touching anything outside it, whatever the processes still living in it
 * do meanwhile (the retired jail is removed while its services may still run in it, as uid 33 or any
 * other). Every folder is opened without following links and emptied through its descriptor, one name
 * at a time (see DirHandle): a folder swapped for a link to a host folder after it was listed is met
 * as a link and unlinked, never followed. Like `rm --one-file-system -rf`, it refuses outright when
 * anything is mounted below the tree and never crosses into another file system: the failsafe of
 * the admins' jail scripts, built in. Throws when it cannot finish (a process keeps refilling the
 * tree, an immutable file); what is left stays inside the tree.
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
    const walk: Walk = { top: handle, dev: handle.stats.dev, moved: 0 };
    for (let round = 0; ; round++) {
      const names = handle.names();
      if (names.length === 0) break;
      if (round >= MAX_TOP_ROUNDS) throw new JailError('IO_ERROR', `${dir}: keeps being refilled while it is removed; stop the processes using it and remove it again`, { file: dir });
      for (const name of names) removeChild(handle, name, 1, walk);
    }
  } finally {
    handle.close();
  }
  rmdirSync(dir);
}

interface Walk {
  top: DirHandle;
  dev: number;
  /** Folders moved up to the top so far (their new names are numbered). */
  moved: number;
}

/** Removes everything in an open folder; listed again until it stays empty (an inmate may add files). */
function emptyFolder(folder: DirHandle, depth: number, walk: Walk): void {
  for (let round = 0; ; round++) {
    const names = folder.names();
    if (names.length === 0) return;
    if (round >= MAX_ROUNDS) throw new JailError('IO_ERROR', `${folder.label}: keeps being refilled while it is removed; stop the processes using it and remove it again`, { file: folder.label });
    for (const name of names) removeChild(folder, name, depth, walk);
  }
}

/** Removes one child of an open folder, whatever it has become since the folder was listed. */
function removeChild(folder: DirHandle, name: string, depth: number, walk: Walk): void {
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
  if (depth >= MAX_DEPTH) {
    // Moved up to the top, inside the same tree, and removed from there in a later round. A name
    // taken there already (an inmate may guess them) is skipped for the next.
    for (let attempt = 0; ; attempt++) {
      try {
        renameSync(folder.at(name), walk.top.at(`.jailbuild-deep-${process.pid}-${++walk.moved}`));
        return;
      } catch (err) {
        const code = errnoOf(err) ?? '';
        if (code === 'ENOENT') return;
        if (attempt >= 8 || !['EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR'].includes(code)) throw err;
      }
    }
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
    if (child.stats.dev !== walk.dev) throw new JailError('INPUT', `${child.label}: on another file system; not removed`, { file: child.label });
    emptyFolder(child, depth + 1, walk);
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
