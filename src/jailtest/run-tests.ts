import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JailError } from '../errors.js';
import type { Located, Profile, TestSpec } from '../profile/profile-types.js';
import { DEFAULT_PATH } from '../resolve/program-resolver.js';
import { type JailRunResult, runInNamespaces } from './namespace-run.js';
import { type Access, MAX_TRACE_BYTES, readTrace } from './strace-log.js';

/** Bytes of the files in a folder (not below it). */
function folderBytes(dir: string): number {
  let sum = 0;
  for (const name of readdirSync(dir)) {
    try {
      sum += statSync(join(dir, name)).size;
    } catch {
      // Gone meanwhile.
    }
  }
  return sum;
}

/** Who a test runs as. */
export interface TestUser {
  uid: number;
  gid: number;
  /** The account's name in the jail, when the profile names it. */
  name?: string;
}

/** What one test did. */
export interface TestOutcome {
  name: string;
  passed: boolean;
  user: TestUser;
  result: JailRunResult;
  /** Each expectation that did not hold, in words. */
  failures: string[];
  ms: number;
  /** The accesses of a second run under strace (failing tests, when asked). */
  accesses?: Access[];
}

export interface RunTestsOptions {
  /** Host path of the built jail. */
  jail: string;
  /** The profile file and --set values, for the mounts made inside the test's namespaces. */
  profileRef: { profile: string; set: Record<string, string>; alsoTrusted?: string[] };
  /** Run a failing test again under strace and keep what it accessed. */
  trace?: boolean;
  /** Tests to run (by name); default all. */
  only?: string[];
  /** Called as each test starts and ends. */
  onTest?: (event: { name: string; outcome?: TestOutcome }) => void;
  /** Gets each namespace's first process, so that a Ctrl-C can kill it. */
  onChild?: (child: ChildProcess) => void;
  /** Host commands started in each test's network namespace first (see JailCommand.serve). */
  serve?: string[];
  /** Stops the run: the current test's processes are killed and runTests rejects with INTERRUPTED. */
  signal?: AbortSignal;
}

const NOBODY = 65534;

function interrupted(): JailError {
  return new JailError('INTERRUPTED', 'stopped: the tests were interrupted; their processes are killed and nothing is left mounted');
}

/** The profile's tests, a later one of the same name replacing an earlier one (a profile can redefine what it extends). */
export function testsOf(profile: Profile): Located<TestSpec>[] {
  const byName = new Map<string, Located<TestSpec>>();
  for (const t of profile.tests) byName.set(t.name, t);
  return [...byName.values()];
}

/** A test's account: its `user` (a name the profile's accounts know, or a number), else the profile's first user, else 65534. */
export function testUser(test: TestSpec, profile: Profile): TestUser {
  const account = (v: string | number): { uid: number; gid: number; name?: string } => {
    if (typeof v === 'number' || /^\d+$/.test(v)) {
      const uid = Number(v);
      const u = profile.users.find((x) => Number(x.uid) === uid);
      return { uid, gid: u ? Number(u.gid) : uid, ...(u ? { name: u.name } : {}) };
    }
    const u = profile.users.find((x) => x.name === v);
    if (!u) throw new JailError('INPUT', `${test.name}: user ${JSON.stringify(v)} is no account of the profile (name one of its users, or give a number)`, { field: 'tests' });
    return { uid: Number(u.uid), gid: Number(u.gid), name: u.name };
  };
  const first = profile.users[0];
  const user = test.user !== undefined ? account(test.user) : first ? { uid: Number(first.uid), gid: Number(first.gid), name: first.name } : { uid: NOBODY, gid: NOBODY };
  if (user.uid === 0) throw new JailError('INPUT', `${test.name}: a test never runs as root (uid 0): there is no user namespace, root in the jail is root on the host`, { field: 'tests' });
  if (test.group !== undefined) {
    const g = test.group;
    const gid = typeof g === 'number' || /^\d+$/.test(g) ? Number(g) : Number(profile.groups.find((x) => x.name === g)?.gid ?? NaN);
    if (!Number.isInteger(gid)) throw new JailError('INPUT', `${test.name}: group ${JSON.stringify(g)} is no group of the profile`, { field: 'tests' });
    user.gid = gid;
  }
  if (user.gid === 0) throw new JailError('INPUT', `${test.name}: a test never runs with group 0 (root's)`, { field: 'tests' });
  return user;
}

