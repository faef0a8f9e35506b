import { JailError } from '../errors.js';

/**
 * glibc's /etc/ld.so.cache, read natively (format from glibc's sysdeps/generic/dl-cache.h): the
 * "glibc-ld.so.cache1.1" format, alone or after the old "ld.so-1.7.0" table, in either byte order.
 */
export interface LdCacheEntry {
  /** The soname the entry is found by. */
  key: string;
  /** The path the loader opens. */
  value: string;
  flags: number;
  /** glibc-hwcaps subdirectory name when the entry is in one, else undefined. */
  hwcaps?: string;
  /** Legacy hwcap mask (entries the loader of glibc 2.37+ ignores); 0 for ordinary entries. */
  legacyHwcap: bigint;
}

export interface LdCache {
  entries: LdCacheEntry[];
  /** Entries by key, in file order (ldconfig sorts them by priority within one key). */
  byKey: Map<string, LdCacheEntry[]>;
}

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache';
const NEW_VERSION = '1.1';
const NEW_HEADER = 48;
const NEW_ENTRY = 24;
const OLD_ENTRY = 12;
const EXTENSION_MAGIC = 0xeaa42174;
const EXTENSION_TAG_HWCAPS = 1;
const HWCAP_EXTENSION_BIT = 1n << 62n;

function bad(file: string, message: string): JailError {
  return new JailError('LDCACHE_MALFORMED', `${file}: ${message}`, { file });
}

function cstr(buf: Buffer, at: number, file: string): string {
  if (at >= buf.length) throw bad(file, `string offset ${at} lies past the end of the cache`);
  const end = buf.indexOf(0, at);
  if (end < 0) throw bad(file, `string at ${at} has no terminating NUL`);
  return buf.toString('utf8', at, end);
}

/** Parses the bytes of an ld.so.cache; `file` names it in errors. */
export function parseLdCache(buf: Buffer, file = '/etc/ld.so.cache'): LdCache {
  let base = 0;
  if (buf.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    if (buf.length < 16) throw bad(file, 'truncated old-format header');
    // Old-format header: magic (11 bytes, padded to 12), nlibs; then 12-byte entries.
    const nlibsLe = buf.readUInt32LE(12);
    const nlibsBe = buf.readUInt32BE(12);
    const nlibs = 16 + nlibsLe * OLD_ENTRY <= buf.length ? nlibsLe : nlibsBe;
    const after = 16 + nlibs * OLD_ENTRY;
    if (after > buf.length) throw bad(file, `old-format table of ${nlibs} entries runs past the end`);
    base = (after + 7) & ~7;
    if (buf.toString('latin1', base, base + NEW_MAGIC.length) !== NEW_MAGIC) {
      return parseOldOnly(buf, nlibs, file);
    }
  }
  if (buf.toString('latin1', base, base + NEW_MAGIC.length) !== NEW_MAGIC) throw bad(file, 'not an ld.so.cache (bad magic)');
  if (buf.length < base + NEW_HEADER) throw bad(file, 'truncated header');
  const version = buf.toString('latin1', base + 17, base + 20);
  if (version !== NEW_VERSION) throw bad(file, `unsupported cache version ${JSON.stringify(version)}`);
  const endianFlag = buf[base + 28] ?? 0;
  let little = endianFlag !== 3;
  if (endianFlag < 2) {
    // Unset (old writers): guess from which reading of nlibs fits the file.
    const le = buf.readUInt32LE(base + 20);
    little = base + NEW_HEADER + le * NEW_ENTRY <= buf.length;
  }
  const u32 = (at: number): number => (little ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
  const i32 = (at: number): number => (little ? buf.readInt32LE(at) : buf.readInt32BE(at));
  const u64 = (at: number): bigint => (little ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at));
  const nlibs = u32(base + 20);
  if (base + NEW_HEADER + nlibs * NEW_ENTRY > buf.length) throw bad(file, `table of ${nlibs} entries runs past the end`);
  const extensionOffset = u32(base + 32);

  // Strings are addressed from the start of the new-format header.
  const strings = buf.subarray(base);
  const hwcapNames = readHwcapExtension(strings, extensionOffset, u32, file);

  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const at = base + NEW_HEADER + i * NEW_ENTRY;
    const hwcap = u64(at + 16);
    const entry: LdCacheEntry = {
      flags: i32(at),
      key: cstr(strings, u32(at + 4), file),
      value: cstr(strings, u32(at + 8), file),
      legacyHwcap: 0n,
    };
    if ((hwcap & HWCAP_EXTENSION_BIT) !== 0n) {
      const index = Number(hwcap & 0xffffffffn);
      const name = hwcapNames[index];
      if (name === undefined) throw bad(file, `entry ${i} names glibc-hwcaps index ${index}, which does not exist`);
      entry.hwcaps = name;
    } else {
      entry.legacyHwcap = hwcap;
    }
    entries.push(entry);
  }
  return indexEntries(entries);
}

