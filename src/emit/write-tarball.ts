import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, fstatSync, readSync, renameSync, rmSync } from 'node:fs';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import { JailError } from '../errors.js';
import { tempPathBeside } from '../io/write-whole.js';
import { checkEntries } from '../model/check-entries.js';
import { ownBytes } from './generate-files.js';
import { END_OF_ARCHIVE, headerBlocks, padding } from './tar-encode.js';
import { headerOf, MAX_MTIME, tarName } from './tar-header.js';
import { checkOutputPlace, realOutputPath, sourcesRead } from './output-mark.js';
import type { JailEntry } from '../model/jail-entry.js';
import type { SourceRoot } from '../rootfs/source-root.js';

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

/** Files up to this size are read in one go; larger ones in 1 MiB reads. */
const SMALL_FILE = 1024 * 1024;
/** Headers and small files are gathered into writes of about this size. */
const BATCH = 1024 * 1024;

/**
 * The bytes of a source file's entry: the very file the plan saw, opened without following links
 * (RootFs.openPlanned checks device, inode, size and mtime), read through that descriptor with
 * blocking reads (one for a small file, 1 MiB at a time for a larger one). A tar header states the
 * size up front, so the bytes read must be the planned size, and the file must not have grown or
 * shrunk by the end.
 */
function* fileBytes(e: JailEntry, fs: SourceRoot): Generator<Buffer> {
  const source = e.source as string;
  const planned = e.size ?? 0;
  const changed = (now: number): JailError =>
    new JailError('SOURCE_CHANGED', `${source} (for ${e.path}): ${now} bytes now, ${planned} when the plan was made: it changed while the tarball was being written; run again`, { file: source });
  const file = fs.openPlanned(source, { ...(e.sourceIdentity ? { identity: e.sourceIdentity } : {}), size: planned });
  try {
    if (planned <= SMALL_FILE) {
      // Most files of a jail are small: one read, one byte more than planned so a file that grew shows.
      const buf = Buffer.allocUnsafe(planned + 1);
      let got = 0;
      for (;;) {
        const n = readSync(file.fd, buf, got, buf.length - got, got);
        if (n === 0) break;
        got += n;
        if (got === buf.length) break;
      }
      if (got !== planned) throw changed(got);
      if (planned > 0) yield buf.subarray(0, planned);
      return;
    }
    let got = 0;
    while (got < planned) {
      // A new buffer for each read: the consumer may still hold the one before.
      const chunk = Buffer.allocUnsafe(Math.min(SMALL_FILE, planned - got));
      const n = readSync(file.fd, chunk, 0, chunk.length, got);
      if (n === 0) break;
      got += n;
      yield chunk.subarray(0, n);
    }
    if (got !== planned) throw changed(got);
    const after = fstatSync(file.fd).size;
    if (after !== planned) throw changed(after);
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

/** Where a source file's bytes come from: its path, and its inode (from the plan), so hard links are found too. */
function identities(e: JailEntry): string[] {
  const attrs = `${e.mode & 0o7777}:${e.uid}:${e.gid}:${e.size ?? 0}`;
  const ids = [`path:${e.source as string}:${attrs}`];
  const id = e.sourceIdentity;
  if (id) ids.push(`inode:${id.dev}:${id.ino}:${attrs}`);
  return ids;
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
  const out: Writable = tempPath !== undefined ? createWriteStream(tempPath, { flags: 'wx', mode }) : dest === '-' ? process.stdout : (dest as Writable);

  const tarHash = createHash('sha256');
  const outHash = createHash('sha256');
  const tarCount = { bytes: 0 };
  const outCount = { bytes: 0 };
  let hardLinks = 0;
  // The archive's bytes, made synchronously (blocking reads, headers built in memory) and handed on
  // in writes of about BATCH bytes; the stream pulls the next one when the last is taken, so memory
  // stays bounded and gzip (on libuv's thread pool) overlaps with the reading.
  function* archive(): Generator<Buffer> {
    let batch: Buffer[] = [];
    let batched = 0;
    const put = (chunk: Buffer): Buffer | undefined => {
      if (chunk.length === 0) return undefined;
      batch.push(chunk);
      batched += chunk.length;
      if (batched < BATCH) return undefined;
      const full = Buffer.concat(batch, batched);
      batch = [];
      batched = 0;
      return full;
    };
    const written = new Map<string, string>();
    for (const e of entries) {
      const name = tarName(e);
      const parts: Buffer[] = [];
      let body: Iterable<Buffer> | undefined;
      let size = 0;
      if (e.kind !== 'file') parts.push(...headerBlocks(headerOf(e, name, mtime)));
      else {
        const own = ownBytes(e, fs);
        if (own) {
          if (e.content !== undefined && e.size !== undefined && own.length !== e.size) throw new JailError('INPUT', `${e.path}: generated content is ${own.length} bytes, the plan says ${e.size}`, { file: e.path });
          parts.push(...headerBlocks(headerOf({ ...e, size: own.length }, name, mtime)), own, padding(own.length));
        } else {
          if (e.source === undefined) throw new JailError('INPUT', `${e.path}: a file with neither a source nor contents`, { file: e.path });
          const ids = identities(e);
          const first = ids.map((id) => written.get(id)).find((n) => n !== undefined);
          if (first !== undefined) {
            parts.push(...headerBlocks(headerOf(e, name, mtime, first)));
            hardLinks++;
          } else {
            parts.push(...headerBlocks(headerOf(e, name, mtime)));
            body = fileBytes(e, fs);
            size = e.size ?? 0;
            for (const id of ids) written.set(id, name);
          }
        }
      }
      for (const part of parts) {
        const full = put(part);
        if (full) yield full;
      }
      if (body === undefined) continue;
      if (size <= SMALL_FILE) {
        for (const chunk of body) {
          const full = put(chunk);
          if (full) yield full;
        }
      } else {
        // A large file goes by in its own reads, after what is gathered so far.
        if (batched > 0) {
          yield Buffer.concat(batch, batched);
          batch = [];
          batched = 0;
        }
        yield* body;
      }
      const full = put(padding(size));
      if (full) yield full;
    }
    batch.push(END_OF_ARCHIVE);
    yield Buffer.concat(batch, batched + END_OF_ARCHIVE.length);
  }
  const source = Readable.from(archive(), { objectMode: false });
  // pipeline() does not watch a destination it must not end (standard output): an EPIPE there would
  // be an uncaught error. Stopping the archive makes the pipeline fail instead.
  const onOutError = (err: Error): void => void source.destroy(err);
  out.on('error', onOutError);
  const end = { end: out !== process.stdout };
  try {
    if (options.gzip) await pipeline(source, tap(tarHash, tarCount), createGzip({ level: GZIP_LEVEL, strategy: zlibConstants.Z_DEFAULT_STRATEGY }), tap(outHash, outCount), out, end);
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
    hardLinks,
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
