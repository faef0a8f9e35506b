#!/usr/bin/env node
// Runs every benchmark in bench/ in turn (each in its own process, one after the other, so they never
// compete for the 2 CPUs), lets each rewrite its own section of bench/README.md, then writes the
// "Summary" section at the top: the headline ratios against their goals and how long each
// benchmark took. `npm run bench` runs this after a build.
//
// Usage: node bench/run.mjs [--rounds N] [--only NAME,...] [--skip NAME,...] [--no-readme] [--no-install]
//   NAME: resolve, tarball, scaling, memory, jailkit, named-paths, sweep. --rounds is passed to every benchmark (each has
//   its own default: 5, memory 3).
// Exit status: 0 when every benchmark ran (a missing optional tool is not a failure: that row says
// "not installed"), 1 when one crashed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BENCH, DIST_INDEX, fmtMs, machine, makeTemp, removeTemp, writeSection } from './lib.mjs';

const BENCHMARKS = [
  { name: 'resolve', file: 'resolve.mjs', what: 'resolving every ELF of /usr/bin and /usr/sbin: jailbuild vs ldd, lddtree, scanelf' },
  { name: 'tarball', file: 'tarball.mjs', what: 'the tex profile as .tar, .tar.gz and tree vs GNU tar, tar | gzip, cp -a' },
  { name: 'scaling', file: 'scaling.mjs', what: 'resolution time for 100, 1,000 and all ELF files of /usr/lib' },
  { name: 'memory', file: 'memory.mjs', what: 'peak RSS writing a tarball of more than 1 GiB' },
  { name: 'jailkit', file: 'jailkit.mjs', what: "jailkit's jk_cp vs jailbuild, and which programs run in each jail" },
  { name: 'startup', file: 'startup.mjs', what: "a jail for one program (base + ls) vs jk_cp, bundle vs modules, Node's floor" },
  { name: 'named-paths', file: 'named-paths.mjs', what: "paths in programs' read-only data against what a traced run reads" },
  { name: 'sweep', file: 'sweep.mjs', what: 'every program of /usr/bin alone in its jail as uid 65534: jailbuild vs jk_cp' },
];
const HEADING = '## Summary';

function parse(argv) {
  const o = { rounds: null, only: null, skip: new Set(), readme: true, install: true };
  const list = (v) =>
    new Set(
      String(v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const value = () => v ?? argv[++i];
    if (a === '--rounds') {
      o.rounds = Number(value());
      if (!Number.isInteger(o.rounds) || o.rounds < 1) fail('--rounds needs a positive integer');
    } else if (a === '--only') o.only = list(value());
    else if (a === '--skip') o.skip = list(value());
    else if (a === '--no-readme') o.readme = false;
    else if (a === '--no-install') o.install = false;
    else if (a === '-h' || a === '--help') {
      console.log(`usage: node bench/run.mjs [--rounds N] [--only NAME,...] [--skip NAME,...] [--no-readme] [--no-install]\nNAME: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  for (const n of [...(o.only ?? []), ...o.skip]) if (!BENCHMARKS.some((b) => b.name === n)) fail(`no benchmark named ${n}`);
  return o;
}

function fail(message) {
  console.error(`bench: ${message}`);
  process.exit(2);
}

const fmtValue = (r) => (r.value === null || r.value === undefined ? 'not measured' : `${r.value}${r.unit === '×' ? '×' : r.unit ? ` ${r.unit}` : ''}`);

function main() {
  const opts = parse(process.argv.slice(2));
  const m = machine();
  if (!existsSync(DIST_INDEX)) console.log('bench: dist/ is missing: build first (npx tsc -p tsconfig.json); the jailbuild rows will say "not built"');
  const tmp = makeTemp('jailbuild-bench-run-');
  const results = [];
  const t0 = performance.now();
  for (const b of BENCHMARKS) {
    if ((opts.only && !opts.only.has(b.name)) || opts.skip.has(b.name)) continue;
    const summary = join(tmp, `${b.name}.json`);
    const args = [join(BENCH, b.file), '--summary', summary];
    if (opts.rounds) args.push('--rounds', String(opts.rounds));
    if (!opts.readme) args.push('--no-readme');
    if (!opts.install) args.push('--no-install');
    console.log(`\n===== bench/${b.file}: ${b.what}`);
    const start = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
    const ms = performance.now() - start;
    let s = null;
    try {
      s = JSON.parse(readFileSync(summary, 'utf8'));
    } catch {}
    results.push({ b, ms, status: r.status, signal: r.signal, s });
    console.log(`===== bench/${b.file}: ${r.status === 0 ? 'done' : `FAILED (exit ${r.status ?? r.signal})`} in ${fmtMs(ms)}`);
  }
  const totalMs = performance.now() - t0;
  removeTemp(tmp);

  const table = ['| benchmark | measure | value | goal | verdict |', '|---|---|---:|---|---|'];
  for (const { b, status, signal, s } of results) {
    if (status !== 0) {
      table.push(`| ${b.name} | (the benchmark failed: exit ${status ?? signal}) | | | |`);
      continue;
    }
    const rows = s?.rows ?? [];
    if (rows.length === 0) table.push(`| ${b.name} | not measured (see its section) | | | |`);
    const esc = (x) => String(x ?? '').replace(/\|/g, '\\|');
    for (const row of rows) table.push(`| ${b.name} | ${esc(row.what)} | ${esc(fmtValue(row))} | ${esc(row.goal)} | ${esc(row.verdict)} |`);
  }
  const section = [
    HEADING,
    '',
    `\`node bench/run.mjs${opts.rounds ? ` --rounds ${opts.rounds}` : ''}\` (what \`npm run bench\` runs after a build), started ${m.date} on ${m.line}; ` +
      `took ${fmtMs(totalMs)}: ${results.map(({ b, ms }) => `${b.name} ${fmtMs(ms)}`).join(', ')}. ` +
      'Every figure is a median of several rounds measured side by side in one run (the machine is shared and noisy); ' +
      "each benchmark's section below has its table, its method and what it could not measure. Ratios are jailbuild / the other tool unless named otherwise (lower is better for jailbuild).",
    '',
    ...table,
    '',
  ].join('\n');
  console.log(`\n${section}`);
  if (opts.readme && !(opts.only || opts.skip.size)) writeSection(HEADING, section, { first: true });
  else if (opts.readme) console.log('bench: a partial run (--only/--skip): the Summary section is left as it was');
  process.exitCode = results.every((r) => r.status === 0) ? 0 : 1;
}

main();
