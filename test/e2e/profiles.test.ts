/**
 * Every shipped profile is built with the CLI and its programs are run inside the jail with chroot.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveInputs } from '../../src/index.js';
import { jailbuild, TOP } from '../helpers/cli.js';
import { layOut, runInJail, runInJailAs } from '../helpers/jail.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/tmp' };

function build(profile: string, extra: string[] = []): string {
  const out = join(tempDir('jailbuild-profile-'), 'jail');
  const run = jailbuild(['profile', profile, '--out', out, ...extra]);
  assert.is(run.code, 0, `jailbuild profile ${profile}: ${run.stderr}`);
  assert.match(run.stdout, `built ${out}`);
  return out;
}

function writeProfile(dir: string, name: string, body: object): string {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(body, null, 2));
  return path;
}

test('base: /bin/sh runs, /dev/null is a real device, /tmp is 1777, owners and modes follow the policy', () => {
  const jail = build('base');
  const run = runInJail(jail, ['/bin/sh', '-c', 'echo ok > /dev/null && echo shell works'], { env: ENV });
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, 'shell works\n');
  const stat = (p: string): string => execFileSync('stat', ['-c', '%A %u:%g %t,%T', join(jail, p)], { encoding: 'utf8' }).trim();
  assert.is(stat('dev/null'), 'crw-rw-rw- 0:0 1,3');
  assert.is(stat('tmp').split(' ')[0], 'drwxrwxrwt');
  assert.is(stat('usr/bin/dash').split(' ')[0], '-rwxr-xr-x', 'a profile naming no account: go-w, anyone may run it');
  // Nothing in the tree is writable by an ordinary user but /tmp and the character devices.
  const writable = execFileSync('find', [jail, '-perm', '-o+w', '!', '-type', 'l', '!', '-type', 'c', '-printf', '/%P\n'], { encoding: 'utf8' });
  assert.is(writable, '/tmp\n', 'only /tmp is writable by others');
  const foreignOwners = execFileSync('find', [jail, '!', '-uid', '0', '-printf', '/%P\n'], { encoding: 'utf8' });
  assert.is(foreignOwners, '', 'root owns every entry');
  // A profile naming no account is for anyone, read-only but for /tmp.
  const nobody = runInJailAs(jail, ['/bin/sh', '-c', 'echo in; echo x > /tmp/ok && echo wrote tmp; echo y > /etc/x || echo refused etc'], '65534:65534', { env: ENV });
  assert.is(nobody.stdout, 'in\nwrote tmp\nrefused etc\n', nobody.stderr);
  assert.is(execFileSync('readlink', [join(jail, 'bin')], { encoding: 'utf8' }).trim(), 'usr/bin');
  assert.equal(testNames(jailTest(['base'])), ['shell']);
});

interface TestReport {
  passed: boolean;
  rounds: Array<{ tests: Array<{ name: string; passed: boolean; stdout: string; stderr: string; failures: string[] }>; diagnoses: Array<{ additions: Array<{ field: string; path: string }> }> }>;
}

/** `jailbuild test ARGS --json`: the profile's tests run inside its jail, as its user, in namespaces of their own. */
function jailTest(args: string[], expectPass = true): TestReport {
  const run = jailbuild(['test', ...args, '--json']);
  const report = JSON.parse(run.stdout || '{}') as TestReport;
  const tests = report.rounds?.[0]?.tests ?? [];
  const failed = tests.filter((t) => !t.passed).map((t) => `${t.name}: ${t.failures.join('; ')}\n${t.stdout}${t.stderr}`);
  if (expectPass) assert.is(run.code, 0, `jailbuild test ${args.join(' ')}: ${run.stderr}${failed.join('\n')}`);
  else assert.is(run.code, 1, run.stderr);
  return report;
}

const testNames = (r: TestReport): string[] => (r.rounds[0]?.tests ?? []).map((t) => t.name);

test("tex: the profile's test, latex math to DVI and dvipng to PNG, passes in its jail with no font generated", () => {
  const report = jailTest(['tex']);
  assert.equal(testNames(report), ['shell', 'math-png']);
  const output = (report.rounds[0]?.tests ?? []).map((t) => t.stdout + t.stderr).join('');
  assert.not.match(output, /mktexpk|not found/i, 'no font had to be generated');
  const jail = build('tex');
  assert.is(execFileSync('readlink', [join(jail, 'usr/bin/latex')], { encoding: 'utf8' }).trim(), 'pdftex', 'latex -> pdftex is kept as a link');
});

