/**
 * Real programs compiled by the test (gcc, gcc -m32, musl-gcc), resolved by jailbuild, compared with
 * the C library's own lister (ldd or musl's --list), then laid out in a jail and run there with chroot.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type InputResolution, resolveInputs } from '../../src/index.js';
import { layOut, runInJail } from '../helpers/jail.js';
import { type LddAnswer, runLdd } from '../helpers/ldd.js';
import { cleanupTempDirs, fileTempDir, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

/** Sources the tests write and compile; shared by the file's tests. */
const work = fileTempDir('jailbuild-cc-');

function cc(compiler: string, args: string[]): void {
  execFileSync(compiler, args, { stdio: ['ignore', 'inherit', 'inherit'] });
}

function source(name: string, text: string): string {
  const path = join(work, 'src', name);
  mkdirSync(join(work, 'src'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

const libSrc = (fn: string, msg: string, calls = ''): string => source(`${fn}.c`, `#include <stdio.h>\n${calls ? `void ${calls}(void);\n` : ''}void ${fn}(void) { puts("${msg}"); ${calls ? `${calls}();` : ''} }\n`);
const mainSrc = (fns: string[]): string => source(`main-${fns.join('-')}.c`, `${fns.map((f) => `void ${f}(void);`).join('\n')}\nint main(void) { ${fns.map((f) => `${f}();`).join(' ')} return 0; }\n`);

function resolved(file: string): InputResolution {
  return resolveInputs([file], { dlopen: 'none' })[0] as InputResolution;
}

function sameAsLister(r: InputResolution, lister: LddAnswer): void {
  const mine = new Set(r.needs.filter((n) => n.kind === 'file').map((n) => n.path));
  const theirs = new Set([...lister.files, execFileSync('realpath', [r.input], { encoding: 'utf8' }).trim()]);
  assert.equal([...mine].sort(), [...theirs].sort(), `files of ${r.input}`);
  assert.equal(r.missing.map((m) => m.name).sort(), [...lister.missing].sort(), `missing of ${r.input}`);
}

function runsInJail(r: InputResolution, expected: string, proc = false): void {
  const jail = tempDir('jailbuild-jail-');
  layOut(r.needs, '/', jail);
  const res = runInJail(jail, [r.input], { proc });
  assert.is(res.status, 0, `${r.input} in the jail: ${res.stderr}`);
  assert.is(res.stdout, expected);
}

test('DT_RUNPATH with $ORIGIN (--enable-new-dtags): same as ldd, and runs in a jail', () => {
  const dir = join(work, 'origin');
  mkdirSync(join(dir, 'lib'), { recursive: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  cc('gcc', ['-shared', '-fPIC', '-o', join(dir, 'lib', 'libhello.so'), '-Wl,-soname,libhello.so', libSrc('hello', 'hello from origin')]);
  cc('gcc', ['-o', join(dir, 'bin', 'prog'), mainSrc(['hello']), `-L${join(dir, 'lib')}`, '-lhello', '-Wl,--enable-new-dtags', '-Wl,-rpath,$ORIGIN/../lib']);
  const r = resolved(join(dir, 'bin', 'prog'));
  assert.ok(r.needs.some((n) => n.path === join(dir, 'lib', 'libhello.so') && (n.reason.via ?? '').includes('DT_RUNPATH')));
  sameAsLister(r, runLdd(r.input));
  // The loader expands a program's $ORIGIN from /proc/self/exe: jailbuild says so, and with /proc
  // mounted in the jail the program runs.
  assert.ok(r.diagnostics.some((d) => d.code === 'ORIGIN_NEEDS_PROC'));
  runsInJail(r, 'hello from origin\n', true);
});

test('DT_RPATH is inherited, DT_RUNPATH is not: both as ldd says', () => {
  const dir = join(work, 'inherit');
  const priv = join(dir, 'private');
  mkdirSync(priv, { recursive: true });
  cc('gcc', ['-shared', '-fPIC', '-o', join(priv, 'libinner.so'), '-Wl,-soname,libinner.so', libSrc('inner', 'inner')]);
  // libouter needs libinner but has no path to it: only an inherited DT_RPATH can find it.
  cc('gcc', ['-shared', '-fPIC', '-o', join(dir, 'libouter.so'), '-Wl,-soname,libouter.so', libSrc('outer', 'outer', 'inner'), `-L${priv}`, '-linner']);
  const link = (out: string, tags: string): void => cc('gcc', ['-o', out, mainSrc(['outer']), `-L${dir}`, `-L${priv}`, '-louter', `-Wl,-rpath-link,${priv}`, tags, `-Wl,-rpath,${dir}:${priv}`]);
  link(join(dir, 'with-rpath'), '-Wl,--disable-new-dtags');
  link(join(dir, 'with-runpath'), '-Wl,--enable-new-dtags');

  const rp = resolved(join(dir, 'with-rpath'));
  assert.equal(rp.missing, []);
  sameAsLister(rp, runLdd(rp.input));
  runsInJail(rp, 'outer\ninner\n');

  const run = resolved(join(dir, 'with-runpath'));
  // The program's DT_RUNPATH does not reach libouter's own needs: libinner is not found.
  assert.equal(
    run.missing.map((m) => m.name),
    ['libinner.so'],
  );
  sameAsLister(run, runLdd(run.input));
});

test('gcc -m32: a 32-bit program resolves through the i386 loader, as ldd says, and runs in a jail', () => {
  const out = join(work, 'hello32');
  cc('gcc', ['-m32', '-o', out, source('h32.c', '#include <stdio.h>\nint main(void){puts("hello 32");return 0;}\n')]);
  const r = resolved(out);
  assert.is(r.kind, 'elf');
  assert.ok(r.needs.some((n) => n.path.endsWith('/ld-linux.so.2')));
  // Some kernels are built with 32-bit emulation off by default (IA32_EMULATION_DEFAULT_DISABLED):
  // then neither ldd nor the jail can run the program. The resolution is checked against the package
  // database instead (libc6-i386's loader and libc, by their real paths), the jail is checked to hold
  // them, and the program is shown to fail in the jail exactly as it does on the host.
  // (Node's spawn hands a file the kernel will not execute to /bin/sh; bash's exec reports it as it is.)
  const onHost = spawnSync('bash', ['-c', 'exec "$0"', out], { encoding: 'utf8' });
  if (onHost.status === 126 && /Exec format error/.test(onHost.stderr)) {
    console.log('  note: this kernel does not run 32-bit programs (ENOEXEC on the host): checked against dpkg -L libc6-i386, not run');
    const shipped = execFileSync('dpkg', ['-L', 'libc6-i386'], { encoding: 'utf8' })
      .split('\n')
      .filter((f) => /\/(ld-linux\.so\.2|libc\.so\.6)$/.test(f))
      .map((f) => realpathSync(f));
    const mine = r.needs.filter((n) => n.kind === 'file').map((n) => n.path);
    assert.equal([...new Set(mine)].sort(), [...new Set([realpathSync(out), ...shipped])].sort(), 'files of the 32-bit program against libc6-i386');
    assert.equal(r.missing, []);
    const jail = tempDir('jailbuild-jail-');
    layOut(r.needs, '/', jail);
    for (const f of shipped) assert.ok(existsSync(join(jail, f)), `${f} in the jail`);
    const inJail = runInJail(jail, [r.input]);
    assert.is.not(inJail.status, 0, 'the kernel refuses it in the jail too');
    return;
  }
  sameAsLister(r, runLdd(out));
  runsInJail(r, 'hello 32\n');
});

test("musl-gcc: a musl program and its shared library, as musl's own --list says, and runs in a jail", () => {
  const dir = join(work, 'musl');
  mkdirSync(dir, { recursive: true });
  cc('musl-gcc', ['-shared', '-fPIC', '-o', join(dir, 'libmhello.so'), libSrc('mhello', 'hello from musl')]);
  cc('musl-gcc', ['-o', join(dir, 'mprog'), mainSrc(['mhello']), `-L${dir}`, '-lmhello', `-Wl,-rpath,${dir}`]);
  const r = resolved(join(dir, 'mprog'));
  assert.is(r.missing.length, 0);
  assert.ok(r.needs.some((n) => n.path.endsWith('/ld-musl-x86_64.so.1') && n.kind === 'symlink'));
  sameAsLister(r, runLdd(r.input, ['/lib/ld-musl-x86_64.so.1', '--list']));
  runsInJail(r, 'hello from musl\n');
});

test('a missing library is reported like ldd\'s "not found"', () => {
  const dir = join(work, 'missing');
  mkdirSync(dir, { recursive: true });
  cc('gcc', ['-shared', '-fPIC', '-o', join(dir, 'libgone.so'), '-Wl,-soname,libgone.so', libSrc('gone', 'gone')]);
  cc('gcc', ['-o', join(dir, 'prog'), mainSrc(['gone']), `-L${dir}`, '-lgone']);
  const r = resolved(join(dir, 'prog'));
  assert.equal(
    r.missing.map((m) => m.name),
    ['libgone.so'],
  );
  sameAsLister(r, runLdd(r.input));
});

test.run();
