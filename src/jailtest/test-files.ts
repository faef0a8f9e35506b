import { closeSync, constants, fchmodSync, fchownSync, lchownSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { JailError } from '../errors.js';
import type { TestFileSpec } from '../profile/profile-types.js';
import { DirHandle, isPlainName } from '../rootfs/dir-handle.js';
import { splitInside } from '../rootfs/inside-path.js';
import { RootFs } from '../rootfs/rootfs.js';

/** Whether a test's input file path is one placeTestFiles takes: plain names below /tmp. */
export function isTestFilePath(path: string): boolean {
  const parts = splitInside(path);
  return parts.length >= 2 && parts[0] === 'tmp' && parts.every((p) => isPlainName(p));
}

/**
 * Puts a test's input files in the jail's /tmp (the test's own empty tmpfs), owned by its user:
 * folder by folder without following links, missing folders made (0755, the user's), each file new
 * (O_EXCL, O_NOFOLLOW), its mode at most 0777 (no setuid, setgid or sticky bit).
 */
export function placeTestFiles(jail: string, files: TestFileSpec[], uid: number, gid: number): void {
  for (const f of files) {
    if (!isTestFilePath(f.path)) throw new JailError('INPUT', `file ${f.path}: a test's input files go below /tmp, by plain names`, { field: 'tests' });
    const parts = splitInside(f.path);
    const name = parts.pop() as string;
    const root = DirHandle.open(jail, { followLast: true });
    let dir: DirHandle = root;
    try {
      for (const part of parts) {
        if (!dir.lstat(part)) {
          mkdirSync(dir.at(part), { mode: 0o755 });
          lchownSync(dir.at(part), uid, gid);
        }
        const next = dir.openDir(part);
        if (dir !== root) dir.close();
        dir = next;
      }
      let fd: number;
      try {
        fd = openSync(dir.at(name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      } catch (err) {
        throw new JailError('INPUT', `cannot put ${f.path} in the jail: ${(err as Error).message}`, { field: 'tests', cause: err });
      }
      try {
        writeSync(fd, f.text);
        fchownSync(fd, uid, gid);
        fchmodSync(fd, parseInt(f.mode ?? '0644', 8) & 0o777);
      } finally {
        closeSync(fd);
      }
    } finally {
      if (dir !== root) dir.close();
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
