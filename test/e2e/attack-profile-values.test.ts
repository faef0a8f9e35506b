/**
 * Attacks through profile values and options that end up in text files other programs parse: the
 * PHP-FPM pool file jailbuild prints (a newline adds `chroot = /` or a second, unjailed pool; php-fpm
 * accepts it) and the jail's /etc/passwd and /etc/group (':' and newlines add accounts or shift
 * fields). Each hostile value arrives as an option, as written in a profile, through --set and
 * through an extends parent, and is refused naming the option, or the file, line and field, with
 * nothing printed or written.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { JailError } from '../../src/errors.js';
import { type CliRun, jailbuild, TOP } from '../helpers/cli.js';
import { runInJailAs } from '../helpers/jail.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const PHP_FPM = join(TOP, 'profiles', 'php-fpm.json');

/** Writes a profile one field a line, so that every value has a line of its own; returns the file and its text. */
function writeProfile(dir: string, name: string, body: object): { file: string; text: string } {
  const file = join(dir, `${name}.json`);
  const text = JSON.stringify(body, null, 2) + '\n';
  writeFileSync(file, text);
  return { file, text };
}

/** The 1-based line of `text` holding `needle` (which must be there). */
function lineOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${needle} is in the profile`);
  return text.slice(0, at).split('\n').length;
}

/** A refused run: exit 2, stderr holding `where` (FILE:LINE: POINTER: ...), nothing on stdout. */
function assertRefused(run: CliRun, where: string, what: string): void {
  assert.is(run.code, 2, `${what}: exit 2\n${run.stdout}${run.stderr}`);
  assert.ok(run.stderr.includes(where), `${what}: the error names ${where}\n${run.stderr}`);
  assert.is(run.stdout, '', `${what}: nothing on stdout`);
}

/** Hostile account values: each adds an account with uid 0 or shifts the fields of a line. */
const ACCOUNT_ATTACKS: Array<{ field: 'name' | 'home' | 'shell' | 'gecos' | 'member'; value: string }> = [
  { field: 'name', value: 'www:x:0:0::/:/bin/sh' },
  { field: 'name', value: 'www-data\nroot2:x:0:0::/:/bin/sh' },
  { field: 'home', value: '/srv/www:x' },
  { field: 'home', value: 'srv/www' },
  { field: 'shell', value: '/usr/sbin/nologin\nroot2:x:0:0::/:/bin/sh' },
  { field: 'gecos', value: 'Web:0:0' },
  { field: 'gecos', value: 'Web\nroot2:x:0:0::/:/bin/sh' },
  { field: 'member', value: 'www-data,root' },
  { field: 'member', value: 'www-data:x' },
  { field: 'member', value: 'www-data\nroot2:x:0:' },
];

/** A profile with one user and one group; `put` is the value of the attacked field (raw or a ${VARIABLE}). */
function accountsBody(field: string, put: string): object {
  const user: Record<string, unknown> = { name: 'www-data', uid: 33, gid: 33, home: '/', shell: '/usr/sbin/nologin', gecos: 'Web pool' };
  const group: Record<string, unknown> = { name: 'www-data', gid: 33, members: ['www-data'] };
  if (field === 'member') group.members = [put];
  else user[field] = put;
  return { extends: 'base', users: [user], groups: [group] };
}

const pointerOf = (field: string): string => (field === 'member' ? '/groups/0/members/0' : `/users/0/${field}`);

test('passwd/group: ":" and newlines in names, home, shell, gecos and members are refused as written and through --set, naming file, line and field; nothing is written', () => {
  const dir = tempDir('jailbuild-attack-accounts-');
  ACCOUNT_ATTACKS.forEach(({ field, value }, i) => {
    // As written in the profile: the schema refuses it.
    const raw = writeProfile(dir, `raw${i}`, accountsBody(field, value));
    const jail = join(dir, `jail-raw${i}`);
    const what = `${field} ${JSON.stringify(value)}`;
    assertRefused(jailbuild(['profile', raw.file, '--out', jail]), `${raw.file}:${lineOf(raw.text, JSON.stringify(value))}: ${pointerOf(field)}: `, `${what} (as written)`);
    assert.not.ok(existsSync(jail), `${what} (as written): no jail`);
    // Through a variable set on the command line: refused after substitution.
    const viaSet = writeProfile(dir, `set${i}`, accountsBody(field, '${HOSTILE}'));
    const jail2 = join(dir, `jail-set${i}`);
    const run = jailbuild(['profile', viaSet.file, '--out', jail2, '--set', `HOSTILE=${value}`]);
    assertRefused(run, `${viaSet.file}:${lineOf(viaSet.text, '"${HOSTILE}"')}: ${pointerOf(field)}: `, `${what} (--set)`);
    assert.ok(run.stderr.includes(JSON.stringify(value)), `${what} (--set): the value is shown escaped, on one line:\n${run.stderr}`);
    assert.not.ok(existsSync(jail2), `${what} (--set): no jail`);
  });
});

test('passwd: --set POOL with a newline, --set POOL=root and --set POOL_UID=0 on the shipped php-fpm profile are refused at its users line', () => {
  const dir = tempDir('jailbuild-attack-pool-var-');
  const text = readFileSync(PHP_FPM, 'utf8');
  // The line of the account itself (the list may open on the line before).
  const usersLine = lineOf(text, '{ "name": "${POOL}", "uid"');
  const groupsLine = lineOf(text, '"groups"');
  const cases: Array<[string, string[]]> = [
    ['POOL=www-data\nroot2:x:0:0::/:/bin/sh', [`${PHP_FPM}:${usersLine}: /users/0/name: `, `${PHP_FPM}:${groupsLine}: /groups/0/name: `]],
    ['POOL=root', [`${PHP_FPM}:${usersLine}: /users/0/name: "root" is already an account of the jail`, `${PHP_FPM}:${groupsLine}: /groups/0/name: "root" is already a group`]],
    ['POOL_UID=0', [`${PHP_FPM}:${usersLine}: /users/0/uid: 0 is root's uid`]],
  ];
  cases.forEach(([set, expected], i) => {
    const jail = join(dir, `jail${i}`);
    const run = jailbuild(['profile', 'php-fpm', '--out', jail, '--set', set]);
    for (const e of expected) assertRefused(run, e, set);
    assert.not.ok(existsSync(jail), `${set}: no jail`);
  });
});