function readHwcapExtension(strings: Buffer, offset: number, u32: (at: number) => number, file: string): string[] {
  if (offset === 0 || offset + 8 > strings.length) return [];
  if (u32(offset) !== EXTENSION_MAGIC) return [];
  const count = u32(offset + 4);
  if (offset + 8 + count * 16 > strings.length) throw bad(file, 'extension directory runs past the end');
  for (let i = 0; i < count; i++) {
    const at = offset + 8 + i * 16;
    if (u32(at) !== EXTENSION_TAG_HWCAPS) continue;
    const secOffset = u32(at + 8);
    const secSize = u32(at + 12);
    if (secOffset + secSize > strings.length || secSize % 4 !== 0) throw bad(file, 'glibc-hwcaps extension runs past the end');
    const names: string[] = [];
    for (let j = 0; j < secSize; j += 4) names.push(cstr(strings, u32(secOffset + j), file));
    return names;
  }
  return [];
}

function parseOldOnly(buf: Buffer, nlibs: number, file: string): LdCache {
  // Old format: offsets are relative to the string table that follows the entries (host byte order;
  // it only ever existed on little-endian hosts we can read).
  const stringsAt = 16 + nlibs * OLD_ENTRY;
  const strings = buf.subarray(stringsAt);
  const entries: LdCacheEntry[] = [];
  for (let i = 0; i < nlibs; i++) {
    const at = 16 + i * OLD_ENTRY;
    entries.push({
      flags: buf.readInt32LE(at),
      key: cstr(strings, buf.readUInt32LE(at + 4), file),
      value: cstr(strings, buf.readUInt32LE(at + 8), file),
      legacyHwcap: 0n,
    });
  }
  return indexEntries(entries);
}

function indexEntries(entries: LdCacheEntry[]): LdCache {
  const byKey = new Map<string, LdCacheEntry[]>();
  for (const e of entries) {
    const list = byKey.get(e.key);
    if (list) list.push(e);
    else byKey.set(e.key, [e]);
  }
  return { entries, byKey };
}

/**
 * The path the loader takes from the cache for `soname` in a process of the ABI whose cache flags
 * are `flags`, as glibc's search_cache does: the entry in the best supported glibc-hwcaps
 * subdirectory, else the first plain entry. `hwcaps` lists supported subdirectories, best first.
 */
export function lookupLdCache(cache: LdCache, soname: string, flags: number, hwcaps: readonly string[]): string | undefined {
  const list = cache.byKey.get(soname);
  if (!list) return undefined;
  let best: LdCacheEntry | undefined;
  let bestRank = Infinity;
  for (const e of list) {
    if (!cacheFlagsMatch(e.flags, flags)) continue;
    let rank: number;
    if (e.hwcaps !== undefined) {
      const i = hwcaps.indexOf(e.hwcaps);
      if (i < 0) continue;
      rank = i;
    } else if (e.legacyHwcap !== 0n) {
      continue;
    } else {
      rank = hwcaps.length;
    }
    if (rank < bestRank) {
      best = e;
      bestRank = rank;
    }
  }
  return best?.value;
}

/** glibc's _dl_cache_check_flags: the exact ABI id, or (for ABIs without arch bits) libc5/libc6 alike. */
function cacheFlagsMatch(entryFlags: number, wanted: number): boolean {
  if (entryFlags === wanted) return true;
  return (wanted & 0xff00) === 0 && entryFlags === 1;
}
