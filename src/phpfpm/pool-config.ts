import type { Profile } from '../profile/profile-types.js';
import { DEFAULT_PATH } from '../resolve/program-resolver.js';

export interface PoolOptions {
  /** The pool's name: `[NAME]`, the socket's name, mini_sendmail's --username. */
  name: string;
  /** The jail folder (chroot). */
  jail: string;
  /** The Unix socket the web server talks to (default /run/php/jail-NAME.sock). */
  socket?: string;
  /** Owner and group of the socket: the web server's account (default www-data). */
  listenOwner?: string;
  listenGroup?: string;
  listenMode?: string;
  /** php-fpm's prefix for relative paths (default /srv/php-fpm, as in the seed). */
  prefix?: string;
  /** Whether the jail holds /usr/bin/sendmail. */
  hasSendmail: boolean;
  /** Process manager settings. */
  pm?: 'ondemand' | 'dynamic' | 'static';
  maxChildren?: number;
}

/**
 * The PHP-FPM pool configuration that goes with a jail. Quoting matters: the sendmail_path value
 * holds an `=` (mini_sendmail only accepts --username=NAME), so it must be in double quotes or
 * php-fpm refuses the file. env[PATH] matters too: with php-fpm's default clear_env, PATH is unset
 * in the pool, and TeX run from shell_exec dies with "kpathsea: Can't get directory of program name".
 */
export function poolConfig(profile: Profile, o: PoolOptions): string {
  const user = profile.users[0]?.name ?? profile.variables.POOL ?? o.name;
  const group = profile.groups[0]?.name ?? user;
  const path = profile.path ?? DEFAULT_PATH;
  const lines = [
    `; PHP-FPM pool for the jail ${o.jail}, written by jailbuild from ${profile.file}`,
    `[${o.name}]`,
    `prefix = ${o.prefix ?? '/srv/php-fpm'}`,
    `user = ${user}`,
    `group = ${group}`,
    `listen = ${o.socket ?? `/run/php/jail-${o.name}.sock`}`,
    `listen.owner = ${o.listenOwner ?? 'www-data'}`,
    `listen.group = ${o.listenGroup ?? 'www-data'}`,
    `listen.mode = ${o.listenMode ?? '0660'}`,
    `pm = ${o.pm ?? 'ondemand'}`,
    `pm.max_children = ${o.maxChildren ?? 5}`,
    ...(o.pm === undefined || o.pm === 'ondemand' ? ['pm.process_idle_timeout = 60s'] : []),
    ...(o.pm === 'dynamic' ? ['pm.start_servers = 2', 'pm.min_spare_servers = 1', 'pm.max_spare_servers = 3'] : []),
    'pm.max_requests = 500',
    `chroot = ${o.jail}`,
    'chdir = /',
    `env[PATH] = ${path}`,
    'env[TMPDIR] = /tmp',
    'php_admin_value[session.save_path] = /var/lib/php/sessions',
    'php_admin_value[sys_temp_dir] = /tmp',
    'php_admin_value[upload_tmp_dir] = /tmp',
  ];
  if (o.hasSendmail) lines.push(`php_admin_value[sendmail_path] = "/usr/bin/sendmail -t -i --username=${user}"`);
  return lines.join('\n') + '\n';
}

/** The web server's side, for the README and --help: Apache's handler line and nginx's fastcgi_pass. */
export function handlerLines(socket: string): { apache: string; nginx: string } {
  return {
    apache: `<FilesMatch "\\.php$"> <If "-f %{REQUEST_FILENAME}"> SetHandler "proxy:unix:${socket}|fcgi://localhost/" </If> </FilesMatch>`,
    nginx: `location ~ \\.php$ { include fastcgi_params; fastcgi_param SCRIPT_FILENAME /srv/www$fastcgi_script_name; fastcgi_pass unix:${socket}; }`,
  };
}
