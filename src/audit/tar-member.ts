import { createHash } from 'node:crypto';
import type { Header } from 'tar-stream';
import type { JailEntry } from '../model/jail-entry.js';
import type { Finding } from './finding.js';
import { linkClimbsOut, memberPath } from './tar-paths.js';

/** Linux's PATH_MAX: a longer name cannot be created. */
const MAX_NAME = 4096;
const KEY_MARKER = Buffer.from('PRIVATE KEY-----');

/** One member as read: its header, size, sha256, first bytes, whole data when it fit the budget, and whether it may hold a key. */
export interface Member {
  header: Header & { pax?: Record<string, string> | null };
  size: number;
  sha256: string;
  head: Buffer;
  data: Buffer | null;
  hasKey: boolean;
}

/** Reads one member's data: hashed, its first bytes kept, whole while it fits the budget, scanned for a private key. */
export async function consume(entry: AsyncIterable<Buffer> & { header: Member['header'] }, budget: number): Promise<Member> {
  const header = entry.header;
  const size = header.size ?? 0;
  const hash = createHash('sha256');
  const chunks: Buffer[] | null = size <= budget ? [] : null;
  let head: Buffer = Buffer.alloc(0);
  let tail: Buffer = Buffer.alloc(0);
  let hasKey = false;
  for await (const chunk of entry) {
    hash.update(chunk);
    chunks?.push(chunk);
    if (head.length < 64) head = Buffer.concat([head, chunk.subarray(0, 64)]);
    if (!hasKey) {
      hasKey = chunk.includes(KEY_MARKER) || Buffer.concat([tail, chunk.subarray(0, KEY_MARKER.length)]).includes(KEY_MARKER);
      tail = chunk.subarray(Math.max(0, chunk.length - KEY_MARKER.length));
    }
  }
  return { header, size, sha256: hash.digest('hex'), head, data: chunks ? Buffer.concat(chunks) : null, hasKey };
}

/** Turns a member into an entry, or reports why it cannot be one. */
export function place(m: Member, members: Map<string, JailEntry>, findings: Finding[]): JailEntry | null {
  const h = m.header;
  const name = h.name;
  const where = memberPath(name);
  if ('problem' in where) {
    const rule = where.problem === 'absolute' ? 'tar-absolute-path' : where.problem === 'dotdot' ? 'tar-path-escape' : 'tar-malformed';
    findings.push({ rule, severity: 'high', path: printable(name), message: `member ${JSON.stringify(name)}: ${where.problem === 'empty' ? 'an empty or NUL-bearing name' : where.problem === 'absolute' ? 'an absolute name, which writes outside the folder the tarball is unpacked in' : 'a name with "..", which writes outside the folder the tarball is unpacked in'}; left out` });
    return null;
  }
  const path = where.path;
  if (Buffer.byteLength(path) > MAX_NAME) {
    findings.push({ rule: 'tar-malformed', severity: 'high', path: printable(path).slice(0, 200), message: `a member name of ${Buffer.byteLength(path)} bytes, longer than any path Linux can create; left out` });
    return null;
  }
  const pax = h.pax ?? {};
  const id = (paxValue: string | undefined, fallback: number | undefined): number => (paxValue !== undefined && /^\d+$/.test(paxValue) ? Number(paxValue) : (fallback ?? 0));
  const base = { path, mode: (h.mode ?? 0) & 0o7777, uid: id(pax.uid, h.uid), gid: id(pax.gid, h.gid), reasons: [] as string[] };
  let e: JailEntry;
  switch (h.type) {
    case 'file':
    case 'contiguous-file':
      e = { ...base, kind: 'file', size: m.size, sha256: m.sha256 };
      break;
    case 'directory':
      e = { ...base, kind: 'directory' };
      break;
    case 'symlink': {
      const target = h.linkname ?? '';
      if (linkClimbsOut(path, target)) {
        findings.push({ rule: 'tar-link-escape', severity: 'high', path, message: `${path} -> ${target}: climbs above the archive's root; whoever unpacks it without chroot gets a link out of the jail` });
      }
      e = { ...base, kind: 'symlink', mode: 0o777, target };
      break;
    }
    case 'link': {
      const to = memberPath(h.linkname ?? '');
      if ('problem' in to) {
        findings.push({ rule: 'tar-hardlink-escape', severity: 'high', path, message: `${path}: a hard link to ${JSON.stringify(h.linkname)}, outside the archive; left out` });
        return null;
      }
      const target = members.get(to.path);
      if (target?.kind !== 'file') {
        findings.push({ rule: 'tar-hardlink-missing', severity: 'medium', path, message: `${path}: a hard link to ${to.path}, which is no earlier file of the archive; left out` });
        return null;
      }
      e = { ...target, path, reasons: [] };
      break;
    }
    case 'character-device':
    case 'block-device':
      e = { ...base, kind: h.type === 'character-device' ? 'char' : 'block', major: h.devmajor ?? 0, minor: h.devminor ?? 0 };
      break;
    case 'fifo':
      findings.push({ rule: 'special-file', severity: 'low', path, message: `${path}: a named pipe; jailbuild never places one` });
      return null;
    default:
      findings.push({ rule: 'tar-unsupported-entry', severity: 'low', path, message: `${path}: a member of a type tar-stream does not read (sparse, volume label, ...); left out` });
      return null;
  }
  members.set(path, e);
  return e;
}

/** Names in findings are printed on one line. */
function printable(name: string): string {
  return name.replace(/[\0-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`) || '(empty)';
}
