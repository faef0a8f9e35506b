import { spawnSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Need } from '../../src/index.js';

/**
 * Lays the needs of a resolution out under `jail`: files copied with their modes, links recreated
 * as links. A minimal stand-in for a tree emitter, so resolver tests can run programs in a chroot.
 */
export function layOut(needs: Need[], sourceRoot: string, jail: string): void {
  const prefix = sourceRoot === '/' ? '' : sourceRoot;
  for (const need of needs) {
    const dest = join(jail, need.path);
    mkdirSync(dirname(dest), { recursive: true });
    if (need.kind === 'symlink') symlinkSync(need.target as string, dest);
    else {
      copyFileSync(prefix + need.path, dest);
      spawnSync('chmod', [(lstatSync(prefix + need.path).mode & 0o7777).toString(8), dest]);
    }
  }
}

export interface JailRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command chrooted into `jail`; returns its exit status and output. With `proc`, /proc is
 * mounted in the jail for the run and unmounted afterwards, whatever happens.
 */
export function runInJail(jail: string, argv: string[], opts: { env?: Record<string, string>; proc?: boolean; input?: string } = {}): JailRun {
  const env = opts.env ?? { PATH: '/usr/bin:/bin' };
  const procDir = join(jail, 'proc');
  if (opts.proc) {
    mkdirSync(procDir, { recursive: true });
    const m = spawnSync('mount', ['-t', 'proc', 'proc', procDir]);
    if (m.status !== 0) throw new Error(`mount proc in ${jail}: ${m.stderr}`);
  }
  try {
    const res = spawnSync('/usr/sbin/chroot', [jail, ...argv], { encoding: 'utf8', env, timeout: 60_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });
    return { status: res.status, stdout: res.stdout ?? '', stderr: (res.stderr ?? '') + (res.error ? String(res.error) : '') };
  } finally {
    if (opts.proc) spawnSync('umount', ['-l', procDir]);
  }
}

/** Runs a command chrooted into `jail` as an unprivileged user (`uid:gid`, default 33:33, Debian's www-data). */
export function runInJailAs(jail: string, argv: string[], user = '33:33', opts: { env?: Record<string, string>; timeout?: number } = {}): JailRun {
  const res = spawnSync('/usr/sbin/chroot', [`--userspec=${user}`, jail, ...argv], { encoding: 'utf8', env: opts.env ?? { PATH: '/usr/bin:/bin' }, timeout: opts.timeout ?? 60_000 });
  return { status: res.status, stdout: res.stdout ?? '', stderr: (res.stderr ?? '') + (res.error ? String(res.error) : '') };
}
