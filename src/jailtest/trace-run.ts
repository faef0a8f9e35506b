import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolveHostPath } from 'node:path';
import { JailError } from '../errors.js';
import { PackageIndex } from '../packages/package-index.js';
import { buildPlan } from '../plan/build-plan.js';
import { loadProfileFromObject } from '../profile/load-profile.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import { RootFs } from '../rootfs/rootfs.js';
import { basenameInside } from '../rootfs/inside-path.js';
import { type NeedContext, needOf, type Refusal } from './access-needs.js';
import { programPath, requirePrograms } from './namespace-run.js';
import { packageFolder } from './package-folders.js';
import { type Addition, mergeAdditions } from './profile-additions.js';
import { type Access, readTrace, straceArgs } from './strace-log.js';

export interface TraceOptions {
  /** The source root the command runs in (chrooted); default the host, `/`. */
  root?: string;
  /** Account (uid[:gid] or a name the root knows) the command runs as; default whoever runs jailbuild. */
  user?: string;
  /** Folder the command starts in (default the current one): what it reads and writes there is its input and output, not the jail's. */
  cwd?: string;
  /** Called with each chunk of the command's output (default: none kept). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: Buffer) => void;
  /** Kills the traced command. */
  signal?: AbortSignal;
}

export interface TraceResult {
  /** The command's exit status (null when killed). */
  status: number | null;
  /** Every access the trace shows, for --json. */
  accesses: Access[];
  /** The profile lines that hold what the command used. */
  additions: Addition[];
  /** Paths it used that are not added, and why. */
  refusals: Refusal[];
}

/** Files read in one package folder from which the folder is added whole, rather than each file. */
const FILES_FOR_A_TREE = 2;

/** `lilypond --png x.ly`, as the reason says it. */
function commandText(command: string[]): string {
  return command.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

/**
 * Turns what a command used (the accesses that worked) into profile lines: programs it ran as
 * binaries; files it read, collapsed into their package's folder when it read several there (see
 * packageFolder); folders it listed; devices; /proc. What static resolution already brings with the
 * programs (the libraries they link) is left out: the trace adds, never replaces. What the command
 * wrote, and what lies in its own folder or in /tmp, is its input and output, not the jail's.
 */
export function additionsFromTrace(accesses: Access[], fs: SourceRoot, command: string[], options: { cwd?: string; index?: PackageIndex } = {}): { additions: Addition[]; refusals: Refusal[] } {
  const text = commandText(command);
  const ctx: NeedContext = { fs, ...(options.index ? { index: options.index } : {}), treeForOne: false };
  const cwd = options.cwd;
  const used = accesses.filter(
    (a) =>
      a.errno === undefined &&
      (a.program !== undefined || a.kind === 'exec') &&
      !a.writes &&
      (a.kind === 'exec' || a.kind === 'open' || a.kind === 'list' || a.kind === 'connect') &&
      !(cwd !== undefined && cwd !== '/' && (a.path === cwd || a.path.startsWith(`${cwd}/`))),
  );
  const because = (a: Access): string => (a.program === undefined ? `run as "${text}"` : `${a.kind === 'exec' ? 'run' : 'read'} by ${basenameInside(a.program)} during "${text}"`);
  const refusals = new Map<string, Refusal>();
  const lines: Addition[] = [];
  // Files read, by the package folder they lie in: a folder read from more than once is added whole.
  const byFolder = new Map<string, Array<{ access: Access; line: Addition }>>();
  for (const a of used) {
    const need = needOf(a.path, a.kind, ctx);
    if (need === null) continue;
    if ('refusal' in need) {
      refusals.set(need.refusal.path, need.refusal);
      continue;
    }
    const line: Addition = { ...need.addition, because: because(a), from: [a.path] };
    // A file read (data, or a library or module dlopen()ed): counted for its package's folder.
    if (a.kind !== 'exec' && (line.field === 'files' || line.field === 'binaries') && ctx.index) {
      const folder = packageFolder(fs.lookup(a.path).path, ctx.index);
      if (folder !== undefined) {
        byFolder.set(folder, [...(byFolder.get(folder) ?? []), { access: a, line }]);
        continue;
      }
    }
    lines.push(line);
  }
  for (const [folder, reads] of byFolder) {
    const distinct = new Set(reads.map((r) => r.access.path));
    const first = reads[0] as { access: Access; line: Addition };
    if (distinct.size < FILES_FOR_A_TREE) {
      lines.push(first.line);
      continue;
    }
    const resolve = reads.some((r) => r.line.field === 'binaries');
    lines.push({ field: 'trees', path: folder, ...(resolve ? { resolve: true } : {}), because: `${distinct.size} files ${because(first.access)}`, from: [...distinct].slice(0, 5) });
  }
  const merged = mergeAdditions(lines);
  return { additions: withoutResolved(merged, fs), refusals: [...refusals.values()] };
}

/**
 * Leaves out the files (and libraries given as binaries) that the programs' static resolution brings
 * anyway: the libraries they link, the interpreters of their scripts.
 */
function withoutResolved(additions: Addition[], fs: SourceRoot): Addition[] {
  const programs = additions.filter((a) => a.field === 'binaries' && !/\.so(\.[0-9.]+)?$/.test(a.path));
  if (programs.length === 0 || !(fs instanceof RootFs)) return additions;
  let placed: Set<string>;
  try {
    const profile = loadProfileFromObject({ root: fs.root, binaries: programs.map((p) => ({ path: p.path, optional: true })) }, { file: '<trace>' });
    const plan = buildPlan(profile);
    placed = new Set(plan.entries.flatMap((e) => [e.path, ...(e.source !== undefined ? [e.source] : [])]));
  } catch {
    return additions;
  }
  return additions.filter((a) => a.field === 'trees' || a.field === 'proc' || !(placed.has(a.path) || placed.has(fs.lookup(a.path).path)) || programs.includes(a));
}

/** Resolves `--user`: `uid[:gid]`, or a name the host knows (its uid and primary group). */
function userSpec(user: string | undefined): string | undefined {
  if (user === undefined) return undefined;
  if (/^\d+(:\d+)?$/.test(user)) return user.includes(':') ? user : `${user}:${user}`;
  if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(user)) throw new JailError('USAGE', `--user ${JSON.stringify(user)}: expected a user name or uid[:gid]`, { field: '--user' });
  return user;
}