test('passwd: a second uid 0 and a name given twice are refused, also across an extends chain', () => {
  const dir = tempDir('jailbuild-attack-uid0-');
  const toor = writeProfile(dir, 'toor', { extends: 'base', users: [{ name: 'toor', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' }] });
  assertRefused(jailbuild(['profile', toor.file, '--out', join(dir, 'jail1')]), `${toor.file}:${lineOf(toor.text, '"uid": 0')}: /users/0/uid: 0 is root's uid`, 'uid 0');
  // The child repeats the php-fpm parent's www-data with another uid: which line wins is not for a profile to decide.
  const twice = writeProfile(dir, 'twice', { extends: 'php-fpm', users: [{ name: 'www-data', uid: 1001, gid: 33 }] });
  assertRefused(jailbuild(['profile', twice.file, '--out', join(dir, 'jail2')]), `${twice.file}:${lineOf(twice.text, '"www-data"')}: /users/0/name: "www-data" is already an account`, 'twice');
  const group = writeProfile(dir, 'group', { extends: 'base', groups: [{ name: 'root', gid: 1234 }] });
  assertRefused(jailbuild(['profile', group.file, '--out', join(dir, 'jail3')]), `${group.file}:${lineOf(group.text, '"root"')}: /groups/0/name: "root" is already a group`, 'group root');
  for (const j of ['jail1', 'jail2', 'jail3']) assert.not.ok(existsSync(join(dir, j)), `${j}: nothing written`);
});

test('passwd: hostile values in an extends parent are refused naming the parent file and line, whether written there or set by the child', () => {
  const dir = tempDir('jailbuild-attack-parent-');
  const parent = writeProfile(dir, 'parent', {
    extends: 'base',
    variables: { INFO: 'Web pool' },
    users: [{ name: 'www-data', uid: 33, gid: 33, gecos: '${INFO}', home: '/' }],
    groups: [{ name: 'www-data', gid: 33 }],
  });
  const child = writeProfile(dir, 'child', { extends: parent.file, variables: { INFO: 'Web\nroot2:x:0:0::/:/bin/sh' } });
  assertRefused(jailbuild(['profile', child.file, '--out', join(dir, 'jail1')]), `${parent.file}:${lineOf(parent.text, '"${INFO}"')}: /users/0/gecos: `, 'child variable');
  const written = writeProfile(dir, 'written', { extends: 'base', users: [{ name: 'www-data', uid: 33, gid: 33, shell: '/bin/sh\nroot2:x:0:0::/:/bin/sh' }] });
  const child2 = writeProfile(dir, 'child2', { extends: written.file });
  assertRefused(jailbuild(['profile', child2.file, '--out', join(dir, 'jail2')]), `${written.file}:${lineOf(written.text, '"shell"')}: /users/0/shell: `, 'written in the parent');
  // --set reaches the parent too.
  assertRefused(jailbuild(['profile', child.file, '--out', join(dir, 'jail3'), '--set', 'INFO=a:b']), `${parent.file}:${lineOf(parent.text, '"${INFO}"')}: /users/0/gecos: `, '--set through the parent');
  for (const j of ['jail1', 'jail2', 'jail3']) assert.not.ok(existsSync(join(dir, j)), `${j}: nothing written`);
});

test('passwd: a profile made in code meets the same rules when its accounts are written', () => {
  const dir = tempDir('jailbuild-attack-code-');
  const ok = writeProfile(dir, 'ok', accountsBody('gecos', 'Web pool'));
  const profile = loadProfile(ok.file);
  (profile.users[0] as { shell?: string }).shell = '/bin/sh\nroot2:x:0:0::/:/bin/sh';
  assert.throws(
    () => buildPlan(profile),
    (err: unknown) => err instanceof JailError && err.code === 'INPUT' && err.message.includes(`${ok.file}: /users/0/shell:`),
  );
});

test('passwd: a legitimate profile still builds, its files hold exactly root and the pool, and uid 33 runs a shell in it', () => {
  const dir = tempDir('jailbuild-attack-legit-');
  const { file } = writeProfile(dir, 'legit', {
    extends: 'base',
    users: [{ name: 'www-data', uid: 33, gid: 33, home: '/', shell: '/usr/sbin/nologin', gecos: 'Web pool,,,' }],
    groups: [{ name: 'www-data', gid: 33, members: ['www-data'] }],
  });
  const jail = join(dir, 'jail');
  const built = jailbuild(['profile', file, '--out', jail]);
  assert.is(built.code, 0, built.stderr);
  assert.is(readFileSync(join(jail, 'etc/passwd'), 'utf8'), 'root:x:0:0:root:/root:/bin/sh\nwww-data:x:33:33:Web pool,,,:/:/usr/sbin/nologin\n');
  assert.is(readFileSync(join(jail, 'etc/group'), 'utf8'), 'root:x:0:\nwww-data:x:33:www-data\n');
  const run = runInJailAs(jail, ['/bin/sh', '-c', 'echo ok'], '33:33');
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, 'ok\n');
});

test('audit: a second uid 0 and malformed records planted in the /etc/passwd and /etc/group of a built jail are found, in the folder and in a tarball', () => {
  const dir = tempDir('jailbuild-attack-audit-');
  const { file } = writeProfile(dir, 'pool', accountsBody('gecos', 'Web pool'));
  const jail = join(dir, 'jail');
  const built = jailbuild(['profile', file, '--out', jail]);
  assert.is(built.code, 0, built.stderr);
  type Found = { rule: string; severity: string; path: string; message: string };
  const audit = (target: string): { code: number | null; findings: Found[] } => {
    const run = jailbuild(['audit', target, '--json']);
    return { code: run.code, findings: (JSON.parse(run.stdout) as { findings: Found[] }).findings.filter((f) => f.rule.startsWith('account-')) };
  };
  const clean = audit(jail);
  assert.is(clean.code, 0);
  assert.equal(clean.findings, [], 'the built jail has well-formed accounts and one root');

  // As root, what the injections would have left: root under another name, shifted fields, a '\r'.
  appendFileSync(join(jail, 'etc/passwd'), 'toor:x:0:0::/root:/bin/sh\nweb:x:abc:33::/:/bin/sh\nweb2:x:34:34:Web:0:0:/:/bin/sh\nweb3:x:35:35::/:/bin/sh\r\n');
  appendFileSync(join(jail, 'etc/group'), 'evil:x:0:root:extra\nstaff:x:x50:\n');
  const tarball = join(dir, 'jail.tar');
  execFileSync('tar', ['-C', jail, '-cf', tarball, '.']);
  for (const target of [jail, tarball]) {
    const { code, findings } = audit(target);
    assert.is(code, 1, `${target}: a high finding fails the audit`);
    const seen = findings.map((f) => `${f.severity} ${f.rule} ${f.message}`).sort();
    assert.equal(
      seen,
      [
        'high account-second-root /etc/passwd:3: "toor" has uid 0: a second root account, root under another name',
        'medium account-malformed /etc/group:3: the record of "evil" has 5 fields, not 4',
        'medium account-malformed /etc/group:4: the record of "staff" has a gid that is not a number ("x50")',
        'medium account-malformed /etc/passwd:4: the record of "web" has a uid that is not a number ("abc")',
        'medium account-malformed /etc/passwd:5: the record of "web2" has 9 fields, not 7',
        'medium account-malformed /etc/passwd:6: the record of "web3" holds a control character',
      ],
      `${target}:\n${seen.join('\n')}`,
    );
  }
});

const PHP_FPM_BIN = '/usr/sbin/php-fpm8.2';

/** `php-fpm8.2 -tt` on a file holding a minimal [global] section and `pool`: its verdict and its dump of what it read. */
function phpFpmTest(dir: string, name: string, pool: string): { ok: boolean; dump: string } {
  const conf = join(dir, `${name}.conf`);
  writeFileSync(conf, `[global]\nerror_log = /dev/null\n\n${pool}`);
  const run = spawnSync(PHP_FPM_BIN, ['-tt', '-y', conf], { encoding: 'utf8', timeout: 60_000 });
  const dump = `${run.stdout}${run.stderr}`.replace(/^\[[^\]]*\] (NOTICE|WARNING|ERROR): ?\t?/gm, '');
  return { ok: run.status === 0 && dump.includes('test is successful'), dump };
}

/** The pools php-fpm's dump lists, each with the settings it read: `[wiki]` -> {chroot: ..., ...}. */
function poolsIn(dump: string): Map<string, Map<string, string>> {
  const pools = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const line of dump.split('\n')) {
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      if (section[1] !== 'global') pools.set(section[1] as string, current);
      continue;
    }
    const kv = /^(\S+) = (.*)$/.exec(line);
    if (kv && current) current.set(kv[1] as string, kv[2] as string);
  }
  return pools;
}

