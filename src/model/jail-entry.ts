/**
 * One thing in a jail: the model shared by building (the plan) and auditing (the inventory).
 */
import type { Reason } from './reason.js';

export type EntryKind = 'file' | 'directory' | 'symlink' | 'char' | 'block';

/**
 * What the plan saw of a source file (lstat in the source root). Emitters copy a source only when the
 * file they open, without following links, is this very file: same device and inode, same size and
 * modification time. Anything else means the file was replaced (or a folder on its way became a link)
 * after the plan was made, by whoever owns that folder.
 */
export interface SourceIdentity {
  dev: number;
  ino: number;
  mtimeMs: number;
}

/**
 * A file made at emit time by a program run then, so that planning runs nothing: the jail's own
 * ld.so.cache, made by glibc's ldconfig over the libraries (paths in the source root) the jail's
 * loader would not find in its default folders.
 */
export interface GeneratedFile {
  kind: 'ld.so.cache';
  /** Real paths in the source root of the libraries to cache, and of the links naming them by soname. */
  libraries: string[];
  /** The folders (inside the jail) the cache covers: what the jail's ld.so.conf names. */
  folders: string[];
}

export interface JailEntry {
  /** Absolute, normalized path inside the jail. */
  path: string;
  kind: EntryKind;
  /** Permission bits, setuid/setgid/sticky included (07777). */
  mode: number;
  uid: number;
  gid: number;
  /** Symbolic links: the target as written. */
  target?: string;
  /** Device nodes. */
  major?: number;
  minor?: number;
  /** Files copied from the source root: their (real) path there. */
  source?: string;
  /** Files copied from the source root: the file the plan saw there (see SourceIdentity). */
  sourceIdentity?: SourceIdentity;
  /** Files whose bytes the plan holds (passwd, group, ld.so.conf, profile contents). */
  content?: Buffer;
  /** Files whose bytes are made when the jail is written (see GeneratedFile). */
  generate?: GeneratedFile;
  /** Files: size in bytes. */
  size?: number;
  /** Files: a file the host keeps from others, copied because the profile says so ("secret": true). */
  secret?: boolean;
  /** Files: sha256 of the contents, hex (filled in by emitters and inventories). */
  sha256?: string;
  /** Why it is there, as data (see Reason): the first reason is the main one. */
  reasons: Reason[];
}

export function isDevice(e: JailEntry): boolean {
  return e.kind === 'char' || e.kind === 'block';
}

/** `ls -l`-style type letter and permission string, for messages. */
export function modeString(e: Pick<JailEntry, 'kind' | 'mode'>): string {
  const type = { file: '-', directory: 'd', symlink: 'l', char: 'c', block: 'b' }[e.kind];
  const m = e.mode;
  const bit = (b: number, c: string): string => (m & b ? c : '-');
  const x = (exec: number, special: number, on: string, off: string): string => (m & special ? (m & exec ? on : off) : bit(exec, 'x'));
  return type + bit(0o400, 'r') + bit(0o200, 'w') + x(0o100, 0o4000, 's', 'S') + bit(0o40, 'r') + bit(0o20, 'w') + x(0o10, 0o2000, 's', 'S') + bit(0o4, 'r') + bit(0o2, 'w') + x(0o1, 0o1000, 't', 'T');
}
