import type { AnalysisCache } from '../cache/analysis-cache.js';
import type { ElfInfo } from '../elf/elf-info.js';
import { readElf } from '../elf/read-elf.js';
import { type ErrorCode, JailError } from '../errors.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import { SHEBANG_LIMIT } from '../script/shebang.js';

/**
 * What the files of a root say about themselves, read once each: the ELF headers of a file (or the
 * error reading them gave), and the first bytes of one that is not ELF (for its `#!` line). Headers
 * learnt in earlier runs come from the analysis cache, checked against the file's identity.
 */
export class ParsedFiles {
  readonly #fs: SourceRoot;
  readonly #cache: AnalysisCache | undefined;
  readonly #elf = new Map<string, ElfInfo | JailError>();
  readonly #heads = new Map<string, Buffer>();
  /** Files whose headers were read from disk in this run (not from the cache). */
  parsed = 0;

  constructor(fs: SourceRoot, cache?: AnalysisCache) {
    this.#fs = fs;
    this.#cache = cache;
  }

  /** The parsed headers of a regular file (by its real path inside the root), or the error reading it gave. */
  elfAt(realPath: string): ElfInfo | JailError {
    let info = this.#elf.get(realPath);
    if (info !== undefined) return info;
    const cache = this.#cache;
    const id = cache ? this.#fs.fileKey(realPath) : undefined;
    const cached = cache?.getElf(realPath, id);
    if (cached) {
      info = 'elfClass' in cached ? cached : new JailError(cached.code as ErrorCode, cached.message, { file: realPath });
      this.#elf.set(realPath, info);
      return info;
    }
    this.parsed++;
    try {
      const src = this.#fs.open(realPath);
      try {
        info = readElf(src);
      } catch (err) {
        // Not ELF: keep the first bytes (already read) for whoever looks for a `#!` line next.
        if (err instanceof JailError && err.code === 'ELF_NOT_ELF') this.#heads.set(realPath, Buffer.from(src.read(0, Math.min(src.size, SHEBANG_LIMIT))));
        throw err;
      } finally {
        src.close();
      }
    } catch (err) {
      if (err instanceof JailError) info = err;
      else {
        const e = err as NodeJS.ErrnoException;
        info = new JailError('IO_ERROR', `${realPath}: ${e.code ?? ''} ${e.message}`.trim(), { file: realPath, cause: err });
      }
    }
    this.#elf.set(realPath, info);
    // I/O errors may be passing: only what the file's bytes say is worth keeping.
    if (cache && !(info instanceof JailError && info.code === 'IO_ERROR')) cache.setElf(realPath, id, info instanceof JailError ? { code: info.code, message: info.message } : info);
    return info;
  }

  /** The first bytes of a file that is not ELF (as far as the kernel reads a `#!` line), read once; null when unreadable. */
  headOf(realPath: string): Buffer | null {
    const kept = this.#heads.get(realPath);
    if (kept) return kept;
    try {
      const src = this.#fs.open(realPath);
      try {
        const head = Buffer.from(src.read(0, Math.min(src.size, SHEBANG_LIMIT)));
        this.#heads.set(realPath, head);
        return head;
      } finally {
        src.close();
      }
    } catch {
      return null;
    }
  }
}
