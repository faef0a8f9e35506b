#!/usr/bin/env node
// Runs the test suite: installs the Debian packages the end-to-end tests use when they are missing
// (as root), then runs every compiled test file as its own uvu process, several at a time, and closes
// with "N passed, N failed".
//
//   node test/run.mjs [PATTERN...] [--jobs N]
//
// PATTERN is a regular expression (case-insensitive, as uvu takes it) matched against the file's path
// below dist/test, e.g. 'unit/', 'e2e/attack-.*' or 'tarball'; with several, a file must match each
// (`npm run test:unit -- plan` runs the unit files matching plan); default: every *.test.js. --jobs (or
// JAILBUILD_TEST_JOBS) is how many files run at once (default below). Files that change or depend on
// state of the host that others touch too run one after the other in one lane (HOST_LANE); the others
// each run on their own. Each file's output is kept until the file ends and then printed whole.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const top = join(here, '..');
const distTest = join(top, 'dist', 'test');

/**
 * How many test files run at once. Measured on the development machine (2 cores): 4 and 6 at a time
 * both took 140 s and kept both cores busy (vmstat: 1-2 % idle, no I/O wait), so more would only add
 * contention for the tests that race or wait; see README "## Tests".
 */
const DEFAULT_JOBS = 4;

/**
 * Files that share state of the host with each other, run one after the other, in this order, in a
 * single lane (the lane runs beside the other files):
 * - profiles and php-fpm add a test CA to the host's CA store and run update-ca-certificates (the
 *   --fresh that removes it rebuilds /etc/ssl/certs, which both copy into jails through the https
 *   profile), and start servers on 127.0.0.1 (php-fpm's dnsmasq on the fixed port 53);
 * - audit and why-chains build the https profile too: built while /etc/ssl/certs is being rebuilt, a
 *   build rightly stops (SOURCE_CHANGED: a source changed between plan and copy).
 * Read and found safe beside each other, so not in the lane: the tests that mount (tree-safety,
 * attack-mount, attack-review, php-fpm) mount and look only below their own temporary folders; no
 * test writes below /usr, which ldd-differential reads whole; the tests that race or wait
 * (tree-safety's interrupted rebuilds, attack-mount's swapper, attack-removal's inmates) measure
 * their timing as they go or assert outcomes that hold at any moment, not durations; every folder a
 * test writes comes from mkdtemp.
 */
const HOST_LANE = ['e2e/profiles.test.js', 'e2e/php-fpm.test.js', 'e2e/audit.test.js', 'e2e/why-chains.test.js'];

/**
 * Seconds each file took on the development machine with 4 files at a time: the longest lanes are
 * started first, so that none is left running alone at the end. A file not listed counts as 1 s (the
 * unit files, the short end-to-end ones).
 */
const SECONDS = {
  'e2e/attack-mount.test.js': 53,
  'e2e/tree-safety.test.js': 52,
  'e2e/build-variants.test.js': 52,
  'e2e/attack-profile-values.test.js': 46,
  'e2e/profiles.test.js': 44,
  'e2e/attack-review.test.js': 42,
  'e2e/attack-removal.test.js': 42,
  'e2e/scripts.test.js': 41,
  'e2e/php-fpm.test.js': 28,
  'e2e/ldd-differential.test.js': 24,
  'e2e/audit.test.js': 24,
  'e2e/tarball.test.js': 23,
  'e2e/input-fuzz.test.js': 20,
  'e2e/audit-tar-size.test.js': 20,
  'e2e/attack-sources.test.js': 11,
  'e2e/attack-secrets.test.js': 9,
  'e2e/attack-out.test.js': 9,
  'e2e/audit-bounds.test.js': 5,
  'e2e/why-chains.test.js': 20,
  'e2e/packed-install.test.js': 25,
};

function usage(message) {
  console.error(`test/run.mjs: ${message}\nusage: node test/run.mjs [PATTERN...] [--jobs N]`);
  console.log('0 passed, 1 failed');
  process.exit(2);
}

const patterns = [];
let jobs = Number(process.env.JAILBUILD_TEST_JOBS || DEFAULT_JOBS);
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const arg = args[i];
  if (arg === '--jobs' || arg === '-j') jobs = Number(args[++i]);
  else if (arg.startsWith('--jobs=')) jobs = Number(arg.slice('--jobs='.length));
  else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
  else {
    try {
      patterns.push(new RegExp(arg, 'i'));
    } catch (err) {
      usage(`PATTERN ${arg}: ${err.message}`);
    }
  }
}
if (!Number.isInteger(jobs) || jobs < 1) usage('--jobs needs a whole number of at least 1');

