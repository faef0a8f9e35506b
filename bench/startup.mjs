#!/usr/bin/env node
// Benchmark: a jail for one program, the whole process, against jailkit's `jk_cp` for the same program,
// and what of jailbuild's time is Node's start-up and module loading.
//
// Rows, each a whole process, measured side by side in rotated order:
// - `jk_cp -j JAIL /usr/bin/ls` (the tool users know);
// - `jailbuild profile P.json --out JAIL` with P.json = {"extends": "base", "binaries": ["/usr/bin/ls"]}
//   (what issue 18 measures: the base profile's shell, /dev nodes, /etc files, /tmp, plus ls), through
//   bin/jailbuild.js, which loads the build's bundle (dist/src/bundle/cli.cjs) with its code cache;
// - the same through the bundle compiled from source (no code cache), to show what the cache pays;
// - the same profile through the unbundled modules (dist/src/cli/main.js), to show what bundling pays;
// - `jailbuild profile` of {"binaries": ["/usr/bin/ls"]} alone: the same work as jk_cp;
// - `jailbuild --help` and `node -e ''`: the floors any Node CLI pays (and `node -e ''` with
//   NODE_EXTRA_CA_CERTS, when the machine sets it: see bench/lib.mjs).
//
// Usage: node bench/startup.mjs [--rounds N] [--no-readme] [--no-install] [--summary FILE]
// Needs root (jk_cp's jail checks, the base profile's device nodes) and a build (`npm run build`).
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI,
  EXTRA_CA_CERTS,
  TOP,
  distMissing,
  ensurePackages,
  failureNotes,
  flushWrites,
  fmtMs,
  fmtRatio,
  machine,
  makeTemp,
  median,
  parseArgs,
  removeTemp,
  timeRounds,
  safeBase,
  sectionFinisher,
  spreadNotes,
  timeSpawn,
  verdict,
  which,
} from './lib.mjs';

const HEADING = '## Start-up: a jail for one program against jk_cp';
const PROGRAM = '/usr/bin/ls';
const opts = parseArgs(process.argv.slice(2), { name: 'startup.mjs', rounds: 7 });

