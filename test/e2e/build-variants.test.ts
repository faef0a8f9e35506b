/**
 * The same profile gives the same tree whatever --jobs, the cache state, --link or the working folder.
 */
import { existsSync, lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jailbuild } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { snapshotTree } from '../helpers/tree-snapshot.js';

test('--jobs 1 and 8, cold and warm cache, another working folder, --link: the same tree', () => {
  const cacheHome = tempDir('jailbuild-xdg-');
  const build = (args: string[], cwd = '/'): string[] => {
    const out = join(tempDir('jailbuild-variant-'), 'jail');
    const run = jailbuild(['profile', 'ghostscript', '--out', out, ...args], { cwd, env: { XDG_CACHE_HOME: cacheHome } });
    assert.is(run.code, 0, run.stderr);
    return snapshotTree(out, { mtime: true });
  };
  const reference = build(['--jobs', '1', '--no-cache']);
  assert.ok(reference.length > 500);
  assert.equal(build(['--jobs', '8']), reference, 'jobs 8, cold cache');
  assert.ok(existsSync(join(cacheHome, 'jailbuild')), 'the cache was written where XDG_CACHE_HOME says');
  assert.equal(build(['--jobs', '2']), reference, 'warm cache');
  assert.equal(build(['--jobs', '3'], tempDir('jailbuild-cwd-')), reference, 'another working folder');
  // --link changes how files get there, not what the tree is.
  assert.equal(build(['--link']), reference, '--link');
});

test('--link shares files whose owner and mode already match, copies the others', () => {
  const dir = tempDir('jailbuild-link2-');
  const out = join(dir, 'jail');
  const profile = join(dir, 'keep.json');
  writeFileSync(profile, JSON.stringify({ extends: 'base', permissions: { mode: 'keep' } }));
  const run = jailbuild(['profile', profile, '--out', out, '--link']);
  assert.is(run.code, 0, run.stderr);
  const dash = lstatSync(join(out, 'usr/bin/dash'));
  const source = lstatSync('/usr/bin/dash');
  assert.is(dash.ino === source.ino, dash.dev === source.dev, 'linked when on the same file system');
});

test.run();
