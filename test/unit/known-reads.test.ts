/**
 * Known reads (src/resolve/known-reads.ts): what a program family reads or runs by a path no header
 * or script names, on roots built in the test. The entries' templates (`$1`, `{program}`, `*`), the
 * program-name guard, folders brought whole (links kept, links into other folders not followed, a
 * size limit), and the resolver bringing it all with a `known-read` reason. The real families
 * (psql, gcc-ar, kpathsea, groff, PHP, gdb, dpkg-dev) are run in jails in test/e2e/known-reads.test.ts.
 */
import { chmodSync, chownSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeReason } from '../../src/model/reason.js';
import { folderContents, KNOWN_READS, knownReadsOf, type KnownReads, systemOwned } from '../../src/resolve/known-reads.js';
import { ProgramResolver } from '../../src/resolve/program-resolver.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { makeElf } from '../helpers/make-elf.js';
import { cleanupTempDirs, sysroot } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const WRAPPER: KnownReads = { what: 'the wrapper runs its namesake', file: /^\/usr\/share\/wrap\/wrapper$/, brings: ['/usr/lib/wrap/*/bin/{program}', '/etc/wrap/list'] };
const VERSIONED: KnownReads = { what: 'a tool runs its plugin', file: /^\/usr\/bin\/tool-(ar|nm)-([0-9]+)$/, brings: ['/usr/lib/tool/*/$2/plugin.so', '/usr/bin/$1', '/usr/lib/tool/$3/never'] };

function root(): RootFs {
  return new RootFs(
    sysroot({
      'usr/share/wrap/wrapper': '#!/bin/sh\nexit 0\n',
      'usr/lib/wrap/14/bin/client': 'old',
      'usr/lib/wrap/15/bin/client': 'new',
      'usr/lib/wrap/15/bin/other': 'other',
      'etc/wrap/list': '15 main\n',
      'usr/bin/tool-ar-12': 'x',
      'usr/lib/tool/x86_64-linux-gnu/12/plugin.so': 'x',
      'usr/lib/tool/x86_64-linux-gnu/13/plugin.so': 'x',
      'usr/bin/ar': 'x',
    }),
  );
}

test('knownReadsOf: {program} is the name asked for, * matches every version, $N the file pattern groups; a group the pattern lacks brings nothing', () => {
  const fs = root();
  const [w] = knownReadsOf(fs, '/usr/share/wrap/wrapper', '/usr/bin/client', [WRAPPER]);
  assert.equal(w?.paths, ['/etc/wrap/list', '/usr/lib/wrap/14/bin/client', '/usr/lib/wrap/15/bin/client']);
  const [t] = knownReadsOf(fs, '/usr/bin/tool-ar-12', '/usr/bin/tool-ar', [VERSIONED]);
  assert.equal(t?.paths, ['/usr/bin/ar', '/usr/lib/tool/x86_64-linux-gnu/12/plugin.so'], 'version 12 only, and no path from the missing $3');
  assert.equal(knownReadsOf(fs, '/usr/bin/tool-ranlib-12', '/usr/bin/x', [VERSIONED]), [], 'a file the pattern does not match');
});

test('knownReadsOf: a program asked for by a name holding a glob character, or . or .., brings nothing through {program} (it would widen the pattern or name the folder above)', () => {
  const fs = root();
  for (const name of ['/usr/bin/*', '/usr/bin/c?ient', '/usr/bin/[c]lient', '/usr/bin/..', '/usr/bin/.', '/']) {
    const [w] = knownReadsOf(fs, '/usr/share/wrap/wrapper', name, [WRAPPER]);
    assert.equal(w?.paths, ['/etc/wrap/list'], name);
  }
});

test('folderContents: files and links folder by folder, each in sorted order, a link to a folder kept without going in, at most max entries', () => {
  const fs = new RootFs(
    sysroot({
      'usr/share/data/b.txt': 'b',
      'usr/share/data/a/one': '1',
      'usr/share/data/a/two': '2',
      'usr/share/data/loop': { link: '.' },
      'usr/share/data/font': { link: '../fonts/f.t1' },
      'usr/share/fonts/f.t1': 'font',
    }),
  );
  const { files, truncated } = folderContents(fs, '/usr/share/data');
  assert.not.ok(truncated);
  assert.equal(
    files.map((f) => [f.requested, f.path, f.kind]),
    [
      ['/usr/share/data/b.txt', '/usr/share/data/b.txt', 'file'],
      ['/usr/share/data/font', '/usr/share/fonts/f.t1', 'file'],
      ['/usr/share/data/loop', '/usr/share/data', 'directory'],
      ['/usr/share/data/a/one', '/usr/share/data/a/one', 'file'],
      ['/usr/share/data/a/two', '/usr/share/data/a/two', 'file'],
    ],
  );
  const cut = folderContents(fs, '/usr/share/data', 2);
  assert.ok(cut.truncated);
  assert.is(cut.files.length, 1, 'the folder a counts as one of the two');
});

