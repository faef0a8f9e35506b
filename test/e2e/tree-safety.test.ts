/**
 * Writing jails safely: interrupted rebuilds leave the old jail or the new one, never a mix; nothing is
 * replaced or removed through a mount; a full disk, planted links and changing sources are handled.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeTree } from '../../src/emit/write-tree.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { BIN, jailbuild } from '../helpers/cli.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

function profiles(dir: string): { v1: string; v2: string } {
  const v1 = join(dir, 'v1.json');
  const v2 = join(dir, 'v2.json');
  writeFileSync(v1, JSON.stringify({ name: 'v1', extends: 'base', contents: [{ path: '/etc/jail-version', text: 'v1\n' }] }));
  writeFileSync(v2, JSON.stringify({ name: 'v2', extends: 'ghostscript', contents: [{ path: '/etc/jail-version', text: 'v2\n' }] }));
  return { v1, v2 };
}

/** Number of entries in a tree (the root included), walking without following links. */
function countEntries(dir: string): number {
  let n = 1;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    n += lstatSync(p).isDirectory() ? countEntries(p) : 1;
  }
  return n;
}

function entriesOf(profile: string): number {
  const run = jailbuild(['profile', profile, '--out', join(tempDir('jailbuild-count-'), 'j'), '--json']);
  assert.is(run.code, 0, run.stderr);
  return (JSON.parse(run.stdout) as { entries: number }).entries;
}

/** Resolves once no process of the group is left. */
async function groupGone(pgid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(-pgid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`process group ${pgid} still alive`);
}

const leftovers = (parent: string): string[] => readdirSync(parent).filter((n) => n.includes('.jailbuild-'));

test('a rebuild killed at any moment (SIGKILL, SIGTERM, SIGINT) leaves the old jail or the new one, whole', async () => {
  const dir = tempDir('jailbuild-kill-');
  const { v1, v2 } = profiles(dir);
  const started = Date.now();
  const counts = { 'v2\n': entriesOf(v2), 'v1\n': entriesOf(v1) };
  // How long a whole v2 build takes here: the kills are spread over that time, and a little past it.
  const duration = Math.max(300, Date.now() - started);
  const out = join(dir, 'jail');
  assert.is(jailbuild(['profile', v1, '--out', out]).code, 0);
  const signals: NodeJS.Signals[] = ['SIGKILL', 'SIGTERM', 'SIGINT'];
  let sawOld = 0;
  let sawNew = 0;
  for (let i = 0; i < 12; i++) {
    // Its own process group, killed as a whole (as Ctrl-C on a terminal does): a helper it runs (perl
    // for renameat2) must not finish a swap while the tree is being counted below.
    const child = spawn(process.execPath, [BIN, 'profile', i % 4 === 3 ? v1 : v2, '--out', out, '--quiet'], { stdio: 'ignore', detached: true });
    const closed = new Promise((r) => child.on('close', r));
    await new Promise((r) => setTimeout(r, Math.round(duration * (0.15 + ((i * 7) % 12) / 10))));
    try {
      process.kill(-(child.pid as number), signals[i % 3]);
    } catch {
      // Already gone.
    }
    await closed;
    await groupGone(child.pid as number);
    // Either jail, complete: its marker and exactly its number of entries.
    assert.ok(existsSync(out), `after ${signals[i % 3]} #${i} the jail is there`);
    const version = readFileSync(join(out, 'etc/jail-version'), 'utf8') as keyof typeof counts;
    assert.is(countEntries(out), counts[version], `after ${signals[i % 3]} #${i}: a whole ${version.trim()} jail`);
    if (version === 'v1\n') sawOld++;
    else sawNew++;
  }
  // The next build cleans whatever the interrupted ones left.
  assert.is(jailbuild(['profile', v1, '--out', out, '--quiet']).code, 0);
  assert.equal(leftovers(dir), []);
  console.log(`  kill test: 12 interrupted rebuilds, old jail left ${sawOld} times, new jail ${sawNew} times`);
});

