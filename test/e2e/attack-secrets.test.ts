/**
 * Attacks through profile values: host secrets pulled in by links, dereferenced trees and scripts,
 * and setuid bits that give an inmate root. Each is performed on a real jail and run as uid 33.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jailbuild } from '../helpers/cli.js';
import { runInJailAs } from '../helpers/jail.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const POOL = { users: [{ name: 'www-data', uid: 33, gid: 33 }], groups: [{ name: 'www-data', gid: 33 }] };
const shadowLines = (): string[] =>
  readFileSync('/etc/shadow', 'utf8')
    .split('\n')
    .filter((l) => l.length > 3);

function profileFile(dir: string, name: string, body: object): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ extends: 'base', ...POOL, ...body }));
  return file;
}

test('a files entry that is a link to /etc/shadow is refused, also with "secret": true; nothing of shadow is printed', () => {
  const dir = tempDir('jailbuild-secret-link-');
  const link = join(dir, 'app.conf');
  symlinkSync('/etc/shadow', link);
  for (const secret of [false, true]) {
    const run = jailbuild(['profile', profileFile(dir, `link${secret}`, { files: [{ path: link, ...(secret ? { secret } : {}) }] }), '--out', join(dir, `jail${secret}`)]);
    assert.is(run.code, 2, run.stderr);
    assert.match(run.stderr, secret ? /"secret": true: .*app\.conf is reached through the link/ : /\/etc\/shadow: not copied: reached through the link .*app\.conf, the host keeps it from others/);
    for (const line of shadowLines()) assert.not.ok(run.stderr.includes(line), 'no line of shadow is printed');
    assert.not.ok(existsSync(join(dir, `jail${secret}`)), 'no jail');
  }
});

test('a dereferenced tree holding a link to a root-only file: the file is left out with a warning, the inmate cannot read it', () => {
  const dir = tempDir('jailbuild-secret-tree-');
  const tree = join(dir, 'certs');
  mkdirSync(tree);
  writeFileSync(join(tree, 'ca.pem'), 'public\n');
  const key = join(dir, 'server.key');
  writeFileSync(key, 'PRIVATE\n', { mode: 0o600 });
  symlinkSync(key, join(tree, 'server.key'));
  const jail = join(dir, 'jail');
  const run = jailbuild(['profile', profileFile(dir, 'tree', { files: [{ path: tree, dereference: true }] }), '--out', jail]);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stderr, /server\.key: left out \(.*\): the host keeps it from others \(mode 0600/);
  assert.not.ok(existsSync(join(jail, tree, 'server.key')));
  assert.ok(existsSync(join(jail, tree, 'ca.pem')));
  const read = runInJailAs(jail, ['/bin/sh', '-c', `read l < ${tree}/server.key && echo "$l"`]);
  assert.match(runInJailAs(jail, ['/bin/sh', '-c', `read l < ${tree}/ca.pem && echo "$l"`]).stdout, /public/, 'the inmate reads the rest of the tree');
  assert.is.not(read.status, 0);
  assert.not.match(read.stdout, /PRIVATE/);
});

test('a folder shared with the pool group only (0750): left out unless the tree says "secret": true', () => {
  const dir = tempDir('jailbuild-secret-group-');
  const app = join(dir, 'app');
  mkdirSync(app, { mode: 0o750 });
  chmodSync(app, 0o750);
  writeFileSync(join(app, 'index.php'), '<?php echo 1;\n', { mode: 0o644 });
  const plain = jailbuild(['profile', profileFile(dir, 'group', { trees: [app] }), '--out', join(dir, 'j1')]);
  assert.is(plain.code, 0, plain.stderr);
  assert.match(plain.stderr, /index\.php: left out \(.*\): the host keeps it from others \(it is inside .*app \(mode 0750/);
  assert.not.ok(existsSync(join(dir, 'j1', app, 'index.php')));
  const marked = jailbuild(['profile', profileFile(dir, 'group2', { trees: [{ path: app, secret: true }] }), '--out', join(dir, 'j2')]);
  assert.is(marked.code, 0, marked.stderr);
  assert.ok(existsSync(join(dir, 'j2', app, 'index.php')));
});

test('a script that sources /etc/shadow: refused, and no line of shadow reaches the output', () => {
  const dir = tempDir('jailbuild-secret-script-');
  const script = join(dir, 'report.sh');
  writeFileSync(script, '#!/bin/sh\n. /etc/shadow\necho "$root"\n');
  chmodSync(script, 0o755);
  const run = jailbuild(['profile', profileFile(dir, 'script', { binaries: [script] }), '--out', join(dir, 'jail')]);
  assert.is(run.code, 2, run.stderr);
  assert.match(run.stderr, /\/etc\/shadow \(read by .*report\.sh line 2.*\): not copied: the host keeps it from others/);
  for (const line of shadowLines()) assert.not.ok(run.stderr.includes(line) || run.stdout.includes(line), 'no line of shadow is printed');
  const resolve = jailbuild(['resolve', script]);
  for (const line of shadowLines()) assert.not.ok(resolve.stderr.includes(line) || resolve.stdout.includes(line), 'resolve prints no line of shadow either');
});

test('a secret named directly needs "secret": true; with it, it is copied, marked in the manifest and flagged by audit', () => {
  const dir = tempDir('jailbuild-secret-direct-');
  const conf = join(dir, 'db.conf');
  writeFileSync(conf, 'password=hunter2\n', { mode: 0o640 });
  const refused = jailbuild(['profile', profileFile(dir, 'plain', { files: [conf] }), '--out', join(dir, 'j1')]);
  assert.is(refused.code, 2);
  assert.match(refused.stderr, /db\.conf: not copied: the host keeps it from others \(mode 0640, owner 0:0: others may not read it\); .*"secret": true/);
  const jail = join(dir, 'j2');
  const manifest = join(dir, 'm.json');
  const ok = jailbuild([
    'profile',
    profileFile(dir, 'marked', {
      files: [
        { path: conf, secret: true },
        { path: '/etc/shadow', secret: true },
      ],
    }),
    '--out',
    jail,
    '--manifest',
    manifest,
  ]);
  assert.is(ok.code, 0, ok.stderr);
  assert.is(readFileSync(join(jail, conf), 'utf8'), 'password=hunter2\n');
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as Array<{ path: string; secret?: boolean }>;
  assert.is(m.find((e) => e.path === conf)?.secret, true);
  const audit = jailbuild(['audit', jail, '--manifest', manifest, '--json']);
  const findings = (JSON.parse(audit.stdout) as { findings: Array<{ rule: string; severity: string; path: string }> }).findings;
  assert.ok(
    findings.some((f) => f.rule === 'secret-file' && f.severity === 'high' && f.path === '/etc/shadow'),
    'shadow flagged high',
  );
  assert.ok(
    findings.some((f) => f.rule === 'secret-file' && f.severity === 'medium' && f.path === conf),
    'the marked secret flagged',
  );
});

test('setuid bits: removed by default (an inmate gets no root shell), kept and named with "allowSetuid"', () => {
  const dir = tempDir('jailbuild-setuid-');
  const rootOnly = { directories: [{ path: '/root-only', mode: '0755' }] };
  // The setuid mode comes from a profile further up the extends chain, as a hostile one would give it.
  const parent = join(dir, 'parent.json');
  writeFileSync(parent, JSON.stringify({ extends: 'base', binaries: ['/usr/bin/su', { path: '/bin/dash', as: '/usr/bin/rootsh', mode: '4755', owner: 0 }] }));
  const shell = (allow: boolean): object => ({ extends: parent, ...(allow ? { binaries: [{ path: '/bin/dash', as: '/usr/bin/rootsh', mode: '4755', owner: 0, allowSetuid: true }] } : {}), ...rootOnly });
  const jail = join(dir, 'jail');
  const run = jailbuild(['profile', profileFile(dir, 'suid', shell(false)), '--out', jail]);
  assert.is(run.code, 0, run.stderr);
  assert.match(run.stderr, /\/usr\/bin\/rootsh: setuid bit removed \(mode 4755 -> 0755\)/);
  assert.match(run.stderr, /\/usr\/bin\/su: setuid bit removed/);
  assert.is(lstatSync(join(jail, 'usr/bin/su')).mode & 0o6000, 0);
  assert.is(lstatSync(join(jail, 'usr/bin/rootsh')).mode & 0o6000, 0);
  const attack = runInJailAs(jail, ['/usr/bin/rootsh', '-p', '-c', 'echo owned > /root-only/x']);
  assert.is.not(attack.status, 0, 'the inmate cannot write as root');
  assert.match(attack.stderr, /Permission denied|cannot create/, `the shell ran and was refused: ${attack.stderr}`);
  assert.not.ok(existsSync(join(jail, 'root-only/x')));

  const kept = join(dir, 'kept');
  const allowed = jailbuild(['profile', profileFile(dir, 'suid-allowed', shell(true)), '--out', kept]);
  assert.is(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, /\/usr\/bin\/rootsh: keeps its setuid bit \(mode 4755, owner 0\)/);
  assert.is(lstatSync(join(kept, 'usr/bin/rootsh')).mode & 0o7777, 0o4755);
  const root = runInJailAs(kept, ['/usr/bin/rootsh', '-p', '-c', 'echo owned > /root-only/x']);
  assert.is(root.status, 0, `kept on purpose, the bit works: ${root.stderr}`);
});

test.run();
