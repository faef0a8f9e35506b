import { readlinkSync, type Stats } from 'node:fs';
import { JailError } from '../errors.js';
import { DirHandle, errnoOf, type OpenedFile } from '../rootfs/dir-handle.js';
import { describeOwner } from './host-user.js';

/** A link met on the way to a mount source and followed (only root's, only with "allowLinks"). */
export interface FollowedLink {
  /** The link's host path, as walked. */
  link: string;
  /** What it says. */
  target: string;
}

/** A mount source opened without trusting its path: the descriptor is what gets mounted. */
export interface MountSource {
  fd: number;
  kind: 'dir' | 'file';
  stats: Stats;
  /** Where the kernel says the opened folder or file is now: what a mount of `fd` shows. */
  realPath: string;
  links: FollowedLink[];
  close(): void;
}

export interface SourceRequest {
  source: string;
  allowLinks: boolean;
  /** The profile file and the JSON pointer of the field, for messages. */
  file: string;
  field: string;
}

/** As many links as the kernel follows in one lookup before it gives up (ELOOP). */
const MAX_LINKS = 40;
/** How often one name may change kind between lstat and open before the walk gives up. */
const MAX_RETRIES = 8;

/**
 * The host's own folders, never a web root, data or socket folder: mounting one into a jail hands the
 * host to its inmates (a writable /etc). What it is, or undefined for an ordinary folder.
 */
export function systemFolder(realPath: string): string | undefined {
  if (realPath === '/') return "the host's root folder";
  if (/^\/(etc|root|boot|proc|sys|dev)(\/|$)/.test(realPath)) return `inside /${realPath.split('/')[1]}, a system folder`;
  if (/^\/(usr|bin|sbin|lib|lib32|lib64|libx32|var|home|run|srv|opt|tmp)$/.test(realPath)) return 'a whole system folder';
  // The host's programs and libraries: mounted, they would give an inmate every program of the host.
  if (/^\/(usr\/)?(bin|sbin|lib|lib32|lib64|libx32|libexec)(\/|$)/.test(realPath) || /^\/usr\/local\/(bin|sbin|lib)(\/|$)/.test(realPath)) return "inside a folder of the host's programs and libraries";
  return undefined;
}

/** Who besides root can add, remove or exchange names in a folder; undefined when nobody can. */
function othersWhoCanChange(folder: Stats): string | undefined {
  // In a sticky folder only a name's owner (here root) and the folder's owner may move the name.
  const sticky = (folder.mode & 0o1000) !== 0;
  if (folder.uid !== 0) return `its owner ${describeOwner(folder.uid)}`;
  if (sticky) return undefined;
  if (folder.mode & 0o002) return 'everyone';
  if (folder.mode & 0o020 && folder.gid !== 0) return `its group (gid ${folder.gid})`;
  return undefined;
}

