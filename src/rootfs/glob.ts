import type { RootFs } from './rootfs.js';
import { joinInside, splitInside } from './inside-path.js';

const GLOB_CHARS = /[*?[]/;

/** Translates one path component of a glob(3) pattern into a RegExp; `*` and `?` do not match a leading dot. */
function componentRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        out += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      out += '[' + body.replace(/\\/g, '\\\\') + ']';
      i = close;
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/**
 * Expands a glob(3) pattern inside the root, as ldconfig's `include` does: results sorted bytewise,
 * names beginning with a dot only matched by a pattern that begins with one.
 */
export function globInside(fs: RootFs, pattern: string): string[] {
  let current = ['/'];
  for (const part of splitInside(pattern)) {
    const next: string[] = [];
    if (!GLOB_CHARS.test(part)) {
      for (const dir of current) next.push(joinInside(dir, part));
    } else {
      const re = componentRegExp(part);
      for (const dir of current) {
        for (const name of fs.readdir(dir) ?? []) {
          if (name.startsWith('.') && !part.startsWith('.')) continue;
          if (re.test(name)) next.push(joinInside(dir, name));
        }
      }
    }
    current = next;
  }
  return current.filter((p) => fs.lookup(p).kind !== 'missing');
}
