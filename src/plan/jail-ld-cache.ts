import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Diagnostic } from '../errors.js';
import type { RootFs } from '../rootfs/rootfs.js';

/**
 * The loader in a jail reads the jail's /etc/ld.so.cache, never ld.so.conf: libraries that the source
 * root finds only through folders named in ld.so.conf (the seed's /usr/local/lib64) need a cache in
 * the jail. It is made by glibc's own ldconfig (`ldconfig -X -r`) over a scratch root holding just
 * those libraries and an ld.so.conf naming their folders, and returned as bytes.
 */
export function buildJailLdCache(fs: RootFs, libraries: string[], folders: string[]): { cache?: Buffer; conf: string; diagnostics: Diagnostic[] } {
  const conf = folders.join('\n') + '\n';
  const diagnostics: Diagnostic[] = [];
  const scratch = mkdtempSync(join(tmpdir(), 'jailbuild-ldcache-'));
  try {
    for (const lib of libraries) {
      const dest = join(scratch, lib);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(fs.hostPath(lib), dest);
    }
    mkdirSync(join(scratch, 'etc'), { recursive: true });
    writeFileSync(join(scratch, 'etc', 'ld.so.conf'), conf);
    const ldconfig = ['/usr/sbin/ldconfig', '/sbin/ldconfig'].find((p) => spawnSync(p, ['--version']).status === 0);
    if (!ldconfig) {
      diagnostics.push({ code: 'LDCACHE_NOT_WRITTEN', severity: 'error', path: '/etc/ld.so.cache', message: `the jail needs an ld.so.cache for ${folders.join(', ')}, and ldconfig is not installed here` });
      return { conf, diagnostics };
    }
    const run = spawnSync(ldconfig, ['-X', '-r', scratch], { encoding: 'utf8' });
    if (run.status !== 0) {
      diagnostics.push({ code: 'LDCACHE_NOT_WRITTEN', severity: 'error', path: '/etc/ld.so.cache', message: `ldconfig failed: ${(run.stderr || '').trim()}` });
      return { conf, diagnostics };
    }
    return { cache: readFileSync(join(scratch, 'etc', 'ld.so.cache')), conf, diagnostics };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
