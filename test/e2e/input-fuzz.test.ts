/**
 * Fuzzing the readers of untrusted input other than ELF: tarballs (as audit reads them) and shell
 * scripts. Each mutated input is read or reported; nothing else is thrown, nothing hangs. The seeds
 * come from this machine (a tarball of the base profile built from /, ghostscript's wrapper scripts),
 * so it is an end-to-end test.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readTarInventory } from '../../src/audit/read-tar-inventory.js';
import { JailError } from '../../src/errors.js';
import { writeTarball } from '../../src/emit/write-tarball.js';
import { buildPlan } from '../../src/plan/build-plan.js';
import { loadProfile } from '../../src/profile/load-profile.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { analyzeShellScript } from '../../src/script/shell-analysis.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { rng } from '../helpers/rng.js';

test.after.each(cleanupTempDirs);

function mutate(seed: Buffer, rand: () => number, headerBytes: number): Buffer {
  const buf = Buffer.from(seed);
  const at = (n: number): number => Math.floor(rand() * Math.min(n, buf.length));
  switch (Math.floor(rand() * 5)) {
    case 0:
      return buf.subarray(0, at(buf.length));
    case 1: {
      for (let i = 0, n = 1 + Math.floor(rand() * 12); i < n; i++) buf[at(headerBytes)] = Math.floor(rand() * 256);
      return buf;
    }
    case 2: {
      // An octal size or checksum field overwritten with extreme digits, in some 512-byte header.
      const block = Math.floor(rand() * Math.max(1, Math.floor(buf.length / 512))) * 512;
      const field = [124, 136, 148, 100, 108, 116][Math.floor(rand() * 6)] as number;
      buf.write(rand() < 0.5 ? '77777777777' : '\xff\xff\xff\xff\xff\xff\xff\xff', Math.min(block + field, Math.max(0, buf.length - 12)), 'latin1');
      return buf;
    }
    case 3: {
      // A member name replaced with a path that climbs out, or an absolute one.
      const block = Math.floor(rand() * Math.max(1, Math.floor(buf.length / 512))) * 512;
      buf.write(rand() < 0.5 ? '../../../../etc/evil\0' : '/etc/evil\0', Math.min(block, Math.max(0, buf.length - 24)), 'latin1');
      return buf;
    }
    default: {
      const out = Buffer.alloc(at(8192) + 1);
      for (let i = 0; i < out.length; i++) out[i] = Math.floor(rand() * 256);
      return out;
    }
  }
}

test('1,200 mutated tarballs (plain and gzip): each read with findings or refused as unreadable, never a crash', async () => {
  const dir = tempDir('jailbuild-tarfuzz-');
  const plan = buildPlan(loadProfile('base'), { mtime: 0 });
  const file = `${dir}/base.tar`;
  await writeTarball(plan.entries, new RootFs('/'), file, { mtime: 0, gzip: false });
  // Keep the seed small: the headers and the first files are where the structure is.
  const seed = readFileSync(file).subarray(0, 64 * 1024);
  const rand = rng(7);
  let withFindings = 0;
  let refused = 0;
  for (let i = 0; i < 1200; i++) {
    let input = mutate(seed, rand, 4096);
    if (i % 4 === 0) input = gzipSync(input);
    try {
      // Every third input with no memory budget: its contents go through the scratch file.
      const inv = await readTarInventory(Readable.from([input]), `fuzz-${i}.tar`, i % 3 === 0 ? { contentBudget: 0 } : {});
      try {
        assert.ok(Array.isArray(inv.entries));
        if (inv.findings.length > 0) withFindings++;
        for (const e of inv.entries) assert.ok(e.path.startsWith('/') && !e.path.split('/').includes('..'), `case ${i}: ${e.path} stays inside`);
        for (const e of inv.entries) if (e.kind === 'file') inv.read(e.path);
      } finally {
        inv.close();
      }
    } catch (err) {
      if (!(err instanceof JailError)) throw new Error(`case ${i}: ${String(err)} is not a JailError`, { cause: err });
      refused++;
    }
  }
  console.log(`  tar fuzz: 1200 inputs, ${withFindings} read with findings, ${refused} refused as unreadable`);
  assert.ok(withFindings > 300);
});

test('1,000 mutated shell scripts: analysed or reported as unparsable, never a crash', () => {
  // The first few KiB of real scripts: enough structure to break, small enough to parse 1,000 times.
  const seeds = ['/usr/bin/ps2pdfwr', '/usr/bin/zdiff', '/usr/bin/gunzip', '/usr/bin/ps2epsi'].map((p) => readFileSync(p).subarray(0, 3072));
  const rand = rng(11);
  const host = { readSource: () => null, realpath: (p: string) => p };
  let parsed = 0;
  for (let i = 0; i < 1000; i++) {
    const seed = seeds[i % seeds.length] as Buffer;
    const text = mutate(seed, rand, seed.length).toString('latin1');
    const res = analyzeShellScript(text, `/fuzz/script-${i}`, { shell: 'sh', argv0: '/usr/bin/x', env: { PATH: '/usr/bin:/bin' }, host });
    if (!res.parseError) parsed++;
    else assert.match(res.parseError, `/fuzz/script-${i}`);
  }
  // Deep nesting and huge words: bounded work.
  const nested = `${'$('.repeat(200)}true${')'.repeat(200)}\n${'x'.repeat(200_000)}\n`;
  const deep = analyzeShellScript(nested, '/fuzz/nested', { shell: 'bash', argv0: '/x', env: {}, host });
  assert.ok(deep.parseError !== undefined || deep.commands.length >= 0);
  console.log(`  script fuzz: 1000 inputs, ${parsed} parsed`);
});

test.run();
