import type { ElfInfo } from '../elf/elf-info.js';
import { JailError } from '../errors.js';
import type { ProgramResolver } from '../resolve/program-resolver.js';
import type { Lookup } from '../rootfs/rootfs.js';

/** A dynamically linked program of the root: whose loader searches the libraries a profile names. */
export interface ReferenceProgram {
  found: Lookup;
  elf: ElfInfo;
}

/** The first of the root's usual programs (/bin/sh first) that is dynamically linked. */
export function referenceProgram(resolver: ProgramResolver): ReferenceProgram | undefined {
  for (const candidate of ['/bin/sh', '/bin/bash', '/usr/bin/env', '/bin/busybox', '/usr/bin/busybox']) {
    const found = resolver.fs.lookup(candidate);
    if (found.kind !== 'file') continue;
    const info = resolver.elf.elfAt(found.path);
    if (!(info instanceof JailError) && info.interpreter) return { found, elf: info };
  }
  return undefined;
}
