import { fstatSync, type Stats } from 'node:fs';
import { JailError } from '../errors.js';
import { errnoOf, readOpened } from '../rootfs/dir-handle.js';
import { hashPrefix } from '../rootfs/hash-file.js';
import { TreeOpener } from '../rootfs/tree-opener.js';

/**
 * The most bytes hashed from one file of a jail folder. The largest files jails really hold (libLLVM
 * and libxul at ~150 MiB, big Go or Rust programs, TeX formats) are far below it, and sha256 runs at
 * 0.5 to 2 GB/s, so one file costs a few seconds at most. A larger file in a jail is almost always
 * something an inmate made; hashing it would let them set the audit's running time.
 */
export const DEFAULT_HASH_LIMIT = 1024 ** 3;

/**
 * A file is taken as sparse when its size exceeds SPARSE_RATIO times what its blocks hold, plus
 * SPARSE_SLACK. Reading holes costs as much as reading data, and anyone can make a 200 GiB file in
 * one ftruncate without the disk to hold it; with this rule the bytes read stay within a small
 * multiple of what is really on disk, plus a little per file (an inmate may make many files). The
 * ratio leaves room for file systems that compress (btrfs, ZFS count compressed blocks); the slack
 * for small files kept inline in their inode or extent tree (0 blocks).
 */
const SPARSE_RATIO = 8;
const SPARSE_SLACK = 64 * 1024;

/** What the inventory saw of a file (lstat): hashing proves it is still that file. */
export interface SeenFile {
  dev: number;
  ino: number;
  size: number;
}

/** A sha256, or why the file was not hashed (for a `not-hashed` finding). */
export type HashOutcome = { sha256: string } | { notHashed: string };

/** True when the file's size is far above what its blocks hold: mostly holes. */
export function isSparse(st: Pick<Stats, 'size' | 'blocks'>): boolean {
  return st.size > st.blocks * 512 * SPARSE_RATIO + SPARSE_SLACK;
}

/** Why a file of this size and these blocks is not hashed under `limit`; null when it may be. */
export function hashRefusal(st: Pick<Stats, 'size' | 'blocks'>, limit: number): string | null {
  if (isSparse(st)) return `sparse: ${st.size} bytes long with ${st.blocks * 512} on disk (holes cost nothing to make and as much as data to read)`;
  if (st.size > limit) return `${st.size} bytes, more than the ${limit} bytes hashed per file`;
  return null;
}

/** What a failed open says about the file that was inventoried at that path. */
function openRefusal(err: unknown): string {
  const code = errnoOf(err);
  if (code === 'ENOENT') return 'gone since the inventory';
  if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'EFTYPE') return 'not a regular file any more: a link, pipe, socket or device (or a link on its way) took its place since the inventory';
  return `cannot be opened: ${code ?? (err as Error).message}`;
}

/**
 * The contents of a jail folder's files, in bounded time whatever inmates plant: every file is opened
 * without following links, folder by folder (TreeOpener), and only as regular files; reads stop at the
 * size fstat gave when it was opened; hashes skip sparse files and files over the hash limit.
 */
export class TreeFileContents {
  readonly #opener: TreeOpener;
  readonly #hashLimit: number;

  constructor(hostRoot: string, hashLimit = DEFAULT_HASH_LIMIT) {
    this.#opener = new TreeOpener(hostRoot);
    this.#hashLimit = hashLimit;
  }

  /** The bytes of the regular file at `inside` when it has at most `limit`; null when it has more, is sparse, is gone or is no regular file. */
  read(inside: string, limit: number): Buffer | null {
    let file;
    try {
      file = this.#opener.open(inside);
    } catch (err) {
      if (err instanceof JailError) throw err;
      return null;
    }
    try {
      if (file.stats.size > limit || isSparse(file.stats)) return null;
      return readOpened(file);
    } catch {
      return null;
    } finally {
      file.close();
    }
  }

  /** sha256 of the file at `inside` when it is still the file the inventory saw and within bounds; else why not. */
  hash(inside: string, seen: SeenFile): HashOutcome {
    let file;
    try {
      file = this.#opener.open(inside);
    } catch (err) {
      if (err instanceof JailError) throw err;
      return { notHashed: openRefusal(err) };
    }
    try {
      const st = file.stats;
      if (st.dev !== seen.dev || st.ino !== seen.ino) return { notHashed: 'another file took its place since the inventory' };
      if (st.size !== seen.size) return { notHashed: `its size changed since the inventory (${seen.size} bytes, now ${st.size})` };
      const refusal = hashRefusal(st, this.#hashLimit);
      if (refusal !== null) return { notHashed: refusal };
      let sha256: string;
      try {
        sha256 = hashPrefix(file.fd, st.size, inside);
      } catch (err) {
        if (!(err instanceof JailError)) throw err;
        return { notHashed: 'it shrank while it was hashed' };
      }
      // Written to while hashed (ctime moves on every write, and its owner cannot set it back).
      const after = fstatSync(file.fd);
      if (after.size !== st.size || after.ctimeMs !== st.ctimeMs) return { notHashed: 'it changed while it was hashed' };
      return { sha256 };
    } finally {
      file.close();
    }
  }

  /** Closes the folders kept open for reading. */
  close(): void {
    this.#opener.close();
  }
}
