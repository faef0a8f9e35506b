/**
 * Why something is in a jail, as data: what kind of link brought it in, the entry it came from, and
 * the profile line at the start of the chain. `why` walks `from` back to the profile line; the human
 * text is written once, by describeReason, at the edge (messages, `resolve`, `audit --why`).
 */

/** A line of a profile: the file, its line number, and the JSON pointer of the request (`/binaries/0`). */
export interface ProfileLine {
  file: string;
  line?: number;
  pointer: string;
}

export type ReasonKind =
  /** Asked for by a profile line itself (a program, a file, a tree's file, contents, a folder, ...). */
  | 'profile'
  /** An input of `jailbuild resolve`. */
  | 'input'
  /** A library an object needs (DT_NEEDED). `from`: the object; `name`: the soname; `via`: how it was found. */
  | 'needed'
  /** A library an object declares it may dlopen (.note.dlopen). Same fields as 'needed'. */
  | 'dlopened'
  /** A library a profile names by soname (`libraries`), found by the loader's search. `name`, `via`. */
  | 'library'
  /** The ELF interpreter (PT_INTERP) or `#!` interpreter of `from`. */
  | 'interpreter'
  /** The program `#!/usr/bin/env NAME` in `from` runs. */
  | 'env-program'
  /** A program the script `from` runs, at `line`. */
  | 'run-by'
  /** A file the script `from` reads with `.` or `source`, at `line`. */
  | 'sourced-by'
  /** A data file under /usr a Python or Perl file `from` names by its absolute path, at `line`. */
  | 'named-by'
  /**
   * What the program family of `from` is known to read or run by a path no header or script names
   * (`detail`: the fact, as jailbuild's table of known reads says it).
   */
  | 'known-read'
  /** A module (`name`) a Python or Perl file `from` imports, at `line`; or the interpreter's start-up. */
  | 'imported'
  /** A symbolic link met on the way to `from`. */
  | 'link-on-way'
  /** A folder that holds `from`. */
  | 'folder-of'
  /** A program installed under another name (`binaries[].as`); `source` is the program. */
  | 'installed-as'
  /** The mount point of a bind mount; `source` is the host folder mounted there. */
  | 'mount-point'
  /** A file jailbuild writes itself: accounts, the jail's loader cache. `detail` says which. */
  | 'generated'
  /** The jail's root folder. */
  | 'jail-root'
  /** A folder a tarball does not list, which tar makes when it unpacks a member below it. */
  | 'implied-folder'
  /** A reason written as text by an older jailbuild (a manifest read back). */
  | 'text';

export interface Reason {
  kind: ReasonKind;
  /** The entry that brought this one in (a path inside the root/jail); absent at the start of a chain. */
  from?: string;
  /** The profile line the chain starts at (absent for `jailbuild resolve` inputs and the jail root). */
  origin?: ProfileLine;
  /** Script line (run-by, sourced-by). */
  line?: number;
  /** Soname searched for (needed, dlopened, library). */
  name?: string;
  /** How the loader found it: `ld.so.cache`, `DT_RUNPATH`, a default folder, ... */
  via?: string;
  /** The path in the source root a tree's file, an installed program or a mount point stands for. */
  source?: string;
  /** Free text: what was generated, an older manifest's reason, or why a tool added a profile line (`because`). */
  detail?: string;
}

/** `tex.json:12 binaries[0]`: a profile line as people read it. */
export function describeProfileLine(o: ProfileLine): string {
  const name = o.file.split('/').pop() as string;
  const [, field, index] = o.pointer.split('/');
  return `${name}${o.line !== undefined ? `:${o.line}` : ''} ${field}${index !== undefined ? `[${index}]` : ''}`;
}

/** The wording of each kind: replaceable (tests reword it to show that `why` does not depend on it). */
export type Phrases = Record<ReasonKind, (r: Reason) => string>;

