import type { Readable } from 'node:stream';
import tar, { type Extract } from 'tar-stream';
import { JailError } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import { sortBytewise } from '../rootfs/rootfs.js';
import type { Finding } from './finding.js';
import { DEFAULT_READ_LIMIT, type Inventory } from './inventory.js';
import { openTarball, tarBytes } from './tar-input.js';
import { settleTree } from './tar-tree.js';
import { consume, type Member, place } from './tar-member.js';
import { memberPath } from './tar-paths.js';
import { type PendingContent, TarContents } from './tar-contents.js';
import { TarRootFs } from './tar-root-fs.js';

export interface TarInventoryOptions {
  /** Bytes of file contents kept in memory for the checks (ELF files, scripts, keys, configuration); past it they go to a scratch file. */
  contentBudget?: number;
  /** Bytes the scratch file may hold; contents past it are not kept, and the audit says so. */
  scratchLimit?: number;
}

/** Contents the checks read kept in memory; past this they go to a scratch file on disk. */
export const DEFAULT_CONTENT_BUDGET = 64 * 1024 * 1024;
/**
 * The scratch file holds only what the checks read (ELF files, scripts, accounts, key files), not the
 * archive: the programs and libraries of the largest jails come to a few hundred MiB. Past 4 GiB an
 * archive is more likely a bomb (gzip packs a huge ELF-headed file of zeros into almost nothing)
 * than a jail, and the disk of the machine running the audit is not the archive's to fill.
 */
export const DEFAULT_SCRATCH_LIMIT = 4 * 1024 ** 3;
/** An archive with more members is a bomb, not a jail. */
const MAX_MEMBERS = 1_000_000;

/** The loader's and accounts' files: read whole by the checks. */
const CONFIG_FILE = /^\/etc\/(ld\.so\.cache|ld\.so\.conf|ld\.so\.conf\.d\/.*|ld-musl-[^/]*\.path|passwd|shadow|group|gshadow)$/;

/**
 * Files the checks read: ELF files and scripts (to resolve them; read in pieces, or whole only when
 * small), the loader's and accounts' files (read whole, hence only up to DEFAULT_READ_LIMIT: a larger
 * one is no real configuration, and the audit says it was not read).
 */
