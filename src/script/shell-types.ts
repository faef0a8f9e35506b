/** What a shell script analysis finds: the programs it may run, the files it reads, what it cannot know. */
import type { ShellKind } from './shell-builtins.js';

/** A program the script may run. */
export interface CommandUse {
  /** The command word as it will be looked up: a bare name (PATH) or a path. */
  name: string;
  /** The file (script or sourced file) and line where it is run. */
  file: string;
  line: number;
  /** How it is run: 'run', 'exec', 'via timeout', 'in $(...)', ... */
  how: string;
  /** The PATH in force there, as far as it is known. */
  path: string | null;
  /** Other values the same command word may take (`x=gs; test -x ./gs && x=./gs; exec $x`): one is enough. */
  alternatives: string[];
}

/**
 * A file read with `.` or `source`, run as `sh FILE`, or named by its absolute path under /usr as an
 * argument of a program the script runs (`-specs /usr/lib/x86_64-linux-musl/musl-gcc.specs`).
 */
export interface FileUse {
  path: string;
  file: string;
  line: number;
  how: 'source' | 'script' | 'named';
  /** Sourced only when a condition holds (`[ -f F ] && . F`, an if's branch): a missing file is fine. */
  conditional?: boolean;
}

export interface ShellWarning {
  file: string;
  line: number;
  message: string;
}

export interface ShellAnalysis {
  commands: CommandUse[];
  files: FileUse[];
  warnings: ShellWarning[];
  /** Set when the script could not be parsed at all. */
  parseError?: string;
}

/** What the analysis may ask of the file system (inside the root). */
export interface ShellHost {
  /** The text of a file named by `.`/`source` (a path, or a name looked up through `path`); null when absent. */
  readSource(name: string, path: string | null): { path: string; text: string } | null;
  /** `readlink -f` / `realpath` inside the root; null when unknown. */
  realpath(path: string): string | null;
}

export interface AnalyzeOptions {
  shell: ShellKind;
  /** `$0`: the path the script is started by. */
  argv0: string;
  /** The environment the script starts with (PATH at least). */
  env: Record<string, string>;
  host: ShellHost;
}
