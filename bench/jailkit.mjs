#!/usr/bin/env node
// Benchmark: jailkit's `jk_cp` against jailbuild, copying the same programs into an empty jail, and
// which of the programs then run inside each jail (`chroot JAIL PROGRAM --version`).
//
// Programs: bash, ls, curl, gs, latex (ELF programs; latex is a link to pdftex) and ps2pdf (a shell
// script that runs ps2pdf14 → ps2pdfwr → gs, dirname and basename). jk_cp refuses a jail under a
// folder that is writable by group or others (such as /tmp), so the jails go in a temp folder under
// /var/lib (or another root-owned, not world-writable folder). Each round builds both jails anew (the
// order rotated); jailbuild runs `profile P.json --out JAIL` with P.json = {"binaries": [...]}.
//
// Usage: node bench/jailkit.mjs [--rounds N] [--no-readme] [--no-install] [--summary FILE]
// Needs root (chroot) and a build (npx tsc -p tsconfig.json). Installs jailkit (and the programs'
// packages) with apt-get when missing, unless --no-install.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLI,
  ensurePackages,
  flushWrites,
  fmtMB,
  fmtMs,
  fmtRatio,
  machine,
  makeTemp,
  median,
  parseArgs,
  removeTemp,
  timeRounds,
  failureNotes,
  spreadNotes,
  timeSpawn,
  which,
  sectionFinisher,
  distMissing,
  safeBase,
} from './lib.mjs';

const HEADING = "## jailkit's jk_cp against jailbuild";
const PROGRAMS = [
  { name: 'bash', pkg: 'bash', args: ['--version'], ok: /GNU bash/ },
  { name: 'ls', pkg: 'coreutils', args: ['--version'], ok: /coreutils/ },
  { name: 'curl', pkg: 'curl', args: ['--version'], ok: /^curl \d/m },
  { name: 'gs', pkg: 'ghostscript', args: ['--version'], ok: /^\d+\.\d+/m },
  { name: 'latex', pkg: 'texlive-latex-base', args: ['--version'], ok: /pdfTeX/ },
  // a script chain: without arguments ps2pdfwr (run by ps2pdf14, run by ps2pdf) prints its usage
  { name: 'ps2pdf', pkg: 'ghostscript', args: [], ok: /Usage: ps2pdf/, script: true },
];
const opts = parseArgs(process.argv.slice(2), { name: 'jailkit.mjs', rounds: 5 });

function walk(dir) {
  const out = new Map();
  let files = 0;
  let links = 0;
  let dirs = 0;
  let bytes = 0;
  const visit = (rel) => {
    const abs = join(dir, rel);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) {
      links++;
      out.set(rel, `-> ${readlinkSync(abs)}`);
    } else if (st.isDirectory()) {
      dirs++;
      out.set(rel, 'dir');
      for (const n of readdirSync(abs).sort()) visit(rel === '/' ? `/${n}` : `${rel}/${n}`);
    } else {
      files++;
      bytes += st.size;
      out.set(rel, `file ${st.size}`);
    }
  };
  visit('/');
  out.delete('/');
  dirs--;
  return { entries: out, files, links, dirs, bytes };
}

function runIn(jail, prog) {
  const r = spawnSync('chroot', [jail, prog.path, ...prog.args], { encoding: 'utf8', timeout: 30000, stdio: ['ignore', 'pipe', 'pipe'] });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const ok = r.status !== 126 && r.status !== 127 && prog.ok.test(text);
  const line =
    text
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? `exit ${r.status}`;
  return { ok, status: r.status, line: line.length > 70 ? `${line.slice(0, 67)}…` : line };
}

