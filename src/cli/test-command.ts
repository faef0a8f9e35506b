import { describeDiagnosis } from '../jailtest/diagnose.js';
import { describeAddition } from '../jailtest/profile-additions.js';
import type { TestOutcome } from '../jailtest/run-tests.js';
import { type TestEvent, testProfile, type TestReport } from '../jailtest/test-profile.js';
import { JailError, printable } from '../errors.js';
import type { Output } from './output.js';

export interface TestCommandOptions {
  out?: string;
  fix?: string;
  rounds?: number;
  keep?: boolean;
  only?: string[];
  force?: boolean;
  serve?: string[];
  root?: string;
  set?: Record<string, string>;
  json?: boolean;
}

/** The last lines of a program's output, indented, for a failed test. */
function tail(text: string, lines = 12): string[] {
  const all = text.replace(/\n$/, '').split('\n');
  return (all.length > lines ? ['...', ...all.slice(-lines)] : all).filter((l) => l !== '' || all.length > 1);
}

function describeOutcome(o: TestOutcome): string[] {
  const seconds = (o.ms / 1000).toFixed(1);
  const who = o.user.name ?? `${o.user.uid}:${o.user.gid}`;
  if (o.passed) return [`  test '${o.name}' (as ${who}): passed (${seconds} s)`];
  const lines = [`  test '${o.name}' (as ${who}): FAILED (${seconds} s): ${o.failures.join('; ')}`];
  for (const [name, text] of [
    ['output', o.result.stdout],
    ['errors', o.result.stderr],
  ] as const) {
    if (text.trim() === '') continue;
    lines.push(`    ${name}:`, ...tail(text).map((l) => `      ${l}`));
  }
  return lines;
}

/** The report as JSON: every round's outcomes and diagnoses (the raw trace is left out: it only counts). */
function reportJson(report: TestReport): unknown {
  return {
    passed: report.passed,
    ended: report.ended,
    ...(report.jail !== undefined ? { jail: report.jail } : {}),
    ...(report.fixFile !== undefined ? { fix: report.fixFile } : {}),
    rounds: report.rounds.map((r) => ({
      round: r.round,
      profile: r.profile,
      tests: r.outcomes.map((o) => ({
        name: o.name,
        passed: o.passed,
        user: o.user,
        status: o.result.status,
        timedOut: o.result.timedOut,
        ...(o.result.setupError !== undefined ? { setupError: o.result.setupError } : {}),
        failures: o.failures,
        ms: o.ms,
        stdout: o.result.stdout,
        stderr: o.result.stderr,
        ...(o.accesses ? { tracedAccesses: o.accesses.length } : {}),
      })),
      diagnoses: r.diagnoses,
      added: r.added,
    })),
  };
}

/**
 * `jailbuild test PROFILE`: builds the jail, runs the profile's tests inside it, explains failures,
 * and with --fix repairs the profile round by round. Exit 0 all passed, 1 a test failed, 2 a usage
 * or profile error, 130 interrupted.
 */
export async function runTestCommand(nameOrPath: string, opts: TestCommandOptions, out: Output): Promise<number> {
  // Paths and output come from the program under test: control characters are shown escaped, so
  // that nothing it prints or names can forge a line of jailbuild's or move the terminal's cursor.
  const say = (line: string): void => {
    if (!opts.json) out.stdout(`${printable(line, 4000)}\n`);
  };
  const onEvent = (e: TestEvent): void => {
    if (e.type === 'round') say(`jailbuild: round ${e.round}: building ${e.profile}`);
    else if (e.type === 'built') say(`jailbuild: built ${e.jail} (${e.entries} entries); running the tests in it`);
    else if (e.type === 'test' && e.outcome) for (const line of describeOutcome(e.outcome)) say(line);
    else if (e.type === 'diagnosis') {
      say(`  test '${e.diagnosis.test}' failed (${e.diagnosis.failures.join('; ')}); traced again with strace:`);
      for (const line of describeDiagnosis(e.diagnosis)) say(`    - ${line}`);
    } else if (e.type === 'added') say(`jailbuild: added to ${e.file}: ${e.additions.map(describeAddition).join(', ')}`);
  };
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let report: TestReport;
  try {
    report = await testProfile(nameOrPath, {
      ...opts,
      signal: controller.signal,
      onEvent,
    });
  } catch (err) {
    if (err instanceof JailError && err.code === 'INTERRUPTED') {
      out.stderr(`jailbuild: ${err.message}\n`);
      return 130;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
  if (opts.json) {
    out.stdout(`${JSON.stringify(reportJson(report), null, 2)}\n`);
    return report.passed ? 0 : 1;
  }
  const last = report.rounds[report.rounds.length - 1];
  const total = last?.outcomes.length ?? 0;
  const failed = last?.outcomes.filter((o) => !o.passed).length ?? 0;
  const rounds = report.rounds.length === 1 ? '1 round' : `${report.rounds.length} rounds`;
  if (report.passed) say(`jailbuild: ${total} test(s) passed${opts.fix !== undefined ? ` after ${rounds}` : ''}${report.fixFile ? `; the fixed profile is ${report.fixFile}` : ''}`);
  else {
    const why =
      report.ended === 'nothing-new'
        ? `; the last round found nothing new to add: the failure is not a missing file (read the output above)`
        : report.ended === 'rounds'
          ? `; stopped after ${rounds} (--rounds)`
          : opts.fix === undefined
            ? '; add what the diagnosis names to the profile, or run again with --fix FILE'
            : '';
    say(`jailbuild: ${failed} of ${total} test(s) failed${why}`);
  }
  if (report.jail !== undefined) say(`jailbuild: the jail is kept at ${report.jail}`);
  return report.passed ? 0 : 1;
}
