/**
 * The same profile gives the same tree whatever --jobs, the cache state, --link or the working folder.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BIN, jailbuild } from '../helpers/cli.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

test.after.each(cleanupTempDirs);

test('--jobs 1 and 8, cold and warm cache, another working folder, --link: the same tree', () => {
  const cacheHome = tempDir('jailbuild-xdg-');
  const build = (args: string[], cwd = '/', mtime = true): string[] => {
    const out = join(tempDir('jailbuild-variant-'), 'jail');
    const run = jailbuild(['profile', 'ghostscript', '--out', out, ...args], { cwd, env: { XDG_CACHE_HOME: cacheHome } });
    assert.is(run.code, 0, run.stderr);
    return snapshotTree(out, { mtime });
  };
  const reference = build(['--jobs', '1', '--no-cache']);
  assert.ok(reference.length > 500);
  assert.equal(build(['--jobs', '8']), reference, 'jobs 8, cold cache');
  assert.ok(existsSync(join(cacheHome, 'jailbuild')), 'the cache was written where XDG_CACHE_HOME says');
  assert.equal(build(['--jobs', '2']), reference, 'warm cache');
  assert.equal(build(['--jobs', '3'], tempDir('jailbuild-cwd-')), reference, 'another working folder');
  // --link changes how files get there, not what the tree is, but for the times of the files it links
  // (they are the source's: README says so).
  const untimed = (lines: string[]): string[] => lines.map((l) => l.replace(/ t=\d+/, ''));
  assert.equal(build(['--link'], '/', false), untimed(reference), '--link');
});

test('the .tar and .tar.gz are byte-identical whatever --jobs, the cache, the working folder, umask, TZ and LANG', () => {
  const cacheHome = tempDir('jailbuild-xdg-');
  const sums = (args: string[], opts: { cwd?: string; env?: Record<string, string>; umask?: string } = {}): string[] => {
    const dir = tempDir('jailbuild-tarvariant-');
    const env = { XDG_CACHE_HOME: cacheHome, SOURCE_DATE_EPOCH: '1700000000', ...opts.env };
    for (const ext of ['tar', 'tar.gz']) {
      const cmd = `umask ${opts.umask ?? '022'} && exec "$0" "$1" profile ghostscript --tar ${join(dir, `j.${ext}`)} ${args.join(' ')}`;
      const run = spawnSync('sh', ['-c', cmd, process.execPath, BIN], { cwd: opts.cwd ?? '/', env: { ...process.env, ...env }, encoding: 'utf8' });
      assert.is(run.status, 0, run.stderr);
    }
    return ['tar', 'tar.gz'].map((ext) =>
      createHash('sha256')
        .update(readFileSync(join(dir, `j.${ext}`)))
        .digest('hex'),
    );
  };
  const reference = sums(['--jobs', '1', '--no-cache']);
  assert.equal(sums(['--jobs', '8']), reference, 'jobs 8, cold cache');
  assert.equal(sums(['--jobs', '2']), reference, 'warm cache');
  assert.equal(sums([], { cwd: tempDir('jailbuild-cwd-'), umask: '077', env: { TZ: 'Asia/Tokyo', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } }), reference, 'cwd, umask, TZ, LANG');
});

test('--link shares files whose owner and mode already match, copies the others and every executable', () => {
  const dir = tempDir('jailbuild-link2-');
  const out = join(dir, 'jail');
  const profile = join(dir, 'keep.json');
  writeFileSync(profile, JSON.stringify({ extends: 'base', permissions: { mode: 'keep' } }));
  // The jail must be on the source's file system, or nothing can be linked and the test proves nothing.
  assert.is(lstatSync(dir).dev, lstatSync('/usr/bin/dash').dev, 'the test folder is on the file system of /usr');
  const run = jailbuild(['profile', profile, '--out', out, '--link']);
  assert.is(run.code, 0, run.stderr);
  // /etc/localtime's zone file: 0644 root:root, the same in the jail with "mode": "keep".
  const zone = realpathSync('/etc/localtime');
  assert.is(lstatSync(join(out, zone)).ino, lstatSync(zone).ino, 'a data file with the same owner and mode is linked');
  assert.is.not(lstatSync(join(out, 'usr/bin/dash')).ino, lstatSync('/usr/bin/dash').ino, 'an executable is copied');
});

test.run();