/**
 * `jailbuild trace`: runs a working command under strace — on the host, or chrooted into `root` —
 * as `user`, and turns what it used into profile lines (see additionsFromTrace). The command's own
 * output goes to `onOutput`. Needs root when `root` or `user` is given (chroot, changing user).
 */
export async function traceCommand(command: string[], options: TraceOptions = {}): Promise<TraceResult> {
  if (command.length === 0) throw new JailError('USAGE', 'no command to trace: jailbuild trace [options] -- COMMAND [ARGS...]');
  requirePrograms(['strace', ...(options.root !== undefined || options.user !== undefined ? ['chroot'] : [])]);
  const root = resolveHostPath(options.root ?? '/');
  const fs = new RootFs(root);
  const spec = userSpec(options.user);
  const dir = mkdtempSync(join(tmpdir(), 'jailbuild-trace-'));
  const prefix = join(dir, 'trace');
  const cwd = resolveHostPath(options.cwd ?? process.cwd());
  // chroot (to / on the host) changes the user the way a jail's runner does: the same lookups, the same groups.
  const wrapped = options.root !== undefined || spec !== undefined ? [programPath('chroot') as string, ...(spec !== undefined ? [`--userspec=${spec}`] : []), root, ...command] : command;
  try {
    const status = await new Promise<number | null>((resolveRun, reject) => {
      const child = spawn('strace', [...straceArgs(prefix), ...wrapped], { cwd: options.root !== undefined ? '/' : cwd, stdio: ['inherit', 'pipe', 'pipe'] });
      const kill = (): void => {
        child.kill('SIGKILL');
      };
      options.signal?.addEventListener('abort', kill);
      child.stdout.on('data', (c: Buffer) => options.onOutput?.('stdout', c));
      child.stderr.on('data', (c: Buffer) => options.onOutput?.('stderr', c));
      child.on('error', reject);
      child.on('close', (code) => {
        options.signal?.removeEventListener('abort', kill);
        resolveRun(code);
      });
    });
    if (options.signal?.aborted) throw new JailError('INTERRUPTED', 'stopped: the traced command was killed');
    const accesses = readTrace(prefix, options.root !== undefined || spec !== undefined ? root : undefined);
    const index = PackageIndex.ofDpkg(fs);
    const inside = options.root !== undefined ? undefined : cwd;
    const { additions, refusals } = additionsFromTrace(accesses, fs, command, { ...(inside !== undefined ? { cwd: inside } : {}), index });
    return { status, accesses, additions, refusals };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
