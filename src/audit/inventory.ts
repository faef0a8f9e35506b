import type { JailEntry } from '../model/jail-entry.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import type { Finding } from './finding.js';

/** Reads of file contents for checks stop here: secrets, scripts and configuration are small. */
export const DEFAULT_READ_LIMIT = 16 * 1024 * 1024;

/**
 * What a jail holds, however it is stored (a folder or a tarball): the entries, a root the resolver
 * can search, and access to the file contents the checks need.
 */
export interface Inventory {
  format: 'tree' | 'tar';
  /** What was audited, for messages: the folder, the archive, or `-`. */
  target: string;
  /** Every entry, sorted bytewise by path, `/` included. */
  entries: JailEntry[];
  /** Problems met while reading: hostile or broken archives, things that cannot be inventoried. */
  findings: Finding[];
  /** The jail as a root that ProgramResolver/ElfResolver can search. */
  fs: SourceRoot;
  /** A regular file's bytes, or null when unreadable, not kept (tarballs) or larger than `limit`. */
  read(path: string, limit?: number): Buffer | null;
  /**
   * sha256 of a regular file's bytes, hex (computed on demand for folders, while reading for tarballs);
   * undefined when it was not computed, and then `notHashed` says why.
   */
  sha256(path: string): string | undefined;
  /** Files sha256 was asked for and not computed (sparse, over the hash limit, no regular file any more), with why: reported as `not-hashed`. */
  notHashed: Map<string, string>;
  /** Files whose contents a tarball reader could not keep: checks must not guess about them. */
  unreadable: Set<string>;
  /** Releases what reading holds open (folders of a jail, a tarball's scratch file); call it when the audit ends. */
  close(): void;
}

export function indexByPath(entries: JailEntry[]): Map<string, JailEntry> {
  return new Map(entries.map((e) => [e.path, e]));
}
