import type { Origin } from '../profile/profile-types.js';
import { locateInput } from '../resolve/resolve-inputs.js';
import type { Lookup } from '../rootfs/rootfs.js';
import type { PlanContext } from './plan-context.js';

/**
 * Lets through the secret gate what the profile names with "secret": true: a file by its own path (a
 * program in `binaries`, a file in `files`), or a folder in `trees`. A name reached through a link is
 * refused: the link's owner could point it elsewhere.
 */
export function grantSecrets(ctx: PlanContext): void {
  const grant = (spec: { path: string; optional?: boolean; origin: Origin }, folderAllowed: boolean, find: () => Lookup): void => {
    let found: Lookup;
    try {
      found = find();
    } catch (err) {
      ctx.fail(spec.origin, (err as Error).message);
      return;
    }
    if (found.kind === 'missing' && spec.optional) return;
    if (found.kind !== 'file' && !(folderAllowed && found.kind === 'directory')) ctx.fail(spec.origin, `"secret": true: ${spec.path} is not a regular file${folderAllowed ? ' or folder' : ''} in the root`);
    else if (found.links.length > 0) ctx.fail(spec.origin, `"secret": true: ${spec.path} is reached through the link ${(found.links[0] as { path: string }).path}; name it by its own path (${found.path})`);
    else if (found.kind === 'directory') ctx.gate.allowTree(found.path);
    else ctx.gate.allow(found.path);
  };
  const p = ctx.profile;
  for (const b of p.binaries) if (b.secret) grant(b, false, () => locateInput(ctx.resolver, b.path));
  for (const f of p.files) if (f.secret) grant(f, false, () => ctx.fs.lookup(f.path));
  for (const t of p.trees) if (t.secret) grant(t, true, () => ctx.fs.lookup(t.path));
}
