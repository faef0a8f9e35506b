import type { AnalysisCache } from '../cache/analysis-cache.js';
import type { Diagnostic } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import type { Profile } from '../profile/profile-types.js';
import type { JailAccess } from './jail-access.js';

/** What a profile builds: the sorted entries, and what was found on the way. */
export interface Plan {
  profile: Profile;
  entries: JailEntry[];
  diagnostics: Diagnostic[];
  /** Modification time given to every entry. */
  mtime: number;
  /**
   * The architecture of the jail's programs (jailbuild's ids: x86_64, aarch64, ...): that of the first
   * dynamically linked program, else of /bin/sh; undefined when the jail has none.
   */
  architecture?: string;
  /**
   * Host paths (real) the build reads besides the entries' sources: the files and folders the profile
   * copies, its mount sources and the profile files themselves. An output must hold none of them and
   * lie inside none of them (see checkOutputPlace).
   */
  reads: string[];
  /** Who may use the jail and where they may write (see jailAccess). */
  access: JailAccess;
}

export interface PlanOptions {
  /** Seconds since the epoch for every entry; default: SOURCE_DATE_EPOCH, else the profile's `mtime`, else 0. */
  mtime?: number;
  /** Per-file analysis kept between runs. */
  cache?: AnalysisCache;
  /** In a root without ld.so.cache, also search the folders ld.so.conf names (a root that runs ldconfig before use). */
  ldSoConfWithoutCache?: boolean;
  /** Called as programs and trees are resolved, for progress. */
  onProgress?: (what: string, done: number, total: number) => void;
}
