import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JailError } from '../errors.js';
import type { TestFileSpec } from '../profile/profile-types.js';
import type { NamespaceRequest, NamespaceResult } from './inside-namespaces.js';
import { straceArgs } from './strace-log.js';

/** A command to run inside a jail, as an unprivileged user, cut off from the host. */
export interface JailCommand {
  /** Host path of the jail. */
  jail: string;
  /** Text for the jail's `/bin/sh -c`. */
  run: string;
  uid: number;
  gid: number;
  /** The whole environment it gets. */
  env: Record<string, string>;
  /** Folder inside the jail it starts in. */
  cwd: string;
  timeoutMs: number;
  /** Mount a read-only /proc (hidepid=2) in the jail first. */
  proc: boolean;
  /** The profile's bind mounts, made first (the profile file and its --set values). */
  mounts?: { profile: string; set: Record<string, string> };
  /** Run under strace, writing PREFIX.PID files (see strace-log.ts). */
  tracePrefix?: string;
  /** Input files placed first, owned by uid:gid. */
  files?: TestFileSpec[];
  /** Paths that must exist when the command is done. */
  expectFiles?: string[];
  /**
   * Host commands (`sh -c` text) started first, as root, outside the jail but in its network
   * namespace: a local stand-in for a server the jail talks to. Given on the command line only,
   * never by a profile. They die with the namespace.
   */
  serve?: string[];
}

export interface JailRunResult {
  /** Exit status of the command; null when it was killed (timeout, abort). */
  status: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** What went wrong before the command could start (a mount), when something did. */
  setupError?: string;
  /** Of the files expected, those the command did not leave. */
  missingFiles: string[];
}

/** Output kept per stream: enough for any message, bounded whatever a test prints. */
const MAX_OUTPUT = 1024 * 1024;

const INSIDE = fileURLToPath(new URL('./inside-namespaces.js', import.meta.url));

/** Where a program is installed (found on PATH), or undefined. */
export function programPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path.startsWith('/') ? path : undefined;
}

/** The Debian package of each program the runner uses, for the error when one is missing. */
const PACKAGES: Record<string, string> = { unshare: 'util-linux', chroot: 'coreutils', env: 'coreutils', strace: 'strace', ip: 'iproute2' };

/** Refuses clearly when a program the runner needs is missing. */
export function requirePrograms(names: string[]): void {
  for (const name of names) {
    if (programPath(name) === undefined) throw new JailError('USAGE', `${name} is not installed here, and jailbuild test needs it (Debian package ${PACKAGES[name] ?? name})`);
  }
}

/**
 * Runs one command in a jail: in fresh mount, PID and network namespaces (`unshare`: the only network
 * is the namespace's own loopback, no host process is visible, and the mounts made for the run vanish
 * with it: an empty tmpfs on the jail's /tmp, /proc, the profile's mounts), chrooted, as `uid:gid`,
 * with exactly its environment, under a timeout. On the timeout, or
 * when the caller kills the child it is given (Ctrl-C), the namespace's first process dies and the
 * kernel kills every process left in it. Resolves when all have exited.
 */
export function runInNamespaces(cmd: JailCommand, onStart?: (child: ChildProcess) => void): Promise<JailRunResult> {
  requirePrograms(['unshare', 'chroot', 'env', ...(cmd.tracePrefix !== undefined ? ['strace'] : [])]);
  const envArgs = Object.entries(cmd.env).map(([k, v]) => `${k}=${v}`);
  // The jail's own /bin/sh starts in the test's folder, then runs the test's text.
  // env -i empties PATH too: chroot is named by its full path.
  const chroot = ['env', '-i', ...envArgs, programPath('chroot') as string, `--userspec=${cmd.uid}:${cmd.gid}`, cmd.jail, '/bin/sh', '-c', 'cd "$1" && exec /bin/sh -c "$2"', 'sh', cmd.cwd, cmd.run];
  // The result comes back through a file outside the jail: nothing inside can reach it to forge it.
  const resultDir = mkdtempSync(join(tmpdir(), 'jailbuild-run-'));
  const resultFile = join(resultDir, 'result.json');
  const request: NamespaceRequest = {
    jail: cmd.jail,
    proc: cmd.proc,
    freshTmp: true,
    ...(cmd.mounts ? { mounts: cmd.mounts } : {}),
    files: cmd.files ?? [],
    uid: cmd.uid,
    gid: cmd.gid,
    expectFiles: cmd.expectFiles ?? [],
    serve: cmd.serve ?? [],
    cwd: process.cwd(),
    resultFile,
    command: cmd.tracePrefix !== undefined ? ['strace', ...straceArgs(cmd.tracePrefix), ...chroot] : chroot,
  };
  const args = ['--mount', '--pid', '--net', '--fork', '--mount-proc', '--kill-child', process.execPath, INSIDE, JSON.stringify(request)];
  return new Promise((resolve) => {
    const child = spawn('unshare', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
    onStart?.(child);
    const out = { stdout: '', stderr: '' };
    const take =
      (key: 'stdout' | 'stderr') =>
      (chunk: Buffer): void => {
        if (out[key].length < MAX_OUTPUT) out[key] += chunk.toString('utf8').slice(0, MAX_OUTPUT - out[key].length);
      };
    child.stdout.on('data', take('stdout'));
    child.stderr.on('data', take('stderr'));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, cmd.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      let inside: NamespaceResult = {};
      try {
        inside = JSON.parse(readFileSync(resultFile, 'utf8')) as NamespaceResult;
      } catch {
        // Killed (timeout, Ctrl-C) before it could say anything.
      }
      rmSync(resultDir, { recursive: true, force: true });
      const result: JailRunResult = { status: timedOut || code === null ? null : code, timedOut, stdout: out.stdout, stderr: out.stderr, missingFiles: inside.missing ?? cmd.expectFiles ?? [] };
      if (inside.setupError !== undefined) result.setupError = inside.setupError;
      resolve(result);
    });
  });
}
