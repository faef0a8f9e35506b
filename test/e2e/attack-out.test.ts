/**
 * Attacks on where a jail goes: --out (or a profile's "out") naming a folder jailbuild did not build,
 * a forged mark, an output over what the build reads, leftovers planted by another user, and a
 * variable that blows up when expanded.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jailbuild } from '../helpers/cli.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const asUser = (uid: number, script: string, ...args: string[]): void => {
  execFileSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'sh', '-c', script, 'sh', ...args]);
};

test('--out or a profile\'s "out" naming a folder jailbuild did not build: refused, its files kept; --force replaces it', () => {
  const dir = tempDir('jailbuild-out-');
  const site = join(dir, 'site');
  mkdirSync(join(site, 'htdocs'), { recursive: true });
  writeFileSync(join(site, 'htdocs', 'index.php'), '<?php // the live site\n');
  const cli = jailbuild(['profile', 'base', '--out', site]);
  assert.is(cli.code, 2);
  assert.match(cli.stderr, /site: an existing folder that jailbuild did not build .*refusing to replace it.*--force/);
  const profileDir = join(dir, 'profiles', 'nested');
  mkdirSync(profileDir, { recursive: true });
  const hostile = join(profileDir, 'p.json');
  writeFileSync(hostile, JSON.stringify({ extends: 'base', out: '../../site' }));
  const viaProfile = jailbuild(['profile', hostile]);
  assert.is(viaProfile.code, 2, viaProfile.stdout);
  assert.is(readFileSync(join(site, 'htdocs', 'index.php'), 'utf8'), '<?php // the live site\n');
  const forced = jailbuild(['profile', 'base', '--out', site, '--force']);
  assert.is(forced.code, 0, forced.stderr);
  assert.ok(existsSync(join(site, 'bin')) || existsSync(join(site, 'usr')), 'the jail replaced it');
  // Built once: rebuilt without --force; the mark lies beside it, outside the jail.
  assert.is(jailbuild(['profile', 'base', '--out', site]).code, 0);
  assert.ok(lstatSync(join(dir, '.site.jailbuild.json')).isFile());
  assert.not.ok(
    readdirSync(site).some((n) => n.includes('jailbuild')),
    'no mark inside the jail',
  );
});

test('a mark forged by another user (uid 33) in a folder anyone may write is not trusted', () => {
  const dir = tempDir('jailbuild-forge-');
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const victim = join(shared, 'data');
  asUser(33, 'mkdir "$1" && echo subscribers > "$1/list"', victim);
  const st = statSync(victim, { bigint: true });
  asUser(33, 'printf "%s" "$2" > "$1"', join(shared, '.data.jailbuild.json'), JSON.stringify({ jailbuild: 2, folders: [`${st.dev}:${st.ino}:${st.birthtimeNs}`] }));
  const run = jailbuild(['profile', 'base', '--out', victim]);
  assert.is(run.code, 2);
  assert.match(run.stderr, /did not build/);
  assert.is(readFileSync(join(victim, 'list'), 'utf8'), 'subscribers\n');
});

test('leftovers planted by another user beside the output are neither restored nor removed', () => {
  const dir = tempDir('jailbuild-plant-');
  const shared = join(dir, 'tmp');
  mkdirSync(shared);
  chmodSync(shared, 0o1777);
  const planted = join(shared, '.jail.jailbuild-old-999999-1');
  asUser(1001, 'mkdir "$1" && echo mine > "$1/file"', planted);
  const out = join(shared, 'jail');
  const run = jailbuild(['profile', 'base', '--out', out]);
  assert.is(run.code, 0, run.stderr);
  assert.ok(existsSync(join(out, 'bin')) || existsSync(join(out, 'usr')), 'a real jail, not the planted folder');
  assert.is(readFileSync(join(planted, 'file'), 'utf8'), 'mine\n', 'the planted folder is untouched');
});

test('an output that holds or lies inside what the build reads is refused, even with --force', () => {
  const dir = tempDir('jailbuild-reads-');
  const data = join(dir, 'data');
  mkdirSync(join(data, 'sub'), { recursive: true });
  writeFileSync(join(data, 'sub', 'file'), 'data\n');
  const profile = join(dir, 'p.json');
  writeFileSync(profile, JSON.stringify({ extends: 'base', trees: [join(data, 'sub')] }));
  for (const [out, why] of [
    [data, /holds .*data\/sub.*, which this build reads/],
    [join(data, 'sub', 'jail'), /lies inside .*data\/sub, which this build reads/],
    [dir, /holds .*, which this build reads/],
  ] as const) {
    const run = jailbuild(['profile', profile, '--out', out, '--force']);
    assert.is(run.code, 2, `${out}: ${run.stdout}`);
    assert.match(run.stderr, why);
  }
  assert.is(readFileSync(join(data, 'sub', 'file'), 'utf8'), 'data\n');
  assert.ok(existsSync(profile));
});

test('a variable that doubles 40 times is refused with exit 2 naming it', () => {
  const dir = tempDir('jailbuild-vars-');
  const variables: Record<string, string> = { A0: 'xxxxxxxxxx' };
  for (let i = 1; i <= 40; i++) variables[`A${i}`] = `\${A${i - 1}}\${A${i - 1}}`;
  const profile = join(dir, 'boom.json');
  writeFileSync(profile, JSON.stringify({ extends: 'base', variables, contents: [{ path: '/etc/x', text: '${A40}' }] }));
  const run = jailbuild(['profile', profile, '--out', join(dir, 'jail')]);
  assert.is(run.code, 2);
  assert.match(run.stderr, /boom\.json: variable A\d+: its value grows past 65536 characters/);
  // Through --set, into a profile string many times over.
  // Each string stays small; together they would fill memory.
  writeFileSync(profile, JSON.stringify({ extends: 'base', variables: { X: '' }, contents: Array.from({ length: 5000 }, (_, i) => ({ path: `/etc/x${i}`, text: '${X}'.repeat(16) })) }));
  const set = jailbuild(['profile', profile, '--out', join(dir, 'jail'), '--set', `X=${'y'.repeat(20000)}`]);
  assert.is(set.code, 2);
  assert.match(set.stderr, /\/contents\/\d+\/text: with \$\{X\}, variables make the profile more than 4194304 characters longer/);
  assert.not.ok(existsSync(join(dir, 'jail')));
  rmSync(profile);
});

test.run();
