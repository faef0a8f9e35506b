/**
 * Writes tar archives byte by byte, hostile ones included (names with "..", absolute names, links
 * out, lying sizes, broken checksums): what no well-behaved tar writer would produce.
 */
export interface RawMember {
  name: string;
  /** Typeflag: '0' file, '1' hard link, '2' symlink, '5' folder, 'x' PAX header, ... */
  type?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  linkname?: string;
  data?: Buffer;
  /** The size to write in the header, when it should lie about the data. */
  size?: number;
  /** Spoil the header checksum. */
  badChecksum?: boolean;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

export function rawHeader(m: RawMember): Buffer {
  const h = Buffer.alloc(512);
  h.write(m.name, 0, 100, 'utf8');
  h.write(octal(m.mode ?? 0o644, 8), 100, 'latin1');
  h.write(octal(m.uid ?? 0, 8), 108, 'latin1');
  h.write(octal(m.gid ?? 0, 8), 116, 'latin1');
  h.write(octal(m.size ?? m.data?.length ?? 0, 12), 124, 'latin1');
  h.write(octal(0, 12), 136, 'latin1');
  h.write(m.type ?? '0', 156, 'latin1');
  if (m.linkname) h.write(m.linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(m.badChecksum ? sum + 1 : sum, 7) + ' ', 148, 'latin1');
  return h;
}

/** Members (data padded to 512 bytes), then the two zero blocks unless `end` is false. */
export function rawTar(members: RawMember[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    parts.push(rawHeader(m));
    if (m.data && m.data.length > 0) parts.push(m.data, Buffer.alloc((512 - (m.data.length % 512)) % 512));
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