/**
 * The pool file as jailbuild printed it before its values were checked: every value raw, in the same
 * lines (the template of the earlier src/phpfpm/pool-config.ts, without sendmail).
 */
function printedByOldCode(v: { file: string; jail: string; name: string; prefix: string; user: string; socket: string; path: string }): string {
  return (
    [
      `; PHP-FPM pool for the jail ${v.jail}, written by jailbuild from ${v.file}`,
      `[${v.name}]`,
      `prefix = ${v.prefix}`,
      `user = ${v.user}`,
      `group = ${v.user}`,
      `listen = ${v.socket}`,
      'listen.owner = www-data',
      'listen.group = www-data',
      'listen.mode = 0660',
      'pm = ondemand',
      'pm.max_children = 5',
      'pm.process_idle_timeout = 60s',
      'pm.max_requests = 500',
      `chroot = ${v.jail}`,
      'chdir = /',
      `env[PATH] = ${v.path}`,
      'env[TMPDIR] = /tmp',
      'php_admin_value[session.save_path] = /var/lib/php/sessions',
      'php_admin_value[sys_temp_dir] = /tmp',
      'php_admin_value[upload_tmp_dir] = /tmp',
    ].join('\n') + '\n'
  );
}

/** A folder to act as the built jail (php-fpm -tt wants the chroot to exist), with or without /usr/bin/sendmail. */
function jailFolder(dir: string, sendmail: boolean): string {
  const jail = join(dir, 'jail');
  mkdirSync(join(jail, 'usr/bin'), { recursive: true });
  if (sendmail) writeFileSync(join(jail, 'usr/bin/sendmail'), '');
  return jail;
}

