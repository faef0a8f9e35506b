/**
 * Paths inside a root are POSIX, absolute and normalized: one slash between components, no `.`,
 * no trailing slash. `..` is kept, because only a lookup that knows the links can apply it.
 */

export function splitInside(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

/**
 * Already normal: absolute, no empty or `.` component, no trailing slash (or exactly `/`). Checked
 * with the engine's own substring search: every lookup and join asks, and a regular expression with a
 * lookahead per component cost more than the lookups themselves.
 */
export function isNormal(path: string): boolean {
  if (path === '/') return true;
  if (path.charCodeAt(0) !== 0x2f || path.charCodeAt(path.length - 1) === 0x2f) return false;
  return !path.includes('//') && !path.includes('/./') && !path.endsWith('/.');
}

/** Whether a normal path has a `..` component (which climbs): `/a/../b`, `/a/..`, not `/a/..b`. */
export function hasDotDot(path: string): boolean {
  return path.includes('/../') || path.endsWith('/..');
}

/** `rel` taken from directory `base` (or from the root when absolute), normalized. */
export function joinInside(base: string, rel: string): string {
  const full = rel.startsWith('/') ? rel : `${base}/${rel}`;
  if (isNormal(full)) return full;
  return '/' + splitInside(full).join('/');
}

export function dirnameInside(path: string): string {
  if (isNormal(path)) {
    const cut = path.lastIndexOf('/');
    return cut <= 0 ? '/' : path.slice(0, cut);
  }
  const parts = splitInside(path);
  parts.pop();
  return '/' + parts.join('/');
}

export function basenameInside(path: string): string {
  if (isNormal(path)) return path.slice(path.lastIndexOf('/') + 1);
  const parts = splitInside(path);
  return parts[parts.length - 1] ?? '';
}

/** Applies `..` lexically, never above the root: for paths known to hold no links. */
export function collapseDots(path: string): string {
  // The usual case, already normal and without `..`, is answered without splitting.
  if (isNormal(path) && !hasDotDot(path)) return path;
  const out: string[] = [];
  for (const part of splitInside(path)) {
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}
