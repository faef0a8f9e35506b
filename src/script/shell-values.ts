import { globToRegExpSource } from '../rootfs/glob-pattern.js';

/**
 * What a shell word may be when the script runs: a small set of possible strings, or unknown (null).
 * Sets are capped so that loops and many branches cannot blow up.
 */
export type Values = ReadonlySet<string> | null;

export const MAX_VALUES = 32;

export const one = (s: string): Values => new Set([s]);

/** Every concatenation of one value from each part; unknown if any part is. */
export function concat(parts: Values[]): Values {
  let acc: Set<string> = new Set(['']);
  for (const part of parts) {
    if (part === null) return null;
    const next = new Set<string>();
    for (const a of acc) for (const b of part) next.add(a + b);
    if (next.size > MAX_VALUES) return null;
    acc = next;
  }
  return acc;
}

export function union(a: Values, b: Values): Values {
  if (a === null || b === null) return null;
  const out = new Set([...a, ...b]);
  return out.size > MAX_VALUES ? null : out;
}

export function mapValues(v: Values, fn: (s: string) => string | null): Values {
  if (v === null) return null;
  const out = new Set<string>();
  for (const s of v) {
    const r = fn(s);
    if (r === null) return null;
    out.add(r);
  }
  return out;
}

/** `${v%pat}`, `${v%%pat}`, `${v#pat}`, `${v##pat}`: remove the shortest or longest matching suffix or prefix. */
export function removeAffix(value: string, pattern: string, side: 'suffix' | 'prefix', longest: boolean): string {
  const re = new RegExp(`^${globToRegExpSource(pattern, '[\\s\\S]')}$`);
  if (side === 'suffix') {
    const starts = [...Array(value.length + 1).keys()];
    const order = longest ? starts : starts.reverse();
    for (const i of order) if (re.test(value.slice(i))) return value.slice(0, i);
  } else {
    const ends = [...Array(value.length + 1).keys()];
    const order = longest ? ends.reverse() : ends;
    for (const i of order) if (re.test(value.slice(0, i))) return value.slice(i);
  }
  return value;
}

/** POSIX dirname(1). */
export function dirname(path: string): string {
  let p = path.replace(/\/+$/, '');
  if (p === '') return path.startsWith('/') ? '/' : '.';
  const slash = p.lastIndexOf('/');
  if (slash < 0) return '.';
  p = p.slice(0, slash).replace(/\/+$/, '');
  return p === '' ? '/' : p;
}

/** POSIX basename(1), with an optional suffix to remove. */
export function basename(path: string, suffix?: string): string {
  const p = path.replace(/\/+$/, '');
  if (p === '') return path.startsWith('/') ? '/' : '';
  let base = p.slice(p.lastIndexOf('/') + 1);
  if (suffix && base !== suffix && base.endsWith(suffix)) base = base.slice(0, -suffix.length);
  return base;
}
