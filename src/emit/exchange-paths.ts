import { spawnSync } from 'node:child_process';
import { renameSync } from 'node:fs';

/** renameat2's syscall number per architecture (RENAME_EXCHANGE swaps two paths in one step). */
const RENAMEAT2: Partial<Record<NodeJS.Architecture, number>> = { x64: 316, arm64: 276, ia32: 353, arm: 382, riscv64: 276, ppc64: 357, s390x: 347, loong64: 276 };
const AT_FDCWD = -100;
const RENAME_EXCHANGE = 2;

/**
 * Swaps two existing paths atomically with renameat2(RENAME_EXCHANGE): at every moment each name holds
 * one complete tree. Node has no binding for it, so it goes through perl's syscall(), which every
 * Debian system has (perl-base is essential). Returns false when the swap cannot be done that way (no
 * perl, an unknown architecture, a kernel or file system without RENAME_EXCHANGE).
 */
export function exchangePaths(a: string, b: string): boolean {
  const nr = RENAMEAT2[process.arch];
  if (nr === undefined) return false;
  const script = `my ($a, $b) = @ARGV; exit(syscall(${nr}, ${AT_FDCWD}, $a, ${AT_FDCWD}, $b, ${RENAME_EXCHANGE}) == 0 ? 0 : 1);`;
  const run = spawnSync('perl', ['-e', script, a, b], { stdio: 'ignore' });
  return run.status === 0;
}

/**
 * Puts `fresh` in place of `current` (both existing folders) and leaves the previous tree at
 * `retired`: atomically when the kernel can exchange, else with two renames (a crash between them is
 * repaired by the next build: see recoverLeftovers).
 */
export function swapInto(fresh: string, current: string, retired: string): void {
  if (exchangePaths(fresh, current)) {
    renameSync(fresh, retired);
    return;
  }
  renameSync(current, retired);
  renameSync(fresh, current);
}
