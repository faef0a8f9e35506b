import { spawnSync } from 'node:child_process';
import { JailError } from '../errors.js';
import type { DirHandle } from '../rootfs/dir-handle.js';

/**
 * util-linux mount and umount, given open descriptors instead of paths. Node cannot call mount(2)
 * itself, so each descriptor is passed to the child (stdio slot 3, 4: the same numbers there) and
 * named as /proc/self/fd/N, which the kernel resolves to the very folder or file that was opened,
 * whatever has happened to its path since. --no-canonicalize keeps mount(8) from turning that back
 * into a path string and looking it up again, which would reopen the race the descriptors close.
 *
 * A descriptor opened on a mount point before something was mounted on it still names the folder
 * underneath; to act on the mount itself, NAME is looked up in the open folder that holds it
 * (/proc/self/fd/3/NAME): a lookup by name enters the mount on top.
 */
function run(command: string, args: string[], descriptors: number[], what: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', ...descriptors] });
  if (r.status !== 0) {
    const why = (r.stderr || String(r.error ?? `exit status ${String(r.status)}`)).trim();
    throw new JailError('IO_ERROR', `${what}: ${command} ${args.join(' ')}: ${why}`);
  }
}

/** Bind-mounts the open source on the open mount point: both by descriptor, nothing looked up by name. */
export function bindOnDescriptor(sourceFd: number, pointFd: number, what: string): void {
  run('mount', ['--no-canonicalize', '--bind', '/proc/self/fd/3', '/proc/self/fd/4'], [sourceFd, pointFd], what);
}

/** Bind-mounts the open source on `name` inside the open folder `dir`. */
export function bindInFolder(sourceFd: number, dir: DirHandle, name: string, what: string): void {
  dir.at(name); // refuses anything but a single plain name
  run('mount', ['--no-canonicalize', '--bind', '/proc/self/fd/3', `/proc/self/fd/4/${name}`], [sourceFd, dir.fd], what);
}

/** Makes the mount on top of `name` in the open folder `dir` ignore setuid bits and devices, and read-only with `readOnly`. */
export function remountRestrictedIn(dir: DirHandle, name: string, readOnly: boolean, what: string): void {
  dir.at(name);
  run('mount', ['--no-canonicalize', '-o', `remount,bind,nosuid,nodev${readOnly ? ',ro' : ''}`, `/proc/self/fd/3/${name}`], [dir.fd], what);
}

/** Unmounts the mount on top of `name` in the open folder `dir` (with `lazy`, detaches it even while busy). */
export function unmountIn(dir: DirHandle, name: string, what: string, lazy = false): void {
  dir.at(name);
  run('umount', ['--no-canonicalize', ...(lazy ? ['--lazy'] : []), `/proc/self/fd/3/${name}`], [dir.fd], what);
}

/** Mounts a read-only proc (each user sees only its own processes: hidepid=2) on the open folder. */
export function mountProcOn(pointFd: number, what: string): void {
  run('mount', ['--no-canonicalize', '-t', 'proc', '-o', 'ro,nosuid,nodev,noexec,hidepid=2', 'proc', '/proc/self/fd/3'], [pointFd], what);
}

/** Mounts an empty tmpfs of at most `sizeBytes` (and 64 Ki files) on the open folder, with the folder's own mode and owner (no devices, no setuid). */
export function mountTmpfsOn(pointFd: number, mode: number, uid: number, gid: number, sizeBytes: number, what: string): void {
  const options = `nosuid,nodev,size=${sizeBytes},nr_inodes=65536,mode=${(mode & 0o7777).toString(8)},uid=${uid},gid=${gid}`;
  run('mount', ['--no-canonicalize', '-t', 'tmpfs', '-o', options, 'tmpfs', '/proc/self/fd/3'], [pointFd], what);
}
