/**
 * The diagnosis of a failing test (src/jailtest/diagnose.ts, access-needs.ts, package-folders.ts) on
 * a source root, a jail and a dpkg database written in the test: each failed access becomes the line
 * that fixes it, collapsed into the package's folder, never a shared one; a program's own search is
 * not a failure; the host's accounts and private files are refused; a path the jail has but its user
 * may not read names the mode at fault.
 */
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { needOf } from '../../src/jailtest/access-needs.js';
import { describeDiagnosis, diagnose } from '../../src/jailtest/diagnose.js';
import { packageFolder } from '../../src/jailtest/package-folders.js';
import type { TestOutcome } from '../../src/jailtest/run-tests.js';
import type { Access } from '../../src/jailtest/strace-log.js';
import { additionsFromTrace } from '../../src/jailtest/trace-run.js';
import { PackageIndex } from '../../src/packages/package-index.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { cleanupTempDirs, sysroot } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

/** A dpkg database: `packages` maps each package to the paths it lists (folders included, as dpkg lists them). */
function dpkg(root: string, packages: Record<string, { source?: string; paths: string[] }>): void {
  mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
  const status = Object.entries(packages)
    .map(([name, p]) => `Package: ${name}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0\n${p.source ? `Source: ${p.source}\n` : ''}`)
    .join('\n');
  writeFileSync(join(root, 'var/lib/dpkg/status'), status);
  for (const [name, p] of Object.entries(packages)) writeFileSync(join(root, `var/lib/dpkg/info/${name}.list`), ['/.', ...p.paths].join('\n') + '\n');
}

const ELF = Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(60)]);

function source(): { root: string; fs: RootFs; index: PackageIndex } {
  const root = sysroot({
    'usr/share/lilypond/2.24.1/scm/lily.scm': '(lily)',
    'usr/share/lilypond/2.24.1/ly/init.ly': '%init',
    'usr/share/fonts/truetype/dejavu/DejaVuSans.ttf': 'font',
    'usr/share/fonts/truetype/other/Other.ttf': 'font',
    'usr/bin/gs': ELF,
    'usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16/coders/png.so': ELF,
    'usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16/coders/png.la': 'la',
    'etc/papersize': 'a4\n',
    'etc/passwd': 'root:x:0:0::/root:/bin/sh\n',
    'etc/private/key': 'secret',
    'usr/share/zoneinfo/UTC': 'TZif',
  });
  chmodSync(join(root, 'etc/private'), 0o700);
  dpkg(root, {
    'lilypond-data': {
      paths: [
        '/usr',
        '/usr/share',
        '/usr/share/lilypond',
        '/usr/share/lilypond/2.24.1',
        '/usr/share/lilypond/2.24.1/scm',
        '/usr/share/lilypond/2.24.1/scm/lily.scm',
        '/usr/share/lilypond/2.24.1/ly',
        '/usr/share/lilypond/2.24.1/ly/init.ly',
      ],
    },
    'fonts-dejavu-core': { paths: ['/usr/share/fonts', '/usr/share/fonts/truetype', '/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'] },
    'fonts-other': { paths: ['/usr/share/fonts', '/usr/share/fonts/truetype', '/usr/share/fonts/truetype/other', '/usr/share/fonts/truetype/other/Other.ttf'] },
    ghostscript: { paths: ['/usr/bin', '/usr/bin/gs'] },
    'libmagickcore-6.q16-6': {
      source: 'imagemagick',
      paths: [
        '/usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11',
        '/usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16',
        '/usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16/coders',
        '/usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16/coders/png.so',
        '/usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16/coders/png.la',
      ],
    },
  });
  const fs = new RootFs(root);
  return { root, fs, index: PackageIndex.ofDpkg(fs) };
}

function outcome(accesses: Access[], user = { uid: 65534, gid: 65534 }): TestOutcome {
  return { name: 'png', passed: false, user, result: { status: 1, timedOut: false, stdout: '', stderr: '', missingFiles: [] }, failures: ['exit status 1, expected 0'], ms: 5, accesses };
}

