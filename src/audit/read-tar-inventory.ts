import type { Readable } from 'node:stream';
import tar, { type Extract } from 'tar-stream';
import { JailError } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import { compareBytes } from '../rootfs/rootfs.js';
import type { Finding } from './finding.js';
import { DEFAULT_READ_LIMIT, type Inventory } from './inventory.js';
import { openTarball, tarBytes } from './tar-input.js';
import { settleTree } from './tar-tree.js';
import { consume, type Member, place } from './tar-member.js';
import { memberPath } from './tar-paths.js';
import { TarRootFs } from './tar-root-fs.js';

export interface TarInventoryOptions {
  /** Bytes of file contents kept in memory for the checks (ELF files, scripts, keys, configuration). */
  contentBudget?: number;
}

/** What the checks read from a tarball: beyond this, contents are dropped and the audit says so. */
export const DEFAULT_CONTENT_BUDGET = 64 * 1024 * 1024;
/** An archive with more members is a bomb, not a jail. */
const MAX_MEMBERS = 1_000_000;

/** Files the checks read: ELF files and scripts (to resolve them), the loader's and accounts' files. */
function wanted(path: string, head: Buffer): boolean {
  if (head.subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1')) || head.subarray(0, 2).toString('latin1') === '#!') return true;
  return /^\/etc\/(ld\.so\.cache|ld\.so\.conf|ld\.so\.conf\.d\/.*|ld-musl-[^/]*\.path|passwd|shadow|group|gshadow)$/.test(path);
}

/**
 * Inventories a tarball (.tar, .tar.gz/.tgz, or a stream for `-`): GNU, ustar and PAX, `./`-prefixed
 * or not. Hostile or broken archives are reported, never followed: members named with `..` or an
 * absolute path, hard links and paths through links that lead out, truncation, broken headers. Every
 * file is hashed while it streams by; only the contents the checks need are kept, up to a budget.
 */
export async function readTarInventory(source: string | Readable, label: string, options: TarInventoryOptions = {}): Promise<Inventory> {
  let budget = options.contentBudget ?? DEFAULT_CONTENT_BUDGET;
  const findings: Finding[] = [];
  const members = new Map<string, JailEntry>();
  const content = new Map<string, Buffer>();
  const unreadable = new Set<string>();
  const seen = new Map<string, number>();
  let count = 0;
  let last = '/';

  const extract = tar.extract();
  const feeding = feed(tarBytes(openTarball(source), label), extract);
  try {
    for await (const entry of extract) {
      const m = await consume(entry as unknown as AsyncIterable<Buffer> & { header: Member['header'] }, budget);
      if (++count > MAX_MEMBERS) {
        findings.push({ rule: 'tar-too-many-entries', severity: 'high', path: '/', message: `${label}: more than ${MAX_MEMBERS} members: not read further` });
        break;
      }
      const placed = place(m, members, findings);
      if (!placed) continue;
      last = placed.path;
      seen.set(placed.path, (seen.get(placed.path) ?? 0) + 1);
      content.delete(placed.path);
      unreadable.delete(placed.path);
      if (placed.kind !== 'file') continue;
      const linked = m.header.type === 'link' ? m.header.linkname ?? '' : undefined;
      const from = linked !== undefined ? (memberPath(linked) as { path: string }).path : undefined;
      if (from !== undefined) {
        // A hard link shares its target's bytes: whatever was kept for the target serves it too.
        const bytes = content.get(from);
        if (bytes) content.set(placed.path, bytes);
        if (unreadable.has(from)) unreadable.add(placed.path);
        continue;
      }
      if (m.hasKey || wanted(placed.path, m.head)) {
        if (m.data) {
          content.set(placed.path, m.data);
          budget -= m.data.length;
        } else unreadable.add(placed.path);
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
      message: `${label}: ${unreadable.size} files the checks read (ELF files, scripts, keys, accounts) beyond the ${options.contentBudget ?? DEFAULT_CONTENT_BUDGET} bytes kept in memory were not kept: what they load was not checked`,
    });
  }
  const entries = settleTree([...members.values()], findings).sort((a, b) => compareBytes(a.path, b.path));
  const kept = new Set(entries.map((e) => e.path));
  for (const path of [...content.keys()]) if (!kept.has(path)) content.delete(path);
  const byPath = new Map(entries.map((e) => [e.path, e]));
  return {
    format: 'tar',
    target: label,
    entries,
    findings,
    fs: new TarRootFs(entries, content),
    unreadable,
    // Every member was hashed as it streamed by: the archive's own size bounds that.
    notHashed: new Map(),
    close: () => undefined,
    read: (path, limit = DEFAULT_READ_LIMIT) => {
      const bytes = content.get(path);
      return bytes && bytes.length <= limit ? bytes : null;
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
