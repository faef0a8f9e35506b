import { readFileSync } from 'node:fs';
import { JailError } from '../errors.js';
import type { EntryKind } from '../model/jail-entry.js';
import { type Reason, reasonFromJson } from '../model/reason.js';
import { joinInside } from '../rootfs/inside-path.js';
import type { Expected } from './checks/drift.js';

/**
 * One line of a jail's manifest, as src/emit/write-manifest.ts writes it: a JSON array of
 * {path, kind, mode ("0755"), uid, gid, size?, sha256?, target?, major?, minor?, source?, reasons}.
 */
export interface ManifestRecord extends Expected {
  source?: string;
  secret?: boolean;
  reasons: Reason[];
  sha256Hex?: string;
}

const KINDS = new Set<EntryKind>(['file', 'directory', 'symlink', 'char', 'block']);

/** Reads and checks a manifest; a defect names the file and the index of the bad record. */
export function readManifest(file: string): ManifestRecord[] {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new JailError('INPUT', `${file}: cannot read the manifest: ${(err as Error).message}`, { file, cause: err });
  }
  if (!Array.isArray(data)) throw new JailError('INPUT', `${file}: a manifest is a JSON array of entries`, { file });
  return data.map((raw, i) => {
    const bad = (what: string): never => {
      throw new JailError('INPUT', `${file}: entry ${i}: ${what}`, { file, field: `/${i}` });
    };
    if (!raw || typeof raw !== 'object') bad('not an object');
    const r = raw as Record<string, unknown>;
    if (typeof r.path !== 'string' || !r.path.startsWith('/')) bad('"path" must be an absolute path');
    if (!KINDS.has(r.kind as EntryKind)) bad(`"kind" must be one of ${[...KINDS].join(', ')}`);
    // The writer gives modes as octal text; numbers are taken too.
    const mode = typeof r.mode === 'string' && /^[0-7]{1,4}$/.test(r.mode) ? parseInt(r.mode, 8) : typeof r.mode === 'number' ? r.mode : bad('"mode" must be octal text such as "0755"');
    const num = (k: string): number | undefined => (typeof r[k] === 'number' && Number.isSafeInteger(r[k]) ? r[k] : r[k] === undefined ? undefined : bad(`"${k}" must be a whole number`));
    const sha = typeof r.sha256 === 'string' && /^[0-9a-f]{64}$/.test(r.sha256) ? r.sha256 : r.sha256 === undefined ? undefined : bad('"sha256" must be 64 hex digits');
    const rec: ManifestRecord = {
      path: joinInside('/', r.path as string),
      kind: r.kind as EntryKind,
      mode: mode & 0o7777,
      uid: num('uid') ?? 0,
      gid: num('gid') ?? 0,
      // Structured since this version; an older manifest's text reasons are kept as text.
      reasons: Array.isArray(r.reasons) ? r.reasons.map(reasonFromJson) : [],
    };
    const size = num('size');
    const major = num('major');
    const minor = num('minor');
    if (size !== undefined) rec.size = size;
    if (major !== undefined) rec.major = major;
    if (minor !== undefined) rec.minor = minor;
    if (typeof r.target === 'string') rec.target = r.target;
    if (typeof r.source === 'string') rec.source = r.source;
    if (r.secret === true) rec.secret = true;
    if (sha !== undefined) {
      rec.sha256Hex = sha;
      rec.sha256 = () => sha;
    }
    return rec;
  });
}
