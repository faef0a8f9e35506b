import { readFileSync, realpathSync } from 'node:fs';

/** One line of /proc/self/mountinfo, the fields jailbuild uses. */
export interface MountEntry {
  /** The mount's id, as /proc/self/fdinfo/N `mnt_id` names it. */
  id: number;
  /** The folder (or file) of its file system shown at the mount point. */
  root: string;
  mountPoint: string;
  /** Per-mount options: `ro` or `rw`, `nosuid`, ... */
  options: string[];
}

/** Decodes mountinfo's octal escapes (`\040` for a space). */
function unescapeMountinfo(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Every mount this process sees, in mount order (the last one at a point is the one on top); empty without /proc. */
export function readMountTable(): MountEntry[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length < 6 || f[4] === undefined || f[4] === '') continue;
    entries.push({ id: Number(f[0]), root: unescapeMountinfo(f[3] as string), mountPoint: unescapeMountinfo(f[4]), options: (f[5] as string).split(',') });
  }
  return entries;
}

/** Mount points at or below `dir`, from /proc/self/mountinfo. */
export function mountsBelow(dir: string): string[] {
  // mountinfo lists resolved paths: compare with the folder's real path (/srv -> /data/srv).
  try {
    dir = realpathSync(dir);
  } catch {
    // Not there (yet): nothing can be mounted below it.
  }
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return readMountTable()
    .map((m) => m.mountPoint)
    .filter((p) => p === dir || p.startsWith(prefix));
}

/** The mount an open descriptor lies in (its `mnt_id` in /proc/self/fdinfo), or undefined when /proc cannot say. */
export function mountOfDescriptor(fd: number): MountEntry | undefined {
  let info: string;
  try {
    info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    return undefined;
  }
  const id = /^mnt_id:\s*(\d+)$/m.exec(info)?.[1];
  if (id === undefined) return undefined;
  return readMountTable().find((m) => m.id === Number(id));
}