test('a rebuild over a live bind mount is refused, and the data under the mount survives', () => {
  const dir = tempDir('jailbuild-mount-');
  const { v1 } = profiles(dir);
  const out = join(dir, 'jail');
  assert.is(jailbuild(['profile', v1, '--out', out]).code, 0);
  const data = join(dir, 'precious');
  mkdirSync(data);
  writeFileSync(join(data, 'subscribers'), 'alice\nbob\n');
  const target = join(out, 'srv/data');
  mkdirSync(target, { recursive: true });
  execFileSync('mount', ['--bind', data, target]);
  try {
    const run = jailbuild(['profile', v1, '--out', out]);
    assert.is(run.code, 2);
    assert.match(run.stderr, /mounted inside the jail .*srv\/data.*unmount it first/);
    assert.is(readFileSync(join(data, 'subscribers'), 'utf8'), 'alice\nbob\n');
    assert.is(readFileSync(join(target, 'subscribers'), 'utf8'), 'alice\nbob\n', 'still mounted, untouched');
  } finally {
    spawnSync('umount', [target]);
  }
  assert.is(readFileSync(join(data, 'subscribers'), 'utf8'), 'alice\nbob\n');
});

test('a full disk gives a clear error, the old jail stays and nothing is left behind', () => {
  const dir = tempDir('jailbuild-full-');
  const { v1, v2 } = profiles(dir);
  const small = join(dir, 'small');
  mkdirSync(small);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small]);
  try {
    const out = join(small, 'jail');
    assert.is(jailbuild(['profile', v1, '--out', out]).code, 0);
    const run = jailbuild(['profile', v2, '--out', out]);
    assert.is(run.code, 1);
    assert.match(run.stderr, /no space left on the device while writing the new jail; the previous jail is unchanged/);
    assert.is(readFileSync(join(out, 'etc/jail-version'), 'utf8'), 'v1\n');
    assert.equal(leftovers(small), []);
  } finally {
    spawnSync('umount', ['-l', small]);
  }
});

test('links planted in the old jail are removed, never followed; an output that is a link is refused', () => {
  const dir = tempDir('jailbuild-planted-');
  const { v1 } = profiles(dir);
  const out = join(dir, 'jail');
  assert.is(jailbuild(['profile', v1, '--out', out]).code, 0);
  const host = join(dir, 'host-files');
  mkdirSync(host);
  writeFileSync(join(host, 'keep.txt'), 'keep me\n');
  symlinkSync(host, join(out, 'tmp', 'evil'));
  assert.is(jailbuild(['profile', v1, '--out', out]).code, 0);
  assert.is(readFileSync(join(host, 'keep.txt'), 'utf8'), 'keep me\n');
  assert.not.ok(existsSync(join(out, 'tmp', 'evil')));

  const linkOut = join(dir, 'link-out');
  symlinkSync(host, linkOut);
  const run = jailbuild(['profile', v1, '--out', linkOut]);
  assert.is(run.code, 2);
  assert.match(run.stderr, 'exists and is not a folder');
  assert.equal(readdirSync(host), ['keep.txt']);
});

test('a source file that changes between planning and copying is detected; nothing is swapped in', async () => {
  const dir = tempDir('jailbuild-change-');
  const root = join(dir, 'root');
  mkdirSync(join(root, 'data'), { recursive: true });
  writeFileSync(join(root, 'data', 'file.txt'), 'original\n');
  const profile = join(dir, 'p.json');
  writeFileSync(profile, JSON.stringify({ root, files: ['/data/file.txt'] }));
  const plan = buildPlan(loadProfile(profile));
  appendFileSync(join(root, 'data', 'file.txt'), 'changed meanwhile\n');
  const out = join(dir, 'jail');
  const failed = await writeTree(plan.entries, new RootFs(root), out, { mtime: 0 }).then(
    () => null,
    (err: Error) => err,
  );
  assert.match(failed?.message ?? 'no error', /(its size changed|it was modified) .*since the plan was made/);
  assert.not.ok(existsSync(out));
  assert.equal(leftovers(dir), []);
});