test('tex with a tree removed: the test fails, the diagnosis names the missing file and the line that fixes it, and --fix restores it', () => {
  const dir = tempDir('jailbuild-broken-');
  const shipped = JSON.parse(readFileSync(join(TOP, 'profiles/tex.json'), 'utf8')) as { trees: unknown[] };
  const broken = writeProfile(dir, 'tex-broken', { ...shipped, $schema: undefined, trees: shipped.trees.filter((t) => t !== '/usr/share/texlive/texmf-dist/tex/latex') });
  const run = jailbuild(['test', broken]);
  assert.is(run.code, 1, run.stderr);
  const line = run.stdout.split('\n').find((l) => /\/usr\/share\/texlive\/texmf-dist\/tex\/latex\/\S+ \(ENOENT\), which the source root has/.test(l));
  assert.ok(line, run.stdout);
  assert.match(line ?? '', /\(package texlive-latex-base\b.*\): add trees \[\/usr\/share\/texlive[^\]]*\]/);
  const fixed = jailTest([broken, '--fix', join(dir, 'tex-fixed.json')]);
  assert.is(fixed.rounds.length, 2);
});

test("ghostscript: ps2pdf -> ps2pdf14 -> ps2pdfwr -> gs turns PostScript into PDF (the profile's test)", () => {
  assert.equal(testNames(jailTest(['ghostscript'])), ['shell', 'ps2pdf']);
});

test("strace and busybox: their profiles' tests pass", () => {
  assert.equal(testNames(jailTest(['strace'])), ['shell', 'trace']);
  assert.equal(testNames(jailTest(['busybox'])), ['shell', 'applets']);
});

test("dns: getent answers from the jail's /etc/hosts (the profile's test)", () => {
  const dir = tempDir('jailbuild-dns-');
  writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n10.11.12.13 jailtest.example jailtest\n');
  assert.equal(testNames(jailTest(['dns', '--set', `HOSTS=${join(dir, 'hosts')}`])), ['shell', 'hosts']);
});

test("php-fpm: as the pool user, its web root mounted read-only, sessions writable, its devices (the profile's test)", () => {
  const web = tempDir('jailbuild-web-');
  writeFileSync(join(web, 'index.php'), '<?php echo "hi";\n');
  const report = jailTest(['php-fpm', '--set', `WEBROOT=${web}`]);
  assert.equal(testNames(report), ['shell', 'pool-user']);
  assert.ok(!existsSync(join(web, 'jailbuild-test')), 'the read-only web root kept the write out');
});

