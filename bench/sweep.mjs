#!/usr/bin/env node
// Benchmark: out of the box, does a program work in a jail of its own, as an ordinary user?
//
// Every program of /usr/bin that starts on the host as uid 65534 (`--version`, else `--help`, exit
// status 0, something printed) is put alone into a jail built from exactly
// `{"extends": "base", "binaries": ["/usr/bin/NAME"]}` and run inside with
// `chroot --userspec=65534:65534 JAIL /usr/bin/NAME --version` (or `--help`): it works when the exit
// status and the first line printed (stdout, or stderr when stdout is empty) equal the host's. Beside
// it, the same with jailkit's `jk_cp -j JAIL /usr/bin/NAME`. No /proc in either jail.
//
// Each jailbuild failure is run once more under strace; the last path the program looked for in vain
// that the host has tells the cause (Perl module, Python module, a program started at run time, a data
// folder, /proc, ...). The jails go in a root-owned folder under /var/lib (jk_cp refuses others) and
// are removed one by one.
//
// Usage: node bench/sweep.mjs [--no-readme] [--no-install] [--summary FILE] [--limit N] [--only REGEX]
// Needs root (chroot, setpriv) and a build. Installs jailkit and strace with apt-get when missing.
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CLI, DIST_INDEX, distMissing, ensurePackages, fmtMs, machine, makeTemp, removeTemp, safeBase, sectionFinisher, which } from './lib.mjs';

const HEADING = '## Out of the box: every program of /usr/bin alone in its jail, as uid 65534';
const argv = process.argv.slice(2);
const opts = { readme: true, install: true, summary: null, limit: Infinity, only: null };
for (let i = 0; i < argv.length; i++) {
  const a = argv[i];
  if (a === '--no-readme') opts.readme = false;
  else if (a === '--no-install') opts.install = false;
  else if (a === '--summary') opts.summary = argv[++i];
  else if (a === '--limit') opts.limit = Number(argv[++i]);
  else if (a === '--only') opts.only = new RegExp(argv[++i]);
  else if (a === '--rounds')
    i++; // run.mjs passes it to every benchmark; one sweep is one round
  else if (a === '-h' || a === '--help') {
    console.log('usage: node bench/sweep.mjs [--no-readme] [--no-install] [--summary FILE] [--limit N] [--only REGEX]');
    process.exit(0);
  } else {
    console.error(`bench: unknown argument ${a}`);
    process.exit(2);
  }
}
if (!(opts.limit > 0)) opts.limit = Infinity;

const NOBODY = 65534;
const TIMEOUT = 10000;
/** How much of each traced process's log is read for the cause of a failure. */
const MAX_TRACE_READ = 8 * 1024 * 1024;
/** Absolute, as the runs get ENV's PATH (without the sbin folders). */
const CHROOT = which('chroot') ?? '/usr/sbin/chroot';
const TIMEOUT_PROGRAM = which('timeout') ?? '/usr/bin/timeout';
const ENV = { PATH: '/usr/local/bin:/usr/bin:/bin', HOME: '/nonexistent', LANG: 'C', TERM: 'dumb' };

/** The first line a run printed: stdout's first non-empty line, or stderr's when stdout has none. */
function firstPrinted(r) {
  const first = (s) =>
    String(s ?? '')
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean);
  return first(r.stdout) ?? first(r.stderr) ?? '';
}

/**
 * Runs a command under GNU timeout, which starts it in a process group of its own and, at the end of
 * the time, kills the whole group: programs that fork helpers (debconf-apt-progress, mvnDebug's JVM
 * waiting for a debugger) leave nothing behind.
 */
function run(argv0, args, options = {}) {
  const r = spawnSync(TIMEOUT_PROGRAM, ['--kill-after=2', `${TIMEOUT / 1000}`, argv0, ...args], {
    encoding: 'latin1',
    timeout: TIMEOUT + 5000,
    killSignal: 'SIGKILL',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: ENV,
    cwd: '/',
    maxBuffer: 1 << 24,
    ...options,
  });
  // 124 and 137: timeout stopped it.
  return { status: r.error || r.signal || r.status === 124 || r.status === 137 ? null : r.status, signal: r.signal, line: firstPrinted(r), stderr: String(r.stderr ?? '') };
}

