import type { CheckContext } from './checks/context.js';

/** One record of a colon-separated account file (/etc/passwd, /etc/group, /etc/shadow, /etc/gshadow). */
export interface AccountLine {
  /** 1-based line number in the file. */
  number: number;
  text: string;
  /** The line split on ':'. */
  fields: string[];
}

/**
 * The records of an account file in the jail as the C library's files backend reads them: every line
 * but empty ones and '#' comments, split on ':'. Null when the jail holds no such regular file (or a
 * tarball reader did not keep its contents).
 */
export function readAccountLines(ctx: Pick<CheckContext, 'inv' | 'byPath'>, file: string): AccountLine[] | null {
  if (ctx.byPath.get(file)?.kind !== 'file') return null;
  const text = ctx.inv.read(file)?.toString('utf8');
  if (text === undefined) return null;
  const out: AccountLine[] = [];
  text.split('\n').forEach((line, i) => {
    if (line !== '' && !line.startsWith('#')) out.push({ number: i + 1, text: line, fields: line.split(':') });
  });
  return out;
}
