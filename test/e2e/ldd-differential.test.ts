/**
 * The resolver against the loader itself: for every dynamic ELF file in /usr/bin and /usr/sbin of
 * this machine, the real files jailbuild says are needed are exactly those ldd reports, and what it
 * says is missing is what ldd reports as "not found".
 */
import { closeSync, lstatSync, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveInputs } from '../../src/index.js';
import { runLdd } from '../helpers/ldd.js';
import { cleanupTempDirs } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

function elfFilesIn(dirs: string[]): string[] {
  const out: string[] = [];
  const head = Buffer.alloc(4);
  for (const dir of dirs) {
    for (const name of readdirSync(dir).sort()) {
      const path = `${dir}/${name}`;
      if (!lstatSync(path).isFile()) continue;
      const fd = openSync(path, 'r');
      const got = readSync(fd, head, 0, 4, 0);
      closeSync(fd);
      if (got === 4 && head.toString('latin1') === '\x7fELF') out.push(path);
    }
  }
  return out;
}

test('every dynamic ELF file of /usr/bin and /usr/sbin: the same files and the same missing names as ldd', () => {
  const files = elfFilesIn(['/usr/bin', '/usr/sbin']);
  // What the loader loads: known reads (data families read) are not the loader's, and ldd does not list them.
  const results = resolveInputs(files, { dlopen: 'none', knownReads: false });
  let dynamic = 0;
  const mismatches: string[] = [];
  for (const r of results) {
    const ldd = runLdd(r.input);
    if (ldd.static) {
      if (r.kind !== 'static') mismatches.push(`${r.input}: ldd says static, jailbuild says ${r.kind}`);
      continue;
    }
    dynamic++;
    const theirs = new Set([...ldd.files, realpathSync(r.input)]);
    const mine = new Set(r.needs.filter((n) => n.kind === 'file').map((n) => n.path));
    const onlyLdd = [...theirs].filter((f) => !mine.has(f));
    const onlyMine = [...mine].filter((f) => !theirs.has(f));
    const missMine = new Set(r.missing.map((m) => m.name));
    const missOnlyLdd = [...ldd.missing].filter((m) => !missMine.has(m));
    const missOnlyMine = [...missMine].filter((m) => !ldd.missing.has(m));
    if (onlyLdd.length + onlyMine.length + missOnlyLdd.length + missOnlyMine.length > 0) {
      mismatches.push(`${r.input}: ${JSON.stringify({ onlyLdd, onlyMine, missOnlyLdd, missOnlyMine })}`);
    }
  }
  console.log(`  ldd differential: ${dynamic} dynamic ELF files of ${files.length} compared, ${mismatches.length} differ`);
  assert.ok(dynamic > 100, `expected many dynamic programs, found ${dynamic}`);
  assert.equal(mismatches, []);
});

test.run();
