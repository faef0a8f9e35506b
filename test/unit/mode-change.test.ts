/**
 * The chmod-style mode language of `permissions.mode` (src/plan/mode-policy.ts), checked against
 * chmod itself: each case makes a real file (or folder) with a start mode, runs `chmod SPEC` on it
 * and compares the mode chmod left with the parser's answer.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { JailError } from '../../src/errors.js';
import { parseModeChange } from '../../src/plan/mode-policy.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const oct = (mode: number): string => mode.toString(8).padStart(4, '0');

/** What chmod makes of `start` with `spec`, on a file or a folder. umask 0: a clause without u/g/o/a means a, as in the parser. */
function chmodAnswer(dir: string, name: string, start: number, spec: string, isDirectory: boolean): number {
  const path = join(dir, name);
  if (isDirectory) mkdirSync(path);
  else writeFileSync(path, '');
  chmodSync(path, start);
  assert.is(oct(statSync(path).mode & 0o7777), oct(start), `${name}: start mode set`);
  const run = spawnSync('sh', ['-c', 'umask 0 && exec chmod -- "$0" "$1"', spec, path], { encoding: 'utf8' });
  assert.is(run.status, 0, `chmod ${spec}: ${run.stderr}`);
  return statSync(path).mode & 0o7777;
}

// [spec, start mode, folder?]
const AGREED: Array<[string, number, boolean]> = [
  // The default policy: group loses what the owner may not do and write, others lose everything.
  ['g=u-w,o-rwx', 0o755, false],
  ['g=u-w,o-rwx', 0o644, false],
  ['g=u-w,o-rwx', 0o600, false],
  ['g=u-w,o-rwx', 0o777, false],
  ['g=u-w,o-rwx', 0o4755, false],
  ['g=u-w,o-rwx', 0o2755, false],
  ['g=u-w,o-rwx', 0o755, true],
  ['g=u-w,o-rwx', 0o1777, true],
  ['g=u-w,o-rwx', 0o700, true],
  ['u+s', 0o755, false],
  ['u+s', 0o644, false],
  ['g+s', 0o750, false],
  ['u-s', 0o4755, false],
  ['ug-s', 0o6755, false],
  ['+t', 0o755, true],
  ['a+t', 0o777, true],
  ['-t', 0o1777, true],
  ['a=rX', 0o644, false],
  ['a=rX', 0o744, false],
  ['a=rX', 0o700, true],
  ['a+X', 0o600, false],
  ['a+X', 0o610, false],
  ['a+X', 0o600, true],
  ['u=rwX,go=rX', 0o600, false],
  ['u=rwX,go=rX', 0o700, false],
  ['u=rwX,go=rX', 0o700, true],
  ['o=', 0o755, false],
  ['o=', 0o777, true],
  ['g=', 0o770, false],
  ['u=rw,g=r,o=', 0o777, false],
  ['go-w', 0o777, false],
  ['a-x', 0o755, false],
  ['+x', 0o644, false],
  ['=r', 0o777, false],
  ['g=u', 0o740, false],
  ['o=g', 0o750, false],
  ['go=u', 0o700, false],
  ['u=g', 0o070, false],
  ['g+u', 0o740, false],
  ['o-g', 0o777, false],
  ['u+w-x', 0o555, false],
  ['u=rwx,g+w-r', 0o640, false],
  ['g=u-x', 0o755, false],
  ['0750', 0o644, false],
  ['750', 0o4777, false],
  ['0644', 0o755, false],
  ['4755', 0o644, false],
  ['1777', 0o755, true],
  ['0700', 0o755, true],
];

test('symbolic and octal changes give what chmod gives on real files and folders', () => {
  const dir = tempDir('jailbuild-mode-');
  AGREED.forEach(([spec, start, isDirectory], i) => {
    const expected = chmodAnswer(dir, `case-${i}`, start, spec, isDirectory);
    const got = parseModeChange(spec)(start, isDirectory);
    assert.is(oct(got), oct(expected), `chmod ${spec} on a ${isDirectory ? 'folder' : 'file'} ${oct(start)}`);
  });
});

/**
 * Where the parser and GNU chmod (coreutils 9.1 here) differ today, each side's answer pinned:
 * - GNU chmod keeps a folder's setuid and setgid bits unless the change names them (`g-s`, or a
 *   five-digit octal such as 00755); the parser clears them with `=` on u or g and with an octal mode.
 * - To GNU chmod, `o` covers the sticky bit, so `o=`, `go=` and `a=` clear it and `=t` sets only it;
 *   the parser leaves the sticky bit alone unless the change names `t`, and `=t` keeps setuid/setgid.
 * If the parser is changed to agree with chmod, these cases fail: move them to AGREED.
 */
