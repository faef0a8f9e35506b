/**
 * Scripts on this machine: ghostscript's wrapper chains, a MediaWiki-style limit.sh that really runs in
 * a jail built from its resolution, and every shell script of /usr/bin, /usr/sbin and /usr/share parsed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type InputResolution, parseShebang, resolveInputs } from '../../src/index.js';
import { parseShell } from '../../src/script/shell-parse.js';
import { shellKindOf } from '../../src/script/shell-builtins.js';
import { layOut, runInJail, runInJailAs } from '../helpers/jail.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

test.after.each(cleanupTempDirs);

const resolveOne = (path: string): InputResolution => resolveInputs([path])[0] as InputResolution;
const filePaths = (r: InputResolution): string[] => r.needs.filter((n) => n.kind === 'file').map((n) => n.path);

function shebangOf(path: string): ReturnType<typeof parseShebang> {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(256);
    const got = readSync(fd, head, 0, 256, 0);
    return parseShebang(head.subarray(0, got));
  } finally {
    closeSync(fd);
  }
}

test('ps2pdf: gs, ps2pdfwr, dirname and the shell, with every link on the way', () => {
  const r = resolveOne('/usr/bin/ps2pdf');
  assert.is(r.kind, 'script');
  assert.equal(r.missing, []);
  const files = filePaths(r);
  for (const f of ['/usr/bin/ps2pdf', '/usr/bin/ps2pdf14', '/usr/bin/ps2pdfwr', '/usr/bin/gs', '/usr/bin/dirname', '/usr/bin/dash']) {
    assert.ok(files.includes(f), `${f} is needed`);
  }
  const links = r.needs.filter((n) => n.kind === 'symlink').map((n) => `${n.path} -> ${n.target}`);
  assert.ok(links.includes('/usr/bin/sh -> dash'), '/bin/sh -> dash is kept as a link');
  assert.ok(links.includes('/bin -> usr/bin'), 'the merged-/usr /bin link is kept');
  const gs = r.needs.find((n) => n.path === '/usr/bin/gs')?.reason;
  assert.is(gs?.kind, 'run-by');
  assert.is(gs?.from, '/usr/bin/ps2pdfwr');
  assert.ok((gs?.line ?? 0) > 0, 'with the line of the script');
  // gs's own libraries come in too.
  assert.ok(files.some((f) => f.includes('libgs.so')));
});

test('every wrapper script ghostscript ships resolves completely, to gs where it runs gs', () => {
  const listed = execFileSync('dpkg', ['-L', 'ghostscript'], { encoding: 'utf8' })
    .split('\n')
    .filter((p) => p.startsWith('/usr/bin/'));
  let scripts = 0;
  for (const path of listed) {
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st?.isFile() || !shebangOf(path)) continue;
    scripts++;
    const r = resolveOne(path);
    assert.is(r.kind, 'script', path);
    assert.equal(
      r.missing.map((m) => m.name),
      [],
      `${path}: nothing missing`,
    );
    const text = readFileSync(path, 'utf8');
    if (/GS_EXECUTABLE|\bgs\b/.test(text)) assert.ok(filePaths(r).includes('/usr/bin/gs'), `${path} reaches gs`);
  }
  console.log(`  ghostscript: ${scripts} wrapper scripts resolved`);
  assert.ok(scripts >= 10, `expected ghostscript's wrappers, found ${scripts}`);
});

const LIMIT_SH = `#!/bin/bash
# A resource-limiting wrapper in the style of MediaWiki's limit.sh
MW_CPU_LIMIT=\${MW_CPU_LIMIT:-10}
MW_WALL_CLOCK_LIMIT=\${MW_WALL_CLOCK_LIMIT:-10}
TMPDIR=\${TMPDIR:-/tmp}
log_file=$(mktemp "$TMPDIR/limit.XXXXXX")
cgroup="$TMPDIR/limit-cg.$$"

cleanup() {
  rm -f "$log_file"
  rmdir "$cgroup" 2>/dev/null
}
trap cleanup EXIT

run_limited() {
  ulimit -t "$MW_CPU_LIMIT"
  timeout "$MW_WALL_CLOCK_LIMIT" /bin/sh -c "$1" 2>"$log_file"
}

mkdir -p "$cgroup"
run_limited "$1"
status=$?
sleep 0
if [ "$status" -eq 124 ]; then
  echo "limit.sh: timed out" >&2
fi
exit "$status"
`;

test('a MediaWiki-style limit.sh: mktemp, timeout, traps, functions and variables, and it runs in the jail', () => {
  const dir = tempDir('jailbuild-limit-');
  const script = join(dir, 'limit.sh');
  writeFileSync(script, LIMIT_SH);
  chmodSync(script, 0o755);
  const r = resolveOne(script);
  assert.equal(r.missing, []);
  const files = filePaths(r);
  for (const f of ['/usr/bin/bash', '/usr/bin/mktemp', '/usr/bin/rm', '/usr/bin/rmdir', '/usr/bin/mkdir', '/usr/bin/timeout', '/usr/bin/sleep', '/usr/bin/dash']) {
    assert.ok(files.includes(f), `${f} is needed`);
  }
  assert.ok(
    r.diagnostics.some((d) => d.code === 'SCRIPT_UNKNOWN' && /limit\.sh:17: /.test(d.message)),
    'sh -c "$1" is reported at its line',
  );

  const jail = tempDir('jailbuild-limit-jail-');
  layOut(r.needs, '/', jail);
  mkdirSync(join(jail, 'tmp'), { recursive: true });
  chmodSync(join(jail, 'tmp'), 0o1777);
  mkdirSync(join(jail, 'dev'));
  execFileSync('mknod', ['-m', '0666', join(jail, 'dev', 'null'), 'c', '1', '3']);
  const run = runInJail(jail, [script, 'echo hello from the jail']);
  assert.is(run.status, 0, run.stderr);
  assert.is(run.stdout, 'hello from the jail\n');
  assert.equal(
    readdirSync(join(jail, 'tmp')).filter((n) => n.startsWith('limit')),
    [],
    'the trap cleaned up',
  );
});

test('a file sourced only if it exists does not stop the build; exec echo runs /usr/bin/echo, in the jail as uid 65534', () => {
  const dir = tempDir('jailbuild-optional-src-');
  const script = join(dir, 'tool.sh');
  writeFileSync(script, '#!/bin/sh\n[ -f ./tool.rc ] && . ./tool.rc\nif [ -r /etc/tool-absent.rc ]; then . /etc/tool-absent.rc; fi\nexec echo "tool ran"\n');
  chmodSync(script, 0o755);
  const r = resolveOne(script);
  assert.equal(r.missing, [], 'no sourced file is missing: each is behind a test');
  assert.ok(r.diagnostics.some((d) => d.code === 'SOURCED_IF_PRESENT' && /tool\.sh:3: sources \/etc\/tool-absent\.rc/.test(d.message)));
  assert.ok(filePaths(r).includes('/usr/bin/echo'), 'exec echo needs the program');
  // The real shell agrees: with /usr/bin/echo in the jail (and only there) the script prints.
  const jail = tempDir('jailbuild-optional-src-jail-');
  layOut(r.needs, '/', jail);
  const run = runInJailAs(jail, [script], '65534:65534');
  assert.is(run.stdout, 'tool ran\n', run.stderr);
  assert.is(run.status, 0);
  // Without /usr/bin/echo, dash's exec fails: the program, not the builtin, is what exec runs.
  execFileSync('rm', [join(jail, 'usr/bin/echo')]);
  const without = runInJailAs(jail, [script], '65534:65534');
  assert.is.not(without.status, 0, 'exec echo needs /usr/bin/echo');
});

test('#!/usr/bin/env, an interpreter that is a script, another language, a missing interpreter', () => {
  const dir = tempDir('jailbuild-shebang-');
  const write = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    chmodSync(p, 0o755);
    return p;
  };
  const envSh = write('env-sh', '#!/usr/bin/env sh\nexec tr a b\n');
  const interp = write('interp', '#!/bin/sh\nexec cat "$@"\n');
  const viaScript = write('via-script', `#!${interp}\nhello\n`);
  const perl = write('tool.pl', '#!/usr/bin/env perl\nuse strict;\nprint "x";\n');
  const tcl = write('tool.tcl', '#!/usr/bin/env tclsh\nputs x\n');
  const gone = write('gone', '#!/opt/nowhere/bin/python9\nprint(1)\n');

  const [a, b, c, d, e] = resolveInputs([envSh, viaScript, perl, gone, tcl]);
  assert.ok(filePaths(a as InputResolution).includes('/usr/bin/env'));
  assert.ok(filePaths(a as InputResolution).includes('/usr/bin/dash'), 'sh found through PATH for env');
  assert.ok(filePaths(a as InputResolution).includes('/usr/bin/tr'), 'the shell script behind env is followed');
  assert.ok(filePaths(b as InputResolution).includes(interp) && filePaths(b as InputResolution).includes('/usr/bin/cat'), 'a script interpreter is itself followed');
  assert.ok(filePaths(c as InputResolution).includes('/usr/bin/perl'));
  assert.ok(
    filePaths(c as InputResolution).some((p) => p.endsWith('/strict.pm')),
    "a Perl script's modules are followed",
  );
  assert.ok(
    e?.diagnostics.some((x) => x.code === 'SCRIPT_NOT_FOLLOWED' && x.severity === 'warning'),
    'a Tcl script: its interpreter only, with a warning',
  );
  assert.equal(
    d?.missing.map((m) => m.name),
    ['/opt/nowhere/bin/python9'],
  );
});

test('a script that runs itself again (sh "$0") is followed once; unquoted expansions are split into words', () => {
  const dir = tempDir('jailbuild-selfexec-');
  const path = join(dir, 'again.sh');
  writeFileSync(path, '#!/bin/sh\nif [ -z "$AGAIN" ]; then AGAIN=1 exec sh "$0" "$@"; fi\nLISTER="ls -l"\n$LISTER /\n');
  chmodSync(path, 0o755);
  const r = resolveOne(path);
  assert.is(r.kind, 'script');
  assert.equal(r.missing, []);
  assert.ok(filePaths(r).includes('/usr/bin/ls'), '$LISTER runs ls');
});

function shellScriptsUnder(dirs: string[]): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const path = join(dir, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) {
        if (spawnSync('test', ['-L', path]).status !== 0) visit(path);
        continue;
      }
      if (!st.isFile() || st.size > 4 * 1024 * 1024) continue;
      const sb = shebangOf(path);
      if (!sb) continue;
      const base = sb.interpreter.split('/').pop();
      const kind = base === 'env' ? shellKindOf((sb.argument ?? '').split(/\s+/)[0] ?? '') : shellKindOf(sb.interpreter, sb.argument);
      if (kind) out.push(path);
    }
  };
  for (const d of dirs) visit(d);
  return out;
}

test('every shell script under /usr/bin, /usr/sbin and /usr/share parses without a crash; under 1% rejected', () => {
  const scripts = shellScriptsUnder(['/usr/bin', '/usr/sbin', '/usr/share']);
  const rejected: string[] = [];
  for (const path of scripts) {
    const res = parseShell(readFileSync(path, 'utf8'), path);
    if ('error' in res) rejected.push(res.error);
  }
  const pct = (100 * rejected.length) / Math.max(1, scripts.length);
  console.log(`  shell parser: ${scripts.length} scripts, ${rejected.length} rejected (${pct.toFixed(2)}%)${rejected.length ? `: ${rejected.slice(0, 5).join('; ')}` : ''}`);
  assert.ok(scripts.length > 100, `expected many shell scripts, found ${scripts.length}`);
  assert.ok(pct < 1, `${pct.toFixed(2)}% rejected`);
});

test.run();
