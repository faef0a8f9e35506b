import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  mounts?: { profile: string; set: Record<string, string>; alsoTrusted?: string[] };
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

// Named through ../jailtest/ so the path is right from dist/src/jailtest/ and from the CLI bundle in dist/src/bundle/.
const INSIDE = fileURLToPath(new URL('../jailtest/inside-namespaces.js', import.meta.url));

/** Where a program is installed (found on PATH), or undefined. */
export function programPath(name: string): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path.startsWith('/') ? path : undefined;
}

/** The Debian package of each program the runner uses, for the error when one is missing. */
const PACKAGES: Record<string, string> = { unshare: 'util-linux', setpriv: 'util-linux', prlimit: 'util-linux', chroot: 'coreutils', env: 'coreutils', strace: 'strace', ip: 'iproute2' };

/** The programs every test run needs. */
export const RUNNER_PROGRAMS = ['unshare', 'setpriv', 'prlimit', 'env', 'chroot'];

/**
 * Processes the test's uid may have at once (RLIMIT_NPROC, counted host-wide for that uid: there is
 * no user namespace): a fork bomb stops there instead of taking every process id of the host.
 */
export const MAX_PROCESSES = 2048;

/**
 * What the jail's /bin/sh does first, as the test's user: go to the test's folder, take the test's
 * variables from its arguments (they never pass through the environment of the host programs that
 * start it, which run as root: LD_PRELOAD there would be root's), then run the test's text.
 */
const IN_JAIL = 'cd "$1" || exit 126; run=$2; shift 2; for kv do export "$kv" || exit 126; done; exec /bin/sh -c "$run"';

/**
 * The command that enters the jail: no new privileges for anything it starts (setuid bits and file
 * capabilities count for nothing, in the jail and in its mounts), a bounding set with only what
 * chroot and the change of user need (all gone once the user is not root), a process limit, an
 * empty environment, then chroot as uid:gid with that one group.
 */
export function jailCommand(cmd: Pick<JailCommand, 'jail' | 'run' | 'uid' | 'gid' | 'env' | 'cwd'>): string[] {
  const where = (name: string): string => programPath(name) as string;
  const envArgs = Object.entries(cmd.env).map(([k, v]) => `${k}=${v}`);
  return [
    where('setpriv'),
    '--no-new-privs',
    '--bounding-set=-all,+sys_chroot,+setuid,+setgid,+dac_override,+dac_read_search',
    '--',
    where('prlimit'),
    `--nproc=${MAX_PROCESSES}`,
    '--',
    where('env'),
    '-i',
    where('chroot'),
    `--userspec=${cmd.uid}:${cmd.gid}`,
    `--groups=${cmd.gid}`,
    cmd.jail,
    '/bin/sh',
    '-c',
    IN_JAIL,
    'sh',
    cmd.cwd,
    cmd.run,
    ...envArgs,
  ];
}

/** Refuses clearly when a program the runner needs is missing. */
export function requirePrograms(names: string[]): void {
  for (const name of names) {
    if (programPath(name) === undefined) throw new JailError('USAGE', `${name} is not installed here, and jailbuild test needs it (Debian package ${PACKAGES[name] ?? name})`);
  }
}

/**
 * Runs one command in a jail: in fresh mount, PID, network, IPC and UTS namespaces (`unshare`: the only network
 * is the namespace's own loopback, no host process is visible, and the mounts made for the run vanish
 * with it: an empty tmpfs on the jail's /tmp, /proc, the profile's mounts), chrooted, as `uid:gid`,
 * with exactly its environment, under a timeout. On the timeout, or
 * when the caller kills the child it is given (Ctrl-C), the namespace's first process dies and the
 * kernel kills every process left in it. Resolves when all have exited.
 */
export function runInNamespaces(cmd: JailCommand, onStart?: (child: ChildProcess) => void): Promise<JailRunResult> {
  requirePrograms([...RUNNER_PROGRAMS, ...(cmd.tracePrefix !== undefined ? ['strace'] : [])]);
  if (cmd.uid === 0 || cmd.gid === 0) throw new JailError('INPUT', `a test never runs as root (uid ${cmd.uid}, gid ${cmd.gid}): there is no user namespace, root in the jail is root on the host`, { field: 'tests' });
  const chroot = jailCommand(cmd);
  // The request and the result pass through files in a folder only root may enter: nothing inside
  // the jail can reach them to forge the result, and a request of any size fits.
  const resultDir = mkdtempSync(join(tmpdir(), 'jailbuild-run-'));
  const resultFile = join(resultDir, 'result.json');
  const requestFile = join(resultDir, 'request.json');
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
  writeFileSync(requestFile, JSON.stringify(request), { mode: 0o600 });
  const args = ['--mount', '--pid', '--net', '--ipc', '--uts', '--fork', '--mount-proc', '--kill-child', process.execPath, INSIDE, requestFile];
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
