import { CONTROL_CHARACTER } from '../../profile/validate-values.js';
import { type AccountLine, readAccountLines } from '../account-lines.js';
import type { Finding } from '../finding.js';
import type { CheckContext } from './context.js';

/** The layout of each file: how many ':'-separated fields a record has, and which of them are numeric ids. */
const FORMATS = [
  { file: '/etc/passwd', fields: 7, ids: { 2: 'uid', 3: 'gid' } },
  { file: '/etc/group', fields: 4, ids: { 2: 'gid' } },
] as const;

const isId = (s: string | undefined): boolean => s !== undefined && /^\d+$/.test(s) && Number(s) <= 0xffffffff;

/** What is wrong with one record, or null when it is well formed. */
function malformation(line: AccountLine, format: (typeof FORMATS)[number]): string | null {
  if (CONTROL_CHARACTER.test(line.text)) return 'holds a control character';
  if (line.fields.length !== format.fields) return `has ${line.fields.length} fields, not ${format.fields}`;
  if (line.fields[0] === '') return 'has an empty name';
  for (const [index, what] of Object.entries(format.ids)) {
    if (!isId(line.fields[Number(index)])) return `has a ${what} that is not a number (${JSON.stringify(line.fields[Number(index)])})`;
  }
  return null;
}

/** The name of a record for a message: escaped and cut short, as it may be what an injection left. */
const shown = (line: AccountLine): string => JSON.stringify((line.fields[0] ?? '').slice(0, 40));

/**
 * The jail's /etc/passwd and /etc/group: a second account with uid 0 (root under another name: high),
 * and records the C library would misread (medium): a wrong number of fields, ids that are not
 * numbers, control characters. Both are what a ':' or a newline injected into a profile value leaves.
 */
export function checkAccounts(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const format of FORMATS) {
    const lines = readAccountLines(ctx, format.file) ?? [];
    for (const line of lines) {
      const problem = malformation(line, format);
      if (problem !== null) out.push({ rule: 'account-malformed', severity: 'medium', path: format.file, message: `${format.file}:${line.number}: the record of ${shown(line)} ${problem}` });
    }
    if (format.file !== '/etc/passwd') continue;
    const uid0 = lines.filter((l) => isId(l.fields[2]) && Number(l.fields[2]) === 0);
    // One superuser is expected; it is root when there is a root.
    const kept = uid0.find((l) => l.fields[0] === 'root') ?? uid0[0];
    for (const line of uid0) {
      if (line === kept) continue;
      out.push({ rule: 'account-second-root', severity: 'high', path: format.file, message: `${format.file}:${line.number}: ${shown(line)} has uid 0: a second root account, root under another name` });
    }
  }
  return out;
}
