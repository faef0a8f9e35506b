/**
 * What an audit reports: one problem at one path, with a rule id that scripts can match on and a
 * severity that `--fail-on` compares against.
 */
export type Severity = 'high' | 'medium' | 'low';

export interface Finding {
  rule: string;
  severity: Severity;
  path: string;
  message: string;
}

export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low'];

const RANK: Record<Severity, number> = { high: 3, medium: 2, low: 1 };

/** True when `s` is at least as severe as `threshold`. */
export function reaches(s: Severity, threshold: Severity): boolean {
  return RANK[s] >= RANK[threshold];
}

/** Most severe first, then by path and rule, so that output is stable from run to run. */
export function sortFindings(list: Finding[]): Finding[] {
  const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');
  return [...list].sort((a, b) => RANK[b.severity] - RANK[a.severity] || Buffer.compare(bytes(a.path), bytes(b.path)) || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) || (a.message < b.message ? -1 : 1));
}

/** Drops repeats (same rule, path and message): several checks or passes may meet one problem. */
export function dedupeFindings(list: Finding[]): Finding[] {
  const seen = new Set<string>();
  return list.filter((f) => {
    const key = `${f.rule}\0${f.path}\0${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
