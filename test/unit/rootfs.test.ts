import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type JailError, RootFs } from '../../src/index.js';
import { compareBytes, sortBytewise } from '../../src/rootfs/source-root.js';
import { basenameInside, collapseDots, dirnameInside, hasDotDot, joinInside } from '../../src/rootfs/inside-path.js';
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

test('openPlanned opens a source folder by folder whatever its spelling, and refuses `..`, the root and a link on the way', () => {
  const tree: Record<string, string | { link: string }> = { '/usr/lib/f': 'data', '/usr/link': { link: 'lib' } };
  // More folders than RootFs keeps open at once (256), so that some are closed and opened again.
  for (let i = 0; i < 300; i++) tree[`/many/d${String(i).padStart(3, '0')}/f`] = `file ${i}`;
  const root = sysroot(tree);
  const fs = new RootFs(root);
  const read = (path: string): string => {
    const file = fs.openPlanned(path, { size: fs.lookup(path).stats?.size ?? 0 });
    try {
      return readFileSync(file.fd, 'utf8');
    } finally {
      file.close();
    }
  };
  const refused = (path: string): string => {
    try {
      fs.openPlanned(path, {}).close();
    } catch (err) {
      return (err as JailError).code;
    }
    return 'opened';
  };
  assert.is(read('/usr/lib/f'), 'data');
  assert.is(read('/usr//lib/./f'), 'data', 'empty and . components are the same path');
  assert.is(refused('/usr/lib/../lib/f'), 'SOURCE_CHANGED', 'a plan source never climbs');
  assert.is(refused('/usr/lib/..'), 'SOURCE_CHANGED');
  assert.is(refused('/'), 'SOURCE_CHANGED');
  assert.is(refused('/usr/link/f'), 'SOURCE_CHANGED', 'a link on the way is never followed');
  for (const round of [0, 1]) {
    for (let i = 0; i < 300; i += round === 0 ? 1 : 37) assert.is(read(`/many/d${String(i).padStart(3, '0')}/f`), `file ${i}`);
  }
  fs.releaseHandles();
});

test('a lookup without following the last link is never taken for another path, NUL or not', () => {
  const root = sysroot({ '/usr/lib/file': 'x', '/lib': { link: 'usr/lib' } });
  const fs = new RootFs(root);
  const link = fs.lookup('/lib', false);
  assert.is(link.kind, 'symlink');
  assert.is(fs.lookup('/lib').kind, 'directory', 'followed, after the same path was asked without following');
  assert.is(fs.lookup('/lib/./', false).kind, 'symlink');
  // Answers used to be kept under the path plus "\0nofollow": this very path then got the link's answer.
  let asked: unknown;
  try {
    asked = fs.lookup('/lib\0nofollow');
  } catch (err) {
    asked = err;
  }
  assert.is.not(asked, link);
  assert.ok(asked instanceof Error, 'a path with a NUL in it cannot be looked up');
});

test('hasDotDot finds a `..` component and nothing else', () => {
  for (const p of ['/..', '/a/..', '/../a', '/a/../b']) assert.ok(hasDotDot(p), p);
  for (const p of ['/', '/a', '/..a', '/a..', '/a/...', '/a/..b/c', '/.../b']) assert.not.ok(hasDotDot(p), p);
  assert.is(collapseDots('/a/..b/c'), '/a/..b/c');
  assert.is(collapseDots('/a/b/../c'), '/a/c');
});

test.run();
