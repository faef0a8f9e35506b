/** Links a plan would write that lead nowhere inside the jail are named at build time, per profile line. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { JailEntry } from '../../src/model/jail-entry.js';
import { danglingLinks } from '../../src/plan/dangling-links.js';
import { loadProfileFromObject } from '../../src/profile/load-profile.js';

const origin = { file: '/p/app.json', pointer: '/trees/0', line: 7 };
const dir = (path: string): JailEntry => ({ path, kind: 'directory', mode: 0o755, uid: 0, gid: 0, reasons: [] });
const file = (path: string): JailEntry => ({ path, kind: 'file', mode: 0o644, uid: 0, gid: 0, reasons: [] });
const link = (path: string, target: string): JailEntry => ({ path, kind: 'symlink', mode: 0o777, uid: 0, gid: 0, target, reasons: [{ kind: 'profile', origin }] });

test('links into the jail are fine; links out of it, loops and links to nothing are named with their profile line', () => {
  const profile = loadProfileFromObject({ name: 'app', mounts: [{ source: '/srv/data', target: '/data' }] });
  const entries: JailEntry[] = [
    dir('/'),
    dir('/usr'),
    dir('/usr/share'),
    dir('/usr/share/app'),
    file('/usr/share/app/real.cfg'),
    link('/usr/share/app/rel.cfg', 'real.cfg'),
    link('/usr/share/app/abs.cfg', '/usr/share/app/real.cfg'),
    link('/usr/share/app/up.cfg', '../app/./real.cfg'),
    link('/usr/share/app/dirlink', '.'),
    link('/usr/share/app/via-dir.cfg', 'dirlink/real.cfg'),
    link('/usr/share/app/tmp.sock', '/tmp/app.sock'),
    link('/usr/share/app/data', '/data/current'),
    link('/usr/share/app/out.cfg', '/etc/app/out.cfg'),
    link('/usr/share/app/loop1', 'loop2'),
    link('/usr/share/app/loop2', 'loop1'),
  ];
  const found = danglingLinks(entries, profile);
  assert.is(found.length, 1, 'one warning for the one profile line');
  const [d] = found;
  assert.is(d?.code, 'LINK_DANGLING');
  assert.match(d?.message ?? '', /^app\.json:7 trees\[0\]: 3 links lead to nothing inside the jail: /);
  assert.match(d?.message ?? '', '/usr/share/app/out.cfg -> /etc/app/out.cfg (no /etc)');
  assert.match(d?.message ?? '', '/usr/share/app/loop1 -> loop2 (a loop of links)');
  for (const fine of ['rel.cfg', 'abs.cfg', 'up.cfg', 'via-dir.cfg', 'tmp.sock', '/data ']) assert.not.match(d?.message ?? '', `/usr/share/app/${fine} ->`);
});

test.run();
