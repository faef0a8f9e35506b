import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { outputFolder } from '../config/profile-settings.js';
import { JailError } from '../errors.js';
import { buildPlan } from '../plan/build-plan.js';
import { describeOrigin } from '../profile/load-profile.js';
import type { Profile } from '../profile/profile-types.js';
import { iniPathProblem } from './ini-values.js';
import { type PoolOptions, poolConfig } from './pool-config.js';

/** A pool's settings, without what the jail itself tells: its folder and whether it has sendmail. */
export type PoolRequest = Omit<PoolOptions, 'jail' | 'hasSendmail'> & {
  /** The jail folder (--out), else the profile's "out", else ./NAME. */
  out?: string;
};

/**
 * The PHP-FPM pool configuration for a profile's jail: the jail folder as jailbuild profile would
 * choose it, checked for php-fpm's syntax before anything else; sendmail_path when the built jail
 * holds /usr/bin/sendmail (or, not built yet, when its profile would put it there).
 */
export function poolConfigForJail(profile: Profile, request: PoolRequest): string {
  const { out, ...options } = request;
  const jail = outputFolder(profile, out);
  refuseUnwritableJail(jail, profile, out);
  const built = lstatSync(join(jail, 'usr/bin/sendmail'), { throwIfNoEntry: false });
  const hasSendmail = built ? true : lstatSync(jail, { throwIfNoEntry: false }) ? false : buildPlan(profile).entries.some((e) => e.path === '/usr/bin/sendmail');
  return poolConfig(profile, { ...options, jail, hasSendmail });
}

/**
 * The jail folder goes into `chroot =`: one php-fpm could read as more than a path is refused before
 * anything else, naming where it came from (--out, else the profile's "out", else its name: ./NAME).
 */
function refuseUnwritableJail(jail: string, profile: Profile, out: string | undefined): void {
  const problem = iniPathProblem(jail);
  if (problem === null) return;
  if (out !== undefined) throw new JailError('USAGE', `--out: the jail folder ${problem}`, { field: '--out' });
  const origin = profile.out !== undefined ? profile.origins?.out : profile.origins?.name;
  const where = origin ? describeOrigin(origin) : `${profile.file}: the profile's name (from the file name; the jail folder is ./NAME)`;
  throw new JailError('INPUT', `${where}: the jail folder ${problem}`, { file: origin?.file ?? profile.file, field: origin?.pointer ?? '/name' });
}
