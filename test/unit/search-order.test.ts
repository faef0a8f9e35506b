import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type InputResolution, resolveInputs } from '../../src/index.js';
import { DF_1_NODEFLIB, EM } from '../../src/elf/constants.js';
import { type ElfSpec, makeElf } from '../helpers/make-elf.js';
import { cleanupTempDirs, sysroot, type TreeNode } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const INTERP = '/lib64/ld-linux-x86-64.so.2';
const MA = '/usr/lib/x86_64-linux-gnu';

/** A merged-/usr x86-64 sysroot with a loader and a libc, plus `extra`. */
function x64Root(extra: Record<string, TreeNode>): string {
  return sysroot({
    '/lib': { link: 'usr/lib' },
    '/lib64': { link: 'usr/lib64' },
    '/bin': { link: 'usr/bin' },
    [`${MA}/ld-linux-x86-64.so.2`]: makeElf({ soname: 'ld-linux-x86-64.so.2' }),
    '/usr/lib64/ld-linux-x86-64.so.2': { link: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' },
    [`${MA}/libc.so.6`]: makeElf({ soname: 'libc.so.6', needed: ['ld-linux-x86-64.so.2'] }),
    ...extra,
  });
}

const prog = (spec: ElfSpec = {}): Buffer => makeElf({ interpreter: INTERP, needed: ['libc.so.6'], ...spec });
const lib = (soname: string, spec: ElfSpec = {}): Buffer => makeElf({ soname, needed: ['libc.so.6'], ...spec });

function resolve1(root: string, input: string, opts = {}): InputResolution {
  const [r] = resolveInputs([input], { root, ...opts });
  return r as InputResolution;
}
const files = (r: InputResolution): string[] => r.needs.filter((n) => n.kind === 'file').map((n) => n.path);
const links = (r: InputResolution): string[] => r.needs.filter((n) => n.kind === 'symlink').map((n) => `${n.path} -> ${n.target}`);
const missing = (r: InputResolution): string[] => r.missing.map((m) => m.name);
const reasonOf = (r: InputResolution, path: string): string => r.needs.find((n) => n.path === path)?.reason.via ?? '';

test('a plain program: interpreter, libc, and the merged-/usr links on the way', () => {
  const root = x64Root({ '/usr/bin/prog': prog() });
  const r = resolve1(root, '/bin/prog');
  assert.is(r.kind, 'elf');
  assert.equal(files(r), ['/usr/bin/prog', `${MA}/ld-linux-x86-64.so.2`, `${MA}/libc.so.6`]);
  assert.equal(links(r), ['/bin -> usr/bin', '/lib -> usr/lib', '/lib64 -> usr/lib64', '/usr/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2']);
  assert.equal(r.needs.find((n) => n.path === '/lib')?.linkTo, 'directory');
  assert.equal(missing(r), []);
});

test('DT_RPATH is inherited by the libraries a program loads', () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ rpath: '/opt/a', needed: ['libA.so.1', 'libc.so.6'] }),
    '/opt/a/libA.so.1': lib('libA.so.1', { needed: ['libB.so.1', 'libc.so.6'] }),
    '/opt/a/libB.so.1': lib('libB.so.1'),
  });
  const r = resolve1(root, '/usr/bin/prog');
  assert.equal(missing(r), []);
  assert.ok(files(r).includes('/opt/a/libB.so.1'));
  assert.match(reasonOf(r, '/opt/a/libB.so.1'), 'DT_RPATH of /usr/bin/prog');
});

test("DT_RUNPATH applies to the object's own needs only (where lddtree.py is wrong)", () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ runpath: '/opt/a', needed: ['libA.so.1', 'libc.so.6'] }),
    '/opt/a/libA.so.1': lib('libA.so.1', { needed: ['libB.so.1', 'libc.so.6'] }),
    '/opt/a/libB.so.1': lib('libB.so.1'),
  });
  const r = resolve1(root, '/usr/bin/prog');
  assert.ok(files(r).includes('/opt/a/libA.so.1'));
  assert.equal(missing(r), ['libB.so.1']);
  assert.is(r.missing[0]?.neededBy, '/opt/a/libA.so.1');
});

test('an object with DT_RUNPATH has its DT_RPATH ignored, and stops inheritance from it', () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ rpath: '/opt/r', runpath: '/opt/a', needed: ['libA.so.1', 'libR.so.1', 'libc.so.6'] }),
    '/opt/a/libA.so.1': lib('libA.so.1'),
    '/opt/r/libR.so.1': lib('libR.so.1'),
  });
  const r = resolve1(root, '/usr/bin/prog');
  assert.equal(missing(r), ['libR.so.1']);
});

