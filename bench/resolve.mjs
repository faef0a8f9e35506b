#!/usr/bin/env node
// Benchmark: resolving the shared libraries of every dynamic ELF file in /usr/bin and /usr/sbin.
//
// Compares, in the same run and in alternating order:
//   1. one `jailbuild resolve --json --dlopen none --no-known-reads FILES...` process (wall time, Node startup included)
//   2. resolveInputs(FILES, {dlopen: 'none'}) in this process (library cost, no startup)
//   3. `ldd FILE` once per file, sequentially (what jail scripts do)
//   4. pax-utils `lddtree FILES...` in one call (Debian's is Python + pyelftools)
//   5. `libtree -p FILES...` (C, Debian's libtree)
//   6. `scanelf -Bn FILES...` (pax-utils, C; reads DT_NEEDED, resolves nothing: the floor)
// and, when the CLI has an analysis cache (`resolve --no-cache` exists), the CLI with a cold cache (an
// empty XDG_CACHE_HOME each round) and with a warm one; the first row then runs with --no-cache.
// and reports medians and ratios. Prints a markdown table and writes it into bench/README.md
// under "## Resolving /usr/bin and /usr/sbin".
//
// Usage: node bench/resolve.mjs [--rounds N] [--ldd-rounds N] [--no-readme] [--no-install] [--summary FILE]
// Installs pax-utils and python3-pyelftools (scanelf, lddtree) with apt-get when missing, unless --no-install.
// Needs a build first: npx tsc -p tsconfig.json
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensurePackages, failureNotes, firstLine, machine as machineInfo, makeTemp, median, removeTemp, timeSpawn, tryTwice, verdict, which, writeSummary } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const top = join(here, '..');
const CLI = join(top, 'bin', 'jailbuild.js');
const DIST_INDEX = join(top, 'dist', 'src', 'index.js');
const README = join(here, 'README.md');
const HEADING = '## Resolving /usr/bin and /usr/sbin';
const DIRS = ['/usr/bin', '/usr/sbin'];
const MAX_BUFFER = 1 << 30;

// ---------------------------------------------------------------- arguments

function parseArgs(argv) {
  const opts = { rounds: 5, lddRounds: undefined, readme: true, install: true, summary: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (name) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < 1) {
        console.error(`bench: ${name} needs a positive integer`);
        process.exit(2);
      }
      return v;
    };
    if (a === '--rounds') opts.rounds = num(a);
    else if (a.startsWith('--rounds=')) {
      argv.splice(i + 1, 0, a.slice(9));
      opts.rounds = num('--rounds');
    } else if (a === '--ldd-rounds') opts.lddRounds = num(a);
    else if (a.startsWith('--ldd-rounds=')) {
      argv.splice(i + 1, 0, a.slice(13));
      opts.lddRounds = num('--ldd-rounds');
    } else if (a === '--no-readme') opts.readme = false;
    else if (a === '--no-install') opts.install = false;
    else if (a === '--summary') opts.summary = argv[++i] ?? null;
    else if (a.startsWith('--summary=')) opts.summary = a.slice(10);
    else if (a === '-h' || a === '--help') {
      console.log('usage: node bench/resolve.mjs [--rounds N (default 5)] [--ldd-rounds N (default min(3, rounds))] [--no-readme] [--no-install] [--summary FILE]');
      process.exit(0);
    } else {
      console.error(`bench: unknown argument ${a}`);
      process.exit(2);
    }
  }
  opts.lddRounds = Math.min(opts.lddRounds ?? 3, opts.rounds);
  return opts;
}

// ---------------------------------------------------------------- the file set

const PT_INTERP = 3;

