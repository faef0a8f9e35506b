/**
 * Attacks found by a review of the first round of fixes, each performed on a real jail: a file
 * capability carried in by --link, an OCI layout or a tarball written over what the build reads, a
 * reused inode passing for a built jail, a source owner racing script reads to get secret lines
 * printed, archives of secrets readable by all, a source root inside a private folder, forged process
 * names, a tree too deep to remove, and grants smuggled in by an extended profile or a --set value.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jailbuild } from '../helpers/cli.js';
import { compileStatic, EXCHANGER_C, NAMED_SLEEPER_C, NESTER_C, plant, READER_C, startInJail, stop } from '../helpers/inmate.js';
import { runInJailAs } from '../helpers/jail.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const POOL = { users: [{ name: 'www-data', uid: 33, gid: 33 }], groups: [{ name: 'www-data', gid: 33 }] };
const SECRET = 'HUNTER2-TOP-SECRET';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function profileFile(dir: string, name: string, body: object): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ extends: 'base', ...POOL, ...body }));
  return file;
}

test('--link never carries a file capability into the jail: the inmate gets no DAC bypass', () => {
  const dir = tempDir('jailbuild-cap-');
  const reader = join(dir, 'reader');
  execFileSync('cp', [compileStatic('reader', READER_C), reader]);
  chmodSync(reader, 0o755);
  execFileSync('setcap', ['cap_dac_read_search+ep', reader]);
  assert.match(execFileSync('getcap', [reader], { encoding: 'utf8' }), /cap_dac_read_search/);
  const profile = profileFile(dir, 'cap', {
    binaries: [{ path: reader, as: '/usr/bin/helper', mode: '0755', group: 0 }],
    contents: [{ path: '/etc/root-only', text: `${SECRET}\n`, mode: '0600' }],
  });
  const jail = join(dir, 'jail');
  const run = jailbuild(['profile', profile, '--out', jail, '--link']);
  assert.is(run.code, 0, run.stderr);
  assert.is.not(lstatSync(join(jail, 'usr/bin/helper')).ino, lstatSync(reader).ino, 'copied, not linked');
  assert.is(execFileSync('getcap', [join(jail, 'usr/bin/helper')], { encoding: 'utf8' }).trim(), '', 'no capability in the jail');
  const attack = runInJailAs(jail, ['/usr/bin/helper', '/etc/root-only']);
  assert.is.not(attack.status, 0);
  assert.not.match(attack.stdout, SECRET);
  assert.match(attack.stderr, /Permission denied/);
});

test('--oci, --tar and --manifest over what the build reads are refused, also with --force; nothing is lost', () => {
  const dir = tempDir('jailbuild-ocisrc-');
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'index.php'), '<?php // live\n');
  const profile = profileFile(dir, 'oci', { trees: [app] });
  for (const args of [
    ['--oci', app, '--force'],
    ['--tar', join(app, 'index.php')],
    ['--manifest', join(app, 'index.php')],
    ['--oci', join(app, 'sub')],
  ]) {
    const run = jailbuild(['profile', profile, ...args]);
    assert.is(run.code, 2, `${args.join(' ')}: ${run.stdout}`);
    assert.match(run.stderr, /which this build reads/);
    assert.is(readFileSync(join(app, 'index.php'), 'utf8'), '<?php // live\n');
  }
});

test('a jail removed by hand and an unrelated folder made in its place (its inode reused) is not replaced', () => {
  const dir = tempDir('jailbuild-reuse-');
  const site = join(dir, 'site');
  assert.is(jailbuild(['profile', 'base', '--out', site]).code, 0);
  const ino = statSync(site).ino;
  rmSync(site, { recursive: true });
  mkdirSync(join(site, 'htdocs'), { recursive: true });
  writeFileSync(join(site, 'htdocs', 'index.php'), 'live\n');
  const run = jailbuild(['profile', 'base', '--out', site]);
  assert.is(run.code, 2, run.stdout);
  assert.match(run.stderr, /did not build/);
  assert.is(readFileSync(join(site, 'htdocs', 'index.php'), 'utf8'), 'live\n');
  console.log(`  inode reuse: the new folder ${statSync(site).ino === ino ? "got the old jail's inode" : 'got another inode'}; refused either way`);
});

test('a source owner exchanging a script with a link to a root-only file while the build reads it: no secret line is ever printed', async () => {
  const dir = tempDir('jailbuild-scriptrace-');
  const owner = 1001;
  const app = join(dir, 'app');
  const aside = join(dir, 'aside');
  const priv = join(dir, 'private');
  mkdirSync(priv, { mode: 0o700 });
  chmodSync(priv, 0o700);
  writeFileSync(join(priv, 'creds'), `localhost:5432:*:postgres:${SECRET}\nadmin:${SECRET}:0:0\n`, { mode: 0o600 });
  for (const d of [app, aside]) {
    mkdirSync(d);
    chownSync(d, owner, owner);
  }
  writeFileSync(join(app, 'x0'), '#!/bin/sh\necho decoy\n', { mode: 0o755 });
  chownSync(join(app, 'x0'), owner, owner);
  symlinkSync(join(priv, 'creds'), join(aside, 'x0'));
  const exchanger = compileStatic('exchanger', EXCHANGER_C);
  const racer = spawn('setpriv', [`--reuid=${owner}`, `--regid=${owner}`, '--clear-groups', exchanger, join(app, 'x0'), join(aside, 'x0')], { stdio: 'ignore' });
  const profile = profileFile(dir, 'race', { binaries: ['/bin/sh'], trees: [{ path: app, resolve: true }] });
  let printed = '';
  try {
    await sleep(50);
    assert.is(racer.exitCode, null, 'the owner races');
    for (let i = 0; i < 20; i++) {
      const run = jailbuild(['profile', profile, '--out', join(dir, `jail${i}`)]);
      printed += run.stdout + run.stderr;
    }
  } finally {
    await stop(racer);
  }
  assert.not.match(printed, SECRET, 'no build printed a line of the root-only file');
  const jails = readdirSync(dir).filter((n) => n.startsWith('jail'));
  const inJails = spawnSync('grep', ['-rl', SECRET, ...jails.map((j) => join(dir, j))], { encoding: 'utf8' }).stdout.trim();
  assert.is(inJails, '', 'and no jail holds it');
});

test('a tarball or OCI layout of a jail holding a "secret": true file is readable by its owner only', () => {
  const dir = tempDir('jailbuild-secret-archive-');
  const creds = join(dir, 'creds');
  writeFileSync(creds, `${SECRET}\n`, { mode: 0o600 });
  const profile = profileFile(dir, 'sec', { files: [{ path: creds, secret: true, mode: '0600' }] });
  const tar = join(dir, 'jail.tar');
  const oci = join(dir, 'oci');
  const run = jailbuild(['profile', profile, '--tar', tar, '--oci', oci]);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stdout + run.stderr, /written readable by their owner only/);
  assert.is(statSync(tar).mode & 0o777, 0o600);
  assert.is(statSync(oci).mode & 0o777, 0o700);
  for (const blob of readdirSync(join(oci, 'blobs', 'sha256'))) assert.is(statSync(join(oci, 'blobs', 'sha256', blob)).mode & 0o077, 0, blob);
  const other = spawnSync('setpriv', ['--reuid=1001', '--regid=1001', '--clear-groups', 'tar', '-xOf', tar], { encoding: 'utf8' });
  assert.is.not(other.status, 0);
  assert.not.match(other.stdout, SECRET);
});

test('a source root inside a folder others may not enter: nothing of it is copied', () => {
  const dir = tempDir('jailbuild-privroot-');
  const priv = join(dir, 'private2');
  mkdirSync(join(priv, 'sub'), { recursive: true, mode: 0o700 });
  chmodSync(priv, 0o700);
  writeFileSync(join(priv, 'sub', 'notes'), 'ALICE-DIARY\n', { mode: 0o644 });
  const profile = join(dir, 'p.json');
  writeFileSync(profile, JSON.stringify({ root: priv, files: ['/sub/notes'] }));
  const run = jailbuild(['profile', profile, '--out', join(dir, 'jail')]);
  assert.is(run.code, 2, run.stdout);
  assert.match(run.stderr, /the source root .*private2 \(mode 0700, owner 0:0\) is a folder others may not enter/);
  assert.not.ok(existsSync(join(dir, 'jail')));
});

test('a process name chosen by an inmate cannot forge lines or terminal escapes in the build output', async () => {
  const dir = tempDir('jailbuild-comm-');
  const profile = profileFile(dir, 'p', {});
  const jail = join(dir, 'jail');
  assert.is(jailbuild(['profile', profile, '--out', jail]).code, 0);
  plant(jail, compileStatic('named', NAMED_SLEEPER_C), '/tmp/named');
  const inmate = startInJail(jail, ['/tmp/named', 'x)\njailbuild: \x1b[2J']);
  try {
    await sleep(100);
    const run = jailbuild(['profile', profile, '--out', jail]);
    assert.is(run.code, 0, run.stderr);
    const warning = run.stderr.split('\n').find((l) => l.includes('still run inside the previous jail')) ?? '';
    // The kernel keeps 15 bytes of a name: "x)", a newline, "jailbuild: ", the escape character.
    assert.match(warning, `${inmate.pid} (x)\\x0ajailbuild: \\x1b)`, 'the name is escaped, on the warning line');
    assert.not.ok(run.stderr.includes('\x1b'), 'no raw escape character');
  } finally {
    await stop(inmate);
  }
});

test('an inmate nesting 600 folders in /tmp does not stop this rebuild or the next', () => {
  const dir = tempDir('jailbuild-deep-');
  const profile = profileFile(dir, 'p', {});
  const jail = join(dir, 'jail');
  assert.is(jailbuild(['profile', profile, '--out', jail]).code, 0);
  plant(jail, compileStatic('nester', NESTER_C), '/tmp/nester');
  const made = runInJailAs(jail, ['/tmp/nester', '/tmp/n', '600']);
  assert.is(made.status, 0, made.stderr);
  for (let i = 0; i < 2; i++) {
    const run = jailbuild(['profile', profile, '--out', jail]);
    assert.is(run.code, 0, run.stderr);
    assert.not.match(run.stderr, /could not be removed/);
  }
  assert.equal(
    readdirSync(dir).filter((n) => n.includes('.jailbuild-')),
    [],
    'nothing left beside the jail',
  );
});

test('grants from an extended profile (secret, allowSetuid, a disk device) and a --set mount source /etc are refused', () => {
  const dir = tempDir('jailbuild-grants-');
  const creds = join(dir, 'creds');
  writeFileSync(creds, 'x\n', { mode: 0o600 });
  for (const [name, body, why] of [
    ['secret', { files: [{ path: creds, secret: true }] }, /"secret": true can only be granted by the profile named on the command line/],
    ['setuid', { binaries: [{ path: '/bin/dash', as: '/usr/bin/rootsh', mode: '4755', allowSetuid: true }] }, /"allowSetuid": true can only be granted/],
    ['disk', { devices: [{ path: '/dev/disk0', type: 'block', major: 254, minor: 0, mode: '0666' }] }, /the block device 254,0 can only be granted/],
  ] as const) {
    const parent = join(dir, `${name}-parent.json`);
    writeFileSync(parent, JSON.stringify(body));
    const child = join(dir, `${name}.json`);
    writeFileSync(child, JSON.stringify({ extends: ['base', parent] }));
    const run = jailbuild(['profile', child, '--out', join(dir, `jail-${name}`)]);
    assert.is(run.code, 2, `${name}: ${run.stdout}`);
    assert.match(run.stderr, why);
  }
  const jail = join(dir, 'pool');
  assert.is(jailbuild(['profile', 'php-fpm', '--out', jail, '--set', 'WEBROOT=/etc']).code, 0);
  const mount = jailbuild(['mount', 'php-fpm', '--out', jail, '--set', 'WEBROOT=/etc']);
  assert.is(mount.code, 2, mount.stdout);
  assert.match(mount.stderr, /\/etc is inside \/etc, a system folder: a jail never gets it mounted/);
  assert.is(jailbuild(['umount', 'php-fpm', '--out', jail, '--set', 'WEBROOT=/etc']).code, 0, 'nothing left mounted');
});

test.run();
