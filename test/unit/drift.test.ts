/**
 * Drift (src/audit/checks/drift.ts) on hand-made inventories: what should be in a jail against what
 * is — missing, extra, changed kind, contents by size then by sha256, mode, owner, link target, device.
 */
import { createHash } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkDrift, type Expected } from '../../src/audit/checks/drift.js';
import type { Finding } from '../../src/audit/finding.js';
import type { Inventory } from '../../src/audit/inventory.js';
import type { JailEntry } from '../../src/model/jail-entry.js';
import { RootFs } from '../../src/rootfs/rootfs.js';
import { cleanupTempDirs } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

type Have = Omit<JailEntry, 'reasons'> & { body?: string };

/** An inventory of `entries`; file bodies hashed on demand, each hash asked counted in `hashed`. */
function inventory(entries: Have[], unreadable: string[] = []): Inventory & { hashed: string[] } {
  const bodies = new Map(entries.filter((e) => e.body !== undefined).map((e) => [e.path, e.body as string]));
  const hashed: string[] = [];
  return {
    format: 'tree',
    target: '/srv/jail',
    entries: entries.map(({ body: _body, ...e }) => ({ ...e, reasons: [] })),
    findings: [],
    fs: new RootFs('/'),
    read: (path) => (bodies.has(path) ? Buffer.from(bodies.get(path) as string) : null),
    sha256: (path) => {
      hashed.push(path);
      const body = bodies.get(path);
      return body === undefined ? undefined : sha(body);
    },
    notHashed: new Map(),
    unreadable: new Set(unreadable),
    close: () => undefined,
    hashed,
  };
}

const root: Have = { path: '/', kind: 'directory', mode: 0o755, uid: 0, gid: 0 };
const file = (path: string, body: string, more: Partial<Have> = {}): Have => ({ path, kind: 'file', mode: 0o644, uid: 0, gid: 0, size: Buffer.byteLength(body), body, ...more });
const want = (h: Have, sha256?: string): Expected => {
  const { body, sha256: _known, ...e } = h;
  return { ...e, ...(e.kind === 'file' ? { sha256: () => sha256 ?? (body === undefined ? undefined : sha(body)) } : {}) };
};
const brief = (findings: Finding[]): string[] => findings.map((f) => `${f.rule} ${f.path}`).sort();

test('the same jail on both sides: no finding, and no file hashed twice', () => {
  const entries: Have[] = [
    root,
    { path: '/bin', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, target: 'usr/bin' },
    { path: '/dev', kind: 'directory', mode: 0o755, uid: 0, gid: 0 },
    { path: '/dev/null', kind: 'char', mode: 0o666, uid: 0, gid: 0, major: 1, minor: 3 },
    { path: '/etc', kind: 'directory', mode: 0o755, uid: 0, gid: 0 },
    file('/etc/passwd', 'root:x:0:0::/:/bin/sh\n'),
    { path: '/tmp', kind: 'directory', mode: 0o1777, uid: 0, gid: 0 },
  ];
  const inv = inventory(entries);
  assert.equal(
    checkDrift(
      entries.map((e) => want(e)),
      inv,
      'the manifest',
    ),
    [],
  );
  assert.equal(inv.hashed, ['/etc/passwd'], 'sizes agree, so the contents are compared by sha256');
});

test('missing and extra entries, named with where the expectation comes from', () => {
  const expected = [root, file('/etc-gone', 'x'), { path: '/var', kind: 'directory', mode: 0o755, uid: 0, gid: 0 } as Have];
  const inv = inventory([root, file('/planted', 'evil')]);
  const found = checkDrift(
    expected.map((e) => want(e)),
    inv,
    'the profile',
  );
  assert.equal(brief(found), ['drift-extra /planted', 'drift-missing /etc-gone', 'drift-missing /var']);
  assert.is(found.find((f) => f.path === '/var')?.message, '/var: the profile has a directory here; the jail has nothing');
  assert.is(found.find((f) => f.path === '/planted')?.message, '/planted: a file that the profile does not have');
  assert.ok(found.every((f) => f.severity === 'medium'));
});

test('contents: a different size is reported without hashing; the same size with other bytes by sha256', () => {
  const expected = [root, file('/grown', 'short'), file('/edited', 'abcd'), file('/same', 'same')];
  const inv = inventory([root, file('/grown', 'much longer'), file('/edited', 'abcX'), file('/same', 'same')]);
  const found = checkDrift(
    expected.map((e) => want(e)),
    inv,
    'the manifest',
  );
  assert.equal(brief(found), ['drift-content /edited', 'drift-content /grown']);
  assert.is(found.find((f) => f.path === '/grown')?.message, '/grown: 11 bytes, the manifest 5 bytes');
  assert.match(found.find((f) => f.path === '/edited')?.message ?? '', `contents differ from the manifest (sha256 ${sha('abcX').slice(0, 12)}…, expected ${sha('abcd').slice(0, 12)}…)`);
  assert.not.ok(inv.hashed.includes('/grown'), 'sizes differ: not hashed');
  assert.ok(inv.hashed.includes('/edited') && inv.hashed.includes('/same'));
});

