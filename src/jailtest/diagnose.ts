import type { FileStat } from '../rootfs/file-stat.js';
import { basenameInside, splitInside } from '../rootfs/inside-path.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import { type NeedContext, needOf, type Refusal } from './access-needs.js';
import { type Addition, additionKey, describeAddition, mergeAdditions } from './profile-additions.js';
import type { TestOutcome, TestUser } from './run-tests.js';
import type { Access, AccessKind } from './strace-log.js';

/** The errors that say a path is missing or closed (what a jail that lacks something gives). */
const FAILURES = new Set(['ENOENT', 'EACCES', 'ELOOP', 'ENOTDIR']);

/** A path in the jail its user may not use, and the mode that says so. */
export interface PermissionProblem {
  path: string;
  why: string;
}

/** What a failing test's trace shows the jail lacks. */
export interface Diagnosis {
  test: string;
  /** The test's failures in words (exit status, output, files). */
  failures: string[];
  /** Profile lines that add what the test looked for and the source root has. */
  additions: Addition[];
  /** Paths the jail has but the test's user cannot use. */
  permissions: PermissionProblem[];
  /** Paths the source root has that are not added, and why. */
  refusals: Refusal[];
}

export interface DiagnoseContext extends Omit<NeedContext, 'treeForOne'> {
  /** The built jail, read as a root. */
  jail: SourceRoot;
  /** Lines the profile has already (additionKey): never suggested again. */
  present: Set<string>;
  /** Trees the profile has already: nothing below them is suggested. */
  presentTrees: string[];
}

const VERBS: Record<AccessKind, string> = { exec: 'ran', open: 'opened', list: 'listed', stat: 'looked for', readlink: 'read the link', connect: 'connected to' };

/** `lilypond opened /usr/share/lilypond/2.24.1/scm/lily.scm (ENOENT)` */
export function describeAccessInWords(a: Access): string {
  const who = a.program !== undefined ? basenameInside(a.program) : 'the test';
  return `${who} ${VERBS[a.kind]} ${a.path}${a.errno !== undefined ? ` (${a.errno})` : ''}`;
}

/**
 * Accesses a program's own search makes: it failed here, but the same process later reached a file of
 * the same name elsewhere (the loader's folders, PATH, an interpreter's module path).
 */
function searchProbes(accesses: Access[]): Set<Access> {
  const probes = new Set<Access>();
  const reachedLater = new Map<string, number>();
  accesses.forEach((a, i) => {
    if (a.errno === undefined) reachedLater.set(`${a.pid}\0${basenameInside(a.path)}`, i);
  });
  accesses.forEach((a, i) => {
    if (a.errno === undefined) return;
    const later = reachedLater.get(`${a.pid}\0${basenameInside(a.path)}`);
    if (later !== undefined && later > i) probes.add(a);
  });
  return probes;
}

/** The bits of `mode` that apply to `user` (owner, group, others: 4 read, 2 write, 1 search). */
function bitsFor(st: FileStat, user: TestUser): number {
  if (user.uid === 0) return 7;
  if (st.uid === user.uid) return (st.mode >> 6) & 7;
  if (st.gid === user.gid) return (st.mode >> 3) & 7;
  return st.mode & 7;
}

function modeText(st: FileStat): string {
  return `mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, owner ${st.uid}:${st.gid}`;
}

/** Why `user` cannot reach `path` in the jail (a folder on the way it may not enter, a file it may not read or run), or null. */
export function permissionAtFault(jail: SourceRoot, path: string, user: TestUser, kind: AccessKind): string | null {
  const parts = splitInside(path);
  const who = user.name !== undefined ? `${user.name} (${user.uid}:${user.gid})` : `${user.uid}:${user.gid}`;
  for (let i = 0; i < parts.length; i++) {
    const here = '/' + parts.slice(0, i).join('/');
    const st = jail.lstat(here);
    if (st?.isDirectory() && (bitsFor(st, user) & 1) === 0) return `${here} is ${modeText(st)}: ${who} may not enter it`;
  }
  const found = jail.lookup(path);
  const st = found.stats;
  if (!st) return null;
  const need = kind === 'exec' ? 1 : kind === 'list' ? 5 : kind === 'open' ? 4 : 0;
  if (need !== 0 && (bitsFor(st, user) & need) !== need) return `${found.path} is ${modeText(st)}: ${who} may not ${kind === 'exec' ? 'run' : 'read'} it`;
  return null;
}

