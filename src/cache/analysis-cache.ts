import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { writeFileWhole } from '../io/write-whole.js';
import { join } from 'node:path';
import type { ElfInfo } from '../elf/elf-info.js';

/** Bumped whenever what is stored changes meaning: an older file is ignored, never trusted. */
export const CACHE_VERSION = 2;
const DEFAULT_MAX_ENTRIES = 200_000;

/** What is known about one file: valid only while its identity is unchanged. */
interface CachedFile {
  /** dev:ino:size:mtime-ns:ctime-ns, read with a nanosecond stat of the file. */
  id: string;
  elf?: ElfInfo;
  /** A file that is not ELF or is broken: the error it gave. */
  elfError?: { code: string; message: string };
  /** The run that last used it, for eviction. */
  used: number;
}

interface CacheFile {
  version: number;
  root: string;
  run: number;
  files: Record<string, CachedFile>;
}

function isElfInfo(v: unknown): v is ElfInfo {
  const e = v as ElfInfo;
  return (
    typeof e === 'object' &&
    e !== null &&
    (e.elfClass === 32 || e.elfClass === 64) &&
    (e.endian === 'little' || e.endian === 'big') &&
    typeof e.machine === 'number' &&
    typeof e.type === 'number' &&
    Array.isArray(e.needed) &&
    e.needed.every((n) => typeof n === 'string') &&
    Array.isArray(e.dlopen) &&
    typeof e.flags1 === 'number' &&
    typeof e.dynamic === 'boolean'
  );
}

/**
 * Per-file analysis (ELF headers) kept between runs, one file per source root in the
 * cache folder, keyed by path and checked against the file's identity. Loading tolerates anything: a
 * missing, corrupt or older-version cache is ignored and rebuilt. Saving writes a temporary file and
 * renames it, so two builds at once never see a half-written cache (the last one wins). The number of
 * files is bounded: the least recently used are dropped.
 */
export class AnalysisCache {
  readonly file: string;
  readonly root: string;
  readonly #maxEntries: number;
  #data: CacheFile;
  #dirty = false;
  hits = 0;
  misses = 0;

  private constructor(file: string, root: string, data: CacheFile, maxEntries: number) {
    this.file = file;
    this.root = root;
    this.#data = data;
    this.#maxEntries = maxEntries;
  }

  /** Opens the cache of `root` in `dir`. */
  static open(dir: string, root: string, maxEntries = DEFAULT_MAX_ENTRIES): AnalysisCache {
    const file = join(dir, `v${CACHE_VERSION}`, `${createHash('sha256').update(root).digest('hex').slice(0, 24)}.json`);
    let data: CacheFile = { version: CACHE_VERSION, root, run: 0, files: {} };
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as CacheFile;
      if (parsed && parsed.version === CACHE_VERSION && parsed.root === root && typeof parsed.files === 'object' && parsed.files !== null && Number.isInteger(parsed.run)) {
        data = parsed;
      }
    } catch {
      // Missing or corrupt: start empty.
    }
    data.run++;
    return new AnalysisCache(file, root, data, maxEntries);
  }

  #entry(path: string, id: string | undefined): CachedFile | undefined {
    if (id === undefined) return undefined;
    const e = this.#data.files[path];
    if (!e || typeof e !== 'object' || e.id !== id) return undefined;
    e.used = this.#data.run;
    return e;
  }

  #ensure(path: string, id: string): CachedFile {
    let e = this.#data.files[path];
    if (!e || e.id !== id) {
      e = { id, used: this.#data.run };
      this.#data.files[path] = e;
    }
    this.#dirty = true;
    return e;
  }

  /** The ELF headers of `path` (inside the root) when known for its current identity `id`. */
  getElf(path: string, id: string | undefined): ElfInfo | { code: string; message: string } | undefined {
    const e = this.#entry(path, id);
    const found = e?.elf !== undefined && isElfInfo(e.elf) ? e.elf : e?.elfError !== undefined && typeof e.elfError.code === 'string' && typeof e.elfError.message === 'string' ? e.elfError : undefined;
    if (found) this.hits++;
    else this.misses++;
    return found;
  }

  setElf(path: string, id: string | undefined, value: ElfInfo | { code: string; message: string }): void {
    if (id === undefined) return;
    const e = this.#ensure(path, id);
    if ('elfClass' in value) {
      e.elf = value;
      delete e.elfError;
    } else {
      e.elfError = { code: value.code, message: value.message };
      delete e.elf;
    }
  }

  /** Writes the cache if anything changed (atomically), dropping the least recently used files beyond the bound. */
  save(): void {
    if (!this.#dirty) return;
    const names = Object.keys(this.#data.files);
    if (names.length > this.#maxEntries) {
      const keep = names.sort((a, b) => (this.#data.files[b]?.used ?? 0) - (this.#data.files[a]?.used ?? 0)).slice(0, this.#maxEntries);
      const files: Record<string, CachedFile> = {};
      for (const k of keep) files[k] = this.#data.files[k] as CachedFile;
      this.#data.files = files;
    }
    mkdirSync(join(this.file, '..'), { recursive: true });
    writeFileWhole(this.file, JSON.stringify(this.#data));
    this.#dirty = false;
  }
}