async function main() {
  const m = machine();
  const finish = sectionFinisher(HEADING, '`node bench/startup.mjs` (`--rounds N`, `--no-readme`)', opts, m);
  if (distMissing(finish)) return;
  if (process.getuid?.() !== 0) {
    finish(['Not measured: the base profile makes device nodes and jk_cp checks its jail: both need root.'], []);
    return;
  }
  let jkCp = which('jk_cp');
  if (!jkCp) {
    ensurePackages(['jailkit'], { why: 'jk_cp', allowed: opts.install });
    jkCp = which('jk_cp');
  }
  const bundle = join(TOP, 'dist', 'src', 'bundle', 'cli.cjs');
  const base = safeBase();
  if (!base) {
    finish(['Not measured: no root-owned folder that is not writable by group or others for the jails (jk_cp refuses others).'], []);
    return;
  }
  const work = makeTemp('jailbuild-bench-startup-', base);
  const env = { ...process.env, XDG_CACHE_HOME: join(work, 'xdg') };
  const withBase = join(work, 'base-ls.json');
  const alone = join(work, 'ls.json');
  writeFileSync(withBase, JSON.stringify({ name: 'base-ls', extends: 'base', binaries: [PROGRAM] }));
  writeFileSync(alone, JSON.stringify({ name: 'ls', binaries: [PROGRAM] }));
  // The modules themselves, as a build without the bundle runs them.
  const modulesEntry = join(work, 'modules.mjs');
  writeFileSync(modulesEntry, `import { main } from ${JSON.stringify(join(TOP, 'dist', 'src', 'cli', 'main.js'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  // The bundle compiled from source every run, as before the code cache.
  const noCacheEntry = join(work, 'no-code-cache.mjs');
  writeFileSync(noCacheEntry, `import { BUNDLE, loadBundle } from ${JSON.stringify(join(TOP, 'bin', 'cli-loader.mjs'))};\nprocess.exitCode = await loadBundle(BUNDLE, null).exports.main(process.argv.slice(2));\n`);

  const jail = (key) => join(work, `jail-${key}`);
  const build = (key, argv) => () => {
    rmSync(jail(key), { recursive: true, force: true });
    flushWrites();
    return timeSpawn(argv, { cwd: work, env });
  };
  const rows = {
    jk: {
      label: `\`jk_cp -j JAIL ${PROGRAM}\``,
      note: jkCp ? '' : 'jailkit is not installed; not measured',
      run: () => {
        rmSync(jail('jk'), { recursive: true, force: true });
        spawnSync('mkdir', ['-m', '755', jail('jk')]);
        flushWrites();
        return timeSpawn([jkCp, '-j', jail('jk'), PROGRAM], { cwd: work, env });
      },
    },
    bundle: {
      label: `\`jailbuild profile P.json --out JAIL\`, P.json \`{"extends": "base", "binaries": ["${PROGRAM}"]}\` (the bundle)`,
      note: existsSync(bundle) ? '' : 'no bundle in dist/ (`npm run build` makes it); not measured',
      run: build('bundle', [process.execPath, CLI, 'profile', withBase, '--out', jail('bundle')]),
    },
    nocache: {
      label: 'the same, the bundle compiled from source (no code cache)',
      note: existsSync(bundle) ? '' : 'no bundle in dist/; not measured',
      run: build('nocache', [process.execPath, noCacheEntry, 'profile', withBase, '--out', jail('nocache')]),
    },
    modules: {
      label: 'the same, through the unbundled modules (`dist/src/cli/main.js`)',
      note: '',
      run: build('modules', [process.execPath, modulesEntry, 'profile', withBase, '--out', jail('modules')]),
    },
    alone: {
      label: `\`jailbuild profile P.json --out JAIL\`, P.json \`{"binaries": ["${PROGRAM}"]}\` (the same work as jk_cp)`,
      note: '',
      run: build('alone', [process.execPath, CLI, 'profile', alone, '--out', jail('alone')]),
    },
    help: { label: '`jailbuild --help`', note: '', run: () => timeSpawn([process.execPath, CLI, '--help'], { cwd: work, env }) },
    node: { label: "`node -e ''`", note: '', run: () => timeSpawn([process.execPath, '-e', ''], { cwd: work, env }) },
    ...(EXTRA_CA_CERTS !== undefined && env.NODE_EXTRA_CA_CERTS === undefined
      ? { nodeCa: { label: "`node -e ''` with this machine's NODE_EXTRA_CA_CERTS", note: '', run: () => timeSpawn([process.execPath, '-e', ''], { cwd: work, env: { ...env, NODE_EXTRA_CA_CERTS: EXTRA_CA_CERTS } }) } }
      : {}),
  };
  const order = Object.keys(rows);
  timeRounds(rows, order, opts.rounds);
  // The jails hold what they should: ls runs in each (as root; the sweep runs programs as uid 65534).
  const runs = {};
  for (const key of ['jk', 'bundle', 'nocache', 'modules', 'alone']) {
    if (!rows[key].times.length) continue;
    const r = spawnSync('chroot', [jail(key), PROGRAM, '--version'], { encoding: 'utf8', timeout: 10000 });
    runs[key] = r.status === 0 && /coreutils/.test(r.stdout ?? '');
  }
  removeTemp(work);

  const med = Object.fromEntries(order.map((k) => [k, median(rows[k].times)]));
  const table = ['| process | rounds | median | min | max | / jk_cp | ls runs in the jail |', '|---|---:|---:|---:|---:|---:|---|'];
  for (const key of order) {
    const r = rows[key];
    if (!r.times.length) {
      table.push(`| ${r.label} | 0 | ${r.note || 'not run'} | | | | |`);
      continue;
    }
    const ran = runs[key] === undefined ? '' : runs[key] ? 'yes' : '**no**';
    table.push(`| ${r.label} | ${r.times.length} | ${fmtMs(med[key])} | ${fmtMs(Math.min(...r.times))} | ${fmtMs(Math.max(...r.times))} | ${fmtRatio(med[key] / med.jk)} | ${ran} |`);
  }
  const ratio = med.bundle / med.jk;
  const lines = [
    `one-program jail (base + ls): jailbuild / jk_cp = **${fmtRatio(ratio)}** (goal ≤ 3×: ${verdict(ratio, 3) || 'n/a'})`,
    `the same work as jk_cp (ls alone): jailbuild / jk_cp = ${fmtRatio(med.alone / med.jk)}`,
    `bundle against the unbundled modules: ${fmtMs(med.modules - med.bundle)} less per run (${fmtRatio(med.bundle / med.modules)} of the time)`,
    `the code cache: ${fmtMs(med.nocache - med.bundle)} less per run than the bundle compiled from source (${fmtRatio(med.bundle / med.nocache)} of the time)`,
    ...(med.nodeCa !== undefined ? [`NODE_EXTRA_CA_CERTS, set on this machine and unset for every other row, costs each Node process ${fmtMs(med.nodeCa - med.node)} at start-up`] : []),
    `Node's own floor (\`node -e ''\`) is ${fmtMs(med.node)}, ${fmtRatio(med.node / med.jk)} of jk_cp's whole run; \`--help\` (loading the CLI, parsing, printing) adds ${fmtMs(med.help - med.node)}; the base + ls build adds ${fmtMs(med.bundle - med.help)} beyond --help`,
  ];
  const body = [
    `Whole processes, ${opts.rounds} rounds after one untimed warm-up, in rotated order; each jail removed (untimed) and \`sync\` run before each build. jailbuild's analysis cache is on (\`XDG_CACHE_HOME\` in the temp folder), warm after the warm-up, as it is for a user's second build. The jails are in a temp folder under ${base} (jk_cp refuses a jail under a folder writable by group or others). The machine is shared and noisy: read the medians.`,
    '',
    ...table,
    '',
    ...lines.map((l) => `- ${l}`),
    ...spreadNotes(order.map((k) => rows[k])).map((n) => `- ${n}`),
    ...failureNotes(order.map((k) => rows[k])).map((n) => `- ${n}`),
  ];
  const r2 = (x) => (Number.isFinite(x) ? Number(x.toFixed(2)) : null);
  finish(body, [
    { what: 'one-program jail (base + ls): jailbuild / jk_cp', value: r2(ratio), unit: '×', goal: '≤ 3×', verdict: verdict(ratio, 3) },
    { what: 'ls alone: jailbuild / jk_cp', value: r2(med.alone / med.jk), unit: '×', goal: null },
    { what: 'bundle / unbundled modules, base + ls', value: r2(med.bundle / med.modules), unit: '×', goal: null },
    { what: 'code cache / no code cache, base + ls', value: r2(med.bundle / med.nocache), unit: '×', goal: null },
    { what: "`node -e ''`", value: Number.isFinite(med.node) ? Number(med.node.toFixed(1)) : null, unit: ' ms', goal: null },
  ]);
}

main().catch((err) => {
  console.error(`bench: ${err?.stack ?? err}`);
  process.exitCode = 1;
});
