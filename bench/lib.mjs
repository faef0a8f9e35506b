// Helpers shared by the benchmarks in bench/: arguments, the machine line, medians and formats, temp
// folders that are always removed, installing a missing Debian package, and rewriting one section of
// bench/README.md. No dependencies beyond Node 20.
import { spawnSync } from 'node:child_process';
import { accessSync, constants as fsc, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const BENCH = dirname(fileURLToPath(import.meta.url));
export const TOP = join(BENCH, '..');
export const CLI = join(TOP, 'bin', 'jailbuild.js');
export const DIST_INDEX = join(TOP, 'dist', 'src', 'index.js');
export const README = join(BENCH, 'README.md');
export const MAX_BUFFER = 1 << 30;

/**
 * NODE_EXTRA_CA_CERTS, when set (some shared machines set it for their proxy), makes every Node
 * process parse that file's certificates before running anything: 50 ms here for Debian's bundle of
 * 144, more than Node's whole start-up without it. jailbuild makes no network connection and a user's
 * machine rarely sets it, so the measured processes run without it (set
 * JAILBUILD_BENCH_KEEP_EXTRA_CA=1 to keep it); the startup benchmark times `node -e ''` with it too.
 */
export const EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS ?? process.env.JAILBUILD_BENCH_EXTRA_CA_CERTS;
if (process.env.NODE_EXTRA_CA_CERTS !== undefined && !process.env.JAILBUILD_BENCH_KEEP_EXTRA_CA) {
  // Kept aside for the benchmarks run.mjs starts, which time `node -e ''` with it.
  process.env.JAILBUILD_BENCH_EXTRA_CA_CERTS = process.env.NODE_EXTRA_CA_CERTS;
  delete process.env.NODE_EXTRA_CA_CERTS;
}

// ---------------------------------------------------------------- arguments

/**
 * Parses `--rounds N`, `--no-readme`, `--summary FILE`, `--no-install`, `-h`, plus the integer options
 * named in `extra` ({'--gz-rounds': 'gzRounds'}). Exits 2 on a bad argument.
 */
export function parseArgs(argv, { name, rounds = 5, extra = {}, help = '' }) {
  const opts = { rounds, readme: true, summary: null, install: true };
  const args = [...argv];
  for (let i = 0; i < args.length; i++) {
    let a = args[i];
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      args.splice(i + 1, 0, a.slice(eq + 1));
      a = a.slice(0, eq);
    }
    const value = () => {
      const v = args[++i];
      if (v === undefined) usage(name, help, `${a} needs a value`);
      return v;
    };
    const int = () => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < 1) usage(name, help, `${a} needs a positive integer`);
      return v;
    };
    if (a === '--rounds') opts.rounds = int();
    else if (a === '--no-readme') opts.readme = false;
    else if (a === '--summary') opts.summary = value();
    else if (a === '--no-install') opts.install = false;
    else if (Object.hasOwn(extra, a)) opts[extra[a]] = int();
    else if (a === '-h' || a === '--help') {
      console.log(`usage: node bench/${name} [--rounds N] [--no-readme] [--no-install] [--summary FILE]${help ? ` ${help}` : ''}`);
      process.exit(0);
    } else usage(name, help, `unknown argument ${a}`);
  }
  return opts;
}

function usage(name, help, message) {
  console.error(`bench: ${message}`);
  console.error(`usage: node bench/${name} [--rounds N] [--no-readme] [--no-install] [--summary FILE]${help ? ` ${help}` : ''}`);
  process.exit(2);
}

// ---------------------------------------------------------------- the machine

export function machine() {
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  let nproc = Number.parseInt(spawnSync('nproc', [], { encoding: 'utf8' }).stdout ?? '', 10);
  if (!Number.isFinite(nproc)) nproc = cpus().length;
  let cpu = cpus()[0]?.model ?? '?';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {}
  const load = loadavg()[0];
  const ca =
    EXTRA_CA_CERTS === undefined
      ? ''
      : process.env.NODE_EXTRA_CA_CERTS === undefined
        ? '; NODE_EXTRA_CA_CERTS, set on this machine, unset for the measured processes (see bench/lib.mjs)'
        : '; NODE_EXTRA_CA_CERTS kept set (JAILBUILD_BENCH_KEEP_EXTRA_CA)';
  const line = `${nproc} CPU${nproc === 1 ? '' : 's'} (nproc), ${cpu}, Linux ${release()}, Node ${process.version} (1-minute load average ${load.toFixed(2)} at the start); ${build()}${ca}`;
  return { date, nproc, cpu, kernel: release(), node: process.version, load, line };
}

