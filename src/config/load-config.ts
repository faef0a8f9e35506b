import { homedir } from 'node:os';
import { isAbsolute, join, resolve as resolveHostPath, dirname } from 'node:path';
import { cosmiconfigSync } from 'cosmiconfig';
import { JailError } from '../errors.js';

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

/** Finds and reads the settings from `cwd` upwards; relative folders are taken from the settings file. */
export function loadConfig(cwd = process.cwd()): JailbuildConfig {
  const xdg = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const config: JailbuildConfig = { profilePath: [], cacheDir: join(xdg, 'jailbuild') };
  let found: { config: unknown; filepath: string } | null;
  try {
    found = cosmiconfigSync('jailbuild', {
      searchPlaces: ['package.json', '.jailbuildrc', '.jailbuildrc.json', 'jailbuild.config.json', 'jailbuild.config.js', 'jailbuild.config.cjs'],
    }).search(cwd);
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
