import { JailError } from '../errors.js';
import type { PackageIndex } from '../packages/package-index.js';
import type { DeviceName } from '../profile/profile-types.js';
import { dirnameInside, joinInside } from '../rootfs/inside-path.js';
import type { Lookup, SourceRoot } from '../rootfs/source-root.js';
import type { Addition } from './profile-additions.js';
import { isSharedFolder, packageFolder } from './package-folders.js';
import type { AccessKind } from './strace-log.js';

/** Devices a profile names by name (see the schema's `devices`). */
const NAMED_DEVICES = new Set<DeviceName>(['null', 'zero', 'full', 'random', 'urandom', 'tty']);

/** /dev links to a process's own descriptors: they need /proc. */
const DESCRIPTOR_LINKS: Record<string, string> = { '/dev/fd': '/proc/self/fd', '/dev/stdin': '/proc/self/fd/0', '/dev/stdout': '/proc/self/fd/1', '/dev/stderr': '/proc/self/fd/2' };

/** Folders whose content is made at run time, never copied: what a program finds missing there is its own business. */
const RUN_TIME = /^\/(tmp|var\/tmp|run|var\/run|var\/lock|dev\/shm|home)(\/|$)/;

/** Files the loader or the tool itself makes (the jail's cache is generated at build time), and what no profile can give. */
const NEVER = /^\/(etc\/ld\.so\.(cache|preload)|sys(\/|$)|proc(\/|$)|dev(\/|$))/;

/** The account databases. */
const ACCOUNTS = /^\/etc\/(passwd|group|shadow|gshadow)-?$/;

/** What decides a path's addition: the source root and, when it has one, its package database. */
export interface NeedContext {
  fs: SourceRoot;
  index?: PackageIndex;
  /** Add a folder as a tree for a single file below it (a failing test stops at the first file it misses). */
  treeForOne: boolean;
}

/** An accessed path that cannot, or must not, be added, and why. */
export interface Refusal {
  path: string;
  why: string;
}

/** What one accessed path asks of the profile: an addition, a refusal, or nothing (the source lacks it too). */
export type AccessNeed = { addition: Omit<Addition, 'because' | 'from'> } | { refusal: Refusal } | null;

/** Reads whether the file at a real path of the root starts as an ELF file does. */
function isElf(fs: SourceRoot, realPath: string): boolean {
  try {
    const src = fs.open(realPath);
    try {
      return src.read(0, 4).toString('latin1') === '\x7fELF';
    } finally {
      src.close();
    }
  } catch {
    return false;
  }
}

function owners(ctx: NeedContext, realPath: string): { packages?: string[] } {
  const list = ctx.index?.ownersOf(realPath) ?? [];
  return list.length > 0 ? { packages: list } : {};
}

/** Whether a folder holds ELF files (by the names its packages list there): a tree of it must be resolved. */
function holdsLibraries(ctx: NeedContext, dir: string): boolean {
  if (!ctx.index) return false;
  for (const p of ctx.index.listedBelow(dir)) if (/\.so(\.[0-9.]+)?$/.test(p)) return true;
  return false;
}

/**
 * What the profile needs so that `path`, accessed as `kind`, is in the jail as it is in the source:
 * /proc as `proc`, a named device, a program (and what it loads) as `binaries`, a file of a package's
 * folder as that folder (`trees`), else the file itself. Paths the source root lacks too ask nothing
 * (a program's own search: the loader's folders, Python's path); private files of the host are refused.
 */
