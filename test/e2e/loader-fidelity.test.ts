/**
 * Loader cases where jailbuild once disagreed with the real loader: each root is made here from the
 * host's own loader and libraries, and the real loader (`ld.so --list`, chrooted) is asked too.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type InputResolution, resolveInputs } from '../../src/index.js';
import { compiledSystemDirs } from '../../src/loader/compiled-dirs.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const LOADER = '/lib64/ld-linux-x86-64.so.2';
const TRIPLET = 'x86_64-linux-gnu';

function place(root: string, inside: string, from: string): void {
  mkdirSync(dirname(join(root, inside)), { recursive: true });
  copyFileSync(from, join(root, inside));
}

/** What the real loader loads for `program` inside `root`: the library paths it prints. */
function realLoaderList(root: string, loader: string, program: string): string[] {
  const r = spawnSync('chroot', [root, loader, '--list', program], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  return [...r.stdout.matchAll(/=> (\/\S+)/g)].map((m) => m[1] as string).sort();
}

const libraries = (r: InputResolution): string[] =>
  r.needs
    .filter((n) => n.kind === 'file' && n.path !== r.input && !n.path.includes('/ld-linux'))
    .map((n) => n.path)
    .sort();

test('a Debian loader that is a regular file at /lib64 still searches the multiarch folders (it says so itself)', () => {
  if (process.arch !== 'x64') return assert.unreachable('this machine is not x86-64: the case needs an x86-64 Debian loader');
  assert.equal(compiledSystemDirs(execFileSync('cat', [LOADER], { maxBuffer: 1 << 26 })), [`/lib/${TRIPLET}`, `/usr/lib/${TRIPLET}`, '/lib', '/usr/lib']);
  const root = tempDir('jailbuild-regular-loader-');
  place(root, LOADER, LOADER); // a regular file, not a link into /lib/x86_64-linux-gnu
  place(root, `/lib/${TRIPLET}/libc.so.6`, `/lib/${TRIPLET}/libc.so.6`);
  place(root, '/usr/bin/true', '/usr/bin/true');
  const [r] = resolveInputs(['/usr/bin/true'], { root });
  assert.equal(r?.missing, [], 'libc.so.6 is found');
  assert.equal(libraries(r as InputResolution), [`/lib/${TRIPLET}/libc.so.6`]);
  assert.equal(realLoaderList(root, LOADER, '/usr/bin/true'), [`/lib/${TRIPLET}/libc.so.6`], 'the real loader agrees');
});

test("a library given through a link takes $ORIGIN from the link's folder, as glibc's dlopen does", () => {
  const dir = tempDir('jailbuild-origin-link-');
  const c = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  mkdirSync(join(dir, 'a'));
  mkdirSync(join(dir, 'b'));
  execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,libdep.so', '-o', join(dir, 'b/libdep.so'), c('dep.c', 'int dep(void) { return 7; }\n')]);
  execFileSync('gcc', [
    '-shared',
    '-fPIC',
    '-Wl,-soname,libg.so',
    '-Wl,--enable-new-dtags,-rpath,$ORIGIN',
    '-o',
    join(dir, 'a/libg.so'),
    c('g.c', 'int dep(void);\nint g(void) { return dep(); }\n'),
    `-L${join(dir, 'b')}`,
    '-ldep',
  ]);
  symlinkSync('../a/libg.so', join(dir, 'b/libg.so'));
  execFileSync('gcc', [
    '-o',
    join(dir, 'open'),
    c('open.c', '#include <dlfcn.h>\n#include <stdio.h>\nint main(int c, char **v) { (void)c; void *h = dlopen(v[1], RTLD_NOW); if (!h) { puts(dlerror()); return 1; } puts("loaded"); return 0; }\n'),
  ]);
  // The real loader: through b/ it finds libdep.so beside the link; through a/ it does not.
  const viaLink = spawnSync(join(dir, 'open'), [join(dir, 'b/libg.so')], { encoding: 'utf8' });
  assert.is(viaLink.stdout, 'loaded\n', viaLink.stdout);
  const viaReal = spawnSync(join(dir, 'open'), [join(dir, 'a/libg.so')], { encoding: 'utf8' });
  assert.is(viaReal.status, 1, 'through its real folder, libdep.so is not found');
  // jailbuild agrees on both.
  const [link] = resolveInputs([join(dir, 'b/libg.so')]);
  assert.equal(link?.missing, []);
  assert.ok(link?.needs.some((n) => n.path === join(dir, 'b/libdep.so') && n.reason.via === 'DT_RUNPATH'));
  const [real] = resolveInputs([join(dir, 'a/libg.so')]);
  assert.equal(
    real?.missing.map((m) => m.name),
    ['libdep.so'],
  );
});

test('musl: a library of another class first in the path stops the program; jailbuild reports it as not loadable', () => {
  const dir = tempDir('jailbuild-musl-class-');
  writeFileSync(join(dir, 'w.c'), 'int w(void) { return 3; }\n');
  writeFileSync(join(dir, 'main.c'), '#include <stdio.h>\nint w(void);\nint main(void) { printf("w=%d\\n", w()); return 0; }\n');
  mkdirSync(join(dir, 'lib32'));
  mkdirSync(join(dir, 'lib64'));
  execFileSync('gcc', ['-m32', '-shared', '-fPIC', '-nostdlib', '-Wl,-soname,libw.so', '-o', join(dir, 'lib32/libw.so'), join(dir, 'w.c')]);
  execFileSync('musl-gcc', ['-shared', '-fPIC', '-Wl,-soname,libw.so', '-o', join(dir, 'lib64/libw.so'), join(dir, 'w.c')]);
  execFileSync('musl-gcc', ['-o', join(dir, 'prog'), join(dir, 'main.c'), `-L${join(dir, 'lib64')}`, '-lw', `-Wl,-rpath,${join(dir, 'lib32')}:${join(dir, 'lib64')}`]);
  // The real musl loader opens lib32/libw.so first and gives up.
  const run = spawnSync(join(dir, 'prog'), [], { encoding: 'utf8' });
  assert.is.not(run.status, 0, 'musl cannot start the program');
  assert.not.match(run.stdout, 'w=3');
  const [r] = resolveInputs([join(dir, 'prog')]);
  assert.equal(
    r?.missing.map((m) => m.name),
    ['libw.so'],
  );
  assert.ok(r?.diagnostics.some((d) => d.code === 'LIBRARY_WRONG_CLASS' && d.path === join(dir, 'lib32/libw.so')));
  // With the 64-bit folder first, both agree that it runs.
  execFileSync('musl-gcc', ['-o', join(dir, 'prog2'), join(dir, 'main.c'), `-L${join(dir, 'lib64')}`, '-lw', `-Wl,-rpath,${join(dir, 'lib64')}:${join(dir, 'lib32')}`]);
  assert.is(spawnSync(join(dir, 'prog2'), [], { encoding: 'utf8' }).stdout, 'w=3\n');
  assert.equal(resolveInputs([join(dir, 'prog2')])[0]?.missing, []);
});

test('relative and empty RPATH entries and a DT_NEEDED path with a slash come from the working directory, as the loader does', () => {
  const dir = tempDir('jailbuild-cwd-');
  mkdirSync(join(dir, 'rel'));
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'r.c'), 'int r(void) { return 1; }\n');
  writeFileSync(join(dir, 's.c'), 'int s(void) { return 2; }\n');
  writeFileSync(join(dir, 'main.c'), '#include <stdio.h>\nint r(void); int s(void);\nint main(void) { printf("%d\\n", r() + s()); return 0; }\n');
  execFileSync('gcc', ['-shared', '-fPIC', '-Wl,-soname,librel.so', '-o', join(dir, 'rel/librel.so'), join(dir, 'r.c')]);
  // A library linked by its path (no soname): DT_NEEDED holds the path as given, with its slash.
  execFileSync('gcc', ['-shared', '-fPIC', '-o', join(dir, 'sub/libs.so'), join(dir, 's.c')]);
  execFileSync('gcc', ['-o', join(dir, 'prog'), join(dir, 'main.c'), '-Lrel', '-lrel', './sub/libs.so', '-Wl,--disable-new-dtags,-rpath,rel'], { cwd: dir });
  // The real loader: from dir it runs; from / it does not find them.
  assert.is(spawnSync(join(dir, 'prog'), [], { encoding: 'utf8', cwd: dir }).stdout, '3\n');
  assert.is.not(spawnSync(join(dir, 'prog'), [], { encoding: 'utf8', cwd: '/' }).status, 0);
  const [here] = resolveInputs([join(dir, 'prog')], { cwd: dir });
  assert.equal(here?.missing, []);
  assert.ok(here?.needs.some((n) => n.path === join(dir, 'rel/librel.so') && n.reason.via === 'DT_RPATH'));
  assert.ok(here?.needs.some((n) => n.path === join(dir, 'sub/libs.so')));
  assert.ok(here?.diagnostics.some((d) => d.code === 'CWD_DEPENDENT' && d.message.includes('DT_RPATH "rel"') && d.message.includes('"./sub/libs.so"')));
  const [root] = resolveInputs([join(dir, 'prog')], { cwd: '/' });
  assert.equal(root?.missing.map((m) => m.name).sort(), ['./sub/libs.so', 'librel.so']);
});

test('compiledSystemDirs: the NUL-separated folder list a loader carries; none in other bytes', () => {
  const bytes = Buffer.concat([Buffer.from('\x7fELF junk\0/etc/ld.so.cache\0'), Buffer.from('/lib64/\0/usr/lib64/\0'), Buffer.from('more\0')]);
  assert.equal(compiledSystemDirs(bytes), ['/lib64', '/usr/lib64']);
  assert.is(compiledSystemDirs(Buffer.from('/lib/x/\0')), null, 'one folder alone is not the list');
  assert.is(compiledSystemDirs(Buffer.from('/libexec/a/\0/libexec/b/\0')), null, 'not lib folders');
  assert.is(compiledSystemDirs(Buffer.alloc(0)), null);
});

test.run();
