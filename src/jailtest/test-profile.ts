import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve as resolveHostPath } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { loadProfileWithSettings } from '../config/profile-settings.js';
import { removeTreeSafely } from '../emit/safe-remove.js';
import { writeTree } from '../emit/write-tree.js';
import { JailError } from '../errors.js';
import { PackageIndex } from '../packages/package-index.js';
import { buildPlan, type Plan } from '../plan/build-plan.js';
import type { Profile } from '../profile/profile-types.js';
import { RootFs } from '../rootfs/rootfs.js';
import { type Diagnosis, diagnose } from './diagnose.js';
import { requirePrograms } from './namespace-run.js';
import { type Addition, additionKey } from './profile-additions.js';
import { presentLines } from './profile-lines.js';
import { writeAdditions } from './profile-patch.js';
import { runTests, testsOf, type TestOutcome } from './run-tests.js';

export interface TestProfileOptions {
  /** --set values for the profile's variables. */
  set?: Record<string, string>;
  /** The source root, instead of the profile's. */
  root?: string;
  /** Build the jail here (a folder jailbuild built, empty, or new) instead of a temporary folder. */
  out?: string;
  /** Write what the diagnosis finds into this profile (it extends the one tested), rebuild, test again. */
  fix?: string;
  /** Most build-and-test rounds with `fix` (default 8). */
  rounds?: number;
  /** Keep the temporary jail (its path is in the report). */
  keep?: boolean;
  /** Run only these tests. */
  only?: string[];
  /** Replace `out` even when jailbuild's mark does not vouch for it. */
  force?: boolean;
  /** Host commands started in each test's network namespace before it runs (a local stand-in for a server the jail talks to). */
  serve?: string[];
  /** Stops the run: the test's processes are killed, the temporary jail removed; the promise rejects. */
  signal?: AbortSignal;
  onEvent?: (event: TestEvent) => void;
}

/** What a run reports as it goes, for progress. */
export type TestEvent =
  | { type: 'round'; round: number; profile: string }
  | { type: 'built'; round: number; jail: string; entries: number }
  | { type: 'test'; round: number; name: string; outcome?: TestOutcome }
  | { type: 'diagnosis'; round: number; diagnosis: Diagnosis }
  | { type: 'added'; round: number; file: string; additions: Addition[] };

/** One build and test of a profile. */
export interface TestRound {
  round: number;
  /** The profile file built and tested in this round. */
  profile: string;
  outcomes: TestOutcome[];
  diagnoses: Diagnosis[];
  /** Lines written into the fix file after this round. */
  added: Addition[];
}

export interface TestReport {
  passed: boolean;
  /** Why the run ended. */
  ended: 'passed' | 'failed' | 'nothing-new' | 'rounds';
  rounds: TestRound[];
  /** Where the jail is, when it is kept (--out or --keep). */
  jail?: string;
  fixFile?: string;
}

/** How a fix file names the profile it extends: its name when it is a shipped or configured one, else its path from the fix file's folder. */
export function extendsReference(nameOrPath: string, profileFile: string, fixFile: string): string {
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  if (!looksLikePath) return nameOrPath;
  const rel = relative(dirname(resolveHostPath(fixFile)), resolveHostPath(profileFile));
  return rel.startsWith('.') || isAbsolute(rel) ? rel : `./${rel}`;
}

function aborted(): JailError {
  return new JailError('INTERRUPTED', 'stopped: the tests were interrupted; their processes are killed and nothing is left mounted');
}

/** Builds the profile's jail at `dest` (replaced whole, as `jailbuild profile` does). */
async function build(profile: Profile, dest: string, force: boolean): Promise<Plan> {
  const plan = buildPlan(profile);
  await writeTree(plan.entries, new RootFs(profile.root), dest, { mtime: plan.mtime, force, reads: plan.reads });
  return plan;
}

/**
 * `jailbuild test`: builds the profile's jail, runs its tests inside it (see runTests), and explains
 * each failure from a second, traced run (see diagnose). With `fix`, what the diagnosis finds is
 * written into the fix file (a profile extending the tested one), which is built and tested in turn,
 * until the tests pass, a round finds nothing new, or the rounds run out.
 */