test('destinations that would leave the jail are refused', () => {
  const dir = tempDir('jailbuild-escape-');
  const profile = join(dir, 'escape.json');
  writeFileSync(profile, JSON.stringify({ files: [{ path: '/etc/hostname', dest: '/../../etc/evil' }], contents: [{ path: 'relative/x', text: 'x' }] }, null, 2));
  const out = join(dir, 'jail');
  const run = jailbuild(['profile', profile, '--out', out]);
  assert.is(run.code, 2);
  assert.match(run.stderr, /\/files\/0: dest \/\.\.\/\.\.\/etc\/evil: leaves the jail/);
  assert.match(run.stderr, /\/contents\/0: path relative\/x: must be an absolute path inside the jail/);
  assert.not.ok(existsSync(out));
});

test('a dereferenced tree with a link back up (X11 -> .) is copied once, with a warning', () => {
  const dir = tempDir('jailbuild-loop-');
  const root = join(dir, 'root');
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  writeFileSync(join(root, 'usr/bin/tool'), 'x');
  symlinkSync('.', join(root, 'usr/bin/X11'));
  const profile = join(dir, 'p.json');
  writeFileSync(profile, JSON.stringify({ root, trees: [{ path: '/usr/bin', dereference: true }] }));
  const plan = buildPlan(loadProfile(profile));
  assert.ok(plan.entries.some((e) => e.path === '/usr/bin/tool'));
  assert.ok(plan.diagnostics.some((d) => d.code === 'SYMLINK_LOOP'));
});

test('jailbuild mount refuses targets that leave the jail or go through a link inside it', () => {
  const dir = tempDir('jailbuild-mountsafe-');
  const source = join(dir, 'data');
  mkdirSync(source);
  const out = join(dir, 'jail');
  const escape = join(dir, 'escape.json');
  writeFileSync(escape, JSON.stringify({ extends: 'base', mounts: [{ source, target: '/srv/../../../etc' }] }));
  // The plan refuses it too; build the jail from a clean profile, then mount with the bad one.
  assert.is(jailbuild(['profile', 'base', '--out', out]).code, 0);
  const up = jailbuild(['mount', escape, '--out', out]);
  assert.is(up.code, 2);
  assert.match(up.stderr, /leaves the jail/);
  const hostDir = join(dir, 'host');
  mkdirSync(hostDir);
  symlinkSync(hostDir, join(out, 'srv'));
  const viaLink = join(dir, 'link.json');
  writeFileSync(viaLink, JSON.stringify({ extends: 'base', mounts: [{ source, target: '/srv/www' }] }));
  const run = jailbuild(['mount', viaLink, '--out', out]);
  assert.is(run.code, 2);
  assert.match(run.stderr, /a link inside the jail; refusing to mount through it/);
  assert.equal(readdirSync(hostDir), [], 'nothing made outside the jail');
});

test('a jail reached through a linked folder is still protected from a rebuild over a live mount', () => {
  const dir = tempDir('jailbuild-linked-parent-');
  const real = join(dir, 'real');
  mkdirSync(real);
  symlinkSync(real, join(dir, 'srv'));
  const out = join(dir, 'srv', 'jail');
  assert.is(jailbuild(['profile', 'base', '--out', out]).code, 0);
  const data = join(dir, 'precious');
  mkdirSync(data);
  writeFileSync(join(data, 'keep'), 'keep');
  const target = join(real, 'jail', 'tmp');
  execFileSync('mount', ['--bind', data, target]);
  try {
    const run = jailbuild(['profile', 'base', '--out', out]);
    assert.is(run.code, 2);
    assert.match(run.stderr, /mounted inside the jail/);
    const um = jailbuild(['umount', 'base', '--out', out]);
    assert.is(um.code, 1, 'umount reports the mount it does not own');
  } finally {
    spawnSync('umount', [target]);
  }
  assert.is(readFileSync(join(data, 'keep'), 'utf8'), 'keep');
});

test.run();