test("a library's DT_RPATH reaches the libraries it loads, up the chain", () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ needed: ['libA.so.1', 'libc.so.6'] }),
    [`${MA}/libA.so.1`]: lib('libA.so.1', { rpath: '/opt/x', needed: ['libC.so.1', 'libc.so.6'] }),
    '/opt/x/libC.so.1': lib('libC.so.1', { needed: ['libD.so.1', 'libc.so.6'] }),
    '/opt/x/libD.so.1': lib('libD.so.1'),
  });
  const r = resolve1(root, '/usr/bin/prog');
  assert.equal(missing(r), []);
  // Found through the default folder /lib/x86_64-linux-gnu: that is the path the object is known by.
  assert.match(reasonOf(r, '/opt/x/libD.so.1'), 'DT_RPATH of /lib/x86_64-linux-gnu/libA.so.1');
});

test('$ORIGIN of a program is the folder of its real file, even when started through a link', () => {
  const root = x64Root({
    '/app/bin/prog': prog({ runpath: '$ORIGIN/../lib', needed: ['libfoo.so.1', 'libc.so.6'] }),
    '/app/lib/libfoo.so.1': lib('libfoo.so.1', { runpath: '${ORIGIN}/private', needed: ['libbar.so.1', 'libc.so.6'] }),
    '/app/lib/private/libbar.so.1': lib('libbar.so.1'),
    '/usr/local/bin/prog': { link: '../../../app/bin/prog' },
  });
  const r = resolve1(root, '/usr/local/bin/prog');
  assert.equal(missing(r), []);
  assert.ok(files(r).includes('/app/lib/libfoo.so.1'));
  assert.ok(files(r).includes('/app/lib/private/libbar.so.1'));
  assert.ok(links(r).includes('/usr/local/bin/prog -> ../../../app/bin/prog'));
});

test('a missing library is reported with the object that needs it', () => {
  const root = x64Root({ '/usr/bin/prog': prog({ needed: ['libnothere.so.9', 'libc.so.6'] }) });
  const r = resolve1(root, '/usr/bin/prog');
  assert.equal(missing(r), ['libnothere.so.9']);
  assert.is(r.missing[0]?.neededBy, '/usr/bin/prog');
});

test('candidates of the wrong class or machine earlier in the path are skipped', () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ rpath: '/opt/wrong32:/opt/wrongarm', needed: ['libz.so.1', 'libc.so.6'] }),
    '/opt/wrong32/libz.so.1': lib('libz.so.1', { elfClass: 32, machine: EM.I386 }),
    '/opt/wrongarm/libz.so.1': lib('libz.so.1', { machine: EM.AARCH64 }),
    [`${MA}/libz.so.1`]: lib('libz.so.1'),
  });
  const r = resolve1(root, '/usr/bin/prog');
  assert.equal(missing(r), []);
  assert.ok(files(r).includes(`${MA}/libz.so.1`));
  assert.not.ok(files(r).some((f) => f.startsWith('/opt/')));
});

test('a root with ld.so.conf but no ld.so.cache: as the loader, the default folders only (reported); ld.so.conf with includes on request', () => {
  const root = x64Root({
    '/etc/ld.so.conf': 'include /etc/ld.so.conf.d/*.conf\n',
    '/etc/ld.so.conf.d/a-local.conf': '# local libraries\n/usr/local/lib64\n',
    '/etc/ld.so.conf.d/b-self.conf': 'include b-self.conf\ninclude /etc/ld.so.conf\n/opt/other\n',
    '/usr/local/lib64/libids.so.0': lib('libids.so.0'),
    '/opt/other/libz.so.1': lib('libz.so.1'),
    [`${MA}/libz.so.1`]: lib('libz.so.1'),
    '/usr/local/bin/idsgrep': prog({ needed: ['libids.so.0', 'libz.so.1', 'libc.so.6'] }),
  });
  // The loader never reads ld.so.conf: libids is not found, libz comes from the default folder.
  const loader = resolve1(root, '/usr/local/bin/idsgrep');
  assert.equal(missing(loader), ['libids.so.0']);
  assert.ok(files(loader).includes(`${MA}/libz.so.1`));
  assert.ok(loader.diagnostics.some((d) => d.code === 'LDCONF_NO_CACHE' && d.message.startsWith('libids.so.0 is in /usr/local/lib64') && d.message.includes('does not find it')));
  assert.ok(loader.diagnostics.some((d) => d.code === 'LDCONF_NO_CACHE' && d.message.startsWith('libz.so.1 is in /opt/other') && d.message.includes('loads /lib/x86_64-linux-gnu/libz.so.1 instead')));
  // A root that will run ldconfig before use: as ldconfig would cache it.
  const r = resolve1(root, '/usr/local/bin/idsgrep', { ldSoConfWithoutCache: true });
  assert.equal(missing(r), []);
  assert.ok(files(r).includes('/opt/other/libz.so.1'));
  assert.match(reasonOf(r, '/usr/local/lib64/libids.so.0'), 'ld.so.conf');
  assert.ok(
    r.diagnostics.some((d) => d.code === 'LDCONF_INCLUDE_LOOP'),
    'the self-include is reported',
  );
});

