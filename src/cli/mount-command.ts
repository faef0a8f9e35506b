import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { mountsBelow } from '../emit/safe-remove.js';
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

/** `jailbuild mount`: makes the profile's bind mounts inside the jail (read-only where asked). */
export function runMount(nameOrPath: string, opts: MountOptions, out: Output): number {
  const profile = loadProfileWithSettings(nameOrPath, opts);
  const jail = outputFolder(profile, opts.out);
  if (!existsSync(jail)) throw new JailError('INPUT', `${jail}: no jail there; build it first (jailbuild profile ${nameOrPath} --out ${jail})`, { file: jail });
  for (const m of profile.mounts) {
    const target = join(jail, joinInside('/', m.target));
    if (!existsSync(m.source)) {
      if (m.optional) continue;
      throw new JailError('INPUT', `${profile.file}: mount source ${m.source} does not exist`, { file: profile.file });
    }
    if (mountsBelow(target).includes(target)) {
      out.stdout(`jailbuild: ${target} is already mounted\n`);
      continue;
    }
    if (statSync(m.source).isDirectory()) mkdirSync(target, { recursive: true });
    run('mount', ['--bind', m.source, target]);
    if (m.readOnly) run('mount', ['-o', 'remount,bind,ro', target]);
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
  for (const m of [...profile.mounts].reverse()) {
    const target = join(jail, joinInside('/', m.target));
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
