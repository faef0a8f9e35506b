import { readFileSync } from 'node:fs';
import type { Profile } from '../profile/profile-types.js';
import { presentInText } from './profile-patch.js';

/** Lines the profile has already, so that a diagnosis never suggests one again. */
export function presentLines(profile: Profile): { present: Set<string>; trees: string[] } {
  const present = new Set<string>();
  for (const b of profile.binaries) present.add(`binaries\0${b.path}`);
  for (const f of profile.files) present.add(`files\0${f.path}`);
  for (const t of profile.trees) present.add(`trees\0${t.path}`);
  for (const d of profile.directories) present.add(`directories\0${d.path}`);
  for (const d of profile.devices) present.add(`devices\0${d.path}`);
  for (const s of profile.symlinks) present.add(`symlinks\0${s.path}`);
  for (const m of profile.mounts) present.add(`mounts\0${m.target}`);
  if (profile.proc) present.add('proc\0/proc');
  for (const file of profile.sources) {
    try {
      for (const k of presentInText(readFileSync(file, 'utf8'))) present.add(k);
    } catch {
      // Read already by the loader; a file gone since only means fewer known lines.
    }
  }
  return { present, trees: profile.trees.filter((t) => !t.exclude?.length).map((t) => t.path) };
}
