import { closeSync, createReadStream, fstatSync, openSync } from 'node:fs';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { JailError } from '../errors.js';

/**
 * Opens a tarball for reading: a file, or a stream (standard input for `-`). A file that cannot be
 * opened is an INPUT error (the target cannot be read), raised now rather than from inside a stream.
 */
export function openTarball(source: string | Readable): Readable {
  if (typeof source !== 'string') return source;
  let fd: number;
  try {
    fd = openSync(source, 'r');
    if (fstatSync(fd).isDirectory()) {
      closeSync(fd);
      throw new JailError('INPUT', `${source}: a folder, not a tarball`, { file: source });
    }
  } catch (err) {
    if (err instanceof JailError) throw err;
    throw new JailError('INPUT', `${source}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: source, cause: err });
  }
  return createReadStream('', { fd, highWaterMark: 256 * 1024 });
}

/** ustar's header checksum: the bytes summed with the checksum field taken as spaces. */
function checksumOk(block: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  const field = block
    .subarray(148, 156)
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  return /^[0-7]+$/.test(field) && parseInt(field, 8) === sum;
}

/** Whether the first block is a tar header at all (a broken one still is: it has the magic). */
function looksLikeTar(block: Buffer): boolean {
  return block.subarray(257, 262).toString('latin1') === 'ustar' || checksumOk(block);
}

/**
 * The bytes of the tar stream: gunzipped when the input starts with gzip's magic bytes (whatever its
 * name), and checked to begin like a tar archive, so that a file that is no tarball at all is an INPUT
 * error (exit 2) while a damaged tarball is read as far as it goes and reported.
 */
export async function* tarBytes(input: Readable, label: string): AsyncGenerator<Buffer> {
  const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await it.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  async function* raw(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  }
  let bytes: AsyncIterable<Buffer> = raw();
  if (head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    // pipeline forwards a read error into gunzip, where the loop below meets it.
    pipeline(Readable.from(raw()), gunzip, () => undefined);
    bytes = gunzip;
  }
  let first = Buffer.alloc(0);
  let checked = false;
  for await (const chunk of bytes) {
    if (!checked) {
      first = Buffer.concat([first, chunk]);
      if (first.length < 512) continue;
      if (!looksLikeTar(first.subarray(0, 512))) throw new JailError('INPUT', `${label}: not a tar archive`, { file: label });
      checked = true;
      yield first;
      continue;
    }
    yield chunk;
  }
  if (!checked) {
    if (first.length === 0) throw new JailError('INPUT', `${label}: empty: not a tar archive`, { file: label });
    if (!looksLikeTar(Buffer.concat([first, Buffer.alloc(512)]).subarray(0, 512))) throw new JailError('INPUT', `${label}: not a tar archive`, { file: label });
    yield first;
  }
}