/** How long a test's `expect.stdout` pattern may run on the output (the output is the program's: it may be made to make a pattern backtrack forever). */
const PATTERN_SECONDS = 2;

/** Whether `pattern` (multi-line) matches `text`; undefined when it ran out of time. */
function matchesWithin(pattern: string, text: string): boolean | undefined {
  const re = new RegExp(pattern, 'm');
  try {
    return runInNewContext('re.test(text)', { re, text }, { timeout: PATTERN_SECONDS * 1000 }) as boolean;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return undefined;
    throw err;
  }
}

/** What did not come of a run as the test expected. */
function checkExpectations(test: TestSpec, result: JailRunResult): string[] {
  const failures: string[] = [];
  if (result.setupError !== undefined) return [`setup failed: ${result.setupError}`];
  if (result.timedOut) return [`stopped after ${test.timeout ?? 60} s`];
  const exit = test.expect?.exit ?? 0;
  if (result.status !== exit) failures.push(`exit status ${String(result.status)}, expected ${exit}`);
  if (test.expect?.stdout !== undefined) {
    const matched = matchesWithin(test.expect.stdout, result.stdout);
    if (matched === undefined) failures.push(`the pattern ${JSON.stringify(test.expect.stdout)} took over ${PATTERN_SECONDS} s on the output: write a simpler one`);
    else if (!matched) failures.push(`standard output does not match ${JSON.stringify(test.expect.stdout)}`);
  }
  for (const f of result.missingFiles) failures.push(`${f} was not made`);
  return failures;
}

/**
 * Runs a profile's tests in a built jail, one after the other: each in fresh namespaces, chrooted, as
 * its user, from an empty /tmp that holds its input files (see runInNamespaces). A failing test is, when asked, run
 * again under strace, and what it accessed is kept for the diagnosis.
 */
export async function runTests(profile: Profile, options: RunTestsOptions): Promise<TestOutcome[]> {
  const outcomes: TestOutcome[] = [];
  const tests = testsOf(profile).filter((t) => !options.only || options.only.includes(t.name));
  for (const test of tests) {
    options.onTest?.({ name: test.name });
    const user = testUser(test, profile);
    const started = Date.now();
    const command = {
      jail: options.jail,
      run: test.run,
      uid: user.uid,
      gid: user.gid,
      env: { PATH: profile.path ?? DEFAULT_PATH, HOME: '/tmp', ...(test.env ?? {}) },
      cwd: test.cwd ?? '/tmp',
      timeoutMs: (test.timeout ?? 60) * 1000,
      proc: profile.proc,
      files: test.files ?? [],
      expectFiles: test.expect?.files ?? [],
      ...(profile.mounts.length > 0 ? { mounts: options.profileRef } : {}),
      ...(options.serve?.length ? { serve: options.serve } : {}),
    };
    const result = await runInNamespaces(command, options.onChild);
    if (options.signal?.aborted) throw interrupted();
    const failures = checkExpectations(test, result);
    const outcome: TestOutcome = { name: test.name, passed: failures.length === 0, user, result, failures, ms: Date.now() - started };
    if (!outcome.passed && options.trace && result.setupError === undefined) {
      const dir = mkdtempSync(join(tmpdir(), 'jailbuild-trace-'));
      try {
        // The second run starts as the first did: from an empty /tmp with the inputs in it.
        // A trace grows as fast as the program makes calls: past MAX_TRACE_BYTES the run is stopped.
        let child: ChildProcess | undefined;
        const watch = setInterval(() => {
          if (folderBytes(dir) > MAX_TRACE_BYTES) child?.kill('SIGKILL');
        }, 500);
        try {
          await runInNamespaces({ ...command, tracePrefix: join(dir, 'trace') }, (c) => {
            child = c;
            options.onChild?.(c);
          });
        } finally {
          clearInterval(watch);
        }
        if (options.signal?.aborted) throw interrupted();
        outcome.accesses = readTrace(join(dir, 'trace'), options.jail);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    outcomes.push(outcome);
    options.onTest?.({ name: test.name, outcome });
  }
  return outcomes;
}
