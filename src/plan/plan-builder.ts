import { JailError } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import { dirnameInside, splitInside } from '../rootfs/inside-path.js';
import { compareBytes, MAX_LINKS } from '../rootfs/rootfs.js';

/** Something to place in the jail, before ownership and parents are settled. */
export type Placement = Omit<JailEntry, 'reasons' | 'uid' | 'gid'> & {
  uid?: number;
  gid?: number;
  /** True when the mode was set explicitly and no policy applies. */
  exactMode?: boolean;
  /** Setuid and setgid bits are kept only when the profile entry allows them. */
  allowSetuid?: boolean;
  reason: string;
};

/**
 * Collects the entries of a jail by path. The same path asked twice keeps one entry with both
 * reasons; two different things at one path is an error naming both reasons. Paths are placed through
 * the jail's own links (a destination under /bin goes to /usr/bin when /bin -> usr/bin), so that a
 * directory never has to exist where a link already is.
 */
export class PlanBuilder {
  readonly #entries = new Map<string, Placement & { reasons: string[] }>();

  get(path: string): (Placement & { reasons: string[] }) | undefined {
    return this.#entries.get(path);
  }

  /** Where `path` lands in the jail given the links placed so far (every link but the last component followed). */
  place(path: string): string {
    let hops = 0;
    const done: string[] = [];
    const todo = splitInside(path).reverse();
    while (todo.length > 0) {
      const part = todo.pop() as string;
      if (part === '..') {
        done.pop();
        continue;
      }
      const here = '/' + [...done, part].join('/');
      const entry = this.#entries.get(here);
      if (entry?.kind === 'symlink' && todo.length > 0) {
        if (++hops > MAX_LINKS) throw new JailError('SYMLINK_LOOP', `${path}: too many levels of symbolic links in the jail`, { file: path });
        const target = entry.target as string;
        if (target.startsWith('/')) done.length = 0;
        const parts = splitInside(target);
        for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i] as string);
        continue;
      }
      done.push(part);
    }
    return '/' + done.join('/');
  }

  add(p: Placement): void {
    const path = this.place(p.path);
    const known = this.#entries.get(path);
    if (!known) {
      this.#entries.set(path, { ...p, path, reasons: [p.reason] });
      return;
    }
    if (!known.reasons.includes(p.reason)) known.reasons.push(p.reason);
    if (known.kind === p.kind && known.kind === 'directory') {
      // A folder asked explicitly (with a mode) wins over one implied by its children.
      if (p.exactMode && !known.exactMode) Object.assign(known, { mode: p.mode, exactMode: true });
      return;
    }
    const same =
      known.kind === p.kind &&
      known.target === p.target &&
      known.source === p.source &&
      known.major === p.major &&
      known.minor === p.minor &&
      (known.content === undefined) === (p.content === undefined) &&
      (known.content === undefined || known.content.equals(p.content as Buffer));
    if (!same) {
      throw new JailError('INPUT', `${path}: asked for twice with different contents: ${describe(known)} (${known.reasons[0]}) and ${describe(p)} (${p.reason})`, { file: path });
    }
    if (p.exactMode && !known.exactMode) Object.assign(known, { mode: p.mode, exactMode: true });
    if (p.allowSetuid) known.allowSetuid = true;
    if (p.secret) known.secret = true;
  }

  /** The entries placed so far, unsorted, without implied parents. */
  entries(): Array<Placement & { reasons: string[] }> {
    return [...this.#entries.values()];
  }

  /** Every entry, parents added as folders (mode from `parentMode`), sorted bytewise by path. */
  finish(parentMode: (path: string) => number): Array<Placement & { reasons: string[] }> {
    for (const path of [...this.#entries.keys()]) {
      for (let dir = dirnameInside(path); dir !== '/'; dir = dirnameInside(dir)) {
        const known = this.#entries.get(dir);
        if (known) {
          if (known.kind !== 'directory') {
            throw new JailError('INPUT', `${dir}: is a ${known.kind} (${known.reasons[0]}), but ${path} must be inside it`, { file: dir });
          }
          continue;
        }
        this.#entries.set(dir, { path: dir, kind: 'directory', mode: parentMode(dir), reason: `folder of ${path}`, reasons: [`folder of ${path}`] });
      }
    }
    if (!this.#entries.has('/')) this.#entries.set('/', { path: '/', kind: 'directory', mode: parentMode('/'), reason: 'the jail', reasons: ['the jail'] });
    return [...this.#entries.values()].sort((a, b) => compareBytes(a.path, b.path));
  }
}

function describe(p: Placement): string {
  if (p.kind === 'symlink') return `a link to ${p.target}`;
  if (p.kind === 'file') return p.source ? `a copy of ${p.source}` : 'generated text';
  if (p.kind === 'char' || p.kind === 'block') return `a ${p.kind} device ${p.major},${p.minor}`;
  return 'a folder';
}

