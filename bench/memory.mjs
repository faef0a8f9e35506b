#!/usr/bin/env node
// Benchmark: peak memory (max RSS) of `jailbuild profile P.json --tar X` while it writes a tarball of
// more than 1 GiB. Makes a temp source root with 4 files of 300 MiB of random bytes (head -c from
// /dev/urandom), a profile {"root": ROOT, "files": ["/big1", ...]}, and measures with /usr/bin/time
// (%M, the largest RSS of the process and its children), side by side with GNU tar (and
// tar | gzip -n -6 for the .tar.gz), plus the same profile with 1 file (does memory grow with the
// size?) and `jailbuild --help` (the Node baseline). Goal: under 256 MiB. The temp root and
// every output are removed at the end, also on Ctrl-C.
//
// Usage: node bench/memory.mjs [--rounds N] [--gz-rounds N] [--files N] [--mib N] [--no-readme]
//                              [--no-install] [--summary FILE]
//   --gz-rounds: rounds of the .tar.gz rows (default 1: gzip of 1.2 GiB takes about a minute)
//   --files, --mib: how many big files (default 4) of how many MiB (default 300)
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI,
  ensurePackages,
  firstLine,
  flushWrites,
  fmtMB,
  fmtMiB,
  fmtMs,
  fmtRatio,
  machine,
  makeTemp,
  median,
  parseArgs,
  removeTemp,
  rotate,
  failureNotes,
  spreadNotes,
  tryTwice,
  verdict,
  which,
  sectionFinisher,
  distMissing,
} from './lib.mjs';

const HEADING = '## Peak memory while writing a tarball of more than 1 GiB';
const GOAL_MIB = 256;
const TAR_OPTS = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime'];
const opts = parseArgs(process.argv.slice(2), {
  name: 'memory.mjs',
  rounds: 3,
  extra: { '--gz-rounds': 'gzRounds', '--files': 'files', '--mib': 'mib' },
  help: '[--gz-rounds N (default 1)] [--files N (default 4)] [--mib N (default 300)]',
});
opts.gzRounds ??= 1;
opts.files ??= 4;
opts.mib ??= 300;

/**
 * Runs argv and returns {ms, rssKiB}: through /usr/bin/time -f %M when there is one, else with a
 * preloaded module that prints the Node process's own resourceUsage().maxRSS at exit (jailbuild rows only).
 */
