/**
 * Attack: the owner of a data folder (an ordinary user, uid 1001, e.g. a web developer owning
 * /srv/www/data/wiki) replaces it with a link to a host folder, before or while `jailbuild mount`
 * runs, hoping root bind-mounts the host folder writable into the jail. Every mount must either be
 * refused (naming the link and its owner) or mount the real data folder; the jailed service (uid 33)
 * never sees the host folder. Read-only mounts are read-only for it, writable ones writable, and
 * `jailbuild umount` leaves nothing mounted. Every test unmounts what it mounted, even when it fails.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mountsBelow, readMountTable } from '../../src/mounts/mounts-below.js';
import { jailbuild } from '../helpers/cli.js';
import { compileStatic, stop, SWAPPER_C } from '../helpers/inmate.js';
import { runInJailAs } from '../helpers/jail.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const OWNER = 1001;
const WWW = 33;
const SECRET = 'host-only database password\n';
const MARKER = 'wiki-data-marker';

interface Setup {
  dir: string;
  /** The developer's folder (uid 1001) holding the wiki's data folder. */
  data: string;
  /** The wiki's data folder: the mount source the profile names. */
  wiki: string;
  /** A host folder that must never appear in the jail, with a `secrets` file readable on the host. */
  host: string;
  jail: string;
}

/** The host side of the attack, and a jail built from a small profile. */
function setup(): Setup {
  const dir = tempDir('jailbuild-attack-mount-');
  const data = join(dir, 'srv', 'www', 'data');
  mkdirSync(data, { recursive: true });
  chownSync(data, OWNER, OWNER);
  const wiki = join(data, 'wiki');
  mkdirSync(wiki);
  writeFileSync(join(wiki, MARKER), 'wiki data\n');
  chownSync(wiki, OWNER, OWNER);
  chownSync(join(wiki, MARKER), OWNER, OWNER);
  const host = join(dir, 'host');
  mkdirSync(host);
  // Readable by anyone on the host: only its absence from the jail keeps it from the inmate.
  writeFileSync(join(host, 'secrets'), SECRET, { mode: 0o644 });
  const jail = join(dir, 'jail');
  const built = jailbuild(['profile', writeProfile(dir, 'build.json', []), '--out', jail]);
  assert.is(built.code, 0, built.stderr);
  return { dir, data, wiki, host, jail };
}

/** A profile with the www-data account and `mounts`; returns its path. */
function writeProfile(dir: string, name: string, mounts: object[]): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ extends: 'base', users: [{ name: 'www-data', uid: WWW, gid: WWW }], groups: [{ name: 'www-data', gid: WWW }], mounts }));
  return file;
}

