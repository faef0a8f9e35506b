#!/usr/bin/env node
// Runs the whole suite: installs the Debian packages the tests use when they are missing (as root),
// then every compiled test file with uvu, and closes with "N passed, N failed".
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const top = join(here, '..');

const deps = spawnSync('bash', [join(top, 'scripts', 'install-test-deps.sh')], { stdio: 'inherit' });
if (deps.status !== 0) {
  console.error('test setup: installing the Debian packages the tests need failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const pattern = process.argv[2] ?? '\\.test\\.js$';
const child = spawn(process.execPath, [join(top, 'node_modules', 'uvu', 'bin.js'), join(top, 'dist', 'test'), pattern, '-c', 'false'], {
  cwd: top,
  stdio: ['ignore', 'pipe', 'inherit'],
});
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});
child.on('close', (code) => {
  const plain = tail.replace(/\x1b\[[0-9;]*m/g, '');
  const total = Number(/Total:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  const passed = Number(/Passed:\s+(\d+)/.exec(plain)?.[1] ?? NaN);
  if (Number.isNaN(total) || Number.isNaN(passed)) {
    console.log(`0 passed, 1 failed`);
    process.exit(code || 1);
  }
  const failed = Math.max(total - passed, code === 0 ? 0 : 1);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(code === 0 && failed === 0 ? 0 : 1);
});
