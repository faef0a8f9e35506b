import { closeSync, constants, fchmodSync, fchownSync, openSync, writeSync } from 'node:fs';
import { JailError } from '../errors.js';
import type { TestFileSpec } from '../profile/profile-types.js';
import { DirHandle, isPlainName } from '../rootfs/dir-handle.js';
import { splitInside } from '../rootfs/inside-path.js';
import { RootFs } from '../rootfs/rootfs.js';

/**
 * Puts a test's input files in the jail, owned by its user: folder by folder without following links
 * (a link planted in the jail must not send root's write elsewhere), each file new (O_EXCL).
 */
export function placeTestFiles(jail: string, files: TestFileSpec[], uid: number, gid: number): void {
  for (const f of files) {
    const parts = splitInside(f.path);
    const name = parts.pop();
    if (name === undefined || !isPlainName(name) || parts.some((p) => !isPlainName(p))) throw new JailError('INPUT', `file ${f.path}: not a plain path in the jail`, { field: 'tests' });
    const root = DirHandle.open(jail, { followLast: true });
    let dir: DirHandle | undefined;
    try {
      dir = root.openPath(parts);
      let fd: number;
      try {
        fd = openSync(dir.at(name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      } catch (err) {
        throw new JailError('INPUT', `cannot put ${f.path} in the jail: ${(err as Error).message}`, { field: 'tests', cause: err });
      }
      try {
        writeSync(fd, f.text);
        fchownSync(fd, uid, gid);
        fchmodSync(fd, parseInt(f.mode ?? '0644', 8));
      } finally {
        closeSync(fd);
      }
    } finally {
      if (dir !== root) dir?.close();
      root.close();
    }
  }
}

/** Which of `paths` are not in the jail (looked up inside it: links cannot point out). */
export function missingFiles(jail: string, paths: string[]): string[] {
  const fs = new RootFs(jail);
  return paths.filter((p) => {
    try {
      return fs.lookup(p).kind === 'missing';
    } catch {
      return true;
    }
  });
}
