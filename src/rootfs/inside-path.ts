/**
 * Paths inside a root are POSIX, absolute and normalized: one slash between components, no `.`,
 * no trailing slash. `..` is kept, because only a lookup that knows the links can apply it.
 */

export function splitInside(path: string): string[] {
  return path.split('/').filter((p) => p !== '' && p !== '.');
}

/** Already normal: absolute, no empty or `.` component, no trailing slash (or exactly `/`). */
const NORMAL = /^(?:\/(?!\.?(?:\/|$))[^/]+)+$|^\/$/;

/** `rel` taken from directory `base` (or from the root when absolute), normalized. */
export function joinInside(base: string, rel: string): string {
  const full = rel.startsWith('/') ? rel : `${base}/${rel}`;
  if (NORMAL.test(full)) return full;
  return '/' + splitInside(full).join('/');
}

export function dirnameInside(path: string): string {
  const parts = splitInside(path);
  parts.pop();
  return '/' + parts.join('/');
}

export function basenameInside(path: string): string {
  const parts = splitInside(path);
  return parts[parts.length - 1] ?? '';
}

/** Applies `..` lexically, never above the root: for paths known to hold no links. */
export function collapseDots(path: string): string {
  const out: string[] = [];
  for (const part of splitInside(path)) {
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}