const DIFFERENT: Array<[string, number, boolean, number, number]> = [
  // [spec, start, folder?, chmod's answer, the parser's answer]
  ['g=u-w,o-rwx', 0o2755, true, 0o2750, 0o750],
  ['0755', 0o2755, true, 0o2755, 0o755],
  ['u=rx', 0o4755, true, 0o4555, 0o555],
  ['o=', 0o1777, false, 0o770, 0o1770],
  ['go=', 0o1777, true, 0o700, 0o1700],
  ['a=', 0o1777, false, 0o0, 0o1000],
  ['=t', 0o4755, false, 0o1000, 0o5000],
];

test('known differences from chmod: setuid/setgid of folders, and the sticky bit under o', () => {
  const dir = tempDir('jailbuild-mode-diff-');
  DIFFERENT.forEach(([spec, start, isDirectory, chmodSays, parserSays], i) => {
    const what = `chmod ${spec} on a ${isDirectory ? 'folder' : 'file'} ${oct(start)}`;
    assert.is(oct(chmodAnswer(dir, `case-${i}`, start, spec, isDirectory)), oct(chmodSays), `${what}: chmod`);
    assert.is(oct(parseModeChange(spec)(start, isDirectory)), oct(parserSays), `${what}: the parser`);
  });
});

test('the default policy g=u-w,o-rwx, worked by hand: 0755 -> 0750, 0644 -> 0640, 0700 -> 0750, 04755 -> 04750', () => {
  const policy = parseModeChange('g=u-w,o-rwx');
  assert.is(oct(policy(0o755, false)), '0750');
  assert.is(oct(policy(0o644, false)), '0640');
  assert.is(oct(policy(0o700, true)), '0750');
  assert.is(oct(policy(0o4755, false)), '4750');
  assert.is(oct(policy(0o1777, true)), '1750');
});

test('X adds execute only to folders and to files something may already execute', () => {
  const rX = parseModeChange('a=rX');
  assert.is(oct(rX(0o600, false)), '0444');
  assert.is(oct(rX(0o100, false)), '0555');
  assert.is(oct(rX(0o600, true)), '0555');
});

test('keep leaves every bit as it is, setuid and sticky included', () => {
  const keep = parseModeChange('keep');
  for (const mode of [0, 0o644, 0o4755, 0o1777, 0o7777]) {
    assert.is(keep(mode, false), mode);
    assert.is(keep(mode, true), mode);
  }
});

test('an octal mode is taken as it is, whatever the start', () => {
  for (const [spec, mode] of [
    ['0750', 0o750],
    ['644', 0o644],
    ['4755', 0o4755],
    ['0000', 0],
  ] as const) {
    const change = parseModeChange(spec);
    assert.is(change(0o777, false), mode);
    assert.is(change(0, true), mode);
  }
});

test('bad input is refused with a JailError naming the field and the text; chmod refuses it too', () => {
  const dir = tempDir('jailbuild-mode-bad-');
  const file = join(dir, 'f');
  writeFileSync(file, '');
  for (const spec of ['', 'u+q', 'x=r', 'rwx', 'u=rw,,o=', 'g=u-w,', ',o-r', '0999', '07777x', 'u=r o=r', '+uw', 'u<r']) {
    assert.throws(
      () => parseModeChange(spec, 'profile.json: permissions.mode'),
      (err: unknown) => err instanceof JailError && err.code === 'INPUT' && err.field === 'profile.json: permissions.mode' && err.message.includes(`"${spec}"`),
      `refused: ${JSON.stringify(spec)}`,
    );
    // chmod agrees that these are no modes.
    const run = spawnSync('chmod', ['--', spec, file], { encoding: 'utf8' });
    assert.is.not(run.status, 0, `chmod refuses ${JSON.stringify(spec)}`);
  }
});

test('a mode change worked out once per mode and kind answers as one made fresh for each entry', () => {
  for (const spec of ['g=u-w,o-rwx', 'go-w', 'a+X', 'u=rwX,g=rX,o=', 'u+s,g-s,o+t', '0750', 'keep']) {
    const kept = parseModeChange(spec);
    // Every mode, as a file and as a folder, in an order that returns to modes already answered.
    for (const round of [0, 1]) {
      for (let mode = 0; mode <= 0o7777; mode += round === 0 ? 1 : 7) {
        for (const isDirectory of [false, true]) {
          const full = mode | (isDirectory ? 0o40000 : 0o100000);
          assert.is(kept(full, isDirectory), parseModeChange(spec)(full, isDirectory), `${spec} on ${mode.toString(8)} (${isDirectory ? 'folder' : 'file'})`);
        }
      }
    }
  }
});

test.run();
