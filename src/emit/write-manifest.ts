import { createHash } from 'node:crypto';
import { hashDescriptor } from '../rootfs/hash-file.js';
import { writeFileWhole } from '../io/write-whole.js';
import { resolve as resolveHostPath } from 'node:path';
import { JailError } from '../errors.js';
import { checkEntries } from '../model/check-entries.js';
import { ownBytes } from './generate-files.js';
import { checkOutputPlace, realOutputPath, sourcesRead } from './output-mark.js';
import type { EntryKind, JailEntry } from '../model/jail-entry.js';
import type { Reason } from '../model/reason.js';
import { type SourceRoot, sortBytewise } from '../rootfs/source-root.js';

/** One line of a jail's manifest: what is at a path and why, with the sha256 of every file. */
export interface ManifestEntry {
  path: string;
  kind: EntryKind;
  /** Octal, four digits at least: "0755", "1777", "4755". */
  mode: string;
  uid: number;
  gid: number;
  size?: number;
  sha256?: string;
  target?: string;
  major?: number;
  minor?: number;
  source?: string;
  /** A file the host keeps from others, copied because the profile says so ("secret": true). */
  secret?: boolean;
  /** Why it is there, as data (see model/reason.ts). */
  reasons: Reason[];
}

export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * The manifest of a plan, sorted bytewise by path, with the fields in a fixed order so that the same
 * plan always gives the same text. Files are hashed from their source (or generated contents); a
 * source whose size is not the planned one is an error, as it would be for the tree and the tarball.
 */
export async function manifestOf(entries: JailEntry[], fs: SourceRoot): Promise<ManifestEntry[]> {
  checkEntries(entries);
  try {
    return manifestRecords(entries, fs);
  } finally {
    fs.releaseHandles();
  }
}

function manifestRecords(entries: JailEntry[], fs: SourceRoot): ManifestEntry[] {
  const sorted = sortBytewise([...entries], (e) => e.path);
  const out: ManifestEntry[] = [];
  for (const e of sorted) {
    let file: { size: number; sha256: string } | undefined;
    if (e.kind === 'file') {
      const own = ownBytes(e, fs);
      if (own) file = { size: own.length, sha256: createHash('sha256').update(own).digest('hex') };
      else if (e.source !== undefined) {
        // The very file the plan saw, as the tree and tarball writers copy it.
        const opened = fs.openPlanned(e.source, { ...(e.sourceIdentity ? { identity: e.sourceIdentity } : {}), ...(e.size !== undefined ? { size: e.size } : {}) });
        try {
          file = hashDescriptor(opened.fd, e.source);
        } finally {
          opened.close();
        }
        if (e.size !== undefined && file.size !== e.size) {
          throw new JailError('SOURCE_CHANGED', `${e.source} (for ${e.path}): ${file.size} bytes now, ${e.size} when the plan was made: it changed; run again`, { file: e.source });
        }
      } else throw new JailError('INPUT', `${e.path}: a file with neither a source nor contents`, { file: e.path });
    }
    // Built in one literal: the key order is the order of the text.
    const m: ManifestEntry = {
      path: e.path,
      kind: e.kind,
      mode: octalMode(e.kind === 'symlink' ? 0o777 : e.mode),
      uid: e.uid,
      gid: e.gid,
      ...(file ? { size: file.size, sha256: file.sha256 } : {}),
      ...(e.target !== undefined ? { target: e.target } : {}),
      ...(e.major !== undefined ? { major: e.major } : {}),
      ...(e.minor !== undefined ? { minor: e.minor } : {}),
      ...(e.source !== undefined ? { source: e.source } : {}),
      ...(e.secret ? { secret: true } : {}),
      reasons: [...e.reasons],
    };
    out.push(m);
  }
  return out;
}

/** The manifest as text: a JSON array, one entry per line, ending with a newline. */
export function manifestText(manifest: ManifestEntry[]): string {
  return manifest.length === 0 ? '[]\n' : `[\n${manifest.map((m) => `  ${JSON.stringify(m)}`).join(',\n')}\n]\n`;
}

/** Writes the manifest of `entries` to `dest` (`-` for standard output), replacing it whole. */
export async function writeManifest(dest: string, entries: JailEntry[], fs: SourceRoot, reads: string[] = []): Promise<ManifestEntry[]> {
  if (dest !== '-') checkOutputPlace(realOutputPath(dest), [...sourcesRead(entries, fs), ...reads]);
  const manifest = await manifestOf(entries, fs);
  const text = manifestText(manifest);
  if (dest === '-') {
    process.stdout.write(text);
    return manifest;
  }
  const file = resolveHostPath(dest);
  try {
    writeFileWhole(file, text);
  } catch (err) {
    throw new JailError('IO_ERROR', `${file}: cannot write the manifest: ${(err as Error).message}`, { file, cause: err });
  }
  return manifest;
}
