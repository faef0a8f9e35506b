import { JailError } from '../errors.js';
import { describeOrigin } from '../profile/load-profile.js';
import type { Profile } from '../profile/profile-types.js';
import { accountNameProblem } from '../profile/validate-values.js';
import { DEFAULT_PATH } from '../resolve/program-resolver.js';
import { commentProblem, countProblem, iniPathListProblem, iniPathProblem, octalModeProblem, poolNameProblem, quotedName } from './ini-values.js';

/** What the pool file says besides the profile; a refused value is named by its command-line option (--name, --out, --socket, ...). */
export interface PoolOptions {
  /** The pool's name: `[NAME]` and the default socket's name. */
  name: string;
  /** The jail folder (chroot). */
  jail: string;
  /** The Unix socket the web server talks to (default /run/php/jail-NAME.sock). */
  socket?: string;
  /** Owner and group of the socket: the web server's account (default www-data). */
  listenOwner?: string;
  listenGroup?: string;
  listenMode?: string;
  /** php-fpm's prefix for relative paths (default /srv/php-fpm, the layout of the README's PHP-FPM recipe). */
  prefix?: string;
  /** Whether the jail holds /usr/bin/sendmail. */
  hasSendmail: boolean;
  /** Process manager settings. */
  pm?: 'ondemand' | 'dynamic' | 'static';
  maxChildren?: number;
}

const PM_KINDS = ['ondemand', 'dynamic', 'static'] as const;

/** One value that cannot be written: USAGE for an option, INPUT for a profile value; where it came from and why. */
interface Refusal {
  code: 'USAGE' | 'INPUT';
  where: string;
  problem: string;
}

/** The pool's user: the profile's first user, else its POOL variable, else the pool name; and where it came from. */
function poolUser(profile: Profile, o: PoolOptions): { name: string; code: Refusal['code']; where: string } {
  const first = profile.users[0];
  if (first) return { name: first.name, code: 'INPUT', where: describeOrigin({ ...first.origin, pointer: `${first.origin.pointer}/name` }) };
  const pool = profile.variables.POOL;
  if (pool !== undefined) return { name: pool, code: 'INPUT', where: `${profile.file}: variable POOL (the pool's user: the profile has no users)` };
  return { name: o.name, code: 'USAGE', where: "--name (the pool's user: the profile has no users and no POOL variable)" };
}

/**
 * The PHP-FPM pool configuration that goes with a jail. Every value is checked before anything is
 * returned (see ini-values.ts): one that php-fpm's syntax could read as more than a value (a newline
 * adds `chroot = /` or a second pool) is refused with a JailError naming the option (USAGE) or the
 * profile field (INPUT). Names are written in double quotes, so that `no` or `PHP_OS` stay names.
 * Quoting matters for sendmail_path too: the value holds an `=` (mini_sendmail only accepts
 * --username=NAME), so it must be in double quotes or php-fpm refuses the file. env[PATH] matters:
 * with php-fpm's default clear_env, PATH is unset in the pool, and TeX run from shell_exec dies with
 * "kpathsea: Can't get directory of program name".
 */
export function poolConfig(profile: Profile, o: PoolOptions): string {
  const refusals: Refusal[] = [];
  const check = <T>(value: T, problemOf: (v: T) => string | null, code: Refusal['code'], where: string): T => {
    const problem = problemOf(value);
    if (problem !== null) refusals.push({ code, where, problem });
    return value;
  };
  const option = <T>(value: T | undefined, fallback: T, problemOf: (v: T) => string | null, flag: string): T => (value === undefined ? fallback : check(value, problemOf, 'USAGE', flag));

  check(o.name, poolNameProblem, 'USAGE', '--name');
  check(o.jail, iniPathProblem, 'USAGE', '--out');
  const socket = option(o.socket, `/run/php/jail-${o.name}.sock`, iniPathProblem, '--socket');
  const listenOwner = option(o.listenOwner, 'www-data', accountNameProblem, '--listen-owner');
  const listenGroup = option(o.listenGroup, 'www-data', accountNameProblem, '--listen-group');
  const listenMode = option(o.listenMode, '0660', octalModeProblem, '--listen-mode');
  const prefix = option(o.prefix, '/srv/php-fpm', iniPathProblem, '--prefix');
  const pm = option<NonNullable<PoolOptions['pm']>>(o.pm, 'ondemand', (v) => ((PM_KINDS as readonly string[]).includes(v) ? null : `${JSON.stringify(v)} is not one of ${PM_KINDS.join(', ')}`), '--pm');
  const maxChildren = option(o.maxChildren, 5, countProblem, '--max-children');
  const user = poolUser(profile, o);
  check(user.name, accountNameProblem, user.code, user.where);
  const firstGroup = profile.groups[0];
  const group = firstGroup ? check(firstGroup.name, accountNameProblem, 'INPUT', describeOrigin({ ...firstGroup.origin, pointer: `${firstGroup.origin.pointer}/name` })) : user.name;
  const path = profile.path === undefined ? DEFAULT_PATH : check(profile.path, iniPathListProblem, 'INPUT', describeOrigin(profile.origins?.path ?? { file: profile.file, pointer: '/path' }));
  check(profile.file, commentProblem, 'INPUT', 'the profile file name');

  const first = refusals[0];
  if (first) {
    const lines = refusals.map((r) => `${r.where}: ${r.problem}`);
    throw new JailError(first.code, lines.join('\n'), { file: profile.file, field: first.where });
  }
  const lines = [
    `; PHP-FPM pool for the jail ${o.jail}, written by jailbuild from ${profile.file}`,
    `[${o.name}]`,
    `prefix = ${prefix}`,
    `user = ${quotedName(user.name)}`,
    `group = ${quotedName(group)}`,
    `listen = ${socket}`,
    `listen.owner = ${quotedName(listenOwner)}`,
    `listen.group = ${quotedName(listenGroup)}`,
    `listen.mode = ${listenMode}`,
    `pm = ${pm}`,
    `pm.max_children = ${maxChildren}`,
    ...(pm === 'ondemand' ? ['pm.process_idle_timeout = 60s'] : []),
    ...(pm === 'dynamic' ? ['pm.start_servers = 2', 'pm.min_spare_servers = 1', 'pm.max_spare_servers = 3'] : []),
    'pm.max_requests = 500',
    `chroot = ${o.jail}`,
    'chdir = /',
    `env[PATH] = ${path}`,
    'env[TMPDIR] = /tmp',
    'php_admin_value[session.save_path] = /var/lib/php/sessions',
    'php_admin_value[sys_temp_dir] = /tmp',
    'php_admin_value[upload_tmp_dir] = /tmp',
  ];
  if (o.hasSendmail) lines.push(`php_admin_value[sendmail_path] = "/usr/bin/sendmail -t -i --username=${user.name}"`);
  return lines.join('\n') + '\n';
}

/** The web server's side, for the README and --help: Apache's handler line and nginx's fastcgi_pass. */
export function handlerLines(socket: string): { apache: string; nginx: string } {
  return {
    apache: `<FilesMatch "\\.php$"> <If "-f %{REQUEST_FILENAME}"> SetHandler "proxy:unix:${socket}|fcgi://localhost/" </If> </FilesMatch>`,
    nginx: `location ~ \\.php$ { include fastcgi_params; fastcgi_param SCRIPT_FILENAME /srv/www$fastcgi_script_name; fastcgi_pass unix:${socket}; }`,
  };
}
