/**
 * What a RootFs keeps of an lstat (KeptStat) answers as Node's Stats does, for every kind of node a
 * source root can hold: a file, a folder, a link, a character and a block device, a pipe and a socket.
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeptStat } from '../../src/rootfs/file-stat.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const FIELDS = ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'mtimeMs'] as const;
const KINDS = ['isFile', 'isDirectory', 'isSymbolicLink', 'isCharacterDevice', 'isBlockDevice', 'isFIFO', 'isSocket'] as const;

test('KeptStat and RootFs.lstat answer as lstatSync for a file, a folder, a link, a character and a block device, a pipe and a socket', async () => {
  const root = tempDir('jailbuild-file-stat-');
  writeFileSync(join(root, 'file'), 'twelve bytes');
  mkdirSync(join(root, 'dir'), { mode: 0o750 });
  symlinkSync('file', join(root, 'link'));
  for (const [name, args] of [
    ['char', ['c', '1', '3']],
    ['block', ['b', '7', '0']],
    ['pipe', ['p']],
  ] as const) {
    const r = spawnSync('mknod', [join(root, name), ...args], { encoding: 'utf8' });
    assert.is(r.status, 0, `mknod ${name}: ${r.stderr}`);
  }
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(root, 'socket'), resolve));
  try {
    const fs = new RootFs(root);
    const seen = new Set<string>();
    for (const name of ['file', 'dir', 'link', 'char', 'block', 'pipe', 'socket']) {
      const real = lstatSync(join(root, name));
      const kept = new KeptStat(real);
      const viaRoot = fs.lstat(`/${name}`);
      assert.ok(viaRoot instanceof KeptStat, `${name}: RootFs keeps a KeptStat`);
      for (const answer of [kept, viaRoot]) {
        for (const f of FIELDS) assert.is(answer[f], real[f], `${name}: ${f}`);
        for (const k of KINDS) assert.is(answer[k](), real[k](), `${name}: ${k}()`);
      }
      const kinds = KINDS.filter((k) => kept[k]());
      assert.is(kinds.length, 1, `${name}: of one kind (${kinds.join(', ')})`);
      seen.add(kinds[0] as string);
    }
    assert.is(seen.size, 7, 'each kind was met');
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test.run();