function measure(argv, { timeBin, work, env }) {
  const out = join(work, 'time.out');
  rmSync(out, { force: true });
  const t0 = performance.now();
  let r;
  if (timeBin) {
    r = spawnSync(timeBin, ['-f', '%M', '-o', out, ...argv], { env, cwd: work, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  } else if (argv[0] === process.execPath) {
    const pre = join(work, 'maxrss.mjs');
    if (!existsSync(pre)) {
      writeFileSync(pre, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)));\n`);
    }
    r = spawnSync(argv[0], ['--import', pre, ...argv.slice(1)], { env, cwd: work, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  } else {
    return { error: 'no /usr/bin/time' };
  }
  const ms = performance.now() - t0;
  if (r.status !== 0)
    return {
      error: `exit ${r.status}: ${
        String(r.stderr ?? '')
          .trim()
          .split('\n')
          .filter((l) => !/^Command exited/.test(l))[0] ?? ''
      }`,
    };
  let rssKiB = NaN;
  try {
    rssKiB = Number.parseInt(readFileSync(out, 'utf8').trim().split('\n').pop(), 10);
  } catch {}
  return { ms, rssKiB };
}

async function main() {
  const m = machine();
  const finish = sectionFinisher(HEADING, '`node bench/memory.mjs` (`--rounds N`, `--gz-rounds N`, `--files N`, `--mib N`, `--no-readme`)', opts, m);
  if (distMissing(finish)) return;
  if (!existsSync('/usr/bin/time')) ensurePackages(['time'], { why: 'max RSS with /usr/bin/time', allowed: opts.install });
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
  const tar = which('tar');
  const gzip = which('gzip');
  const bash = which('bash');

  // a disk-backed temp folder (not a tmpfs /tmp): sources, one jailbuild output and one GNU output at a time
  const base = existsSync('/var/tmp') ? '/var/tmp' : undefined;
  const work = makeTemp('jailbuild-bench-memory-', base);
  // mkdtemp makes it 0700: jailbuild would rightly refuse sources in a folder others may not enter.
  chmodSync(work, 0o755);
  const bytesEach = opts.mib * 1048576;
  const need = bytesEach * opts.files * 3 + 256 * 1048576;
  try {
    const fs = statfsSync(work);
    const free = fs.bavail * fs.bsize;
    if (free < need) {
      console.log(`bench: ${fmtMiB(free)} free in ${work}, ${fmtMiB(need)} needed`);
      finish([`Not measured: ${fmtMiB(free)} free in ${base ?? 'the temp folder'}, ${fmtMiB(need)} needed.`], []);
      removeTemp(work);
      return;
    }
  } catch {}

  const root = join(work, 'root');
  spawnSync('mkdir', ['-p', root]);
  const names = Array.from({ length: opts.files }, (_, i) => `/big${i + 1}`);
  const t0 = performance.now();
  for (const n of names) {
    const r = spawnSync('sh', ['-c', `head -c ${opts.mib}M /dev/urandom > "$1"`, 'sh', join(root, n)], { stdio: 'inherit' });
    if (r.status !== 0) {
      finish([`Not measured: could not write ${opts.mib} MiB files in ${work}.`], []);
      removeTemp(work);
      return;
    }
  }
  const genMs = performance.now() - t0;
  console.log(`bench: wrote ${opts.files} × ${opts.mib} MiB of random bytes in ${fmtMs(genMs)} (head -c ${opts.mib}M /dev/urandom)`);
  const profileAll = join(work, 'big.json');
  const profileOne = join(work, 'big1.json');
  writeFileSync(profileAll, JSON.stringify({ name: 'big', root, files: names }));
  writeFileSync(profileOne, JSON.stringify({ name: 'big1', root, files: names.slice(0, 1) }));

  const env = { ...process.env, SOURCE_DATE_EPOCH: '0', XDG_CACHE_HOME: join(work, 'xdg') };
  const X_TAR = join(work, 'x.tar');
  const X_TGZ = join(work, 'x.tar.gz');
  const G_TAR = join(work, 'gnu.tar');
  const G_TGZ = join(work, 'gnu.tar.gz');
  const totalBytes = bytesEach * opts.files;
  const allLabel = `${opts.files} × ${opts.mib} MiB`;
  const rows = {
    jbTar: { label: '`jailbuild profile P.json --tar X.tar`', input: allLabel, inBytes: totalBytes, out: X_TAR, rounds: opts.rounds, jb: true, argv: [process.execPath, CLI, 'profile', profileAll, '--tar', X_TAR] },
    gnuTar: { label: '`tar --sort=name … -cf X.tar` (GNU tar)', input: allLabel, inBytes: totalBytes, out: G_TAR, rounds: opts.rounds, need: tar, argv: [tar, ...TAR_OPTS, '-C', root, '-cf', G_TAR, ...names.map((n) => `.${n}`)] },
    jbTarOne: {
      label: '`jailbuild profile P1.json --tar X.tar` (1 file)',
      input: `1 × ${opts.mib} MiB`,
      inBytes: bytesEach,
      out: X_TAR,
      rounds: opts.rounds,
      jb: true,
      argv: [process.execPath, CLI, 'profile', profileOne, '--tar', X_TAR],
    },
    jbHelp: { label: '`jailbuild --help` (Node baseline)', input: '', inBytes: 0, out: null, rounds: opts.rounds, jb: true, argv: [process.execPath, CLI, '--help'] },
    jbTgz: {
      label: '`jailbuild profile P.json --tar X.tar.gz`',
      input: allLabel,
      inBytes: totalBytes,
      out: X_TGZ,
      rounds: Math.min(opts.gzRounds, opts.rounds),
      jb: true,
      argv: [process.execPath, CLI, 'profile', profileAll, '--tar', X_TGZ],
    },
    gnuTgz: {
      label: '`tar … -cf - … \\| gzip -n -6 > X.tar.gz`',
      input: allLabel,
      inBytes: totalBytes,
      out: G_TGZ,
      rounds: Math.min(opts.gzRounds, opts.rounds),
      need: tar && gzip && bash,
      argv: [bash, '-c', `set -o pipefail; tar "$@" | gzip -n -6 > ${JSON.stringify(G_TGZ)}`, 'bash', ...TAR_OPTS, '-C', root, '-cf', '-', ...names.map((n) => `.${n}`)],
    },
  };
  const order = Object.keys(rows);
  for (const r of Object.values(rows)) {
    r.rss = [];
    r.ms = [];
    r.note = r.need === null || r.need === false ? 'not installed' : !timeBin && !r.jb ? 'not measured (no /usr/bin/time)' : '';
  }

  const rounds = Math.max(...Object.values(rows).map((r) => r.rounds));
  for (let round = 0; round < rounds; round++) {
    process.stdout.write(`bench: round ${round + 1}/${rounds}:`);
    for (const key of rotate(order, round)) {
      const r = rows[key];
      if (r.note || r.rss.length >= r.rounds) continue;
      let res;
      try {
        res = tryTwice(r, () => {
          flushWrites();
          const x = measure(r.argv, { timeBin, work, env });
          if (x.error) throw new Error(x.error);
          return x;
        });
      } catch (err) {
        r.note = `failed: ${err.message}`;
        continue;
      }
      if (r.out) {
        try {
          r.outBytes = statSync(r.out).size;
        } catch {}
        rmSync(r.out, { force: true });
      }
      r.rss.push(res.rssKiB);
      r.ms.push(res.ms);
      process.stdout.write(` ${key} ${fmtMiB(res.rssKiB * 1024)}/${fmtMs(res.ms)}`);
    }
    process.stdout.write('\n');
  }

  const table = ['| command | input | output | rounds | max RSS (median) | max RSS (largest) | time (median) | throughput |', '|---|---|---:|---:|---:|---:|---:|---:|'];
  const med = {};
  for (const key of order) {
    const r = rows[key];
    if (r.rss.length === 0) {
      table.push(`| ${r.label} | ${r.input} | | 0 | ${r.note || 'not run'} | | | |`);
      continue;
    }
    med[key] = median(r.rss) * 1024;
    const ms = median(r.ms);
    table.push(
      `| ${r.label} | ${r.input} | ${r.outBytes !== undefined ? `${fmtMB(r.outBytes)} (${(r.outBytes / 2 ** 30).toFixed(2)} GiB)` : ''} | ${r.rss.length} | ` +
        `**${fmtMiB(med[key])}** | ${fmtMiB(Math.max(...r.rss) * 1024)} | ${fmtMs(ms)} | ${r.inBytes ? `${(r.inBytes / 1e6 / (ms / 1000)).toFixed(0)} MB/s` : ''} |`,
    );
  }
  const goal = GOAL_MIB * 1048576;
  const lines = [
    `plain tarball: jailbuild's peak RSS ${fmtMiB(med.jbTar)} (goal < ${GOAL_MIB} MiB): ${verdict(med.jbTar / goal, 1)}; ` +
      `with 1 file ${fmtMiB(med.jbTarOne)}: ${Number.isFinite(med.jbTar / med.jbTarOne) ? `${fmtRatio(med.jbTar / med.jbTarOne)} for ${opts.files}× the data` : 'n/a'}; ` +
      `the Node baseline (\`--help\`) is ${fmtMiB(med.jbHelp)}`,
    `.tar.gz: jailbuild's peak RSS ${fmtMiB(med.jbTgz)} (goal < ${GOAL_MIB} MiB): ${verdict(med.jbTgz / goal, 1)}`,
    `time, jailbuild / GNU: plain ${fmtRatio(median(rows.jbTar.ms) / median(rows.gnuTar.ms))}, .tar.gz ${fmtRatio(median(rows.jbTgz.ms) / median(rows.gnuTgz.ms))} ` +
      '(random bytes do not compress: the .tar.gz is slightly larger than its tar)',
    `GNU tar's peak RSS ${fmtMiB(med.gnuTar)}; tar | gzip's ${fmtMiB(med.gnuTgz)} (the largest of the pipeline's processes)`,
  ];
  const body = [
    `A temp source root on ${base ?? 'the temp folder'} with ${opts.files} files of ${opts.mib} MiB of random bytes (${fmtMB(totalBytes)}, written in ${fmtMs(genMs)} with \`head -c ${opts.mib}M /dev/urandom\`), ` +
      'the profile `{"root": ROOT, "files": ["/big1", …]}` (P1: the first file only), SOURCE_DATE_EPOCH=0. ' +
      `Max RSS from ${timeBin ? '`/usr/bin/time -f %M` (the largest resident set of the process or any of its children)' : "the process's own `process.resourceUsage().maxRSS` (no /usr/bin/time)"}. ` +
      `${opts.rounds} rounds of the plain rows, ${Math.min(opts.gzRounds, opts.rounds)} of the .tar.gz rows, rows in rotated order; ` +
      'each output is removed after its run and dirty pages flushed with `sync` (untimed) before the next; the sources stay in the page cache (the machine has far more RAM than they take).',
    '',
    ...table,
    '',
    ...lines.map((l) => `- ${l}`),
    ...spreadNotes(order.map((k) => ({ label: rows[k].label, times: rows[k].ms }))).map((n) => `- ${n}`),
    ...failureNotes(order.map((k) => rows[k])).map((n) => `- ${n}`),
    ...[tar && `tar: ${firstLine(tar, ['--version'])}`, gzip && `gzip: ${firstLine(gzip, ['--version'])}`].filter(Boolean).map((v) => `- ${v}`),
  ];
  removeTemp(work);
  console.log(`bench: removed ${work}`);
  const r0 = (x) => (Number.isFinite(x) ? Math.round(x / 1048576) : null);
  finish(body, [
    {
      what: `peak RSS writing a ${(totalBytes / 2 ** 30).toFixed(2)} GiB tar`,
      value: r0(med.jbTar),
      unit: 'MiB',
      goal: `< ${GOAL_MIB} MiB`,
      verdict: Number.isFinite(med.jbTar) ? (med.jbTar < goal ? 'met' : 'missed') : 'not measured',
    },
    {
      what: `peak RSS writing a ${(totalBytes / 2 ** 30).toFixed(2)} GiB .tar.gz`,
      value: r0(med.jbTgz),
      unit: 'MiB',
      goal: `< ${GOAL_MIB} MiB`,
      verdict: Number.isFinite(med.jbTgz) ? (med.jbTgz < goal ? 'met' : 'missed') : 'not measured',
    },
  ]);
}

main().catch((err) => {
  console.error(`bench: ${err?.stack ?? err}`);
  process.exitCode = 1;
});
