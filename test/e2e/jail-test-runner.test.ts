/**
 * `jailbuild test`'s runner on real jails: each test runs chrooted as its user in fresh mount, PID
 * and network namespaces, from an empty /tmp holding its input files; nothing of the host is
 * reachable; timeouts and Ctrl-C kill every process of the test; nothing stays mounted; exit codes;
 * and the attacks a program under test could try on the runner (forging its result, sending the
 * placement of input files through a link).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mountsBelow } from '../../src/mounts/mounts-below.js';
import { runTests } from '../../src/jailtest/run-tests.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { BIN, jailbuild } from '../helpers/cli.js';
import { compileStatic } from '../helpers/inmate.js';
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

test("attack: a test's input files go only into its own fresh /tmp, with no setuid bit; a link an earlier test planted there is gone", () => {
  const dir = tempDir();
  const canary = join(dir, 'canary');
  writeFileSync(canary, 'host file\n');
  const outside = jailbuild(['test', profile(dir, { extends: 'base', tests: [{ name: 'place', run: 'true', files: [{ path: '/srv/in.txt', text: 'x' }] }] }, 'outside')]);
  assert.is(outside.code, 2);
  assert.match(outside.stderr, /outside\.json:\d+: \/tests\/0\/files\/0\/path: must match pattern "\^\/tmp\/"/);
  const setuid = jailbuild(['test', profile(dir, { extends: 'base', tests: [{ name: 'place', run: 'true', files: [{ path: '/tmp/x', text: 'x', mode: '4755' }] }] }, 'setuid')]);
  assert.is(setuid.code, 2);
  assert.match(setuid.stderr, /\/tests\/0\/files\/0\/mode: must be/);
  const p = profile(dir, {
    extends: 'busybox',
    tests: [
      // The program under test leaves a link where the next test's input goes.
      { name: 'plant', run: `busybox ln -s ${canary} /tmp/in.txt && busybox ln -s ${dir} /tmp/sub` },
      {
        name: 'place',
        run: 'busybox cat /tmp/in.txt /tmp/sub/in.txt',
        files: [
          { path: '/tmp/in.txt', text: 'mine\n' },
          { path: '/tmp/sub/in.txt', text: 'also mine\n', mode: '0600' },
        ],
        expect: { stdout: '^mine\nalso mine$' },
      },
    ],
  });
  const { code, report, stderr } = runJson([p]);
  assert.is(code, 0, stderr + JSON.stringify(report.rounds[0]?.tests));
  assert.is(readFileSync(canary, 'utf8'), 'host file\n');
  assert.ok(!existsSync(join(dir, 'in.txt')));
});

test("attack: a test's env never reaches the host programs that start it as root (LD_PRELOAD), and no test runs as root", () => {
  const dir = tempDir();
  const marker = join(dir, 'ran-as-root');
  const src = join(dir, 'evil.c');
  writeFileSync(src, `#include <stdio.h>\n#include <unistd.h>\n__attribute__((constructor)) static void evil(void) { if (geteuid() == 0) { FILE *f = fopen("${marker}", "w"); if (f) { fputs("root", f); fclose(f); } } }\n`);
  const lib = join(dir, 'evil.so');
  spawnSync('gcc', ['-shared', '-fPIC', '-o', lib, src]);
  assert.ok(existsSync(lib));
  const p = profile(dir, { extends: 'base', tests: [{ name: 'preload', run: 'echo "$LD_PRELOAD"', env: { LD_PRELOAD: lib, LD_LIBRARY_PATH: dir }, expect: { stdout: `^${lib}$` } }] });
  const { code, report, stderr } = runJson([p]);
  assert.is(code, 0, stderr + JSON.stringify(report.rounds[0]?.tests));
  assert.ok(!existsSync(marker), 'the library was never loaded by a root process');
  const root = jailbuild(['test', profile(dir, { extends: 'base', tests: [{ name: 'as-root', run: 'true', user: 0 }] }, 'root')]);
  assert.is(root.code, 2);
  assert.match(root.stderr, /\/tests\/0\/user/);
  const throughVariable = jailbuild(['test', profile(dir, { extends: 'base', variables: { WHO: '1' }, tests: [{ name: 'as-root', run: 'true', user: '${WHO}', group: 0 }] }, 'var')]);
  assert.is(throughVariable.code, 2);
  const viaSet = jailbuild(['test', profile(dir, { extends: 'base', variables: { WHO: '1' }, tests: [{ name: 'as-root', run: 'true', user: '${WHO}' }] }, 'set'), '--set', 'WHO=0']);
  assert.is(viaSet.code, 2, viaSet.stdout);
  assert.match(viaSet.stderr, /as-root: a test never runs as root/);
});

test('attack: a setuid program in a mounted host folder gives nothing (nosuid, no new privileges); SysV IPC and the process count stay in the test', () => {
  const dir = tempDir();
  const host = tempDir('jailbuild-mounted-');
  const whoami = compileStatic('euid', '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("euid %d\\n", (int)geteuid()); return 0; }\n');
  const shm = compileStatic('shm', '#include <stdio.h>\n#include <sys/shm.h>\nint main(void) { int id = shmget(IPC_PRIVATE, 7654321, IPC_CREAT | 0600); printf("shm %d\\n", id >= 0); return id < 0; }\n');
  for (const [bin, name] of [
    [whoami, 'euid'],
    [shm, 'shm'],
  ] as const) {
    writeFileSync(join(host, name), readFileSync(bin));
    chmodSync(join(host, name), 0o4755);
  }
  const p = profile(dir, {
    extends: 'base',
    mounts: [{ source: host, target: '/hostbin', readOnly: true }],
    tests: [{ name: 'setuid', run: '/hostbin/euid; /hostbin/shm; ulimit -p', expect: { stdout: '^euid 65534\nshm 1\n2048$' } }],
  });
  const { code, report, stderr } = runJson([p]);
  assert.is(code, 0, stderr + JSON.stringify(report.rounds[0]?.tests));
  assert.not.match(readFileSync('/proc/sysvipc/shm', 'utf8'), /\b7654321\b/, 'the shared memory went with the test');
});

test('attack: output and paths of the program under test are printed with control characters escaped', () => {
  const dir = tempDir();
  const p = profile(dir, { extends: 'base', tests: [{ name: 'paint', run: "printf 'ok\\033[2K\\rjailbuild: 0 of 9 test(s) failed\\n'; exit 1" }] });
  const run = jailbuild(['test', p]);
  assert.is(run.code, 1);
  assert.not.ok(run.stdout.includes(String.fromCharCode(27)));
  assert.match(run.stdout, /ok\\x1b\[2K\\x0djailbuild: 0 of 9/);
});

test('--fix keeps the right of the profile named to grant: its allowSetuid still counts from the fix file', () => {
  const dir = tempDir();
  const p = profile(dir, {
    extends: 'busybox',
    binaries: [{ path: '/usr/bin/busybox', allowSetuid: true }],
    tests: [{ name: 'papersize', run: 'busybox cat /etc/papersize' }],
  });
  const fix = join(dir, 'fixed.json');
  const { code, report, stderr } = runJson([p, '--fix', fix]);
  assert.is(code, 0, stderr + JSON.stringify(report.rounds));
  assert.is(report.rounds.length, 2);
});

test.run();