test('directory links in the library path are kept as links', () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ needed: ['libv.so.1', 'libc.so.6'] }),
    '/usr/lib/x86_64-linux-gnu/vendor': { link: '/opt/vendor-1.2/lib' },
    '/opt/vendor-1.2/lib/libv.so.1': lib('libv.so.1'),
    '/etc/ld.so.conf': '/usr/lib/x86_64-linux-gnu/vendor\n',
  });
  const r = resolve1(root, '/usr/bin/prog', { ldSoConfWithoutCache: true });
  assert.equal(missing(r), []);
  assert.ok(files(r).includes('/opt/vendor-1.2/lib/libv.so.1'));
  assert.ok(links(r).includes('/usr/lib/x86_64-linux-gnu/vendor -> /opt/vendor-1.2/lib'));
});

test('a loop of symbolic links is reported, never followed forever', () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ needed: ['libloop.so.1', 'libc.so.6'] }),
    [`${MA}/libloop.so.1`]: { link: 'libloop.so.2' },
    [`${MA}/libloop.so.2`]: { link: 'libloop.so.1' },
    '/usr/bin/selfloop': { link: 'selfloop' },
  });
  const r = resolve1(root, '/usr/bin/prog');
  assert.equal(missing(r), ['libloop.so.1']);
  assert.ok(r.diagnostics.some((d) => d.code === 'SYMLINK_LOOP'));
  const s = resolve1(root, '/usr/bin/selfloop');
  assert.is(s.kind, 'error');
  assert.match(s.diagnostics[0]?.message ?? '', 'too many levels of symbolic links');
});

test('in another root, absolute links and .. stay inside that root', () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ needed: ['libesc.so.1', 'libc.so.6'] }),
    // Climbs far above the root: must land on the root's own /usr/lib/..., never the host's.
    [`${MA}/libesc.so.1`]: { link: '../../../../../../../../usr/lib/x86_64-linux-gnu/real/libesc.so.1' },
    [`${MA}/real/libesc.so.1`]: lib('libesc.so.1'),
  });
  const r = resolve1(root, '/usr/bin/prog');
  assert.equal(missing(r), []);
  assert.ok(files(r).includes(`${MA}/real/libesc.so.1`));
  // The loader's absolute link /usr/lib64/ld-linux-x86-64.so.2 -> /lib/... was followed inside the root.
  assert.ok(files(r).includes(`${MA}/ld-linux-x86-64.so.2`));
});

test('DF_1_NODEFLIB keeps the loader out of the default folders', () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ flags1: 0x800, needed: ['libonlydefault.so.1', 'libc.so.6'] }),
    [`${MA}/libonlydefault.so.1`]: lib('libonlydefault.so.1'),
  });
  const r = resolve1(root, '/usr/bin/prog');
  assert.ok(missing(r).includes('libonlydefault.so.1'));
});

test('a needed name that a loaded object has as its soname is not searched again', () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ rpath: '/opt/p', needed: ['libP.so.1', 'libQ.so.1', 'libc.so.6'] }),
    '/opt/p/libP.so.1': lib('libP.so.1', { needed: ['libc.so.6'] }),
    // libQ is found in the default path and needs libP, which is already loaded from /opt/p.
    [`${MA}/libQ.so.1`]: lib('libQ.so.1', { runpath: '/nowhere', needed: ['libP.so.1', 'libc.so.6'] }),
  });
  const r = resolve1(root, '/usr/bin/prog');
  assert.equal(missing(r), []);
});

