import { globToRegExpSource } from './glob-pattern.js';
import type { SourceRoot } from './source-root.js';
import { joinInside, splitInside } from './inside-path.js';

const GLOB_CHARS = /[*?[]/;

/** One path component of a glob(3) pattern as a RegExp. */
function componentRegExp(pattern: string): RegExp {
  return new RegExp(`^${globToRegExpSource(pattern, '[^/]')}$`);
}

/**
 * Expands a glob(3) pattern inside the root, as ldconfig's `include` does: results sorted bytewise,
 * names beginning with a dot only matched by a pattern that begins with one.
 */
export function globInside(fs: SourceRoot, pattern: string): string[] {
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
