/**
 * `jailbuild test`'s runner on real jails: each test runs chrooted as its user in fresh mount, PID
 * and network namespaces, from an empty /tmp holding its input files; nothing of the host is
 * reachable; timeouts and Ctrl-C kill every process of the test; nothing stays mounted; exit codes;
 * and the attacks a program under test could try on the runner (forging its result, sending the
 * placement of input files through a link).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mountsBelow } from '../../src/mounts/mounts-below.js';
import { runTests } from '../../src/jailtest/run-tests.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { BIN, jailbuild } from '../helpers/cli.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

interface Report {
  passed: boolean;
  jail?: string;
  rounds: Array<{ tests: Array<{ name: string; passed: boolean; status: number | null; timedOut: boolean; setupError?: string; stdout: string; stderr: string; failures: string[]; user: { uid: number } }> }>;
}

function profile(dir: string, body: object, name = 'p'): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(body, null, 2));
  return file;
}

function runJson(args: string[]): { code: number | null; report: Report; stderr: string } {
  const run = jailbuild(['test', ...args, '--json']);
  return { code: run.code, report: JSON.parse(run.stdout || '{"rounds": []}') as Report, stderr: run.stderr };
}

const outcome = (r: Report, name: string): Report['rounds'][0]['tests'][0] => {
  const t = r.rounds[0]?.tests.find((x) => x.name === name);
  if (!t) throw new Error(`no test ${name} in the report`);
  return t;
};

/** Processes whose command line holds `marker`. */
function processesWith(marker: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes(marker) && !l.includes('ps -eo'));
}

test("each test: as its user, in a fresh /tmp holding its files, with only PATH and HOME; the jail's own /tmp gets none of it", async () => {
  const dir = tempDir();
  const out = join(dir, 'jail');
  const p = profile(dir, {
    extends: 'busybox',
    tests: [
      {
        name: 'who',
        run: 'busybox id -u; busybox id -g; busybox stat -c "%u %a" in.txt; busybox ls -a /tmp | busybox tr "\\n" " "; echo; busybox env | busybox sort | busybox tr "\\n" " "',
        files: [{ path: '/tmp/in.txt', text: 'input\n', mode: '0640' }],
        expect: { stdout: '^65534\\n65534\\n65534 640\\n\\. \\.\\. in\\.txt \\nHOME=/tmp OLDPWD=/ PATH=\\S+ PWD=/tmp $' },
      },
      { name: 'as-33', user: 33, group: 44, run: 'busybox id -u; busybox id -g; busybox ls /tmp', expect: { stdout: '^33\\n44$' } },
    ],
  });
  const { code, report, stderr } = runJson([p, '--out', out]);
  assert.is(code, 0, stderr + JSON.stringify(report.rounds[0]?.tests));
  assert.is(outcome(report, 'as-33').user.uid, 33);
  assert.ok(!existsSync(join(out, 'tmp/in.txt')), "the test's files went to its own /tmp");
  assert.equal(mountsBelow(out), [], 'nothing left mounted');
  // Run in a jail as it stands (a jail in service keeps its sessions in /tmp): its /tmp is left as it was.
  writeFileSync(join(out, 'tmp/session'), 'live');
  const outcomes = await runTests(loadProfile(p), { jail: out, profileRef: { profile: p, set: {} } });
  assert.equal(
    outcomes.map((o) => o.passed),
    [true, true, true, true],
  );
  assert.is(readFileSync(join(out, 'tmp/session'), 'utf8'), 'live');
  assert.ok(!existsSync(join(out, 'tmp/in.txt')));
});

test('nothing of the host is reachable: no host server on 127.0.0.1, no host process in /proc', async () => {
  const dir = tempDir();
  let connections = 0;
  const server = createServer((s) => {
    connections++;
    s.end('host secret\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const p = profile(dir, {
      extends: 'busybox',
      proc: true,
      tests: [
        { name: 'network', run: `busybox nc -w 2 127.0.0.1 ${port} < /dev/null; echo "nc exit $?"`, expect: { stdout: '^nc exit 1$' } },
        // hidepid=2 and a PID namespace of its own: the test sees its own shell and what it runs, nothing else.
        { name: 'processes', run: 'busybox ps -o pid,user,comm | busybox wc -l', expect: { stdout: '^[2-5]$' } },
      ],
    });
    const { code, report, stderr } = runJson([p]);
    assert.is(code, 0, stderr + JSON.stringify(report.rounds[0]?.tests));
    assert.is(connections, 0, 'the host server was never reached');
  } finally {
    server.close();
  }
});

test('a timeout stops the test and every process it started; the test fails saying so', () => {
  const dir = tempDir();
  const marker = `sleep 4${String(Date.now() % 1000).padStart(3, '0')}`;
  const p = profile(dir, { extends: 'busybox', tests: [{ name: 'slow', run: `busybox ${marker} & busybox ${marker}`, timeout: 2 }] });
  const started = Date.now();
  const run = jailbuild(['test', p]);
  assert.is(run.code, 1, run.stderr);
  assert.match(run.stdout, /test 'slow' \(as 65534:65534\): FAILED \(\d+\.\d s\): stopped after 2 s/);
  assert.ok(Date.now() - started < 60_000);
  assert.equal(processesWith(marker), []);
});

