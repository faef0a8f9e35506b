import { hostPrivacy } from '../rootfs/host-private.js';
import type { RootFs } from '../rootfs/rootfs.js';

/**
 * Decides which files the host keeps from others may enter a jail: only those the profile names
 * directly (their own path, no link on the way) and marks `"secret": true`. Everything else the host
 * keeps private (see hostPrivacy) stays out, whatever brings it in: a link, a tree, a dereferenced
 * copy, a library search, a script's `.`.
 */
export class SecretGate {
  readonly #fs: RootFs;
  readonly #allowed = new Set<string>();
  /** Folders named as trees with "secret": true: the files below them (by their real paths) may enter. */
  readonly #trees: string[] = [];
  readonly #known = new Map<string, string | null>();

  constructor(fs: RootFs) {
    this.#fs = fs;
  }

  /** Lets the file at `realPath` in: the profile named it with "secret": true. */
  allow(realPath: string): void {
    this.#allowed.add(realPath);
  }

  /** Lets the files below the folder `realPath` in: the profile named it as a tree with "secret": true. */
  allowTree(realPath: string): void {
    this.#trees.push(realPath === '/' ? '/' : `${realPath}/`);
  }

  isAllowed(realPath: string): boolean {
    return this.#allowed.has(realPath) || this.#trees.some((t) => realPath.startsWith(t));
  }

  /** Null when the file may be copied into the jail; else why the host keeps it from others. */
  refusal(realPath: string): string | null {
    if (this.isAllowed(realPath)) return null;
    let why = this.#known.get(realPath);
    if (why === undefined) {
      why = hostPrivacy(this.#fs, realPath);
      this.#known.set(realPath, why);
    }
    return why;
  }
}

/** The end of every refusal message: what the admin can do about it. */
export const SECRET_HINT = 'jailbuild copies such a file only when the profile names it by its own path in "files" (or "binaries") with "secret": true';

/** Why a file stays out, and what to do about it, for messages. */
export function keptFromOthers(privacy: string): string {
  return `the host keeps it from others (${privacy}); ${SECRET_HINT}`;
}