/** How the program behaves on the host as uid 65534, or null when it does not start that way. */
function onHost(path) {
  for (const flag of ['--version', '--help']) {
    const r = run('setpriv', [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', path, flag]);
    if (r.status === 0 && r.line) return { flag, status: r.status, line: r.line };
  }
  return null;
}

function inJail(jail, prog) {
  return run(CHROOT, [`--userspec=${NOBODY}:${NOBODY}`, jail, prog.path, prog.flag]);
}

const same = (a, b) => a.status === b.status && a.line === b.line;
const short = (s, n = 90) => {
  const t = [...String(s)].map((c) => (c >= ' ' && c <= '~' ? c : '?')).join('');
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

/** The cause of a failure, from the paths the program looked for in vain inside the jail (strace). */
function causeOf(jail, prog, readTrace, work) {
  const dir = join(work, 'trace');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  const prefix = join(dir, 't');
  spawnSync(
    TIMEOUT_PROGRAM,
    ['--kill-after=2', `${(TIMEOUT * 2) / 1000}`, 'strace', '-f', '-qq', '-s', '512', '-e', 'trace=%file,%process', '-ff', '-o', prefix, CHROOT, `--userspec=${NOBODY}:${NOBODY}`, jail, prog.path, prog.flag],
    {
      encoding: 'latin1',
      timeout: TIMEOUT * 2 + 5000,
      killSignal: 'SIGKILL',
      stdio: ['ignore', 'ignore', 'ignore'],
      env: ENV,
      cwd: '/',
    },
  );
  // A program looping in its jail (Dpkg's vendor lookup) writes 140 MB of trace in 30 s: its start
  // says what it missed, and reading all of it takes minutes.
  for (const f of readdirSync(dir)) if (statSync(join(dir, f)).size > MAX_TRACE_READ) truncateSync(join(dir, f), MAX_TRACE_READ);
  let accesses = [];
  try {
    accesses = readTrace(prefix, jail);
  } catch {}
  // Python tries to write its bytecode cache (__pycache__) and goes on without it, and the loader
  // looks for /etc/ld.so.cache and ld.so.preload in every jail: never a cause.
  const missing = accesses.filter(
    (a) =>
      a.errno && !a.writes && !a.path.includes('/__pycache__') && !a.path.startsWith('/etc/ld.so.') && (a.errno === 'ENOENT' || a.errno === 'EACCES' || a.errno === 'ENOTDIR') && onHostPath(a.path) && !inJailPath(jail, a.path),
  );
  const denied = accesses.filter((a) => a.errno === 'EACCES' && inJailPath(jail, a.path));
  if (denied.length) return { cause: 'permissions in the jail', path: denied.at(-1).path };
  const pick = (test) => missing.filter((a) => test(a.path, a)).at(-1);
  const rules = [
    ['Perl modules', (p) => /\.(pm|pl|al|ix)$/.test(p) || p.startsWith('/usr/share/perl') || /\/perl5?\//.test(p)],
    ['Python modules', (p) => /\/python3(\.\d+)?\//.test(p) || /\.py[c]?$/.test(p)],
    ['Java', (p) => p.startsWith('/usr/lib/jvm/') || p.startsWith('/etc/java')],
    ['a program started at run time', (_p, a) => a.kind === 'exec'],
    ['libraries loaded at run time', (p) => /\.so(\.\d+)*$/.test(p)],
    ['TeX data', (p) => /\/(texmf|texlive|kpathsea|tex)\b/.test(p)],
    ['data under /usr/share', (p) => p.startsWith('/usr/share/')],
    ['data under /usr/lib', (p) => p.startsWith('/usr/lib/')],
    ['configuration in /etc', (p) => p.startsWith('/etc/')],
    ['/dev', (p) => p.startsWith('/dev/')],
    // Last: perl and others read /proc/self/exe at every start and go on without it; /proc is the cause
    // only when nothing else was missing.
    ['/proc', (p) => p.startsWith('/proc')],
    ['another file', () => true],
  ];
  for (const [cause, test] of rules) {
    const a = pick(test);
    if (a) return { cause, path: a.path };
  }
  return { cause: 'runs, prints something else (nothing missing in the trace)', path: '' };
}

function onHostPath(p) {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

function inJailPath(jail, p) {
  try {
    lstatSync(join(jail, p));
    return true;
  } catch {
    return false;
  }
}

async function main() {
  const m = machine();
  const finish = sectionFinisher(HEADING, '`node bench/sweep.mjs` (`--limit N`, `--only REGEX`, `--no-readme`)', opts, m);
  if (distMissing(finish)) return;
  if (process.getuid?.() !== 0 || !which('chroot') || !which('setpriv')) {
    finish(['Not measured: running programs as uid 65534 and `chroot` needs root, `chroot` and `setpriv`.'], []);
    return;
  }
  ensurePackages(['jailkit', 'strace'], { why: 'jk_cp and the causes of failures', allowed: opts.install });
  const jkCp = which('jk_cp');
  const { readTrace } = await import(DIST_INDEX);
  const base = safeBase();
  if (!base) {
    finish(['Not measured: no root-owned folder that is not writable by group or others for the jails (jk_cp refuses others).'], []);
    return;
  }
  const work = makeTemp('jailbuild-bench-sweep-', base);
  const env = { ...process.env, XDG_CACHE_HOME: join(work, 'xdg') };

  // --- the programs that start on the host as uid 65534
  const t0 = performance.now();
  const names = readdirSync('/usr/bin')
    .filter((n) => !opts.only || opts.only.test(n))
    .sort();
  const programs = [];
  let tried = 0;
  for (const name of names) {
    if (programs.length >= opts.limit) break;
    const path = join('/usr/bin', name);
    let st;
    try {
      st = statSync(path);
    } catch {
      continue;
    }
    if (!st.isFile() || (st.mode & 0o001) === 0) continue;
    tried++;
    const host = onHost(path);
    if (host) programs.push({ name, path, ...host });
    if (tried % 100 === 0) console.log(`bench: ${tried} programs tried on the host, ${programs.length} start as uid ${NOBODY}`);
  }
  console.log(`bench: ${programs.length} of ${tried} executables of /usr/bin start on the host as uid ${NOBODY} (${fmtMs(performance.now() - t0)})`);

  // --- each alone in a jail, by jailbuild and by jk_cp
  const results = [];
  let jbMs = 0;
  let jkMs = 0;
  const t1 = performance.now();
  for (const [i, prog] of programs.entries()) {
    const profile = join(work, 'p.json');
    writeFileSync(profile, JSON.stringify({ extends: 'base', binaries: [prog.path] }));
    const jbJail = join(work, 'jb');
    const jkJail = join(work, 'jk');
    const r = { name: prog.name, flag: prog.flag, host: prog.line };
    let t = performance.now();
    const b = spawnSync(process.execPath, [CLI, 'profile', profile, '--out', jbJail], { encoding: 'utf8', env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300000 });
    jbMs += performance.now() - t;
    if (b.status !== 0) {
      r.jb = { ok: false, cause: 'the build failed', path: short(firstPrinted({ stdout: '', stderr: b.stderr }), 120) };
    } else {
      const inside = inJail(jbJail, prog);
      r.jb = { ok: same(inside, prog), line: inside.line, status: inside.status };
      if (!r.jb.ok) Object.assign(r.jb, causeOf(jbJail, prog, readTrace, work));
    }
    if (jkCp) {
      rmSync(jkJail, { recursive: true, force: true });
      mkdirSync(jkJail, { mode: 0o755 });
      t = performance.now();
      const k = spawnSync(jkCp, ['-j', jkJail, prog.path], { encoding: 'utf8', cwd: work, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300000 });
      jkMs += performance.now() - t;
      const inside = k.status === 0 ? inJail(jkJail, prog) : null;
      r.jk = { ok: inside !== null && same(inside, prog), line: inside?.line ?? `jk_cp exit ${k.status}` };
    }
    rmSync(jbJail, { recursive: true, force: true });
    rmSync(jkJail, { recursive: true, force: true });
    results.push(r);
    if ((i + 1) % 50 === 0) {
      const ok = results.filter((x) => x.jb.ok).length;
      const jk = results.filter((x) => x.jk?.ok).length;
      console.log(`bench: ${i + 1}/${programs.length} in jails: jailbuild ${ok} work${jkCp ? `, jk_cp ${jk}` : ''} (${fmtMs(performance.now() - t1)})`);
    }
  }
  removeTemp(work);

  // --- the report
  const n = results.length;
  const jbOk = results.filter((r) => r.jb.ok).length;
  const jkOk = jkCp ? results.filter((r) => r.jk?.ok).length : NaN;
  const pct = (k) => (n ? `${((100 * k) / n).toFixed(1)} %` : '—');
  const failures = results.filter((r) => !r.jb.ok);
  const byCause = new Map();
  for (const f of failures) byCause.set(f.jb.cause, [...(byCause.get(f.jb.cause) ?? []), f]);
  const causeRows = [...byCause].sort((a, b) => b[1].length - a[1].length);
  const jkOnly = jkCp ? results.filter((r) => r.jk?.ok && !r.jb.ok).map((r) => r.name) : [];
  const esc = (s) => short(s).replace(/\|/g, '\\|').replace(/`/g, "'");
  const body = [
    `Every executable of /usr/bin that starts on the host as uid ${NOBODY} (\`--version\`, else \`--help\`; exit status 0 and something printed; ` +
      `environment \`${Object.entries(ENV)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}\`), each alone in a jail from exactly \`{"extends": "base", "binaries": ["/usr/bin/NAME"]}\` (\`jailbuild profile P.json --out JAIL\`, default permissions), ` +
      `and beside it in a jail made by \`jk_cp -j JAIL /usr/bin/NAME\`; then \`chroot --userspec=${NOBODY}:${NOBODY} JAIL /usr/bin/NAME FLAG\`. ` +
      'A program works when its exit status and first line printed equal the host run. No /proc, no mounts. ' +
      'Each jailbuild failure is run again under strace: the cause is the last path it looked for in vain that the host has.',
    '',
    `| | programs | work in their jail | share |`,
    '|---|---:|---:|---:|',
    `| jailbuild, \`{"extends": "base", "binaries": [PATH]}\` | ${n} | ${jbOk} | **${pct(jbOk)}** |`,
    `| jailkit \`jk_cp -j JAIL PATH\` | ${jkCp ? n : '—'} | ${jkCp ? jkOk : 'not installed'} | ${jkCp ? pct(jkOk) : '—'} |`,
    '',
    `${programs.length} of ${tried} executables of /usr/bin start on the host as uid ${NOBODY}; building ${n} jails took ${fmtMs(jbMs)} with jailbuild (each a new process), ${jkCp ? fmtMs(jkMs) : '—'} with jk_cp.`,
    '',
    "jailbuild's failures by cause (the last path the program looked for in vain that the host has, tried kind by kind in the order of the table; /proc only when nothing else was missing, as perl reads /proc/self/exe at every start):",
    '',
    '| cause | programs | which (the path) |',
    '|---|---:|---|',
    ...causeRows.map(
      ([cause, list]) =>
        `| ${cause} | ${list.length} | ${list
          .slice(0, 12)
          .map((f) => `\`${esc(f.name)}\`${f.jb.path ? ` (${esc(f.jb.path)})` : ''}`)
          .join(', ')}${list.length > 12 ? `, … (${list.length})` : ''} |`,
    ),
    '',
    ...(jkOnly.length ? [`Programs that work in the jk_cp jail but not in jailbuild's: ${jkOnly.map((x) => `\`${esc(x)}\``).join(', ')}.`, ''] : []),
  ];
  finish(body, [
    {
      what: `programs of /usr/bin that work alone in their jail as uid ${NOBODY}: jailbuild`,
      value: n ? Number(((100 * jbOk) / n).toFixed(1)) : null,
      unit: '%',
      goal: 95,
      verdict: n ? ((100 * jbOk) / n >= 95 ? 'met' : 'missed') : 'not measured',
    },
    { what: `the same with jk_cp`, value: jkCp && n ? Number(((100 * jkOk) / n).toFixed(1)) : null, unit: '%', goal: null },
  ]);
  const detailDir = process.env.SWEEP_DETAIL_DIR ?? '/tmp';
  mkdirSync(detailDir, { recursive: true });
  const detail = join(detailDir, 'jailbuild-sweep.json');
  writeFileSync(detail, JSON.stringify(results, null, 1));
  console.log(`bench: every program's outcome in ${detail}`);
}

main().catch((err) => {
  console.error(`bench: ${err?.stack ?? err}`);
  process.exitCode = 1;
});