/** Which jailbuild was measured: the commit, whether src/ had changes, and when dist/ was built. */
export function build() {
  const git = (args) => spawnSync('git', ['-C', TOP, ...args], { encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']).stdout?.trim();
  const dirty = git(['status', '--porcelain', '--', 'src']).stdout?.trim();
  let built = '';
  try {
    built = `, dist/ built ${statSync(DIST_INDEX)
      .mtime.toISOString()
      .replace(/\.\d+Z$/, 'Z')}`;
  } catch {}
  return head ? `jailbuild at ${head}${dirty ? ' (src/ with uncommitted changes)' : ''}${built}` : `jailbuild${built}`;
}

// ---------------------------------------------------------------- numbers

export function median(xs) {
  if (!xs || xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const fmtMs = (ms) => (Number.isFinite(ms) ? (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`) : '—');
export const fmtRatio = (r) => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×` : 'n/a');
export const fmtMB = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1e6).toFixed(1)} MB` : '—');
export const fmtMiB = (bytes) => (Number.isFinite(bytes) ? `${(bytes / 1048576).toFixed(0)} MiB` : '—');

export function pause(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs `fn`; when it throws, once more after a pause (other developers rebuild dist/ on this machine,
 * and a build caught half-way fails a run). The first error is kept in `row.retried`; a second one is thrown.
 */
export function tryTwice(row, fn) {
  try {
    return fn();
  } catch (err) {
    console.log(`\nbench: ${row.label}: ${err.message}; trying once more in 3 s`);
    pause(3000);
    const value = fn();
    (row.retried ??= []).push(err.message);
    return value;
  }
}

/** Notes for rows that failed after some good rounds, or failed once and passed when tried again. */
export function failureNotes(rows) {
  const out = [];
  for (const r of rows) {
    const n = (r.times ?? r.ms ?? []).length;
    if (r.note?.startsWith('failed') && n > 0) out.push(`${r.label} ${r.note} after ${n} good round${n === 1 ? '' : 's'}; its figures are from those`);
    if (r.retried?.length) out.push(`${r.label} failed ${r.retried.length}× and passed when run again (${r.retried[0]})`);
  }
  return out;
}

/** Notes for the rows whose slowest round took more than twice their fastest: the machine was busy. */
export function spreadNotes(rows) {
  const out = [];
  for (const r of rows) {
    const t = r.times ?? [];
    if (t.length < 2) continue;
    const lo = Math.min(...t);
    const hi = Math.max(...t);
    if (hi > 2 * lo) out.push(`${r.label} varied ${fmtRatio(hi / lo)} between its fastest and slowest round (${fmtMs(lo)} to ${fmtMs(hi)}): the machine was busy or reclaiming memory; its median is less certain`);
  }
  return out;
}

/**
 * Times each row's `run()` (a timeSpawn result) once untimed, then `rounds` times, the order of `order`
 * rotated each round; the times go in `row.times`, a row that fails twice in a row gets `row.note`
 * ("failed: ...") and is not run again. Rows with a `note` already are skipped.
 */
export function timeRounds(rows, order, rounds) {
  for (const r of Object.values(rows)) r.times = [];
  for (let round = -1; round < rounds; round++) {
    process.stdout.write(round < 0 ? 'bench: warm-up:' : `bench: round ${round + 1}/${rounds}:`);
    for (const key of rotate(order, Math.max(round, 0))) {
      const r = rows[key];
      if (r.note) continue;
      try {
        const res = tryTwice(r, () => {
          const x = r.run();
          if (x.status !== 0) throw new Error(`exit ${x.status}: ${String(x.stderr).trim().split('\n')[0] || String(x.stdout).trim().split('\n').pop()}`);
          return x;
        });
        if (round >= 0) r.times.push(res.ms);
        process.stdout.write(` ${key} ${fmtMs(res.ms)}`);
      } catch (err) {
        r.note = `failed: ${err.message}`;
      }
    }
    process.stdout.write('\n');
  }
}

/** The order of `keys` for round `round`: rotated, so no tool always runs first or right after another. */
export function rotate(keys, round) {
  return keys.map((_, i) => keys[(i + round) % keys.length]);
}

// ---------------------------------------------------------------- processes and tools

/**
 * Flushes dirty pages (`sync`), untimed, before a timed run that writes: otherwise the write-back of
 * the previous run's output lands in the next run's time, and the numbers drift from round to round.
 */
export function flushWrites() {
  spawnSync('sync', [], { stdio: 'ignore' });
}

export function which(cmd) {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/local/bin', '/usr/bin', '/usr/sbin', '/bin', '/sbin']) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, fsc.X_OK);
      if (lstatSync(p).isDirectory()) continue;
      return p;
    } catch {}
  }
  return null;
}

export function firstLine(cmd, args) {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10000 });
    return (
      `${r.stdout ?? ''}${r.stderr ?? ''}`
        .split('\n')
        .find((l) => l.trim())
        ?.trim() ?? ''
    );
  } catch {
    return '';
  }
}

/** Runs one process to completion, collecting its output; returns wall ms, status and output. */
export function timeSpawn(argv, options = {}) {
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { maxBuffer: MAX_BUFFER, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  return { ms, status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function installed(pkg) {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
  return r.status === 0 && /install ok installed/.test(r.stdout ?? '');
}

let aptUpdated = false;
/**
 * Installs the Debian packages among `pkgs` that are missing (apt-get, as root), saying what it did.
 * Never throws: returns true when all are installed afterwards.
 */
export function ensurePackages(pkgs, { why = '', allowed = true } = {}) {
  if (!which('dpkg-query')) return false;
  const missing = pkgs.filter((p) => !installed(p));
  if (missing.length === 0) return true;
  const what = `${missing.join(' ')}${why ? ` (for ${why})` : ''}`;
  if (!allowed) {
    console.log(`bench: not installing ${what}: --no-install`);
    return false;
  }
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    console.log(`bench: ${what} missing; installing needs root and apt-get`);
    return false;
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    console.log('bench: apt-get update -qq');
    spawnSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 600000 });
    aptUpdated = true;
  }
  console.log(`bench: apt-get install -y --no-install-recommends ${what}`);
  const r = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: ['ignore', 'ignore', 'inherit'], env, timeout: 900000 });
  const still = missing.filter((p) => !installed(p));
  if (r.status !== 0 || still.length) {
    console.log(`bench: could not install ${still.join(' ') || missing.join(' ')} (apt-get exited ${r.status})`);
    return false;
  }
  console.log(`bench: installed ${missing.join(' ')}`);
  return true;
}

// ---------------------------------------------------------------- temp folders, always removed

const temps = new Set();
let hooked = false;

function cleanup() {
  for (const d of temps) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {}
  }
  temps.clear();
}

/** A new temp folder under `base` (default the OS temp folder), removed at exit, on SIGINT/SIGTERM, or by `removeTemp`. */
export function makeTemp(prefix, base = tmpdir()) {
  if (!hooked) {
    hooked = true;
    process.on('exit', cleanup);
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(sig, () => {
        cleanup();
        process.exit(130);
      });
    }
  }
  const d = mkdtempSync(join(base, prefix));
  temps.add(d);
  return d;
}

export function removeTemp(d) {
  try {
    rmSync(d, { recursive: true, force: true });
  } catch {}
  temps.delete(d);
}

// ---------------------------------------------------------------- README and summary

/**
 * Replaces the section that starts with `heading` (a "## " line) up to the next "## " line in
 * bench/README.md, or adds it: at the end, or before the first section with `first`.
 */
export function writeSection(heading, section, { first = false } = {}) {
  let text = existsSync(README) ? readFileSync(README, 'utf8') : '# Benchmarks\n';
  const body = `${section.replace(/\n*$/, '\n')}`;
  let start = -1;
  if (text.startsWith(`${heading}\n`)) start = 0;
  else {
    const i = text.indexOf(`\n${heading}\n`);
    if (i >= 0) start = i + 1;
  }
  if (start >= 0) {
    const after = text.slice(start + heading.length);
    const next = after.search(/\n## /);
    const end = next >= 0 ? start + heading.length + next + 1 : text.length;
    text = text.slice(0, start) + body + (next >= 0 ? '\n' : '') + text.slice(end);
  } else if (first && /\n## /.test(text)) {
    const at = text.search(/\n## /) + 1;
    text = `${text.slice(0, at)}${body}\n${text.slice(at)}`;
  } else {
    text = `${text.replace(/\n*$/, '\n\n')}${body}`;
  }
  writeFileSync(README, text);
  console.log(`bench: wrote "${heading}" in ${README}`);
}

/** Writes the benchmark's headline numbers for run.mjs: {title, rows: [{what, value, goal, verdict}], notes}. */
export function writeSummary(file, summary) {
  if (!file) return;
  try {
    writeFileSync(file, JSON.stringify(summary, null, 2));
  } catch (err) {
    console.error(`bench: cannot write ${file}: ${err.message}`);
  }
}

/** "met", "missed (within the worst case)" or "missed", for a ratio against a goal (lower is better). */
export function verdict(value, goal, worst) {
  if (!Number.isFinite(value)) return 'not measured';
  if (value <= goal) return 'met';
  if (worst !== undefined && value <= worst) return `missed; within the ${worst}× worst case`;
  return 'missed';
}

// ---------------------------------------------------------------- CPU profiles

/**
 * Reads a .cpuprofile and returns the top self-time functions and the self time grouped by kind
 * (waiting for I/O, fs calls, hashing, GC, jailbuild's JS, dependencies, Node internals).
 */
export function summarizeCpuProfile(file, top = 12) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const groups = new Map();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]);
    const d = p.timeDeltas[i] ?? 0;
    if (!n) continue;
    total += d;
    const cf = n.callFrame;
    const url = cf.url.replace(/^file:\/\//, '').replace(`${TOP}/`, '');
    const name = cf.functionName || '(anonymous)';
    const key = url ? `${name} (${url}:${cf.lineNumber + 1})` : name;
    self.set(key, (self.get(key) ?? 0) + d);
    const g = groupOf(name, url);
    groups.set(g, (groups.get(g) ?? 0) + d);
  }
  const list = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([k, v]) => ({ name: k, ms: v / 1000, share: total ? v / total : 0 }));
  return { totalMs: total / 1000, top: list(self).slice(0, top), groups: list(groups) };
}

const FS_NATIVE = new Set([
  'read',
  'write',
  'writeBuffer',
  'writeBuffers',
  'writeString',
  'open',
  'openFileHandle',
  'close',
  'fstat',
  'lstat',
  'stat',
  'readdir',
  'readlink',
  'copyFile',
  'mkdir',
  'chmod',
  'fchmod',
  'chown',
  'lchown',
  'fchown',
  'utimes',
  'lutimes',
  'futimes',
  'symlink',
  'link',
  'rename',
  'unlink',
  'rmdir',
  'realpath',
  'access',
  'fsync',
  'ftruncate',
  'mknod',
]);

function groupOf(name, url) {
  if (name === '(idle)') return 'idle: the main thread waiting for the thread pool (async fs calls; zlib deflate for .tar.gz)';
  if (name === '(garbage collector)') return 'garbage collector';
  if (name === '(program)') return '(program): V8/native work outside JS frames';
  if (!url && FS_NATIVE.has(name)) return 'fs bindings (native read/write/open/fstat/mkdir/…: sync calls, or the issuing of async ones)';
  if (/internal\/crypto|^(update|digest)$/.test(`${url}${url ? '' : name}`)) return 'hashing (node:crypto)';
  if (/zlib/.test(url) || /^(zlib|_processChunk|processCallback)/.test(name)) return 'gzip (node:zlib)';
  if (url.startsWith('dist/')) return `jailbuild JS (${url.split('/').slice(0, 3).join('/')}/…)`;
  if (url.includes('node_modules/')) return `dependency JS (${url.split('node_modules/')[1].split('/')[0]})`;
  if (/modules\/(cjs|esm)|wrapSafe|compileFunction/.test(url) || name === 'compileFunction') return 'loading and compiling modules';
  if (url.startsWith('node:')) return 'Node internals (streams, fs/promises, …)';
  return 'other native';
}

/**
 * The end of a benchmark: prints its section, writes it into bench/README.md (unless --no-readme) and
 * its rows into the summary file run.mjs collects.
 */
export function sectionFinisher(heading, reproduce, opts, m) {
  return (body, rows) => {
    const text = [heading, '', `Run ${m.date} on ${m.line}.`, '', ...body, '', `Reproduce (after \`npx tsc -p tsconfig.json\`): ${reproduce}, or all benchmarks: \`node bench/run.mjs\`.`, ''].join('\n');
    console.log(`\n${text}`);
    if (opts.readme) writeSection(heading, text);
    writeSummary(opts.summary, { title: heading.slice(3), rows });
  };
}

/** True (after finishing the section with a note) when jailbuild is not built: nothing to measure. */
export function distMissing(finish) {
  if (existsSync(DIST_INDEX)) return false;
  console.log('bench: dist/ is missing: build first (npx tsc -p tsconfig.json)');
  finish(['Not measured: jailbuild is not built (`npx tsc -p tsconfig.json`).'], []);
  return true;
}

/** A folder for the jails whose every ancestor is root-owned and not writable by group or others (jk_cp checks). */
export function safeBase() {
  for (const dir of ['/var/lib', '/var/cache', '/srv', '/opt', '/root']) {
    let ok = existsSync(dir);
    for (let d = dir; ok; d = dirname(d)) {
      const st = statSync(d);
      if (st.uid !== 0 || (st.mode & 0o022) !== 0) ok = false;
      if (d === '/') break;
    }
    if (ok) return dir;
  }
  return null;
}
