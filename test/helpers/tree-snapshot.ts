import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Linux's dev_t encoding (glibc's gnu_dev_major / gnu_dev_minor). */
export function devMajor(rdev: number): number {
  return Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
}
export function devMinor(rdev: number): number {
  return Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
}

function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * One line per entry of a host folder, sorted bytewise: path (`/` for the folder itself), type, mode,
 * owner, mtime, and the size and sha256 of files, the target of links, the numbers of devices. Two
 * trees are equal when their snapshots are; hard links are not told apart from copies (nlink left out).
 */
export function snapshotTree(top: string, opts: { mtime?: boolean } = {}): string[] {
  const lines: string[] = [];
  const visit = (rel: string): void => {
    const host = rel === '/' ? top : join(top, rel);
    const st = lstatSync(host);
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    let kind: string;
    let what = '';
    if (st.isDirectory()) kind = 'd';
    else if (st.isSymbolicLink()) {
      kind = 'l';
      what = `-> ${readlinkSync(host, 'utf8')}`;
    } else if (st.isFile()) {
      kind = 'f';
      what = `${st.size} ${createHash('sha256').update(readFileSync(host)).digest('hex')}`;
    } else if (st.isCharacterDevice() || st.isBlockDevice()) {
      kind = st.isCharacterDevice() ? 'c' : 'b';
      what = `${devMajor(st.rdev)},${devMinor(st.rdev)}`;
    } else kind = '?';
    const time = opts.mtime === false ? '' : ` t=${Math.floor(st.mtimeMs / 1000)}`;
    lines.push(`${rel} ${kind} ${kind === 'l' ? '' : mode} ${st.uid}:${st.gid}${time} ${what}`.trimEnd());
    if (st.isDirectory()) {
      for (const name of readdirSync(host).sort(byBytes)) visit(rel === '/' ? `/${name}` : `${rel}/${name}`);
    }
  };
  visit('/');
  return lines;
}
