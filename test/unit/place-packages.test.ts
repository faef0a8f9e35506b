/**
 * The `packages` field (src/plan/place-packages.ts) on a root whose dpkg database is written in the
 * test: every listed file, link and folder comes, links kept as links; documentation, manual pages
 * and translations stay out unless "docs": true; `*` matches installed packages whatever their
 * version; a package not installed is an error naming the line, unless optional; reasons name it.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JailError } from '../../src/errors.js';
import { describeReason } from '../../src/model/reason.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadProfileFromObject } from '../../src/profile/load-profile.js';
import { cleanupTempDirs, sysroot } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

function root(): string {
  const dir = sysroot({
    'usr/share/tool/data.txt': 'data',
    'usr/share/tool/empty/.placeholder-not-listed': '',
    'usr/share/doc/tool/README': 'read me',
    'usr/share/man/man1/tool.1.gz': 'man',
    'usr/share/locale/de/LC_MESSAGES/tool.mo': 'mo',
    'usr/share/libfoo2/table': 'table',
  });
  symlinkSync('data.txt', join(dir, 'usr/share/tool/link'));
  mkdirSync(join(dir, 'var/lib/dpkg/info'), { recursive: true });
  writeFileSync(join(dir, 'var/lib/dpkg/status'), ['Package: tool\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n', 'Package: libfoo2\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2\n'].join('\n'));
  writeFileSync(
    join(dir, 'var/lib/dpkg/info/tool.list'),
    [
      '/.',
      '/usr',
      '/usr/share',
      '/usr/share/tool',
      '/usr/share/tool/data.txt',
      '/usr/share/tool/link',
      '/usr/share/tool/empty',
      '/usr/share/doc/tool/README',
      '/usr/share/man/man1/tool.1.gz',
      '/usr/share/locale/de/LC_MESSAGES/tool.mo',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'var/lib/dpkg/info/libfoo2:amd64.list'), '/.\n/usr/share/libfoo2\n/usr/share/libfoo2/table\n');
  return dir;
}

const paths = (value: object): string[] =>
  buildPlan(loadProfileFromObject(value, { file: 'p.json' }))
    .entries.filter((e) => e.path !== '/')
    .map((e) => `${e.path}${e.kind === 'symlink' ? ` -> ${e.target ?? ''}` : e.kind === 'directory' ? '/' : ''}`)
    .filter((p) => !['/usr/', '/usr/share/'].includes(p));

test('packages: listed files, links and folders; docs, manuals and translations left out; * for the version', () => {
  const dir = root();
  assert.equal(paths({ root: dir, packages: ['tool', 'libfoo*'] }), [
    '/usr/share/libfoo2/',
    '/usr/share/libfoo2/table',
    '/usr/share/tool/',
    '/usr/share/tool/data.txt',
    '/usr/share/tool/empty/',
    '/usr/share/tool/link -> data.txt',
  ]);
  const withDocs = paths({ root: dir, packages: [{ name: 'tool', docs: true }] });
  for (const p of ['/usr/share/doc/tool/README', '/usr/share/man/man1/tool.1.gz', '/usr/share/locale/de/LC_MESSAGES/tool.mo']) assert.ok(withDocs.includes(p), p);
});

test('packages: the reason names the package; a package not installed fails naming the line, unless optional', () => {
  const dir = root();
  const plan = buildPlan(loadProfileFromObject({ root: dir, packages: ['tool'] }, { file: 'p.json' }));
  const data = plan.entries.find((e) => e.path === '/usr/share/tool/data.txt');
  assert.match(describeReason(data?.reasons[0] ?? { kind: 'input' }), /packages\[0\].*\/usr\/share\/tool\/data\.txt, package tool/);
  try {
    buildPlan(loadProfileFromObject({ root: dir, packages: ['tool', 'not-installed'] }, { file: 'p.json' }));
    assert.unreachable('a package not installed must fail');
  } catch (err) {
    assert.instance(err, JailError);
    assert.match((err as Error).message, /p\.json:\d+: \/packages\/1: package not-installed: not installed in the root/);
  }
  assert.ok(paths({ root: dir, packages: [{ name: 'not-installed', optional: true }, 'tool'] }).includes('/usr/share/tool/data.txt'));
});

test.run();
