/**
 * Attack: the owner of a source folder (an ordinary user, uid 1001) swaps a folder of it for a link to
 * a root-only folder after jailbuild planned the jail and before it copies. The tree, the tarball, the
 * OCI layout and the manifest must copy only the files that were planned, or fail.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeManifest } from '../../src/emit/write-manifest.js';
import { writeTarball } from '../../src/emit/write-tarball.js';
import { writeTree } from '../../src/emit/write-tree.js';
import { JailError } from '../../src/errors.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { jailbuild } from '../helpers/cli.js';
import { compileStatic, stop, SWAPPER_C } from '../helpers/inmate.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const OWNER = 1001;
/** The same size as the harmless file, and given the same mtime: a size or time check alone cannot tell them apart. */
const HARMLESS = 'harmless=1\n';
const SECRET = 'TOPSECRET\n\n';

/** /x/app/data/config owned by uid 1001, and a root-only /x/secret/config beside it. */
function setup(): { dir: string; app: string; secret: string; profile: string } {
  const dir = tempDir('jailbuild-attack-src-');
  chmodSync(dir, 0o755);
  const app = join(dir, 'app');
  mkdirSync(join(app, 'data'), { recursive: true });
  writeFileSync(join(app, 'data', 'config'), HARMLESS);
  for (const p of [app, join(app, 'data'), join(app, 'data', 'config')]) chownSync(p, OWNER, OWNER);
  const secret = join(dir, 'secret');
  mkdirSync(secret, { mode: 0o700 });
  writeFileSync(join(secret, 'config'), SECRET, { mode: 0o600 });
  const { atime, mtime } = statSync(join(app, 'data', 'config'));
  utimesSync(join(secret, 'config'), atime, mtime);
  const profile = join(dir, 'app.json');
  writeFileSync(profile, JSON.stringify({ extends: 'base', trees: [app] }));
  return { dir, app, secret, profile };
}

/** What the owner does, as the owner: the data folder becomes a link to the root-only folder. */
function swapAsOwner(app: string, secret: string): void {
  execFileSync('setpriv', [`--reuid=${OWNER}`, `--regid=${OWNER}`, '--clear-groups', 'sh', '-c', `mv "$1/data" "$1/data.orig" && ln -s "$2" "$1/data"`, 'sh', app, secret]);
}

function expectRefused(err: unknown, what: string): void {
  assert.ok(err instanceof JailError, `${what}: a JailError`);
  assert.is(err.code, 'SOURCE_CHANGED', what);
  assert.match(err.message, /became a symbolic link since the plan was made/, what);
  assert.is(SECRET.length, HARMLESS.length, 'same size: only the identity check can refuse it');
}

test('a folder swapped for a link between plan and copy: tree, tarball and manifest refuse, nothing secret is written', async () => {
  const { dir, app, secret, profile } = setup();
  const plan = buildPlan(loadProfile(profile));
  assert.ok(
    plan.entries.some((e) => e.source === `${app}/data/config`),
    'the plan holds the harmless file',
  );
  swapAsOwner(app, secret);
  const fs = new RootFs('/');

  const out = join(dir, 'jail');
  try {
    await writeTree(plan.entries, fs, out, { mtime: 0 });
    assert.unreachable('the tree was written');
  } catch (err) {
    expectRefused(err, 'tree');
  }
  assert.not.ok(existsSync(out), 'no jail was made');

  const tar = join(dir, 'jail.tar');
  try {
    await writeTarball(plan.entries, fs, tar, { mtime: 0, gzip: false });
    assert.unreachable('the tarball was written');
  } catch (err) {
    expectRefused(err, 'tarball');
  }
  assert.not.ok(existsSync(tar), 'no tarball was left');

  const manifest = join(dir, 'manifest.json');
  try {
    await writeManifest(manifest, plan.entries, fs);
    assert.unreachable('the manifest was written');
  } catch (err) {
    expectRefused(err, 'manifest');
  }
  const leftovers = spawnSync('grep', ['-rl', 'TOPSECRET', dir, '--exclude-dir=secret'], { encoding: 'utf8' }).stdout.trim();
  assert.is(leftovers, '', 'the secret is nowhere but where it was');
});

test('an owner swapping the folder all the time while the CLI builds tree, tarball and OCI: the secret never gets in', async () => {
  const { dir, app, secret } = setup();
  const profile = join(dir, 'deref.json');
  // Dereferenced: a link met in the tree is followed, so the root-only file is within reach of the plan.
  writeFileSync(profile, JSON.stringify({ extends: 'base', binaries: ['/bin/sh'], trees: [{ path: app, dereference: true, resolve: true }] }));
  const swapper = compileStatic('swapper', SWAPPER_C);
  rmSync(join(app, 'data'), { recursive: true });
  const owner = spawn('setpriv', [`--reuid=${OWNER}`, `--regid=${OWNER}`, '--clear-groups', swapper, join(app, 'data'), join(app, 'link'), secret, 'config'], { stdio: 'ignore' });
  const outcomes = { built: 0, refused: 0 };
  try {
    await new Promise((r) => setTimeout(r, 100));
    assert.is(owner.exitCode, null, 'the owner swaps');
    for (let i = 0; i < 10; i++) {
      const out = join(dir, `jail${i}`);
      const run = jailbuild(['profile', profile, '--out', out, '--tar', join(dir, `jail${i}.tar`), '--oci', join(dir, `oci${i}`)]);
      if (run.code === 0) outcomes.built++;
      else {
        assert.is(run.code, 1, run.stderr);
        assert.match(run.stderr, /since the plan was made/);
        outcomes.refused++;
      }
      assert.not.match(run.stdout + run.stderr, /TOPSECRET/, 'no message shows the secret');
    }
  } finally {
    await stop(owner);
  }
  // Compressed OCI layers are searched unpacked.
  const found = spawnSync('sh', ['-c', `grep -rl TOPSECRET "$1" --exclude-dir=secret; for f in "$1"/oci*/blobs/sha256/*; do zcat -f "$f" | grep -l TOPSECRET; done; true`, 'sh', dir], { encoding: 'utf8' }).stdout.trim();
  assert.is(found, '', 'the secret is in no jail, tarball or layout');
  assert.is(outcomes.built + outcomes.refused, 10, 'every build either built without the secret or was refused');
  console.log(`  source swap race: ${outcomes.built} builds without the secret, ${outcomes.refused} refused`);
});

test.run();
