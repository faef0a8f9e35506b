/**
 * The first process inside the namespaces `jailbuild test` makes (run by runInNamespaces, as root):
 * it brings the loopback up, mounts an empty tmpfs on the jail's /tmp, /proc and the profile's bind
 * mounts where asked — inside the new mount namespace only, so they vanish with it — places the
 * test's input files, runs the command, checks the files it must leave, and writes what came of it
 * to the result file (outside the jail: nothing inside can forge it). It exits with the command's
 * status. Its one argument is the file that holds the request, as JSON (see NamespaceRequest).
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadProfileWithSettings } from '../config/profile-settings.js';
import { describeError } from '../errors.js';
import { bindMounts } from '../mounts/bind-mounts.js';
import { mountFreshTmp, mountProc } from '../mounts/run-time-mounts.js';
import type { TestFileSpec } from '../profile/profile-types.js';
import { missingFiles, placeTestFiles } from './test-files.js';

export interface NamespaceRequest {
  jail: string;
  proc: boolean;
  /** Mount an empty tmpfs on the jail's /tmp first. */
  freshTmp: boolean;
  mounts?: { profile: string; set: Record<string, string>; alsoTrusted?: string[] };
  /** Input files, placed owned by uid:gid. */
  files: TestFileSpec[];
  uid: number;
  gid: number;
  /** Paths that must exist afterwards. */
  expectFiles: string[];
  /** Host commands started first (sh -c, as root, in `cwd`, outside the jail): stand-ins for servers. */
  serve: string[];
  cwd: string;
  /** Host path where the result goes (see NamespaceResult). */
  resultFile: string;
  command: string[];
}

export interface NamespaceResult {
  setupError?: string;
  /** Of expectFiles, those the command did not leave. */
  missing?: string[];
}

const request = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as NamespaceRequest;

function report(result: NamespaceResult): void {
  writeFileSync(request.resultFile, JSON.stringify(result));
}

function setupFailed(what: string, err: unknown): never {
  report({ setupError: `${what}: ${describeError(err)}` });
  process.exit(125);
}

spawnSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'ignore' });
// Started before the jail's mounts: they see the host as it is, and only this namespace's network.
for (const text of request.serve) {
  const server = spawn('sh', ['-c', text], { cwd: request.cwd, stdio: ['ignore', 'ignore', 'inherit'], detached: false });
  server.on('error', (err) => setupFailed(`starting ${text}`, err));
}
// The input files go into the fresh /tmp before any mount of the profile is made: never into a
// host folder mounted in the jail.
const steps: Array<[string, () => unknown]> = [
  ['mounting an empty /tmp in the jail', () => request.freshTmp && mountFreshTmp(request.jail)],
  ['mounting /proc in the jail', () => request.proc && mountProc(request.jail)],
  ["placing the test's files", () => placeTestFiles(request.jail, request.files, request.uid, request.gid)],
  [
    "making the profile's mounts",
    () => {
      if (!request.mounts) return;
      const profile = loadProfileWithSettings(request.mounts.profile, { set: request.mounts.set, ...(request.mounts.alsoTrusted ? { alsoTrusted: request.mounts.alsoTrusted } : {}) });
      bindMounts(profile.mounts, request.jail, () => undefined);
    },
  ],
];
for (const [what, step] of steps) {
  try {
    step();
  } catch (err) {
    setupFailed(what, err);
  }
}
const [program, ...args] = request.command;
const run = spawnSync(program as string, args, { stdio: 'inherit' });
if (run.error) setupFailed(`starting ${program ?? '?'}`, run.error);
report({ missing: missingFiles(request.jail, request.expectFiles) });
process.exit(run.status ?? 128 + 9);
