import { realpathSync } from 'node:fs';
import { resolve as resolveHostPath } from 'node:path';
import type { Profile } from '../profile/profile-types.js';
import type { RootFs } from '../rootfs/rootfs.js';

/** Plan.reads: the real host paths of what the profile copies as files or folders, its mount sources and its own files. */
export function planReads(profile: Profile, fs: RootFs): string[] {
  const real = (path: string): string => {
    try {
      return realpathSync(path);
    } catch {
      return resolveHostPath(path);
    }
  };
  const out = new Set<string>([...profile.sources, ...profile.mounts.map((m) => m.source)].map(real));
  for (const spec of [...profile.files, ...profile.trees]) {
    try {
      const found = fs.lookup(spec.path);
      if (found.kind !== 'missing') out.add(real(fs.locationOnHost(found.path)));
    } catch {
      // A loop: reported where the copy is planned.
    }
  }
  return [...out].sort();
}
