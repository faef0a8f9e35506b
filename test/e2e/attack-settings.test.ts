/**
 * Attacks through jailbuild's settings file: jailbuild reads jailbuild.config.js (code) or .json from
 * the working folder, as root, and the settings decide where profiles and the analysis cache come
 * from. A settings file that someone else could have written is refused, and never run.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jailbuild } from '../helpers/cli.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const OTHER = 65534;

/** A folder with a settings file that, if run, leaves a marker file behind. */
function planted(dir: string, name = 'jailbuild.config.js'): { config: string; marker: string } {
  const marker = join(dir, 'RAN');
  const config = join(dir, name);
  writeFileSync(config, name.endsWith('.json') ? JSON.stringify({ jobs: 2 }) : `require('node:fs').writeFileSync(${JSON.stringify(marker)}, String(process.getuid()));\nmodule.exports = { jobs: 2 };\n`);
  return { config, marker };
}

test('a jailbuild.config.js in a folder others may write is refused and never run', () => {
  const dir = join(tempDir('jailbuild-settings-'), 'shared');
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  const { marker } = planted(dir);
  const r = jailbuild(['resolve', '/bin/true'], { cwd: dir });
  assert.is(r.code, 2, r.stderr);
  assert.match(r.stderr, /jailbuild\.config\.js: not read: its folder could be changed by someone else \(mode 0777/);
  assert.not.ok(existsSync(marker), 'the settings file did not run');
});

test("a settings file owned by another user, or writable by others, or reached through another user's link, is refused", () => {
  const top = tempDir('jailbuild-settings-');
  chmodSync(top, 0o755); // the other user must reach the folders below
  // Another user's file in a sticky folder (like /tmp): owned by someone else.
  const sticky = join(top, 'sticky');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  const theirs = planted(sticky);
  chownSync(theirs.config, OTHER, OTHER);
  const r1 = jailbuild(['resolve', '/bin/true'], { cwd: sticky });
  assert.is(r1.code, 2, r1.stderr);
  assert.match(r1.stderr, /not read: it could be written by someone else \(mode 0644, owner 65534\)/);
  assert.not.ok(existsSync(theirs.marker), 'not run');
  // Our own file, but writable by all.
  const open = join(top, 'open');
  mkdirSync(open);
  const loose = planted(open, 'jailbuild.config.json');
  chmodSync(loose.config, 0o666);
  const r2 = jailbuild(['resolve', '/bin/true'], { cwd: open });
  assert.is(r2.code, 2, r2.stderr);
  assert.match(r2.stderr, /jailbuild\.config\.json: not read: it could be written by someone else \(mode 0666/);
  // A link another user made in a sticky folder, to a file that is ours.
  const linked = join(top, 'linked');
  mkdirSync(linked);
  chmodSync(linked, 0o1777);
  const ours = planted(join(top, 'open'), 'jailbuild.config.js');
  chmodSync(ours.config, 0o644);
  execFileSync('setpriv', [`--reuid=${OTHER}`, `--regid=${OTHER}`, '--clear-groups', 'ln', '-s', ours.config, join(linked, 'jailbuild.config.js')]);
  const r3 = jailbuild(['resolve', '/bin/true'], { cwd: linked });
  assert.is(r3.code, 2, r3.stderr);
  assert.match(r3.stderr, /not read: it is a link made by someone else \(owner 65534\)/);
  assert.not.ok(existsSync(ours.marker), 'not run');
});

test('settings that are ours, in a folder only we may change (or a sticky one), are read', () => {
  const top = tempDir('jailbuild-settings-');
  const mine = join(top, 'mine');
  mkdirSync(mine);
  const own = planted(mine);
  const r = jailbuild(['resolve', '/bin/true'], { cwd: mine });
  assert.is(r.code, 0, r.stderr);
  assert.ok(existsSync(own.marker), 'our own .js settings ran');
  // Ours in a sticky folder others may write: they cannot replace a file that is not theirs.
  const sticky = join(top, 'sticky');
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  writeFileSync(join(sticky, 'jailbuild.config.json'), JSON.stringify({ cacheDir: 'c' }));
  const r2 = jailbuild(['resolve', '/bin/true'], { cwd: sticky });
  assert.is(r2.code, 0, r2.stderr);
  // A link of ours to our own file.
  const linkDir = join(top, 'link');
  mkdirSync(linkDir);
  symlinkSync(join(sticky, 'jailbuild.config.json'), join(linkDir, 'jailbuild.config.json'));
  const r3 = jailbuild(['resolve', '/bin/true'], { cwd: linkDir });
  assert.is(r3.code, 0, r3.stderr);
});

test.run();