test('glibc-hwcaps subfolders are preferred when the level is supported', () => {
  const tree = {
    '/usr/bin/prog': prog({ needed: ['libfast.so.1', 'libc.so.6'] }),
    [`${MA}/libfast.so.1`]: lib('libfast.so.1'),
    [`${MA}/glibc-hwcaps/x86-64-v3/libfast.so.1`]: lib('libfast.so.1'),
  };
  const root = x64Root(tree);
  assert.ok(files(resolve1(root, '/usr/bin/prog', { hwcaps: ['x86-64-v3', 'x86-64-v2'] })).includes(`${MA}/glibc-hwcaps/x86-64-v3/libfast.so.1`));
  const plain = files(resolve1(x64Root(tree), '/usr/bin/prog', { hwcaps: [] }));
  assert.ok(plain.includes(`${MA}/libfast.so.1`));
  assert.not.ok(plain.includes(`${MA}/glibc-hwcaps/x86-64-v3/libfast.so.1`));
});

test('LD_LIBRARY_PATH is applied only when given', () => {
  const root = x64Root({
    '/usr/bin/prog': prog({ needed: ['libenv.so.1', 'libc.so.6'] }),
    '/srv/env/libenv.so.1': lib('libenv.so.1'),
  });
  assert.equal(missing(resolve1(root, '/usr/bin/prog')), ['libenv.so.1']);
  assert.equal(missing(resolve1(root, '/usr/bin/prog', { ldLibraryPath: '/srv/env' })), []);
});

test('.note.dlopen: required libraries come in by default, others on request', () => {
  const root = x64Root({
    '/usr/bin/prog': prog({
      dlopen: [
        { feature: 'zstd', priority: 'required', soname: ['libzstd.so.1'] },
        { feature: 'lz4', priority: 'suggested', soname: ['liblz4.so.1'] },
      ],
    }),
    [`${MA}/libzstd.so.1`]: lib('libzstd.so.1'),
    [`${MA}/liblz4.so.1`]: lib('liblz4.so.1'),
  });
  const def = files(resolve1(root, '/usr/bin/prog'));
  assert.ok(def.includes(`${MA}/libzstd.so.1`));
  assert.not.ok(def.includes(`${MA}/liblz4.so.1`));
  assert.ok(files(resolve1(root, '/usr/bin/prog', { dlopen: 'suggested' })).includes(`${MA}/liblz4.so.1`));
  assert.not.ok(files(resolve1(root, '/usr/bin/prog', { dlopen: 'none' })).includes(`${MA}/libzstd.so.1`));
});

test('a musl program: /etc/ld-musl-ARCH.path, and libc.so served by the loader itself', () => {
  const root = sysroot({
    '/lib/ld-musl-x86_64.so.1': { link: 'x86_64-linux-musl/libc.so' },
    '/lib/x86_64-linux-musl/libc.so': makeElf({ soname: 'libc.so' }),
    '/etc/ld-musl-x86_64.path': '/lib/x86_64-linux-musl\n/usr/local/musl/lib\n',
    '/usr/local/musl/lib/libm2.so': makeElf({ soname: 'libm2.so', needed: ['libc.so'] }),
    '/usr/bin/mprog': makeElf({ interpreter: '/lib/ld-musl-x86_64.so.1', needed: ['libm2.so', 'libc.so'] }),
  });
  const r = resolve1(root, '/usr/bin/mprog');
  assert.equal(missing(r), []);
  assert.equal(files(r), ['/lib/x86_64-linux-musl/libc.so', '/usr/bin/mprog', '/usr/local/musl/lib/libm2.so']);
  assert.ok(links(r).includes('/lib/ld-musl-x86_64.so.1 -> x86_64-linux-musl/libc.so'));
});

test('musl: the reason for a library found through DT_RUNPATH or DT_RPATH names the tag used', () => {
  const root = sysroot({
    '/lib/ld-musl-x86_64.so.1': { link: 'x86_64-linux-musl/libc.so' },
    '/lib/x86_64-linux-musl/libc.so': makeElf({ soname: 'libc.so' }),
    '/opt/run/libr.so': makeElf({ soname: 'libr.so', needed: ['libc.so'] }),
    '/opt/old/libo.so': makeElf({ soname: 'libo.so', needed: ['libc.so'] }),
    '/usr/bin/runprog': makeElf({ interpreter: '/lib/ld-musl-x86_64.so.1', runpath: '/opt/run', needed: ['libr.so', 'libc.so'] }),
    '/usr/bin/oldprog': makeElf({ interpreter: '/lib/ld-musl-x86_64.so.1', rpath: '/opt/old', needed: ['libo.so', 'libc.so'] }),
  });
  assert.is(reasonOf(resolve1(root, '/usr/bin/runprog'), '/opt/run/libr.so'), 'DT_RUNPATH');
  assert.is(reasonOf(resolve1(root, '/usr/bin/oldprog'), '/opt/old/libo.so'), 'DT_RPATH');
});

