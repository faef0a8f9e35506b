import { lstatSync, readFileSync, type Stats, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve as resolveHostPath, dirname } from 'node:path';
import { cosmiconfigSync } from 'cosmiconfig';
import { JailError } from '../errors.js';

/** Where settings are looked for, in this order, in the working folder only. */
const SEARCH_PLACES = ['package.json', '.jailbuildrc', '.jailbuildrc.json', 'jailbuild.config.json', 'jailbuild.config.js', 'jailbuild.config.cjs'];

/** jailbuild's own settings (jailbuild.config.json or .js, .jailbuildrc, or "jailbuild" in package.json). */
export interface JailbuildConfig {
  /** Folders searched for profiles named without a path, before the shipped ones. */
  profilePath: string[];
  /** The analysis cache folder. */
  cacheDir: string;
  /** Default source root. */
  root?: string;
  /** Default permission change for jails (a profile's own wins). */
  permissions?: { owner?: number; group?: number; mode?: string };
  /** Parallel jobs. */
  jobs?: number;
  /** The file the settings came from, if any. */
  file?: string;
}

const KNOWN = new Set(['profilePath', 'cacheDir', 'root', 'permissions', 'jobs']);

/** Finds and reads the settings in `cwd` (the working folder); relative folders are taken from the settings file. */
export function loadConfig(cwd = process.cwd()): JailbuildConfig {
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const config: JailbuildConfig = { profilePath: [], cacheDir: join(xdg, 'jailbuild') };
  const located = settingsFile(cwd);
  if (located === undefined) return config;
  const place = located.path;
  // Settings may be code (.js, .cjs) and decide where profiles and the analysis cache come from: only a
  // file that nobody but its reader (or root) could have written is read, as ssh reads its own files.
  const distrust = untrusted(place, located.link);
  if (distrust !== null) throw new JailError('INPUT', `${place}: not read: ${distrust}; jailbuild runs what its settings say (as root, often), so they must be yours`, { file: place });
  let found: { config: unknown; filepath: string } | null;
  try {
    found = cosmiconfigSync('jailbuild', { searchPlaces: SEARCH_PLACES }).load(place);
  } catch (err) {
    throw new JailError('INPUT', `jailbuild settings: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!found) return config;
  const file = found.filepath;
  const raw = found.config as Record<string, unknown>;
  if (typeof raw !== 'object' || raw === null) throw new JailError('INPUT', `${file}: settings must be an object`, { file });
  for (const key of Object.keys(raw)) {
    if (!KNOWN.has(key)) throw new JailError('INPUT', `${file}: unknown setting "${key}" (known: ${[...KNOWN].join(', ')})`, { file, field: key });
  }
  const base = dirname(file);
  const abs = (p: string): string => (isAbsolute(p) ? p : resolveHostPath(base, p));
  config.file = file;
  if (raw.profilePath !== undefined) {
    if (!Array.isArray(raw.profilePath) || !raw.profilePath.every((p) => typeof p === 'string')) throw new JailError('INPUT', `${file}: profilePath must be a list of folders`, { file, field: 'profilePath' });
    config.profilePath = raw.profilePath.map(abs);
  }
  if (raw.cacheDir !== undefined) {
    if (typeof raw.cacheDir !== 'string') throw new JailError('INPUT', `${file}: cacheDir must be a folder`, { file, field: 'cacheDir' });
    config.cacheDir = abs(raw.cacheDir);
  }
  if (raw.root !== undefined) {
    if (typeof raw.root !== 'string') throw new JailError('INPUT', `${file}: root must be a folder`, { file, field: 'root' });
    config.root = abs(raw.root);
  }
  if (raw.jobs !== undefined) {
    if (!Number.isInteger(raw.jobs) || (raw.jobs as number) < 1) throw new JailError('INPUT', `${file}: jobs must be a whole number of at least 1`, { file, field: 'jobs' });
    config.jobs = raw.jobs as number;
  }
  if (raw.permissions !== undefined) config.permissions = raw.permissions as JailbuildConfig['permissions'];
  return config;
}

/**
 * The first settings file in `folder` (a package.json counts when it has a "jailbuild" key), with what
 * lstat said of it, or undefined.
 */
function settingsFile(folder: string): { path: string; link: Stats } | undefined {
  for (const name of SEARCH_PLACES) {
    const path = join(folder, name);
    let st: Stats;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (name !== 'package.json') return { path, link: st };
    if (!st.isFile()) continue;
    try {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as unknown;
      if (typeof pkg === 'object' && pkg !== null && 'jailbuild' in pkg) return { path, link: st };
    } catch {
      // A package.json that is no JSON holds no settings of ours (npm will say what is wrong with it).
    }
  }
  return undefined;
}

/**
 * Why a settings file may have been written by someone other than the user running jailbuild (or
 * root), or null: the file (links followed) must belong to one of them and be writable by no one else,
 * and so must its folder, unless the folder is sticky (like /tmp), where others cannot replace a file
 * that is not theirs.
 */
function untrusted(path: string, link: Stats): string | null {
  const uid = process.getuid?.() ?? 0;
  const ownedWell = (st: Stats): boolean => st.uid === uid || st.uid === 0;
  const describe = (st: Stats): string => `mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')}, owner ${st.uid}`;
  let file: Stats;
  let folder: Stats;
  try {
    if (link.isSymbolicLink() && !ownedWell(link)) return `it is a link made by someone else (owner ${link.uid})`;
    file = statSync(path);
    folder = statSync(dirname(path));
  } catch (err) {
    return `it cannot be examined (${(err as Error).message})`;
  }
  if (!file.isFile()) return 'it is not a regular file';
  if (!ownedWell(file) || (file.mode & 0o022) !== 0) return `it could be written by someone else (${describe(file)})`;
  if (!ownedWell(folder) || ((folder.mode & 0o022) !== 0 && (folder.mode & 0o1000) === 0)) return `its folder could be changed by someone else (${describe(folder)})`;
  return null;
}
