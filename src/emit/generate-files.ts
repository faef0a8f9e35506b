import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { JailError } from '../errors.js';
import type { GeneratedFile, JailEntry } from '../model/jail-entry.js';
import type { SourceRoot } from '../rootfs/source-root.js';

/** What was generated for a request, so that the tree, the tarball and the manifest of one build agree. */
const made = new WeakMap<GeneratedFile, Buffer>();

/** The bytes of a file the plan asks to be made at emit time (entry.generate); made once per request. */
export function generatedBytes(e: JailEntry, fs: SourceRoot): Buffer {
  const request = e.generate;
  if (request === undefined) throw new JailError('INPUT', `${e.path}: nothing to generate`, { file: e.path });
  let bytes = made.get(request);
  if (bytes === undefined) {
    bytes = makeLdCache(fs, request, e.path);
    made.set(request, bytes);
  }
  return bytes;
}

/** The bytes of a file entry, whatever holds them: its contents, or what is generated for it. Null for a copied file. */
export function ownBytes(e: JailEntry, fs: SourceRoot): Buffer | null {
  if (e.content !== undefined) return e.content;
  if (e.generate !== undefined) return generatedBytes(e, fs);
  return null;
}

/**
 * The jail's ld.so.cache, made by glibc's own ldconfig (`ldconfig -X -r`) over a scratch root holding
 * just the requested libraries (read from the source root without following links, as every copy is)
 * and an ld.so.conf naming their folders.
 */
function makeLdCache(fs: SourceRoot, request: GeneratedFile, path: string): Buffer {
  const ldconfig = ['/usr/sbin/ldconfig', '/sbin/ldconfig'].find((p) => spawnSync(p, ['--version']).status === 0);
  if (!ldconfig) throw new JailError('IO_ERROR', `${path}: the jail needs an ld.so.cache for ${request.folders.join(', ')}, and ldconfig is not installed here`, { file: path });
  const scratch = mkdtempSync(join(tmpdir(), 'jailbuild-ldcache-'));
  try {
    for (const lib of request.libraries) {
      const found = fs.lookup(lib);
      if (found.kind !== 'file') continue;
      // Read as every read of the root is: the file lookup saw, through no link.
      const src = fs.open(found.path);
      try {
        const dest = join(scratch, lib);
        mkdirSync(dirname(dest), { recursive: true });
        writeFileSync(dest, src.read(0, src.size, 'library'));
      } finally {
        src.close();
      }
    }
    mkdirSync(join(scratch, 'etc'), { recursive: true });
    writeFileSync(join(scratch, 'etc', 'ld.so.conf'), request.folders.join('\n') + '\n');
    const run = spawnSync(ldconfig, ['-X', '-r', scratch], { encoding: 'utf8' });
    if (run.status !== 0) throw new JailError('IO_ERROR', `${path}: ldconfig failed: ${(run.stderr || String(run.error ?? '')).trim()}`, { file: path });
    return readFileSync(join(scratch, 'etc', 'ld.so.cache'));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    fs.releaseHandles();
  }
}
