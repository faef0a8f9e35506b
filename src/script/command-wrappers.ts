/**
 * Programs that run their arguments as a command (`env`, `timeout`, `nice`, `xargs`, ...), and how to
 * find that command among their arguments: skip options (and the values of those that take one) and
 * a fixed number of leading operands, such as timeout's DURATION or chroot's NEWROOT.
 */
interface WrapperSpec {
  /** Options that take a value in the next argument (or after `=` in the same one). */
  withValue: string[];
  /** Operands before the command (timeout: DURATION; chroot: NEWROOT; flock: FILE). */
  operands: number;
  /** `NAME=VALUE` words before the command (env). */
  assignments?: boolean;
  /** The command run when none is given (xargs runs echo). */
  fallback?: string;
  /** Options after which no command is run (command -v, -V). */
  noRun?: string[];
}

const WRAPPERS: Record<string, WrapperSpec> = {
  env: { withValue: ['-u', '--unset', '-C', '--chdir'], operands: 0, assignments: true },
  timeout: { withValue: ['-s', '--signal', '-k', '--kill-after'], operands: 1 },
  nice: { withValue: ['-n', '--adjustment'], operands: 0 },
  nohup: { withValue: [], operands: 0 },
  xargs: {
    withValue: ['-a', '--arg-file', '-d', '--delimiter', '-E', '--eof', '-I', '--replace', '-L', '--max-lines', '-n', '--max-args', '-P', '--max-procs', '-s', '--max-chars', '--process-slot-var'],
    operands: 0,
    fallback: 'echo',
  },
  stdbuf: { withValue: ['-i', '-o', '-e', '--input', '--output', '--error'], operands: 0 },
  ionice: { withValue: ['-c', '--class', '-n', '--classdata', '-p', '--pid', '-P', '--pgid', '-u', '--uid'], operands: 0 },
  setsid: { withValue: [], operands: 0 },
  chroot: { withValue: ['--userspec', '--groups'], operands: 1 },
  time: { withValue: ['-f', '--format', '-o', '--output'], operands: 0 },
  flock: { withValue: ['-w', '--timeout', '-E', '--conflict-exit-code'], operands: 1 },
  taskset: { withValue: [], operands: 1 },
  strace: { withValue: ['-o', '-e', '-p', '-s', '-u', '-E', '-a', '-b', '-I', '-O', '-P', '-S', '-X', '-U'], operands: 0 },
  exec: { withValue: ['-a'], operands: 0 },
  command: { withValue: [], operands: 0, noRun: ['-v', '-V'] },
};

export function isWrapper(name: string): boolean {
  return Object.hasOwn(WRAPPERS, name);
}

/** What a wrapper runs: the index of its command among `args` (args[0] is the wrapper itself). */
export type Wrapped = { kind: 'command'; index: number } | { kind: 'fallback'; name: string } | { kind: 'split'; text: string } | { kind: 'none' } | { kind: 'unknown'; index: number };

/**
 * Finds the command a wrapper runs. `args` are the words as far as they are known (null: not known
 * statically); an unknown word where an option could be leaves the command unknown.
 */
export function wrappedCommand(name: string, args: Array<string | null>): Wrapped {
  const spec = WRAPPERS[name];
  if (!spec) return { kind: 'none' };
  let operands = spec.operands;
  for (let i = 1; i < args.length; i++) {
    const a = args[i] as string | null;
    if (a === null) return { kind: 'unknown', index: i };
    if (a === '--') {
      i++;
      while (operands > 0 && i < args.length) {
        operands--;
        i++;
      }
      return i < args.length ? { kind: 'command', index: i } : spec.fallback ? { kind: 'fallback', name: spec.fallback } : { kind: 'none' };
    }
    if (spec.noRun?.includes(a)) return { kind: 'none' };
    if (name === 'env' && (a === '-S' || a.startsWith('--split-string') || /^-[a-zA-Z]*S/.test(a))) {
      const inline = a.startsWith('--split-string=') ? a.slice('--split-string='.length) : a.replace(/^-[a-zA-Z]*S/, '');
      const text = inline !== '' && a !== '-S' ? inline : args[i + 1];
      return text === null || text === undefined ? { kind: 'unknown', index: i } : { kind: 'split', text };
    }
    if (a.startsWith('-') && a !== '-') {
      const opt = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
      // A value attached (--signal=KILL, -n10) needs no skipping.
      if (spec.withValue.includes(opt) && !a.includes('=')) i++;
      continue;
    }
    if (spec.assignments && /^[A-Za-z_][A-Za-z0-9_]*=/.test(a)) continue;
    if (operands > 0) {
      operands--;
      continue;
    }
    return { kind: 'command', index: i };
  }
  return spec.fallback ? { kind: 'fallback', name: spec.fallback } : { kind: 'none' };
}

/** Interpreters whose `-c STRING` runs STRING as a shell script, and whose first operand is a script file. */
export const SHELL_NAMES = new Set(['sh', 'bash', 'dash', 'ksh', 'mksh', 'zsh', 'ash', 'rbash', 'posh']);

/** For `sh -c STRING` or `sh FILE`: what the shell runs, found among `args`. */
export function shellInvocation(args: Array<string | null>): { kind: 'string' | 'file'; index: number } | { kind: 'none' } | { kind: 'unknown'; index: number } {
  for (let i = 1; i < args.length; i++) {
    const a = args[i] as string | null;
    if (a === null) return { kind: 'unknown', index: i };
    if (a === '-c' || (/^-[a-zA-Z]*c[a-zA-Z]*$/.test(a) && !a.startsWith('--'))) {
      return i + 1 < args.length ? { kind: 'string', index: i + 1 } : { kind: 'none' };
    }
    if (a === '-o' || a === '+o' || a === '-O' || a === '+O') {
      i++;
      continue;
    }
    if (a.startsWith('-') || a.startsWith('+')) continue;
    return { kind: 'file', index: i };
  }
  return { kind: 'none' };
}
