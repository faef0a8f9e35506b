import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mountsBelow } from '../mounts/mounts-below.js';
import { JailError } from '../errors.js';
import { joinInside } from '../rootfs/inside-path.js';
import type { Output } from './output.js';
import { loadProfileWithSettings, outputFolder } from './profile-command.js';

interface MountOptions {
  out?: string;
  set?: Record<string, string>;
  root?: string;
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new JailError('IO_ERROR', `${cmd} ${args.join(' ')}: ${(r.stderr || String(r.error ?? '')).trim()}`);
}

/**
 * The mount point of `target` inside the jail, made where missing, one folder at a time, never
 * through a link: a link inside the jail (which the jailed service may have placed) could lead the
 * mount out of it. `..` is refused outright.
 */
function mountPointInside(jailReal: string, target: string, profileFile: string, makeIt: boolean): string {
  if (target.split('/').includes('..')) throw new JailError('INPUT', `${profileFile}: mount target ${target}: leaves the jail ("..")`, { file: profileFile, field: 'mounts' });
  let here = jailReal;
  for (const part of joinInside('/', target).split('/').filter(Boolean)) {
    here = join(here, part);
    const st = lstatSync(here, { throwIfNoEntry: false });
    if (!st) {
      if (!makeIt) return here;
      mkdirSync(here, { mode: 0o755 });
      continue;
    }
    if (st.isSymbolicLink()) throw new JailError('INPUT', `${here}: a link inside the jail; refusing to mount through it`, { file: here });
  }
  return here;
}

/** `jailbuild mount`: makes the profile's bind mounts inside the jail (read-only where asked). */
export function runMount(nameOrPath: string, opts: MountOptions, out: Output): number {
  const profile = loadProfileWithSettings(nameOrPath, opts);
  const jail = outputFolder(profile, opts.out);
  if (!existsSync(jail)) throw new JailError('INPUT', `${jail}: no jail there; build it first (jailbuild profile ${nameOrPath} --out ${jail})`, { file: jail });
  const jailReal = realpathSync(jail);
  for (const m of profile.mounts) {
    if (!existsSync(m.source)) {
      if (m.optional) continue;
      throw new JailError('INPUT', `${profile.file}: mount source ${m.source} does not exist`, { file: profile.file });
    }
    const isDir = statSync(m.source).isDirectory();
    const target = mountPointInside(jailReal, m.target, profile.file, isDir);
    if (mountsBelow(target).includes(target)) {
      out.stdout(`jailbuild: ${target} is already mounted\n`);
      continue;
    }
    run('mount', ['--bind', m.source, target]);
    if (m.readOnly) {
      try {
        run('mount', ['-o', 'remount,bind,ro', target]);
      } catch (err) {
        // Never leave a writable mount where a read-only one was asked for.
        spawnSync('umount', [target]);
        throw err;
      }
    }
    out.stdout(`jailbuild: mounted ${m.source} on ${target}${m.readOnly ? ' (read-only)' : ''}\n`);
  }
  return 0;
}

/**
 * `jailbuild umount`: removes the profile's mounts, then checks that nothing at all is mounted in the
 * jail any more (exit 1 if something is): the check to make before a jail is destroyed.
 */
export function runUmount(nameOrPath: string, opts: MountOptions, out: Output): number {
  const profile = loadProfileWithSettings(nameOrPath, opts);
  const jail = outputFolder(profile, opts.out);
  const jailReal = existsSync(jail) ? realpathSync(jail) : jail;
  for (const m of [...profile.mounts].reverse()) {
    let target: string;
    try {
      target = mountPointInside(jailReal, m.target, profile.file, false);
    } catch (err) {
      // Nothing of ours can be mounted there; the check below still reports anything mounted.
      out.stderr(`jailbuild: ${(err as Error).message}\n`);
      continue;
    }
    while (mountsBelow(target).includes(target)) {
      run('umount', [target]);
      out.stdout(`jailbuild: unmounted ${target}\n`);
    }
  }
  const left = mountsBelow(jail);
  if (left.length > 0) {
    out.stderr(`jailbuild: still mounted inside ${jail}: ${left.join(', ')}\n`);
    return 1;
  }
  return 0;
}
