import type { Diagnostic } from '../errors.js';
import { globInside } from '../rootfs/glob.js';
import { dirnameInside, joinInside } from '../rootfs/inside-path.js';
import type { SourceRoot } from '../rootfs/source-root.js';

/** A library directory named by ld.so.conf, and the file that named it. */
export interface ConfDirectory {
  dir: string;
  from: string;
}

const MAX_INCLUDE_DEPTH = 16;

/**
 * The directories that ldconfig would cache from `/etc/ld.so.conf` inside the root, in order, with
 * `include` globs expanded (sorted, relative patterns taken from the including file's folder).
 * A file that includes itself, directly or not, is read once and reported.
 */
export function readLdSoConf(fs: SourceRoot, file = '/etc/ld.so.conf'): { dirs: ConfDirectory[]; diagnostics: Diagnostic[] } {
  const dirs: ConfDirectory[] = [];
  const diagnostics: Diagnostic[] = [];
  const seenDirs = new Set<string>();
  const active = new Set<string>();

  const visit = (path: string, depth: number): void => {
    const real = fs.lookup(path).path;
    if (active.has(real) || depth > MAX_INCLUDE_DEPTH) {
      diagnostics.push({ code: 'LDCONF_INCLUDE_LOOP', severity: 'warning', path, message: `${path}: includes itself; read once` });
      return;
    }
    const text = fs.readText(path);
    if (text === null) return;
    active.add(real);
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') continue;
      const words = line.split(/\s+/);
      if (words[0] === 'include') {
        for (const pattern of words.slice(1)) {
          for (const inc of globInside(fs, joinInside(dirnameInside(path), pattern))) visit(inc, depth + 1);
        }
        continue;
      }
      if (words[0] === 'hwcap') continue;
      // ldconfig accepts several directories on a line, separated by blanks, commas or colons,
      // and an old `DIR=TYPE` suffix.
      for (const item of line.split(/[\s,:]+/)) {
        const dir = item.replace(/=.*$/, '');
        if (!dir.startsWith('/')) continue;
        const norm = joinInside('/', dir);
        if (seenDirs.has(norm)) continue;
        seenDirs.add(norm);
        dirs.push({ dir: norm, from: path });
      }
    }
    active.delete(real);
  };
  visit(file, 0);
  return { dirs, diagnostics };
}
