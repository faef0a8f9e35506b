import { readdirSync, readFileSync } from 'node:fs';
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

/** The calls that make a process: their result is the new process's id. */
const SPAWNS = ['clone', 'clone3', 'fork', 'vfork'];

/** strace's arguments for a trace that gives readTrace what it needs: one file per process (-ff), descriptors named (-y). */
export function straceArgs(prefix: string): string[] {
  return ['-ff', '-qq', '-y', '-s', '256', '-o', prefix, '-e', `trace=${[...Object.keys(KINDS), ...SPAWNS, 'chdir', 'fchdir', 'chroot'].join(',')}`, '-e', 'signal=none'];
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

/** The quoted strings of an argument list, in order, decoded. */
function quotedStrings(args: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(args); m; m = re.exec(args)) out.push(decodeCString(m[1] as string));
  return out;
}

/** The folder a `*at` call's first argument names (`AT_FDCWD</cwd>` or `3</some/dir>`), as strace's -y shows it. */
function dirArgument(args: string): string | undefined {
  const m = /^(?:AT_FDCWD|-?\d+)<((?:[^>\\]|\\.)*)>/.exec(args);
  return m ? decodeCString(m[1] as string) : undefined;
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
  const texts = new Map(files.map(({ pid, file }) => [pid, readFileSync(file, 'utf8')]));
  const inherited = new Map<number, string | undefined>();
  const done = new Set<number>();
  const first = files[0]?.pid;
  for (let progress = true; progress && done.size < files.length;) {
    progress = false;
    for (const { pid } of files) {
      if (done.has(pid) || (pid !== first && !inherited.has(pid))) continue;
      const parsed = parseProcessTrace(texts.get(pid) as string, pid, jail, pid === first, inherited.get(pid));
      for (const [child, program] of parsed.children) inherited.set(child, program);
      out.push(...parsed.accesses);
      done.add(pid);
      progress = true;
    }
  }
  // Processes whose parent's trace is missing (strace was stopped): read on their own.
  for (const { pid } of files) if (!done.has(pid)) out.push(...parseProcessTrace(texts.get(pid) as string, pid, jail, false, undefined).accesses);
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
    const m = /^(\w+)\((.*)\)\s+=\s+(-?\d+|\?)(?:<[^>]*>)?(?:\s+(E[A-Z0-9]+)\b)?/.exec(line);
    if (!m) continue;
    const [, syscall, args, ret, errno] = m as unknown as [string, string, string, string, string | undefined];
    const ok = ret !== '?' && Number(ret) >= 0;
    if (syscall === 'chroot') {
      if (ok) state.inJail = true;
      continue;
    }
    if (syscall === 'chdir' || syscall === 'fchdir') continue;
    if (SPAWNS.includes(syscall)) {
      if (ok) children.set(Number(ret), state.program);
      continue;
    }
    const kind = KINDS[syscall];
    if (kind === undefined || !state.inJail) continue;
    let path: string | undefined;
    if (syscall === 'connect') {
      const sun = /sun_path=(@?)"((?:[^"\\]|\\.)*)"/.exec(args);
      if (!sun || sun[1] === '@') continue; // an abstract socket names no file
      path = decodeCString(sun[2] as string);
    } else {
      const strings = quotedStrings(args);
      const name = strings[0];
      if (name === undefined || name === '') continue; // fstat-like calls on a descriptor (AT_EMPTY_PATH)
      if (name.startsWith('/')) path = name;
      else {
        const base = dirArgument(args);
        const baseInside = base === undefined ? undefined : inside(base);
        if (baseInside === undefined) continue;
        path = joinInside(baseInside, name);
      }
    }
    const access: Access = { pid, syscall, kind: kind === 'open' && /O_DIRECTORY/.test(args) ? 'list' : kind, path: collapseDots(path) };
    if (!ok && errno !== undefined) access.errno = errno;
    if (kind === 'open' && (syscall === 'creat' || /O_WRONLY|O_RDWR|O_CREAT/.test(args))) access.writes = true;
    if (state.program !== undefined) access.program = state.program;
    if (kind === 'exec' && ok) state.program = path;
    out.push(access);
  }
  return { accesses: out, children };
}
