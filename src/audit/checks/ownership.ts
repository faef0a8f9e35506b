import type { Finding } from '../finding.js';
import type { CheckContext } from './context.js';

/**
 * Entries owned by neither root nor the owner declared for them (by the profile's plan or the
 * manifest): whoever owns a file may change it, so a stray owner is a way to alter the jail from inside.
 * Link ownership means nothing and is left out, and so is what lies in a sticky folder anyone may
 * write (`/tmp`): files there belong to whoever made them at run time, and the sticky bit keeps the
 * others out.
 */
export function checkOwnership(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  const shared = new Set(ctx.inv.entries.filter((e) => e.kind === 'directory' && (e.mode & 0o1002) === 0o1002).map((e) => e.path));
  const inShared = (path: string): boolean => {
    for (let d = path.slice(0, path.lastIndexOf('/')); d.length > 0; d = d.slice(0, d.lastIndexOf('/'))) if (shared.has(d)) return true;
    return false;
  };
  for (const e of ctx.inv.entries) {
    if (e.kind === 'symlink' || e.uid === 0 || inShared(e.path)) continue;
    const declared = ctx.declaredOwner.get(e.path);
    if (declared?.includes(e.uid) || (declared === undefined && ctx.declaredUids.has(e.uid))) continue;
    const expected = declared !== undefined ? `root or uid ${declared.join(' or ')}, as declared` : ctx.declaredUids.size > 0 ? `root or a declared owner (${[...ctx.declaredUids].join(', ')})` : 'root';
    out.push({ rule: 'unexpected-owner', severity: 'medium', path: e.path, message: `${e.path}: owned by uid ${e.uid}, expected ${expected}: its owner can change it from inside the jail` });
  }
  return out;
}