test('a big-endian 64-bit sysroot (ppc64) resolves with its own multiarch folders', () => {
  const be = { elfClass: 64 as const, endian: 'big' as const, machine: EM.PPC64 };
  const root = sysroot({
    '/lib64/ld64.so.1': { link: '/lib/powerpc64-linux-gnu/ld64.so.1' },
    '/lib/powerpc64-linux-gnu/ld64.so.1': makeElf({ ...be, soname: 'ld64.so.1' }),
    '/lib/powerpc64-linux-gnu/libc.so.6': makeElf({ ...be, soname: 'libc.so.6', needed: ['ld64.so.1'] }),
    // A little-endian impostor earlier in the default path must be skipped.
    '/lib/powerpc64-linux-gnu/libbe.so.1': makeElf({ soname: 'libbe.so.1', machine: EM.PPC64 }),
    '/usr/lib/powerpc64-linux-gnu/libbe.so.1': makeElf({ ...be, soname: 'libbe.so.1', needed: ['libc.so.6'] }),
    '/usr/bin/beprog': makeElf({ ...be, interpreter: '/lib64/ld64.so.1', needed: ['libbe.so.1', 'libc.so.6'] }),
  });
  const r = resolve1(root, '/usr/bin/beprog');
  assert.equal(missing(r), []);
  assert.equal(files(r), ['/lib/powerpc64-linux-gnu/ld64.so.1', '/lib/powerpc64-linux-gnu/libc.so.6', '/usr/bin/beprog', '/usr/lib/powerpc64-linux-gnu/libbe.so.1']);
});

test('a 32-bit i386 sysroot resolves through the biarch /lib32 folders', () => {
  const i386 = { elfClass: 32 as const, machine: EM.I386 };
  const root = sysroot({
    '/lib/ld-linux.so.2': { link: '/lib32/ld-linux.so.2' },
    '/lib32/ld-linux.so.2': makeElf({ ...i386, soname: 'ld-linux.so.2' }),
    '/lib32/libc.so.6': makeElf({ ...i386, soname: 'libc.so.6', needed: ['ld-linux.so.2'] }),
    '/usr/lib32/libfoo.so.1': makeElf({ ...i386, soname: 'libfoo.so.1', needed: ['libc.so.6'] }),
    '/usr/bin/p32': makeElf({ ...i386, interpreter: '/lib/ld-linux.so.2', needed: ['libfoo.so.1', 'libc.so.6'] }),
  });
  const r = resolve1(root, '/usr/bin/p32');
  assert.equal(missing(r), []);
  assert.equal(files(r), ['/lib32/ld-linux.so.2', '/lib32/libc.so.6', '/usr/bin/p32', '/usr/lib32/libfoo.so.1']);
});

test('a static program needs only itself; a missing input is reported and does not stop the others', () => {
  const root = x64Root({ '/usr/bin/static': makeElf({ noDynamic: true, type: 2 }), '/usr/bin/prog': prog() });
  const [a, b, c] = resolveInputs(['/usr/bin/static', '/usr/bin/absent', '/usr/bin/prog'], { root });
  assert.is(a?.kind, 'static');
  assert.equal(files(a as InputResolution), ['/usr/bin/static']);
  assert.is(b?.kind, 'missing');
  assert.is(c?.kind, 'elf');
  assert.equal(missing(c as InputResolution), []);
});

