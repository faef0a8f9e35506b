import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mountsBelow as mountsInside } from '../../src/mounts/mounts-below.js';

/** Every temporary folder made by a test and not removed yet; removed at exit even when a test fails. */
const made = new Set<string>();
/** Folders made by `tempDir()` since the last `cleanupTempDirs()`: the current test's. */
const ofThisTest = new Set<string>();
process.on('exit', () => {
  for (const dir of [...made].reverse()) removeDir(dir);
});

/** Mount points at or below `dir`, deepest first. */
function mountsBelow(dir: string): string[] {
  return mountsInside(dir).sort((a, b) => b.length - a.length);
}

function makeDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  chmodSync(dir, 0o755);
  return dir;
}

/**
 * A fresh temporary folder for the current test: removed by the next `cleanupTempDirs()` (every test
 * file calls it after each test: `test.after.each(cleanupTempDirs)`), and at exit at the latest. It is
 * opened to others (0755), like the folders admins keep sources in: jailbuild keeps out of a jail
 * whatever lies in a folder others may not enter (mkdtemp makes 0700 ones).
 */
export function tempDir(prefix = 'jailbuild-test-'): string {
  const dir = makeDir(prefix);
  ofThisTest.add(dir);
  return dir;
}

/**
 * A temporary folder that several tests of a file share (a program compiled once, a fixture made on
 * first use): `cleanupTempDirs()` leaves it, it is removed when the test process exits.
 */
export function fileTempDir(prefix = 'jailbuild-test-'): string {
  return makeDir(prefix);
}

/**
 * Removes the folders `tempDir()` made since the last call, newest first, unmounting anything mounted
 * below them first and never deleting through a mount (see `removeDir`). Meant as every test file's
 * `test.after.each` hook, so that the big jails go as each test ends, not all at exit. Never throws:
 * a folder it cannot remove is reported and left for the exit handler.
 */
export function cleanupTempDirs(): void {
  const dirs = [...ofThisTest].reverse();
  ofThisTest.clear();
  for (const dir of dirs) {
    try {
      removeDir(dir);
    } catch (err) {
      process.stderr.write(`test cleanup: ${dir}: ${(err as Error).message}\n`);
    }
  }
}

/** Removes a test folder; anything still mounted below it is unmounted first, never deleted through. */
export function removeDir(dir: string): void {
  for (const point of mountsBelow(dir)) spawnSync('umount', ['-l', point]);
  if (mountsBelow(dir).length > 0) {
    process.stderr.write(`test cleanup: ${dir} still has mounts below it; left in place\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
  ofThisTest.delete(dir);
}

export type TreeNode = string | Buffer | { link: string } | { dir: true };

/** Writes a small file tree (a sysroot) under `root`: paths map to contents, links or folders. */
export function writeTree(root: string, tree: Record<string, TreeNode>): string {
  for (const [path, node] of Object.entries(tree)) {
    const host = join(root, path);
    mkdirSync(dirname(host), { recursive: true });
    if (typeof node === 'string' || Buffer.isBuffer(node)) writeFileSync(host, node, { mode: 0o755 });
    else if ('link' in node) symlinkSync(node.link, host);
    else mkdirSync(host, { recursive: true });
  }
  return root;
}

/** A temporary sysroot holding `tree`. */
export function sysroot(tree: Record<string, TreeNode>): string {
  return writeTree(tempDir('jailbuild-root-'), tree);
}
