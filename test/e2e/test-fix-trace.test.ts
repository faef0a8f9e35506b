/**
 * `jailbuild test --fix` and `jailbuild trace` on six real Debian programs no shipped profile covers
 * (installed by scripts/install-test-deps.sh). Each starts from exactly
 * `{"extends": "base", "binaries": [PROGRAM], "tests": [...]}`:
 *  - --fix must reach a passing jail with no hand edit (the rounds each took are printed);
 *  - the same command traced on the host (`jailbuild trace --write`) must give a profile whose jail
 *    passes its tests on the first `jailbuild test`.
 * The tests run inside the jail with chroot as 65534, in fresh namespaces (see run-tests.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { TestSpec } from '../../src/index.js';
import { jailbuild } from '../helpers/cli.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

interface Program {
  /** What the profile's binaries names. */
  program: string;
  tests: TestSpec[];
}

/**
 * The host's PATH for the traced run: Debian's folders only, so that the programs traced are the ones
 * the jail's PATH finds there (/usr/bin/python3, not a python or a convert wrapper of /usr/local).
 */
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

const PROGRAMS: Record<string, Program> = {
  lilypond: {
    program: 'lilypond',
    tests: [
      {
        name: 'png',
        run: 'lilypond --png -dresolution=60 tune.ly',
        files: [{ path: '/tmp/tune.ly', text: "\\version \"2.24.1\"\n{ c' d' e' f' g'1 }\n" }],
        timeout: 120,
        expect: { files: ['/tmp/tune.png'] },
      },
    ],
  },
  imagemagick: {
    program: '/usr/bin/convert',
    tests: [
      {
        name: 'thumbnail',
        run: "convert -size 640x480 gradient:blue-yellow big.png && convert big.png -thumbnail 64x64 thumb.jpg && identify -format '%w %m' thumb.jpg",
        expect: { stdout: '^64 JPEG$', files: ['/tmp/thumb.jpg'] },
      },
    ],
  },
  groff: {
    program: 'groff',
    tests: [
      {
        name: 'postscript',
        run: 'groff -Tps -ms doc.ms > doc.ps && head -c 10 doc.ps',
        files: [{ path: '/tmp/doc.ms', text: '.TL\nA jailed document\n.PP\nHello from groff inside a jail.\n' }],
        expect: { stdout: '^%!PS-Adobe$', files: ['/tmp/doc.ps'] },
      },
    ],
  },
  python: {
    program: '/usr/bin/python3',
    tests: [
      {
        name: 'sqlite-ssl',
        run: 'python3 db.py',
        files: [
          {
            path: '/tmp/db.py',
            text: [
              'import sqlite3, ssl',
              "db = sqlite3.connect('x.db')",
              "db.execute('create table t (v text)')",
              "db.execute('insert into t values (?)', (ssl.OPENSSL_VERSION,))",
              'db.commit()',
              "print(db.execute('select v from t').fetchone()[0].split()[0])",
              "print('tls', ssl.create_default_context().protocol.name)",
              '',
            ].join('\n'),
          },
        ],
        expect: { stdout: '^OpenSSL\ntls PROTOCOL_TLS_CLIENT$', files: ['/tmp/x.db'] },
      },
    ],
  },
  git: {
    program: 'git',
    tests: [
      {
        name: 'init-commit-log',
        run: "git init -q repo && cd repo && echo hello > a.txt && git add a.txt && git -c user.name=Jail -c user.email=jail@example.org commit -q -m 'first commit' && git log --format='%an: %s'",
        expect: { stdout: '^Jail: first commit$' },
      },
    ],
  },
  // tclsh was here: Tcl's library (init.tcl, clock.tcl, parray.tcl) now comes with it out of the box
  // (known reads), so its bare profile passes and proves nothing about --fix; known-reads.test.ts runs it.
};

interface Report {
  passed: boolean;
  ended: string;
  rounds: Array<{ round: number; tests: Array<{ name: string; passed: boolean; stderr: string }>; added: Array<{ field: string; path: string }> }>;
}

function startingProfile(dir: string, name: string, p: Program): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify({ extends: 'base', binaries: [p.program], tests: p.tests }, null, 2)}\n`);
  return file;
}

function runTest(args: string[]): Report {
  const run = jailbuild(['test', ...args, '--json']);
  assert.ok(run.code === 0 || run.code === 1, `jailbuild test ${args.join(' ')}: exit ${String(run.code)}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Report;
}

function failures(report: Report): string {
  const last = report.rounds[report.rounds.length - 1];
  return (last?.tests ?? [])
    .filter((t) => !t.passed)
    .map((t) => `${t.name}: ${t.stderr.slice(-600)}`)
    .join('\n');
}

for (const [name, p] of Object.entries(PROGRAMS)) {
  test(`${name}: the starting profile fails, and jailbuild test --fix reaches a passing jail with no hand edit`, () => {
    const dir = tempDir('jailbuild-fix-');
    const profile = startingProfile(dir, name, p);
    const fix = join(dir, `${name}.fixed.json`);
    const report = runTest([profile, '--fix', fix]);
    assert.ok(report.passed, `${name}: still failing after ${report.rounds.length} rounds (${report.ended}):\n${failures(report)}`);
    assert.ok(report.rounds.length >= 2, `${name}: the bare profile was expected to fail first (the test proves nothing otherwise)`);
    assert.is(
      report.rounds[0]?.tests.some((t) => !t.passed),
      true,
    );
    const added = report.rounds.flatMap((r) => r.added);
    console.log(`    ${name}: passed after ${report.rounds.length} rounds; ${added.length} lines added: ${added.map((a) => `${a.field} ${a.path}`).join(', ')}`);
    // The fix file extends the profile, which it leaves as it was; every line it adds says why.
    const fixed = JSON.parse(readFileSync(fix, 'utf8')) as Record<string, unknown>;
    assert.is(fixed.extends, `./${basename(profile)}`);
    for (const field of ['binaries', 'files', 'trees'])
      for (const line of (fixed[field] as Array<{ because?: string }> | undefined) ?? []) assert.match(line.because ?? '', /^test '[^']+': \S+ (ran|opened|listed|looked for|read the link|connected to) \//);
    // Rerun from the fix file alone: it passes in one round.
    const again = runTest([fix]);
    assert.ok(again.passed && again.rounds.length === 1, failures(again));
  });

  test(`${name}: jailbuild trace on the host writes a profile whose jail passes on the first jailbuild test`, () => {
    const dir = tempDir('jailbuild-trace-');
    const profile = startingProfile(dir, name, p);
    // The host run: the test's input files in a folder of their own, which is also its HOME.
    const work = tempDir('jailbuild-trace-work-');
    const test0 = p.tests[0] as TestSpec;
    for (const f of test0.files ?? []) writeFileSync(join(work, basename(f.path)), f.text);
    const traced = jailbuild(['trace', '--write', profile, '--', 'sh', '-c', test0.run], { cwd: work, env: { PATH, HOME: work } });
    assert.is(traced.code, 0, `${name}: the traced command failed on the host: ${traced.stderr.slice(-1500)}`);
    assert.match(traced.stdout, /line\(s\) added to /);
    const report = runTest([profile]);
    assert.ok(report.passed && report.rounds.length === 1, `${name}: the traced profile failed its test:\n${failures(report)}\n${readFileSync(profile, 'utf8').slice(0, 3000)}`);
    console.log(`    ${name}: traced profile passed on the first test (${/(\d+) line\(s\) added/.exec(traced.stdout)?.[1] ?? '?'} lines traced)`);
  });
}

test.run();