export function needOf(path: string, kind: AccessKind, ctx: NeedContext): AccessNeed {
  if (path === '/proc' || path.startsWith('/proc/')) return { addition: { field: 'proc', path: '/proc' } };
  const link = DESCRIPTOR_LINKS[path] ?? (path.startsWith('/dev/fd/') ? '/proc/self/fd' : undefined);
  if (link !== undefined) return { addition: { field: 'symlinks', path: path.startsWith('/dev/fd/') ? '/dev/fd' : path, target: link } };
  if (path === '/dev/shm') return { addition: { field: 'directories', path, mode: '1777' } };
  if (path.startsWith('/dev/')) {
    const name = path.slice('/dev/'.length) as DeviceName;
    if (NAMED_DEVICES.has(name)) return { addition: { field: 'devices', path } };
    return path.slice(5).includes('/') ? null : { refusal: { path, why: 'a device the profile cannot name (give it as {path, type, major, minor} under devices)' } };
  }
  if (RUN_TIME.test(path) || NEVER.test(path)) return null;
  // The host's account lists are not the jail's: the jail's are written from the profile.
  if (ACCOUNTS.test(path)) return { refusal: { path, why: "the jail's accounts are written from the profile's users and groups, never copied from the host: add the account the program looks up there" } };
  let found: Lookup;
  try {
    found = ctx.fs.lookup(path);
  } catch (err) {
    if (err instanceof JailError) return null;
    throw err;
  }
  if (found.kind === 'missing') return null;
  // Where the path really leads decides too: a link anyone planted in /run/lock must not turn a
  // program's miss into /sys, /proc, the host's accounts or a folder of run-time files.
  if (found.path !== path) {
    if (ACCOUNTS.test(found.path)) return { refusal: { path, why: `it leads to ${found.path}, the host's accounts` } };
    if (RUN_TIME.test(found.path) || NEVER.test(found.path)) return { refusal: { path, why: `it leads to ${found.path}, which no profile line brings` } };
  }
  const privacy = ctx.fs.privacyOf(found.path);
  if (privacy !== null) return { refusal: { path, why: `the host keeps it from others (${privacy}); add it by hand with "secret": true if the jail must hold it` } };
  if (found.kind === 'socket') {
    const dir = dirnameInside(found.path);
    const mode = found.stats?.mode ?? 0;
    if ((mode & 0o002) === 0) return { refusal: { path, why: 'a socket others may not connect to: mount its folder by hand if the jail must reach it' } };
    if (isSharedFolder(dir)) return { refusal: { path, why: `a socket in ${dir}: bind-mount its folder by hand` } };
    return { addition: { field: 'mounts', path: dir, ...owners(ctx, found.path) } };
  }
  if (found.kind === 'directory') {
    // A folder of a package's own: the package's folder (what the program looks for next is there).
    const folder = ctx.index ? packageFolder(found.path, ctx.index, { self: true }) : undefined;
    if (folder !== undefined) return { addition: { field: 'trees', path: folder, ...(holdsLibraries(ctx, folder) ? { resolve: true } : {}), ...owners(ctx, found.path) } };
    // A folder many packages share: one listed wants what it holds, one looked at only has to be there.
    const widelyShared = ctx.index !== undefined && ctx.index.sourceCount(ctx.index.ownersOf(found.path)) > 3;
    if (kind === 'list' && !isSharedFolder(found.path) && !widelyShared) return { addition: { field: 'trees', path: found.path, ...owners(ctx, found.path) } };
    return { addition: { field: 'directories', path } };
  }
  if (found.kind !== 'file') return { refusal: { path, why: `a ${found.kind} in the source root` } };
  const elf = isElf(ctx.fs, found.path);
  if (kind === 'exec') return { addition: { field: 'binaries', path, ...owners(ctx, found.path) } };
  const folder = ctx.index && ctx.treeForOne ? packageFolder(found.path, ctx.index) : undefined;
  if (folder !== undefined) return { addition: { field: 'trees', path: folder, ...(elf || holdsLibraries(ctx, folder) ? { resolve: true } : {}), ...owners(ctx, found.path) } };
  // A library (a dlopen()ed one: those linked are in the jail already) comes with what it loads.
  if (elf) return { addition: { field: 'binaries', path, ...owners(ctx, found.path) } };
  return { addition: { field: 'files', path: joinInside('/', path), ...owners(ctx, found.path) } };
}
