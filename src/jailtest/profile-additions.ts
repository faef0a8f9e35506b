/** A profile field a tool can add to. */
export type AdditionField = 'binaries' | 'files' | 'trees' | 'devices' | 'directories' | 'symlinks' | 'mounts' | 'proc';

/**
 * One line a tool (`jailbuild test --fix`, `jailbuild trace`) adds to a profile: the field, the value
 * written there, why, and what it was found from.
 */
export interface Addition {
  field: AdditionField;
  /** The path (binaries, files, trees, directories), device name, link path, mount target; `/proc` for proc. */
  path: string;
  /** A tree whose programs and libraries must be resolved too (it holds ELF files). */
  resolve?: boolean;
  /** directories: the folder's mode. */
  mode?: string;
  /** symlinks: where the link points. */
  target?: string;
  /** The Debian packages that own what is added, when known. */
  packages?: string[];
  /** Why: the access that showed it is needed, in words (`test 'png': lilypond opened /usr/share/... (ENOENT)`). */
  because: string;
  /** The paths it was found from (the first few). */
  from: string[];
}

/** What a profile line looks like for an addition, as it is written into the profile file. */
export function profileValue(a: Addition): unknown {
  switch (a.field) {
    case 'proc':
      return true;
    case 'devices':
      return a.path.replace(/^\/dev\//, '');
    case 'symlinks':
      return { path: a.path, target: a.target ?? '' };
    case 'directories':
      return { path: a.path, ...(a.mode !== undefined ? { mode: a.mode } : {}) };
    case 'mounts':
      return { source: a.path, target: a.path, readOnly: true };
    case 'trees':
      return { path: a.path, ...(a.resolve ? { resolve: true } : {}), because: a.because };
    default:
      return { path: a.path, because: a.because };
  }
}

/** The line in words: `trees [/usr/share/lilypond]`, `proc: true`. */
export function describeAddition(a: Addition): string {
  if (a.field === 'proc') return 'proc: true';
  const value = profileValue(a);
  const shown = typeof value === 'string' ? value : a.field === 'symlinks' ? `${a.path} -> ${a.target ?? ''}` : a.path;
  return `${a.field} [${shown}]${a.resolve ? ' (resolve)' : ''}`;
}

/** Equal for additions that add the same line. */
export function additionKey(a: Addition): string {
  return `${a.field}\0${a.path}`;
}

/**
 * Drops additions made redundant by others: a file or tree below a tree that is added too, and
 * repeats. A tree's `resolve` wins when any of the merged ones asked for it.
 */
export function mergeAdditions(list: Addition[]): Addition[] {
  const byKey = new Map<string, Addition>();
  for (const a of list) {
    const key = additionKey(a);
    const seen = byKey.get(key);
    if (!seen) byKey.set(key, { ...a, from: [...a.from] });
    else {
      if (a.resolve) seen.resolve = true;
      for (const f of a.from) if (!seen.from.includes(f) && seen.from.length < 5) seen.from.push(f);
      if (a.packages) seen.packages = [...new Set([...(seen.packages ?? []), ...a.packages])];
    }
  }
  const trees = [...byKey.values()].filter((a) => a.field === 'trees').map((a) => a.path);
  const below = (p: string, t: string): boolean => p !== t && p.startsWith(t === '/' ? '/' : `${t}/`);
  const within = (p: string, t: string): boolean => p === t || below(p, t);
  return [...byKey.values()].filter((a) => !(((a.field === 'files' || a.field === 'trees') && trees.some((t) => below(a.path, t))) || (a.field === 'directories' && trees.some((t) => within(a.path, t)))));
}