test('pool: the configuration jailbuild prints passes php-fpm8.2 -tt, names quoted, paths and sendmail_path as php-fpm reads them', () => {
  const dir = tempDir('jailbuild-attack-fpm-ok-');
  const jail = jailFolder(dir, true);
  const socket = join(dir, 'wiki.sock');
  const run = jailbuild(['php-fpm-pool', 'php-fpm', '--name', 'wiki', '--out', jail, '--socket', socket, '--prefix', dir, '--listen-mode', '0600', '--pm', 'dynamic', '--max-children', '8', '--handler']);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout, /^user = "www-data"$/m);
  assert.match(run.stdout, 'php_admin_value[sendmail_path] = "/usr/bin/sendmail -t -i --username=www-data"');
  const fpm = phpFpmTest(dir, 'ok', run.stdout);
  assert.ok(fpm.ok, fpm.dump);
  const pools = poolsIn(fpm.dump);
  assert.equal([...pools.keys()], ['wiki']);
  const wiki = pools.get('wiki') as Map<string, string>;
  for (const [k, v] of [
    ['user', 'www-data'],
    ['group', 'www-data'],
    ['listen', socket],
    ['listen.owner', 'www-data'],
    ['listen.mode', '0600'],
    ['pm', 'dynamic'],
    ['pm.max_children', '8'],
    ['chroot', jail],
    ['env[PATH]', '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    ['php_admin_value[sendmail_path]', '/usr/bin/sendmail -t -i --username=www-data'],
  ]) {
    assert.is(wiki.get(k as string), v, `${k} as php-fpm read it`);
  }
});

