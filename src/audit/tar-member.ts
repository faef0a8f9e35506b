import { createHash } from 'node:crypto';
import type { Header } from 'tar-stream';
import type { JailEntry } from '../model/jail-entry.js';
import type { Reason } from '../model/reason.js';
import { printable } from '../errors.js';
import type { Finding } from './finding.js';
import type { PendingContent } from './tar-contents.js';
import { linkClimbsOut, memberPath } from './tar-paths.js';

/** Linux's PATH_MAX: a longer name cannot be created. */
const MAX_NAME = 4096;
const KEY_MARKER = Buffer.from('PRIVATE KEY-----');

/** Bytes of a member's start that decide whether its contents are kept: enough for `\x7fELF` and `#!`. */
const DECIDING_BYTES = 4;

/** One member as read: its header, size, sha256, first bytes, where its bytes went (if kept), and whether it may hold a key. */
export interface Member {
  header: Header & { pax?: Record<string, string> | null };
  size: number;
  sha256: string;
  head: Buffer;
  /** What `keep` returned: the member's bytes were written to it. */
  content: PendingContent | null;
  hasKey: boolean;
}

/**
 * Reads one member's data: hashed, its first bytes kept, scanned for a private key. As soon as its
 * first bytes are known, `keep(head)` says where its bytes go (null: nowhere); they are written there
 * as they stream by, so no member is ever held whole unless `keep` holds it.
 */
export async function consume(entry: AsyncIterable<Buffer> & { header: Member['header'] }, keep: (head: Buffer) => PendingContent | null): Promise<Member> {
  const header = entry.header;
  const size = header.size ?? 0;
  const hash = createHash('sha256');
  let head: Buffer = Buffer.alloc(0);
  let tail: Buffer = Buffer.alloc(0);
  let hasKey = false;
  let content: PendingContent | null = null;
  // Chunks that came before the deciding bytes did (a chunk may be a single byte).
  let early: Buffer[] | null = [];
  const decide = (): void => {
    content = keep(head);
    for (const c of early ?? []) content?.write(c);
    early = null;
  };
  for await (const chunk of entry) {
    hash.update(chunk);
    if (head.length < 64) head = Buffer.concat([head, chunk.subarray(0, 64)]);
    if (early) {
      early.push(chunk);
      if (head.length >= DECIDING_BYTES) decide();
    } else (content as PendingContent | null)?.write(chunk);
    if (!hasKey) {
      hasKey = chunk.includes(KEY_MARKER) || Buffer.concat([tail, chunk.subarray(0, KEY_MARKER.length)]).includes(KEY_MARKER);
      tail = chunk.subarray(Math.max(0, chunk.length - KEY_MARKER.length));
    }
  }
  if (early) decide();
  return { header, size, sha256: hash.digest('hex'), head, content, hasKey };
}

/** Turns a member into an entry, or reports why it cannot be one. */
export function place(m: Member, members: Map<string, JailEntry>, findings: Finding[]): JailEntry | null {
  const h = m.header;
  const name = h.name;
  const where = memberPath(name);
  if ('problem' in where) {
    const rule = where.problem === 'absolute' ? 'tar-absolute-path' : where.problem === 'dotdot' ? 'tar-path-escape' : 'tar-malformed';
    findings.push({
      rule,
      severity: 'high',
      path: shown(name),
      message: `member ${JSON.stringify(name)}: ${where.problem === 'empty' ? 'an empty or NUL-bearing name' : where.problem === 'absolute' ? 'an absolute name, which writes outside the folder the tarball is unpacked in' : 'a name with "..", which writes outside the folder the tarball is unpacked in'}; left out`,
    });
    return null;
  }
  const path = where.path;
  if (Buffer.byteLength(path) > MAX_NAME) {
    findings.push({ rule: 'tar-malformed', severity: 'high', path: shown(path).slice(0, 200), message: `a member name of ${Buffer.byteLength(path)} bytes, longer than any path Linux can create; left out` });
    return null;
  }
  const pax = h.pax ?? {};
  const id = (paxValue: string | undefined, fallback: number | undefined): number => (paxValue !== undefined && /^\d+$/.test(paxValue) ? Number(paxValue) : (fallback ?? 0));
  const base = { path, mode: (h.mode ?? 0) & 0o7777, uid: id(pax.uid, h.uid), gid: id(pax.gid, h.gid), reasons: [] as Reason[] };
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
function shown(name: string): string {
  return printable(name, 200) || '(empty)';
}
