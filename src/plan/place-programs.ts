import { JailError } from '../errors.js';
import { describeProfileLine, type Reason } from '../model/reason.js';
import { locateInput } from '../resolve/resolve-inputs.js';
import { joinInside } from '../rootfs/inside-path.js';
import type { Lookup } from '../rootfs/rootfs.js';
import type { PlanContext } from './plan-context.js';
import { referenceProgram, type ReferenceProgram } from './reference-program.js';
import { keptFromOthers } from './secret-gate.js';
import { runtimeHomeOf } from './place-runtimes.js';

/**
 * Places every program of the profile with everything it loads and runs (libraries, interpreters, the
 * programs its scripts run, every link on the way); a program installed under another name (`as`)
 * is placed there instead of at its own path. Returns the first dynamically linked one: its loader is
 * the one that searches the libraries a profile names.
 */
export function placePrograms(ctx: PlanContext, onProgress?: (what: string, done: number, total: number) => void): ReferenceProgram | undefined {
  const p = ctx.profile;
  let reference: ReferenceProgram | undefined;
  let resolved = 0;
  for (const bin of p.binaries) {
    onProgress?.('resolving programs', ++resolved, p.binaries.length);
    let found: Lookup;
    try {
      found = locateInput(ctx.resolver, bin.path);
    } catch (err) {
      ctx.fail(bin.origin, (err as Error).message);
      continue;
    }
    if (found.kind !== 'file') {
      if (!bin.optional) ctx.fail(bin.origin, `${bin.path}: not found in the root ${p.root}${found.kind === 'missing' ? '' : ` (a ${found.kind})`}`);
      continue;
    }
    const closure = ctx.resolver.closure(found, ctx.asked(bin.origin, undefined, bin.because));
    for (const d of closure.diagnostics) if (d.severity !== 'info') ctx.diagnostics.push(d);
    for (const m of closure.missing) {
      if (m.how === 'command') {
        ctx.diagnostics.push({
          code: 'COMMAND_MISSING',
          severity: 'warning',
          path: m.neededBy,
          message: `${m.neededBy}${m.line ? `:${m.line}` : ''}: runs ${m.name}, which is not in the root (${describeProfileLine(bin.origin)})`,
        });
      } else if (m.how === 'input') {
        ctx.fail(bin.origin, `${bin.path}: ${m.neededBy}${m.line ? `:${m.line}` : ''} sources ${m.name}, which is not in the root`);
      } else ctx.fail(bin.origin, `${bin.path}: ${m.how === 'PT_INTERP' ? 'interpreter' : 'library'} ${m.name} (needed by ${m.neededBy}) is not in the root`);
    }
    const info = ctx.resolver.elf.elfAt(found.path);
    if (!reference && !(info instanceof JailError) && info.interpreter) reference = { found, elf: info };
    const own = ctx.overrides(bin, bin.origin);
    for (const need of closure.needs.list()) {
      const home = need.kind === 'file' ? runtimeHomeOf(need.path) : undefined;
      if (home !== undefined && !ctx.runtimeHomes.has(home)) ctx.runtimeHomes.set(home, { origin: bin.origin, program: found.path });
      // Installed elsewhere: the program (and the links to it) are not placed at their own paths.
      if (bin.as !== undefined && (need.path === found.path || found.links.some((l) => l.path === need.path))) continue;
      ctx.placeNeed(need, bin.origin, need.path === found.path ? own : {});
    }
    if (bin.as !== undefined) {
      const reason: Reason = { kind: 'installed-as', source: found.path, origin: bin.origin };
      ctx.placeSource(found.path, joinInside('/', bin.as), reason, own, (privacy) => ctx.fail(bin.origin, `${found.path}: not copied: ${keptFromOthers(privacy)}`));
    }
  }
  return reference;
}

/** Places the libraries a profile names by soname, found as `reference`'s loader would dlopen them. */
export function placeLibraries(ctx: PlanContext, reference: ReferenceProgram | undefined): ReferenceProgram | undefined {
  const p = ctx.profile;
  if (p.libraries.length === 0) return reference;
  reference ??= referenceProgram(ctx.resolver);
  for (const lib of p.libraries) {
    if (!reference) {
      ctx.fail(lib.origin, `${lib.soname}: no dynamically linked program in the root to look it up for`);
      continue;
    }
    const hit = ctx.resolver.elf.findLibrary(lib.soname, reference.found, reference.elf);
    if (!hit) {
      ctx.fail(lib.origin, `${lib.soname}: not found by the loader's search in ${p.root}`);
      continue;
    }
    const closure = ctx.resolver.closure(hit.found, { kind: 'library', name: lib.soname, via: hit.via, origin: lib.origin });
    for (const m of closure.missing) ctx.fail(lib.origin, `${lib.soname}: ${m.name} (needed by ${m.neededBy}) is not in the root`);
    for (const need of closure.needs.list()) ctx.placeNeed(need, lib.origin);
  }
  return reference;
}
