import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mountsBelow as mountsInside } from '../../src/mounts/mounts-below.js';

/** Every temporary folder made by a test; removed at exit even when a test fails. */
const made = new Set<string>();
process.on('exit', () => {
  for (const dir of made) removeDir(dir);
});

/** Mount points at or below `dir`, deepest first. */
function mountsBelow(dir: string): string[] {
  return mountsInside(dir).sort((a, b) => b.length - a.length);
}

/**
 * A fresh temporary folder that is removed when the process exits. It is opened to others (0755),
 * like the folders admins keep sources in: jailbuild keeps out of a jail whatever lies in a folder
 * others may not enter (mkdtemp makes 0700 ones).
 */
export function tempDir(prefix = 'jailbuild-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  chmodSync(dir, 0o755);
  return dir;
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
