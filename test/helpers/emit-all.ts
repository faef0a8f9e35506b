import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { emitOutputs } from '../../src/cli/output-options.js';
import { writeTarball } from '../../src/emit/write-tarball.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { RootFs } from '../../src/rootfs/rootfs.js';

/** jailbuild's mark beside a folder it built (`.NAME.jailbuild.json`): it names inodes, so it is no part of the reproducible output. */
export const isMark = (name: string): boolean => /^\..*\.jailbuild\.json$/.test(name);

/** sha256 of every file below `dir` (jailbuild's marks left out), by relative path: what "the same output" means. */
export function digestsBelow(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(join(dir, rel)).sort()) {
    if (isMark(name)) continue;
    const path = rel ? `${rel}/${name}` : name;
    if (statSync(join(dir, path)).isDirectory()) Object.assign(out, digestsBelow(dir, path));
    else
      out[path] = createHash('sha256')
        .update(readFileSync(join(dir, path)))
        .digest('hex');
  }
  return out;
}

/**
 * Builds a profile's outputs through the library into `out`: jail.tar, jail.tar.gz, oci/ and
 * manifest.json (the last three with emitOutputs, as the CLI does). Used in-process and from child
 * processes run with another umask, TZ and LANG.
 */
export async function emitAll(profilePath: string, out: string): Promise<Record<string, string>> {
  const profile = loadProfile(profilePath);
  const plan = buildPlan(profile);
  const fs = new RootFs(profile.root);
  await writeTarball(plan.entries, fs, join(out, 'jail.tar'), { mtime: plan.mtime, gzip: false });
  const silent = { stdout: (): void => undefined, stderr: (): void => undefined };
  await emitOutputs(plan, fs, { tar: join(out, 'jail.tar.gz'), oci: join(out, 'oci'), manifest: join(out, 'manifest.json'), quiet: true }, silent);
  return digestsBelow(out);
}
