import { constants, type Stats } from 'node:fs';
import { type ClosableSource, MAX_READ } from '../io/byte-source.js';
import { JailError } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import { dirnameInside, joinInside } from '../rootfs/inside-path.js';
import { KindFromMode } from '../rootfs/file-stat.js';
import { SourceRoot } from '../rootfs/source-root.js';
import type { OpenedFile } from '../rootfs/dir-handle.js';
import type { TarContents } from './tar-contents.js';

/**
 * A host path that can never exist (nothing is below /dev/null): should any code reach the host
 * through the base class, it finds nothing instead of reading the host's files.
 */

const TYPE_BITS: Record<JailEntry['kind'], number> = {
  file: constants.S_IFREG,
  directory: constants.S_IFDIR,
  symlink: constants.S_IFLNK,
  char: constants.S_IFCHR,
  block: constants.S_IFBLK,
};

/** lstat's answer for an entry of the archive: only the fields the resolver reads carry meaning. */
class EntryStats extends KindFromMode implements Stats {
  dev = 0;
  ino = 0;
  mode: number;
  nlink = 1;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize = 4096;
  blocks: number;
  atimeMs = 0;
  mtimeMs = 0;
  ctimeMs = 0;
  birthtimeMs = 0;
  atime = new Date(0);
  mtime = new Date(0);
  ctime = new Date(0);
  birthtime = new Date(0);

  constructor(e: JailEntry) {
    super();
    this.mode = TYPE_BITS[e.kind] | e.mode;
    this.uid = e.uid;
    this.gid = e.gid;
    this.rdev = ((e.major ?? 0) << 8) | (e.minor ?? 0);
    this.size = e.kind === 'symlink' ? Buffer.byteLength(e.target ?? '') : (e.size ?? 0);
    this.blocks = Math.ceil(this.size / 512);
  }
}

/**
 * A tarball's entries seen as a source root, so that ProgramResolver and ElfResolver judge an archive
 * with the very code that judges a folder, without unpacking a hostile archive anywhere. Lookups,
 * listings and reads are answered from the entries and the contents the reader kept (in memory or in
 * its scratch file); nothing here touches the host. A file whose contents were not kept exists
 * (lookups find it) but cannot be read. An archive is no source to copy from: openPlanned refuses.
 */
export class TarRootFs extends SourceRoot {
  readonly root: string;
  readonly #byPath: Map<string, JailEntry>;
  readonly #children = new Map<string, string[]>();
  readonly #contents: TarContents;

  constructor(entries: JailEntry[], contents: TarContents, label = 'the tarball') {
    super();
    this.root = label;
    this.#byPath = new Map(entries.map((e) => [e.path, e]));
    this.#contents = contents;
    for (const e of entries) {
      if (e.path === '/') continue;
      const dir = dirnameInside(e.path);
      const list = this.#children.get(dir) ?? [];
      list.push(e.path.slice(dir === '/' ? 1 : dir.length + 1));
      this.#children.set(dir, list);
    }
  }

  override openPlanned(source: string): OpenedFile {
    throw new JailError('IO_ERROR', `${source}: inside a tarball, not a source to copy from`, { file: source });
  }

  override releaseHandles(): void {
    // Nothing is held per read: the scratch file belongs to the inventory.
  }

  override locationOnHost(): undefined {
    return undefined;
  }

  override linkPlanned(): boolean {
    return false;
  }

  override fileKey(): undefined {
    return undefined;
  }

  override privacyOf(): null {
    return null;
  }

  override lstat(inside: string): Stats | null {
    const e = this.#byPath.get(joinInside('/', inside));
    return e ? new EntryStats(e) : null;
  }

  override readlink(inside: string): string {
    const e = this.#byPath.get(joinInside('/', inside));
    if (e?.kind !== 'symlink') throw new JailError('IO_ERROR', `${inside}: not a symbolic link`, { file: inside });
    return e.target ?? '';
  }

  protected override listNames(realPath: string): string[] | null {
    return this.#byPath.get(realPath)?.kind === 'directory' ? [...(this.#children.get(realPath) ?? [])] : null;
  }

  protected override readFile(realPath: string): Buffer | null {
    // No single read allocates more than MAX_READ (as with FileSource); callers read small files whole.
    if ((this.#contents.sizeOf(realPath) ?? 0) > MAX_READ) return null;
    return this.#contents.whole(realPath);
  }

  override open(resolvedInside: string): ClosableSource {
    const source = this.#contents.source(resolvedInside, resolvedInside);
    if (!source) throw new JailError('IO_ERROR', `${resolvedInside}: its contents were not kept from the tarball`, { file: resolvedInside });
    // Callers only read and close; the scratch file stays open for the others.
    return Object.assign(source, { close: (): void => undefined });
  }
}