async function main() {
  const m = machine();
  const finish = sectionFinisher(HEADING, '`node bench/jailkit.mjs` (`--rounds N`, `--no-readme`)', opts, m);
  if (distMissing(finish)) return;
  if (process.getuid?.() !== 0 || !which('chroot')) {
    finish(['Not measured: building jails and running `chroot` needs root.'], []);
    return;
  }

  // --- jailkit, from Debian's own package only
  const notes = [];
  let jkCp = which('jk_cp');
  let jkNote = '';
  if (!jkCp) {
    const policy = spawnSync('apt-cache', ['policy', 'jailkit'], { encoding: 'utf8' }).stdout ?? '';
    const candidate = /Candidate:\s*(\S+)/.exec(policy)?.[1];
    if (!candidate || candidate === '(none)') {
      // apt lists may just be stale: one update, then ask again
      ensurePackages(['jailkit'], { why: 'jk_cp', allowed: opts.install });
      jkCp = which('jk_cp');
      if (!jkCp) jkNote = 'jailkit is not packaged in Debian 12 here (`apt-cache policy jailkit` has no candidate); not measured';
    } else {
      ensurePackages(['jailkit'], { why: 'jk_cp', allowed: opts.install });
      jkCp = which('jk_cp');
      if (!jkCp) jkNote = `jailkit ${candidate} is in Debian but could not be installed here; not measured`;
    }
  }
  const jkVersion = jkCp ? spawnSync('dpkg-query', ['-W', '-f=${Version}', 'jailkit'], { encoding: 'utf8' }).stdout || '?' : '';

  // --- the programs
  const missingPkgs = [...new Set(PROGRAMS.filter((p) => !which(p.name)).map((p) => p.pkg))];
  if (missingPkgs.length) ensurePackages(missingPkgs, { why: 'the programs copied into the jails', allowed: opts.install });
  const progs = [];
  for (const p of PROGRAMS) {
    const path = which(p.name);
    if (!path) notes.push(`${p.name}: not installed, left out`);
    else progs.push({ ...p, path });
  }
  if (progs.length === 0) {
    finish(['Not measured: none of the programs is installed.'], []);
    return;
  }

  const base = safeBase();
  if (!base) {
    finish(['Not measured: no root-owned folder that is not writable by group or others for the jails (jk_cp refuses others).'], []);
    return;
  }
  const work = makeTemp('jailbuild-bench-jailkit-', base);
  const JK = join(work, 'jk');
  const JB = join(work, 'jb');
  const profile = join(work, 'programs.json');
  writeFileSync(profile, JSON.stringify({ name: 'programs', binaries: progs.map((p) => p.path) }, null, 2));
  const env = { ...process.env, XDG_CACHE_HOME: join(work, 'xdg') };

  const rows = {
    jk: {
      label: `\`jk_cp -j JAIL ${progs.map((p) => p.path).join(' ')}\` (jailkit ${jkVersion || '—'})`,
      note: jkNote,
      run: () => {
        rmSync(JK, { recursive: true, force: true });
        spawnSync('mkdir', ['-m', '755', JK]);
        flushWrites();
        return timeSpawn([jkCp, '-j', JK, ...progs.map((p) => p.path)], { cwd: work, env });
      },
    },
    jb: {
      label: '`jailbuild profile P.json --out JAIL` (P.json: `{"binaries": [the same paths]}`)',
      note: '',
      run: () => {
        rmSync(JB, { recursive: true, force: true });
        flushWrites();
        return timeSpawn([process.execPath, CLI, 'profile', profile, '--out', JB], { cwd: work, env });
      },
    },
  };
  const order = ['jk', 'jb'];
  timeRounds(rows, order, opts.rounds);

  // --- the jails as the last round left them
  const jails = {};
  for (const [key, dir] of [
    ['jk', JK],
    ['jb', JB],
  ]) {
    if (rows[key].times.length && existsSync(dir)) jails[key] = { dir, tree: walk(dir), runs: progs.map((p) => runIn(dir, p)) };
  }
  const med = { jk: median(rows.jk.times), jb: median(rows.jb.times) };
  const table = ['| tool | rounds | median | min | max | files | links | folders | size | time vs jailbuild |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  for (const key of order) {
    const r = rows[key];
    if (!r.times.length) {
      table.push(`| ${r.label} | 0 | ${r.note || 'not run'} | | | | | | | |`);
      continue;
    }
    const t = jails[key]?.tree;
    table.push(
      `| ${r.label} | ${r.times.length} | ${fmtMs(med[key])} | ${fmtMs(Math.min(...r.times))} | ${fmtMs(Math.max(...r.times))} | ` +
        `${t?.files ?? ''} | ${t?.links ?? ''} | ${t?.dirs ?? ''} | ${t ? fmtMB(t.bytes) : ''} | ${fmtRatio(med[key] / med.jb)} |`,
    );
  }
  const cell = (key, i) => {
    const j = jails[key];
    if (!j) return rows[key].note || 'not built';
    const res = j.runs[i];
    return `${res.ok ? '✅ runs' : '❌ fails'}: \`${res.line.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
  };
  const runTable = ['| program | inside the jk_cp jail | inside the jailbuild jail |', '|---|---|---|'];
  progs.forEach((p, i) => {
    const real = (() => {
      try {
        return realpathSync(p.path);
      } catch {
        return p.path;
      }
    })();
    runTable.push(`| \`chroot JAIL ${p.path}${p.args.length ? ` ${p.args.join(' ')}` : ''}\`${real !== p.path ? ` (→ ${real})` : ''}${p.script ? ' (script)' : ''} | ${cell('jk', i)} | ${cell('jb', i)} |`);
  });
  const runs = (key) => (jails[key] ? jails[key].runs.filter((r) => r.ok).length : NaN);
  if (jails.jk && jails.jb) {
    const a = jails.jk.tree.entries;
    const b = jails.jb.tree.entries;
    const onlyJk = [...a.keys()].filter((k) => !b.has(k));
    const onlyJb = [...b.keys()].filter((k) => !a.has(k));
    const show = (xs) =>
      xs.length
        ? `${xs
            .slice(0, 8)
            .map((x) => `\`${x}\``)
            .join(', ')}${xs.length > 8 ? `, … (${xs.length})` : ''}`
        : 'none';
    notes.push(`paths only in the jk_cp jail: ${show(onlyJk)}`);
    notes.push(`paths only in the jailbuild jail: ${show(onlyJb)}`);
  }
  const lines = [
    `time: jk_cp / jailbuild = **${fmtRatio(med.jk / med.jb)}**`,
    `programs that run: jk_cp jail ${Number.isFinite(runs('jk')) ? `${runs('jk')}/${progs.length}` : 'n/a'}, jailbuild jail ${Number.isFinite(runs('jb')) ? `${runs('jb')}/${progs.length}` : 'n/a'}`,
  ];
  const body = [
    `The same ${progs.length} programs (${progs.map((p) => `\`${p.name}\``).join(', ')}) copied into an empty jail by jailkit's \`jk_cp\` and by jailbuild, ` +
      `both jails in a temp folder under ${base} (jk_cp refuses a jail under a folder writable by group or others, such as /tmp). ` +
      `${opts.rounds} rounds after one untimed warm-up, both jails rebuilt from nothing each round (removing the old one and a \`sync\` are not timed), the order rotated. ` +
      'Then each program is run in each jail with `chroot` (root): "runs" means it started and printed what it prints outside (its version; ps2pdf its usage line). ' +
      "Neither jail has TeX's or Ghostscript's data files: that is what the `tex` and `ghostscript` profiles add. The machine is shared and noisy: read the medians.",
    '',
    ...table,
    '',
    ...runTable,
    '',
    ...lines.map((l) => `- ${l}`),
    ...(jkNote ? [`- ${jkNote}`] : []),
    ...notes.map((n) => `- ${n}`),
    ...spreadNotes(order.map((k) => rows[k])).map((n) => `- ${n}`),
    ...failureNotes(order.map((k) => rows[k])).map((n) => `- ${n}`),
  ];
  removeTemp(work);
  const r2 = (x) => (Number.isFinite(x) ? Number(x.toFixed(2)) : null);
  finish(body, [
    { what: 'jk_cp / jailbuild, time to copy the programs', value: r2(med.jk / med.jb), unit: '×', goal: null, verdict: jkNote || undefined },
    { what: `programs that run in the jail (of ${progs.length}): jk_cp`, value: Number.isFinite(runs('jk')) ? runs('jk') : null, unit: '', goal: null },
    { what: `programs that run in the jail (of ${progs.length}): jailbuild`, value: Number.isFinite(runs('jb')) ? runs('jb') : null, unit: '', goal: null },
  ]);
}

main().catch((err) => {
  console.error(`bench: ${err?.stack ?? err}`);
  process.exitCode = 1;
});
