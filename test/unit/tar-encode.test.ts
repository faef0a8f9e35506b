/**
 * The tar encoder: the headers it writes read back, field by field, through tar-stream's extractor
 * (the reader the audit uses) and through GNU tar, for the cases ustar cannot hold alone (long and
 * non-ASCII names and link names, owners above 0o777777) and for devices and hard links.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { END_OF_ARCHIVE, headerBlocks, padding, type TarHeader, ustarHeader } from '../../src/emit/tar-encode.js';
import { BATCH, Gathered } from '../../src/emit/write-tarball.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const MTIME = 1700000000;
const base = { mode: 0o644, uid: 0, gid: 0, mtime: MTIME, size: 0 } as const;

function archiveOf(members: Array<{ header: TarHeader; body?: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    parts.push(...headerBlocks(m.header));
    if (m.body) parts.push(m.body, padding(m.body.length));
  }
  parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

async function readBack(archive: Buffer): Promise<Array<{ header: tar.Header; body: string }>> {
  const out: Array<{ header: tar.Header; body: string }> = [];
  const extract = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => void chunks.push(c as Buffer));
      stream.on('end', () => {
        out.push({ header, body: Buffer.concat(chunks).toString() });
        next();
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  Readable.from([archive]).pipe(extract);
  await done;
  return out;
}

const longName = `usr/share/${'deep/'.repeat(30)}file.txt`;
const members: Array<{ header: TarHeader; body?: Buffer }> = [
  { header: { ...base, name: './', type: 'directory', mode: 0o755 } },
  { header: { ...base, name: 'etc/motd', type: 'file', size: 6 }, body: Buffer.from('hello\n') },
  { header: { ...base, name: 'etc/motd2', type: 'link', linkname: 'etc/motd' } },
  { header: { ...base, name: longName, type: 'file', size: 3, pax: {} }, body: Buffer.from('abc') },
  { header: { ...base, name: 'usr/share/café', type: 'symlink', mode: 0o777, linkname: `${'x/'.repeat(60)}target`, pax: {} } },
  { header: { ...base, name: 'home/big', type: 'directory', mode: 0o750, uid: 3000000, gid: 4000000, pax: { uid: '3000000', gid: '4000000' } } },
  { header: { ...base, name: 'dev/null', type: 'character-device', mode: 0o666, devmajor: 1, devminor: 3 } },
];

test('headers read back through tar-stream: names, link names, owners (from the PAX records beyond 0o777777), devices, sizes, modes, mtime', async () => {
  const back = await readBack(archiveOf(members));
  assert.equal(
    back.map((b) => [
      b.header.name,
      b.header.type,
      b.header.mode,
      Number((b.header.pax as Record<string, string> | undefined)?.uid ?? b.header.uid),
      Number((b.header.pax as Record<string, string> | undefined)?.gid ?? b.header.gid),
      b.header.size,
      b.header.linkname ?? null,
      b.header.mtime?.getTime(),
      b.body,
    ]),
    [
      ['./', 'directory', 0o755, 0, 0, 0, null, MTIME * 1000, ''],
      ['etc/motd', 'file', 0o644, 0, 0, 6, null, MTIME * 1000, 'hello\n'],
      ['etc/motd2', 'link', 0o644, 0, 0, 0, 'etc/motd', MTIME * 1000, ''],
      [longName, 'file', 0o644, 0, 0, 3, null, MTIME * 1000, 'abc'],
      ['usr/share/café', 'symlink', 0o777, 0, 0, 0, `${'x/'.repeat(60)}target`, MTIME * 1000, ''],
      ['home/big', 'directory', 0o750, 3000000, 4000000, 0, null, MTIME * 1000, ''],
      ['dev/null', 'character-device', 0o666, 0, 0, 0, null, MTIME * 1000, ''],
    ],
  );
  const dev = back.find((b) => b.header.name === 'dev/null');
  assert.equal([dev?.header.devmajor, dev?.header.devminor], [1, 3]);
});

test('GNU tar lists the same members and finds the archive whole', () => {
  const dir = tempDir('jailbuild-tar-encode-');
  const file = join(dir, 'a.tar');
  writeFileSync(file, archiveOf(members));
  const r = spawnSync('tar', ['--numeric-owner', '-tvf', file], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, members.length);
  assert.match(lines[3] as string, longName);
  assert.match(lines[5] as string, /^drwxr-x--- 3000000\/4000000 /);
  assert.match(lines[6] as string, /^crw-rw-rw- 0\/0\s+1,\s*3 /);
});

test('ustarHeader: a name or link name over 100 bytes or beyond ASCII needs PAX (null); sizes beyond 8 GiB go base-256', () => {
  assert.is(ustarHeader({ ...base, name: 'a'.repeat(101), type: 'file' }), null);
  assert.is(ustarHeader({ ...base, name: 'é', type: 'file' }), null);
  assert.is(ustarHeader({ ...base, name: 'l', type: 'symlink', linkname: 'b'.repeat(101) }), null);
  const big = ustarHeader({ ...base, name: 'big', type: 'file', size: 2 ** 33 + 5 }) as Buffer;
  assert.is(big[124], 0x80);
  assert.equal([...big.subarray(131, 136)], [0x02, 0x00, 0x00, 0x00, 0x05]);
  const exact = ustarHeader({ ...base, name: 'ok', type: 'file', size: 8 ** 11 - 1 }) as Buffer;
  assert.is(exact.toString('latin1', 124, 136), '77777777777 ');
  assert.equal([padding(0).length, padding(1).length, padding(512).length, padding(513).length], [0, 511, 0, 511]);
});

/** The header POSIX describes, built field by field with strings: the oracle for ustarHeader's digit-by-digit writing. */
function ustarByStrings(h: TarHeader): Buffer {
  const block = Buffer.alloc(512);
  const field = (value: number, n: number): string => {
    const digits = value.toString(8);
    return digits.length > n ? `${'7'.repeat(n)} ` : `${digits.padStart(n, '0')} `;
  };
  const flags: Record<string, string> = { file: '0', link: '1', symlink: '2', 'character-device': '3', 'block-device': '4', directory: '5', 'pax-header': 'x' };
  block.write(h.name, 0, 'latin1');
  block.write(field(h.mode & 0o7777, 6), 100, 'latin1');
  block.write(field(h.uid, 6), 108, 'latin1');
  block.write(field(h.gid, 6), 116, 'latin1');
  block.write(field(h.size, 11), 124, 'latin1');
  block.write(field(h.mtime, 11), 136, 'latin1');
  block.write(flags[h.type] as string, 156, 'latin1');
  if (h.linkname) block.write(h.linkname, 157, 'latin1');
  block.write('ustar\u000000', 257, 'latin1');
  block.write(field(h.devmajor ?? 0, 6), 329, 'latin1');
  block.write(field(h.devminor ?? 0, 6), 337, 'latin1');
  block.fill(0x20, 148, 156);
  const sum = block.reduce((a, b) => a + b, 0);
  block.fill(0, 148, 156);
  block.write(field(sum, 6), 148, 'latin1');
  return block;
}

