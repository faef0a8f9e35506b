/**
 * PlanBuilder (src/plan/plan-builder.ts): entries collected by path, the same thing asked twice kept
 * once with both reasons, two different things at one path refused naming both, paths placed through
 * the jail's own links, parents added by `finish`, and the result sorted bytewise.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JailError } from '../../src/errors.js';
import { describeReason, type Reason } from '../../src/model/reason.js';
import { PlanBuilder, type Placement } from '../../src/plan/plan-builder.js';
import { cleanupTempDirs } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

// The placements the tests make, in one spot: the only code here that knows their shape.
// A reason given as text here (kind 'text'): what the builder does with reasons does not depend on their kind.
const why = (text: string): Reason => ({ kind: 'text', detail: text });
const folder = (path: string, reason: string, mode = 0o755, exactMode = false): Placement => ({ path, kind: 'directory', mode, exactMode, reason: why(reason) });
const copy = (path: string, source: string, reason: string, mode = 0o644): Placement => ({ path, kind: 'file', mode, source, reason: why(reason) });
const text = (path: string, body: string, reason: string): Placement => ({ path, kind: 'file', mode: 0o644, content: Buffer.from(body), reason: why(reason) });
const link = (path: string, target: string, reason: string): Placement => ({ path, kind: 'symlink', mode: 0o777, target, reason: why(reason) });
const device = (path: string, major: number, minor: number, reason: string): Placement => ({ path, kind: 'char', mode: 0o666, major, minor, reason: why(reason) });

/** Every reason an entry keeps, as text (whatever form a reason takes). */
const reasonsOf = (b: PlanBuilder, path: string): string => JSON.stringify(b.get(path)?.reasons ?? null);

/** The error `run` throws: a JailError. */
function refusal(run: () => unknown): JailError {
  try {
    run();
  } catch (err) {
    assert.instance(err, JailError);
    return err as JailError;
  }
  assert.unreachable('refused');
  throw new Error('unreachable');
}

test('the same path asked twice is kept once, with both reasons, in the order asked', () => {
  const b = new PlanBuilder();
  b.add(copy('/usr/lib/libc.so.6', '/usr/lib/libc.so.6', 'needed by /usr/bin/dash'));
  b.add(copy('/usr/lib/libc.so.6', '/usr/lib/libc.so.6', 'needed by /usr/bin/gs'));
  b.add(copy('/usr/lib/libc.so.6', '/usr/lib/libc.so.6', 'needed by /usr/bin/dash'));
  assert.is(b.entries().length, 1);
  const reasons = reasonsOf(b, '/usr/lib/libc.so.6');
  assert.ok(reasons.includes('needed by /usr/bin/dash') && reasons.includes('needed by /usr/bin/gs'), reasons);
  assert.ok(reasons.indexOf('dash') < reasons.indexOf('gs'), `the first reason stays first: ${reasons}`);
  assert.is(reasons.split('needed by /usr/bin/dash').length, 2, `a reason is not repeated: ${reasons}`);

  // Same text, same link, same device: merged too.
  b.add(text('/etc/motd', 'hi\n', 'profile contents[0]'));
  b.add(text('/etc/motd', 'hi\n', 'profile contents[1]'));
  b.add(link('/bin', 'usr/bin', 'merged /usr'));
  b.add(link('/bin', 'usr/bin', 'profile symlinks[0]'));
  b.add(device('/dev/null', 1, 3, 'devices: null'));
  b.add(device('/dev/null', 1, 3, 'base profile'));
  for (const [path, second] of [
    ['/etc/motd', 'contents[1]'],
    ['/bin', 'symlinks[0]'],
    ['/dev/null', 'base profile'],
  ]) {
    assert.match(reasonsOf(b, path as string), second as string);
  }
  assert.is(b.entries().length, 4);
});

test('a folder asked with a mode wins over one implied, whichever comes first', () => {
  const b = new PlanBuilder();
  b.add(folder('/tmp', 'folder of /tmp/x'));
  b.add(folder('/tmp', 'profile directories[0]', 0o1777, true));
  b.add(folder('/tmp', 'folder of /tmp/y'));
  assert.is(b.get('/tmp')?.mode, 0o1777);
  assert.is(b.get('/tmp')?.exactMode, true);
  assert.match(reasonsOf(b, '/tmp'), 'profile directories[0]');
});

