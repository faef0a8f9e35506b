import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { collapseDots, joinInside } from '../rootfs/inside-path.js';

/** What a program tried to do with a path. */
export type AccessKind = 'exec' | 'open' | 'list' | 'stat' | 'readlink' | 'connect';

/** One access to a path seen in a trace: by whom, how, and with what outcome. */
export interface Access {
  pid: number;
  syscall: string;
  kind: AccessKind;
  /** Absolute path as the traced program saw it (inside the jail once it is chrooted). */
  path: string;
  /** The error (ENOENT, EACCES, ...) or undefined when it worked. */
  errno?: string;
  /** The program the process was running then (its last execve), when known. */
  program?: string;
  /** An open for writing (O_WRONLY, O_RDWR, O_CREAT): the program makes the file, it does not need it. */
  writes?: boolean;
}

/** The system calls strace is asked for, and what kind of access each is. */
const KINDS: Record<string, AccessKind> = {
  execve: 'exec',
  execveat: 'exec',
  open: 'open',
  openat: 'open',
  openat2: 'open',
  creat: 'open',
  stat: 'stat',
  lstat: 'stat',
  newfstatat: 'stat',
  fstatat64: 'stat',
  statx: 'stat',
  access: 'stat',
  faccessat: 'stat',
  faccessat2: 'stat',
  readlink: 'readlink',
  readlinkat: 'readlink',
  connect: 'connect',
};

/** How much of a trace is read, all processes together. */
export const MAX_TRACE_BYTES = 256 * 1024 * 1024;

