import { totalmem } from 'node:os';
import { DirHandle } from '../rootfs/dir-handle.js';
import { JailError } from '../errors.js';
import { mountProcOn, mountTmpfsOn, unmountIn } from './mount-descriptors.js';

/**
 * Mounts a read-only /proc in the jail (hidepid=2: a user sees only its own processes), on the jail's
 * own /proc folder opened without following links (an inmate cannot redirect it). Nothing is done when
 * a proc is already mounted there. Returns whether it mounted one.
 */
export function mountProc(jail: string): boolean {
  const root = DirHandle.open(jail, { followLast: true });
  try {
    let point: DirHandle;
    try {
      point = root.openDir('proc');
    } catch (err) {
      throw new JailError('INPUT', `${jail}/proc: not a folder of the jail (a link, or missing): no /proc mounted`, { file: jail, cause: err });
    }
    try {
      // Something (a proc) is mounted there already: its own file system.
      if (point.stats.dev !== root.stats.dev) return false;
      mountProcOn(point.fd, `${jail}/proc`);
      return true;
    } finally {
      point.close();
    }
  } finally {
    root.close();
  }
}

/** Unmounts the jail's /proc when one is mounted there; whether it did. */
export function unmountProc(jail: string): boolean {
  const root = DirHandle.open(jail, { followLast: true });
  try {
    const st = root.lstat('proc');
    if (!st?.isDirectory()) return false;
    const point = root.openDir('proc');
    const mounted = point.stats.dev !== root.stats.dev;
    point.close();
    if (mounted) unmountIn(root, 'proc', `${jail}/proc`);
    return mounted;
  } finally {
    root.close();
  }
}

/** A test's /tmp: a quarter of the memory, at most 1 GiB (its pages are the host's memory). */
export function defaultTmpSize(): number {
  return Math.min(Math.floor(totalmem() / 4), 1024 * 1024 * 1024);
}

/**
 * Mounts an empty tmpfs on the jail's /tmp (its own folder, opened without following links), with
 * that folder's mode and owner: a test starts from an empty /tmp and leaves the jail's own untouched
 * (a jail in service keeps its sessions there). Nothing is done when the jail has no /tmp folder.
 * Meant for a mount namespace of its own: the tmpfs vanishes with it.
 */
export function mountFreshTmp(jail: string, sizeBytes = defaultTmpSize()): boolean {
  const root = DirHandle.open(jail, { followLast: true });
  try {
    if (!root.lstat('tmp')?.isDirectory()) return false;
    const point = root.openDir('tmp');
    try {
      mountTmpfsOn(point.fd, point.stats.mode, point.stats.uid, point.stats.gid, sizeBytes, `${jail}/tmp`);
      return true;
    } finally {
      point.close();
    }
  } finally {
    root.close();
  }
}
