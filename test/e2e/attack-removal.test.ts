/**
 * Attack: a process inside the old jail (uid 33, as a compromised PHP worker) swaps a folder of the
 * jail for a link to a host folder while the rebuild removes the old tree. The removal must never
 * delete anything outside the tree, and the build must name the processes still in the old jail.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jailbuild } from '../helpers/cli.js';
import { compileStatic, plant, startInJail, stop, SWAPPER_C } from '../helpers/inmate.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const VICTIM_FILES = ['passwd', 'shadow', 'id_rsa'];

function setup(): { dir: string; profile: string; out: string; victim: string } {
  const dir = tempDir('jailbuild-attack-rm-');
  const victim = join(dir, 'victim', 'etc');
  mkdirSync(victim, { recursive: true });
  for (const f of VICTIM_FILES) writeFileSync(join(victim, f), `host ${f}\n`, { mode: 0o600 });
  const profile = join(dir, 'pool.json');
  writeFileSync(
    profile,
    JSON.stringify({
      extends: 'base',
      users: [{ name: 'www-data', uid: 33, gid: 33 }],
      groups: [{ name: 'www-data', gid: 33 }],
      // Many files, so that removing the old jail takes long enough for the race to be run often.
      trees: ['/usr/share/zoneinfo'],
    }),
  );
  return { dir, profile, out: join(dir, 'jail'), victim };
}

test('an inmate swapping a folder for a link to a host folder during the rebuild deletes nothing outside the old jail', async () => {
  const { dir, profile, out, victim } = setup();
  const swapper = compileStatic('swapper', SWAPPER_C);
  assert.is(jailbuild(['profile', profile, '--out', out]).code, 0);
  let named = 0;
  const rounds = 6;
  for (let round = 0; round < rounds; round++) {
    plant(out, swapper, '/tmp/swapper');
    // Two swappers: one at the top of /tmp, one deep in the tree the removal walks for long.
    const inmates = [startInJail(out, ['/tmp/swapper', '/tmp/d', '/tmp/l', victim, ...VICTIM_FILES]), startInJail(out, ['/tmp/swapper', '/tmp/e', '/tmp/m', join(dir, 'victim'), 'etc', 'etc2'])];
    try {
      await sleep(150);
      for (const inmate of inmates) assert.is(inmate.exitCode, null, 'the inmate runs in the jail');
      const run = jailbuild(['profile', profile, '--out', out]);
      assert.is(run.code, 0, run.stderr);
      if (/still run(s)? inside the previous jail/.test(run.stdout + run.stderr) && (run.stdout + run.stderr).includes(String(inmates[0]?.pid ?? -1))) named++;
    } finally {
      for (const inmate of inmates) await stop(inmate);
    }
    for (const f of VICTIM_FILES) assert.ok(existsSync(join(victim, f)), `round ${round}: host file ${f} survived`);
    assert.is(readFileSync(join(victim, 'shadow'), 'utf8'), 'host shadow\n');
  }
  assert.equal(
    readdirSync(dir).filter((n) => n.includes('.jailbuild-')),
    [],
    'no leftovers',
  );
  assert.is(named, rounds, 'every build named the processes still inside the previous jail');
  console.log(`  removal attack: ${rounds} rebuilds under a racing inmate, host files intact, inmates named every time`);
});

test('a previous jail that resists removal is reported and left for the next build; the new jail is in place', () => {
  const { dir, profile, out } = setup();
  assert.is(jailbuild(['profile', profile, '--out', out]).code, 0);
  // An immutable file (chattr +i) cannot be unlinked, even by root: the removal fails part-way.
  writeFileSync(join(out, 'tmp', 'pinned'), 'x');
  execFileSync('chattr', ['+i', join(out, 'tmp', 'pinned')]);
  let left: string | undefined;
  try {
    const run = jailbuild(['profile', profile, '--out', out]);
    assert.is(run.code, 0, run.stderr);
    assert.match(run.stderr, /the previous jail could not be removed entirely .*; it is left at .*\.jail\.jailbuild-old-/);
    assert.not.ok(existsSync(join(out, 'tmp', 'pinned')), 'the new jail is in place');
    left = readdirSync(dir).find((n) => n.startsWith('.jail.jailbuild-old-'));
    assert.ok(left, 'the previous jail is left beside it');
  } finally {
    for (const n of readdirSync(dir).filter((n) => n.startsWith('.jail.jailbuild-old-'))) spawnSync('chattr', ['-i', join(dir, n, 'tmp', 'pinned')]);
  }
  assert.is(jailbuild(['profile', profile, '--out', out]).code, 0);
  assert.equal(
    readdirSync(dir).filter((n) => n.includes('.jailbuild-')),
    [],
    'the next build removed it',
  );
});

test.run();