test('https + dns (the curl profile): curl fetches https://jailtest.example from servers started with --serve; a certificate from a CA the host does not trust fails', () => {
  const dir = tempDir('jailbuild-tls-');
  const ssl = (args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const certificate = (ca: string, name: string): void => {
    ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=jailbuild ${ca}`]);
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', '/CN=jailtest.example']);
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:jailtest.example\n');
    ssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', 'ext.cnf']);
  };
  certificate('ca', 'srv');
  certificate('stranger-ca', 'stranger');
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:3\n');
  const installed = '/usr/local/share/ca-certificates/jailbuild-test-ca.crt';
  mkdirSync('/usr/local/share/ca-certificates', { recursive: true });
  writeFileSync(installed, readFileSync(join(dir, 'ca.crt')));
  const restoreStore = (): void => {
    rmSync(installed, { force: true });
    execFileSync('update-ca-certificates', ['--fresh'], { stdio: 'ignore' });
  };
  process.on('exit', () => existsSync(installed) && restoreStore());
  const dns = 'dnsmasq --no-daemon --port 53 --listen-address 127.0.0.1 --bind-interfaces --no-resolv --no-hosts --address=/jailtest.example/127.0.0.1 2>/dev/null';
  const web = (cert: string): string => `cd ${dir} && exec openssl s_server -accept 127.0.0.1:4433 -cert ${cert}.crt -key ${cert}.key -www -quiet`;
  try {
    execFileSync('update-ca-certificates', [], { stdio: 'ignore' });
    const args = ['curl', '--set', `RESOLV_CONF=${join(dir, 'resolv.conf')}`, '--serve', dns];
    const report = jailTest([...args, '--serve', web('srv')]);
    assert.equal(testNames(report), ['shell', 'ca-store', 'hosts', 'https-fetch']);
    assert.match(report.rounds[0]?.tests[3]?.stdout ?? '', /s_server/);
    // The same fetch from a server whose CA is not in the host's store: refused. The store is what made it work.
    const refused = jailTest([...args, '--only', 'https-fetch', '--serve', web('stranger')], false);
    assert.match(refused.rounds[0]?.tests[0]?.stderr ?? '', /SSL certificate problem/);
  } finally {
    if (existsSync(installed)) restoreStore();
  }
});

const SENDMAIL_C = `#include <stdio.h>
#include <string.h>
/* A sendmail stand-in: records its arguments and the message in /tmp/outbox. */
int main(int argc, char **argv) {
  FILE *out = fopen("/tmp/outbox", "a");
  if (!out) return 75;
  fprintf(out, "ARGS");
  for (int i = 1; i < argc; i++) fprintf(out, " %s", argv[i]);
  fprintf(out, "\\n");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) fwrite(buf, 1, n, out);
  return fclose(out) == 0 ? 0 : 74;
}
`;

test('sendmail: a stand-in installed as /usr/bin/sendmail receives a message', () => {
  const dir = tempDir('jailbuild-sendmail-');
  writeFileSync(join(dir, 'sendmail.c'), SENDMAIL_C);
  execFileSync('gcc', ['-O2', '-o', join(dir, 'mini_sendmail'), join(dir, 'sendmail.c')]);
  const jail = build('sendmail', ['--set', `SENDMAIL=${join(dir, 'mini_sendmail')}`]);
  assert.not.ok(existsSync(join(jail, dir, 'mini_sendmail')), 'installed under its new name only');
  const run = runInJail(jail, ['/bin/sh', '-c', 'printf "To: someone@example.test\\nSubject: hi\\n\\nhello\\n" | /usr/bin/sendmail -t -i --username=wiki'], { env: ENV });
  assert.is(run.status, 0, run.stderr);
  const box = readFileSync(join(jail, 'tmp/outbox'), 'utf8');
  assert.match(box, 'ARGS -t -i --username=wiki\nTo: someone@example.test');
  // The profile's own test hands a message to the stand-in too.
  assert.equal(testNames(jailTest(['sendmail', '--set', `SENDMAIL=${join(dir, 'mini_sendmail')}`])), ['shell', 'message']);
});

/** A sysroot with a shell and libc from this machine, for programs the test installs in /usr/local and /opt. */
function sysrootWithShell(): string {
  const root = tempDir('jailbuild-sysroot-');
  const [sh] = resolveInputs(['/bin/sh']);
  layOut(sh?.needs ?? [], '/', root);
  return root;
}

test('idsgrep: a library found only through ld.so.conf.d gets the jail its own ld.so.cache; its data comes along', () => {
  const root = sysrootWithShell();
  const src = tempDir('jailbuild-ids-src-');
  writeFileSync(join(src, 'ids.c'), '#include <string.h>\nint ids_match(const char *a, const char *b) { return strstr(a, b) != 0; }\n');
  writeFileSync(
    join(src, 'idsgrep.c'),
    `#include <stdio.h>
int ids_match(const char *, const char *);
int main(int argc, char **argv) {
  FILE *f = fopen("/usr/local/share/dict/kanji", "r");
  if (!f || argc < 2) return 2;
  char line[256]; int found = 0;
  while (fgets(line, sizeof line, f)) if (ids_match(line, argv[1])) { fputs(line, stdout); found = 1; }
  return found ? 0 : 1;
}
`,
  );
  mkdirSync(join(root, 'usr/local/lib64'), { recursive: true });
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libids.so.0', '-o', join(root, 'usr/local/lib64/libids.so.0.1'), join(src, 'ids.c')]);
  symlinkSync('libids.so.0.1', join(root, 'usr/local/lib64/libids.so.0'));
  execFileSync('gcc', ['-o', join(root, 'usr/local/bin/idsgrep'), join(src, 'idsgrep.c'), `-L${join(root, 'usr/local/lib64')}`, '-l:libids.so.0']);
  mkdirSync(join(root, 'usr/local/share/dict'), { recursive: true });
  writeFileSync(join(root, 'usr/local/share/dict/kanji'), 'tree 木\nforest 森\nwoods 林\n');
  mkdirSync(join(root, 'etc/ld.so.conf.d'), { recursive: true });
  writeFileSync(join(root, 'etc/ld.so.conf'), 'include /etc/ld.so.conf.d/*.conf\n');
  writeFileSync(join(root, 'etc/ld.so.conf.d/local.conf'), '/usr/local/lib64\n');
  execFileSync('ldconfig', ['-X', '-r', root]);

  const jail = build('idsgrep', ['--root', root]);
  assert.ok(existsSync(join(jail, 'etc/ld.so.cache')), 'the jail has its own ld.so.cache');
  const run = runInJail(jail, ['/usr/local/bin/idsgrep', 'forest'], { env: ENV });
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, 'forest 森\n');
});

test('a self-locating program runs through a link in /usr/local/bin and finds its data from its real path', () => {
  const root = sysrootWithShell();
  const src = tempDir('jailbuild-selfloc-src-');
  writeFileSync(
    join(src, 'selfloc.c'),
    `#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* Finds its data as kpathsea does: argv[0] (through PATH), then the real path, then ../share. */
int main(int argc, char **argv) {
  char found[PATH_MAX], real[PATH_MAX], data[PATH_MAX * 2];
  (void)argc;
  if (strchr(argv[0], '/')) snprintf(found, sizeof found, "%s", argv[0]);
  else {
    char *path = getenv("PATH"); if (!path) return 3;
    char *copy = strdup(path); int ok = 0;
    for (char *dir = strtok(copy, ":"); dir && !ok; dir = strtok(NULL, ":")) {
      snprintf(found, sizeof found, "%s/%s", dir, argv[0]);
      ok = access(found, X_OK) == 0;
    }
    if (!ok) return 4;
  }
  if (!realpath(found, real)) return 5;
  snprintf(data, sizeof data, "%s/../share/selfloc/data.txt", dirname(real));
  FILE *f = fopen(data, "r"); if (!f) { fprintf(stderr, "no data at %s\\n", data); return 6; }
  char line[256]; if (fgets(line, sizeof line, f)) fputs(line, stdout);
  return 0;
}
`,
  );
  mkdirSync(join(root, 'opt/selfloc/bin'), { recursive: true });
  mkdirSync(join(root, 'opt/selfloc/share/selfloc'), { recursive: true });
  mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
  execFileSync('gcc', ['-o', join(root, 'opt/selfloc/bin/selfloc'), join(src, 'selfloc.c')]);
  chmodSync(join(root, 'opt/selfloc/bin/selfloc'), 0o755);
  writeFileSync(join(root, 'opt/selfloc/share/selfloc/data.txt'), 'found my data\n');
  symlinkSync('/opt/selfloc/bin/selfloc', join(root, 'usr/local/bin/selfloc'));
  const profile = writeProfile(src, 'selfloc', { extends: 'base', binaries: ['selfloc'], trees: ['/opt/selfloc/share'] });

  const jail = build(profile, ['--root', root]);
  assert.is(execFileSync('readlink', [join(jail, 'usr/local/bin/selfloc')], { encoding: 'utf8' }).trim(), '/opt/selfloc/bin/selfloc');
  const run = runInJail(jail, ['/bin/sh', '-c', 'selfloc'], { env: ENV });
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, 'found my data\n');
});

test('bad profiles: one line naming the file and the field, exit 2, nothing written', () => {
  const dir = tempDir('jailbuild-bad-');
  const cases: Array<[string, string, RegExp]> = [
    ['syntax', '{\n  "binaries": ["/bin/sh",]\n}\n', /syntax\.json: line 2, column 26: JSON syntax error/],
    ['schema', JSON.stringify({ binaries: [42] }, null, 2), /schema\.json:3: \/binaries\/0: must be string or object/],
    ['unknown', JSON.stringify({ binarys: ['/bin/sh'] }, null, 2), /unknown\.json:2: \/binarys: unknown field; did you mean "binaries"\?/],
    ['cycle-a', JSON.stringify({ extends: './cycle-b.json' }), /extends cycle: .*cycle-a\.json -> .*cycle-b\.json -> .*cycle-a\.json/],
    ['missing', JSON.stringify({ extends: 'base', binaries: ['/usr/bin/no-such-program'] }, null, 2), /missing\.json:4: \/binaries\/0: \/usr\/bin\/no-such-program: not found in the root/],
    ['badvar', JSON.stringify({ out: '/srv/${NOPE}' }, null, 2), /badvar\.json:2: \/out: unknown variable \$\{NOPE\}/],
  ];
  writeFileSync(join(dir, 'cycle-b.json'), JSON.stringify({ extends: './cycle-a.json' }));
  for (const [name, text, expected] of cases) {
    writeFileSync(join(dir, `${name}.json`), text);
    const out = join(dir, `out-${name}`);
    const run = jailbuild(['profile', join(dir, `${name}.json`), '--out', out]);
    assert.is(run.code, 2, `${name}: ${run.stderr}`);
    assert.match(run.stderr, expected, name);
    assert.is(run.stderr.trim().split('\n').length, 1, `${name}: one line: ${run.stderr}`);
    assert.not.match(run.stderr, /\n\s+at /, 'no stack trace');
    assert.not.ok(existsSync(out), `${name}: nothing written`);
  }
});

test.run();