test('different contents at one path are refused, naming the path and both reasons', () => {
  const cases: Array<[Placement, Placement, RegExp]> = [
    [copy('/etc/hosts', '/etc/hosts', 'dns profile files[0]'), copy('/etc/hosts', '/srv/hosts', 'profile files[3]'), /a copy of \/etc\/hosts .*a copy of \/srv\/hosts/],
    [text('/etc/motd', 'one\n', 'contents[0]'), text('/etc/motd', 'two\n', 'contents[1]'), /generated text/],
    [link('/bin', 'usr/bin', 'merged /usr'), folder('/bin', 'profile directories[2]'), /a link to usr\/bin .*a folder/],
    [link('/lib', 'usr/lib', 'merged /usr'), link('/lib', '/opt/lib', 'profile symlinks[1]'), /a link to usr\/lib .*a link to \/opt\/lib/],
    [device('/dev/null', 1, 3, 'devices: null'), device('/dev/null', 1, 5, 'devices[1]'), /a char device 1,3 .*a char device 1,5/],
    [text('/etc/x', 'x', 'contents[0]'), copy('/etc/x', '/etc/x', 'files[0]'), /generated text .*a copy of \/etc\/x/],
  ];
  for (const [first, second, what] of cases) {
    const b = new PlanBuilder();
    b.add(first);
    const err = refusal(() => b.add(second));
    assert.is(err.code, 'INPUT');
    assert.ok(err.message.startsWith(`${first.path}: asked for twice with different contents`), err.message);
    assert.ok(err.message.includes(describeReason(first.reason)) && err.message.includes(describeReason(second.reason)), `both reasons named: ${err.message}`);
    assert.match(err.message, what);
  }
});

test('paths are placed through the jail links: /bin -> usr/bin puts /bin/sh at /usr/bin/sh', () => {
  const b = new PlanBuilder();
  b.add(link('/bin', 'usr/bin', 'merged /usr'));
  b.add(link('/lib64', '/usr/lib64', 'merged /usr'));
  b.add(copy('/bin/sh', '/usr/bin/dash', 'binaries[0]', 0o755));
  b.add(copy('/usr/bin/sh', '/usr/bin/dash', 'binaries[1]', 0o755));
  b.add(copy('/lib64/ld-linux-x86-64.so.2', '/usr/lib64/ld-linux-x86-64.so.2', 'interpreter of /bin/sh', 0o755));
  assert.is(b.place('/bin/sh'), '/usr/bin/sh');
  assert.is(b.place('/bin'), '/bin', 'the link itself is not followed');
  assert.is(b.place('/lib64/x/../ld.so'), '/usr/lib64/ld.so');
  assert.is(b.place('/usr/bin/../../bin/sh'), '/usr/bin/sh');
  assert.is(b.place('/'), '/');
  assert.is(b.place('/../..'), '/', '.. never climbs above the jail');
  assert.is(b.place('/usr/../etc/x'), '/etc/x');
  assert.equal(
    b
      .entries()
      .map((e) => e.path)
      .sort(),
    ['/bin', '/lib64', '/usr/bin/sh', '/usr/lib64/ld-linux-x86-64.so.2'],
  );
  const sh = reasonsOf(b, '/usr/bin/sh');
  assert.ok(sh.includes('binaries[0]') && sh.includes('binaries[1]'), sh);
  assert.is(b.get('/bin/sh'), undefined);

  // A link loop is an error, not a hang.
  const loop = new PlanBuilder();
  loop.add(link('/a', 'b', 'x'));
  loop.add(link('/b', 'a', 'y'));
  assert.is(refusal(() => loop.place('/a/file')).code, 'SYMLINK_LOOP');
});

test('finish adds every missing parent as a folder with the mode asked, refuses one below a file, and sorts bytewise', () => {
  const b = new PlanBuilder();
  b.add(copy('/usr/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6', 'needed'));
  b.add(text('/etc/Z', 'z', 'contents[0]'));
  b.add(text('/etc/a', 'a', 'contents[1]'));
  b.add(text('/etc/_', '_', 'contents[2]'));
  b.add(text('/etc/é', 'e', 'contents[3]'));
  b.add(text('/etc-old', 'x', 'contents[4]'));
  b.add(folder('/etc', 'profile directories[0]', 0o700, true));
  const asked: string[] = [];
  const entries = b.finish((path) => {
    asked.push(path);
    return path === '/usr' ? 0o711 : 0o755;
  });
  const paths = entries.map((e) => e.path);
  assert.equal(paths, ['/', '/etc', '/etc-old', '/etc/Z', '/etc/_', '/etc/a', '/etc/é', '/usr', '/usr/lib', '/usr/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu/libc.so.6']);
  const sorted = [...paths].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
  assert.equal(paths, sorted, 'bytewise order');
  assert.is(entries.find((e) => e.path === '/usr')?.mode, 0o711);
  assert.is(entries.find((e) => e.path === '/usr/lib')?.kind, 'directory');
  assert.is(entries.find((e) => e.path === '/etc')?.mode, 0o700, 'a folder asked for keeps its mode');
  assert.not.ok(asked.includes('/etc'), 'no mode asked for a folder already there');
  assert.equal(b.get('/usr/lib')?.reasons, [{ kind: 'folder-of', from: '/usr/lib/x86_64-linux-gnu/libc.so.6' }], 'a folder implied by the entry below it');
  assert.ok(asked.includes('/'), 'the root is added too');

  const below = new PlanBuilder();
  below.add(text('/etc/hosts', 'h', 'contents[0]'));
  below.add(text('/etc/hosts/evil', 'e', 'contents[1]'));
  const err = refusal(() => below.finish(() => 0o755));
  assert.is(err.code, 'INPUT');
  assert.match(err.message, '/etc/hosts: is a file (contents[0]), but /etc/hosts/evil must be inside it');
});

test.run();