/** Reads the ELF header and program headers; returns null (not ELF) or { dynamic } (has PT_INTERP). */
function classifyElf(path) {
  let fd;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    if (n < 20 || head.readUInt32BE(0) !== 0x7f454c46) return null;
    const is64 = head[4] === 2;
    const le = head[5] !== 2;
    if (n < (is64 ? 64 : 52)) return { dynamic: false };
    const u16 = (b, o) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b, o) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const phoff = is64 ? Number(le ? head.readBigUInt64LE(32) : head.readBigUInt64BE(32)) : u32(head, 28);
    const phentsize = u16(head, is64 ? 54 : 42);
    const phnum = u16(head, is64 ? 56 : 44);
    if (phnum === 0 || phentsize < 4 || phnum > 4096) return { dynamic: false };
    const ph = Buffer.alloc(phentsize * phnum);
    const got = readSync(fd, ph, 0, ph.length, phoff);
    for (let i = 0; i + 1 <= phnum && (i + 1) * phentsize <= got; i++) {
      if (u32(ph, i * phentsize) === PT_INTERP) return { dynamic: true };
    }
    return { dynamic: false };
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function collectFiles() {
  const stats = { entries: 0, symlinks: 0, hardlinkDups: 0, notRegular: 0, notElf: 0, staticElf: 0, dynamic: 0 };
  const seen = new Set();
  const files = [];
  for (const dir of DIRS) {
    let names;
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const path = `${dir}/${name}`;
      stats.entries++;
      let st;
      try {
        st = lstatSync(path);
      } catch {
        continue;
      }
      if (st.isSymbolicLink()) {
        stats.symlinks++;
        continue;
      }
      if (!st.isFile()) {
        stats.notRegular++;
        continue;
      }
      const key = `${st.dev}:${st.ino}`;
      if (seen.has(key)) {
        stats.hardlinkDups++;
        continue;
      }
      seen.add(key);
      const elf = classifyElf(path);
      if (!elf) {
        stats.notElf++;
        continue;
      }
      if (!elf.dynamic) {
        stats.staticElf++;
        continue;
      }
      stats.dynamic++;
      files.push(path);
    }
  }
  return { files, stats };
}

// ---------------------------------------------------------------- tools

/** How to run lddtree: Debian's is Python needing pyelftools; run it with Debian's python3, not whatever python3 is first on PATH. */
function findLddtree() {
  const path = which('lddtree');
  if (!path) return { argv: null, note: 'not installed (apt-get install pax-utils python3-pyelftools)' };
  let shebang = '';
  try {
    shebang = readFileSync(path, 'latin1').slice(0, 200).split('\n')[0];
  } catch {}
  if (shebang.startsWith('\x7fELF')) return { argv: [path], note: `${path} (native)` };
  if (/python/.test(shebang)) {
    const py = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : which('python3');
    if (!py) return { argv: null, note: 'not installed (no python3)' };
    const check = spawnSync(py, ['-c', 'import elftools'], { encoding: 'utf8' });
    if (check.status !== 0) return { argv: null, note: `not installed (${py} lacks pyelftools: apt-get install python3-pyelftools)` };
    return { argv: [py, path], note: `${py} ${path}` };
  }
  // the older shell version (lddtree.sh) runs by itself
  return { argv: [path], note: `${path} (${shebang.replace(/^#!\s*/, '') || 'script'})` };
}

function argvBytes(argv) {
  let n = 0;
  for (const a of argv) n += Buffer.byteLength(a) + 1 + 8; // string, NUL, pointer
  for (const [k, v] of Object.entries(process.env)) n += Buffer.byteLength(`${k}=${v}`) + 1 + 8;
  return n;
}

function argMax() {
  const r = spawnSync('getconf', ['ARG_MAX'], { encoding: 'utf8' });
  const v = Number.parseInt(r.stdout ?? '', 10);
  return Number.isFinite(v) && v > 0 ? v : 131072;
}

// ---------------------------------------------------------------- stats

