import { lstatSync, readdirSync, readFileSync, realpathSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { JailError } from '../errors.js';

/** Mount points at or below `dir`, from /proc/self/mountinfo (octal escapes decoded). */
export function mountsBelow(dir: string): string[] {
  // mountinfo lists resolved paths: compare with the folder's real path (/srv -> /data/srv).
  try {
    dir = realpathSync(dir);
  } catch {
    // Not there (yet): nothing can be mounted below it.
  }
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined && p !== '')
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(prefix));
}

/**
 * Removes a tree without ever leaving its file system (like `rm --one-file-system -rf`) and refusing
 * outright when anything is mounted below it: the failsafe of the seed's jail scripts, built in.
 * Links are removed, never followed.
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
  const walk = (path: string): void => {
    for (const name of readdirSync(path)) {
      const child = join(path, name);
      const st = lstatSync(child);
      if (st.isDirectory()) {
        if (st.dev !== top.dev) throw new JailError('INPUT', `${child}: on another file system; not removed`, { file: child });
        walk(child);
        rmdirSync(child);
      } else unlinkSync(child);
    }
  };
  walk(dir);
  rmdirSync(dir);
}
