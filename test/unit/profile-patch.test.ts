/**
 * Writing profile lines into a profile file (src/jailtest/profile-patch.ts): comments and layout
 * kept, lists made or appended to, lines it has already skipped, a fix file that extends some other
 * profile refused, and the result always a profile the loader accepts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'jsonc-parser';
import { loadProfile } from '../../src/profile/load-profile.js';
import type { Addition } from '../../src/jailtest/profile-additions.js';
import { describeAddition, mergeAdditions, profileValue } from '../../src/jailtest/profile-additions.js';
import { addToProfileText, presentInText, writeAdditions } from '../../src/jailtest/profile-patch.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const add = (field: Addition['field'], path: string, extra: Partial<Addition> = {}): Addition => ({ field, path, because: `test 't': x opened ${path} (ENOENT)`, from: [path], ...extra });

const WITH_COMMENTS = `{
  // The wiki's jail: keep this comment.
  "extends": "base",
  "binaries": [
    "/usr/bin/php" // the interpreter
  ],
  /* block comment */
  "devices": ["null"]
}
`;

test('addToProfileText: appends to lists, makes missing ones, sets proc, keeps every comment', () => {
  const { text, added } = addToProfileText(WITH_COMMENTS, [
    add('binaries', '/usr/bin/gs'),
    add('trees', '/usr/share/ghostscript', { resolve: true }),
    add('devices', '/dev/urandom'),
    add('proc', '/proc'),
    add('devices', '/dev/null'),
  ]);
  assert.is(added.length, 4, 'the device the profile names already is skipped');
  for (const c of ["// The wiki's jail: keep this comment.", '// the interpreter', '/* block comment */']) assert.ok(text.includes(c), c);
  const value = parse(text) as Record<string, unknown>;
  assert.equal(value.binaries, ['/usr/bin/php', { path: '/usr/bin/gs', because: "test 't': x opened /usr/bin/gs (ENOENT)" }]);
  assert.equal(value.trees, [{ path: '/usr/share/ghostscript', resolve: true, because: "test 't': x opened /usr/share/ghostscript (ENOENT)" }]);
  assert.equal(value.devices, ['null', 'urandom']);
  assert.is(value.proc, true);
});

test('presentInText: the lines a text has, by field and path (devices by name, mounts by target)', () => {
  const keys = presentInText('{"binaries": ["/bin/sh", {"path": "/usr/bin/gs"}], "devices": ["null", {"path": "/dev/tty", "type": "char", "major": 5, "minor": 0}], "mounts": [{"source": "/srv/a", "target": "/a"}], "proc": true}');
  assert.equal([...keys].sort(), ['binaries\0/bin/sh', 'binaries\0/usr/bin/gs', 'devices\0/dev/null', 'devices\0/dev/tty', 'mounts\0/a', 'proc\0/proc']);
});

test('writeAdditions: makes the fix file extending the profile, adds to it later, refuses a file that extends another', () => {
  const dir = tempDir();
  const base = join(dir, 'app.json');
  writeFileSync(base, JSON.stringify({ extends: 'base', binaries: ['/bin/sh'] }));
  const fix = join(dir, 'app.fixed.json');
  assert.equal(
    writeAdditions(fix, './app.json', [add('files', '/etc/papersize')]).map((a) => a.path),
    ['/etc/papersize'],
  );
  assert.equal(
    writeAdditions(fix, './app.json', [add('files', '/etc/papersize'), add('directories', '/usr/share/locale')]).map((a) => a.path),
    ['/usr/share/locale'],
  );
  const profile = loadProfile(fix);
  assert.equal(
    profile.files.filter((f) => f.because !== undefined).map((f) => [f.path, f.because]),
    [['/etc/papersize', "test 't': x opened /etc/papersize (ENOENT)"]],
  );
  assert.equal(
    profile.directories.map((d) => d.path),
    ['/tmp', '/usr/share/locale'],
  );
  const other = join(dir, 'other.json');
  writeFileSync(other, '{"extends": "base"}');
  assert.throws(() => writeAdditions(other, './app.json', [add('files', '/etc/x')]), /does not extend \.\/app\.json/);
  assert.is(readFileSync(other, 'utf8'), '{"extends": "base"}', 'left as it was');
});

test('mergeAdditions: repeats merged, files and folders below an added tree dropped, resolve kept', () => {
  const merged = mergeAdditions([
    add('trees', '/usr/share/guile'),
    add('files', '/usr/share/guile/2.2/boot.scm'),
    add('directories', '/usr/share/guile'),
    add('trees', '/usr/share/guile', { resolve: true }),
    add('files', '/etc/papersize'),
  ]);
  assert.equal(
    merged.map((a) => describeAddition(a)),
    ['trees [/usr/share/guile] (resolve)', 'files [/etc/papersize]'],
  );
  assert.equal(profileValue(add('symlinks', '/dev/fd', { target: '/proc/self/fd' })), { path: '/dev/fd', target: '/proc/self/fd' });
  assert.equal(profileValue(add('mounts', '/run/mysqld')), { source: '/run/mysqld', target: '/run/mysqld', readOnly: true });
});

test.run();
