import { readFileSync, realpathSync } from 'node:fs';

/** Decodes mountinfo's octal escapes (`\040` for a space). */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or below `dir`, from /proc/self/mountinfo. */
export function mountsBelow(dir: string): string[] {
  // mountinfo lists resolved paths: compare with the folder's real path (/srv -> /data/srv).
  try {
    dir = realpathSync(dir);
  } catch {
    // Not there (yet): nothing can be mounted below it.
  }
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return text
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined && p !== '')
    .map(unescapeMountinfo)
    .filter((p) => p === dir || p.startsWith(prefix));
}
