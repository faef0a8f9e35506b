import { dirnameInside, splitInside } from '../rootfs/inside-path.js';

/** Why a tar member name cannot be placed in the jail. */
export type NameProblem = 'absolute' | 'dotdot' | 'empty';

/**
 * The jail path of a tar member name: `./` prefixes and trailing slashes are dropped (GNU tar writes
 * `./usr/bin/`), `.` is the root. Absolute names and names with a `..` component are refused, as
 * GNU tar refuses to extract them: they are how an archive writes outside the folder it is unpacked in.
 */
export function memberPath(name: string): { path: string } | { problem: NameProblem } {
  if (name === '' || name.includes('\0')) return { problem: 'empty' };
  if (name.startsWith('/')) return { problem: 'absolute' };
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) return { problem: 'dotdot' };
  return { path: '/' + parts.join('/') };
}

/**
 * True when a relative link target climbs above the root of the archive (`../../etc/passwd` from
 * `/a`): harmless inside a chroot, where `..` stops at the root, but an escape for anyone who unpacks
 * the tarball without one.
 */
export function linkClimbsOut(linkPath: string, target: string): boolean {
  if (target.startsWith('/')) return false;
  let depth = splitInside(dirnameInside(linkPath)).length;
  for (const part of splitInside(target)) {
    if (part === '..') depth--;
    else depth++;
    if (depth < 0) return true;
  }
  return false;
}
