/** A `#!` line as the kernel reads it (fs/binfmt_script.c). */
export interface Shebang {
  /** The interpreter path as written. */
  interpreter: string;
  /** The rest of the line: the kernel passes it as one argument, unsplit; absent when empty. */
  argument?: string;
  /** Line 1, as written (without `#!`). */
  line: string;
}

/** How much of the file the kernel looks at for `#!` (BINPRM_BUF_SIZE). */
export const SHEBANG_LIMIT = 256;

/**
 * Parses the `#!` line of a file's first bytes, or returns null when there is none. Like the kernel,
 * the interpreter ends at the first blank and everything after it, trimmed, is one argument.
 */
export function parseShebang(head: Buffer): Shebang | null {
  if (head.length < 3 || head[0] !== 0x23 || head[1] !== 0x21) return null;
  let end = head.indexOf(0x0a);
  if (end < 0) end = Math.min(head.length, SHEBANG_LIMIT);
  const line = head.toString('utf8', 2, end).replace(/\r$/, '');
  const text = line.replace(/^[ \t]+/, '').replace(/[ \t]+$/, '');
  if (text === '') return null;
  const blank = text.search(/[ \t]/);
  const interpreter = blank < 0 ? text : text.slice(0, blank);
  const rest = blank < 0 ? '' : text.slice(blank).replace(/^[ \t]+/, '');
  return rest === '' ? { interpreter, line } : { interpreter, argument: rest, line };
}

/**
 * The program `env` would run for the shebang argument of `#!/usr/bin/env ARG`: the first word that is
 * not an option or an assignment; with `-S`/`--split-string`, the argument is split on blanks first.
 */
export function envTarget(argument: string): { program?: string; split: boolean } {
  let words = [argument];
  let split = false;
  const m = /^(?:-S|--split-string(?:=|\s))\s*(.*)$/.exec(argument) ?? /^-[a-zA-Z]*S\s*(.*)$/.exec(argument);
  if (m) {
    words = (m[1] ?? '').split(/[ \t]+/).filter(Boolean);
    split = true;
  }
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '-u' || w === '--unset' || w === '-C' || w === '--chdir') {
      i++;
      continue;
    }
    if (w.startsWith('-')) continue;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) continue;
    return { program: w, split };
  }
  return { split };
}