const fmtMs = (ms) => (Number.isFinite(ms) ? (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${ms.toFixed(0)} ms` : `${ms.toFixed(1)} ms`) : '—');
const fmtRatio = (r) => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r.toFixed(1)}×` : 'n/a');

// ---------------------------------------------------------------- cross-check of the answers

const realCache = new Map();
function real(p) {
  let r = realCache.get(p);
  if (r === undefined) {
    try {
      r = realpathSync(p);
    } catch {
      r = p;
    }
    realCache.set(p, r);
  }
  return r;
}

/** jailbuild JSON → Map(input → {libs:Set(realpath), missing:Set(name)}); libs include the interpreter, not the input. */
function parseJailbuild(stdout) {
  const out = new Map();
  let doc;
  try {
    doc = JSON.parse(stdout.toString('utf8'));
  } catch {
    return out;
  }
  for (const b of doc.binaries ?? []) {
    const self = real(b.input);
    const libs = new Set();
    for (const e of b.entries ?? [])
      if (e.kind === 'file') {
        const r = real(e.path);
        if (r !== self) libs.add(r);
      }
    out.set(b.input, { libs, missing: new Set(b.missing ?? []) });
  }
  return out;
}

/** One `ldd FILE` output → {libs, missing}. */
function parseLdd(text) {
  const libs = new Set();
  const missing = new Set();
  for (const line of text.split('\n')) {
    let m;
    if ((m = /^\s*(\S+) => not found/.exec(line))) missing.add(m[1]);
    else if ((m = /=> (\/\S+) \(0x/.exec(line))) libs.add(real(m[1]));
    else if ((m = /^\s*(\/\S+) \(0x/.exec(line))) libs.add(real(m[1]));
  }
  return { libs, missing };
}

/** lddtree tree output over many files → Map(input → {libs, missing}). */
function parseLddtree(stdout) {
  const out = new Map();
  let cur = null;
  for (const line of stdout.toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    if (!/^\s/.test(line)) {
      const m = /^(.*?) \(interpreter => (.*)\)$/.exec(line);
      const input = m ? m[1] : line.trim();
      cur = { libs: new Set(), missing: new Set() };
      if (m && m[2] !== 'None') cur.libs.add(real(m[2]));
      out.set(input, cur);
      continue;
    }
    const m = /^\s+(\S+) => (.*)$/.exec(line);
    if (!m || !cur) continue;
    if (m[2] === 'None' || m[2] === 'not found') cur.missing.add(m[1]);
    else if (m[2].startsWith('/')) cur.libs.add(real(m[2]));
  }
  return out;
}

function diffSets(a, b) {
  const onlyA = [...a].filter((x) => !b.has(x));
  const onlyB = [...b].filter((x) => !a.has(x));
  return { onlyA, onlyB, same: onlyA.length === 0 && onlyB.length === 0 };
}

function compareAnswers(name, ref, other, files) {
  let same = 0;
  let absent = 0;
  const diffs = [];
  for (const f of files) {
    const a = ref.get(f);
    const b = other.get(f);
    if (!a || !b) {
      absent++;
      continue;
    }
    const d = diffSets(a.libs, b.libs);
    const dm = diffSets(a.missing, b.missing);
    if (d.same && dm.same) same++;
    else diffs.push({ file: f, onlyJailbuild: [...d.onlyA, ...dm.onlyA.map((x) => `${x} (missing)`)], onlyOther: [...d.onlyB, ...dm.onlyB.map((x) => `${x} (missing)`)] });
  }
  return { name, same, differ: diffs.length, absent, diffs };
}

// ---------------------------------------------------------------- main

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const { files, stats } = collectFiles();
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const machineLine = machineInfo().line; // taken at the start, with the load average then

  console.log(
    `bench: ${files.length} dynamic ELF files in ${DIRS.join(' and ')} ` +
      `(of ${stats.entries} entries: skipped ${stats.symlinks} symlinks, ${stats.hardlinkDups} extra hard links, ` +
      `${stats.notElf} non-ELF, ${stats.staticElf} static/no-interpreter ELF, ${stats.notRegular} other)`,
  );
  if (files.length === 0) {
    console.log('bench: nothing to do');
    return;
  }

  // --- the tools
  if (!which('scanelf') || !which('lddtree')) ensurePackages(['pax-utils', 'python3-pyelftools'], { why: 'scanelf and lddtree', allowed: opts.install });
  if (!which('libtree')) ensurePackages(['libtree'], { why: 'libtree (C)', allowed: opts.install });
  const haveDist = existsSync(DIST_INDEX);
  // The analysis cache: present when `resolve --help` offers --no-cache. The CLI rows run in a temp
  // folder (no jailbuild.config.json above it) with XDG_CACHE_HOME pointing into it, so the cache
  // they use is known: the first row with --no-cache, "cold" with a new empty folder each round.
  const hasCache = haveDist && /--no-cache/.test(spawnSync(process.execPath, [CLI, 'resolve', '--help'], { encoding: 'utf8' }).stdout ?? '');
  const work = makeTemp('jailbuild-bench-resolve-');
  const warmXdg = join(work, 'warm-xdg');
  // The loader's work only, as the other tools do: no .note.dlopen libraries, no known reads (data a
  // program family reads, which ldd, lddtree and libtree do not look for).
  const knownReadsFlag = haveDist && /--no-known-reads/.test(spawnSync(process.execPath, [CLI, 'resolve', '--help'], { encoding: 'utf8' }).stdout ?? '') ? ['--no-known-reads'] : [];
  const jbArgv = [process.execPath, CLI, 'resolve', '--json', '--dlopen', 'none', ...knownReadsFlag, ...(hasCache ? ['--no-cache'] : []), ...files];
  const jbCacheArgv = [process.execPath, CLI, 'resolve', '--json', '--dlopen', 'none', ...knownReadsFlag, ...files];
  // What a user's run costs: the defaults (.note.dlopen libraries marked required, and what program
  // families are known to read or run: Python and Perl modules, TeX's files...), which no other tool does.
  const jbDefaultsArgv = [process.execPath, CLI, 'resolve', '--json', ...(hasCache ? ['--no-cache'] : []), ...files];
  const shownFlags = (argv) => argv.slice(3, argv.length - files.length).join(' ');
  const cliEnv = (xdg) => ({ cwd: work, env: { ...process.env, XDG_CACHE_HOME: xdg } });
  // a jailbuild run that printed nothing failed (e.g. dist/ caught half-rebuilt by another developer): an error, not a time
  const checked = (r) => {
    if (!r.stdout?.length)
      throw new Error(
        `jailbuild printed nothing (exit ${r.status}): ${
          String(r.stderr ?? '')
            .trim()
            .split('\n')[0]
        }`,
      );
    return r;
  };
  let coldRound = 0;
  const lddPath = which('ldd');
  const lddtree = findLddtree();
  const scanelfPath = which('scanelf');
  const lddtreeArgv = lddtree.argv ? [...lddtree.argv, ...files] : null;
  const scanelfArgv = scanelfPath ? [scanelfPath, '-Bn', ...files] : null;
  const libtreePath = which('libtree');
  const libtreeArgv = libtreePath ? [libtreePath, '-p', ...files] : null;

  const limit = argMax();
  const longest = Math.max(argvBytes(jbArgv), lddtreeArgv ? argvBytes(lddtreeArgv) : 0, scanelfArgv ? argvBytes(scanelfArgv) : 0);
  console.log(`bench: one-call argv+environment ≈ ${(longest / 1024).toFixed(0)} KiB of ARG_MAX ${(limit / 1024).toFixed(0)} KiB` + (longest < limit ? ' (fits)' : ' — TOO LONG, the one-call rows will fail'));

  let resolveInputs = null;
  let importMs = NaN;
  if (haveDist) {
    const t0 = performance.now();
    ({ resolveInputs } = await import(pathToFileURL(DIST_INDEX).href));
    importMs = performance.now() - t0;
  } else {
    console.log('bench: dist/ is missing: build first (npx tsc -p tsconfig.json); jailbuild rows skipped');
  }

  const rows = {
    cli: { label: `\`jailbuild resolve ${shownFlags(jbArgv)}\` (1 process)`, note: haveDist ? '' : 'not built', run: haveDist ? () => checked(timeSpawn(jbArgv, cliEnv(join(work, 'unused-xdg')))) : null },
    defaults: {
      label: `\`jailbuild resolve ${shownFlags(jbDefaultsArgv)}\`: the defaults (also .note.dlopen libraries and known reads)`,
      note: haveDist ? '' : 'not built',
      run: haveDist ? () => checked(timeSpawn(jbDefaultsArgv, cliEnv(join(work, 'unused-xdg')))) : null,
    },
    cold: {
      label: '`jailbuild resolve --json`, cold cache (empty `XDG_CACHE_HOME`)',
      note: hasCache ? '' : 'no analysis cache in this build',
      run: hasCache
        ? () => {
            const xdg = join(work, `cold-xdg-${coldRound++}`);
            const r = timeSpawn(jbCacheArgv, cliEnv(xdg));
            removeTemp(xdg);
            return checked(r);
          }
        : null,
    },
    warm: { label: '`jailbuild resolve --json`, warm cache', note: hasCache ? '' : 'no analysis cache in this build', run: hasCache ? () => checked(timeSpawn(jbCacheArgv, cliEnv(warmXdg))) : null },
    lib: {
      label: '`resolveInputs()` in-process',
      note: haveDist ? '' : 'not built',
      run: haveDist
        ? () => {
            const t0 = performance.now();
            const res = resolveInputs(files, { dlopen: 'none' });
            return { ms: performance.now() - t0, status: 0, result: res };
          }
        : null,
    },
    ldd: {
      label: '`ldd FILE` loop (1 process per file)',
      note: lddPath ? '' : 'not installed',
      run: lddPath
        ? () => {
            const outs = [];
            let failed = 0;
            const t0 = performance.now();
            for (const f of files) {
              const r = spawnSync(lddPath, [f], { maxBuffer: MAX_BUFFER, stdio: ['ignore', 'pipe', 'pipe'] });
              if (r.status !== 0) failed++;
              outs.push(`${r.stdout ?? ''}${r.stderr ?? ''}`);
            }
            const ms = performance.now() - t0;
            return { ms, status: failed ? 1 : 0, failed, outs };
          }
        : null,
    },
    lddtree: { label: '`lddtree FILES...` (pax-utils, Python)', note: lddtree.argv ? '' : lddtree.note, run: lddtreeArgv ? () => timeSpawn(lddtreeArgv) : null },
    libtree: { label: '`libtree -p FILES...` (C)', note: libtreePath ? '' : 'not installed (apt-get install libtree)', run: libtreeArgv ? () => timeSpawn(libtreeArgv) : null },
    scanelf: { label: '`scanelf -Bn FILES...` (DT_NEEDED only, floor)', note: scanelfPath ? '' : 'not installed (apt-get install pax-utils)', run: scanelfArgv ? () => timeSpawn(scanelfArgv) : null },
  };
  for (const r of Object.values(rows)) r.times = [];

  // --- warm-up (page cache; and fills the warm analysis cache), untimed
  for (const key of ['cli', 'warm', 'scanelf']) {
    try {
      rows[key].run?.();
    } catch {}
  }

  // --- rounds, rotating the order so no tool always runs first or after the slow one
  const order = ['cli', 'defaults', 'cold', 'warm', 'lib', 'ldd', 'lddtree', 'libtree', 'scanelf'];
  const first = {};
  for (let round = 0; round < opts.rounds; round++) {
    const rot = order.map((_, i) => order[(i + round) % order.length]);
    process.stdout.write(`bench: round ${round + 1}/${opts.rounds}:`);
    for (const key of rot) {
      const row = rows[key];
      if (!row.run) continue;
      if (key === 'ldd' && round >= opts.lddRounds) continue;
      let r;
      try {
        r = tryTwice(row, row.run);
      } catch (err) {
        row.note = `failed: ${err.message}`;
        row.run = null;
        continue;
      }
      if (r.signal) {
        row.note = `killed by ${r.signal}`;
        row.run = null;
        continue;
      }
      row.times.push(r.ms);
      first[key] ??= r;
      process.stdout.write(` ${key} ${fmtMs(r.ms)}`);
    }
    process.stdout.write('\n');
  }

  // --- cross-check what each tool found against jailbuild (first round's outputs)
  const notes = [];
  if (first.cli) {
    if (first.cli.status !== 0) notes.push(`jailbuild exited ${first.cli.status} (1 = some library missing for some input)`);
    const jb = parseJailbuild(first.cli.stdout);
    if (first.lib) {
      const n = first.lib.result.length;
      const missing = first.lib.result.filter((r) => r.missing.length > 0).length;
      notes.push(
        `in-process resolution returned ${n} results, ${missing} with missing libraries; its first round (cold JIT, like the CLI's only one) took ${fmtMs(rows.lib.times[0])}; module import took ${fmtMs(importMs)} (not in the timing)`,
      );
    }
    const checks = [];
    if (first.ldd) {
      const m = new Map(files.map((f, i) => [f, parseLdd(first.ldd.outs[i])]));
      checks.push(compareAnswers('ldd', jb, m, files));
    }
    if (first.lddtree) {
      if (first.lddtree.status !== 0) notes.push(`lddtree exited ${first.lddtree.status}: ${first.lddtree.stderr.toString().trim().split('\n').slice(-1)[0] ?? ''}`);
      checks.push(compareAnswers('lddtree', jb, parseLddtree(first.lddtree.stdout), files));
    }
    for (const c of checks) {
      notes.push(
        `same library set (real paths, interpreter included) as jailbuild for ${c.same}/${files.length} files with ${c.name}` +
          (c.differ ? `; ${c.differ} differ` : '') +
          (c.absent ? `; ${c.absent} absent from one of the outputs` : ''),
      );
      for (const d of c.diffs.slice(0, 3)) {
        notes.push(`  e.g. ${d.file}: only jailbuild: ${d.onlyJailbuild.join(', ') || '—'}; only ${c.name}: ${d.onlyOther.join(', ') || '—'}`);
      }
      const tally = new Map();
      for (const d of c.diffs) for (const x of [...d.onlyJailbuild.map((y) => `jailbuild-only ${y}`), ...d.onlyOther.map((y) => `${c.name}-only ${y}`)]) tally.set(x, (tally.get(x) ?? 0) + 1);
      const top = [...tally].sort((a, b) => b[1] - a[1]).slice(0, 3);
      if (top.length) notes.push(`  most frequent differences: ${top.map(([k, v]) => `${k} (${v} files)`).join('; ')}`);
    }
  }
  if (hasCache && first.cli) {
    const same = (r) => (r ? (Buffer.compare(r.stdout, first.cli.stdout) === 0 ? 'identical to' : 'DIFFERENT from') : 'not compared with');
    let cacheSize = 0;
    const du = (d) => {
      try {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          if (e.isDirectory()) du(join(d, e.name));
          else cacheSize += lstatSync(join(d, e.name)).size;
        }
      } catch {}
    };
    du(join(warmXdg, 'jailbuild'));
    notes.push(`analysis cache: the cold row's output is ${same(first.cold)} the --no-cache output, the warm row's ${same(first.warm)} it; ` + `the warm cache folder holds ${(cacheSize / 1e6).toFixed(1)} MB`);
  } else if (haveDist) {
    notes.push('this build has no analysis cache (`jailbuild resolve --help` offers no --no-cache): no cold/warm rows');
  }
  notes.push(...failureNotes(order.map((k) => rows[k])));
  if (first.scanelf) {
    const lines = first.scanelf.stdout
      .toString()
      .split('\n')
      .filter((l) => l.trim()).length;
    notes.push(`scanelf printed ${lines} lines for ${files.length} files`);
  }

  // --- table
  const med = Object.fromEntries(Object.entries(rows).map(([k, r]) => [k, median(r.times)]));
  const jbMed = med.cli;
  const table = ['| tool | rounds | median | min | max | per file | vs `jailbuild` CLI |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const key of order) {
    const r = rows[key];
    if (r.times.length === 0) {
      table.push(`| ${r.label} | 0 | ${r.note || 'not run'} | | | | |`);
      continue;
    }
    const m = med[key];
    table.push(
      `| ${r.label} | ${r.times.length} | ${fmtMs(m)} | ${fmtMs(Math.min(...r.times))} | ${fmtMs(Math.max(...r.times))} | ` + `${((m / files.length) * 1000).toFixed(0)} µs | ${key === 'cli' ? '1×' : fmtRatio(m / jbMed)} |`,
    );
  }
  const ratios = [
    `ldd loop / jailbuild CLI: ${fmtRatio(med.ldd / jbMed)} (goal ≥ 40×)`,
    `jailbuild CLI with its defaults / the loader's work alone: ${fmtRatio(med.defaults / jbMed)} (what a user's run adds: the libraries .note.dlopen marks required, and what program families read or run)`,
    `lddtree / jailbuild CLI: ${fmtRatio(med.lddtree / jbMed)}`,
    `jailbuild CLI / libtree: ${fmtRatio(jbMed / med.libtree)} (goal ≤ 4×)`,
    `jailbuild CLI / scanelf: ${fmtRatio(jbMed / med.scanelf)}`,
    `jailbuild in-process / scanelf: ${fmtRatio(med.lib / med.scanelf)}`,
    `CLI − in-process: ${fmtMs(jbMed - med.lib)} (Node startup and module loading, the CLI's single cold-JIT resolution, JSON output)`,
    ...(hasCache ? [`warm cache / --no-cache: ${fmtRatio(med.warm / jbMed)}; cold cache / --no-cache: ${fmtRatio(med.cold / jbMed)} (the cost of writing the cache)`] : []),
  ];
  const machine = machineLine;
  const versions = [lddPath ? `ldd: ${firstLine(lddPath, ['--version'])}` : null, scanelfPath ? `scanelf: ${firstLine(scanelfPath, ['-V'])}` : null, lddtree.argv ? `lddtree: ${lddtree.note}` : null].filter(Boolean);

  const section = [
    HEADING,
    '',
    `Run ${date} on ${machine}.`,
    `${files.length} dynamic ELF files (those with a PT_INTERP) in /usr/bin and /usr/sbin; skipped ${stats.symlinks} symlinks, ` +
      `${stats.hardlinkDups} extra hard links, ${stats.notElf} non-ELF files and ${stats.staticElf} static ELF files.`,
    `${opts.rounds} rounds (the \`ldd\` loop in ${Math.min(opts.lddRounds, opts.rounds)}), tools alternating within each round, ` +
      `one untimed warm-up run of jailbuild${hasCache ? ' (filling the warm cache)' : ''} and scanelf first. Times are wall clock and include collecting stdout; ` +
      (hasCache ? 'the jailbuild CLI runs in a temp folder with `XDG_CACHE_HOME` in it (cold: a new empty one each round); ' : '') +
      'the CLI row includes Node startup, the in-process row is `resolveInputs(files, {dlopen: "none"})` alone. ' +
      'The machine is shared and noisy: read the medians, not the extremes.',
    '',
    ...table,
    '',
    ...ratios.map((r) => `- ${r}`),
    '',
    ...notes.map((n) => (n.startsWith('  ') ? `  - ${n.trim()}` : `- ${n}`)),
    ...versions.map((v) => `- ${v}`),
    '',
    'Reproduce (after `npx tsc -p tsconfig.json`): `node bench/resolve.mjs` (`--rounds N`, `--ldd-rounds N`, `--no-readme`), or all benchmarks: `node bench/run.mjs`.',
    '',
  ].join('\n');

  console.log('');
  console.log(section);

  if (opts.readme) {
    let text = existsSync(README) ? readFileSync(README, 'utf8') : '# Benchmarks\n';
    const start = text.indexOf(`${HEADING}\n`);
    if (start >= 0) {
      const after = text.slice(start + HEADING.length);
      const next = after.search(/\n## /);
      const end = next >= 0 ? start + HEADING.length + next + 1 : text.length;
      text = text.slice(0, start) + section + (next >= 0 ? '\n' : '') + text.slice(end);
    } else {
      text = `${text.replace(/\n*$/, '\n\n')}${section}`;
    }
    writeFileSync(README, text);
    console.log(`bench: wrote ${README}`);
  }
  const r2 = (x) => (Number.isFinite(x) ? Number(x.toFixed(2)) : null);
  writeSummary(opts.summary, {
    title: HEADING.slice(3),
    rows: [
      {
        what: '`ldd` per file / jailbuild CLI',
        value: r2(med.ldd / jbMed),
        unit: '×',
        goal: '≥ 40×',
        verdict: Number.isFinite(med.ldd / jbMed) ? (med.ldd / jbMed >= 40 ? 'met' : 'missed') : 'not measured',
      },
      { what: "jailbuild CLI with its defaults (known reads, .note.dlopen) / the loader's work alone", value: r2(med.defaults / jbMed), unit: '×', goal: null },
      { what: '`lddtree` / jailbuild CLI', value: r2(med.lddtree / jbMed), unit: '×', goal: null },
      { what: 'jailbuild CLI / `libtree -p`', value: r2(jbMed / med.libtree), unit: '×', goal: 4, verdict: verdict(jbMed / med.libtree, 4) },
      { what: 'jailbuild CLI / `scanelf -Bn` (floor)', value: r2(jbMed / med.scanelf), unit: '×', goal: null },
      ...(hasCache
        ? [
            { what: 'warm analysis cache / --no-cache', value: r2(med.warm / jbMed), unit: '×', goal: null },
            { what: 'cold analysis cache / --no-cache', value: r2(med.cold / jbMed), unit: '×', goal: null },
          ]
        : []),
    ],
  });
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (err) => {
    // missing tools are handled above and never get here; this is a bug in the benchmark itself
    console.error(`bench: ${err?.stack ?? err}`);
    process.exitCode = 1;
  },
);
