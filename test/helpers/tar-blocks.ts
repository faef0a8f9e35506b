/**
 * Reads the raw headers of an uncompressed tar, independently of tar-stream: what a test needs to see
 * the bytes the writer chose (PAX records, mtimes, owner names), not what an extractor makes of them.
 */
export interface RawHeader {
  /** ustar name with its prefix joined. */
  name: string;
  typeflag: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  uname: string;
  gname: string;
  magic: string;
  /** For 'x' and 'g' headers: their records in order. */
  records?: [string, string][];
}

function str(block: Buffer, at: number, len: number): string {
  const field = block.subarray(at, at + len);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? len : end).toString('utf8');
}

function num(block: Buffer, at: number, len: number): number {
  if ((block[at] as number) & 0x80) {
    let n = 0;
    for (let i = at + 1; i < at + len; i++) n = n * 256 + (block[i] as number);
    return n;
  }
  const text = str(block, at, len).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function paxRecords(data: Buffer): [string, string][] {
  const out: [string, string][] = [];
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const len = parseInt(data.subarray(at, space).toString('ascii'), 10);
    const record = data.subarray(space + 1, at + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    out.push([record.slice(0, eq), record.slice(eq + 1)]);
    at += len;
  }
  return out;
}

export function rawHeaders(tar: Buffer): RawHeader[] {
  const out: RawHeader[] = [];
  let at = 0;
  while (at + 512 <= tar.length) {
    const block = tar.subarray(at, at + 512);
    if (block.every((b) => b === 0)) break;
    const prefix = str(block, 345, 155);
    const name = str(block, 0, 100);
    const h: RawHeader = {
      name: prefix ? `${prefix}/${name}` : name,
      typeflag: String.fromCharCode(block[156] as number),
      mode: num(block, 100, 8),
      uid: num(block, 108, 8),
      gid: num(block, 116, 8),
      size: num(block, 124, 12),
      mtime: num(block, 136, 12),
      uname: str(block, 265, 32),
      gname: str(block, 297, 32),
      magic: block.subarray(257, 265).toString('latin1'),
    };
    at += 512;
    const body = h.typeflag === '1' || h.typeflag === '2' || h.typeflag === '3' || h.typeflag === '4' || h.typeflag === '5' ? 0 : h.size;
    if (h.typeflag === 'x' || h.typeflag === 'g') h.records = paxRecords(tar.subarray(at, at + h.size));
    at += Math.ceil(body / 512) * 512;
    out.push(h);
  }
  return out;
}
