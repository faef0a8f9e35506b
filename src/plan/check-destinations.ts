import type { PlanContext } from './plan-context.js';

/**
 * Every destination a profile gives is a path inside the jail: absolute, and without `..`, which could
 * only mean an attempt to climb out of it.
 */
export function checkDestinations(ctx: PlanContext): void {
  const p = ctx.profile;
  const check = (value: string | undefined, origin: Parameters<PlanContext['fail']>[0], field: string): void => {
    if (value === undefined) return;
    if (value.split('/').includes('..')) ctx.fail(origin, `${field} ${value}: leaves the jail ("..")`);
    if (!value.startsWith('/')) ctx.fail(origin, `${field} ${value}: must be an absolute path inside the jail`);
  };
  for (const b of p.binaries) check(b.as, b.origin, 'as');
  for (const f of [...p.files, ...p.trees]) check(f.dest, f.origin, 'dest');
  for (const x of [...p.contents, ...p.symlinks, ...p.directories, ...p.devices]) check(x.path, x.origin, 'path');
  for (const m of p.mounts) check(m.target, m.origin, 'target');
}
