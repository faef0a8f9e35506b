import { spawnSync } from 'node:child_process';
import { copyFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import pLimit from 'p-limit';
import { chmodSync, constants, fstatSync, existsSync, lchownSync, lstatSync, lutimesSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve as resolveHostPath } from 'node:path';
import { JailError } from '../errors.js';
import { checkEntries } from '../model/check-entries.js';
import type { JailEntry } from '../model/jail-entry.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import { swapInto } from './exchange-paths.js';
import { mountsBelow } from '../mounts/mounts-below.js';
import { type ProcessInside, processesInside } from '../mounts/processes-inside.js';
import { checkOutputPlace, checkReplaceable, sourcesRead, writeMark } from './output-mark.js';
import { ownBytes } from './generate-files.js';
import { removeTreeSafely } from './safe-remove.js';

export interface WriteTreeOptions {
  /** Seconds since the epoch given to every entry. */
  mtime: number;
  /** Files copied at once (default: the number of CPUs). */
  jobs?: number;
  /**
   * Hard-link files whose source already has the planned owner and mode (same file system only):
   * no copy, no extra space, but the jail shares those files with the source root, times included.
   * Executables are copied all the same (a link would carry their file capabilities along).
   */
  link?: boolean;
  /**
   * Replace an existing folder even when jailbuild's mark does not vouch for it (a jail built by an
   * older jailbuild, or restored from a backup). Never a folder holding or inside what the build reads.
   */
  force?: boolean;
  /** Host paths the build reads besides the entries' sources (Plan.reads): `out` may not hold or lie in them. */
  reads?: string[];
  /** Called after each entry, for progress: entries and bytes written so far. */
  onEntry?: (done: number, total: number, bytes: number) => void;
}

export interface TreeResult {
  out: string;
  entries: number;
  bytes: number;
  replaced: boolean;
  /**
   * Processes that still lived in the previous jail when it was removed (chrooted into it, or working
   * in it): they keep running on files that are gone, and must be restarted to use the new jail.
   */
  processesInPrevious: ProcessInside[];
  /**
   * Set when the previous jail could not be removed entirely (its processes kept refilling it, or it
   * holds a mount made after the swap): the new jail is in place all the same; what is left lies at
   * `path` and the next build removes it.
   */
  previousLeft?: { path: string; reason: string };
  /** What was done with leftovers of interrupted builds found beside `out` (restored, removed, or could not be removed). */
  leftovers: string[];
}

const STAGING = '.jailbuild-new-';
const RETIRED = '.jailbuild-old-';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Leftovers of an interrupted build beside `out`: a staging tree is removed; a retired old jail is put
 * back when `out` itself is gone (the build died between its two renames), else removed.
 */
export function recoverLeftovers(out: string): string[] {
  const parent = dirname(out);
  const prefix = `.${basename(out)}`;
  const done: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return done;
  }
  const euid = process.geteuid?.() ?? 0;
  for (const name of names.sort()) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const m = /^(\.jailbuild-new-|\.jailbuild-old-)(\d+)-/.exec(rest);
    if (!m) continue;
    if (processAlive(Number(m[2])) && Number(m[2]) !== process.pid) continue;
    const path = join(parent, name);
    // Only folders this user made: in a folder others may write (/tmp), anyone can make such a name.
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st?.isDirectory() || st.uid !== euid) continue;
    if (m[1] === RETIRED && !existsSync(out)) {
      renameSync(path, out);
      done.push(`restored ${out} from ${path}`);
      continue;
    }
    try {
      removeTreeSafely(path);
      done.push(`removed ${path}`);
    } catch (err) {
      // A leftover that resists removal is the admin's to look at; it never stops a build.
      done.push(`could not remove ${path}: ${(err as Error).message}`);
    }
  }
  return done;
}

/**
 * Writes a plan as a jail tree at `out`. The tree is built beside `out` and swapped in, so a failed or
 * interrupted build leaves the previous jail whole; nothing is replaced while anything is mounted
 * below `out`, and the old tree is removed without crossing file systems. Files are copied from the
 * source root (reflinked where the file system can), links recreated as links, devices made with
 * mknod; owners, modes and times are set exactly.
 */