/** What the link `name` says; undefined when it is no link (any more) or gone. */
function readLink(dir: DirHandle, name: string): string | undefined {
  try {
    return readlinkSync(dir.at(name));
  } catch (err) {
    if (errnoOf(err) === 'EINVAL' || errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Opens a bind mount's source one path component at a time from `/`, following no link the profile
 * does not allow: a link owned by anyone but root is refused always (its owner can point it at any
 * host folder); a link owned by root only with `allowLinks`, and only in a folder nobody else can
 * change. Returns undefined when the source (or a folder on the way) does not exist.
 */
export function openMountSource(req: SourceRequest): MountSource | undefined {
  const changing = (label: string): JailError => new JailError('SOURCE_CHANGED', `${req.file}: ${req.field}: mount source ${req.source}: ${label} kept changing while it was opened`, { file: req.file, field: req.field });
  const refuse = (why: string): JailError => new JailError('INPUT', `${req.file}: ${req.field}: mount source ${req.source}: ${why}`, { file: req.file, field: req.field });
  if (!req.source.startsWith('/')) throw refuse('must be an absolute host path');

  // The open folders from / down to where the walk is, and the names that led there.
  const stack: DirHandle[] = [DirHandle.open('/')];
  const names: string[] = [];
  const pathOf = (parts: string[]): string => '/' + parts.join('/');
  const links: FollowedLink[] = [];
  let pending = req.source.split('/').filter((p) => p !== '' && p !== '.');
  let opened: OpenedFile | undefined;
  let retries = 0;

  try {
    while (pending.length > 0) {
      const name = pending[0] as string;
      const here = stack[stack.length - 1] as DirHandle;
      if (name === '..') {
        // The walk holds the real folders that led here, so their parent is the one below on the stack.
        if (stack.length > 1) {
          (stack.pop() as DirHandle).close();
          names.pop();
        }
        pending = pending.slice(1);
        continue;
      }
      const label = pathOf([...names, name]);
      const st = here.lstat(name);
      if (!st) return undefined;

      if (st.isSymbolicLink()) {
        // Read after the lstat: in a folder others can change it may be another link (or none) by now,
        // which is why only the lstat's owner decides, and only links in folders nobody else can
        // change are followed.
        const target = readLink(here, name);
        const says = target === undefined ? '' : `-> ${target}`;
        if (st.uid !== 0) throw refuse(`${label} is a link${says && ` (${says})`} owned by ${describeOwner(st.uid)}, not root: refusing to follow it, whatever "allowLinks" says (its owner can point it at any folder on the host)`);
        if (!req.allowLinks) throw refuse(`${label} is a link (${says && `${says}, `}owned by root): links are followed only with "allowLinks": true on this mount`);
        const who = othersWhoCanChange(here.stats);
        if (who) throw refuse(`${label} is a link owned by root, but in ${pathOf(names)}, which ${who} can change: refusing to follow it (the link could be exchanged for another between check and use)`);
        if (target === undefined) {
          // Only root can change this folder: root changed it meanwhile. Look again.
          if (++retries <= MAX_RETRIES) continue;
          throw changing(label);
        }
        if (links.length >= MAX_LINKS) throw new JailError('SYMLINK_LOOP', `${req.file}: ${req.field}: mount source ${req.source}: more than ${MAX_LINKS} links on the way (a loop?)`, { file: req.file, field: req.field });
        links.push({ link: label, target });
        if (target.startsWith('/')) {
          while (stack.length > 1) (stack.pop() as DirHandle).close();
          names.length = 0;
        }
        pending = [...target.split('/').filter((p) => p !== '' && p !== '.'), ...pending.slice(1)];
        continue;
      }

      const last = pending.length === 1;
      if (!st.isDirectory() && !(last && st.isFile())) {
        throw refuse(last ? `${label} is neither a folder nor a regular file` : `${label} is not a folder`);
      }
      try {
        if (st.isDirectory()) {
          stack.push(here.openDir(name));
          names.push(name);
        } else {
          opened = here.openFile(name);
        }
      } catch (err) {
        // It was swapped for something else since the lstat: look again (a link is then met as one).
        const code = errnoOf(err);
        if ((code === 'ENOTDIR' || code === 'ELOOP' || code === 'EFTYPE') && ++retries <= MAX_RETRIES) continue;
        if (code === 'ENOTDIR' || code === 'ELOOP' || code === 'EFTYPE') throw changing(label);
        if (code === 'ENOENT') return undefined;
        throw err;
      }
      pending = pending.slice(1);
    }

    const realPath = readlinkSync(opened ? opened.path : `/proc/self/fd/${(stack[stack.length - 1] as DirHandle).fd}`);
    const system = systemFolder(realPath);
    if (system !== undefined) throw refuse(`${realPath} is ${system}: a jail never gets it mounted (a --set value or a profile layer may have put it here)`);
    if (opened) {
      const file = opened;
      opened = undefined;
      return { fd: file.fd, kind: 'file', stats: file.stats, realPath, links, close: () => file.close() };
    }
    const dir = stack.pop() as DirHandle;
    return { fd: dir.fd, kind: 'dir', stats: dir.stats, realPath, links, close: () => dir.close() };
  } finally {
    opened?.close();
    for (const d of stack) d.close();
  }
}
