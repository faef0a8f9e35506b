#!/usr/bin/env node
// Benchmark (a measurement, not a timing): how often the absolute paths a program names in its
// read-only data (and in the shared libraries it needs) exist, and are what it reads when it runs.
//
// For each program: the named paths (src/elf/named-paths.ts) of its ELF file and of the libraries
// `ldd` lists; those that exist on this host; then one run under strace (the project's own trace
// reader, src/jailtest/strace-log.ts: -ff -y, paths made absolute through the descriptors). A named
// path that exists is "touched" when the run accessed it, or something below it, successfully
// (precision = touched / existing). Loading the program's own libraries does not count: the loader
// does that whatever the program names. Recall: of the data files the run read (regular files opened
// for reading below /usr/share, /usr/lib, /etc or /var/lib that are not ELF files and not the
// loader's /etc/ld.so.*), the share that lies at or below some existing named path.
//
// A second table measures the candidates a profile option could bring in: existing named paths below
// /usr/share/<x> or /usr/lib/<x> that only packages of the naming ELF file's own source package own
// (dpkg -S), which leaves out shared folders such as /usr/share or /usr/lib/x86_64-linux-gnu.
//
// Usage: node bench/named-paths.mjs [--no-readme] [--summary FILE]
// Needs strace, ldd and a build (npx tsc -p tsconfig.json). Installs nothing: a program that is not
// installed is left out.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TOP, distMissing, machine, makeTemp, parseArgs, removeTemp, sectionFinisher, which } from './lib.mjs';

const HEADING = '## Paths a program names: precision against a trace';
const DIST = join(TOP, 'dist', 'src');

/** The programs and what each is run with: one run that reads the data the program exists for. */
const PROGRAMS = [
  { name: 'gs', args: ['-q', '-dNODISPLAY', '-dBATCH', '-dNOPAUSE', '-c', 'quit'] },
  { name: 'kpsewhich', args: ['texmf.cnf'] },
  { name: 'pdftex', args: ['--version'] },
  { name: 'groff', args: ['-Tutf8'], input: 'hi\n' },
  // a local file (-l): man-db saves no cat page in /var/cache/man for it, so the run leaves the host as it was
  { name: 'man', args: ['-P', 'cat', '-l', '/usr/share/man/man1/ls.1.gz'] },
  { name: 'tclsh', args: [], input: 'puts hi\n' },
  { name: 'lilypond', args: ['--version'] },
  { name: 'convert', args: ['-size', '1x1', 'xc:white', 'png:-'] },
  { name: 'python3', args: ['-c', 'import json'] },
  { name: 'perl', args: ['-e', 'use POSIX'] },
  { name: 'git', args: ['--version'] },
  { name: 'curl', args: ['--version'] },
  { name: 'file', args: ['/bin/sh'] },
  { name: 'awk', args: ['BEGIN { print 1 }'] },
];
/** Where the data files a run reads are looked for. */
const DATA_ROOTS = ['/usr/share/', '/usr/lib/', '/etc/', '/var/lib/'];
/** The loader's own files: read for every program, named by no program's data. */
const LOADER_FILES = /^\/etc\/ld\.so\.(cache|preload|conf)(\.d\/.*)?$/;
/** Where the candidates of a profile option may lie: a folder or file below /usr/share/<x> or /usr/lib/<x>. */
const OPTION_SCOPE = /^\/usr\/(share|lib)\/[^/]+/;

const opts = parseArgs(process.argv.slice(2), { name: 'named-paths.mjs', rounds: 1 });

