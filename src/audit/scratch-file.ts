import { randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JailError } from '../errors.js';

/**
 * One scratch file for bytes that do not fit in memory, written and read at positions. It is created
 * in the temporary folder 0600 with O_EXCL|O_NOFOLLOW (no one else's file or link is ever opened in
 * its place, even in a shared /tmp) and unlinked at once: only the open descriptor reaches it, so no
 * one else can open it, and the kernel frees its space when it is closed, or when the process ends
 * however it ends (an error, an exception, kill -9).
 */
export class ScratchFile {
  readonly #fd: number;
  /** Where it was made, for messages. */
  readonly dir: string;
  #open = true;

  private constructor(fd: number, dir: string) {
    this.#fd = fd;
    this.dir = dir;
  }

  /** Creates the scratch file in `dir` (default: os.tmpdir()); IO_ERROR when it cannot. */
  static create(dir = tmpdir()): ScratchFile {
    const path = join(dir, `jailbuild-scratch-${process.pid}-${randomBytes(8).toString('hex')}`);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      throw new JailError('IO_ERROR', `${path}: cannot create a scratch file: ${(err as Error).message}`, { file: path, cause: err });
    }
    try {
      unlinkSync(path);
    } catch (err) {
      closeSync(fd);
      throw new JailError('IO_ERROR', `${path}: cannot unlink the scratch file: ${(err as Error).message}`, { file: path, cause: err });
    }
    return new ScratchFile(fd, dir);
  }

  /** Writes `bytes` whole at `position`; throws the system error (ENOSPC, EFBIG...) when it cannot. */
  write(bytes: Buffer, position: number): void {
    let done = 0;
    while (done < bytes.length) done += writeSync(this.#fd, bytes, done, bytes.length - done, position + done);
  }

  /** The `length` bytes at `position`, all of them (they were written before): a short read is an IO_ERROR. */
  read(position: number, length: number): Buffer {
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const got = readSync(this.#fd, buf, done, length - done, position + done);
      if (got === 0) throw new JailError('IO_ERROR', `scratch file in ${this.dir}: ends before byte ${position + length}`);
      done += got;
    }
    return buf;
  }

  /** Closes it: the kernel frees its space. */
  close(): void {
    if (this.#open) closeSync(this.#fd);
    this.#open = false;
  }
}
