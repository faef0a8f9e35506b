import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * A name beside `dest` for writing it whole before renaming it into place: hidden, unique to this
 * process and moment, never one a reader looks for.
 */
export function tempPathBeside(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}.jailbuild-${process.pid}-${Date.now()}.tmp`);
}

/**
 * Writes `data` to `dest` whole: into a new file beside it (created exclusively, with `mode`), then
 * renamed into place, so that a reader sees the old file or the new one, never half of one, and a
 * failure leaves nothing behind. Throws what the file system said.
 */
export function writeFileWhole(dest: string, data: string | Buffer, mode = 0o644): void {
  const temp = tempPathBeside(dest);
  try {
    writeFileSync(temp, data, { flag: 'wx', mode });
    renameSync(temp, dest);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