test('pool: the injections are real: php-fpm -tt accepts a raw newline in env[PATH] or the user name, and the pool loses its chroot or gains a second unjailed one', () => {
  const dir = tempDir('jailbuild-attack-fpm-old-');
  const jail = jailFolder(dir, false);
  const base = { file: PHP_FPM, jail, name: 'wiki', prefix: dir, user: 'www-data', socket: join(dir, 'wiki.sock'), path: '/usr/bin:/bin' };
  const clean = phpFpmTest(dir, 'clean', printedByOldCode(base));
  assert.ok(clean.ok, clean.dump);
  assert.is(poolsIn(clean.dump).get('wiki')?.get('chroot'), jail, 'the template itself is a jailed pool');

  // env[PATH] comes after chroot: the injected line wins.
  const chrootRoot = phpFpmTest(dir, 'chroot', printedByOldCode({ ...base, path: '/usr/bin:/bin\nchroot = /' }));
  assert.ok(chrootRoot.ok, chrootRoot.dump);
  assert.is(poolsIn(chrootRoot.dump).get('wiki')?.get('chroot'), '/', 'the pool runs chrooted to /');

  // A whole second pool, with no chroot at all.
  const evil = phpFpmTest(dir, 'evil', printedByOldCode({ ...base, path: `/usr/bin:/bin\n[evil]\nuser = www-data\nlisten = ${join(dir, 'evil.sock')}\npm = static\npm.max_children = 1` }));
  assert.ok(evil.ok, evil.dump);
  assert.equal([...poolsIn(evil.dump).keys()], ['wiki', 'evil']);
  assert.is(poolsIn(evil.dump).get('evil')?.get('chroot'), 'undefined', 'the second pool is not jailed');

  // Through the user name (POOL): a php_admin_value the pool's owner never wrote.
  const basedir = phpFpmTest(dir, 'basedir', printedByOldCode({ ...base, user: 'www-data\nphp_admin_value[open_basedir] = /' }));
  assert.ok(basedir.ok, basedir.dump);
  assert.is(poolsIn(basedir.dump).get('wiki')?.get('php_admin_value[open_basedir]'), '/');

  // A '\r' is a line end to the INI scanner though php-fpm splits its file on '\n' only.
  const cr = phpFpmTest(dir, 'cr', printedByOldCode({ ...base, path: '/usr/bin:/bin\rchroot = /' }));
  assert.ok(cr.ok, cr.dump);
  assert.is(poolsIn(cr.dump).get('wiki')?.get('chroot'), '/');

  // jailbuild refuses every one of those values.
  const set = jailbuild(['php-fpm-pool', 'php-fpm', '--name', 'wiki', '--out', jail, '--set', 'POOL=www-data\nphp_admin_value[open_basedir] = /']);
  assertRefused(set, `${PHP_FPM}:${lineOf(readFileSync(PHP_FPM, 'utf8'), '{ "name": "${POOL}", "uid"')}: /users/0/name: `, 'POOL with a php_admin_value');
  for (const [i, path] of ['/usr/bin:/bin\nchroot = /', `/usr/bin:/bin\n[evil]\nuser = www-data`, '/usr/bin:/bin\rchroot = /'].entries()) {
    const p = writeProfile(dir, `path${i}`, { extends: 'php-fpm', path });
    assertRefused(jailbuild(['php-fpm-pool', p.file, '--name', 'wiki', '--out', jail]), `${p.file}:${lineOf(p.text, '"path"')}: /path: `, `path ${JSON.stringify(path)}`);
  }
});