/** The first `size` bytes of a file, as text (a line cut at the end is dropped by the parser). */
function readHead(file: string, size: number): string {
  const buf = Buffer.alloc(size);
  const fd = openSync(file, 'r');
  try {
    let done = 0;
    while (done < size) {
      const n = readSync(fd, buf, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** The calls that make a process: their result is the new process's id. */
const SPAWNS = ['clone', 'clone3', 'fork', 'vfork'];

/** strace's arguments for a trace that gives readTrace what it needs: one file per process (-ff), descriptors named (-y). */
export function straceArgs(prefix: string): string[] {
  return ['-ff', '-qq', '-y', '-s', '4096', '-o', prefix, '-e', `trace=${[...Object.keys(KINDS), ...SPAWNS, 'chdir', 'fchdir', 'chroot'].join(',')}`, '-e', 'signal=none'];
}

/** Decodes a C string as strace prints it (`\"`, `\\`, `\n`, octal `\303\251`) into text. */
export function decodeCString(body: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
      continue;
    }
    const next = body[++i] ?? '';
    const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, '"': 34, '\\': 92 };
    if (next in simple) bytes.push(simple[next] as number);
    else if (/[0-7]/.test(next)) {
      let oct = next;
      while (oct.length < 3 && /[0-7]/.test(body[i + 1] ?? '')) oct += body[++i] as string;
      bytes.push(parseInt(oct, 8));
    } else if (next === 'x') {
      const hex = body.slice(i + 1, i + 3);
      i += 2;
      bytes.push(parseInt(hex, 16));
    } else for (const b of Buffer.from(next, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Calls whose first argument is a folder descriptor (`AT_FDCWD</cwd>`, `3</dir>`) and whose second is the path. */
const AT_CALLS = new Set(['openat', 'openat2', 'newfstatat', 'fstatat64', 'statx', 'faccessat', 'faccessat2', 'readlinkat', 'execveat']);

/**
 * Reads what a line's arguments start with, from the left, the way strace writes them: an optional
 * folder descriptor with its -y annotation, then the path as a C string. Every string and annotation
 * is read to its own unescaped end, so that a name holding `"`, `>` or `) = -1 ENOENT` cannot shift
 * what is read after it. Returns the folder (decoded) and the path (decoded), and where the reading
 * stopped.
 */
export function leadingPath(args: string, atCall: boolean): { dir?: string; path: string; end: number } | undefined {
  let i = 0;
  let dir: string | undefined;
  if (atCall) {
    const fd = /^(?:AT_FDCWD|-?\d+)/.exec(args);
    if (!fd) return undefined;
    i = fd[0].length;
    if (args[i] === '<') {
      const closed = scanTo(args, i + 1, '>');
      if (closed === undefined) return undefined;
      dir = decodeCString(args.slice(i + 1, closed));
      i = closed + 1;
    }
    if (!args.startsWith(', ', i)) return undefined;
    i += 2;
  }
  if (args[i] !== '"') return undefined;
  const closed = scanTo(args, i + 1, '"');
  if (closed === undefined) return undefined;
  return { ...(dir !== undefined ? { dir } : {}), path: decodeCString(args.slice(i + 1, closed)), end: closed + 1 };
}

/** The index of the first unescaped `stop` from `from` on, or undefined. */
function scanTo(text: string, from: number, stop: string): number | undefined {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === stop) return i;
  }
  return undefined;
}

/**
 * The outcome at the end of a line, read from the right: `= -1 ENOENT (No such file or directory)`,
 * `= 3</path>`, `= 0`, `= ?`. Anchored at the end: text inside the arguments or an annotation cannot
 * pass for it.
 */
function outcomeOf(line: string): { ok: boolean; ret?: number; errno?: string } | undefined {
  const failed = / = -1 (E[A-Z0-9]+) \([^()]*\)$/.exec(line);
  if (failed) return { ok: false, errno: failed[1] as string };
  const done = / = (\d+)(?:<.*>)?$/.exec(line);
  if (done) return { ok: true, ret: Number(done[1]) };
  if (/ = \?$/.test(line)) return { ok: false };
  return undefined;
}

interface ProcessState {
  /** Root of the process as seen by the tracer: undefined until it chroots (or always, when no jail is watched). */
  inJail: boolean;
  program?: string;
}

/**
 * Reads a trace written with straceArgs (one file per process: PREFIX.PID) into accesses. With `jail`
 * (the host path of the jail the traced command chroots into), only what happens inside the jail
 * counts: a process's calls before its successful chroot() are the runner's own, and paths strace names
 * through descriptors (which it sees from the host) lose the jail's prefix. Without `jail`, every call
 * counts and paths are host paths.
 */
export function readTrace(prefix: string, jail?: string): Access[] {
  const dir = dirname(prefix);
  const stem = `${basename(prefix)}.`;
  const files = readdirSync(dir)
    .filter((n) => n.startsWith(stem) && /^\d+$/.test(n.slice(stem.length)))
    .map((n) => ({ pid: Number(n.slice(stem.length)), file: join(dir, n) }))
    .sort((a, b) => a.pid - b.pid);
  const out: Access[] = [];
  // The lowest pid is the command strace started; every other process descends from it and starts
  // where its parent was: inside the jail (the first process chroots before it runs anything),
  // running its parent's program until it runs one of its own. Parents are read before children.
  // A trace past MAX_TRACE_BYTES is read only so far (a program can make its trace as large as it likes).
  let budget = MAX_TRACE_BYTES;
  const texts = new Map(
    files.map(({ pid, file }) => {
      const size = Math.min(statSync(file).size, Math.max(budget, 0));
      budget -= size;
      return [pid, readHead(file, size)];
    }),
  );
  const inherited = new Map<number, string | undefined>();
  const done = new Set<number>();
  const first = files[0]?.pid;
  for (let progress = true; progress && done.size < files.length;) {
    progress = false;
    for (const { pid } of files) {
      if (done.has(pid) || (pid !== first && !inherited.has(pid))) continue;
      const parsed = parseProcessTrace(texts.get(pid) as string, pid, jail, pid === first, inherited.get(pid));
      for (const [child, program] of parsed.children) inherited.set(child, program);
      for (const a of parsed.accesses) out.push(a);
      done.add(pid);
      progress = true;
    }
  }
  // Processes whose parent's trace is missing (strace was stopped): read on their own.
  for (const { pid } of files) if (!done.has(pid)) for (const a of parseProcessTrace(texts.get(pid) as string, pid, jail, false, undefined).accesses) out.push(a);
  return out;
}

/** The accesses of one process's trace (see readTrace), and the processes it started with the program it ran then. */
export function parseProcessTrace(text: string, pid: number, jail: string | undefined, first: boolean, program?: string): { accesses: Access[]; children: Map<number, string | undefined> } {
  const out: Access[] = [];
  const children = new Map<number, string | undefined>();
  const state: ProcessState = { inJail: jail === undefined || !first, ...(program !== undefined ? { program } : {}) };
  const hostPrefix = jail === undefined ? undefined : collapseDots(jail);
  /** A path strace shows from the host, as the traced process sees it. */
  const inside = (hostPath: string): string | undefined => {
    if (hostPrefix === undefined || hostPrefix === '/') return hostPath;
    if (hostPath === hostPrefix) return '/';
    return hostPath.startsWith(`${hostPrefix}/`) ? hostPath.slice(hostPrefix.length) : undefined;
  };
  for (const line of text.split('\n')) {
    const head = /^(\w+)\(/.exec(line);
    const outcome = head ? outcomeOf(line) : undefined;
    if (!head || !outcome) continue;
    const syscall = head[1] as string;
    const args = line.slice(head[0].length);
    const { ok } = outcome;
    if (syscall === 'chroot') {
      if (ok) state.inJail = true;
      continue;
    }
    if (syscall === 'chdir' || syscall === 'fchdir') continue;
    if (SPAWNS.includes(syscall)) {
      if (ok && outcome.ret !== undefined) children.set(outcome.ret, state.program);
      continue;
    }
    const kind = KINDS[syscall];
    if (kind === undefined || !state.inJail) continue;
    let path: string | undefined;
    let rest = '';
    if (syscall === 'connect') {
      // connect(3<socket:[123]>, {sa_family=AF_UNIX, sun_path="/run/x.sock"}, 110)
      const at = args.indexOf(', {sa_family=AF_UNIX, sun_path=');
      if (at < 0) continue;
      const from = at + ', {sa_family=AF_UNIX, sun_path='.length;
      if (args[from] === '@') continue; // an abstract socket names no file
      const closed = args[from] === '"' ? scanTo(args, from + 1, '"') : undefined;
      if (closed === undefined) continue;
      path = decodeCString(args.slice(from + 1, closed));
    } else {
      const lead = leadingPath(args, AT_CALLS.has(syscall));
      if (!lead || lead.path === '') continue; // fstat-like calls on a descriptor (AT_EMPTY_PATH)
      if (lead.path.startsWith('/')) path = lead.path;
      else {
        const baseInside = lead.dir === undefined ? undefined : inside(lead.dir);
        if (baseInside === undefined) continue;
        path = joinInside(baseInside, lead.path);
      }
      // The flags follow the path, up to the call's closing parenthesis (flags hold none).
      const after = args.slice(lead.end);
      rest = after.slice(0, Math.max(after.indexOf(')'), 0));
    }
    const access: Access = { pid, syscall, kind: kind === 'open' && /O_DIRECTORY/.test(rest) ? 'list' : kind, path: collapseDots(path) };
    if (!ok && outcome.errno !== undefined) access.errno = outcome.errno;
    if (kind === 'open' && (syscall === 'creat' || /O_WRONLY|O_RDWR|O_CREAT/.test(rest))) access.writes = true;
    if (state.program !== undefined) access.program = state.program;
    if (kind === 'exec' && ok) state.program = path;
    out.push(access);
  }
  return { accesses: out, children };
}
