import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { printable } from '../errors.js';

/** A process whose root folder (chroot) or working folder lies inside a given tree. */
export interface ProcessInside {
  pid: number;
  /** Its name, from /proc/PID/comm. */
  command: string;
  /** 'root' when it is chrooted into the tree, 'cwd' when only its working folder is there. */
  how: 'root' | 'cwd';
}

/**
 * The processes living in `dir` (a host path, as the kernel names it now: after a rename, the new
 * name), found through /proc/PID/root and /proc/PID/cwd. Processes this one may not inspect are
 * skipped: run as root to see them all.
 */
export function processesInside(dir: string): ProcessInside[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const inside = (p: string): boolean => p === dir || p.startsWith(prefix);
  const out: ProcessInside[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
  } catch {
    return out;
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    let how: ProcessInside['how'] | undefined;
    try {
      if (inside(readlinkSync(`/proc/${pid}/root`))) how = 'root';
      else if (inside(readlinkSync(`/proc/${pid}/cwd`))) how = 'cwd';
    } catch {
      continue;
    }
    if (!how) continue;
    let command = '?';
    try {
      command = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      // Gone meanwhile.
    }
    out.push({ pid: Number(pid), command, how });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** `1234 (php-fpm8.2), 1240 (php-fpm8.2)`: for messages, the first few and a count. */
export function describeProcesses(list: ProcessInside[], shown = 8): string {
  // A process names itself (prctl PR_SET_NAME): an inmate's name must not forge lines or escapes.
  const head = list
    .slice(0, shown)
    .map((p) => `${p.pid} (${printable(p.command, 64)})`)
    .join(', ');
  return list.length > shown ? `${head} and ${list.length - shown} more` : head;
}
