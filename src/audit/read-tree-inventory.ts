import { nodeKindOf } from '../rootfs/rootfs.js';
import { lstatSync, readdirSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { resolve as resolveHostPath } from 'node:path';
import { mountsBelow } from '../mounts/mounts-below.js';
import { JailError } from '../errors.js';
import type { EntryKind, JailEntry } from '../model/jail-entry.js';
import { joinInside } from '../rootfs/inside-path.js';
import { RootFs, sortBytewise } from '../rootfs/rootfs.js';
import type { Finding } from './finding.js';
import { DEFAULT_READ_LIMIT, indexByPath, type Inventory } from './inventory.js';
import { type SeenFile, TreeFileContents } from './tree-file-contents.js';

export interface TreeInventoryOptions {
  /** The most bytes hashed from one file (default DEFAULT_HASH_LIMIT); larger files are reported as not hashed. */
  hashLimit?: number;
}

/** Linux's encoding of device numbers (major in bits 8-19 and 32-63, minor in 0-7 and 20-31). */
export function splitDevice(rdev: number): { major: number; minor: number } {
  const dev = BigInt(rdev);
  return {
    major: Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn)),
    minor: Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn)),
  };
}

/** The entry kind of what lstat found; pipes and sockets are no jail entries. */
function kindOf(st: Stats): EntryKind | null {
  const kind = nodeKindOf(st);
  return kind === 'fifo' || kind === 'socket' ? null : kind;
}

/**
 * Inventories a jail folder: every entry by lstat, links never followed, owners, modes, device
 * numbers, link targets and sizes as they are on disk. Nothing below a mount point is read (a jail's
 * /proc or bind mounts are not part of it). Contents are read and hashed only when asked, through
 * TreeFileContents: never through a link, never from anything but a regular file, in bounded time.
 */
export function readTreeInventory(dir: string, options: TreeInventoryOptions = {}): Inventory {
  let host: string;
  let top: Stats;
  try {
    // The jail may be named through a link; below it, nothing is followed.
    host = realpathSync(resolveHostPath(dir));
    top = lstatSync(host);
  } catch (err) {
    throw new JailError('INPUT', `${dir}: cannot read the jail: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: dir, cause: err });
  }
  if (!top.isDirectory()) throw new JailError('INPUT', `${dir}: not a folder`, { file: dir });
  const prefix = host === '/' ? '' : host;
  const entries: JailEntry[] = [];
  const findings: Finding[] = [];
  const seen = new Map<string, SeenFile>();

  // Bind mounts of the same file system keep st_dev: mountinfo tells them apart.
  const mounts = new Set(mountsBelow(host).filter((m) => m !== host));
  const todo: Array<[string, Stats]> = [['/', top]];
  while (todo.length > 0) {
    const [path, st] = todo.pop() as [string, Stats];
    const kind = kindOf(st);
    if (kind === null) {
      findings.push({ rule: 'special-file', severity: 'low', path, message: `${path}: a ${st.isFIFO() ? 'named pipe' : 'socket'}; jailbuild never places one, it was made in the jail later` });
      continue;
    }
    const e: JailEntry = { path, kind, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, reasons: [] };
    if (kind === 'file') {
      e.size = st.size;
      seen.set(path, { dev: st.dev, ino: st.ino, size: st.size });
    }
    if (kind === 'symlink') e.target = readlinkSync(prefix + path, 'utf8');
    if (kind === 'char' || kind === 'block') Object.assign(e, splitDevice(st.rdev));
    entries.push(e);
    if (kind !== 'directory') continue;
    if (st.dev !== top.dev || mounts.has(prefix + path)) {
      findings.push({ rule: 'mounted-inside', severity: 'low', path, message: `${path}: another file system is mounted here; its contents were not audited (jailbuild umount first to audit the jail alone)` });
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(prefix + path || '/');
    } catch (err) {
      findings.push({ rule: 'unreadable', severity: 'medium', path, message: `${path}: cannot list: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      continue;
    }
    for (const name of names) {
      const child = joinInside(path, name);
      try {
        todo.push([child, lstatSync(prefix + child)]);
      } catch (err) {
        findings.push({ rule: 'unreadable', severity: 'medium', path: child, message: `${child}: cannot lstat: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      }
    }
  }
  sortBytewise(entries, (e) => e.path);
  const byPath = indexByPath(entries);
  const contents = new TreeFileContents(host, options.hashLimit);
  const notHashed = new Map<string, string>();

  return {
    format: 'tree',
    target: dir,
    entries,
    findings,
    fs: new RootFs(host),
    unreadable: new Set(),
    notHashed,
    read(path, limit = DEFAULT_READ_LIMIT) {
      const e = byPath.get(path);
      if (e?.kind !== 'file' || (e.size ?? 0) > limit) return null;
      return contents.read(path, limit);
    },
    sha256(path) {
      const e = byPath.get(path);
      const was = seen.get(path);
      if (e?.kind !== 'file' || was === undefined) return undefined;
      if (e.sha256 === undefined && !notHashed.has(path)) {
        const outcome = contents.hash(path, was);
        if ('sha256' in outcome) e.sha256 = outcome.sha256;
        else notHashed.set(path, outcome.notHashed);
      }
      return e.sha256;
    },
    close() {
      contents.close();
    },
  };
}