test('the resolver brings what the family of a closure file is known to read: a pg_wrapper link brings the versioned program of its name, resolved, and the cluster list', () => {
  const fs = new RootFs(
    sysroot({
      'bin/sh': 'not ELF',
      'usr/share/postgresql-common/pg_wrapper': '#!/bin/sh\nexit 0\n',
      'usr/bin/psql': { link: '../share/postgresql-common/pg_wrapper' },
      'usr/lib/postgresql/15/bin/psql': '#!/bin/sh\nexit 0\n',
      'usr/lib/postgresql/15/bin/pg_dump': '#!/bin/sh\nexit 0\n',
      'etc/postgresql-common/user_clusters': '* * 15 main *\n',
      'etc/postgresql/15/main/postgresql.conf': 'port = 5432\n',
      'etc/postgresql/15/main/pg_hba.conf': 'local all all peer\n',
    }),
  );
  const resolver = new ProgramResolver(fs);
  const closure = resolver.closure(fs.lookup('/usr/bin/psql'));
  const paths = closure.needs.list().map((n) => n.path);
  assert.ok(paths.includes('/usr/lib/postgresql/15/bin/psql'), paths.join(' '));
  assert.ok(paths.includes('/etc/postgresql/15/main/postgresql.conf'));
  assert.ok(paths.includes('/etc/postgresql-common/user_clusters'));
  assert.not.ok(paths.includes('/usr/lib/postgresql/15/bin/pg_dump'), 'only the program of its name');
  assert.not.ok(paths.includes('/etc/postgresql/15/main/pg_hba.conf'), 'not the cluster access rules');
  const need = closure.needs.list().find((n) => n.path === '/usr/lib/postgresql/15/bin/psql');
  assert.is(need?.reason.kind, 'known-read');
  assert.match(describeReason(need?.reason as never), /^read by \/usr\/share\/postgresql-common\/pg_wrapper \(PostgreSQL's pg_wrapper picks the default cluster/);
});

test('the resolver: a program linked with libpython brings the interpreter start-up modules; a library whose family reads a folder brings it whole, links kept', () => {
  const MA = '/usr/lib/x86_64-linux-gnu';
  const fs = new RootFs(
    sysroot({
      '/lib64/ld-linux-x86-64.so.2': { link: `${MA}/ld-linux-x86-64.so.2` },
      [`${MA}/ld-linux-x86-64.so.2`]: makeElf({ soname: 'ld-linux-x86-64.so.2' }),
      [`${MA}/libc.so.6`]: makeElf({ soname: 'libc.so.6' }),
      [`${MA}/libpython3.11.so.1.0`]: makeElf({ soname: 'libpython3.11.so.1.0', needed: ['libc.so.6'] }),
      [`${MA}/libfontconfig.so.1.12.0`]: makeElf({ soname: 'libfontconfig.so.1', needed: ['libc.so.6'] }),
      [`${MA}/libfontconfig.so.1`]: { link: 'libfontconfig.so.1.12.0' },
      '/usr/bin/embedder': makeElf({ interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libpython3.11.so.1.0', 'libfontconfig.so.1', 'libc.so.6'] }),
      'usr/lib/python3.11/site.py': 'import os\n',
      'usr/lib/python3.11/os.py': '',
      'usr/lib/python3.11/json/__init__.py': '',
      'usr/lib/python3.11/encodings/__init__.py': '',
      'usr/lib/python3.11/encodings/utf_8.py': '',
      'etc/fonts/fonts.conf': '<fontconfig/>',
      'etc/fonts/conf.d/10-hinting.conf': { link: '../../../usr/share/fontconfig/conf.avail/10-hinting.conf' },
      'usr/share/fontconfig/conf.avail/10-hinting.conf': '<fontconfig/>',
      'usr/share/fontconfig/conf.avail/99-unused.conf': '<fontconfig/>',
    }),
  );
  const closure = new ProgramResolver(fs).closure(fs.lookup('/usr/bin/embedder'));
  const byPath = new Map(closure.needs.list().map((n) => [n.path, n]));
  for (const p of ['/usr/lib/python3.11/site.py', '/usr/lib/python3.11/os.py', '/usr/lib/python3.11/encodings/__init__.py', '/usr/lib/python3.11/encodings/utf_8.py']) assert.ok(byPath.has(p), p);
  assert.not.ok(byPath.has('/usr/lib/python3.11/json/__init__.py'), 'no module the start-up does not import');
  for (const p of ['/etc/fonts/fonts.conf', '/etc/fonts/conf.d/10-hinting.conf', '/usr/share/fontconfig/conf.avail/10-hinting.conf']) assert.ok(byPath.has(p), p);
  assert.is(byPath.get('/etc/fonts/conf.d/10-hinting.conf')?.kind, 'symlink');
  assert.not.ok(byPath.has('/usr/share/fontconfig/conf.avail/99-unused.conf'), 'only what the folder links to');
  assert.is(byPath.get('/etc/fonts/fonts.conf')?.reason.kind, 'known-read');
  assert.is(byPath.get('/etc/fonts/fonts.conf')?.reason.from, `${MA}/libfontconfig.so.1.12.0`);
});

test('a shell script naming a file under /usr as an argument brings it (named-by); one the host keeps from others is not brought (attack: a script naming a private file)', () => {
  const dir = sysroot({
    'bin/sh': 'not ELF',
    'usr/bin/gcc': '#!/bin/sh\nexit 0\n',
    'usr/bin/wrapper': '#!/bin/sh\nexec gcc -specs /usr/lib/musl/musl-gcc.specs -include /usr/local/private/key.h "$@"\n',
    'usr/lib/musl/musl-gcc.specs': '%rename cpp_options old_cpp_options\n',
    'usr/local/private/key.h': '#define KEY "secret"\n',
  });
  chmodSync(join(dir, 'usr/local/private'), 0o700);
  const fs = new RootFs(dir);
  const closure = new ProgramResolver(fs).closure(fs.lookup('/usr/bin/wrapper'));
  const byPath = new Map(closure.needs.list().map((n) => [n.path, n]));
  assert.is(byPath.get('/usr/lib/musl/musl-gcc.specs')?.reason.kind, 'named-by');
  assert.is(byPath.get('/usr/lib/musl/musl-gcc.specs')?.reason.line, 2);
  assert.not.ok(byPath.has('/usr/local/private/key.h'), 'a file in a folder closed to others stays out');
});

test("attack: a tenant's library of a known name triggers nothing — outside a system folder, or in one but owned by an ordinary account", () => {
  const dir = sysroot({
    'srv/t1/lib/libfontconfig.so.1': 'x',
    'usr/lib/x86_64-linux-gnu/libfontconfig.so.1': 'x',
    'etc/fonts/fonts.conf': '<fontconfig/>',
  });
  const fs = () => new RootFs(dir);
  assert.equal(knownReadsOf(fs(), '/srv/t1/lib/libfontconfig.so.1', '/srv/t1/app'), [], 'not in a system folder');
  assert.equal(knownReadsOf(fs(), '/usr/lib/x86_64-linux-gnu/libfontconfig.so.1', '/usr/bin/app')[0]?.paths, ['/etc/fonts']);
  chownSync(join(dir, 'usr/lib/x86_64-linux-gnu/libfontconfig.so.1'), 1001, 1001);
  assert.equal(knownReadsOf(fs(), '/usr/lib/x86_64-linux-gnu/libfontconfig.so.1', '/usr/bin/app'), [], 'owned by uid 1001');
});

test("attack: a folder brought whole leaves out another account's files, links to them and links that loop, and says so", () => {
  const dir = sysroot({
    'bin/sh': 'not ELF',
    'usr/lib/x86_64-linux-gnu/libfontconfig.so.1': makeElf({ soname: 'libfontconfig.so.1' }),
    'usr/bin/app': makeElf({ needed: ['libfontconfig.so.1'] }),
    'etc/fonts/fonts.conf': '<fontconfig/>',
    'etc/fonts/conf.d/10-theirs.conf': { link: '/srv/t2/htdocs/config.php' },
    'etc/fonts/conf.d/loop': { link: 'loop' },
    'etc/fonts/planted.conf': 'planted',
    'srv/t2/htdocs/config.php': '<?php $password = "t2";',
  });
  chownSync(join(dir, 'srv/t2/htdocs/config.php'), 1002, 1002);
  chownSync(join(dir, 'etc/fonts/planted.conf'), 1001, 1001);
  const fs = new RootFs(dir);
  const closure = new ProgramResolver(fs).closure(fs.lookup('/usr/bin/app'));
  const paths = closure.needs.list().map((n) => n.path);
  assert.ok(paths.includes('/etc/fonts/fonts.conf'), paths.join(' '));
  for (const p of ['/srv/t2/htdocs/config.php', '/etc/fonts/conf.d/10-theirs.conf', '/etc/fonts/planted.conf', '/etc/fonts/conf.d/loop']) assert.not.ok(paths.includes(p), p);
  const refused = closure.diagnostics.find((d) => d.code === 'KNOWN_READ_REFUSED');
  assert.match(refused?.message ?? '', /3 entries left out/);
});

test("attack: {program} is filled in literally ($' and $& are no replacement patterns), and a filled-in . or .. brings nothing", () => {
  const fs = root();
  for (const name of ["/srv/t1/bin/..$'", "/srv/t1/bin/.$'", '/srv/t1/bin/$&', '/srv/t1/bin/$`']) {
    const [w] = knownReadsOf(fs, '/usr/share/wrap/wrapper', name, [WRAPPER]);
    assert.equal(w?.paths, ['/etc/wrap/list'], name);
  }
});

test('attack: a huge file at a known library path is not read for the paths it names; a link loop where a pattern globs brings nothing and throws nothing', () => {
  const dir = sysroot({ 'usr/lib/x86_64-linux-gnu/libkpathsea.so.6': 'x', 'usr/share/wrap/wrapper': '#!/bin/sh\n', 'usr/lib/wrap/loop': { link: 'loop' } });
  truncateSync(join(dir, 'usr/lib/x86_64-linux-gnu/libkpathsea.so.6'), 100 * 1024 * 1024);
  const fs = new RootFs(dir);
  assert.equal(knownReadsOf(fs, '/usr/lib/x86_64-linux-gnu/libkpathsea.so.6', '/usr/bin/tex'), []);
  assert.equal(knownReadsOf(fs, '/usr/share/wrap/wrapper', '/usr/bin/client', [WRAPPER]), []);
});

test("systemOwned: below the root's UID_MIN (its /etc/login.defs; 1000 without one), or root", () => {
  const dir = sysroot({ 'etc/login.defs': '# shadow\nUID_MIN\t\t\t 500\nUID_MAX 60000\n', 'usr/share/a': 'a', 'usr/share/b': 'b', 'usr/share/c': 'c' });
  chownSync(join(dir, 'usr/share/a'), 600, 600);
  chownSync(join(dir, 'usr/share/b'), 499, 499);
  const fs = new RootFs(dir);
  assert.not.ok(systemOwned(fs, '/usr/share/a'), 'uid 600 is an ordinary account there');
  assert.ok(systemOwned(fs, '/usr/share/b'));
  assert.ok(systemOwned(fs, '/usr/share/c'), 'root');
  const plain = sysroot({ 'usr/share/a': 'a' });
  chownSync(join(plain, 'usr/share/a'), 600, 600);
  assert.ok(systemOwned(new RootFs(plain), '/usr/share/a'), 'without login.defs, below 1000');
});

test('folderContents: folders count toward the limit, and so does depth', () => {
  const tree: Record<string, { dir: true }> = {};
  for (let i = 0; i < 30; i++) tree[`usr/share/many/d${i}`] = { dir: true };
  tree[`usr/share/deep/${Array.from({ length: 20 }, (_, i) => `l${i}`).join('/')}`] = { dir: true };
  const fs = new RootFs(sysroot(tree));
  assert.ok(folderContents(fs, '/usr/share/many', 10).truncated, 'empty folders count');
  assert.ok(folderContents(fs, '/usr/share/deep').truncated, 'too deep');
});

test('KNOWN_READS: every entry says what it knows and brings something; their file patterns are anchored or start at a folder', () => {
  for (const e of KNOWN_READS) {
    assert.ok(e.what.length > 20, e.what);
    assert.ok(e.brings !== undefined || e.named !== undefined || e.startup !== undefined || e.pythonModules !== undefined, e.what);
    assert.ok(e.file.source.startsWith('^\\/') || e.file.source.startsWith('\\/'), e.file.source);
    assert.ok(e.file.source.endsWith('$'), e.file.source);
  }
});

test.run();