export const PHRASES: Phrases = {
  profile: (r) => [r.source, r.name !== undefined ? `package ${r.name}` : undefined, r.detail !== undefined ? `because ${r.detail}` : undefined].filter((x) => x !== undefined).join(', ') || 'asked for',
  input: () => 'input',
  needed: (r) => `${r.name ?? '?'}, needed by ${r.from ?? '?'}, found through ${r.via ?? '?'}`,
  dlopened: (r) => `${r.name ?? '?'}, dlopened by ${r.from ?? '?'}, found through ${r.via ?? '?'}`,
  library: (r) => `${r.name ?? '?'}, found through ${r.via ?? '?'}`,
  interpreter: (r) => `interpreter of ${r.from ?? '?'}`,
  'env-program': (r) => `run by env in the #! line of ${r.from ?? '?'}`,
  'run-by': (r) => `run by ${r.from ?? '?'} line ${r.line ?? '?'}`,
  'sourced-by': (r) => `read by ${r.from ?? '?'} line ${r.line ?? '?'}`,
  'named-by': (r) => `named by ${r.from ?? '?'} line ${r.line ?? '?'}`,
  'known-read': (r) => `read by ${r.from ?? '?'}${r.detail !== undefined ? ` (${r.detail})` : ''}`,
  imported: (r) => (r.line !== undefined ? `${r.name ?? '?'}, imported by ${r.from ?? '?'} line ${r.line}` : `${r.name ?? '?'}, loaded by ${r.from ?? '?'}`),
  'link-on-way': (r) => `link on the way to ${r.from ?? '?'}`,
  'folder-of': (r) => `folder of ${r.from ?? '?'}`,
  'installed-as': (r) => `${r.source ?? '?'} installed here`,
  'mount-point': (r) => `mount point for ${r.source ?? '?'}`,
  generated: (r) => r.detail ?? 'written by jailbuild',
  'jail-root': () => 'the jail',
  'implied-folder': () => 'not in the archive: a folder tar would create',
  text: (r) => r.detail ?? '',
};

/** One line for a reason: what brought it in, then the profile line it all started from. */
export function describeReason(r: Reason, phrases: Phrases = PHRASES): string {
  const what = phrases[r.kind](r);
  if (r.origin === undefined) return what;
  const line = describeProfileLine(r.origin);
  return r.kind === 'profile' && r.source === undefined && r.detail === undefined && r.name === undefined ? line : `${line}: ${what}`;
}

/** A key that is equal for equal reasons (for deduplication). */
export function reasonKey(r: Reason): string {
  return JSON.stringify([r.kind, r.from, r.origin?.file, r.origin?.pointer, r.line, r.name, r.via, r.source, r.detail]);
}

/** The same reason, started from another profile line (a closure resolved once, placed for two lines). */
export function withOrigin(r: Reason, origin: ProfileLine | undefined): Reason {
  const out: Reason = { ...r };
  if (origin === undefined) delete out.origin;
  else out.origin = origin;
  return out;
}

/** Checks a value read back from a manifest: a Reason, or an older manifest's text. */
export function reasonFromJson(value: unknown): Reason {
  if (typeof value === 'string') return { kind: 'text', detail: value };
  if (value !== null && typeof value === 'object' && typeof (value as { kind?: unknown }).kind === 'string' && (value as { kind: string }).kind in PHRASES) {
    const v = value as Record<string, unknown>;
    const r: Reason = { kind: v.kind as ReasonKind };
    for (const k of ['from', 'via', 'name', 'source', 'detail'] as const) if (typeof v[k] === 'string') r[k] = v[k];
    if (typeof v.line === 'number') r.line = v.line;
    const o = v.origin as Record<string, unknown> | undefined;
    if (o && typeof o.file === 'string' && typeof o.pointer === 'string') r.origin = { file: o.file, pointer: o.pointer, ...(typeof o.line === 'number' ? { line: o.line } : {}) };
    return r;
  }
  return { kind: 'text', detail: JSON.stringify(value) };
}