export async function testProfile(nameOrPath: string, options: TestProfileOptions = {}): Promise<TestReport> {
  const config = loadConfig();
  const set = options.set ?? {};
  const settings = { set, ...(options.root !== undefined ? { root: options.root } : {}) };
  const first = loadProfileWithSettings(nameOrPath, settings, config);
  if (testsOf(first).length === 0) throw new JailError('USAGE', `${first.file}: the profile has no tests (add "tests": [{"name", "run", "expect"}])`, { file: first.file, field: '/tests' });
  requirePrograms(['unshare', 'chroot', 'env', 'strace']);
  const maxRounds = options.fix !== undefined ? (options.rounds ?? 8) : 1;
  let fixRef: string | undefined;
  if (options.fix !== undefined) fixRef = extendsReference(nameOrPath, first.file, options.fix);
  const temp = options.out === undefined ? mkdtempSync(join(tmpdir(), 'jailbuild-test-')) : undefined;
  const dest = options.out ?? join(temp as string, 'jail');
  let current: ChildProcess | undefined;
  const kill = (): void => {
    current?.kill('SIGKILL');
  };
  options.signal?.addEventListener('abort', kill);
  const report: TestReport = { passed: false, ended: 'failed', rounds: [] };
  let index: PackageIndex | undefined;
  let keepJail = options.keep === true || options.out !== undefined;
  try {
    for (let round = 1; round <= maxRounds; round++) {
      // The fix file, once there is one, is what is built: it extends the profile and adds the fixes.
      const profileRef = options.fix !== undefined && existsSync(options.fix) ? resolveHostPath(options.fix) : nameOrPath;
      // The fix file extends the profile named: that one keeps its right to grant (secrets, setuid bits, devices).
      const profile = round === 1 && profileRef === nameOrPath ? first : loadProfileWithSettings(profileRef, { ...settings, alsoTrusted: [first.file] }, config);
      options.onEvent?.({ type: 'round', round, profile: profile.file });
      const plan = await build(profile, dest, Boolean(options.force));
      if (options.signal?.aborted) throw aborted();
      options.onEvent?.({ type: 'built', round, jail: realpathSync(dest), entries: plan.entries.length });
      const outcomes = await runTests(profile, {
        jail: realpathSync(dest),
        profileRef: { profile: profile.file, set, alsoTrusted: [first.file] },
        trace: true,
        ...(options.only ? { only: options.only } : {}),
        ...(options.serve ? { serve: options.serve } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onTest: ({ name, outcome }) => options.onEvent?.({ type: 'test', round, name, ...(outcome ? { outcome } : {}) }),
        onChild: (child) => {
          current = child;
          if (options.signal?.aborted) kill();
        },
      });
      if (options.signal?.aborted) throw aborted();
      const state: TestRound = { round, profile: profile.file, outcomes, diagnoses: [], added: [] };
      report.rounds.push(state);
      const failed = outcomes.filter((o) => !o.passed);
      if (failed.length === 0) {
        report.passed = true;
        report.ended = 'passed';
        break;
      }
      const fs = new RootFs(profile.root);
      index ??= PackageIndex.ofDpkg(fs);
      const jailFs = new RootFs(realpathSync(dest));
      const { present, trees } = presentLines(profile);
      for (const outcome of failed) {
        if (outcome.accesses === undefined) continue;
        const diagnosis = diagnose(outcome, { fs, index, jail: jailFs, present, presentTrees: trees });
        state.diagnoses.push(diagnosis);
        options.onEvent?.({ type: 'diagnosis', round, diagnosis });
      }
      if (options.fix === undefined || fixRef === undefined) break;
      const wanted = state.diagnoses.flatMap((d) => d.additions).filter((a) => !present.has(additionKey(a)));
      state.added = wanted.length > 0 ? writeAdditions(options.fix, fixRef, wanted) : [];
      if (state.added.length === 0) {
        report.ended = 'nothing-new';
        break;
      }
      options.onEvent?.({ type: 'added', round, file: options.fix, additions: state.added });
      if (round === maxRounds) report.ended = 'rounds';
    }
    if (options.fix !== undefined && existsSync(options.fix)) report.fixFile = options.fix;
  } catch (err) {
    keepJail = keepJail && !(err instanceof JailError && err.code === 'INTERRUPTED');
    throw err;
  } finally {
    options.signal?.removeEventListener('abort', kill);
    if (temp !== undefined && !keepJail) removeTreeSafely(temp);
  }
  if (keepJail) report.jail = resolveHostPath(dest);
  return report;
}
