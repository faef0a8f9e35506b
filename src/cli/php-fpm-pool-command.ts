import { lstatSync } from 'node:fs';
import { join } from 'node:path';
import { JailError } from '../errors.js';
import { buildPlan } from '../plan/build-plan.js';
import { iniPathProblem } from '../phpfpm/ini-values.js';
import { handlerLines, poolConfig } from '../phpfpm/pool-config.js';
import { describeOrigin } from '../profile/load-profile.js';
import type { Profile } from '../profile/profile-types.js';
import type { Output } from './output.js';
import { loadProfileWithSettings, outputFolder } from './profile-command.js';

export interface PoolCommandOptions {
  name: string;
  out?: string;
  set?: Record<string, string>;
  socket?: string;
  listenOwner?: string;
  listenGroup?: string;
  listenMode?: string;
  prefix?: string;
  pm?: 'ondemand' | 'dynamic' | 'static';
  maxChildren?: number;
  handler?: boolean;
}

/** `jailbuild php-fpm-pool PROFILE --name NAME`: prints the pool configuration for the jail. */
export function runPhpFpmPool(nameOrPath: string, o: PoolCommandOptions, out: Output): number {
  const profile = loadProfileWithSettings(nameOrPath, o);
  const jail = outputFolder(profile, o.out);
  refuseUnwritableJail(jail, profile, o.out);
  // Ask the built jail when there is one; else what the profile would build.
  const built = lstatSync(join(jail, 'usr/bin/sendmail'), { throwIfNoEntry: false });
  const hasSendmail = built ? true : lstatSync(jail, { throwIfNoEntry: false }) ? false : buildPlan(profile).entries.some((e) => e.path === '/usr/bin/sendmail');
  const text = poolConfig(profile, {
    name: o.name,
    jail,
    hasSendmail,
    ...(o.socket ? { socket: o.socket } : {}),
    ...(o.listenOwner ? { listenOwner: o.listenOwner } : {}),
    ...(o.listenGroup ? { listenGroup: o.listenGroup } : {}),
    ...(o.listenMode ? { listenMode: o.listenMode } : {}),
    ...(o.prefix ? { prefix: o.prefix } : {}),
    ...(o.pm ? { pm: o.pm } : {}),
    ...(o.maxChildren !== undefined ? { maxChildren: o.maxChildren } : {}),
  });
  out.stdout(text);
  if (o.handler) {
    const h = handlerLines(o.socket ?? `/run/php/jail-${o.name}.sock`);
    out.stdout(`; Apache: ${h.apache}\n; nginx:  ${h.nginx}\n`);
  }
  return 0;
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