const miss = (path: string, kind: Access['kind'] = 'open', program = '/usr/bin/lilypond', errno = 'ENOENT'): Access => ({ pid: 2, syscall: 'openat', kind, path, errno, program });

test("packageFolder: the highest folder the file's packages fill, never a shared one or one many packages share", () => {
  const { index } = source();
  assert.is(packageFolder('/usr/share/lilypond/2.24.1/scm/lily.scm', index), '/usr/share/lilypond');
  assert.is(packageFolder('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', index), '/usr/share/fonts/truetype/dejavu');
  assert.is(packageFolder('/usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16/coders/png.so', index), '/usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11');
  assert.is(packageFolder('/etc/papersize', index), undefined, '/etc is shared: the file stands alone');
  assert.is(packageFolder('/usr/bin/gs', index), undefined);
  assert.is(packageFolder('/usr/share/zoneinfo/UTC', index), '/usr/share/zoneinfo', 'no package lists anything there: its own folder');
});

test('diagnose: each missing path the source has becomes its line, collapsed and explained; searches and missing-everywhere paths ask nothing', () => {
  const { fs, index } = source();
  const jail = new RootFs(sysroot({ 'bin/sh': 'sh', 'tmp/in.ly': 'x' }));
  const accesses: Access[] = [
    miss('/usr/share/lilypond/2.24.1/scm/lily.scm'),
    miss('/usr/share/lilypond/2.24.1/ly/init.ly'),
    miss('/usr/bin/gs', 'exec'),
    // A search: missed in one folder, found in the next.
    miss('/usr/share/zoneinfo/UTC'),
    { pid: 2, syscall: 'openat', kind: 'open', path: '/opt/zoneinfo/UTC', program: '/usr/bin/lilypond' },
    miss('/usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11/modules-Q16/coders/png.la', 'stat', '/usr/bin/convert'),
    miss('/etc/papersize', 'open', '/usr/bin/gs'),
    miss('/dev/urandom'),
    miss('/dev/fd/3'),
    miss('/proc/self/exe', 'readlink'),
    miss('/usr/share/nowhere/x'),
    miss('/etc/passwd'),
    miss('/etc/private/key'),
    miss('/tmp/out.png'),
    // The runner's own lookups (no program yet) are not the test's.
    { pid: 1, syscall: 'openat', kind: 'open', path: '/etc/papersize', errno: 'ENOENT' },
  ];
  const d = diagnose(outcome(accesses), { fs, index, jail, present: new Set(['devices\0/dev/null']), presentTrees: [] });
  assert.equal(
    d.additions.map((a) => `${a.field} ${a.path}${a.resolve ? ' resolve' : ''}${a.target ? ` -> ${a.target}` : ''}`),
    ['trees /usr/share/lilypond', 'binaries /usr/bin/gs', 'trees /usr/lib/x86_64-linux-gnu/ImageMagick-6.9.11 resolve', 'files /etc/papersize', 'devices /dev/urandom', 'symlinks /dev/fd -> /proc/self/fd', 'proc /proc'],
  );
  assert.is(d.additions[0]?.because, "test 'png': lilypond opened /usr/share/lilypond/2.24.1/scm/lily.scm (ENOENT)");
  assert.equal(d.additions[0]?.packages, ['lilypond-data']);
  assert.equal(
    d.refusals.map((r) => r.path),
    ['/etc/passwd', '/etc/private/key'],
  );
  assert.match(d.refusals[1]?.why ?? '', /"secret": true/);
  const words = describeDiagnosis(d);
  assert.is(words[0], 'lilypond opened /usr/share/lilypond/2.24.1/scm/lily.scm (ENOENT), which the source root has (package lilypond-data): add trees [/usr/share/lilypond]');
});

test('diagnose: lines the profile has already are not suggested again, nor files below its trees', () => {
  const { fs, index } = source();
  const jail = new RootFs(sysroot({ 'bin/sh': 'sh' }));
  const d = diagnose(outcome([miss('/usr/share/lilypond/2.24.1/scm/lily.scm'), miss('/etc/papersize'), miss('/usr/bin/gs', 'exec')]), {
    fs,
    index,
    jail,
    present: new Set(['binaries\0/usr/bin/gs']),
    presentTrees: ['/usr/share/lilypond', '/etc'],
  });
  assert.equal(d.additions, []);
  assert.match(describeDiagnosis(d)[0] ?? '', /the failure is elsewhere/);
});