function isElf(path) {
  let fd;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32BE(0) === 0x7f454c46;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const realCache = new Map();
function real(path) {
  if (!realCache.has(path)) {
    let r = null;
    try {
      r = realpathSync(path);
    } catch {}
    realCache.set(path, r);
  }
  return realCache.get(path);
}

/** The program's ELF file: /usr/bin or /bin first (PATH may hold wrapper scripts or shims), as run and as its real file. */
function locate(name) {
  for (const p of [`/usr/bin/${name}`, `/bin/${name}`, which(name)]) {
    if (p && existsSync(p) && isElf(p)) return { run: p, file: real(p) };
  }
  return null;
}

/** The libraries `ldd` lists (the loader included), as real files. */
function libraries(file) {
  const r = spawnSync('ldd', [file], { encoding: 'utf8', timeout: 30000 });
  const out = new Set();
  for (const line of (r.stdout ?? '').split('\n')) {
    const m = /=>\s+(\/\S+)\s+\(/.exec(line) ?? /^\s*(\/\S+)\s+\(0x/.exec(line);
    const p = m && real(m[1]);
    if (p && p !== file) out.add(p);
  }
  return [...out].sort();
}

/** `path` is `dir` or lies below it. */
const within = (path, dir) => path === dir || path.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** The package owners of each path (dpkg -S), trying the path as given, its real file, and both without the /usr of a merged /usr. */
function owners(paths) {
  const variants = new Map();
  for (const p of paths) {
    const vs = new Set();
    for (const v of [p, real(p)]) {
      if (!v) continue;
      vs.add(v);
      vs.add(v.replace(/^\/usr\/(lib|lib64|bin|sbin)\//, '/$1/'));
    }
    variants.set(p, vs);
  }
  const all = [...new Set([...variants.values()].flatMap((s) => [...s]))];
  const found = new Map();
  for (let i = 0; i < all.length; i += 200) {
    const r = spawnSync('dpkg-query', ['-S', ...all.slice(i, i + 200)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    for (const line of (r.stdout ?? '').split('\n')) {
      const m = /^(.*?): (\/.*)$/.exec(line);
      if (!m || m[1].startsWith('diversion by')) continue;
      found.set(m[2], new Set(m[1].split(', ').map((x) => x.replace(/:.*$/, ''))));
    }
  }
  const out = new Map();
  for (const [p, vs] of variants) out.set(p, new Set([...vs].flatMap((v) => [...(found.get(v) ?? [])])));
  return out;
}

let sourceOf;
function sources(pkgs) {
  if (!sourceOf) {
    sourceOf = new Map();
    const r = spawnSync('dpkg-query', ['-W', '-f=${Package}\t${source:Package}\n'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    for (const line of (r.stdout ?? '').split('\n')) {
      const [pkg, src] = line.split('\t');
      if (pkg) sourceOf.set(pkg, src || pkg);
    }
  }
  return new Set([...pkgs].map((p) => sourceOf.get(p) ?? p));
}

function du(paths) {
  // Nested candidates are counted once: only the outermost are measured.
  const outer = paths.filter((p) => !paths.some((q) => q !== p && within(p, q)));
  if (outer.length === 0) return 0;
  const r = spawnSync('du', ['-sbD', '--', ...outer], { encoding: 'utf8' });
  return (r.stdout ?? '').split('\n').reduce((s, l) => s + (Number.parseInt(l, 10) || 0), 0);
}

const pct = (a, b) => (b > 0 ? `${((100 * a) / b).toFixed(0)} %` : '—');
const ratio = (a, b) => `${a}/${b} (${pct(a, b)})`;
const mb = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(0)} kB`);
const code = (s) => `\`${s.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
const list = (xs, n = 6) => (xs.length ? `${xs.slice(0, n).map(code).join(', ')}${xs.length > n ? `, … (${xs.length})` : ''}` : 'none');

async function main() {
  const m = machine();
  const finish = sectionFinisher(HEADING, '`node bench/named-paths.mjs` (`--no-readme`)', opts, m);
  if (distMissing(finish)) return;
  if (!which('strace') || !which('ldd')) {
    finish(['Not measured: needs `strace` and `ldd`.'], []);
    return;
  }
  const { namedPathsOfFile } = await import(join(DIST, 'elf', 'named-paths.js'));
  const { readTrace, straceArgs } = await import(join(DIST, 'jailtest', 'strace-log.js'));

  const namedCache = new Map();
  const named = (file) => {
    if (!namedCache.has(file)) {
      let ps = [];
      try {
        ps = namedPathsOfFile(file);
      } catch (err) {
        console.log(`bench: ${file}: ${err.message}`);
      }
      namedCache.set(file, ps);
    }
    return namedCache.get(file);
  };

  const work = makeTemp('jailbuild-bench-named-');
  const results = [];
  const skipped = [];
  for (const prog of PROGRAMS) {
    const where = locate(prog.name);
    if (!where) {
      skipped.push(prog.name);
      continue;
    }
    const libs = libraries(where.file);
    const objects = [where.file, ...libs];
    /** Each named path, with the ELF files that name it. */
    const namers = new Map();
    for (const o of objects) for (const p of named(o)) namers.set(p, [...(namers.get(p) ?? []), o]);
    const own = new Set(named(where.file));
    const exists = (p) => existsSync(p);

    // --- the run, traced
    const dir = makeTemp(`run-${prog.name}-`, work);
    const prefix = join(dir, 'trace');
    const cwd = join(dir, 'cwd');
    spawnSync('mkdir', [cwd]);
    const t0 = Date.now();
    const r = spawnSync('strace', [...straceArgs(prefix), '--', where.run, ...prog.args], {
      cwd,
      input: prog.input ?? '',
      env: { ...process.env, HOME: cwd, TMPDIR: cwd },
      maxBuffer: 1 << 26,
      timeout: 120000,
    });
    const ms = Date.now() - t0;
    const accesses = readTrace(prefix).filter((a) => !a.path.startsWith(dir));
    removeTemp(dir);
    // The loader's loads of the program's own libraries say nothing about what the program names.
    const closure = new Set(objects);
    const counted = accesses.filter((a) => !closure.has(a.path) && !closure.has(real(a.path) ?? '') && !LOADER_FILES.test(a.path));
    const okPaths = [...new Set(counted.filter((a) => !a.errno).map((a) => a.path))];
    const triedPaths = [...new Set(counted.map((a) => a.path))];
    const okReal = okPaths.map((p) => real(p)).filter(Boolean);
    const touched = (p) => {
      const rp = real(p);
      return okPaths.some((a) => within(a, p)) || (rp !== null && okReal.some((a) => within(a, rp)));
    };
    const triedReal = triedPaths.map((p) => real(p)).filter(Boolean);
    const tried = (p) => {
      const rp = real(p);
      return triedPaths.some((a) => within(a, p)) || (rp !== null && triedReal.some((a) => within(a, rp)));
    };

    // --- the data files the run read
    const reads = [
      ...new Set(
        counted
          .filter((a) => a.kind === 'open' && !a.errno && !a.writes && DATA_ROOTS.some((d) => a.path.startsWith(d)))
          .map((a) => a.path)
          .filter((p) => {
            try {
              return statSync(p).isFile() && !isElf(p);
            } catch {
              return false;
            }
          }),
      ),
    ].sort();
    const covers = (set) => (file) => {
      const rf = real(file);
      return set.some((p) => within(file, p) || (rf && real(p) && within(rf, real(p))));
    };

    // Paths whose accesses are not counted (the loader's files, the program's own ELF files) are not counted as named either.
    const all = [...namers.keys()].filter((p) => !LOADER_FILES.test(p) && !closure.has(p) && !closure.has(real(p) ?? '')).sort();
    const existing = all.filter(exists);
    const ownExisting = existing.filter((p) => own.has(p));

    // --- data paths: the existing named paths below the data roots, folders that several source packages share left out
    const rooted = existing.filter((p) => [p, real(p)].some((x) => x && DATA_ROOTS.some((d) => x.startsWith(d))));
    const owner = owners([...rooted, ...objects]);
    const data = rooted.filter((p) => sources(owner.get(p) ?? new Set()).size <= 1);
    const ownData = data.filter((p) => own.has(p));
    // glibc (libc.so.6 and the loader) names the same paths for every program: the data paths some other ELF file names
    const glibc = new Set(objects.filter((o) => sources(owner.get(o) ?? new Set()).has('glibc')));
    const notGlibc = data.filter((p) => namers.get(p).some((o) => !glibc.has(o)));

    // --- the candidates of a profile option: below /usr/share/<x> or /usr/lib/<x>, owned only by the namer's source package
    const scoped = data.filter((p) => OPTION_SCOPE.test(p) && !isElf(p));
    const isCandidate = (p, namerList) =>
      namerList.some((o) => {
        const pkgs = owner.get(p) ?? new Set();
        if (pkgs.size === 0) return false;
        const mine = sources(owner.get(o) ?? new Set());
        return [...sources(pkgs)].every((s) => mine.has(s));
      });
    const candidates = scoped.filter((p) => isCandidate(p, namers.get(p)));
    const ownCandidates = scoped.filter((p) => own.has(p) && isCandidate(p, [where.file]));
    const readBytes = (files) => files.reduce((s, f) => s + statSync(f).size, 0);
    const n = (xs, f) => xs.filter(f).length;

    const row = {
      name: prog.name,
      argv: [where.run, ...prog.args].join(' ') + (prog.input ? ` < ${JSON.stringify(prog.input)}` : ''),
      file: where.file,
      status: r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`,
      ms,
      objects: objects.length,
      named: { own: own.size, all: all.length },
      existing: { own: ownExisting.length, all: existing.length },
      touched: { own: n(ownExisting, touched), all: n(existing, touched) },
      tried: n(existing, tried),
      missingTried: n(all, (p) => !exists(p) && tried(p)),
      data: { own: ownData.length, all: data.length, ownTouched: n(ownData, touched), touched: n(data, touched), notGlibc: notGlibc.length, notGlibcTouched: n(notGlibc, touched) },
      reads: reads.length,
      covered: { own: n(reads, covers(ownExisting)), all: n(reads, covers(existing)), ownData: n(reads, covers(ownData)), data: n(reads, covers(data)) },
      cand: {
        own: ownCandidates.length,
        all: candidates.length,
        touched: n(candidates, touched),
        ownTouched: n(ownCandidates, touched),
        covered: n(reads, covers(candidates)),
        ownCovered: n(reads, covers(ownCandidates)),
        size: du(candidates),
        readBytes: readBytes(reads.filter(covers(candidates))),
      },
      untouchedOwn: ownExisting.filter((p) => !touched(p)),
      untouchedData: notGlibc.filter((p) => !own.has(p) && !touched(p)),
      uncovered: reads.filter((f) => !covers(data)(f)),
      candidates: [...candidates.filter(touched), ...candidates.filter((p) => !touched(p)).map((p) => `${p} (not touched)`)],
      writes: [...new Set(accesses.filter((a) => a.writes && !a.errno && !a.path.startsWith('/dev/')).map((a) => a.path))],
    };
    results.push(row);
    if (process.env.NAMED_PATHS_DEBUG) console.log(JSON.stringify({ ...row, existing: existing.map((p) => `${p}${touched(p) ? ' ✓' : ''}${own.has(p) ? ' (own)' : ''}${data.includes(p) ? ' (data)' : ''}`), reads }, null, 1));
    console.log(
      `bench: ${prog.name}: ${row.status} in ${ms} ms; named ${row.named.own}/${row.named.all}, exist ${row.existing.own}/${row.existing.all}, ` +
        `touched ${row.touched.own}/${row.touched.all}; reads ${row.reads}, covered ${row.covered.own}/${row.covered.all}; candidates ${row.cand.all} (${row.cand.touched} touched)`,
    );
  }
  removeTemp(work);
  if (results.length === 0) {
    finish(['Not measured: none of the programs is installed.'], []);
    return;
  }

  const sum = (f) => results.reduce((s, r) => s + f(r), 0);
  const T = {
    objects: sum((r) => r.objects),
    namedOwn: sum((r) => r.named.own),
    namedAll: sum((r) => r.named.all),
    exOwn: sum((r) => r.existing.own),
    exAll: sum((r) => r.existing.all),
    tOwn: sum((r) => r.touched.own),
    tAll: sum((r) => r.touched.all),
    tried: sum((r) => r.tried),
    dOwn: sum((r) => r.data.own),
    dAll: sum((r) => r.data.all),
    dtOwn: sum((r) => r.data.ownTouched),
    dtAll: sum((r) => r.data.touched),
    dng: sum((r) => r.data.notGlibc),
    dngT: sum((r) => r.data.notGlibcTouched),
    reads: sum((r) => r.reads),
    cOwn: sum((r) => r.covered.own),
    cAll: sum((r) => r.covered.all),
    cdOwn: sum((r) => r.covered.ownData),
    cdAll: sum((r) => r.covered.data),
    candOwn: sum((r) => r.cand.own),
    candAll: sum((r) => r.cand.all),
    candT: sum((r) => r.cand.touched),
    candOwnT: sum((r) => r.cand.ownTouched),
    candC: sum((r) => r.cand.covered),
    candOwnC: sum((r) => r.cand.ownCovered),
    size: sum((r) => r.cand.size),
    readBytes: sum((r) => r.cand.readBytes),
  };
  const precision = [
    "| program (run) | ELF files | named: own / with libs | exist: own / with libs | touched, own binary (precision) | touched, with libs (precision) | tried, with libs | data paths: own / with libs | data paths touched, own binary (precision) | data paths touched, with libs (precision) | the same, glibc's left out |",
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${code(r.argv)} (${r.status}) | ${r.objects} | ${r.named.own} / ${r.named.all} | ${r.existing.own} / ${r.existing.all} | ${ratio(r.touched.own, r.existing.own)} | ${ratio(r.touched.all, r.existing.all)} | ${r.tried} | ` +
        `${r.data.own} / ${r.data.all} | ${ratio(r.data.ownTouched, r.data.own)} | ${ratio(r.data.touched, r.data.all)} | ${ratio(r.data.notGlibcTouched, r.data.notGlibc)} |`,
    ),
    `| **all ${results.length}** | ${T.objects} | ${T.namedOwn} / ${T.namedAll} | ${T.exOwn} / ${T.exAll} | **${ratio(T.tOwn, T.exOwn)}** | **${ratio(T.tAll, T.exAll)}** | ${T.tried} | ${T.dOwn} / ${T.dAll} | **${ratio(T.dtOwn, T.dOwn)}** | **${ratio(T.dtAll, T.dAll)}** | **${ratio(T.dngT, T.dng)}** |`,
  ];
  const recall = [
    '| program | data files read | covered by a named path, own binary (recall) | with libs (recall) | covered by a data path, own binary (recall) | with libs (recall) |',
    '|---|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.name} | ${r.reads} | ${ratio(r.covered.own, r.reads)} | ${ratio(r.covered.all, r.reads)} | ${ratio(r.covered.ownData, r.reads)} | ${ratio(r.covered.data, r.reads)} |`),
    `| **all ${results.length}** | ${T.reads} | **${ratio(T.cOwn, T.reads)}** | **${ratio(T.cAll, T.reads)}** | **${ratio(T.cdOwn, T.reads)}** | **${ratio(T.cdAll, T.reads)}** |`,
  ];
  const candTable = [
    '| program | candidates: own binary / with libs | touched, own binary (precision) | touched, with libs (precision) | data files read | covered, own binary (recall) | covered, with libs (recall) | size of the candidates (with libs) | bytes the run read there |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) => {
      const c = r.cand;
      return `| ${r.name} | ${c.own} / ${c.all} | ${ratio(c.ownTouched, c.own)} | ${ratio(c.touched, c.all)} | ${r.reads} | ${ratio(c.ownCovered, r.reads)} | ${ratio(c.covered, r.reads)} | ${mb(c.size)} | ${mb(c.readBytes)} |`;
    }),
    `| **all ${results.length}** | ${T.candOwn} / ${T.candAll} | **${ratio(T.candOwnT, T.candOwn)}** | **${ratio(T.candT, T.candAll)}** | ${T.reads} | **${ratio(T.candOwnC, T.reads)}** | **${ratio(T.candC, T.reads)}** | ${mb(T.size)} | ${mb(T.readBytes)} |`,
  ];
  const details = results.map(
    (r) =>
      `- **${r.name}** (${code(r.file)}): named by the binary, existing, not touched: ${list(r.untouchedOwn)}; data paths named by its libraries other than glibc's, not touched: ${list(r.untouchedData, 5)}; ` +
      `data files read that no data path covers: ${list(r.uncovered, 4)}; candidates: ${list(r.candidates, 8)}` +
      (r.writes.length ? `; the run wrote ${list(r.writes, 4)}` : ''),
  );
  const body = [
    `${results.length} programs, each run once under strace (the project's trace reader: \`strace -ff -y\` with its list of file calls; the host's environment, HOME and TMPDIR set to an empty folder, LANG=${process.env.LANG ?? 'unset'}). ` +
      '**Named**: the absolute paths in the `.rodata` sections of the program\'s ELF file ("own binary") and of it and the libraries `ldd` lists, the loader included ("with libs"), found by `namedPaths` ' +
      '(src/elf/named-paths.ts: lists split, kpathsea braces expanded, cut at `%`, `$`, `*`, `?` and `//`; at least two components). ' +
      "The loader's /etc/ld.so.* files and the program's own ELF files are left out of both what is named and what is touched: the loader reads them whatever the program names. " +
      '**Touched**: the run accessed the path or something below it successfully (open, stat, exec, readlink, …; real paths compared too). **Precision** = touched / existing. ' +
      '**Tried**: accessed with any outcome. **Data paths**: the existing named paths below /usr/share, /usr/lib, /etc or /var/lib, less the folders that packages of more than one source package own (`dpkg -S`: /usr/lib, /usr/share, /usr/lib/x86_64-linux-gnu, /usr/share/locale, …), which cover anything. ' +
      "**glibc's left out**: the data paths that some ELF file other than glibc's (libc.so.6, the loader, …) names. " +
      'Totals add the programs up (a path libc names counts once per program).',
    '',
    ...precision,
    '',
    '**Recall**: of the data files each run read (regular files opened for reading below /usr/share, /usr/lib, /etc or /var/lib, not ELF files, not /etc/ld.so.*), the share at or below an existing named path, and at or below a data path.',
    '',
    ...recall,
    '',
    `Named paths that do not exist that the runs tried anyway (alternatives probed): ${sum((r) => r.missingTried)}.`,
    '',
    '**Candidates for a profile option**: data paths below /usr/share/<x> or /usr/lib/<x>, not ELF files, owned (`dpkg -S`) only by packages of the source package of an ELF file that names them. ' +
      'Size: `du -sbD` of the outermost candidates; bytes read: the sizes of the data files read below a candidate.',
    '',
    ...candTable,
    '',
    'What was not touched or not covered, per program:',
    '',
    ...details,
    ...(skipped.length ? ['', `Not installed, left out: ${skipped.join(', ')}.`] : []),
  ];
  const r1 = (a, b) => (b ? Number(((100 * a) / b).toFixed(1)) : null);
  finish(body, [
    { what: 'precision of named paths that exist, own binary (touched / existing)', value: r1(T.tOwn, T.exOwn), unit: '%', goal: null },
    { what: 'precision of named paths that exist, with libraries', value: r1(T.tAll, T.exAll), unit: '%', goal: null },
    { what: 'precision of named data paths, own binary', value: r1(T.dtOwn, T.dOwn), unit: '%', goal: null },
    { what: 'precision of named data paths, with libraries', value: r1(T.dtAll, T.dAll), unit: '%', goal: null },
    { what: "precision of named data paths, with libraries, glibc's left out", value: r1(T.dngT, T.dng), unit: '%', goal: null },
    { what: 'recall of data files read by data paths, own binary', value: r1(T.cdOwn, T.reads), unit: '%', goal: null },
    { what: 'recall of data files read by data paths, with libraries', value: r1(T.cdAll, T.reads), unit: '%', goal: null },
    { what: 'precision of the profile-option candidates, with libraries', value: r1(T.candT, T.candAll), unit: '%', goal: null },
    { what: 'recall of the profile-option candidates, with libraries', value: r1(T.candC, T.reads), unit: '%', goal: null },
  ]);
}

main().catch((err) => {
  console.error(`bench: ${err?.stack ?? err}`);
  process.exitCode = 1;
});
