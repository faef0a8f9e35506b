import { bindMounts, type MountReport, unbindMounts } from '../mounts/bind-mounts.js';
import type { Output } from './output.js';
import { loadProfileWithSettings, outputFolder } from '../config/profile-settings.js';
import { mountProc, unmountProc } from '../mounts/run-time-mounts.js';

interface MountOptions {
  out?: string;
  set?: Record<string, string>;
  root?: string;
}

/** One line per mount: what was really mounted (the real path), and through which links, if any. */
function describeMount(r: MountReport): string | undefined {
  if (r.kind === 'already-mounted') return `jailbuild: ${r.target} is already mounted\n`;
  if (r.kind === 'missing-optional') return undefined;
  const links = r.links.map((l) => `${l.link} -> ${l.target}`).join(', ');
  const through = r.links.length === 0 ? '' : ` through the link${r.links.length > 1 ? 's' : ''} ${links}`;
  return `jailbuild: mounted ${r.realSource} on ${r.target}${r.readOnly ? ' (read-only)' : ''}${through}\n`;
}

/** `jailbuild mount`: makes the profile's bind mounts inside the jail (read-only where asked), and its /proc when it has "proc": true. */
export function runMount(nameOrPath: string, opts: MountOptions, out: Output): number {
  const profile = loadProfileWithSettings(nameOrPath, opts);
  const jail = outputFolder(profile, opts.out);
  bindMounts(profile.mounts, jail, (r) => {
    const line = describeMount(r);
    if (line) out.stdout(line);
  });
  if (profile.proc) out.stdout(mountProc(jail) ? `jailbuild: mounted a read-only proc (hidepid=2) on ${jail}/proc\n` : `jailbuild: ${jail}/proc is already mounted\n`);
  return 0;
}

/**
 * `jailbuild umount`: removes the profile's mounts, then checks that nothing at all is mounted in the
 * jail any more (exit 1 if something is): the check to make before a jail is destroyed.
 */
export function runUmount(nameOrPath: string, opts: MountOptions, out: Output): number {
  const profile = loadProfileWithSettings(nameOrPath, opts);
  const jail = outputFolder(profile, opts.out);
  if (profile.proc && unmountProc(jail)) out.stdout(`jailbuild: unmounted ${jail}/proc\n`);
  const left = unbindMounts(profile.mounts, jail, (r) => {
    if (r.kind === 'unmounted') out.stdout(`jailbuild: unmounted ${r.target}\n`);
    else out.stderr(`jailbuild: ${r.message}\n`);
  });
  if (left.length > 0) {
    out.stderr(`jailbuild: still mounted inside ${jail}: ${left.join(', ')}\n`);
    return 1;
  }
  return 0;
}