test('contents: an expectation without a size is compared by sha256; an unreadable file or an unknown hash is not guessed about', () => {
  const expected: Expected[] = [want(root), { ...want(file('/nosize', 'abc')), size: undefined }, want(file('/unreadable', 'abc'), sha('other')), want(file('/unknown', 'abc'), undefined)];
  expected[3] = { ...(expected[3] as Expected), sha256: () => undefined };
  const inv = inventory([root, file('/nosize', 'abcdef'), file('/unreadable', 'abc'), file('/unknown', 'xyz')], ['/unreadable']);
  const found = checkDrift(expected, inv, 'the manifest');
  assert.equal(brief(found), ['drift-content /nosize']);
  assert.not.ok(inv.hashed.includes('/unreadable'), 'an unreadable file is not hashed');
});

test('mode and owner, setuid and sticky bits included; links have neither', () => {
  const expected = [
    root,
    file('/usr/bin/tool', 'x', { mode: 0o755 }),
    file('/usr/bin/su', 'x', { mode: 0o755 }),
    { path: '/tmp', kind: 'directory', mode: 0o1777, uid: 0, gid: 0 } as Have,
    file('/etc/owned', 'x', { uid: 0, gid: 33 }),
    { path: '/link', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, target: 't' } as Have,
  ];
  const inv = inventory([
    root,
    file('/usr/bin/tool', 'x', { mode: 0o775 }),
    file('/usr/bin/su', 'x', { mode: 0o4755 }),
    { path: '/tmp', kind: 'directory', mode: 0o777, uid: 0, gid: 0 },
    file('/etc/owned', 'x', { uid: 1000, gid: 33 }),
    { path: '/link', kind: 'symlink', mode: 0o755, uid: 1000, gid: 1000, target: 't' },
  ]);
  const found = checkDrift(
    expected.map((e) => want(e)),
    inv,
    'the manifest',
  );
  assert.equal(brief(found), ['drift-mode /tmp', 'drift-mode /usr/bin/su', 'drift-mode /usr/bin/tool', 'drift-owner /etc/owned']);
  assert.is(found.find((f) => f.path === '/usr/bin/tool')?.message, '/usr/bin/tool: -rwxrwxr-x, the manifest -rwxr-xr-x');
  assert.is(found.find((f) => f.path === '/usr/bin/su')?.message, '/usr/bin/su: -rwsr-xr-x, the manifest -rwxr-xr-x');
  assert.is(found.find((f) => f.path === '/tmp')?.message, '/tmp: drwxrwxrwx, the manifest drwxrwxrwt');
  assert.is(found.find((f) => f.path === '/etc/owned')?.message, '/etc/owned: owned by 1000:33, the manifest 0:33');
});

test('a link to elsewhere, a device with other numbers, and a changed kind (reported once, nothing more about it)', () => {
  const expected: Have[] = [
    root,
    { path: '/bin', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, target: 'usr/bin' },
    { path: '/dev/null', kind: 'char', mode: 0o666, uid: 0, gid: 0, major: 1, minor: 3 },
    { path: '/dev/sda', kind: 'block', mode: 0o660, uid: 0, gid: 6, major: 8, minor: 0 },
    file('/etc/hosts', 'h'),
    { path: '/var', kind: 'directory', mode: 0o755, uid: 0, gid: 0 },
  ];
  const inv = inventory([
    root,
    { path: '/bin', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, target: '/host/bin' },
    { path: '/dev/null', kind: 'char', mode: 0o666, uid: 0, gid: 0, major: 1, minor: 5 },
    { path: '/dev/sda', kind: 'block', mode: 0o660, uid: 0, gid: 6, major: 8, minor: 0 },
    { path: '/etc/hosts', kind: 'symlink', mode: 0o777, uid: 1000, gid: 1000, target: '/etc/shadow' },
    { path: '/var', kind: 'file', mode: 0o600, uid: 5, gid: 5, size: 1, body: 'v' },
  ]);
  const found = checkDrift(
    expected.map((e) => want(e)),
    inv,
    'the profile',
  );
  assert.equal(brief(found), ['drift-changed /bin', 'drift-changed /dev/null', 'drift-changed /etc/hosts', 'drift-changed /var']);
  assert.is(found.find((f) => f.path === '/bin')?.message, '/bin: links to /host/bin, the profile to usr/bin');
  assert.is(found.find((f) => f.path === '/dev/null')?.message, '/dev/null: device 1,5, the profile 1,3');
  assert.is(found.find((f) => f.path === '/etc/hosts')?.message, '/etc/hosts: a symlink in the jail, a file in the profile');
  assert.is(found.find((f) => f.path === '/var')?.message, '/var: a file in the jail, a directory in the profile');
  assert.equal(inv.hashed, [], 'nothing hashed for a changed kind');
});

test.run();
