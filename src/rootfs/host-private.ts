import { realpathSync, type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FileStat } from './file-stat.js';
import { joinInside } from './inside-path.js';
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

const rootVerdicts = new WeakMap<RootFs, string | null>();

/**
 * Why everything in the source root is private on the host: the root lies inside a folder others may
 * not enter, or is (inside) a known secret path. A profile's `root` is a value like any other: pointing
 * it at /root/.ssh must not make the files below it public.
 */
function rootPrivacy(fs: RootFs): string | null {
  let verdict = rootVerdicts.get(fs);
  if (verdict !== undefined) return verdict;
  verdict = null;
  let root: string;
  try {
    root = realpathSync(fs.root);
  } catch {
    root = fs.root;
  }
  const known = knownSecretPath(root);
  if (known !== null && root !== '/') verdict = `the source root ${root} is ${known}`;
  // The root itself and every folder above it must let others in.
  for (let dir = root; verdict === null; dir = dirname(dir)) {
    let st: Stats;
    try {
      st = statSync(dir);
    } catch {
      break;
    }
    if ((st.mode & 0o001) === 0)
      verdict = dir === root ? `the source root ${root} (mode ${ownerText(st)}) is a folder others may not enter` : `the source root ${root} lies inside ${dir} (mode ${ownerText(st)}), which others may not enter`;
    if (dir === '/') break;
  }
  rootVerdicts.set(fs, verdict);
  return verdict;
}

function ownerText(st: FileStat): string {
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
  const aboveRoot = rootPrivacy(fs);
  if (aboveRoot !== null) return aboveRoot;
  const known = knownSecretPath(realPath) ?? knownSecretPath(fs.hostPath(realPath));
  if (known !== null) return `${realPath} is ${known}`;
  const st = fs.lstat(realPath);
  if (st?.isFile() && (st.mode & 0o004) === 0) return `mode ${ownerText(st)}: others may not read it`;
  // Each folder on the way, deepest first, cut from the path (not rebuilt from its parts each time).
  let dir = joinInside('/', realPath);
  for (let cut = dir.lastIndexOf('/'); cut > 0; cut = dir.lastIndexOf('/')) {
    dir = dir.slice(0, cut);
    const d = fs.lstat(dir);
    if (d?.isDirectory() && (d.mode & 0o001) === 0) return `it is inside ${dir} (mode ${ownerText(d)}), which others may not enter`;
  }
  return null;
}
