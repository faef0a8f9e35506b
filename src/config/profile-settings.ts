import { resolve as resolveHostPath } from 'node:path';
import { loadProfile } from '../profile/load-profile.js';
import type { Profile } from '../profile/profile-types.js';
import { type JailbuildConfig, loadConfig } from './load-config.js';

/**
 * Loads a profile with jailbuild's settings applied: the profile search path, the default root (for
 * profiles that set none) and the default permissions (for profiles that set none); `root` (the
 * command line's --root) wins over both.
 */
export function loadProfileWithSettings(nameOrPath: string, opts: { set?: Record<string, string>; root?: string; alsoTrusted?: string[] }, config: JailbuildConfig = loadConfig()): Profile {
  const profile = loadProfile(nameOrPath, { set: opts.set ?? {}, searchPath: config.profilePath, ...(opts.alsoTrusted ? { alsoTrusted: opts.alsoTrusted } : {}) });
  if (opts.root !== undefined) profile.root = resolveHostPath(opts.root);
  else if (config.root !== undefined && profile.root === '/') profile.root = config.root;
  if (config.permissions && Object.keys(profile.permissions).length === 0) profile.permissions = { ...config.permissions };
  return profile;
}

/** Where a profile's jail goes: `out` (the command line's --out), else the profile's "out", else ./NAME. */
export function outputFolder(profile: Profile, out?: string): string {
  return resolveHostPath(out ?? profile.out ?? profile.name);
}
