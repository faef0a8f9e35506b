import { JailError } from '../errors.js';
import { hasDotDot, isNormal } from '../rootfs/inside-path.js';
import type { JailEntry } from './jail-entry.js';

/**
 * Absolute, one slash between components, no `.`, `..` or empty component, no trailing slash, no NUL:
 * /^(?:\/(?!\.\.?(?:\/|$))[^/\0]+)+$|^\/$/, tested with substring searches (a regular expression
 * with a lookahead per component cost more than the rest of the check, for every entry of every jail).
 */
export function isJailPath(path: string): boolean {
  if (path === '/') return true;
  return isNormal(path) && !hasDotDot(path) && !path.includes('\0');
}

/**
 * The one check every emitter runs before writing anything: the entries form a tree that stays inside
 * the output. Each path is absolute and normalized (no `..` can climb out), appears once, and comes
 * after its parent, which is a folder (so nothing is ever written below a link, where it would land
 * wherever the link points). Each kind carries what it needs. Entries come from jailbuild's own plan,
 * but the emitters are exported: a caller's list is checked the same way.
 */
export function checkEntries(entries: readonly JailEntry[]): void {
  const problems: string[] = [];
  const kinds = new Map<string, JailEntry['kind']>();
  // Quoted only for a message: most entries have no problem (and no function is made per entry).
  const quoted = (e: JailEntry): string => JSON.stringify(e.path);
  for (const e of entries) {
    if (typeof e.path !== 'string' || !isJailPath(e.path)) {
      problems.push(`${quoted(e)}: not an absolute, normalized path inside the jail`);
      continue;
    }
    if (kinds.has(e.path)) {
      problems.push(`${quoted(e)}: listed twice`);
      continue;
    }
    if (e.path === '/') {
      if (e.kind !== 'directory') problems.push(`${quoted(e)}: the jail's root must be a folder`);
    } else {
      const parent = e.path.slice(0, e.path.lastIndexOf('/')) || '/';
      const parentKind = kinds.get(parent);
      if (parentKind === undefined) problems.push(`${quoted(e)}: its folder ${parent} does not come before it`);
      else if (parentKind !== 'directory') problems.push(`${quoted(e)}: below ${parent}, which is a ${parentKind}: it would be written wherever that leads`);
    }
    kinds.set(e.path, e.kind);
    if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777) problems.push(`${quoted(e)}: mode ${String(e.mode)} is not permission bits`);
    if (!Number.isInteger(e.uid) || e.uid < 0 || !Number.isInteger(e.gid) || e.gid < 0) problems.push(`${quoted(e)}: owner ${String(e.uid)}:${String(e.gid)} is not numeric`);
    switch (e.kind) {
      case 'file':
        if ((e.source !== undefined ? 1 : 0) + (e.content !== undefined ? 1 : 0) + (e.generate !== undefined ? 1 : 0) !== 1) problems.push(`${quoted(e)}: a file needs one of a source, contents or a generate request`);
        if (e.source !== undefined && (typeof e.source !== 'string' || !isJailPath(e.source))) problems.push(`${quoted(e)}: source ${JSON.stringify(e.source)} is not a normalized path in the source root`);
        // A tar header states the size up front: a whole number of bytes, or no header can say it.
        if (e.size !== undefined && (!Number.isSafeInteger(e.size) || e.size < 0)) problems.push(`${quoted(e)}: size ${String(e.size)} is not a whole number of bytes`);
        break;
      case 'symlink':
        if (typeof e.target !== 'string' || e.target === '' || e.target.includes('\0')) problems.push(`${quoted(e)}: a link needs a target`);
        break;
      case 'char':
      case 'block':
        if (!Number.isInteger(e.major) || !Number.isInteger(e.minor) || (e.major as number) < 0 || (e.minor as number) < 0) problems.push(`${quoted(e)}: a device needs major and minor numbers`);
        break;
      case 'directory':
        break;
      default:
        problems.push(`${quoted(e)}: unknown kind ${JSON.stringify((e as { kind: unknown }).kind)}`);
    }
  }
  if (entries.length > 0 && !kinds.has('/')) problems.push('"/": the jail\'s root folder is not listed');
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ');
    throw new JailError('INPUT', `refusing to write these entries: ${shown}${problems.length > 10 ? `; and ${problems.length - 10} more` : ''}`);
  }
}
