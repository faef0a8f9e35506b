import { JailError } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import { describeReason, type Reason, reasonKey } from '../model/reason.js';
import { hasDotDot, isNormal, splitInside } from '../rootfs/inside-path.js';
import { MAX_LINKS, sortBytewise } from '../rootfs/rootfs.js';

/** Something to place in the jail, before ownership and parents are settled. */
export type Placement = Omit<JailEntry, 'reasons' | 'uid' | 'gid'> & {
  uid?: number;
  gid?: number;
  /** True when the mode was set explicitly and no policy applies. */
  exactMode?: boolean;
  /** Setuid and setgid bits are kept only when the profile entry allows them. */
  allowSetuid?: boolean;
  reason: Reason;
};

/** A placement with every reason it was asked for, the first one first. */
export type Placed = Placement & { reasons: Reason[] };

/**
 * Collects the entries of a jail by path. The same path asked twice keeps one entry with both
 * reasons; two different things at one path is an error naming both reasons. Paths are placed through
 * the jail's own links (a destination under /bin goes to /usr/bin when /bin -> usr/bin), so that a
 * directory never has to exist where a link already is.
 */
export class PlanBuilder {
  readonly #entries = new Map<string, Placed>();

  get(path: string): Placed | undefined {
    return this.#entries.get(path);
  }

  /** Where `path` lands in the jail given the links placed so far (every link but the last component followed). */
  place(path: string): string {
    // Usually no folder on the way is a link placed so far: a normal path is then its own answer,
    // found with one look-up per folder and no splitting.
    if (isNormal(path) && !hasDotDot(path)) {
      let linked = false;
      for (let cut = path.indexOf('/', 1); cut > 0; cut = path.indexOf('/', cut + 1)) {
        if (this.#entries.get(path.slice(0, cut))?.kind === 'symlink') {
          linked = true;
          break;
        }
      }
      if (!linked) return path;
    }
    let hops = 0;
    const done: string[] = [];
    // The path of `done` ('' for the root), kept as a string so that each step costs one concatenation.
    let base = '';
    const todo = splitInside(path).reverse();
    while (todo.length > 0) {
      const part = todo.pop() as string;
      if (part === '..') {
        done.pop();
        base = done.length === 0 ? '' : '/' + done.join('/');
        continue;
      }
      const here = `${base}/${part}`;
      const entry = this.#entries.get(here);
      if (entry?.kind === 'symlink' && todo.length > 0) {
        if (++hops > MAX_LINKS) throw new JailError('SYMLINK_LOOP', `${path}: too many levels of symbolic links in the jail`, { file: path });
        const target = entry.target as string;
        if (target.startsWith('/')) {
          done.length = 0;
          base = '';
        }
        const parts = splitInside(target);
        for (let i = parts.length - 1; i >= 0; i--) todo.push(parts[i] as string);
        continue;
      }
      done.push(part);
      base = here;
    }
    return base === '' ? '/' : base;
  }

  add(p: Placement): void {
    const path = this.place(p.path);
    const known = this.#entries.get(path);
    if (!known) {
      this.#entries.set(path, { ...p, path, reasons: [p.reason] });
      return;
    }
    const key = reasonKey(p.reason);
    if (!known.reasons.some((r) => reasonKey(r) === key)) known.reasons.push(p.reason);
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
      (known.content === undefined || known.content.equals(p.content as Buffer)) &&
      JSON.stringify(known.generate) === JSON.stringify(p.generate);
    if (!same) {
      throw new JailError('INPUT', `${path}: asked for twice with different contents: ${describe(known)} (${describeReason(known.reasons[0] as Reason)}) and ${describe(p)} (${describeReason(p.reason)})`, { file: path });
    }
    if (p.exactMode && !known.exactMode) Object.assign(known, { mode: p.mode, exactMode: true });
    if (p.allowSetuid) known.allowSetuid = true;
    if (p.secret) known.secret = true;
  }

  /** The entries placed so far, unsorted, without implied parents. */
  entries(): Placed[] {
    return [...this.#entries.values()];
  }

  /** Every entry, parents added as folders (mode from `parentMode`), sorted bytewise by path. */
  finish(parentMode: (path: string) => number): Placed[] {
    for (const path of [...this.#entries.keys()]) {
      // Keys are normal paths (place's answers): each folder on the way is a cut of the path.
      for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
        const dir = path.slice(0, cut);
        const known = this.#entries.get(dir);
        if (known) {
          if (known.kind !== 'directory') {
            throw new JailError('INPUT', `${dir}: is a ${known.kind} (${describeReason(known.reasons[0] as Reason)}), but ${path} must be inside it`, { file: dir });
          }
          continue;
        }
        const reason: Reason = { kind: 'folder-of', from: path };
        this.#entries.set(dir, { path: dir, kind: 'directory', mode: parentMode(dir), reason, reasons: [reason] });
      }
    }
    const root: Reason = { kind: 'jail-root' };
    if (!this.#entries.has('/')) this.#entries.set('/', { path: '/', kind: 'directory', mode: parentMode('/'), reason: root, reasons: [root] });
    return sortBytewise([...this.#entries.values()], (e) => e.path);
  }
}

function describe(p: Placement): string {
  if (p.kind === 'symlink') return `a link to ${p.target}`;
  if (p.kind === 'file') return p.source ? `a copy of ${p.source}` : 'generated text';
  if (p.kind === 'char' || p.kind === 'block') return `a ${p.kind} device ${p.major},${p.minor}`;
  return 'a folder';
}
