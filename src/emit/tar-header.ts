import { JailError } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import type { TarHeader } from './tar-encode.js';

/** ustar's numeric fields as tar-encode writes them: 6 octal digits for ids and device numbers. */
const MAX_USTAR_ID = 0o777777;
/** The mtime is written as a signed 32-bit number of seconds (as tar-stream did). */
export const MAX_MTIME = 2 ** 31 - 1;

const S_IF = { file: 0o100000, directory: 0o040000, symlink: 0o120000, char: 0o020000, block: 0o060000 } as const;
const TAR_TYPE = { file: 'file', directory: 'directory', symlink: 'symlink', char: 'character-device', block: 'block-device' } as const;

/** A member's header, with the PAX records to write. */
export type Header = TarHeader;

/**
 * The name of an entry in the archive. The root is `./` and everything else is relative without a
 * leading `./` (`usr/bin/dash`, folders with a trailing slash): GNU tar and bsdtar both extract that
 * cleanly, and the `./` entry carries the root folder's mode and owner (tar -xp applies them to the
 * folder it extracts into), which omitting it would lose. (bsdtar leaves that folder's mtime alone, as
 * it does for archives GNU tar makes; GNU tar and umoci set it too.)
 */
export function tarName(entry: Pick<JailEntry, 'path' | 'kind'>): string {
  if (entry.path === '/') return './';
  const rel = entry.path.replace(/^\/+/, '');
  return entry.kind === 'directory' ? `${rel}/` : rel;
}

function plainUstar(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return Buffer.byteLength(text) <= 100 && /^[\x00-\x7f]*$/.test(text);
}

/**
 * The tar header of one entry. Names that are not plain 7-bit ASCII or exceed 100 bytes always go in a
 * PAX `path`/`linkpath` record (rather than splitting them into the ustar prefix, which breaks on a
 * single long component): the PAX header holds only path, linkpath and the keys given here — never atime, ctime or a pid — and is named `PaxHeader` with the entry's own mtime, so
 * it is as reproducible as the rest. uname/gname stay empty: owners are numeric.
 */
export function headerOf(e: JailEntry, name: string, mtime: number, link?: string): Header {
  const kind = link === undefined ? e.kind : 'file';
  const header: Header = {
    name,
    type: link === undefined ? TAR_TYPE[e.kind] : 'link',
    mode: S_IF[kind] | (e.kind === 'symlink' ? 0o777 : e.mode & 0o7777),
    uid: e.uid,
    gid: e.gid,
    mtime,
    size: link === undefined && e.kind === 'file' ? (e.size ?? 0) : 0,
  };
  const linkname = link ?? (e.kind === 'symlink' ? e.target : undefined);
  if (linkname !== undefined) header.linkname = linkname;
  // Made only when a record is needed (rarely: most headers have none).
  let pax: Record<string, string> | undefined;
  if (e.uid > MAX_USTAR_ID) (pax ??= {}).uid = String(e.uid);
  if (e.gid > MAX_USTAR_ID) (pax ??= {}).gid = String(e.gid);
  if (e.kind === 'char' || e.kind === 'block') {
    const [major, minor] = [e.major ?? 0, e.minor ?? 0];
    if (major > MAX_USTAR_ID || minor > MAX_USTAR_ID) {
      throw new JailError('INPUT', `${e.path}: device ${major},${minor}: numbers above ${MAX_USTAR_ID} do not fit a tar header`, { file: e.path });
    }
    header.devmajor = major;
    header.devminor = minor;
  }
  // A pax object makes the PAX header go first (path and linkpath from the header).
  if (pax !== undefined || !plainUstar(name) || (linkname !== undefined && !plainUstar(linkname))) header.pax = pax ?? {};
  return header;
}
