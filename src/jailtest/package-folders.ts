import type { PackageIndex } from '../packages/package-index.js';
import { splitInside } from '../rootfs/inside-path.js';

/**
 * Folders too wide ever to copy whole: they hold what many packages put there. A folder added for a
 * program is always below one of them (or a folder of its own elsewhere).
 */
const SHARED = new Set([
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/tmp',
  '/usr',
  '/usr/bin',
  '/usr/include',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/libx32',
  '/usr/local',
  '/usr/local/bin',
  '/usr/local/lib',
  '/usr/local/share',
  '/usr/sbin',
  '/usr/share',
  '/usr/share/doc',
  '/usr/share/info',
  '/usr/share/locale',
  '/usr/share/man',
  '/usr/src',
  '/var',
  '/var/cache',
  '/var/lib',
  '/var/log',
  '/var/tmp',
]);

/** A folder many packages share: the ones above, and the multiarch library folders (/usr/lib/x86_64-linux-gnu). */
export function isSharedFolder(dir: string): boolean {
  return SHARED.has(dir) || /^\/(usr\/)?lib\/[^/]*-linux-[^/]*$/.test(dir);
}

/** A folder that packages of more sources than this list is shared (/usr/lib/python3/dist-packages, /usr/share/fonts/truetype). */
const MAX_SOURCES = 3;

/** Share of what is listed below a folder that must belong to the file's packages for the folder to be theirs. */
const OWN_SHARE = 0.8;

/**
 * The folder that holds a file together with the rest of its package's data: the highest folder on its
 * path that is not a shared one (/usr/share/lilypond for /usr/share/lilypond/2.24.1/scm/lily.scm,
 * /usr/lib/python3.11 for /usr/lib/python3.11/encodings/__init__.py) and that the file's own packages
 * fill (at least 80 % of what the package database lists below it); else the next folder down; else
 * undefined (the file stands alone, as /etc/papersize does). A file no package owns gets its highest
 * unshared folder when no package lists anything there either (/usr/local/share/dict). With `self`,
 * `path` is a folder and may be the answer itself.
 */
export function packageFolder(path: string, index: PackageIndex, options: { self?: boolean } = {}): string | undefined {
  const parts = splitInside(path);
  const mine = index.sameSource(index.ownersOf(path));
  const deepest = options.self ? parts.length : parts.length - 1;
  for (let depth = 1; depth <= deepest; depth++) {
    const dir = '/' + parts.slice(0, depth).join('/');
    if (isSharedFolder(dir) || index.sourceCount(index.ownersOf(dir)) > MAX_SOURCES) continue;
    const below = index.ownersBelow(dir);
    if (mine.size === 0) return below.size === 0 ? dir : undefined;
    if (shareOf(dir, mine, index) >= OWN_SHARE) return dir;
  }
  return undefined;
}

/** What part of the paths listed below `dir` the packages `mine` list. */
function shareOf(dir: string, mine: Set<string>, index: PackageIndex): number {
  const { total, owned } = index.countBelow(dir, mine);
  return total === 0 ? 0 : owned / total;
}
