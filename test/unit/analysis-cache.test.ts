import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AnalysisCache } from '../../src/cache/analysis-cache.js';
import { ProgramResolver, RootFs } from '../../src/index.js';
import { resolveOne } from '../../src/resolve/resolve-inputs.js';
import { makeElf } from '../helpers/make-elf.js';
import { cleanupTempDirs, sysroot, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const MA = '/usr/lib/x86_64-linux-gnu';
function root(): string {
  return sysroot({
    '/lib64/ld-linux-x86-64.so.2': { link: `${MA}/ld-linux-x86-64.so.2` },
    [`${MA}/ld-linux-x86-64.so.2`]: makeElf({ soname: 'ld-linux-x86-64.so.2' }),
    [`${MA}/libc.so.6`]: makeElf({ soname: 'libc.so.6' }),
    [`${MA}/libz.so.1`]: makeElf({ soname: 'libz.so.1', needed: ['libc.so.6'] }),
    '/usr/bin/prog': makeElf({ interpreter: '/lib64/ld-linux-x86-64.so.2', needed: ['libz.so.1', 'libc.so.6'] }),
    '/usr/bin/broken': Buffer.from('\x7fELF\x02\x01garbage'),
  });
}

/** Resolves with a cache opened fresh from `dir` (as a new run would), and saves it. */
function run(dir: string, r: string): { needs: string[]; parsed: number; hits: number } {
  const cache = AnalysisCache.open(dir, r);
  const resolver = new ProgramResolver(new RootFs(r), { cache });
  const needs = ['/usr/bin/prog', '/usr/bin/broken'].flatMap((p) => {
    const res = resolveOne(resolver, p);
    return [res.kind, ...res.needs.map((n) => n.path), ...res.diagnostics.map((d) => d.message)];
  });
  cache.save();
  return { needs, parsed: resolver.elf.parsed, hits: cache.hits };
}

test('a warm cache answers without reading any ELF file, with the same result', () => {
  const r = root();
  const dir = tempDir('jailbuild-cache-');
  const cold = run(dir, r);
  assert.ok(cold.parsed >= 5, `cold run parsed ${cold.parsed}`);
  const warm = run(dir, r);
  assert.is(warm.parsed, 0, 'no header read on a warm run');
  assert.equal(warm.needs, cold.needs);
  assert.ok(warm.hits >= 5);
});

test('a file that changes is read again', () => {
  const r = root();
  const dir = tempDir('jailbuild-cache-');
  run(dir, r);
  writeFileSync(join(r, 'usr/lib/x86_64-linux-gnu/libz.so.1'), makeElf({ soname: 'libz.so.1', needed: ['libc.so.6', 'libextra.so.2'] }));
  const again = run(dir, r);
  assert.is(again.parsed, 1);
  assert.ok(again.needs.join(' ').includes('prog') && !again.needs.includes(`${MA}/libextra.so.2`));
});

test('a corrupt, truncated or other-version cache is ignored and rebuilt, never trusted', () => {
  const r = root();
  const dir = tempDir('jailbuild-cache-');
  const reference = run(dir, r);
  const file = AnalysisCache.open(dir, r).file;
  const good = readFileSync(file, 'utf8');
  const poisoned = JSON.parse(good) as { files: Record<string, { elf?: { needed: unknown } }> };
  for (const f of Object.values(poisoned.files)) if (f.elf) f.elf.needed = 'not a list';
  const cases: Array<[string, number]> = [
    ['garbage{', 5],
    [good.slice(0, good.length / 2), 5],
    [JSON.stringify({ ...JSON.parse(good), version: 999 }), 5],
    // Only the poisoned records are distrusted: the four ELF files are read again.
    [JSON.stringify(poisoned), 4],
  ];
  for (const [bad, reread] of cases) {
    writeFileSync(file, bad);
    const res = run(dir, r);
    assert.equal(res.needs, reference.needs);
    assert.is(res.parsed, reread, 'what cannot be trusted is read again');
    JSON.parse(readFileSync(file, 'utf8'));
  }
});

test('the cache is bounded, and written atomically', () => {
  const r = root();
  const dir = tempDir('jailbuild-cache-');
  const cache = AnalysisCache.open(dir, r, 3);
  new ProgramResolver(new RootFs(r), { cache }).closure(new RootFs(r).lookup('/usr/bin/prog'));
  const resolver = new ProgramResolver(new RootFs(r), { cache });
  resolveOne(resolver, '/usr/bin/prog');
  cache.save();
  const saved = JSON.parse(readFileSync(cache.file, 'utf8')) as { files: object };
  assert.is(Object.keys(saved.files).length, 3);
  assert.equal(
    readdirSync(join(cache.file, '..')).filter((n) => n.endsWith('.tmp')),
    [],
    'no temporary file left',
  );
});

test.run();
