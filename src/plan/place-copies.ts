import { describeProfileLine } from '../model/reason.js';
import type { Origin } from '../profile/profile-types.js';
import { joinInside } from '../rootfs/inside-path.js';
import type { Lookup } from '../rootfs/rootfs.js';
import type { PlanContext } from './plan-context.js';
import type { Placement } from './plan-builder.js';
import { keptFromOthers } from './secret-gate.js';

interface CopyRequest {
  path: string;
  dest: string | undefined;
  dereference: boolean;
  optional: boolean;
  exclude: string[];
  origin: Origin;
  because?: string;
  extra: Partial<Placement>;
  /** Called for every regular file placed (trees with "resolve" resolve them). */
  onFile?: (path: string) => void;
}

/** Places the profile's `files` and `trees`; trees with "resolve" bring in what their programs need. */
export function placeFilesAndTrees(ctx: PlanContext): void {
  for (const spec of ctx.profile.files) {
    placeCopy(ctx, {
      path: spec.path,
      dest: spec.dest,
      dereference: spec.dereference ?? false,
      optional: spec.optional ?? false,
      exclude: [],
      origin: spec.origin,
      ...(spec.because !== undefined ? { because: spec.because } : {}),
      extra: ctx.overrides(spec, spec.origin),
    });
  }
  for (const spec of ctx.profile.trees) {
    const onFile = (file: string): void => {
      const closure = ctx.resolver.closure(ctx.fs.lookup(file), ctx.asked(spec.origin, file));
      for (const need of closure.needs.list()) if (need.path !== file) ctx.placeNeed(need, spec.origin);
      for (const m of closure.missing) {
        ctx.diagnostics.push({ code: 'TREE_MISSING', severity: 'warning', path: file, message: `${file}: ${m.name} (needed by ${m.neededBy}) is not in the root (${describeProfileLine(spec.origin)})` });
      }
    };
    placeCopy(ctx, {
      path: spec.path,
      dest: spec.dest,
      dereference: spec.dereference ?? false,
      optional: spec.optional ?? false,
      exclude: spec.exclude ?? [],
      origin: spec.origin,
      ...(spec.because !== undefined ? { because: spec.because } : {}),
      extra: ctx.overrides(spec, spec.origin),
      ...(spec.resolve ? { onFile } : {}),
    });
  }
}

/**
 * Places a file or a folder tree: links met on the way to it are kept as links (unless dereference);
 * a folder is walked in sorted order, its links kept as links (or followed with dereference), its
 * devices, sockets and pipes left out with a warning. A file the host keeps from others is refused
 * when named directly, and left out with a warning inside a folder.
 */
function placeCopy(ctx: PlanContext, req: CopyRequest): void {
  const { fs, builder } = ctx;
  const fail = (message: string): void => ctx.fail(req.origin, message);
  let found: Lookup;
  try {
    found = fs.lookup(req.path);
  } catch (err) {
    fail((err as Error).message);
    return;
  }
  if (found.kind === 'missing') {
    if (!req.optional) fail(`${req.path}: not found in the root ${fs.root}`);
    return;
  }
  const target = req.dest === undefined ? undefined : joinInside('/', req.dest);
  // Without a destination the copy lands where the source is, links on the way recreated.
  if (target === undefined && !req.dereference) {
    for (const hop of found.links) builder.add({ path: hop.path, kind: 'symlink', mode: 0o777, target: hop.target, reason: { kind: 'link-on-way', from: req.path, origin: req.origin } });
  }
  const base = target ?? (req.dereference ? joinInside('/', req.path) : found.path);
  const excluded = new Set(req.exclude.map((e) => joinInside(found.path, e)));
  const here = (src: string): ReturnType<PlanContext['asked']> => ctx.asked(req.origin, src, req.because);

  // Folders being walked on the current branch: with dereference, a link back up (/usr/bin/X11 -> .)
  // would otherwise be walked forever.
  const walking = new Set<string>();
  const visit = (src: string, at: string, top: boolean): void => {
    if (excluded.has(src)) return;
    const st = fs.lstat(src);
    if (!st) return;
    if (st.isSymbolicLink()) {
      if (!req.dereference) {
        builder.add({ path: at, kind: 'symlink', mode: 0o777, target: fs.readlink(src), reason: here(src) });
        return;
      }
      let end: Lookup;
      try {
        end = fs.lookup(src);
      } catch (err) {
        ctx.diagnostics.push({ code: 'SYMLINK_LOOP', severity: 'warning', path: src, message: `${(err as Error).message}; left out (${describeProfileLine(req.origin)})` });
        return;
      }
      if (end.kind === 'missing') {
        ctx.diagnostics.push({ code: 'DANGLING_LINK', severity: 'warning', path: src, message: `${src}: a link to nothing; left out (${describeProfileLine(req.origin)})` });
        return;
      }
      visit(end.path, at, top);
      return;
    }
    if (st.isDirectory()) {
      if (walking.has(src)) {
        ctx.diagnostics.push({ code: 'SYMLINK_LOOP', severity: 'warning', path: src, message: `${src}: a link leads back to a folder being copied; left out there (${describeProfileLine(req.origin)})` });
        return;
      }
      walking.add(src);
      builder.add({ path: at, kind: 'directory', mode: st.mode & 0o7777, reason: here(src), ...(top ? req.extra : {}) });
      for (const name of fs.readdir(src) ?? []) visit(joinInside(src, name), joinInside(at, name), false);
      walking.delete(src);
      return;
    }
    if (st.isFile()) {
      const placed = ctx.placeSource(src, at, here(src), req.extra, (privacy) => {
        if (top) {
          const how = found.links.length > 0 ? `reached through the link ${(found.links[0] as { path: string }).path}, ` : req.dereference ? 'reached by dereferencing, ' : '';
          fail(`${src}: not copied: ${how}${keptFromOthers(privacy)}`);
        } else {
          ctx.diagnostics.push({ code: 'PRIVATE_LEFT_OUT', severity: 'warning', path: src, message: `${src}: left out (${describeProfileLine(req.origin)}): ${keptFromOthers(privacy)}` });
        }
      });
      if (placed) req.onFile?.(src);
      return;
    }
    ctx.diagnostics.push({ code: 'SPECIAL_FILE_SKIPPED', severity: 'warning', path: src, message: `${src}: a device, socket or pipe; left out (use "devices") (${describeProfileLine(req.origin)})` });
  };
  visit(found.path, base, true);
}