test('glibc dlopens libgcc_s.so.1 for an object calling pthread_exit or pthread_cancel (not for libc, which defines them; not under --dlopen none; a whole name only)', () => {
  const root = x64Root({
    [`${MA}/libc.so.6`]: makeElf({ soname: 'libc.so.6', needed: ['ld-linux-x86-64.so.2'], symbols: ['pthread_exit', 'pthread_cancel'] }),
    [`${MA}/libgcc_s.so.1`]: lib('libgcc_s.so.1'),
    [`${MA}/libgc.so.1`]: lib('libgc.so.1', { symbols: ['pthread_exit', 'GC_init'] }),
    '/usr/bin/gcuser': prog({ needed: ['libgc.so.1', 'libc.so.6'] }),
    '/usr/bin/canceller': prog({ symbols: ['pthread_cancel'] }),
    '/usr/bin/plain': prog({ symbols: ['__pthread_exit_like', 'my_pthread_exit'] }),
  });
  const gc = resolve1(root, '/usr/bin/gcuser');
  assert.ok(files(gc).includes(`${MA}/libgcc_s.so.1`), files(gc).join(' '));
  const need = gc.needs.find((n) => n.path === `${MA}/libgcc_s.so.1`);
  assert.is(need?.reason.kind, 'dlopened');
  assert.is(need?.reason.from, '/lib/x86_64-linux-gnu/libgc.so.1');
  assert.ok(files(resolve1(root, '/usr/bin/canceller')).includes(`${MA}/libgcc_s.so.1`));
  assert.not.ok(files(resolve1(root, '/usr/bin/plain')).includes(`${MA}/libgcc_s.so.1`), 'libc names them too, and other names only end with them');
  assert.not.ok(files(resolve1(root, '/usr/bin/gcuser', { dlopen: 'none' })).includes(`${MA}/libgcc_s.so.1`));
});

test('search answers are shared between programs only where they cannot depend on who asks', () => {
  const root = x64Root({
    [`${MA}/libz.so.1`]: lib('libz.so.1'),
    '/opt/own/libz.so.1': lib('libz.so.1'),
    '/opt/own/libuses.so.1': lib('libuses.so.1', { needed: ['libz.so.1', 'libc.so.6'] }),
    '/usr/bin/plain': prog({ needed: ['libz.so.1', 'libc.so.6'] }),
    '/usr/bin/rpathed': prog({ rpath: '/opt/own', needed: ['libuses.so.1', 'libc.so.6'] }),
    '/usr/bin/runpathed': prog({ runpath: '/opt/own', needed: ['libz.so.1', 'libc.so.6'] }),
    '/usr/bin/nodeflib': prog({ needed: ['libz.so.1', 'libc.so.6'], flags1: DF_1_NODEFLIB }),
    '/usr/bin/plain2': prog({ needed: ['libz.so.1', 'libc.so.6'] }),
  });
  // One resolver for all of them, in an order where a shared answer would leak from one to the next.
  const [plain, rpathed, runpathed, nodeflib, plain2] = resolveInputs(['/usr/bin/plain', '/usr/bin/rpathed', '/usr/bin/runpathed', '/usr/bin/nodeflib', '/usr/bin/plain2'], { root });
  assert.ok(files(plain as InputResolution).includes(`${MA}/libz.so.1`));
  // libuses.so.1 asks for libz.so.1 with the program's DT_RPATH up its chain: /opt/own's copy.
  assert.ok(files(rpathed as InputResolution).includes('/opt/own/libz.so.1'), files(rpathed as InputResolution).join(' '));
  assert.not.ok(files(rpathed as InputResolution).includes(`${MA}/libz.so.1`));
  assert.ok(files(runpathed as InputResolution).includes('/opt/own/libz.so.1'));
  // DF_1_NODEFLIB keeps it out of the default folders (for libc too: this root has no ld.so.cache).
  assert.equal(missing(nodeflib as InputResolution), ['libz.so.1', 'libc.so.6']);
  // The same answer again, with its reason and links, for a program met after all the others.
  assert.equal(
    files(plain2 as InputResolution).filter((f) => f !== '/usr/bin/plain2'),
    files(plain as InputResolution).filter((f) => f !== '/usr/bin/plain'),
  );
  assert.equal(links(plain2 as InputResolution), links(plain as InputResolution));
  assert.match(reasonOf(plain2 as InputResolution, `${MA}/libz.so.1`), 'default path');
});

test('a shared search answer brings its diagnostics to every program that gets it', () => {
  const root = x64Root({
    '/etc/ld.so.conf': '/opt/conf\n',
    '/opt/conf/libq.so.1': lib('libq.so.1'),
    '/usr/bin/one': prog({ needed: ['libq.so.1', 'libc.so.6'] }),
    '/usr/bin/two': prog({ needed: ['libq.so.1', 'libc.so.6'] }),
  });
  const results = resolveInputs(['/usr/bin/one', '/usr/bin/two'], { root });
  for (const r of results) {
    assert.equal(missing(r), ['libq.so.1']);
    assert.is(r.diagnostics.filter((d) => d.code === 'LDCONF_NO_CACHE').length, 1, `${r.input}: ${JSON.stringify(r.diagnostics)}`);
  }
});

test.run();
