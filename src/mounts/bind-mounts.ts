import { existsSync, fstatSync } from 'node:fs';
import { JailError } from '../errors.js';
import type { Located, MountSpec } from '../profile/profile-types.js';
import { DirHandle, errnoOf } from '../rootfs/dir-handle.js';
import { unmountIn } from './mount-descriptors.js';
import { type MountEntry, mountOfDescriptor, mountsBelow } from './mounts-below.js';
import { type FollowedLink, type MountSource, openMountSource } from './open-mount-source.js';
import { type MountPointParent, openMountPoint, openMountPointParent, pathOfDescriptor } from './open-mount-point.js';
import { bindRestricted } from './restricted-bind.js';

/** What `bindMounts` did with one mount of the profile, as it happens. */
export type MountReport =
  { kind: 'mounted'; source: string; realSource: string; target: string; readOnly: boolean; links: FollowedLink[] } | { kind: 'already-mounted'; target: string } | { kind: 'missing-optional'; source: string };

/** What `unbindMounts` did with one mount of the profile. */
export type UnmountReport = { kind: 'unmounted'; target: string } | { kind: 'refused'; message: string };

/** The mount on top of `name` in the open folder `parent`, when one is mounted exactly there. */
function mountOn(at: MountPointParent): { mount: MountEntry; dev: number; ino: number } | undefined {
  const st = at.parent.lstat(at.name);
  if (!st || !(st.isDirectory() || st.isFile())) return undefined;
  let opened: { fd: number; close(): void };
  try {
    // A lookup by name enters whatever is mounted on the name.
    opened = st.isDirectory() ? at.parent.openDir(at.name) : at.parent.openFile(at.name);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EFTYPE') return undefined;
    throw err;
  }
  try {
    const mount = mountOfDescriptor(opened.fd);
    if (mount?.mountPoint !== at.path) return undefined;
    const { dev, ino } = fstatSync(opened.fd);
    return { mount, dev, ino };
  } finally {
    opened.close();
  }
}

function fieldOf(m: Located<MountSpec>, field: string): { file: string; field: string } {
  return { file: m.origin.file, field: `${m.origin.pointer}/${field}` };
}

/**
 * Makes `mounts` inside the jail at `jail`, in order, each one on the very folders that were checked:
 * the source opened from / without following links the profile does not allow (openMountSource), the
 * mount point opened inside the jail without following any link (openMountPoint), and the mount made
 * from one descriptor onto the other. Read-only mounts are never writable, not even for a moment.
 * Optional sources that do not exist and mounts already there are reported and skipped.
 */
export function bindMounts(mounts: Located<MountSpec>[], jail: string, report: (r: MountReport) => void): void {
  if (!existsSync(jail)) throw new JailError('INPUT', `${jail}: no jail there; build it first (jailbuild profile PROFILE --out ${jail})`, { file: jail });
  const jailDir = DirHandle.open(jail, { followLast: true });
  try {
    for (const m of mounts) {
      const sourceField = fieldOf(m, 'source');
      const source = openMountSource({ source: m.source, allowLinks: m.allowLinks === true, ...sourceField });
      if (!source) {
        if (m.optional) {
          report({ kind: 'missing-optional', source: m.source });
          continue;
        }
        throw new JailError('INPUT', `${sourceField.file}: ${sourceField.field}: mount source ${m.source} does not exist`, sourceField);
      }
      try {
        bindOne(m, source, jailDir, report);
      } finally {
        source.close();
      }
    }
  } finally {
    jailDir.close();
  }
}

function bindOne(m: Located<MountSpec>, source: MountSource, jailDir: DirHandle, report: (r: MountReport) => void): void {
  const targetField = { target: m.target, ...fieldOf(m, 'target') };
  const at = openMountPointParent(jailDir, targetField, true) as MountPointParent;
  try {
    if (mountOn(at)) {
      report({ kind: 'already-mounted', target: at.path });
      return;
    }
    const what = `mount ${source.realPath} on ${at.path}`;
    const point = openMountPoint(at, source.kind, targetField);
    try {
      bindRestricted(source, point.fd, Boolean(m.readOnly), what);
      // What is mounted there now must be the source that was checked, read-only where asked.
      const made = mountOn(at);
      if (!made || made.dev !== source.stats.dev || made.ino !== source.stats.ino) {
        throw new JailError('SOURCE_CHANGED', `${what}: the mount point was moved while it was mounted (by whoever can write in ${pathOfDescriptor(at.parent.fd)}); the mount is at ${pathOfDescriptor(point.fd)} now`);
      }
      const lacking = ['nosuid', 'nodev', ...(m.readOnly ? ['ro'] : [])].filter((o) => !made.mount.options.includes(o));
      if (lacking.length > 0) {
        unmountIn(at.parent, at.name, what);
        throw new JailError('IO_ERROR', `${what}: the mount came out without ${lacking.join(', ')}; it was removed`);
      }
    } finally {
      point.close();
    }
    report({ kind: 'mounted', source: m.source, realSource: source.realPath, target: at.path, readOnly: m.readOnly === true, links: source.links });
  } finally {
    at.parent.close();
  }
}

/**
 * Removes `mounts` from the jail at `jail`, last first (every mount stacked on a mount point, through
 * the open folder that holds it), then returns what is still mounted anywhere inside the jail: empty
 * is the only state in which the jail may be destroyed.
 */
export function unbindMounts(mounts: Located<MountSpec>[], jail: string, report: (r: UnmountReport) => void): string[] {
  let jailDir: DirHandle | undefined;
  try {
    jailDir = DirHandle.open(jail, { followLast: true });
  } catch (err) {
    // No jail: nothing of ours can be mounted in it; the check below still looks.
    if (errnoOf(err) !== 'ENOENT') throw err;
  }
  try {
    for (const m of jailDir ? [...mounts].reverse() : []) {
      let at: MountPointParent | undefined;
      try {
        at = openMountPointParent(jailDir as DirHandle, { target: m.target, ...fieldOf(m, 'target') }, false);
      } catch (err) {
        // Nothing of ours can be mounted there; the check below still reports anything mounted.
        report({ kind: 'refused', message: (err as Error).message });
        continue;
      }
      if (!at) continue;
      try {
        // One mount at a time, the top one first, until nothing is mounted on the point.
        for (let on = mountOn(at); on;) {
          unmountIn(at.parent, at.name, `unmount ${at.path}`);
          report({ kind: 'unmounted', target: at.path });
          const next = mountOn(at);
          if (next?.mount.id === on.mount.id) throw new JailError('IO_ERROR', `unmount ${at.path}: umount succeeded, but the mount is still there`);
          on = next;
        }
      } finally {
        at.parent.close();
      }
    }
  } finally {
    jailDir?.close();
  }
  return mountsBelow(jail);
}
