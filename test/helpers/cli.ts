import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's top folder (tests run from dist/test/...). */
export const TOP = fileURLToPath(new URL('../../..', import.meta.url));
export const BIN = join(TOP, 'bin', 'jailbuild.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the jailbuild CLI as a user would. */
export function jailbuild(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {}): CliRun {
  const res = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? '/',
    env: { ...process.env, ...opts.env },
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
