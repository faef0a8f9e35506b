import { existsSync, readFileSync } from 'node:fs';
import { JailError, printable } from '../errors.js';
import { writeFileWhole } from '../io/write-whole.js';
import { parseJsonDocument } from '../profile/json-document.js';
import { basename, dirname, resolve as resolveHostPath } from 'node:path';
import { additionKey, describeAddition, profileValue } from '../jailtest/profile-additions.js';
import { presentLines } from '../jailtest/profile-lines.js';
import { loadProfileFromObject } from '../profile/load-profile.js';
import { addToProfileText } from '../jailtest/profile-patch.js';
import { traceCommand, type TraceResult } from '../jailtest/trace-run.js';
import type { Output } from './output.js';

export interface TraceCommandOptions {
  root?: string;
  user?: string;
  write?: string;
  json?: boolean;
}

/** The lines as a profile of their own, `{"extends": "base", ...}`, for printing. */
function asProfile(result: TraceResult): Record<string, unknown> {
  const doc: Record<string, unknown> = { extends: 'base' };
  for (const a of result.additions) {
    if (a.field === 'proc') doc.proc = true;
    else doc[a.field] = [...((doc[a.field] as unknown[] | undefined) ?? []), profileValue(a)];
  }
  return doc;
}

/**
 * `jailbuild trace -- COMMAND`: runs it under strace and prints (or, with --write, merges into a
 * profile file, keeping its comments and layout) the profile lines that hold what it used. Exit 0
 * when the command succeeded, 1 when it failed (the lines are printed all the same: a partial
 * trace is still a start), 2 usage.
 */
export async function runTraceCommand(command: string[], opts: TraceCommandOptions, out: Output): Promise<number> {
  if (opts.write !== undefined && existsSync(opts.write)) parseJsonDocument(readFileSync(opts.write, 'utf8'), opts.write);
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  let result: TraceResult;
  try {
    result = await traceCommand(command, {
      ...(opts.root !== undefined ? { root: opts.root } : {}),
      ...(opts.user !== undefined ? { user: opts.user } : {}),
      signal: controller.signal,
      // The command's output goes where jailbuild's would not be mistaken for it: standard error.
      onOutput: (_stream, chunk) => out.stderr(chunk.toString('utf8')),
    });
  } catch (err) {
    if (err instanceof JailError && err.code === 'INTERRUPTED') {
      out.stderr(`jailbuild: ${err.message}\n`);
      return 130;
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', stop);
  }
  const failed = result.status !== 0;
  if (failed) out.stderr(`jailbuild: warning: the command exited with status ${String(result.status)}: what it used before that is below, but a jail built from it may lack what a successful run needs\n`);
  for (const r of result.refusals) out.stderr(`jailbuild: not added: ${printable(r.path, 400)}: ${printable(r.why, 400)}\n`);
  if (opts.write !== undefined) {
    const existing = existsSync(opts.write) ? readFileSync(opts.write, 'utf8') : `${JSON.stringify({ extends: 'base' }, null, 2)}\n`;
    // What the profile has already, through what it extends too, is not added again.
    const profile = loadProfileFromObject(parseJsonDocument(existing, opts.write).value, { file: basename(opts.write), dir: dirname(resolveHostPath(opts.write)) });
    const { present, trees } = presentLines(profile);
    const inTree = (p: string): boolean => trees.some((t) => p === t || p.startsWith(`${t}/`));
    const wanted = result.additions.filter((a) => !present.has(additionKey(a)) && !((a.field === 'files' || a.field === 'trees' || a.field === 'directories') && inTree(a.path)));
    const { text, added } = addToProfileText(existing, wanted);
    writeFileWhole(opts.write, text);
    if (opts.json) out.stdout(`${JSON.stringify({ status: result.status, file: opts.write, added, refusals: result.refusals }, null, 2)}\n`);
    else out.stdout(`jailbuild: ${added.length} line(s) added to ${opts.write}${added.length > 0 ? `: ${printable(added.map(describeAddition).join(', '), 8000)}` : ''}\n`);
  } else if (opts.json) {
    out.stdout(`${JSON.stringify({ status: result.status, profile: asProfile(result), additions: result.additions, refusals: result.refusals, accesses: result.accesses.length }, null, 2)}\n`);
  } else out.stdout(`${JSON.stringify(asProfile(result), null, 2)}\n`);
  return failed ? 1 : 0;
}
