import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { JailError } from '../errors.js';

/** sha256 (hex) and size of what an open descriptor reads, in 1 MiB pieces: memory stays bounded. */
export function hashDescriptor(fd: number, name: string): { sha256: string; size: number } {
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1024 * 1024);
    let size = 0;
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, size);
      if (got === 0) break;
      hash.update(buf.subarray(0, got));
      size += got;
    }
    return { sha256: hash.digest('hex'), size };
  } catch (err) {
    throw new JailError('IO_ERROR', `${name}: cannot be read: ${(err as Error).message}`, { file: name, cause: err });
  }
}

/**
 * sha256 (hex) of exactly the first `size` bytes of an open file, read in 1 MiB pieces: a file that
 * keeps growing while it is read cannot make this last longer. A file that ends sooner is an IO_ERROR.
 */
export function hashPrefix(fd: number, size: number, name: string): string {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(Math.min(size, 1024 * 1024));
  let done = 0;
  try {
    while (done < size) {
      const got = readSync(fd, buf, 0, Math.min(buf.length, size - done), done);
      if (got === 0) throw new Error(`ends after ${done} of ${size} bytes`);
      hash.update(buf.subarray(0, got));
      done += got;
    }
  } catch (err) {
    throw new JailError('IO_ERROR', `${name}: cannot be read: ${(err as Error).message}`, { file: name, cause: err });
  }
  return hash.digest('hex');
}

/** sha256 (hex) and size of a host file, read in 1 MiB pieces: memory stays bounded whatever its size. */
export function hashFile(hostPath: string): { sha256: string; size: number } {
  let fd: number;
  try {
    fd = openSync(hostPath, 'r');
  } catch (err) {
    throw new JailError('IO_ERROR', `${hostPath}: cannot be read: ${(err as Error).message}`, { file: hostPath, cause: err });
  }
  try {
    return hashDescriptor(fd, hostPath);
  } finally {
    closeSync(fd);
  }
}