/** Every compiled test file below dist/test, as paths relative to it ('e2e/audit.test.js'). */
function testFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.js')) out.push(relative(distTest, path));
  }
  return out.sort();
}

let all;
try {
  all = testFiles(distTest);
} catch (err) {
  usage(`no compiled tests in ${distTest} (run npm run build first): ${err.message}`);
}
const files = all.filter((f) => patterns.every((p) => p.test(f)));
if (files.length === 0) usage(`no test file matches ${patterns.join(' and ')}`);

// The tests run the CLI through bin/jailbuild.js, which loads the bundle: after a plain `npx tsc` the
// bundle would still hold the code before it, so it is made again from what tsc wrote, with its code
// cache (about 2 s).
if (!process.env.JAILBUILD_TEST_NO_BUNDLE) {
  const bundle = spawnSync(process.execPath, [join(top, 'scripts', 'build-bundle.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (bundle.status !== 0) {
    console.error('test setup: bundling the CLI failed (scripts/build-bundle.mjs)');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

// The Debian packages are for the end-to-end tests only: the unit tests need none (and no root).
if (files.some((f) => f.startsWith('e2e/'))) {
  const deps = spawnSync('bash', [join(top, 'scripts', 'install-test-deps.sh')], { stdio: 'inherit' });
  if (deps.status !== 0) {
    console.error('test setup: installing the Debian packages the tests need failed');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

const weight = (f) => SECONDS[f] ?? 1;
/** Each lane is a list of files run one after the other: the host lane, then one lane per other file. */
const hostLane = HOST_LANE.filter((f) => files.includes(f));
const lanes = [...(hostLane.length > 0 ? [hostLane] : []), ...files.filter((f) => !HOST_LANE.includes(f)).map((f) => [f])];
lanes.sort((a, b) => b.reduce((s, f) => s + weight(f), 0) - a.reduce((s, f) => s + weight(f), 0));

// eslint-disable-next-line no-control-regex -- terminal colour codes start with ESC
const strip = (text) => text.replace(/\x1b\[[0-9;]*m/g, '');

/** Runs one test file in its own uvu process; resolves with its counts once its output is printed. */
function runFile(file) {
  const started = Date.now();
  const exact = `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  const child = spawn(process.execPath, [join(top, 'node_modules', 'uvu', 'bin.js'), distTest, exact, '-c', 'false'], {
    cwd: top,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks = [];
  child.stdout.on('data', (c) => chunks.push(c));
  child.stderr.on('data', (c) => chunks.push(c));
  return new Promise((resolve) => {
    child.on('error', (err) => chunks.push(Buffer.from(`\ntest/run.mjs: could not start uvu: ${err.message}\n`)));
    child.on('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8');
      const plain = strip(output);
      const totals = [...plain.matchAll(/Total:\s+(\d+)\s+Passed:\s+(\d+)/g)].at(-1);
      let passed = 0;
      let failed = 1;
      let note = '';
      if (totals) {
        passed = Number(totals[2]);
        failed = Number(totals[1]) - passed;
        if (code !== 0 && failed === 0) {
          failed = 1;
          note = `, exited with ${signal ?? `code ${code}`} after its tests`;
        }
      } else {
        note = `, crashed (${signal ?? `exit code ${code}`}) before uvu's summary`;
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const rule = `──── ${file}: ${passed} passed, ${failed} failed${note} (${seconds} s)`;
      const body = output.replace(/^\n+/, '').trimEnd();
      process.stdout.write(`\n${rule}\n${body}${body === '' ? '' : '\n'}`);
      resolve({ file, passed, failed });
    });
  });
}

async function runLane(lane, results) {
  for (const file of lane) results.push(await runFile(file));
}

const started = Date.now();
const results = [];
const queue = [...lanes];
const workers = Array.from({ length: Math.min(jobs, lanes.length) }, async () => {
  while (queue.length > 0) await runLane(queue.shift(), results);
});
console.log(`test/run.mjs: ${files.length} test files, ${Math.min(jobs, lanes.length)} at a time${hostLane.length > 1 ? `; one after the other: ${hostLane.join(', ')}` : ''}`);
await Promise.all(workers);

const passed = results.reduce((s, r) => s + r.passed, 0);
const failed = results.reduce((s, r) => s + r.failed, 0);
const failing = results.filter((r) => r.failed > 0).map((r) => r.file);
console.log(`\n${files.length} files in ${((Date.now() - started) / 1000).toFixed(1)} s${failing.length > 0 ? `; failed: ${failing.join(', ')}` : ''}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