/**
 * Explains a failing test from its trace: every access that failed (ENOENT, EACCES, ELOOP, ENOTDIR)
 * on a path the source root has becomes the profile line that adds it (see needOf; a file of a
 * package's folder brings the folder, since a failing program stops at the first file it misses);
 * a path the jail has but the test's user may not use names the mode at fault. A program's own
 * searches (a miss followed by a hit on the same name) and paths the source lacks as well ask nothing.
 */
export function diagnose(outcome: TestOutcome, ctx: DiagnoseContext): Diagnosis {
  const accesses = outcome.accesses ?? [];
  const probes = searchProbes(accesses);
  const additions: Addition[] = [];
  const permissions = new Map<string, PermissionProblem>();
  const refusals = new Map<string, Refusal>();
  const needCtx: NeedContext = { fs: ctx.fs, ...(ctx.index ? { index: ctx.index } : {}), treeForOne: true };
  const below = (p: string): boolean => ctx.presentTrees.some((t) => p === t || p.startsWith(`${t}/`));
  // One line per file however it was reached (/bin/troff and /usr/bin/troff with a merged /usr).
  const seenReal = new Set<string>();
  for (const a of accesses) {
    if (a.errno === undefined || !FAILURES.has(a.errno) || probes.has(a)) continue;
    // Before its first program the process is the runner's chroot (it looks the user up): not the test's.
    if (a.program === undefined) continue;
    const inJail = ctx.jail.lookup(a.path, a.kind !== 'readlink');
    if (inJail.kind !== 'missing' && a.errno === 'EACCES') {
      const why = permissionAtFault(ctx.jail, a.path, outcome.user, a.kind);
      if (why !== null && !permissions.has(why)) permissions.set(why, { path: a.path, why });
      continue;
    }
    const need = needOf(a.path, a.kind, needCtx);
    if (need === null) continue;
    if ('refusal' in need) {
      refusals.set(need.refusal.path, need.refusal);
      continue;
    }
    const addition: Addition = { ...need.addition, because: `test '${outcome.name}': ${describeAccessInWords(a)}`, from: [a.path] };
    if (ctx.present.has(additionKey(addition)) || ((addition.field === 'files' || addition.field === 'trees') && below(addition.path))) continue;
    if (addition.field === 'binaries' || addition.field === 'files') {
      const real = `${addition.field}\0${ctx.fs.lookup(addition.path).path}`;
      if (seenReal.has(real)) continue;
      seenReal.add(real);
    }
    additions.push(addition);
  }
  return { test: outcome.name, failures: outcome.failures, additions: mergeAdditions(additions), permissions: [...permissions.values()], refusals: [...refusals.values()] };
}

/** A diagnosis in words, one line per finding (see the README's "Does the jail work?"). */
export function describeDiagnosis(d: Diagnosis): string[] {
  const lines: string[] = [];
  for (const a of d.additions) {
    const shown = (a.packages ?? []).slice(0, 3).join(', ') + ((a.packages?.length ?? 0) > 3 ? ` and ${(a.packages?.length ?? 0) - 3} more` : '');
    const pkg = a.packages?.length ? ` (package ${shown})` : '';
    const what = a.because.replace(/^test '[^']*': /, '');
    const why = a.field === 'proc' ? 'the jail has no /proc' : a.field === 'devices' || a.field === 'symlinks' ? 'a device the jail lacks' : `which the source root has${pkg}`;
    lines.push(`${what}, ${why}: add ${describeAddition(a)}`);
  }
  for (const p of d.permissions) lines.push(`${p.path} is in the jail, but ${p.why}`);
  for (const r of d.refusals) lines.push(`${r.path} is not added: ${r.why}`);
  if (lines.length === 0) lines.push('the trace shows no missing file, device or permission the source root could give: the failure is elsewhere (read the output above)');
  return lines;
}