test('diagnose: a path in the jail the test user may not reach names the folder or file and its mode', () => {
  const { fs, index } = source();
  const jailRoot = sysroot({ 'usr/share/app/data.txt': 'x', 'usr/bin/tool': 'x' });
  chmodSync(join(jailRoot, 'usr/share/app'), 0o750);
  chmodSync(join(jailRoot, 'usr/bin/tool'), 0o640);
  const jail = new RootFs(jailRoot);
  const d = diagnose(outcome([miss('/usr/share/app/data.txt', 'open', '/usr/bin/app', 'EACCES'), miss('/usr/bin/tool', 'exec', '/bin/sh', 'EACCES')], { uid: 33, gid: 33 }), {
    fs,
    index,
    jail,
    present: new Set(),
    presentTrees: [],
  });
  assert.equal(d.additions, []);
  assert.equal(
    d.permissions.map((p) => p.why),
    ['/usr/share/app is mode 0750, owner 0:0: 33:33 may not enter it', '/usr/bin/tool is mode 0640, owner 0:0: 33:33 may not run it'],
  );
});

test('needOf: where a path really leads decides too (a link planted in a world-writable folder toward /proc, /sys or the accounts)', () => {
  const root = sysroot({ 'proc/sys/kernel/x': 'k', 'sys/kernel/y': 'k', 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n', 'usr/share/app/real.txt': 'r' });
  symlinkSync('/proc/sys', join(root, 'usr/share/app/to-proc'));
  symlinkSync('/etc', join(root, 'usr/share/app/to-etc'));
  const fs = new RootFs(root);
  const ctx = { fs, treeForOne: true };
  assert.match(JSON.stringify(needOf('/usr/share/app/to-proc/kernel/x', 'open', ctx)), /leads to \/proc\/sys\/kernel\/x, which no profile line brings/);
  assert.match(JSON.stringify(needOf('/usr/share/app/to-etc/passwd', 'open', ctx)), /leads to \/etc\/passwd, the host's accounts/);
  assert.is(needOf('/sys/kernel/y', 'open', ctx), null);
  assert.is(needOf('/var/lock/x', 'open', ctx), null);
  assert.equal(needOf('/usr/share/app/real.txt', 'open', { fs, treeForOne: false }), { addition: { field: 'files', path: '/usr/share/app/real.txt' } });
});

test('additionsFromTrace: files read together become their package folder, one file stays a file, writes and the working folder are left out', () => {
  const { fs, index } = source();
  const ok = (path: string, kind: Access['kind'] = 'open', extra: Partial<Access> = {}): Access => ({ pid: 3, syscall: 'openat', kind, path, program: '/usr/bin/lilypond', ...extra });
  const { additions, refusals } = additionsFromTrace(
    [
      { pid: 3, syscall: 'execve', kind: 'exec', path: '/usr/bin/gs' },
      ok('/usr/share/lilypond/2.24.1/scm/lily.scm'),
      ok('/usr/share/lilypond/2.24.1/ly/init.ly'),
      ok('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'),
      ok('/etc/papersize'),
      ok('/work/in.ly'),
      ok('/work/out.png', 'open', { writes: true }),
      ok('/etc/passwd'),
      ok('/proc/self/maps'),
      ok('/usr/share/zoneinfo/UTC', 'open', { errno: 'ENOENT' }),
    ],
    fs,
    ['lilypond', 'in.ly'],
    { cwd: '/work', index },
  );
  assert.equal(
    additions.map((a) => `${a.field} ${a.path}`),
    ['binaries /usr/bin/gs', 'files /etc/papersize', 'proc /proc', 'trees /usr/share/lilypond', 'files /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf'],
  );
  assert.is(additions[0]?.because, 'run as "lilypond in.ly"');
  assert.is(additions[3]?.because, '2 files read by lilypond during "lilypond in.ly"');
  assert.equal(
    refusals.map((r) => r.path),
    ['/etc/passwd'],
  );
});

test.run();