test('Ctrl-C: the test is killed, nothing stays running or mounted, the temporary jail is removed, exit 130', async () => {
  const dir = tempDir();
  const marker = `sleep 5${String(Date.now() % 1000).padStart(3, '0')}`;
  const p = profile(dir, { extends: 'busybox', proc: true, tests: [{ name: 'nap', run: `busybox ${marker} & busybox ${marker}`, timeout: 600 }] });
  const child = spawn(process.execPath, [BIN, 'test', p], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  try {
    for (let i = 0; i < 200 && processesWith(marker).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.is(processesWith(marker).length >= 2, true, 'the test started');
    const jail = /built (\S+) /.exec(stdout)?.[1] as string;
    assert.ok(jail, stdout);
    child.kill('SIGINT');
    assert.is(await exited, 130);
    assert.equal(processesWith(marker), []);
    assert.ok(!existsSync(jail), `${jail} removed`);
    assert.equal(
      readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .filter((l) => l.includes(jail)),
      [],
    );
  } finally {
    child.kill('SIGKILL');
  }
});

test('exit 2: a profile with no tests, strace missing; exit 1 with the output and what was expected for a failing test', () => {
  const dir = tempDir();
  const none = jailbuild(['test', profile(dir, { binaries: ['/bin/sh'] }, 'none')]);
  assert.is(none.code, 2);
  assert.match(none.stderr, /none\.json: the profile has no tests/);
  // A PATH with what the runner needs but strace.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['unshare', 'chroot', 'env', 'ip', 'mount', 'umount', 'sh']) {
    const where = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (where) symlinkSync(where, join(bin, tool));
  }
  const noStrace = jailbuild(['test', 'base'], { env: { PATH: bin } });
  assert.is(noStrace.code, 2, noStrace.stderr);
  assert.match(noStrace.stderr, /strace is not installed here, and jailbuild test needs it \(Debian package strace\)/);
  const failing = jailbuild(['test', profile(dir, { extends: 'base', tests: [{ name: 'says', run: 'echo one; echo two >&2; exit 3', expect: { exit: 0, stdout: '^two$' } }] }, 'failing')]);
  assert.is(failing.code, 1);
  assert.match(failing.stdout, /test 'says' \(as 65534:65534\): FAILED \(\d+\.\d s\): exit status 3, expected 0; standard output does not match "\^two\$"\n {4}output:\n {6}one\n {4}errors:\n {6}two\n/);
});

test('attack: a program under test cannot forge its result (a fake setup line, exit 125) nor pass by making the expected file a dangling link', () => {
  const dir = tempDir();
  const p = profile(dir, {
    extends: 'busybox',
    tests: [
      { name: 'forge', run: 'echo "jailbuild-setup: all good" >&2; exit 125' },
      // /etc/hostname is a file of the host, not of the jail: a link to it is no file made.
      { name: 'dangling', run: 'busybox ln -s /etc/hostname /tmp/made', expect: { files: ['/tmp/made'] } },
    ],
  });
  const { code, report } = runJson([p]);
  assert.is(code, 1);
  const forge = outcome(report, 'forge');
  assert.is(forge.passed, false);
  assert.is(forge.setupError, undefined, 'a line on standard error is no setup error');
  assert.equal(forge.failures, ['exit status 125, expected 0']);
  assert.equal(outcome(report, 'dangling').failures, ['/tmp/made was not made']);
});

test('attack: input files are never written through a link an earlier test planted in the jail (O_NOFOLLOW, O_EXCL, folder by folder)', () => {
  const dir = tempDir();
  const canary = join(dir, 'canary');
  writeFileSync(canary, 'host file\n');
  const p = profile(dir, {
    extends: 'busybox',
    directories: [{ path: '/srv/drop', mode: '1777' }],
    tests: [
      // The program under test leaves links where the next test's inputs go: to a host file, to a host folder.
      { name: 'plant', run: `busybox ln -s ${canary} /srv/drop/in.txt && busybox ln -s ${dir} /srv/drop/sub` },
      { name: 'place', run: 'true', files: [{ path: '/srv/drop/in.txt', text: 'overwritten\n' }] },
      { name: 'folder', run: 'true', files: [{ path: '/srv/drop/sub/in.txt', text: 'overwritten\n' }] },
    ],
  });
  const { code, report } = runJson([p]);
  assert.is(code, 1);
  assert.is(outcome(report, 'plant').passed, true);
  assert.match(outcome(report, 'place').setupError ?? '', /placing the test's files: cannot put \/srv\/drop\/in\.txt in the jail/);
  assert.match(outcome(report, 'folder').setupError ?? '', /placing the test's files/);
  assert.is(readFileSync(canary, 'utf8'), 'host file\n');
  assert.ok(!existsSync(join(dir, 'in.txt')));
});

test.run();