export async function writeTree(entries: JailEntry[], fs: SourceRoot, outPath: string, options: WriteTreeOptions): Promise<TreeResult> {
  checkEntries(entries);
  const out = resolveHostPath(outPath);
  if (out === '/' || out === resolveHostPath(fs.root)) throw new JailError('USAGE', `${out}: refusing to build a jail over ${out === '/' ? 'the root file system' : 'the source root'}`, { file: out });
  const mounted = mountsBelow(out);
  if (mounted.length > 0) {
    throw new JailError('INPUT', `${out}: something is mounted inside the jail (${mounted.join(', ')}): unmount it first (jailbuild umount); nothing was changed`, { file: out });
  }
  mkdirSync(dirname(out), { recursive: true });
  // Compared as the kernel names things: the real parent, so a link in the path changes nothing.
  const parent = realpathSync(dirname(out));
  const realOut = join(parent, basename(out));
  checkOutputPlace(realOut, [...sourcesRead(entries, fs), ...(options.reads ?? [])]);
  const leftovers = recoverLeftovers(realOut);
  const existing = lstatSync(realOut, { throwIfNoEntry: false });
  if (existing && !existing.isDirectory()) throw new JailError('INPUT', `${out}: exists and is not a folder; nothing was changed`, { file: out });
  checkReplaceable(realOut, 'a jail', options.force === true);

  const staging = mkdtempSync(join(parent, `.${basename(out)}${STAGING}${process.pid}-`));
  let bytes: number;
  try {
    bytes = await populate(entries, fs, staging, options);
  } catch (err) {
    removeTreeSafely(staging);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT') {
      throw new JailError('IO_ERROR', `${out}: no space left on the device while writing the new jail; ${existing ? 'the previous jail is unchanged' : 'nothing was left behind'}`, { file: out, cause: err });
    }
    throw err;
  }
  let replaced = false;
  let processesInPrevious: ProcessInside[] = [];
  // The mark vouches for the old and the new tree until the swap is done: an interruption in
  // between leaves a folder the next build still recognizes.
  writeMark(realOut, existing ? [realOut, staging] : [staging]);
  if (existing) {
    const retired = `${join(parent, `.${basename(out)}`)}${RETIRED}${process.pid}-${Date.now()}`;
    swapInto(staging, realOut, retired);
    writeMark(realOut, [realOut]);
    // The kernel names a process's root by the folder's current name: the retired one now.
    processesInPrevious = processesInside(retired);
    replaced = true;
    try {
      removeTreeSafely(retired);
    } catch (err) {
      // The new jail is in place: a previous one that resists removal is reported, not a failed build.
      return { out, entries: entries.length, bytes, replaced, processesInPrevious, previousLeft: { path: retired, reason: (err as Error).message }, leftovers };
    }
  } else {
    renameSync(staging, realOut);
  }
  return { out, entries: entries.length, bytes, replaced, processesInPrevious, leftovers };
}

/**
 * Writes the entries under `staging`: folders, links, devices and generated files in plan order (parents
 * first), then the copies from the source root `jobs` at a time, then owners and modes, then folder
 * modes and every time, children before parents. The result does not depend on `jobs`.
 */
async function populate(entries: JailEntry[], fs: SourceRoot, staging: string, options: WriteTreeOptions): Promise<number> {
  const destOf = (e: JailEntry): string => (e.path === '/' ? staging : join(staging, e.path));
  const copies: JailEntry[] = [];
  let bytes = 0;
  let done = 0;
  const total = entries.length;
  const tick = (): void => options.onEntry?.(++done, total, bytes);
  for (const e of entries) {
    const dest = destOf(e);
    switch (e.kind) {
      case 'directory':
        if (e.path !== '/') mkdirSync(dest, { mode: 0o700 });
        tick();
        break;
      case 'file': {
        const own = ownBytes(e, fs);
        if (own) {
          writeFileSync(dest, own, { flag: 'wx', mode: 0o600 });
          bytes += own.length;
          tick();
        } else copies.push(e);
        break;
      }
      case 'symlink':
        symlinkSync(e.target as string, dest);
        tick();
        break;
      case 'char':
      case 'block': {
        const made = spawnSync('mknod', ['-m', (e.mode & 0o7777).toString(8), dest, e.kind === 'char' ? 'c' : 'b', String(e.major), String(e.minor)], { encoding: 'utf8' });
        if (made.status !== 0) throw new JailError('IO_ERROR', `${e.path}: mknod failed: ${(made.stderr || String(made.error)).trim()}`, { file: e.path });
        tick();
        break;
      }
    }
  }

  const linked = new Set<JailEntry>();
  const limit = pLimit(options.jobs ?? Math.max(1, availableParallelism()));
  try {
    await Promise.all(
      copies.map((e) =>
        limit(async () => {
          const dest = destOf(e);
          // The very file the plan saw, opened without following links: see RootFs.openPlanned.
          const file = fs.openPlanned(e.source as string, { ...(e.sourceIdentity ? { identity: e.sourceIdentity } : {}), ...(e.size !== undefined ? { size: e.size } : {}) });
          try {
            const st = file.stats;
            // Executables are always copied: a hard link would share the source's inode, and with it any
            // file capability (security.capability), which a copy never carries.
            const linkable = options.link && (st.mode & 0o111) === 0 && st.uid === e.uid && st.gid === e.gid && (st.mode & 0o7777) === e.mode;
            if (linkable && fs.linkPlanned(e.source as string, dest, st)) linked.add(e);
            else await copyFile(file.path, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
            const after = fstatSync(file.fd);
            if (after.size !== st.size || after.mtimeMs !== st.mtimeMs || lstatSync(dest).size !== st.size) {
              throw new JailError('SOURCE_CHANGED', `${e.source as string}: changed while the jail was being built (${e.size} bytes planned, ${after.size} now); nothing was changed, run again`, { file: e.source as string });
            }
          } finally {
            file.close();
          }
          bytes += e.size ?? 0;
          tick();
        }),
      ),
    );
  } finally {
    fs.releaseHandles();
  }

  for (const e of entries) {
    if (linked.has(e)) continue;
    const dest = destOf(e);
    // chown before chmod: chown clears setuid and setgid bits.
    lchownSync(dest, e.uid, e.gid);
    if (e.kind !== 'symlink' && e.kind !== 'directory') chmodSync(dest, e.mode);
  }
  // Folders last, children before parents, so their modes and times are not disturbed by writing.
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i] as JailEntry;
    if (linked.has(e)) continue;
    const dest = destOf(e);
    if (e.kind === 'directory') chmodSync(dest, e.mode);
    lutimesSync(dest, options.mtime, options.mtime);
  }
  return bytes;
}
