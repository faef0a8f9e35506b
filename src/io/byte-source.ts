import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { JailError } from '../errors.js';

/** Random access to the bytes of one file, bounds-checked: a read past the end is an error, never a short buffer. */
export interface ByteSource {
  readonly name: string;
  readonly size: number;
  read(offset: number, length: number, what?: string): Buffer;
}

/** A byte source that holds something open until closed (a descriptor, a scratch file's share). */
export type ClosableSource = ByteSource & { close(): void };

/** No single read may allocate more than this, whatever a header claims. */
export const MAX_READ = 64 * 1024 * 1024;

/** Throws ELF_MALFORMED unless [offset, offset + length) is a sane range inside a file of `size` bytes. */
export function checkRange(name: string, size: number, offset: number, length: number, what: string): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new JailError('ELF_MALFORMED', `${name}: ${what}: invalid offset ${offset} or size ${length}`, { file: name, field: what });
  }
  if (length > MAX_READ) {
    throw new JailError('ELF_MALFORMED', `${name}: ${what}: size ${length} is too large`, { file: name, field: what });
  }
  if (offset + length > size) {
    throw new JailError('ELF_MALFORMED', `${name}: ${what}: bytes ${offset}..${offset + length} lie past the end of the file (${size} bytes)`, { file: name, field: what });
  }
}

export class BufferSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  readonly #buf: Buffer;

  constructor(buf: Buffer, name: string) {
    this.#buf = buf;
    this.name = name;
    this.size = buf.length;
  }

  read(offset: number, length: number, what = 'read'): Buffer {
    checkRange(this.name, this.size, offset, length, what);
    return this.#buf.subarray(offset, offset + length);
  }
}

/**
 * Reads `length` bytes at `offset` into a buffer that is only good until the next such read (of any
 * source): for a table the caller takes apart at once (an ELF string table: its few strings copied
 * out, then dropped). Saves a buffer of its own for each of the thousand tables a resolution reads.
 */
export function readBriefly(src: ByteSource, offset: number, length: number, what: string): Buffer {
  return src instanceof FileSource ? src.readShared(offset, length, what) : src.read(offset, length, what);
}

/** The buffer readBriefly lends; a read larger than SHARED_MAX gets one of its own instead of growing it. */
let shared = Buffer.allocUnsafe(0);
const SHARED_MAX = 1024 * 1024;

/** Size of the first read: ELF and program headers, and usually PT_INTERP, fit in it. */
const HEAD_SIZE = 4096;

/**
 * Reads a file with positioned reads on one descriptor: only the bytes asked for, with the first
 * page kept because every parse starts there.
 */
export class FileSource implements ByteSource {
  readonly name: string;
  readonly size: number;
  #fd: number;
  #head: Buffer;

  private constructor(name: string, fd: number, size: number) {
    this.name = name;
    this.#fd = fd;
    this.size = size;
    const headLength = Math.min(size, HEAD_SIZE);
    this.#head = Buffer.allocUnsafe(headLength);
    const got = headLength > 0 ? readSync(fd, this.#head, 0, headLength, 0) : 0;
    if (got < headLength) this.#head = this.#head.subarray(0, got);
  }

  /**
   * Opens the regular file `path` for reading; `name` is how errors name it (its path inside the
   * root). Anything else is refused (EFTYPE): a named pipe put where a file was looked up opens without
   * hanging (O_NONBLOCK) and is refused, and so is a device such as /dev/zero reached through a link.
   */
  static open(path: string, name: string): FileSource {
    const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const st = fstatSync(fd);
      if (!st.isFile()) throw Object.assign(new Error(`${path}: not a regular file`), { code: 'EFTYPE', path });
      return new FileSource(name, fd, st.size);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
  }

  /** Takes over an open descriptor of a regular file of `size` bytes (closed with the source). */
  static fromDescriptor(fd: number, size: number, name: string): FileSource {
    return new FileSource(name, fd, size);
  }

  read(offset: number, length: number, what = 'read'): Buffer {
    checkRange(this.name, this.size, offset, length, what);
    if (offset + length <= this.#head.length) return this.#head.subarray(offset, offset + length);
    return this.#readInto(Buffer.allocUnsafe(length), offset, length, what);
  }

  /** As read, into the buffer readBriefly lends (see there). */
  readShared(offset: number, length: number, what: string): Buffer {
    checkRange(this.name, this.size, offset, length, what);
    if (offset + length <= this.#head.length) return this.#head.subarray(offset, offset + length);
    if (length > SHARED_MAX) return this.#readInto(Buffer.allocUnsafe(length), offset, length, what);
    if (shared.length < length) shared = Buffer.allocUnsafe(Math.min(SHARED_MAX, Math.max(length, 64 * 1024)));
    return this.#readInto(shared, offset, length, what).subarray(0, length);
  }

  /** Fills buf[0, length) from the file at `offset`, all of it or an error. */
  #readInto(buf: Buffer, offset: number, length: number, what: string): Buffer {
    let done = 0;
    while (done < length) {
      const got = readSync(this.#fd, buf, done, length - done, offset + done);
      if (got === 0) {
        throw new JailError('ELF_MALFORMED', `${this.name}: ${what}: file shrank while being read`, { file: this.name, field: what });
      }
      done += got;
    }
    return buf;
  }

  close(): void {
    if (this.#fd >= 0) {
      closeSync(this.#fd);
      this.#fd = -1;
    }
  }
}
