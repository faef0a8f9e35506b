import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeElf } from '../helpers/make-elf.js';
import { cleanupTempDirs, sysroot } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const BIN = join(fileURLToPath(new URL('../../..', import.meta.url)), 'bin', 'jailbuild.js');

function jailbuild(args: string[], cwd = '/') {
  const res = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

test('resolve --json prints {"binaries": [{input, needs, missing}]} and exits 0 when all resolve', () => {
  const r = jailbuild(['resolve', '--json', '/bin/sh', 'ls']);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { binaries: Array<{ input: string; needs: string[]; missing: string[] }> };
  assert.equal(
    out.binaries.map((b) => b.input),
    ['/bin/sh', 'ls'],
  );
  for (const b of out.binaries) {
    assert.equal(b.missing, []);
    assert.ok(b.needs.includes('/lib64'), 'the merged-/usr directory link /lib64 is listed');
    assert.ok(b.needs.some((n) => n.endsWith('/libc.so.6')));
  }
});

test('a missing input or library: reported, the others still resolved, exit 1', () => {
  const root = sysroot({
    '/lib64/ld-linux-x86-64.so.2': makeElf({ soname: 'ld-linux-x86-64.so.2' }),
    '/usr/bin/prog': makeElf({ interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libgone.so.1'] }),
    '/usr/bin/ok': makeElf({ interpreter: '/lib64/ld-linux-x86-64.so.2' }),
  });
  const r = jailbuild(['resolve', '--json', '--root', root, '/usr/bin/nothere', '/usr/bin/prog', '/usr/bin/ok']);
  assert.is(r.code, 1);
  const out = JSON.parse(r.stdout) as { binaries: Array<{ input: string; needs: string[]; missing: string[] }> };
  assert.equal(out.binaries[0]?.missing, ['/usr/bin/nothere']);
  assert.equal(out.binaries[1]?.missing, ['libgone.so.1']);
  assert.equal(out.binaries[2]?.missing, []);
  assert.equal(out.binaries[2]?.needs, ['/lib64/ld-linux-x86-64.so.2', '/usr/bin/ok']);
  const human = jailbuild(['resolve', '--root', root, '/usr/bin/prog']);
  assert.is(human.code, 1);
  assert.match(human.stdout, 'libgone.so.1 => not found');
});

test('usage errors exit 2 with one line; --help explains every option with examples', () => {
  const bad = jailbuild(['resolve', '--dlopen', 'sometimes', '/bin/sh']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--dlopen/);
  const none = jailbuild(['resolve']);
  assert.is(none.code, 2);
  const help = jailbuild(['resolve', '--help']);
  assert.is(help.code, 0);
  for (const opt of ['--root', '--json', '--dlopen', '--ld-library-path', '--hwcaps', '--platform', '--path', 'Examples:', 'Exit status']) {
    assert.match(help.stdout, opt);
  }
});

test('a reader that stops early ends the output quietly, with the status of SIGPIPE, not an unhandled EPIPE', () => {
  // Enough output that the pipe is closed while jailbuild still writes: every library of 40 programs, as JSON.
  const programs = ['sh', 'ls', 'cat', 'grep', 'sed', 'tar', 'gzip', 'find', 'sort', 'cp'].flatMap((p) => [p, p, p, p]);
  const res = spawnSync('bash', ['-o', 'pipefail', '-c', `"$0" "$1" resolve --json "$@" | head -c 10 >/dev/null; echo "status $?" >&2`, process.execPath, BIN, ...programs], { encoding: 'utf8' });
  assert.not.match(res.stderr, /EPIPE|Unhandled|at .*node:/, res.stderr);
  assert.match(res.stderr, /^status (141|0)\n$/, res.stderr);
  // And --help, which commander writes in one go.
  const help = spawnSync('bash', ['-o', 'pipefail', '-c', `"$0" "$1" audit --help | head -1 >/dev/null; echo "status $?" >&2`, process.execPath, BIN], { encoding: 'utf8' });
  assert.not.match(help.stderr, /EPIPE|Unhandled/, help.stderr);
  // A tarball written to standard output reports the broken pipe itself: the stream is cut short.
  const tar = spawnSync('bash', ['-o', 'pipefail', '-c', `"$0" "$1" profile base --tar - | head -c 1000 >/dev/null; echo "status $?" >&2`, process.execPath, BIN], { encoding: 'utf8' });
  assert.match(tar.stderr, /standard output: writing the tarball failed: .*EPIPE/, tar.stderr);
  assert.match(tar.stderr, /status 1\n$/, tar.stderr);
  assert.not.match(tar.stderr, /Unhandled|at .*node:/, tar.stderr);
});

test.run();
