import type { JailEntry } from '../model/jail-entry.js';
import type { Profile } from '../profile/profile-types.js';

/** Who may use a jail, and where they may write: for the build's report. */
export interface JailAccess {
  /** Who may enter the jail's root and run its /bin/sh: everyone, the jail's group, or root alone. */
  usableBy: { kind: 'everyone' } | { kind: 'group'; name?: string; gid: number } | { kind: 'root' };
  /** Folders others than root may write (sticky ones marked), sorted. */
  writable: string[];
}

const may = (e: JailEntry, bits: { owner: number; group: number; other: number }, uid: number | undefined, gid: number | undefined): boolean =>
  (uid !== undefined && e.uid === uid && (e.mode & bits.owner) !== 0) || (gid !== undefined && e.gid === gid && (e.mode & bits.group) !== 0) || (e.mode & bits.other) !== 0;

/**
 * Who can use the jail: everyone when anyone may enter its root and run /bin/sh (its folders and the
 * shell executable by others); else the group the jail's root grants; else root alone. Writable: the
 * folders a user other than root may write.
 */
export function jailAccess(entries: JailEntry[], profile: Profile): JailAccess {
  const root = entries.find((e) => e.path === '/');
  const exec = { owner: 0o100, group: 0o010, other: 0o001 };
  const write = { owner: 0o200, group: 0o020, other: 0o002 };
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const shell = ['/usr/bin/dash', '/usr/bin/bash', '/bin/sh', '/usr/bin/sh'].map((p) => byPath.get(p)).find((e) => e?.kind === 'file');
  let usableBy: JailAccess['usableBy'] = { kind: 'root' };
  if (root && may(root, exec, undefined, undefined) && (!shell || may(shell, exec, undefined, undefined))) usableBy = { kind: 'everyone' };
  else if (root && root.gid !== 0 && (root.mode & 0o010) !== 0) {
    const group = profile.groups.find((g) => String(g.gid) === String(root.gid));
    usableBy = { kind: 'group', gid: root.gid, ...(group ? { name: group.name } : {}) };
  }
  const writable = entries
    .filter((e) => e.kind === 'directory' && (e.uid !== 0 || (e.gid !== 0 && (e.mode & write.group) !== 0) || (e.mode & write.other) !== 0))
    .map((e) => e.path + ((e.mode & 0o1000) !== 0 ? ' (sticky)' : ''))
    .sort();
  return { usableBy, writable };
}

/** `usable by: everyone, read-only; writable: /tmp (sticky)`. */
export function describeAccess(a: JailAccess): string {
  const who = a.usableBy.kind === 'everyone' ? 'everyone' : a.usableBy.kind === 'group' ? `group ${a.usableBy.name ?? a.usableBy.gid} (gid ${a.usableBy.gid})` : 'root only';
  return `usable by: ${who}${a.writable.length === 0 ? ', read-only' : `; writable: ${a.writable.join(', ')}`}`;
}