function wanted(path: string, head: Buffer, size: number): 'keep' | 'too-large' | 'no' {
  if (head.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1')) || head.subarray(0, 2).toString('latin1') === '#!') return 'keep';
  if (!CONFIG_FILE.test(path)) return 'no';
  return size <= DEFAULT_READ_LIMIT ? 'keep' : 'too-large';
}

/**
 * Inventories a tarball (.tar, .tar.gz/.tgz, or a stream for `-`): GNU, ustar and PAX, `./`-prefixed
 * or not. Hostile or broken archives are reported, never followed: members named with `..` or an
 * absolute path, hard links and paths through links that lead out, truncation, broken headers. Every
 * file is hashed while it streams by; the contents the checks need are kept whatever the archive's
 * size, in memory up to a budget, then in a scratch file (TarContents): the audit of a tarball sees
 * what the audit of the same jail as a folder sees. Call `close()` on the result when done.
 */
export async function readTarInventory(source: string | Readable, label: string, options: TarInventoryOptions = {}): Promise<Inventory> {
  const contents = new TarContents({ memory: options.contentBudget ?? DEFAULT_CONTENT_BUDGET, scratch: options.scratchLimit ?? DEFAULT_SCRATCH_LIMIT });
  try {
    return await readMembers(source, label, contents);
  } catch (err) {
    contents.close();
    throw err;
  }
}

async function readMembers(source: string | Readable, label: string, contents: TarContents): Promise<Inventory> {
  const findings: Finding[] = [];
  const members = new Map<string, JailEntry>();
  const unreadable = new Set<string>();
  /** Why contents were not kept, for the finding. */
  const failures = new Set<string>();
  const seen = new Map<string, number>();
  let count = 0;
  let last = '/';

  const extract = tar.extract();
  const feeding = feed(tarBytes(openTarball(source), label), extract);
  try {
    for await (const entry of extract) {
      const header = (entry as unknown as { header: Member['header'] }).header;
      // Set by `keep` once the member's first bytes are known.
      const decided: { want: ReturnType<typeof wanted> } = { want: 'no' };
      const keep = (head: Buffer): PendingContent | null => {
        const where = header.type === 'file' || header.type === 'contiguous-file' ? memberPath(header.name) : null;
        if (where === null || 'problem' in where) return null;
        const size = header.size ?? 0;
        decided.want = wanted(where.path, head, size);
        if (decided.want === 'keep') return contents.begin(size);
        if (decided.want === 'too-large') return null;
        // Any other file is kept only if it turns out to hold a private key, and only as far as the
        // secrets check reads a folder's files: held tentatively meanwhile.
        return size <= DEFAULT_READ_LIMIT ? contents.begin(size, true) : null;
      };
      const m = await consume(entry as unknown as AsyncIterable<Buffer> & { header: Member['header'] }, keep);
      if (++count > MAX_MEMBERS) {
        findings.push({ rule: 'tar-too-many-entries', severity: 'high', path: '/', message: `${label}: more than ${MAX_MEMBERS} members: not read further` });
        break;
      }
      const placed = place(m, members, findings);
      if (!placed) continue;
      last = placed.path;
      seen.set(placed.path, (seen.get(placed.path) ?? 0) + 1);
      contents.delete(placed.path);
      unreadable.delete(placed.path);
      if (placed.kind !== 'file') continue;
      const linked = m.header.type === 'link' ? (m.header.linkname ?? '') : undefined;
      const from = linked !== undefined ? (memberPath(linked) as { path: string }).path : undefined;
      if (from !== undefined) {
        // A hard link shares its target's bytes: whatever was kept for the target serves it too.
        if (!contents.alias(placed.path, from) && unreadable.has(from)) unreadable.add(placed.path);
        continue;
      }
      const keyFile = m.hasKey && m.size <= DEFAULT_READ_LIMIT;
      if ((decided.want !== 'no' || keyFile) && !(m.content !== null && contents.commit(m.content, placed.path))) {
        unreadable.add(placed.path);
        failures.add(decided.want === 'too-large' ? `loader or accounts files over ${DEFAULT_READ_LIMIT} bytes` : (contents.lastFailure ?? 'no room'));
      }
    }
  } catch (err) {
    if (err instanceof JailError && err.code === 'INPUT') throw err;
    findings.push(problemOf(err, label, count, last));
  } finally {
    extract.destroy();
    await feeding;
  }
  for (const [path, n] of seen) {
    if (n > 1) findings.push({ rule: 'tar-duplicate', severity: 'low', path, message: `${path}: ${n} members by this name; the last one counts, as tar extracts it` });
  }
  if (unreadable.size > 0) {
    findings.push({
      rule: 'tar-content-limit',
      severity: 'low',
      path: '/',
      message: `${label}: ${unreadable.size} files the checks read (ELF files, scripts, keys, accounts) could not be kept (${[...failures].join('; ')}): what they load was not checked`,
    });
  }
  const entries = sortBytewise(settleTree([...members.values()], findings), (e) => e.path);
  const kept = new Set(entries.map((e) => e.path));
  for (const path of contents.paths()) if (!kept.has(path)) contents.delete(path);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  return {
    format: 'tar',
    target: label,
    entries,
    findings,
    fs: new TarRootFs(entries, contents),
    unreadable,
    // Every member was hashed as it streamed by: the archive's own size bounds that.
    notHashed: new Map(),
    close: () => contents.close(),
    read: (path, limit = DEFAULT_READ_LIMIT) => {
      const size = contents.sizeOf(path);
      return size !== undefined && size <= limit ? contents.whole(path) : null;
    },
    sha256: (path) => byPath.get(path)?.sha256,
  };
}

/** Writes the tar bytes into the extractor, waiting when it is full; a read error ends it with that error. */
async function feed(bytes: AsyncIterable<Buffer>, extract: Extract): Promise<void> {
  try {
    for await (const chunk of bytes) {
      if (extract.destroyed) return;
      if (!extract.write(chunk)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            extract.off('drain', done);
            extract.off('close', done);
            resolve();
          };
          extract.on('drain', done);
          extract.on('close', done);
        });
      }
    }
    if (!extract.destroyed) extract.end(undefined);
  } catch (err) {
    extract.destroy(err as Error);
  }
}

/** What a read that stopped early means, as a finding. */
function problemOf(err: unknown, label: string, count: number, last: string): Finding {
  const e = err as NodeJS.ErrnoException;
  const msg = e?.message ?? String(err);
  const after = `after ${count} members (last: ${last})`;
  if (/Unexpected end of data/i.test(msg) || e?.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(msg)) {
    return { rule: 'tar-truncated', severity: 'high', path: last, message: `${label}: the archive ends in the middle of a member ${after}: the jail is incomplete` };
  }
  if (/exceeds max size/i.test(msg)) return { rule: 'tar-header-too-large', severity: 'high', path: last, message: `${label}: a long-name or PAX header larger than 4 MiB ${after}; not read further` };
  if (typeof e?.code === 'string' && e.code.startsWith('Z_')) return { rule: 'tar-gzip-corrupt', severity: 'high', path: last, message: `${label}: gzip data is corrupt ${after}: ${msg}` };
  return { rule: 'tar-malformed', severity: 'high', path: last, message: `${label}: a broken header ${after} (${msg}); not read further` };
}