/** Runs a shell command as `uid` (no supplementary groups), the way that user would. */
function asUser(uid: number, script: string, ...args: string[]): void {
  const r = spawnSync('setpriv', [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', 'sh', '-c', script, 'sh', ...args], { encoding: 'utf8' });
  assert.is(r.status, 0, `as uid ${uid}: ${script}: ${r.stderr}`);
}

/** Unmounts anything left below `jail`, deepest first: the failsafe of every test. */
function unmountAll(jail: string): void {
  for (const point of mountsBelow(jail).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', point]);
}

/** What the jailed service (uid 33) sees of the mount at /srv/data: the host's secret, or not. */
function inmateSeesSecret(jail: string): boolean {
  const r = runInJailAs(jail, ['/bin/sh', '-c', 'read line < /srv/data/secrets && echo "$line"'], `${WWW}:${WWW}`);
  return r.status === 0 || r.stdout.includes('host-only');
}

test('a data folder its owner replaced with a link to a host folder: refused, naming the link and its owner, nothing mounted', () => {
  const { dir, wiki, host, jail } = setup();
  const profile = writeProfile(dir, 'wiki.json', [{ source: wiki, target: '/srv/data' }]);
  asUser(OWNER, 'mv "$1" "$1.orig" && ln -s "$2" "$1"', wiki, host);
  try {
    const run = jailbuild(['mount', profile, '--out', jail]);
    assert.is(run.code, 2, `${run.stdout}${run.stderr}`);
    assert.match(run.stderr, `${profile}: /mounts/0/source`);
    assert.match(run.stderr, `${wiki} is a link (-> ${host}) owned by uid ${OWNER}, not root`);
    assert.is(run.stdout, '', 'nothing reported as mounted');
    assert.equal(mountsBelow(jail), [], 'nothing mounted in the jail');
    assert.not.ok(inmateSeesSecret(jail), 'the inmate does not see the host folder');
    // Even with "allowLinks": a link its owner can point anywhere is never followed.
    const allowing = writeProfile(dir, 'allowing.json', [{ source: wiki, target: '/srv/data', allowLinks: true }]);
    const again = jailbuild(['mount', allowing, '--out', jail]);
    assert.is(again.code, 2, `${again.stdout}${again.stderr}`);
    assert.match(again.stderr, `owned by uid ${OWNER}, not root`);
    assert.equal(mountsBelow(jail), []);
  } finally {
    unmountAll(jail);
  }
});

test('"allowLinks": a link owned by root is followed and the real source printed; other links are still refused', () => {
  const { dir, data, wiki, host, jail } = setup();
  // /links is root's (0755): nobody else can exchange the link in it.
  const links = join(dir, 'links');
  mkdirSync(links);
  symlinkSync(wiki, join(links, 'wiki'));
  const viaRootLink = [{ source: join(links, 'wiki'), target: '/srv/data', allowLinks: true }];
  try {
    const run = jailbuild(['mount', writeProfile(dir, 'root-link.json', viaRootLink), '--out', jail]);
    assert.is(run.code, 0, run.stderr);
    assert.is(run.stdout, `jailbuild: mounted ${wiki} on ${jail}/srv/data through the link ${links}/wiki -> ${wiki}\n`);
    const mount = readMountTable().find((m) => m.mountPoint === `${jail}/srv/data`);
    assert.is(mount?.root, wiki, 'mountinfo shows the real data folder at the jail path');
    assert.ok(existsSync(join(jail, 'srv', 'data', MARKER)));
    const um = jailbuild(['umount', writeProfile(dir, 'root-link.json', viaRootLink), '--out', jail]);
    assert.is(um.code, 0, `${um.stdout}${um.stderr}`);
    assert.equal(mountsBelow(jail), []);

    // The same root link without "allowLinks": refused, and the message says how to allow it.
    const strict = jailbuild(['mount', writeProfile(dir, 'strict.json', [{ source: join(links, 'wiki'), target: '/srv/data' }]), '--out', jail]);
    assert.is(strict.code, 2, `${strict.stdout}${strict.stderr}`);
    assert.match(strict.stderr, `${links}/wiki is a link (-> ${wiki}, owned by root): links are followed only with "allowLinks": true`);

    // A root link in the developer's folder: the developer could exchange it for a link of theirs.
    symlinkSync(wiki, join(data, 'by-root'));
    const inTheirs = jailbuild(['mount', writeProfile(dir, 'theirs.json', [{ source: join(data, 'by-root'), target: '/srv/data', allowLinks: true }]), '--out', jail]);
    assert.is(inTheirs.code, 2, `${inTheirs.stdout}${inTheirs.stderr}`);
    assert.match(inTheirs.stderr, `${data}/by-root is a link owned by root, but in ${data}, which its owner uid ${OWNER} can change`);

    // A link owned by uid 1001, reached through the followed root link: refused all the same.
    asUser(OWNER, 'mv "$1" "$1.orig" && ln -s "$2" "$1"', wiki, host);
    const theirLink = jailbuild(['mount', writeProfile(dir, 'their-link.json', viaRootLink), '--out', jail]);
    assert.is(theirLink.code, 2, `${theirLink.stdout}${theirLink.stderr}`);
    assert.match(theirLink.stderr, `${wiki} is a link (-> ${host}) owned by uid ${OWNER}, not root`);
    assert.equal(mountsBelow(jail), [], 'nothing mounted after the refusals');
    assert.not.ok(inmateSeesSecret(jail));
  } finally {
    unmountAll(jail);
  }
});

test('a read-only web root the inmate reads but cannot write, a data folder it writes; umount leaves nothing', () => {
  const { dir, jail } = setup();
  const www = join(dir, 'www');
  const appData = join(dir, 'appdata');
  mkdirSync(www);
  writeFileSync(join(www, 'index.php'), 'hello from the web root\n');
  mkdirSync(appData);
  // Both owned by the inmate: only the read-only mount keeps it from writing the web root.
  for (const p of [www, join(www, 'index.php'), appData]) chownSync(p, WWW, WWW);
  const profile = writeProfile(dir, 'site.json', [
    { source: www, target: '/srv/www', readOnly: true },
    { source: appData, target: '/srv/data' },
  ]);
  // The read-only mount is staged in a private folder under TMPDIR: none may be left there.
  const stageParent = join(dir, 'tmp');
  mkdirSync(stageParent);
  try {
    const run = jailbuild(['mount', profile, '--out', jail], { env: { TMPDIR: stageParent } });
    assert.is(run.code, 0, run.stderr);
    assert.is(run.stdout, `jailbuild: mounted ${www} on ${jail}/srv/www (read-only)\njailbuild: mounted ${appData} on ${jail}/srv/data\n`);
    const table = readMountTable();
    const webRoot = table.find((m) => m.mountPoint === `${jail}/srv/www`);
    const dataMount = table.find((m) => m.mountPoint === `${jail}/srv/data`);
    assert.is(webRoot?.root, www, 'the web root is mounted at the jail path (mountinfo)');
    assert.ok(webRoot?.options.includes('ro'), `read-only in mountinfo: ${webRoot?.options.join(',')}`);
    assert.is(dataMount?.root, appData);
    assert.ok(dataMount?.options.includes('rw'), `writable in mountinfo: ${dataMount?.options.join(',')}`);

    const read = runInJailAs(jail, ['/bin/sh', '-c', 'read line < /srv/www/index.php && echo "$line"']);
    assert.is(read.stdout, 'hello from the web root\n', read.stderr);
    const write = runInJailAs(jail, ['/bin/sh', '-c', 'echo defaced > /srv/www/index.php']);
    assert.is.not(write.status, 0, 'the inmate cannot write the web root');
    assert.match(write.stderr, 'Read-only file system');
    assert.is(readFileSync(join(www, 'index.php'), 'utf8'), 'hello from the web root\n');
    const data = runInJailAs(jail, ['/bin/sh', '-c', 'echo "written from the jail" > /srv/data/hello']);
    assert.is(data.status, 0, data.stderr);
    assert.is(readFileSync(join(appData, 'hello'), 'utf8'), 'written from the jail\n');

    const again = jailbuild(['mount', profile, '--out', jail]);
    assert.is(again.code, 0, again.stderr);
    assert.is(again.stdout, `jailbuild: ${jail}/srv/www is already mounted\njailbuild: ${jail}/srv/data is already mounted\n`);

    const um = jailbuild(['umount', profile, '--out', jail]);
    assert.is(um.code, 0, `${um.stdout}${um.stderr}`);
    assert.is(um.stdout, `jailbuild: unmounted ${jail}/srv/data\njailbuild: unmounted ${jail}/srv/www\n`, 'reverse order');
    assert.equal(mountsBelow(jail), [], 'nothing left mounted');
    assert.equal(readdirSync(stageParent), [], 'no staging folder left');
  } finally {
    unmountAll(jail);
  }
});

test('race: the owner keeps exchanging the data folder with a link to a host folder while jailbuild mount runs', async () => {
  const { dir, data, host, jail } = setup();
  const swapper = compileStatic('swapper', SWAPPER_C);
  const wiki = join(data, 'racing');
  const link = join(data, 'racing.link');
  const profile = writeProfile(dir, 'race.json', [{ source: wiki, target: '/srv/data' }]);
  let child: ChildProcess | undefined;
  const outcomes = { realFolder: 0, refusedLink: 0, keptChanging: 0 };
  let naiveHits = 0;
  let naiveTries = 0;
  try {
    child = spawn('setpriv', [`--reuid=${OWNER}`, `--regid=${OWNER}`, '--clear-groups', swapper, wiki, link, host, MARKER], { stdio: 'ignore' });
    for (let i = 0; i < 250 && !lstatSync(link, { throwIfNoEntry: false }); i++) await new Promise((r) => setTimeout(r, 20));

    // Control: a plain bind mount by path is fooled by the swapper (the attack is live).
    const naive = join(dir, 'naive');
    mkdirSync(naive);
    for (; naiveTries < 40 && naiveHits === 0; naiveTries++) {
      if (spawnSync('mount', ['--bind', wiki, naive]).status !== 0) continue;
      if (existsSync(join(naive, 'secrets'))) naiveHits++;
      spawnSync('umount', [naive]);
    }
    assert.ok(naiveHits > 0, 'a path-based mount --bind mounted the host folder at least once');

    for (let i = 0; i < 30; i++) {
      const run = jailbuild(['mount', profile, '--out', jail]);
      const mounted = mountsBelow(jail);
      if (run.code === 0) {
        assert.equal(mounted, [`${jail}/srv/data`], run.stdout);
        assert.ok(existsSync(join(jail, 'srv', 'data', MARKER)), `run ${i}: the real data folder is mounted: ${run.stdout}`);
        assert.not.ok(existsSync(join(jail, 'srv', 'data', 'secrets')), `run ${i}: the host folder is not mounted`);
        assert.not.ok(inmateSeesSecret(jail));
        assert.match(run.stdout, /^jailbuild: mounted \S+\/data\/racing(\.link)? on /);
        outcomes.realFolder++;
        const um = jailbuild(['umount', profile, '--out', jail]);
        assert.is(um.code, 0, `${um.stdout}${um.stderr}`);
      } else {
        // Refused: the link and its owner named (or the folder kept changing while it was opened).
        assert.ok(run.code === 2 || run.code === 1, `run ${i}: exit ${String(run.code)}: ${run.stderr}`);
        assert.match(run.stderr, /racing is a link( \(-> .*\))? owned by uid 1001, not root|kept changing while it was opened/, `run ${i}: ${run.stderr}`);
        assert.equal(mounted, [], `run ${i}: nothing mounted after a refusal`);
        if (run.stderr.includes('kept changing')) outcomes.keptChanging++;
        else outcomes.refusedLink++;
      }
    }
    console.log(
      `  race: of 30 runs, ${outcomes.realFolder} mounted the real data folder, ${outcomes.refusedLink} refused the link (exit 2), ${outcomes.keptChanging} refused a folder that kept changing (exit 1); a plain mount --bind by path mounted the host folder ${naiveHits === 0 ? 'never' : `at try ${naiveTries}`}`,
    );
  } finally {
    if (child) await stop(child);
    unmountAll(dir);
  }
  assert.equal(mountsBelow(dir), [], 'nothing left mounted');
});

test.run();
