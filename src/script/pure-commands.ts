import type { ShellHost } from './shell-types.js';
import { basename, concat, dirname, mapValues, one, type Values } from './shell-values.js';

/** The output of the few commands whose output follows from their arguments: dirname, basename, echo, printf '%s', realpath. */
export function pureOutput(words: Values[], host: ShellHost): Values {
  const first = words[0];
  if (!first || first.size !== 1) return null;
  const cmd = [...first][0] as string;
  const args = words.slice(1);
  // `dirname -- "$x"`: the end of options.
  if (args.length > 1 && args[0]?.size === 1 && args[0].has('--')) args.shift();
  const arg = (i: number): Values => args[i] ?? null;
  switch (cmd.split('/').pop()) {
    case 'dirname':
      return args.length === 1 ? mapValues(arg(0), dirname) : null;
    case 'basename':
      if (args.length === 1) return mapValues(arg(0), (v) => basename(v));
      if (args.length === 2 && arg(1)?.size === 1) return mapValues(arg(0), (v) => basename(v, [...(arg(1) as Set<string>)][0]));
      return null;
    case 'echo':
      if (args.some((a) => a === null)) return null;
      return concat(args.flatMap((a, i) => (i === 0 ? [a] : [one(' '), a])));
    case 'printf': {
      const fmt = arg(0);
      if (fmt?.size !== 1) return null;
      const f = [...fmt][0] as string;
      if (f === '%s' && args.length === 2) return arg(1);
      return f.includes('%') || f.includes('\\') ? null : fmt;
    }
    case 'readlink':
    case 'realpath': {
      const target = args[args.length - 1];
      const flags = args.slice(0, -1);
      if (!target || flags.some((f) => f === null)) return null;
      if (cmd.endsWith('readlink') && !flags.some((f) => f && [...f].some((x) => /^-[a-z]*[fem]/.test(x)))) return null;
      return mapValues(target, (v) => host.realpath(v));
    }
    default:
      return null;
  }
}

/**
 * What `sed [-e] 's/PATTERN/REPLACEMENT/[g]'` prints for each value of `input` (one line each), for
 * the simple expressions scripts use on paths: any delimiter, a pattern of literal characters,
 * bracket expressions, `.`, `*`, `^` and `$` (which mean the same in a basic regular expression and in
 * JavaScript), a replacement without `&` or backslashes. Anything else gives null: unknown.
 */
export function sedOutput(words: Values[], input: Values): Values {
  const first = words[0];
  if (!first || first.size !== 1 || ([...first][0] as string).split('/').pop() !== 'sed' || input === null) return null;
  const args = words.slice(1).filter((w) => !(w?.size === 1 && w.has('-e')));
  if (args.length !== 1 || args[0]?.size !== 1) return null;
  const script = [...(args[0] as Set<string>)][0] as string;
  const d = script[1];
  if (script[0] !== 's' || d === undefined || /[\\\w\s]/.test(d)) return null;
  const parts = script.slice(2).split(d);
  if (parts.length !== 3) return null;
  const [pattern, replacement, flags] = parts as [string, string, string];
  if (!/^[\w./,:@%=~^$*[\]-]*$/.test(pattern) || /[&\\]/.test(replacement) || !/^g?$/.test(flags)) return null;
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags);
  } catch {
    return null;
  }
  return mapValues(input, (v) => v.replace(re, replacement));
}