test('pool: hostile options and profile values are refused with exit 2 naming the option or the profile field; nothing is printed', () => {
  const dir = tempDir('jailbuild-attack-fpm-');
  const jail = jailFolder(dir, true);
  const pool = (args: string[], profile = 'php-fpm', cwd = dir): CliRun => jailbuild(['php-fpm-pool', profile, ...args], { cwd });
  const php = readFileSync(PHP_FPM, 'utf8');
  const cases: Array<[string, CliRun, string]> = [
    ['--set POOL with a newline', pool(['--name', 'wiki', '--out', jail, '--set', 'POOL=www-data\nchroot = /']), `${PHP_FPM}:${lineOf(php, '{ "name": "${POOL}", "uid"')}: /users/0/name: `],
    ['--socket with a newline', pool(['--name', 'wiki', '--out', jail, '--socket', `${join(dir, 'wiki.sock')}\nchroot = /`]), '--socket: '],
    ['--socket relative', pool(['--name', 'wiki', '--out', jail, '--socket', 'wiki.sock']), '--socket: '],
    ["--name with ']'", pool(['--name', 'wiki]\nchroot = /\n[x', '--out', jail]), '--name: '],
    ['--name with a space', pool(['--name', 'wiki pool', '--out', jail]), '--name: '],
    ['--name global', pool(['--name', 'global', '--out', jail]), '--name: '],
    ['--listen-owner with a newline', pool(['--name', 'wiki', '--out', jail, '--listen-owner', 'www-data\nchroot = /']), '--listen-owner: '],
    ["--listen-group with ';'", pool(['--name', 'wiki', '--out', jail, '--listen-group', 'www-data;x']), '--listen-group: '],
    ['--listen-mode not octal', pool(['--name', 'wiki', '--out', jail, '--listen-mode', '0660\nchroot = /']), '--listen-mode: '],
    ['--listen-mode 0999', pool(['--name', 'wiki', '--out', jail, '--listen-mode', '0999']), '--listen-mode: '],
    ['--prefix with a newline', pool(['--name', 'wiki', '--out', jail, '--prefix', '/srv/php-fpm\n[evil]']), '--prefix: '],
    ['--max-children with a newline', pool(['--name', 'wiki', '--out', jail, '--max-children', '5\nchroot = /']), '--max-children '],
    ['--max-children 0', pool(['--name', 'wiki', '--out', jail, '--max-children', '0']), '--max-children '],
    ['--out with a newline', pool(['--name', 'wiki', '--out', `${jail}\nchroot = /`]), '--out: '],
    ['--out with a space', pool(['--name', 'wiki', '--out', join(dir, 'my jail')]), '--out: '],
  ];
  const noUsers = writeProfile(dir, 'no-users', { extends: 'base', variables: { POOL: 'www-data' } });
  cases.push(['POOL of a profile without users', pool(['--name', 'wiki', '--out', jail, '--set', 'POOL=www-data\n[evil]'], noUsers.file), `${noUsers.file}: variable POOL`]);
  cases.push(['pool name as user name', pool(['--name', 'Wiki', '--out', jail], writeProfile(dir, 'bare', { extends: 'base' }).file), "--name (the pool's user"]);
  const out = writeProfile(dir, 'out', { extends: 'base', out: `${jail}\nchroot = /` });
  cases.push(['profile out with a newline', pool(['--name', 'wiki'], out.file), `${out.file}:${lineOf(out.text, '"out"')}: /out: `]);
  const named = writeProfile(dir, 'named', { extends: 'base', name: 'wiki;chroot' });
  cases.push(['profile name, the default jail folder', pool(['--name', 'wiki'], named.file), `${named.file}:${lineOf(named.text, '"name"')}: /name: `]);
  const parent = writeProfile(dir, 'parent', { extends: 'php-fpm', path: '/usr/bin:${EXTRA}', variables: { EXTRA: '/bin' } });
  const child = writeProfile(dir, 'child', { extends: parent.file, variables: { EXTRA: '/bin\n[evil]' } });
  cases.push(['path through an extends parent', pool(['--name', 'wiki', '--out', jail], child.file), `${parent.file}:${lineOf(parent.text, '"path"')}: /path: `]);
  const oddFile = join(dir, 'evil\n[x].json');
  writeFileSync(oddFile, JSON.stringify({ extends: 'base' }));
  cases.push(['a profile file name with a newline', pool(['--name', 'wiki', '--out', jail], oddFile), 'the profile file name: ']);
  for (const [what, run, where] of cases) assertRefused(run, where, what);
});

test.run();
