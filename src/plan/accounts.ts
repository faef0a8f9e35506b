import { JailError } from '../errors.js';
import { toId } from '../profile/load-profile.js';
import type { Profile } from '../profile/profile-types.js';
import { accountProblems } from '../profile/validate-values.js';

/**
 * The jail's /etc/passwd and /etc/group: root and the profile's accounts only, no password hashes
 * (the password field is "x" and there is no shadow file). Sorted by id for stable output. Refuses
 * (INPUT) any value that would add an account or shift a field, whoever built the profile object.
 */
export function accountFiles(profile: Profile): { passwd: string; group: string } | null {
  if (profile.users.length === 0 && profile.groups.length === 0) return null;
  // loadProfile has refused these with file and line; a profile made in code meets the same rules here.
  const problems = accountProblems(profile.users, profile.groups);
  if (problems.length > 0) {
    throw new JailError('INPUT', problems.map((p) => `${p.file}: ${p.pointer}: ${p.message}`).join('\n'), { file: problems[0]?.file, field: problems[0]?.pointer });
  }
  const users = new Map<string, string>([['root', 'root:x:0:0:root:/root:/bin/sh']]);
  const uids = new Map<string, number>([['root', 0]]);
  for (const u of profile.users) {
    const uid = toId(u.uid, u.origin, 'uid') as number;
    const gid = toId(u.gid, u.origin, 'gid') as number;
    users.set(u.name, `${u.name}:x:${uid}:${gid}:${u.gecos ?? ''}:${u.home ?? '/'}:${u.shell ?? '/usr/sbin/nologin'}`);
    uids.set(u.name, uid);
  }
  const groups = new Map<string, { line: string; gid: number }>([['root', { line: 'root:x:0:', gid: 0 }]]);
  for (const g of profile.groups) {
    const gid = toId(g.gid, g.origin, 'gid') as number;
    groups.set(g.name, { line: `${g.name}:x:${gid}:${(g.members ?? []).join(',')}`, gid });
  }
  const byUid = [...users.entries()].sort((a, b) => (uids.get(a[0]) as number) - (uids.get(b[0]) as number));
  const byGid = [...groups.values()].sort((a, b) => a.gid - b.gid);
  return { passwd: byUid.map(([, l]) => l).join('\n') + '\n', group: byGid.map((g) => g.line).join('\n') + '\n' };
}
