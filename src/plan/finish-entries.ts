import type { Diagnostic } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import { toId } from '../profile/load-profile.js';
import type { Profile } from '../profile/profile-types.js';
import { parseModeChange } from './mode-policy.js';
import type { Placed } from './plan-builder.js';

/**
 * The mode change a profile's entries get when it sets none: a jail for accounts it names (users or
 * groups) is for them alone, `g=u-w,o-rwx` (root's, readable by the jail's group); a jail that names
 * none is for anyone, read-only: the source's read and execute bits kept, write taken from group and
 * others (`go-w`).
 */
export function defaultModeChange(profile: Profile): string {
  return profile.users.length > 0 || profile.groups.length > 0 ? 'g=u-w,o-rwx' : 'go-w';
}

/**
 * The jail entries of the placements: owner, group and mode from the profile's policy (default: root,
 * the profile's first group, and defaultModeChange) unless an entry sets its own; links and devices
 * keep theirs; setuid and setgid bits only where allowed.
 */
export function finishEntries(profile: Profile, placements: Placed[], diagnostics: Diagnostic[]): JailEntry[] {
  const policy = parseModeChange(profile.permissions.mode ?? defaultModeChange(profile), `${profile.file}: permissions.mode`);
  const owner = toId(profile.permissions.owner, profile.file, 'permissions/owner') ?? 0;
  const firstGroup = profile.groups[0];
  const group = toId(profile.permissions.group, profile.file, 'permissions/group') ?? (firstGroup ? (toId(firstGroup.gid, firstGroup.origin, 'gid') ?? 0) : 0);
  return placements.map((p) => {
    const isSpecial = p.kind === 'symlink' || p.kind === 'char' || p.kind === 'block';
    let mode = p.kind === 'symlink' ? 0o777 : p.exactMode || isSpecial ? p.mode : policy(p.mode, p.kind === 'directory');
    const uid = p.uid ?? owner;
    if (p.kind === 'file' && (mode & 0o6000) !== 0) mode = setuidVerdict(p.path, mode, uid, p.allowSetuid === true, diagnostics);
    const e: JailEntry = { path: p.path, kind: p.kind, mode, uid, gid: p.gid ?? group, reasons: p.reasons };
    if (p.secret) e.secret = true;
    if (p.target !== undefined) e.target = p.target;
    if (p.major !== undefined) e.major = p.major;
    if (p.minor !== undefined) e.minor = p.minor;
    if (p.source !== undefined) e.source = p.source;
    if (p.sourceIdentity !== undefined) e.sourceIdentity = p.sourceIdentity;
    if (p.content !== undefined) e.content = p.content;
    if (p.generate !== undefined) e.generate = p.generate;
    if (p.kind === 'file') e.size = p.content ? p.content.length : (p.size ?? 0);
    return e;
  });
}

/**
 * Setuid and setgid bits are a way out of a jail (a setuid shell, `su`, `mount`): removed unless the
 * profile entry says "allowSetuid": true, and said either way, so the build output names every one.
 */
function setuidVerdict(path: string, mode: number, uid: number, allowed: boolean, diagnostics: Diagnostic[]): number {
  const octal = (m: number): string => m.toString(8).padStart(4, '0');
  const bits = [mode & 0o4000 ? 'setuid' : '', mode & 0o2000 ? 'setgid' : ''].filter(Boolean).join(' and ');
  if (allowed) {
    diagnostics.push({
      code: 'SETUID_KEPT',
      severity: 'warning',
      path,
      message: `${path}: keeps its ${bits} bit (mode ${octal(mode)}, owner ${uid}): whoever runs it in the jail gets its owner's or group's rights ("allowSetuid": true)`,
    });
    return mode;
  }
  const stripped = mode & ~0o6000;
  diagnostics.push({ code: 'SETUID_REMOVED', severity: 'warning', path, message: `${path}: ${bits} bit removed (mode ${octal(mode)} -> ${octal(stripped)}); add "allowSetuid": true to its profile entry to keep it` });
  return stripped;
}
