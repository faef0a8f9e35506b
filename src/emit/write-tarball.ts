import { createHash, type Hash } from 'node:crypto';
import { closeSync, createWriteStream, fstatSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import { JailError } from '../errors.js';
import { tempPathBeside } from '../io/write-whole.js';
import { letYoungGenerationGrowWhenDue } from '../io/young-generation.js';
import { checkEntries } from '../model/check-entries.js';
import { ownBytes } from './generate-files.js';
import { BLOCK, END_OF_ARCHIVE, headerBlocks, paddingLength, type TarHeader, writeUstarHeader } from './tar-encode.js';
import { headerOf, MAX_MTIME, tarName } from './tar-header.js';
import { checkOutputPlace, realOutputPath, sourcesRead } from './output-mark.js';
import type { JailEntry } from '../model/jail-entry.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import type { OpenedFile } from '../rootfs/dir-handle.js';

export { tarName };

export interface TarballOptions {
  /** Seconds since the epoch given to every entry (the plan's mtime). */
  mtime: number;
  /** Compress with gzip (level 6, fixed header). */
  gzip: boolean;
  /** Host paths the build reads besides the entries' sources (Plan.reads): the archive may not replace one. */
  reads?: string[];
}

export interface TarballResult {
  /** The file written, or '-' for standard output / a caller's stream. */
  dest: string;
  entries: number;
  /** Hard links written instead of a second copy. */
  hardLinks: number;
  /** Size and sha256 of the uncompressed tar stream (the OCI diff_id). */
  tarBytes: number;
  tarSha256: string;
  /** Size and sha256 of what was written (equal to the above without gzip). */
  outputBytes: number;
  outputSha256: string;
  /** True when the archive holds a host secret and was written readable by its owner only (0600). */
  ownerOnly: boolean;
}

/**
 * The gzip level is part of the output's identity: another level gives other bytes. Node's zlib
 * writes the header 1f 8b 08 00 00000000 00 03 — no file name, mtime 0, XFL 0 at level 6, OS 3
 * (Unix) — whatever the host, so only the deflate stream itself depends on the bundled zlib.
 */
export const GZIP_LEVEL = 6;
/** zlib's output buffer: 256 KiB instead of 16 KiB, for fewer, larger writes (the bytes do not depend on it). */
const GZIP_CHUNK = 256 * 1024;

/** The archive is handed on in writes of this size (the last one shorter). */
export const BATCH = 1024 * 1024;
/** Files smaller than this are read straight into the write being gathered; larger ones go by in BATCH reads. */
const SMALL_FILE = BATCH - 2 * BLOCK;

/**
 * The write being gathered: headers are copied in, small files read straight into it (no buffer of
 * their own, no copy). A full one is handed on and a new one started, as the consumer may still hold it.
 */
export class Gathered {
  /** Reusing: the two buffers taken in turn (the consumer is done with one before the other is taken). */
  private readonly pair: [Buffer, Buffer] | undefined;
  private buf: Buffer;
  used = 0;

  constructor(reuse: boolean) {
    this.buf = Buffer.allocUnsafe(BATCH);
    this.pair = reuse ? [this.buf, Buffer.allocUnsafe(BATCH)] : undefined;
  }

  room(): number {
    return BATCH - this.used;
  }

  /**
   * The bytes gathered so far, handed on; the next ones go in a new buffer, or, reusing, in the other
   * of the pair: a consumer that writes each write before asking for the next is done with it by then.
   */
  take(): Buffer {
    const full = this.buf.subarray(0, this.used);
    this.buf = this.pair ? (this.buf === this.pair[0] ? this.pair[1] : this.pair[0]) : Buffer.allocUnsafe(BATCH);
    this.used = 0;
    return full;
  }

  /** Copies `chunk` in; returns what to hand on first when it does not fit (and `chunk` itself when larger than a write). */
  put(chunk: Buffer): Buffer[] {
    if (chunk.length <= this.room()) {
      chunk.copy(this.buf, this.used);
      this.used += chunk.length;
      return [];
    }
    const handed = this.used > 0 ? [this.take()] : [];
    if (chunk.length > BATCH) return [...handed, chunk];
    chunk.copy(this.buf, 0);
    this.used = chunk.length;
    return handed;
  }

  zeros(n: number): void {
    this.buf.fill(0, this.used, this.used + n);
    this.used += n;
  }

  /** The free part, for a read straight into it. */
  free(): Buffer {
    return this.buf.subarray(this.used);
  }
}

/** The error for a source whose size is not the planned one any more. */
function sourceChanged(e: JailEntry, now: number): JailError {
  const source = e.source as string;
  return new JailError('SOURCE_CHANGED', `${source} (for ${e.path}): ${now} bytes now, ${e.size ?? 0} when the plan was made: it changed while the tarball was being written; run again`, { file: source });
}

/** Opens a source file: the very file the plan saw (RootFs.openPlanned checks device, inode, size and mtime). */
function openSource(e: JailEntry, fs: SourceRoot): OpenedFile {
  return fs.openPlanned(e.source as string, { identity: e.sourceIdentity, size: e.size ?? 0 });
}

/**
 * Reads a small source file (opened without following links, see openSource) straight into `into`,
 * which has room for it and one byte more, so a file that grew shows. A tar header states the size up
 * front, so the bytes read must be the planned size.
 */
function readSmallFile(e: JailEntry, fs: SourceRoot, into: Buffer): void {
  const planned = e.size ?? 0;
  const file = openSource(e, fs);
  try {
    const want = planned + 1;
    let got = 0;
    for (;;) {
      const n = readSync(file.fd, into, got, want - got, got);
      if (n === 0) break;
      got += n;
      // Each read asks for one byte past the planned size: one that ends at it found the end of the
      // file there (a regular file reads short only at its end), so no read is spent on seeing 0.
      if (got >= planned) break;
    }
    if (got !== planned) throw sourceChanged(e, got);
  } finally {
    file.close();
  }
}

/**
 * A larger source file's bytes (opened as openSource does), yielded BATCH bytes at a time with
 * blocking reads (in `scratch`, when given, each time). The bytes read must be the planned size, and
 * the file must not have grown or shrunk by the end.
 */
function* fileBytes(e: JailEntry, fs: SourceRoot, scratch?: Buffer): Generator<Buffer> {
  const planned = e.size ?? 0;
  const file = openSource(e, fs);
  try {
    let got = 0;
    while (got < planned) {
      // A new buffer for each read, as the consumer may still hold the one before; or the scratch
      // buffer, reused, for a consumer that is done with each chunk before asking for the next.
      const want = Math.min(BATCH, planned - got);
      const chunk = scratch ? scratch.subarray(0, want) : Buffer.allocUnsafe(want);
      const n = readSync(file.fd, chunk, 0, chunk.length, got);
      if (n === 0) break;
      got += n;
      yield chunk.subarray(0, n);
    }
    if (got !== planned) throw sourceChanged(e, got);
    const after = fstatSync(file.fd).size;
    if (after !== planned) throw sourceChanged(e, after);
  } finally {
    file.close();
  }
}

/** Counts and hashes the bytes going by. */
function tap(hash: Hash, count: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      count.bytes += chunk.length;
      cb(null, chunk);
    },
  });
}

