import { constants, type Stats } from 'node:fs';

/**
 * What a source root answers for lstat: the fields jailbuild reads, and the tests of a node's kind.
 * Node's Stats has them all (and more), so a Stats is one.
 */
export interface FileStat {
  readonly dev: number;
  readonly ino: number;
  /** The file-type bits and the permission bits. */
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly size: number;
  readonly mtimeMs: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
}

const { S_IFMT, S_IFREG, S_IFDIR, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK } = constants;

/** The tests of a node's kind, read from the file-type bits of its mode (as Node's Stats reads them). */
export abstract class KindFromMode {
  abstract readonly mode: number;

  #is(type: number): boolean {
    return (this.mode & S_IFMT) === type;
  }
  isFile(): boolean {
    return this.#is(S_IFREG);
  }
  isDirectory(): boolean {
    return this.#is(S_IFDIR);
  }
  isSymbolicLink(): boolean {
    return this.#is(S_IFLNK);
  }
  isCharacterDevice(): boolean {
    return this.#is(S_IFCHR);
  }
  isBlockDevice(): boolean {
    return this.#is(S_IFBLK);
  }
  isFIFO(): boolean {
    return this.#is(S_IFIFO);
  }
  isSocket(): boolean {
    return this.#is(S_IFSOCK);
  }
}

/**
 * The part of an lstat answer a RootFs keeps for its life (every path a plan looks at: 3,400 for the
 * tex profile). Node 20's Stats carries four Date objects and fourteen numbers besides, about 850
 * bytes in all; kept through a plan, they were copied by the young generation's collector and then
 * promoted only to die after it. This keeps nine numbers.
 */
export class KeptStat extends KindFromMode implements FileStat {
  readonly dev: number;
  readonly ino: number;
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  readonly rdev: number;
  readonly size: number;
  readonly mtimeMs: number;

  constructor(st: Stats) {
    super();
    this.dev = st.dev;
    this.ino = st.ino;
    this.mode = st.mode;
    this.nlink = st.nlink;
    this.uid = st.uid;
    this.gid = st.gid;
    this.rdev = st.rdev;
    this.size = st.size;
    this.mtimeMs = st.mtimeMs;
  }
}
