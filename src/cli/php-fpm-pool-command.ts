import { loadProfileWithSettings } from '../config/profile-settings.js';
import { handlerLines } from '../phpfpm/pool-config.js';
import { poolConfigForJail } from '../phpfpm/pool-for-jail.js';
import type { Output } from './output.js';

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
  const text = poolConfigForJail(profile, {
    name: o.name,
    ...(o.out !== undefined ? { out: o.out } : {}),
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
