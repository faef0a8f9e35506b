import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RootFs } from '../../src/index.js';
import { compareBytes, sortBytewise } from '../../src/rootfs/source-root.js';
import { basenameInside, collapseDots, dirnameInside, joinInside } from '../../src/rootfs/inside-path.js';
import { cleanupTempDirs, sysroot } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

test('a lookup that ends on . or .. (or a link to them) answers the folder reached, not the root', () => {
  const root = sysroot({ '/usr/bin/X11': { link: '.' }, '/usr/lib/sub/up': { link: '..' }, '/usr/lib/file': 'x' });
  const fs = new RootFs(root);
  assert.is(fs.lookup('/usr/bin/X11').path, '/usr/bin');
  assert.is(fs.lookup('/usr/lib/sub/up').path, '/usr/lib');
  assert.is(fs.lookup('/usr/lib/..').path, '/usr');
  assert.is(fs.lookup('/../../usr/lib/file').path, '/usr/lib/file');
});

test('paths with .. never leave the root, whatever the entry point', () => {
  const root = sysroot({ '/etc/marker': 'inside' });
  const fs = new RootFs(root);
  assert.is(fs.hostPath('/../../etc/marker'), `${root}/etc/marker`);
  assert.is(fs.lstat('/../../../etc/marker')?.size, 6);
  assert.is(fs.readText('/../../../etc/marker'), 'inside');
});

test('compareBytes orders strings as their UTF-8 bytes, astral characters (surrogate pairs) after U+E000-U+FFFF', () => {
  const pieces = ['', 'a', 'Z', '/', '.', '\u007f', '\u0080', 'é', 'ÿ', '中', '\ue000', '\ufffd', '😀', '𝄞'];
  const words = pieces.flatMap((x) => pieces.map((y) => x + y));
  let checked = 0;
  for (const a of words)
    for (const b of words) {
      const want = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
      assert.is(Math.sign(compareBytes(a, b)), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      checked++;
    }
  assert.is(checked, words.length ** 2);
});

test('sortBytewise sorts as compareBytes does, with and without surrogate pairs among the keys', () => {
  const pieces = ['', 'a', 'Z', '/', '.', '\u007f', '\u0080', 'é', 'ÿ', '中', '\ue000', '\ufffd', '😀', '𝄞'];
  const words = pieces.flatMap((x) => pieces.map((y) => x + y));
  const bytewise = (list: string[]): string[] => [...list].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  assert.equal(
    sortBytewise([...words].reverse(), (w) => w),
    bytewise(words),
  );
  const bmp = words.filter((w) => !/[\uD800-\uDFFF]/.test(w));
  assert.ok(bmp.length > 0 && bmp.length < words.length);
  assert.equal(
    sortBytewise(
      [...bmp].reverse().map((path) => ({ path })),
      (e) => e.path,
    ).map((e) => e.path),
    bytewise(bmp),
  );
});

test('paths inside a root: joined, cut and collapsed alike whether already normal or not', () => {
  const cases: Array<[string, string, string, string]> = [
    // path, dirname, basename, collapsed
    ['/', '/', '', '/'],
    ['/a', '/', 'a', '/a'],
    ['/a/b', '/a', 'b', '/a/b'],
    ['/a/b/', '/a', 'b', '/a/b'],
    ['//a//b', '/a', 'b', '/a/b'],
    ['/a/./b/.', '/a', 'b', '/a/b'],
    ['/a/../b', '/a/..', 'b', '/b'],
    ['/..x/y', '/..x', 'y', '/..x/y'],
    ['/a/..', '/a', '..', '/'],
    ['/.hidden/f', '/.hidden', 'f', '/.hidden/f'],
  ];
  for (const [path, dir, base, collapsed] of cases) {
    assert.is(dirnameInside(path), dir, `dirname ${path}`);
    assert.is(basenameInside(path), base, `basename ${path}`);
    assert.is(collapseDots(path), collapsed, `collapse ${path}`);
  }
  assert.is(joinInside('/usr/lib', 'x.so'), '/usr/lib/x.so');
  assert.is(joinInside('/usr/lib', '/etc/x'), '/etc/x');
  assert.is(joinInside('/usr/lib', './x/'), '/usr/lib/x');
  assert.is(joinInside('/', ''), '/');
  assert.is(joinInside('/a', '../b'), '/a/../b', '.. is kept for a lookup that knows the links');
});

test.run();