test('ustarHeader writes each field and the checksum as the string-built header has them, on 2,000 random headers (values beyond a field all sevens)', () => {
  // xorshift32: every bit of it varies (a low-bit LCG would cycle through the small choices below).
  let seed = 2463534242;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    seed >>>= 0;
    return seed;
  };
  const types: TarHeader['type'][] = ['file', 'link', 'symlink', 'character-device', 'block-device', 'directory', 'pax-header'];
  const name = (): string => Array.from({ length: 1 + (next() % 99) }, () => String.fromCharCode(0x20 + (next() % 95))).join('');
  const num = (max: number): number => [0, 1, 7, 8, max, max + 1, next() % (max + 2), next() * 97][next() % 8] as number;
  for (let i = 0; i < 2000; i++) {
    const type = types[next() % types.length] as TarHeader['type'];
    const h: TarHeader = { name: name(), type, mode: next() % 0o10000, uid: num(0o777777), gid: num(0o777777), mtime: next() % 2 ** 31, size: num(8 ** 11 - 1) % 8 ** 11, devmajor: num(0o777777), devminor: num(0o777777) };
    if (type === 'link' || type === 'symlink') h.linkname = name();
    const made = ustarHeader(h) as Buffer;
    assert.ok(made.equals(ustarByStrings(h)), JSON.stringify(h));
  }
});

test('Gathered, reusing two buffers: a write handed on when the next block does not fit keeps its bytes until the consumer has it', () => {
  for (const reuse of [true, false]) {
    const g = new Gathered(reuse);
    const block = (i: number): Buffer => Buffer.alloc(512, i & 0xff);
    const handed: Buffer[] = [];
    const expected: Buffer[] = [];
    // Three times: fill a write exactly, then one block more (it does not fit: the full write is handed on).
    for (let round = 0, i = 0; round < 3; round++) {
      for (let n = 0; n < BATCH / 512; n++, i++) {
        for (const b of g.put(block(i))) handed.push(Buffer.from(b)); // the consumer copies at once
        expected.push(block(i));
      }
    }
    for (const b of g.put(block(7))) handed.push(Buffer.from(b));
    handed.push(Buffer.from(g.take()));
    expected.push(block(7));
    assert.ok(Buffer.concat(handed).equals(Buffer.concat(expected)), `reuse ${reuse}`);
  }
});

test.run();
