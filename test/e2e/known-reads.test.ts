/**
 * Programs whose families read or run things by paths no header or script names, each in a jail
 * from nothing but `{"extends": "base", "binaries": [PATH]}` (src/resolve/known-reads.ts): psql and
 * pg_dump through postgresql-common's pg_wrapper, gcc-ar with GCC's LTO plugin, kpathsea's texmf.cnf,
 * groff turning text into PostScript, PHP's time zone without a warning, gdb's embedded Python with
 * its own package, dpkg-architecture through Dpkg::Arch. Each jail is proven by `jailbuild test`: the
 * program runs inside it, chrooted, as uid 65534, with no /proc.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jailbuild } from '../helpers/cli.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

/** `jailbuild test` of a jail holding base and `program` alone, with one test; returns its output. */
function runsAlone(program: string, run: string, stdout: string): string {
  const dir = tempDir();
  const file = join(dir, 'alone.json');
  writeFileSync(file, JSON.stringify({ extends: 'base', binaries: [program], tests: [{ name: 'runs', run, expect: { stdout } }] }, null, 2));
  const result = jailbuild(['test', file]);
  assert.is(result.code, 0, `${program}: ${result.stdout}${result.stderr}`);
  return result.stdout;
}

/** What `jailbuild resolve --json` says one program brings: each path with its reason's kind. */
function resolved(program: string): Map<string, string> {
  const run = jailbuild(['resolve', '--json', program]);
  assert.is(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout) as { binaries: Array<{ entries: Array<{ path: string; reason: { kind: string } }> }> };
  return new Map(out.binaries.flatMap((b) => b.entries.map((e) => [e.path, e.reason.kind] as const)));
}

test('psql and pg_dump (links to pg_wrapper) run from their paths alone: the versioned program of their name comes, and no other', () => {
  runsAlone('/usr/bin/psql', 'test ! -e /proc/self && psql --version 2>&1', '^psql \\(PostgreSQL\\) [0-9]');
  runsAlone('/usr/bin/pg_dump', 'pg_dump --version 2>/dev/null', '^pg_dump \\(PostgreSQL\\) [0-9]');
  const needs = resolved('/usr/bin/psql');
  const versioned = [...needs.keys()].filter((p) => p.startsWith('/usr/lib/postgresql/'));
  const own = versioned.filter((p) => /^\/usr\/lib\/postgresql\/[0-9]+\/bin\/psql$/.test(p));
  assert.ok(own.length > 0, versioned.join(' '));
  for (const p of own) assert.is(needs.get(p), 'known-read', p);
  assert.not.ok(
    versioned.some((p) => /\/bin\/pg_dump$/.test(p)),
    'pg_dump does not come with psql',
  );
});

test("gcc-ar runs binutils' ar with GCC's LTO plugin, from its path alone", () => {
  runsAlone('/usr/bin/gcc-ar', 'gcc-ar --version', '^GNU ar ');
});

test("kpathsea finds texmf.cnf (kpsewhich prints TeX's root without a warning) and mktexpk runs", () => {
  runsAlone('/usr/bin/kpsewhich', 'kpsewhich -var-value=TEXMFROOT 2>&1', '^/usr/share/texlive$');
  runsAlone('/usr/bin/mktexpk', 'mktexpk --version 2>&1', '^/usr/bin/mktexpk \\$Id');
});

test('groff turns a line of text into PostScript in a jail from its path alone (troff, grops, fonts and macros come)', () => {
  runsAlone('/usr/bin/groff', 'echo \'hello from groff\' | groff -Tps >/tmp/out.ps && read -r first </tmp/out.ps && echo "$first"', '^%!PS-Adobe-3\\.0$');
});

test('php starts without a time zone warning: the zoneinfo it names comes', () => {
  runsAlone('/usr/bin/php', 'php -r \'echo date_default_timezone_get(), "\\n";\' 2>&1', '^UTC$');
});

test("gdb's embedded Python runs, with gdb's own Python package", () => {
  runsAlone('/usr/bin/gdb', "gdb -nx -batch -ex 'python print(gdb.VERSION)' 2>&1", '^[0-9]+\\.[0-9]');
});

test('dpkg-architecture answers from Dpkg::Arch, which runs gcc and reads dpkg tables, from its path alone', () => {
  runsAlone('/usr/bin/dpkg-architecture', 'dpkg-architecture -qDEB_HOST_ARCH 2>&1', '^[a-z0-9]+$');
});

test('musl-gcc (a shell script) brings the specs file it passes to gcc, and runs', () => {
  runsAlone('/usr/bin/musl-gcc', 'musl-gcc --version 2>&1', 'gcc.* [0-9]+\\.[0-9]+');
});

test("tclsh runs init.tcl from Tcl's library folder and loads a package, clock and parray from it", () => {
  runsAlone('/usr/bin/tclsh', "echo 'puts [package require msgcat]; puts [clock format 0 -format %Y -gmt 1]; array set a {x 1}; parray a' | tclsh 2>&1", '^[0-9]+\\.[0-9.]+\n1970\na\\(x\\) = 1$');
});

test.run();
