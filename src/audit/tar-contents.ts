import { BufferSource, type ByteSource, checkRange } from '../io/byte-source.js';
import { ScratchFile } from './scratch-file.js';

/** Where a member's bytes are kept: in memory, or a range of the scratch file. */
type Place = { bytes: Buffer } | { offset: number; size: number };

/** One member's bytes on their way in, stored under its path by TarContents.commit. */
export interface PendingContent {
  write(chunk: Buffer): void;
}

class MemoryPending implements PendingContent {
  readonly chunks: Buffer[] = [];
  write(chunk: Buffer): void {
    this.chunks.push(chunk);
  }
}

/** Bytes streamed straight into the scratch file from `offset` on; a failed write (ENOSPC) is remembered, never thrown. */
class ScratchPending implements PendingContent {
  readonly offset: number;
  size = 0;
  error: Error | null = null;
  readonly #scratch: ScratchFile;

  constructor(scratch: ScratchFile, offset: number) {
    this.#scratch = scratch;
    this.offset = offset;
  }

  write(chunk: Buffer): void {
    if (this.error) return;
    try {
      this.#scratch.write(chunk, this.offset + this.size);
      this.size += chunk.length;
    } catch (err) {
      this.error = err as Error;
    }
  }
}

/** Positioned reads of one member kept in the scratch file, bounds-checked as FileSource's are. */
class ScratchSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  readonly #scratch: ScratchFile;
  readonly #offset: number;

  constructor(scratch: ScratchFile, place: { offset: number; size: number }, name: string) {
    this.#scratch = scratch;
    this.#offset = place.offset;
    this.size = place.size;
    this.name = name;
  }

  read(offset: number, length: number, what = 'read'): Buffer {
    checkRange(this.name, this.size, offset, length, what);
    return this.#scratch.read(this.#offset + offset, length);
  }
}

export interface TarContentsLimits {
  /** Bytes kept in memory; members past it go to the scratch file. */
  memory: number;
  /** Bytes the scratch file may grow to; members past it are not kept. */
  scratch: number;
}

/**
 * The bytes of the tarball members the checks read, whatever the archive's size: in memory up to a
 * budget, then in one scratch file on disk (created only when needed; see ScratchFile), up to a limit.
 * Members are streamed into it as the archive is read; reads are positioned reads of their ranges.
 * Nothing is ever unpacked under a member's name: a hostile archive cannot write anywhere through it.
 */
export class TarContents {
  readonly #places = new Map<string, Place>();
  readonly #limits: TarContentsLimits;
  #memoryLeft: number;
  #scratch: ScratchFile | null = null;
  /** End of what the scratch file holds for committed members; an uncommitted member is overwritten. */
  #scratchEnd = 0;
  /** Why the last member was not kept (the scratch limit, a failed write), for the finding. */
  lastFailure: string | null = null;
  /** The scratch file could not be created: not tried again for every member. */
  #noScratch = false;

  constructor(limits: TarContentsLimits) {
    this.#limits = limits;
    this.#memoryLeft = limits.memory;
  }

  /**
   * Starts keeping a member of `size` bytes: in memory when `tentative` (it may be dropped: the caller
   * bounds its size) or when it fits the memory left, else in the scratch file; null when it cannot be kept.
   */
  begin(size: number, tentative = false): PendingContent | null {
    if (tentative || size <= this.#memoryLeft) return new MemoryPending();
    return this.#scratchFor(size);
  }

  /** Keeps what `pending` received as the bytes of `path`; false when they could not be kept. */
  commit(pending: PendingContent, path: string): boolean {
    this.delete(path);
    if (pending instanceof MemoryPending) {
      const bytes = Buffer.concat(pending.chunks);
      if (bytes.length <= this.#memoryLeft) {
        this.#memoryLeft -= bytes.length;
        this.#places.set(path, { bytes });
        return true;
      }
      const spill = this.#scratchFor(bytes.length);
      if (!spill) return false;
      spill.write(bytes);
      return this.commit(spill, path);
    }
    const spill = pending as ScratchPending;
    if (spill.error) {
      this.lastFailure = `writing to the scratch file failed: ${(spill.error as NodeJS.ErrnoException).code ?? spill.error.message}`;
      return false;
    }
    this.#places.set(path, { offset: spill.offset, size: spill.size });
    this.#scratchEnd = Math.max(this.#scratchEnd, spill.offset + spill.size);
    return true;
  }

  /** `to` has the bytes of `from` (a hard link); false when `from` has none kept. */
  alias(to: string, from: string): boolean {
    const place = this.#places.get(from);
    if (!place) return false;
    this.#places.set(to, place);
    return true;
  }

  has(path: string): boolean {
    return this.#places.has(path);
  }

  /** Forgets `path` (a later member replaced it, or it was left out of the tree). */
  delete(path: string): void {
    this.#places.delete(path);
  }

  paths(): string[] {
    return [...this.#places.keys()];
  }

  /** The size of what is kept for `path`; undefined when nothing is. */
  sizeOf(path: string): number | undefined {
    const place = this.#places.get(path);
    return place === undefined ? undefined : 'bytes' in place ? place.bytes.length : place.size;
  }

  /** All the bytes kept for `path`; null when none are. */
  whole(path: string): Buffer | null {
    const place = this.#places.get(path);
    if (!place) return null;
    return 'bytes' in place ? place.bytes : (this.#scratch as ScratchFile).read(place.offset, place.size);
  }

  /** Random access to the bytes kept for `path` (named `name` in errors); null when none are. */
  source(path: string, name: string): ByteSource | null {
    const place = this.#places.get(path);
    if (!place) return null;
    return 'bytes' in place ? new BufferSource(place.bytes, name) : new ScratchSource(this.#scratch as ScratchFile, place, name);
  }

  /** Closes the scratch file (its space is freed); what was kept in memory stays readable. */
  close(): void {
    this.#scratch?.close();
    for (const [path, place] of this.#places) if (!('bytes' in place)) this.#places.delete(path);
  }

  #scratchFor(size: number): ScratchPending | null {
    if (this.#scratchEnd + size > this.#limits.scratch) {
      this.lastFailure = `more than the ${this.#limits.scratch} bytes of scratch space allowed`;
      return null;
    }
    if (this.#noScratch) return null;
    try {
      this.#scratch ??= ScratchFile.create();
    } catch (err) {
      this.#noScratch = true;
      this.lastFailure = (err as Error).message;
      return null;
    }
    return new ScratchPending(this.#scratch, this.#scratchEnd);
  }
}