/**
 * The files already written, found again by their source: by path, and by device and inode (from the
 * plan), so hard links are found too. A later file is written as a hard link to the first only when
 * mode, owner and size agree as well (a hard link shares them).
 */
class FirstCopies {
  /** By source path: one copy for each set of attributes met. */
  readonly #byPath = new Map<string, WrittenCopy[]>();
  /** By inode, then checked for the device (inodes repeat across file systems). */
  readonly #byInode = new Map<number, WrittenCopy[]>();

  /** The name of the first copy of `e`'s source in the archive, if one was written. */
  find(e: JailEntry): string | undefined {
    const id = e.sourceIdentity;
    const found = matching(this.#byPath.get(e.source as string), e, undefined) ?? (id === undefined ? undefined : matching(this.#byInode.get(id.ino), e, id.dev));
    return found?.name;
  }

  /** Notes that `e` (which find() did not find) was written under `name`. */
  add(e: JailEntry, name: string): void {
    const id = e.sourceIdentity;
    const w: WrittenCopy = { name, mode: e.mode & 0o7777, uid: e.uid, gid: e.gid, size: e.size ?? 0, dev: id?.dev ?? -1 };
    pushTo(this.#byPath, e.source as string, w);
    if (id !== undefined) pushTo(this.#byInode, id.ino, w);
  }
}

interface WrittenCopy {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** The source's device, -1 when the plan gave no identity. */
  dev: number;
}

/** The copy in `copies` with `e`'s mode, owner and size (and on device `dev`, when given). */
function matching(copies: WrittenCopy[] | undefined, e: JailEntry, dev: number | undefined): WrittenCopy | undefined {
  if (copies === undefined) return undefined;
  const mode = e.mode & 0o7777;
  const size = e.size ?? 0;
  for (const w of copies) if ((dev === undefined || w.dev === dev) && w.mode === mode && w.uid === e.uid && w.gid === e.gid && w.size === size) return w;
  return undefined;
}

function pushTo<K>(map: Map<K, WrittenCopy[]>, key: K, w: WrittenCopy): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [w]);
  else list.push(w);
}

/**
 * The archive's bytes, made synchronously (blocking reads, headers built in memory) and handed on in
 * writes of about BATCH bytes; a stream pulls the next one when the last is taken, so memory stays
 * bounded and gzip (on libuv's thread pool) overlaps with the reading. With `reuse`, the consumer must
 * be done with each write before asking for the next (then two buffers serve the whole archive).
 */
function* archive(entries: JailEntry[], fs: SourceRoot, mtime: number, reuse: boolean, counts: { hardLinks: number }): Generator<Buffer> {
  const out = new Gathered(reuse);
  const scratch = reuse ? Buffer.allocUnsafe(BATCH) : undefined;
  const firstCopies = new FirstCopies();
  for (const e of entries) {
    const name = tarName(e);
    let header: TarHeader;
    let own: Buffer | undefined;
    let read = false;
    if (e.kind !== 'file') header = headerOf(e, name, mtime);
    else {
      own = ownBytes(e, fs) ?? undefined;
      if (own) {
        if (e.content !== undefined && e.size !== undefined && own.length !== e.size) throw new JailError('INPUT', `${e.path}: generated content is ${own.length} bytes, the plan says ${e.size}`, { file: e.path });
        header = headerOf({ ...e, size: own.length }, name, mtime);
      } else {
        if (e.source === undefined) throw new JailError('INPUT', `${e.path}: a file with neither a source nor contents`, { file: e.path });
        const first = firstCopies.find(e);
        if (first !== undefined) {
          header = headerOf(e, name, mtime, first);
          counts.hardLinks++;
        } else {
          header = headerOf(e, name, mtime);
          read = true;
          firstCopies.add(e, name);
        }
      }
    }
    // A plain ustar header is written where the archive is gathered; one with PAX records as blocks.
    if (out.room() < BLOCK) yield out.take();
    if (header.pax === undefined && writeUstarHeader(header, out.free())) out.used += BLOCK;
    else for (const block of headerBlocks(header)) yield* out.put(block);
    const size = own ? own.length : read ? (e.size ?? 0) : 0;
    if (own) yield* out.put(own);
    else if (read && size < SMALL_FILE) {
      // Room for the file, one byte more and its padding, else hand on what is gathered first.
      if (out.room() < size + 1 + BLOCK) yield out.take();
      readSmallFile(e, fs, out.free());
      out.used += size;
    } else if (read) {
      if (out.used > 0) yield out.take();
      yield* fileBytes(e, fs, scratch);
    }
    const pad = paddingLength(size);
    if (pad > out.room()) yield out.take();
    out.zeros(pad);
  }
  yield* out.put(END_OF_ARCHIVE);
  yield out.take();
}

/**
 * Writes the archive's bytes to `tempPath` (made new, with `mode`) with blocking writes, hashing them
 * on the way, and renames it to `finalPath` when complete; on any failure the temporary file is removed
 * and nothing is left at `finalPath`.
 */
function writeArchiveFile(chunks: Iterable<Buffer>, tempPath: string, mode: number, finalPath: string, fs: SourceRoot): { bytes: number; sha256: string } {
  const hash = createHash('sha256');
  let bytes = 0;
  let fd: number | undefined;
  try {
    fd = openSync(tempPath, 'wx', mode);
    for (const chunk of chunks) {
      // Written with blocking writes, no timer fires: the CLI's young-generation setting looks here.
      letYoungGenerationGrowWhenDue();
      hash.update(chunk);
      bytes += chunk.length;
      for (let done = 0; done < chunk.length;) done += writeSync(fd, chunk, done, chunk.length - done);
    }
    closeSync(fd);
    fd = undefined;
    renameSync(tempPath, finalPath);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tempPath, { force: true });
    if (err instanceof JailError) throw err;
    throw new JailError('IO_ERROR', `${finalPath}: writing the tarball failed: ${(err as Error).message}`, { file: finalPath, cause: err });
  } finally {
    fs.releaseHandles();
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Writes `entries` (a plan: sorted bytewise, parents first) as a reproducible tar stream: plan order,
 * every mtime the same, numeric owners only, exact modes, devices with their numbers, and a file whose
 * source was already written (same source path, or same device and inode in the source root, with the
 * same mode, owner and size — a hard link shares them) written as a hard link to the first one.
 * `dest` is a file path (written beside and renamed into place, so a failure leaves no partial
 * archive), `-` for standard output, or a stream (ended when done, unless it is standard output).
 */
export async function writeTarball(entries: JailEntry[], fs: SourceRoot, dest: Writable | string, options: TarballOptions): Promise<TarballResult> {
  checkEntries(entries);
  if (!Number.isSafeInteger(options.mtime) || options.mtime < 0 || options.mtime > MAX_MTIME) {
    throw new JailError('USAGE', `mtime ${options.mtime}: a tarball needs whole seconds between 0 and ${MAX_MTIME}`, { field: 'mtime' });
  }
  const mtime = options.mtime;
  const toFile = typeof dest === 'string' && dest !== '-';
  const finalPath = toFile ? realOutputPath(dest) : '-';
  if (toFile) checkOutputPlace(finalPath, [...sourcesRead(entries, fs), ...(options.reads ?? [])]);
  const tempPath = toFile ? tempPathBeside(finalPath) : undefined;
  // An archive holding a host secret ("secret": true) is for its owner's eyes only.
  const mode = entries.some((e) => e.secret) ? 0o600 : 0o644;
  const counts = { hardLinks: 0 };
  if (tempPath !== undefined && !options.gzip) {
    // To a file, uncompressed: written here with blocking writes, each write done before the next is
    // gathered, so two buffers serve the whole archive (no stream, no garbage per write).
    const written = writeArchiveFile(archive(entries, fs, mtime, true, counts), tempPath, mode, finalPath, fs);
    return { dest: finalPath, entries: entries.length, hardLinks: counts.hardLinks, tarBytes: written.bytes, tarSha256: written.sha256, outputBytes: written.bytes, outputSha256: written.sha256, ownerOnly: mode === 0o600 };
  }
  const out: Writable = tempPath !== undefined ? createWriteStream(tempPath, { flags: 'wx', mode }) : dest === '-' ? process.stdout : (dest as Writable);
  const tarHash = createHash('sha256');
  const outHash = createHash('sha256');
  const tarCount = { bytes: 0 };
  const outCount = { bytes: 0 };
  const source = Readable.from(archive(entries, fs, mtime, false, counts), { objectMode: false });
  // pipeline() does not watch a destination it must not end (standard output): an EPIPE there would
  // be an uncaught error. Stopping the archive makes the pipeline fail instead.
  const onOutError = (err: Error): void => void source.destroy(err);
  out.on('error', onOutError);
  const end = { end: out !== process.stdout };
  try {
    if (options.gzip) await pipeline(source, tap(tarHash, tarCount), createGzip({ level: GZIP_LEVEL, strategy: zlibConstants.Z_DEFAULT_STRATEGY, chunkSize: GZIP_CHUNK }), tap(outHash, outCount), out, end);
    else await pipeline(source, tap(tarHash, tarCount), out, end);
  } catch (err) {
    source.destroy();
    if (tempPath !== undefined) {
      // The file stream opens its file asynchronously: wait until it is closed, or a late open would
      // recreate the file after it was removed.
      await new Promise<void>((resolve) => {
        if (out.closed) resolve();
        else {
          out.once('close', () => resolve());
          out.destroy();
        }
      });
      rmSync(tempPath, { force: true });
    }
    if (err instanceof JailError) throw err;
    const where = toFile ? finalPath : dest === '-' ? 'standard output' : 'the output stream';
    throw new JailError('IO_ERROR', `${where}: writing the tarball failed: ${(err as Error).message}`, { file: where, cause: err });
  } finally {
    fs.releaseHandles();
    // Standard output keeps the listener: a late EPIPE there must not crash the process.
    if (out !== process.stdout) out.off('error', onOutError);
  }
  if (tempPath !== undefined) renameSync(tempPath, finalPath);
  const tarSha256 = tarHash.digest('hex');
  return {
    dest: finalPath,
    entries: entries.length,
    hardLinks: counts.hardLinks,
    tarBytes: tarCount.bytes,
    tarSha256,
    outputBytes: options.gzip ? outCount.bytes : tarCount.bytes,
    outputSha256: options.gzip ? outHash.digest('hex') : tarSha256,
    ownerOnly: mode === 0o600,
  };
}

/** `.tar.gz` and `.tgz` are compressed; anything else (and `-`) is a plain tar. */
export function gzipByName(dest: string): boolean {
  return /\.(tar\.gz|tgz)$/i.test(dest);
}
