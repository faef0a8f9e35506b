/**
 * The host's loader cache: /etc/ld.so.cache against `ldconfig -p`, and caches `ldconfig -r` writes for
 * a sysroot (ldconfig chroots into it when run as root). It reads this machine's files, so it is an
 * end-to-end test.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JailError, lookupLdCache, parseLdCache, resolveInputs } from '../../src/index.js';
import { makeElf } from '../helpers/make-elf.js';
import { cleanupTempDirs, sysroot } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

test('reads the host ld.so.cache exactly as ldconfig -p lists it', () => {
  const cache = parseLdCache(readFileSync('/etc/ld.so.cache'));
  const listed = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => /^\s+(\S+) \(([^)]*)\) => (\S+)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `${m[1]} => ${m[3]}`);
  const mine = cache.entries.map((e) => `${e.key} => ${e.value}`);
  assert.ok(listed.length > 50, 'ldconfig -p lists the cache');
  assert.equal(mine, listed);
});

test('lookups honour the ABI flags: an i386 entry is not taken for x86-64', () => {
  const cache = parseLdCache(readFileSync('/etc/ld.so.cache'));
  const x64 = lookupLdCache(cache, 'libc.so.6', 0x0303, []);
  assert.is(x64, '/lib/x86_64-linux-gnu/libc.so.6');
  const i386 = lookupLdCache(cache, 'libc.so.6', 0x0003, []);
  assert.ok(i386 === undefined || /lib32|i386/.test(i386), `i386 entry: ${i386}`);
});

test('a cache written by ldconfig -r for a sysroot is read, and a stale cache is reported', () => {
  const MA = '/usr/lib/x86_64-linux-gnu';
  const root = sysroot({
    '/lib64/ld-linux-x86-64.so.2': { link: `${MA}/ld-linux-x86-64.so.2` },
    [`${MA}/ld-linux-x86-64.so.2`]: makeElf({ soname: 'ld-linux-x86-64.so.2' }),
    [`${MA}/libc.so.6`]: makeElf({ soname: 'libc.so.6', needed: ['ld-linux-x86-64.so.2'] }),
    '/usr/local/lib64/libids.so.0': makeElf({ soname: 'libids.so.0', needed: ['libc.so.6'] }),
    '/etc/ld.so.conf': 'include /etc/ld.so.conf.d/*.conf\n',
    '/etc/ld.so.conf.d/local.conf': '/usr/local/lib64\n',
    '/usr/bin/idsgrep': makeElf({ interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libids.so.0', 'libnew.so.1', 'libc.so.6'] }),
  });
  execFileSync('ldconfig', ['-r', root, '-X']);
  const cache = parseLdCache(readFileSync(join(root, 'etc/ld.so.cache')));
  assert.is(lookupLdCache(cache, 'libids.so.0', 0x0303, []), '/usr/local/lib64/libids.so.0');

  // A library added to a configured folder after ldconfig ran: the loader cannot find it.
  writeFileSync(join(root, 'usr/local/lib64/libnew.so.1'), makeElf({ soname: 'libnew.so.1', needed: ['libc.so.6'] }));
  const [r] = resolveInputs(['/usr/bin/idsgrep'], { root });
  assert.equal(
    r?.missing.map((m) => m.name),
    ['libnew.so.1'],
  );
  assert.ok(r?.needs.some((n) => n.path === '/usr/local/lib64/libids.so.0' && n.reason.via === 'ld.so.cache'));
  assert.ok(r?.diagnostics.some((d) => d.code === 'LDCACHE_STALE' && d.message.includes('libnew.so.1')));
});

test('a malformed cache is an error naming the file, never a crash', () => {
  const good = readFileSync('/etc/ld.so.cache');
  for (const len of [0, 10, 20, 47, 48, 100, 1000]) {
    try {
      parseLdCache(good.subarray(0, len), '/etc/ld.so.cache');
    } catch (err) {
      assert.instance(err, JailError);
      assert.match((err as Error).message, '/etc/ld.so.cache');
    }
  }
  const bad = Buffer.from(good);
  bad.writeUInt32LE(0x7fffffff, 20);
  assert.throws(() => parseLdCache(bad), /runs past the end/);
});

test.run();
