/**
 * One pinned digest, as apko pins its images: a tiny profile over a source root this test makes
 * itself (files with fixed bytes and modes, a tree, a link, a folder; no ELF program, so nothing of
 * this machine's libraries comes in), planned with a fixed mtime and fixed owners, written by
 * writeTarball, and the sha256 of the archive compared with the one written below.
 *
 * If this test fails, the bytes of a tarball changed: header fields, PAX records, member order,
 * padding, the modes or owners the plan gives, or gzip's output. Every jail an earlier version
 * built from the same inputs would now get another digest, so a change here is a change of the
 * archive format. Make it deliberately: check that the new bytes are meant (tar -tvf, the
 * reproducibility tests in test/e2e/tarball.test.ts), then put the new digests here in the same
 * commit, saying why they changed.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeTarball } from '../../src/emit/write-tarball.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const GOLDEN_TAR = '73629e6ce532db0ec3bfc3e9bccfb12f5915d3fbc9fe037b4a97364f06c3ced1';
const GOLDEN_TGZ = '256e4f2a4074a512d6d107115b3d8d82777ad63840ce9e479d1738fabe7ff9c4';

/** 2023-11-14T22:13:20Z: the mtime of every member, whatever SOURCE_DATE_EPOCH says. */
const MTIME = 1700000000;

/**
 * The source root: every byte and mode given here. Modes are set with chmod after writing (the
 * umask would change what writeFileSync and mkdirSync make), and times set too, though the plan's
 * mtime replaces them.
 */
function sourceRoot(): string {
  const root = tempDir('jailbuild-golden-root-');
  const folders: Array<[string, number]> = [
    ['etc', 0o755],
    ['srv', 0o755],
    ['srv/site', 0o755],
    ['srv/site/img', 0o755],
    ['opt', 0o755],
  ];
  const files: Array<[string, string, number]> = [
    ['etc/motd', 'welcome to the golden jail\n', 0o644],
    ['srv/site/index.html', '<!doctype html><title>golden</title>\n', 0o644],
    ['srv/site/img/logo.txt', 'not really a picture\n', 0o644],
    ['srv/site/run.sh', '#!/bin/sh\necho run\n', 0o755],
    ['srv/site/empty', '', 0o444],
    ['opt/tool.conf', 'level = 3\n', 0o644],
  ];
  for (const [path, mode] of folders) {
    mkdirSync(join(root, path));
    chmodSync(join(root, path), mode);
  }
  for (const [path, text, mode] of files) {
    writeFileSync(join(root, path), text);
    chmodSync(join(root, path), mode);
    utimesSync(join(root, path), 1e9, 1e9);
  }
  symlinkSync('index.html', join(root, 'srv/site/home.html'));
  return root;
}

function profileFor(root: string, dir: string): string {
  const file = join(dir, 'golden.json');
  writeFileSync(
    file,
    JSON.stringify({
      name: 'golden',
      root,
      permissions: { owner: 0, group: 0, mode: 'g=u-w,o-rwx' },
      files: ['/etc/motd', { path: '/opt/tool.conf', dest: '/etc/tool.conf', mode: '0600', owner: 1000, group: 1000 }],
      trees: ['/srv/site'],
      contents: [{ path: '/etc/hostname', text: 'golden\n' }],
      symlinks: [{ path: '/bin', target: 'usr/bin' }],
      directories: [
        { path: '/tmp', mode: '1777' },
        { path: '/var/lib/app', mode: '0750', owner: 33, group: 33 },
      ],
    }),
  );
  return file;
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

test('a tiny profile over a fixed source root gives the pinned tarball digests (.tar and .tar.gz)', async () => {
  const dir = tempDir('jailbuild-golden-');
  const root = sourceRoot();
  const plan = buildPlan(loadProfile(profileFor(root, dir)), { mtime: MTIME });
  const fs = new RootFs(plan.profile.root);
  assert.is(plan.mtime, MTIME);
  // The plan itself, so that a digest change can be told from a plan change.
  assert.equal(
    plan.entries.map((e) => `${e.kind} ${e.path} ${e.mode.toString(8)} ${e.uid}:${e.gid}${e.target ? ` -> ${e.target}` : ''}`),
    [
      'directory / 750 0:0',
      'symlink /bin 777 0:0 -> usr/bin',
      'directory /etc 750 0:0',
      'file /etc/hostname 640 0:0',
      'file /etc/motd 640 0:0',
      'file /etc/tool.conf 600 1000:1000',
      'directory /srv 750 0:0',
      'directory /srv/site 750 0:0',
      'file /srv/site/empty 440 0:0',
      'symlink /srv/site/home.html 777 0:0 -> index.html',
      'directory /srv/site/img 750 0:0',
      'file /srv/site/img/logo.txt 640 0:0',
      'file /srv/site/index.html 640 0:0',
      'file /srv/site/run.sh 750 0:0',
      'directory /tmp 1777 0:0',
      'directory /var 750 0:0',
      'directory /var/lib 750 0:0',
      'directory /var/lib/app 750 33:33',
    ],
  );
  const tar = join(dir, 'golden.tar');
  const tgz = join(dir, 'golden.tar.gz');
  await writeTarball(plan.entries, fs, tar, { mtime: plan.mtime, gzip: false });
  await writeTarball(plan.entries, fs, tgz, { mtime: plan.mtime, gzip: true });
  assert.is(sha256(tar), GOLDEN_TAR, 'the .tar digest: see the comment at the top before changing it');
  assert.is(sha256(tgz), GOLDEN_TGZ, 'the .tar.gz digest: see the comment at the top before changing it');
});

test.run();
