import type { Stats } from 'node:fs';
import { splitInside } from './inside-path.js';
import type { RootFs } from './rootfs.js';

/**
 * Paths that hold secrets whatever their modes say (a source root unpacked by an ordinary user may have
 * lost its modes): password hashes, SSH host keys, TLS private keys, root's home.
 */
const SECRET_PATHS: Array<[RegExp, string]> = [
  [/^\/etc\/(shadow|gshadow)-?$/, 'the password hashes'],
  [/^\/etc\/ssh\/ssh_host_[^/]*key$/, "an SSH host's private key"],
  [/^\/etc\/ssl\/private(\/|$)/, 'a TLS private key folder'],
  [/^\/root(\/|$)/, "root's home folder"],
  [/^\/etc\/security\/opasswd$/, 'old password hashes'],
];

/** What a known secret path holds ("the password hashes"), or null. */
export function knownSecretPath(path: string): string | null {
  for (const [re, what] of SECRET_PATHS) if (re.test(path)) return what;
  return null;
}

function ownerText(st: Stats): string {
  return `${(st.mode & 0o7777).toString(8).padStart(4, '0')}, owner ${st.uid}:${st.gid}`;
}

/**
 * Why the host keeps a file of the source root from other users, or null when anyone may read it: a
 * known secret path, a file others may not read, or a folder on its way others may not enter (a
 * 0644 file inside a 0700 folder is as private as the folder). `realPath` is a path inside the root
 * with no links in it (a lookup's answer). The answer is the reason, for messages; it never holds
 * anything read from the file.
 */
export function hostPrivacy(fs: RootFs, realPath: string): string | null {
  const known = knownSecretPath(realPath);
  if (known !== null) return `${realPath} is ${known}`;
  const st = fs.lstat(realPath);
  if (st?.isFile() && (st.mode & 0o004) === 0) return `mode ${ownerText(st)}: others may not read it`;
  const parts = splitInside(realPath);
  for (let i = parts.length - 1; i >= 1; i--) {
    const dir = '/' + parts.slice(0, i).join('/');
    const d = fs.lstat(dir);
    if (d?.isDirectory() && (d.mode & 0o001) === 0) return `it is inside ${dir} (mode ${ownerText(d)}), which others may not enter`;
  }
  return null;
}
