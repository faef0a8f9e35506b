import { JailError } from '../errors.js';

/** `--set NAME=VALUE`, repeatable: accumulated into one object. */
export function parseSet(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(value);
  if (!m) throw new JailError('USAGE', `--set ${value}: expected NAME=VALUE`, { field: '--set' });
  return { ...previous, [m[1] as string]: m[2] as string };
}
