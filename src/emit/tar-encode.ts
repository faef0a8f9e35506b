/**
 * The bytes of a tar archive's headers, written synchronously: ustar headers, PAX extended headers
 * for what ustar cannot hold, the zero padding after each member and the end-of-archive blocks.
 *
 * The layout is the one tar-stream 3 writes (which jailbuild used before and whose output the pinned
 * digests of test/unit/golden-digest.test.ts hold): octal fields of 6 digits (11 for size and mtime)
 * followed by a space, magic `ustar\0` version `00`, a PAX member named `PaxHeader` carrying the
 * entry's mode, owner and mtime (and `PaxHeader` as its link name when the entry has one), then the
 * entry's own header under that same name, and two zero blocks at the end (no padding to 10 KiB).
 * It is written here rather than through tar-stream's pack stream because that stream costs an
 * asynchronous round trip for every member (see bench/README.md, the tarball benchmark).
 */

export const BLOCK = 512;
/** Two zero blocks end an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

export type TarType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'pax-header';

const TYPEFLAG: Record<TarType, number> = { file: 0, link: 1, symlink: 2, 'character-device': 3, 'block-device': 4, directory: 5, 'pax-header': 72 };

/** One member's header. */
export interface TarHeader {
  name: string;
  type: TarType;
  /** Permission bits (and the file-type bits, which the header leaves out). */
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** When present, a PAX member goes first with path, linkpath and these records. */
  pax?: Record<string, string>;
}

/** `n` octal digits and a space; all sevens when the value does not fit (a PAX record holds the value then). */
function octal(value: number, n: number): string {
  const digits = value.toString(8);
  if (digits.length > n) return `${'7'.repeat(n)} `;
  return `${digits.padStart(n, '0')} `;
}

/** The size field: 11 octal digits, or base-256 (0x80 then 11 bytes, big-endian) beyond 8 GiB. */
function writeSize(size: number, block: Buffer): void {
  if (size.toString(8).length <= 11) {
    block.write(octal(size, 11), 124, 'latin1');
    return;
  }
  block[124] = 0x80;
  let rest = size;
  for (let i = 11; i > 0; i--) {
    block[124 + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/** Fits a plain ustar field: at most 100 bytes of 7-bit ASCII. */
function plain(text: string): boolean {
  // eslint-disable-next-line no-control-regex
  return text.length <= 100 && /^[\x00-\x7f]*$/.test(text);
}

/** The 512-byte ustar header, or null when the name or link name needs a PAX record. */
export function ustarHeader(h: TarHeader): Buffer | null {
  const block = Buffer.alloc(BLOCK);
  return writeUstarHeader(h, block) ? block : null;
}

/**
 * Writes the ustar header of `h` over the first 512 bytes of `block` (a view where the archive is
 * being gathered: no buffer of its own per member); false, writing nothing, when the name or link name
 * needs a PAX record.
 */
export function writeUstarHeader(h: TarHeader, block: Buffer): boolean {
  if (!plain(h.name) || (h.linkname !== undefined && !plain(h.linkname))) return false;
  block.fill(0, 0, BLOCK);
  block.write(h.name, 0, 'latin1');
  block.write(octal(h.mode & 0o7777, 6), 100, 'latin1');
  block.write(octal(h.uid, 6), 108, 'latin1');
  block.write(octal(h.gid, 6), 116, 'latin1');
  writeSize(h.size, block);
  block.write(octal(h.mtime | 0, 11), 136, 'latin1');
  block[156] = 0x30 + TYPEFLAG[h.type];
  if (h.linkname) block.write(h.linkname, 157, 'latin1');
  block.write('ustar\u000000', 257, 'latin1');
  block.write(octal(h.devmajor ?? 0, 6), 329, 'latin1');
  block.write(octal(h.devminor ?? 0, 6), 337, 'latin1');
  // The checksum counts its own field as eight spaces. The block was zeros: only the bytes written
  // above count (the name, the numeric fields, the type and link name, the magic, the devices).
  let sum = 8 * 0x20;
  const add = (from: number, to: number): void => {
    for (let i = from; i < to; i++) sum += block[i] as number;
  };
  add(0, h.name.length);
  add(100, 148);
  add(156, 157 + (h.linkname ? h.linkname.length : 0));
  add(257, 265);
  add(329, 345);
  block.write(octal(sum, 6), 148, 'latin1');
  return true;
}

/** One PAX record, `LEN key=value\n`, LEN counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const len = Buffer.byteLength(body);
  let digits = String(len).length;
  if (len + digits >= 10 ** digits) digits++;
  return `${len + digits}${body}`;
}

/** The zero bytes that pad `size` bytes of a member to a whole block. */
export function padding(size: number): Buffer {
  const over = size % BLOCK;
  return over === 0 ? Buffer.alloc(0) : END_OF_ARCHIVE.subarray(0, BLOCK - over);
}

/** The header blocks of a member (a PAX member first when needed), ready to write before its data. */
export function headerBlocks(h: TarHeader): Buffer[] {
  if (h.pax === undefined) {
    const block = ustarHeader(h);
    if (block) return [block];
  }
  let records = paxRecord('path', h.name);
  if (h.linkname) records += paxRecord('linkpath', h.linkname);
  for (const [key, value] of Object.entries(h.pax ?? {})) records += paxRecord(key, value);
  const body = Buffer.from(records);
  const common = { name: 'PaxHeader', mode: h.mode, uid: h.uid, gid: h.gid, mtime: h.mtime, ...(h.linkname ? { linkname: 'PaxHeader' } : {}), devmajor: h.devmajor ?? 0, devminor: h.devminor ?? 0 };
  const paxBlock = ustarHeader({ ...common, type: 'pax-header', size: body.length });
  const own = ustarHeader({ ...common, type: h.type, size: h.size });
  return [paxBlock as Buffer, body, padding(body.length), own as Buffer];
}
