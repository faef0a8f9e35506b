import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { writeFileWhole } from '../io/write-whole.js';
import { basename, dirname, join, resolve as resolveHostPath } from 'node:path';
import type { JailEntry } from '../model/jail-entry.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import { JailError } from '../errors.js';

/**
 * The mark jailbuild leaves beside every folder it builds (a jail tree, an OCI layout), so that it
 * replaces only folders it built: `--out /srv/www/site` (or a profile's `"out": "../../etc"`) must not
 * swap away and delete a folder that happens to be there. The mark is a small JSON file in the
 * folder's parent, `.NAME.jailbuild.json`, listing the device and inode of the folder(s) it vouches
 * for. It lies outside the jail, where no inmate reaches, and it counts only when it is a regular file
 * owned by the user jailbuild runs as and writable by nobody else: others cannot forge one.
 */
const VERSION = 2;

export function markPathOf(folder: string): string {
  return join(dirname(folder), `.${basename(folder)}.jailbuild.json`);
}

/**
 * Device, inode and birth time: an inode number is reused as soon as a folder is removed (the admin
 * removes a jail by hand, then makes an unrelated folder that gets its inode); the birth time tells
 * them apart. File systems that do not record it give 0, and then device and inode must do.
 */
function identityOf(path: string): string {
  const st = statSync(path, { bigint: true });
  return `${st.dev}:${st.ino}:${st.birthtimeNs}`;
}

/** The folder identities a trustworthy mark vouches for; empty when there is none or it cannot be trusted. */
function vouchedFor(folder: string): Set<string> {
  const mark = markPathOf(folder);
  const st = lstatSync(mark, { throwIfNoEntry: false });
  const euid = process.geteuid?.() ?? 0;
  if (!st || !st.isFile() || st.uid !== euid || (st.mode & 0o022) !== 0) return new Set();
  try {
    const data = JSON.parse(readFileSync(mark, 'utf8')) as { jailbuild?: unknown; folders?: unknown };
    if (data.jailbuild !== VERSION || !Array.isArray(data.folders)) return new Set();
    return new Set(data.folders.filter((f): f is string => typeof f === 'string'));
  } catch {
    return new Set();
  }
}

/**
 * Refuses to replace `folder` unless jailbuild built it (its mark vouches for this very folder), it is
 * empty, or `force` is given. Nothing exists there: nothing to refuse.
 */
export function checkReplaceable(folder: string, what: string, force: boolean): void {
  const st = lstatSync(folder, { throwIfNoEntry: false });
  if (!st || !st.isDirectory() || force) return;
  if (vouchedFor(folder).has(identityOf(folder))) return;
  if (readdirSync(folder).length === 0) return;
  throw new JailError(
    'INPUT',
    `${folder}: an existing folder that jailbuild did not build (no mark of it at ${markPathOf(folder)}): refusing to replace it with ${what}; if it is a jail to replace (built by an older jailbuild, or restored from a backup), run again with --force`,
    { file: folder },
  );
}

/** Writes the mark for `folder`, vouching for the given folders (host paths that exist). Replaced whole. */
export function writeMark(folder: string, vouchFor: string[]): void {
  const folders = vouchFor.map(identityOf);
  const mark = markPathOf(folder);
  try {
    writeFileWhole(mark, `${JSON.stringify({ jailbuild: VERSION, folders })}\n`);
  } catch (err) {
    throw new JailError('IO_ERROR', `${mark}: cannot write jailbuild's mark: ${(err as Error).message}`, { file: mark, cause: err });
  }
}

/**
 * Refuses an output folder that holds, or lies inside, something the build reads (`reads`: host real
 * paths of sources, copied folders, mount sources, the profile files): replacing it would delete what
 * the jail is made from, or the build would copy its own output. `--force` never overrides this.
 */
export function checkOutputPlace(out: string, reads: Iterable<string>): void {
  const inside = (a: string, b: string): boolean => a === b || b === '/' || a.startsWith(`${b}/`);
  for (const r of reads) {
    if (inside(r, out)) throw new JailError('INPUT', `${out}: holds ${r}, which this build reads: refusing to replace it; choose another --out`, { file: out });
    if (inside(out, r) && r !== '/') throw new JailError('INPUT', `${out}: lies inside ${r}, which this build reads: refusing to build there; choose another --out`, { file: out });
  }
}

/** Real host paths of the entries' source files. */
export function sourcesRead(entries: readonly JailEntry[], fs: SourceRoot): string[] {
  const root = realpathSync(fs.root);
  const prefix = root === '/' ? '' : root;
  return entries.filter((e) => e.source !== undefined).map((e) => prefix + (e.source as string));
}

/** `path` as the kernel names it: its parent's real path and its own name (the path need not exist). */
export function realOutputPath(path: string): string {
  const abs = resolveHostPath(path);
  try {
    return join(realpathSync(dirname(abs)), basename(abs));
  } catch {
    return abs;
  }
}
