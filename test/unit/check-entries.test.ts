/**
 * The emitters are exported: a caller may hand them any list. Each hostile list is refused before
 * anything is written, by the tree writer, the tarball writer and the manifest alike.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeManifest } from '../../src/emit/write-manifest.js';
import { writeTarball } from '../../src/emit/write-tarball.js';
import { writeTree } from '../../src/emit/write-tree.js';
import { JailError } from '../../src/errors.js';
import { checkEntries, isJailPath } from '../../src/model/check-entries.js';
import type { JailEntry } from '../../src/model/jail-entry.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const dir = (path: string): JailEntry => ({ path, kind: 'directory', mode: 0o755, uid: 0, gid: 0, reasons: [] });
const text = (path: string, body = 'x'): JailEntry => ({ path, kind: 'file', mode: 0o644, uid: 0, gid: 0, content: Buffer.from(body), size: body.length, reasons: [] });
const link = (path: string, target: string): JailEntry => ({ path, kind: 'symlink', mode: 0o777, uid: 0, gid: 0, target, reasons: [] });

const CASES: Array<[string, JailEntry[], RegExp]> = [
  ['a path with ..', [dir('/'), dir('/etc'), text('/etc/../../etc/evil')], /not an absolute, normalized path/],
  ['a relative path', [dir('/'), text('etc/evil')], /not an absolute, normalized path/],
  ['a path with .', [dir('/'), dir('/etc'), text('/etc/./x')], /not an absolute, normalized path/],
  ['a trailing slash', [dir('/'), dir('/etc/')], /not an absolute, normalized path/],
  ['an empty component', [dir('/'), dir('/etc'), text('/etc//x')], /not an absolute, normalized path/],
  ['a NUL', [dir('/'), text('/a\0b')], /not an absolute, normalized path/],
  ['an entry below a link', [dir('/'), link('/etc', '/host/etc'), text('/etc/passwd')], /below \/etc, which is a symlink/],
  ['an entry below a file', [dir('/'), text('/a'), text('/a/b')], /below \/a, which is a file/],
  ['a duplicate', [dir('/'), text('/a'), text('/a', 'y')], /listed twice/],
  ['a child before its folder', [dir('/'), text('/etc/x'), dir('/etc')], /its folder \/etc does not come before it/],
  ['no root folder', [dir('/etc')], /its folder \/ does not come before it/],
  ['a file with neither source nor contents', [dir('/'), { path: '/x', kind: 'file', mode: 0o644, uid: 0, gid: 0, reasons: [] }], /needs one of a source, contents or a generate request/],
  ['a source with ..', [dir('/'), { path: '/x', kind: 'file', mode: 0o644, uid: 0, gid: 0, source: '/etc/../etc/shadow', reasons: [] }], /is not a normalized path/],
  ['a link without target', [dir('/'), { path: '/l', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, reasons: [] }], /a link needs a target/],
  ['a device without numbers', [dir('/'), { path: '/d', kind: 'char', mode: 0o666, uid: 0, gid: 0, reasons: [] }], /major and minor/],
  ['a mode out of range', [dir('/'), { ...text('/x'), mode: 0o17777 }], /is not permission bits/],
  ['a negative size', [dir('/'), { ...text('/x'), size: -1 }], /size -1 is not a whole number of bytes/],
  ['a fractional size', [dir('/'), { ...text('/x'), size: 0.5 }], /size 0.5 is not a whole number of bytes/],
  ['a size that is not a number', [dir('/'), { ...text('/x'), size: Number.NaN }], /size NaN is not a whole number of bytes/],
];

async function rejects(run: () => Promise<unknown>, message: RegExp): Promise<void> {
  const err = await run().then(
    () => null,
    (e: Error) => e,
  );
  assert.ok(err instanceof JailError, 'refused with a JailError');
  assert.match((err as Error).message, message);
}

for (const [name, entries, message] of CASES) {
  test(`refused: ${name}`, () => {
    assert.throws(
      () => checkEntries(entries),
      (err: Error) => err instanceof JailError && message.test(err.message),
    );
  });
}

test('a good list passes', () => {
  checkEntries([dir('/'), dir('/etc'), text('/etc/motd'), link('/bin', 'usr/bin'), dir('/usr'), dir('/usr/bin')]);
});

test('tree, tarball and manifest writers refuse a member ../../etc/evil, a path below a link and a negative size; nothing is written', async () => {
  const work = tempDir('jailbuild-entries-');
  const fs = new RootFs('/');
  for (const entries of [
    [dir('/'), dir('/etc'), text('/etc/../../etc/evil')],
    [dir('/'), link('/etc', join(work, 'host')), text('/etc/evil')],
    // A size no tar header can state.
    [dir('/'), { ...text('/x'), size: -1 }],
  ]) {
    const out = join(work, 'out');
    await rejects(() => writeTree(entries, fs, out, { mtime: 0 }), /refusing to write these entries/);
    assert.not.ok(existsSync(out));
    const tar = join(work, 'out.tar');
    await rejects(() => writeTarball(entries, fs, tar, { mtime: 0, gzip: false }), /refusing to write these entries/);
    await rejects(() => writeManifest(join(work, 'm.json'), entries, fs), /refusing to write these entries/);
    assert.equal(readdirSync(work), [], 'nothing written');
  }
  writeFileSync(join(work, 'marker'), '');
  assert.equal(readdirSync(work), ['marker']);
});

test('isJailPath agrees with the regular expression it replaced on every string of up to 7 pieces', () => {
  const reference = /^(?:\/(?!\.\.?(?:\/|$))[^/\0]+)+$|^\/$/;
  const pieces = ['/', '.', '..', 'a', '\0', '...', '.a'];
  let checked = 0;
  const visit = (prefix: string, depth: number): void => {
    assert.is(isJailPath(prefix), reference.test(prefix), JSON.stringify(prefix));
    checked++;
    if (depth === 7) return;
    for (const p of pieces) visit(prefix + p, depth + 1);
  };
  visit('', 0);
  assert.ok(checked > 900000, `${checked} strings checked`);
});

test.run();
