import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JailError } from '../errors.js';
import { DirHandle } from '../rootfs/dir-handle.js';
import { bindInFolder, bindOnDescriptor, remountRestrictedIn, unmountIn } from './mount-descriptors.js';
import { mountOfDescriptor } from './mounts-below.js';

/** The staging mount's name inside its private folder. */
const STAGE = 'm';

/**
 * Bind-mounts the open source on the open mount point with its restrictions from its first moment:
 * setuid bits and devices never count in it (nosuid, nodev: a setuid program of a mounted host
 * folder gives an inmate nothing), and with `readOnly` it is never writable inside the jail, not even
 * for the time between a bind and its remount (a jailed process could open a file for writing then,
 * keep it, and make the remount fail as busy). The source is bind-mounted first in a private
 * root-only folder outside the jail, remounted there, and that mount is bound into the jail: a bind
 * mount copies the flags of the mount it is made from. The staging mount is removed afterwards.
 */
export function bindRestricted(source: { fd: number; kind: 'dir' | 'file' }, pointFd: number, readOnly: boolean, what: string): void {
  // mkdtemp makes it 0700: nobody but root can reach the staging mount or change the name in it.
  const stageDir = mkdtempSync(join(tmpdir(), 'jailbuild-stage-'));
  const stage = DirHandle.open(stageDir);
  let mounted = false;
  let failure: unknown;
  try {
    if (source.kind === 'dir') mkdirSync(stage.at(STAGE), { mode: 0o700 });
    else closeSync(openSync(stage.at(STAGE), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600));
    bindInFolder(source.fd, stage, STAGE, what);
    mounted = true;
    remountRestrictedIn(stage, STAGE, readOnly, what);
    const staged = source.kind === 'dir' ? stage.openDir(STAGE) : stage.openFile(STAGE);
    try {
      const mount = mountOfDescriptor(staged.fd);
      const wanted = ['nosuid', 'nodev', ...(readOnly ? ['ro'] : [])];
      if (!mount || wanted.some((o) => !mount.options.includes(o)))
        throw new JailError('IO_ERROR', `${what}: the staging mount in ${stageDir} lacks ${wanted.filter((o) => !mount?.options.includes(o)).join(', ')} after its remount; nothing was mounted in the jail`);
      bindOnDescriptor(staged.fd, pointFd, what);
    } finally {
      staged.close();
    }
  } catch (err) {
    failure = err;
  }
  // An error of the clean-up must not hide the one that brought us here.
  const cleanup = removeStage(stage, stageDir, mounted, source.kind, what);
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
  if (cleanup !== undefined) throw new JailError('IO_ERROR', `${what}: mounted, but the staging folder ${stageDir} could not be removed: ${cleanup.message}`, { cause: cleanup });
}

/** Unmounts and removes the staging mount and its folder; returns what went wrong, never throws. */
function removeStage(stage: DirHandle, stageDir: string, mounted: boolean, kind: 'dir' | 'file', what: string): Error | undefined {
  try {
    if (mounted) {
      try {
        unmountIn(stage, STAGE, what);
      } catch {
        // Busy only if someone entered it meanwhile (root: the folder is 0700): detach it anyway.
        unmountIn(stage, STAGE, what, true);
      }
    }
    if (stage.lstat(STAGE)) (kind === 'dir' ? rmdirSync : unlinkSync)(stage.at(STAGE));
    stage.close();
    rmdirSync(stageDir);
    return undefined;
  } catch (err) {
    stage.close();
    return err as Error;
  }
}
