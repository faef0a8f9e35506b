/**
 * Attacks through profile values that end up in text files other programs parse: the jail's
 * /etc/passwd and /etc/group (':' and newlines add accounts or shift fields). Each hostile value
 * arrives as written in a profile, through --set and through an extends parent, and is refused
 * naming the file, the line and the field, with nothing written.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { JailError } from '../../src/errors.js';
import { type CliRun, jailbuild, TOP } from '../helpers/cli.js';
import { runInJailAs } from '../helpers/jail.js';
import { tempDir } from '../helpers/tmp.js';

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
  const usersLine = lineOf(text, '"users"');
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

test.run();
