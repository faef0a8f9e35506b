/** Which shell a script runs under, as far as its builtins go. */
export type ShellKind = 'sh' | 'bash' | 'ksh' | 'busybox' | 'zsh';

/** POSIX special and regular builtins that dash (Debian's /bin/sh) implements itself. */
const DASH = [
  '.',
  ':',
  '[',
  'alias',
  'bg',
  'break',
  'cd',
  'chdir',
  'command',
  'continue',
  'echo',
  'eval',
  'exec',
  'exit',
  'export',
  'false',
  'fc',
  'fg',
  'getopts',
  'hash',
  'jobs',
  'kill',
  'local',
  'printf',
  'pwd',
  'read',
  'readonly',
  'return',
  'set',
  'shift',
  'test',
  'times',
  'trap',
  'true',
  'type',
  'ulimit',
  'umask',
  'unalias',
  'unset',
  'wait',
];

const BASH_EXTRA = [
  'bind',
  'builtin',
  'caller',
  'compgen',
  'complete',
  'compopt',
  'declare',
  'dirs',
  'disown',
  'enable',
  'help',
  'history',
  'let',
  'logout',
  'mapfile',
  'popd',
  'printf',
  'pushd',
  'readarray',
  'shopt',
  'source',
  'suspend',
  'typeset',
  'time',
];

const KSH_EXTRA = ['builtin', 'let', 'print', 'source', 'typeset', 'whence', 'autoload', 'functions', 'integer', 'nameref', 'time'];

/** busybox ash: dash's set plus a few bash-isms. */
const BUSYBOX_EXTRA = ['let', 'source', 'local'];

const ZSH_EXTRA = [...BASH_EXTRA, 'print', 'whence', 'autoload', 'setopt', 'unsetopt', 'zmodload', 'emulate', 'noglob'];

const SETS: Record<ShellKind, Set<string>> = {
  sh: new Set(DASH),
  bash: new Set([...DASH, ...BASH_EXTRA]),
  ksh: new Set([...DASH, ...KSH_EXTRA]),
  busybox: new Set([...DASH, ...BUSYBOX_EXTRA]),
  zsh: new Set([...DASH, ...ZSH_EXTRA]),
};

export function isBuiltin(shell: ShellKind, name: string): boolean {
  return SETS[shell].has(name);
}

/** The shell kind of an interpreter path (`/bin/bash` → bash), or null when it is not a shell. */
export function shellKindOf(interpreter: string, argument?: string): ShellKind | null {
  const base = interpreter.split('/').pop() ?? '';
  if (base === 'sh' || base === 'dash' || base === 'posh') return 'sh';
  if (base === 'bash' || base === 'rbash') return 'bash';
  if (base === 'ksh' || base === 'ksh93' || base === 'mksh' || base === 'pdksh' || base === 'lksh') return 'ksh';
  if (base === 'zsh') return 'zsh';
  if (base === 'busybox' || base === 'ash') return argument === undefined || /^(ash|sh)\b/.test(argument) ? 'busybox' : null;
  return null;
}
