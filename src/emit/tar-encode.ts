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

/** The digit '0' and the space, as bytes. */
const ZERO = 0x30;
const SPACE = 0x20;
/** The largest value n octal digits hold (8 ** n - 1), for n up to 11. */
const OCTAL_MAX = [0, 7, 63, 511, 4095, 32767, 262143, 2097151, 16777215, 134217727, 1073741823, 8589934591];

/**
 * Writes `octal(value, n)` into `block` at `at` digit by digit (no string, no call into C++: a header
 * has seven such fields and an archive thousands of headers); returns the sum of the bytes written,
 * for the checksum.
 */
function putOctal(block: Buffer, at: number, value: number, n: number): number {
  if (!Number.isInteger(value) || value < 0 || value > (OCTAL_MAX[n] as number)) {
    block.write(octal(value, n), at, 'latin1');
    let all = 0;
    for (let i = at; i <= at + n; i++) all += block[i] as number;
    return all;
  }
  let sum = SPACE;
  block[at + n] = SPACE;
  let rest = value;
  for (let i = at + n - 1; i >= at; i--) {
    const digit = ZERO + (rest % 8);
    block[i] = digit;
    sum += digit;
    rest = Math.floor(rest / 8);
  }
  return sum;
}

/** The size field: 11 octal digits, or base-256 (0x80 then 11 bytes, big-endian) beyond 8 GiB; returns the sum of its bytes. */
function writeSize(size: number, block: Buffer): number {
  if (size <= (OCTAL_MAX[11] as number)) return putOctal(block, 124, size, 11);
  block[124] = 0x80;
  let sum = 0x80;
  let rest = size;
  for (let i = 11; i > 0; i--) {
    block[124 + i] = rest % 256;
    sum += rest % 256;
    rest = Math.floor(rest / 256);
  }
  return sum;
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
  // The checksum counts its own field as eight spaces. The block was zeros: only the bytes written
  // count (the name, the numeric fields, the type and link name, the magic, the devices).
  let sum = 8 * SPACE + putText(block, 0, h.name);
  sum += putOctal(block, 100, h.mode & 0o7777, 6);
  sum += putOctal(block, 108, h.uid, 6);
  sum += putOctal(block, 116, h.gid, 6);
  sum += writeSize(h.size, block);
  sum += putOctal(block, 136, h.mtime | 0, 11);
  const type = ZERO + TYPEFLAG[h.type];
  block[156] = type;
  sum += type;
  if (h.linkname) sum += putText(block, 157, h.linkname);
  MAGIC.copy(block, 257);
  sum += MAGIC_SUM;
  sum += putOctal(block, 329, h.devmajor ?? 0, 6);
  sum += putOctal(block, 337, h.devminor ?? 0, 6);
  putOctal(block, 148, sum, 6);
  return true;
}

/** ustar's magic and version, and the sum of their bytes. */
const MAGIC = Buffer.from('ustar\u000000', 'latin1');
const MAGIC_SUM = MAGIC.reduce((a, b) => a + b, 0);

/** Writes `text` (7-bit ASCII, as plain() checked) at `at`; returns the sum of its bytes. */
function putText(block: Buffer, at: number, text: string): number {
  let sum = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    block[at + i] = c;
    sum += c;
  }
  return sum;
}

/** One PAX record, `LEN key=value\n`, LEN counting itself. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const len = Buffer.byteLength(body);
  let digits = String(len).length;
  if (len + digits >= 10 ** digits) digits++;
  return `${len + digits}${body}`;
}

/** How many zero bytes pad `size` bytes of a member to a whole block. */
export function paddingLength(size: number): number {
  const over = size % BLOCK;
  return over === 0 ? 0 : BLOCK - over;
}

/** The zero bytes that pad `size` bytes of a member to a whole block. */
export function padding(size: number): Buffer {
  return END_OF_ARCHIVE.subarray(0, paddingLength(size));
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
