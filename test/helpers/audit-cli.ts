import { Command } from 'commander';
import { registerAudit } from '../../src/cli/audit-command.js';
import { describeError, JailError } from '../../src/errors.js';
import type { CliRun } from './cli.js';

/**
 * Runs `jailbuild audit ARGS` in this process through registerAudit, with main.ts's exit codes (a
 * JailError of code INPUT or USAGE is 2): the command is tested whether or not main.ts registers it.
 */
export async function auditCli(args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const out = { stdout: (s: string): void => void (stdout += s), stderr: (s: string): void => void (stderr += s) };
  const program = new Command('jailbuild').exitOverride().configureOutput({ writeOut: out.stdout, writeErr: out.stderr });
  registerAudit(program, out, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(['audit', ...args], { from: 'user' });
  } catch (err) {
    const exit = (err as { exitCode?: number }).exitCode;
    if (exit !== undefined) code = exit === 0 ? 0 : 2;
    else {
      out.stderr(`jailbuild: ${describeError(err)}\n`);
      code = err instanceof JailError && (err.code === 'USAGE' || err.code === 'INPUT') ? 2 : 1;
    }
  }
  return { code, stdout, stderr };
}
