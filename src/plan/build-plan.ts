import { sourceDateEpoch } from '../config/source-date-epoch.js';
import { archOf } from '../loader/arch.js';
import { JailError } from '../errors.js';
import type { Profile } from '../profile/profile-types.js';
import { checkDestinations } from './check-destinations.js';
import { danglingLinks } from './dangling-links.js';
import { finishEntries } from './finish-entries.js';
import { jailAccess } from './jail-access.js';
import { planJailLdCache } from './jail-ld-cache.js';
import { placeFilesAndTrees } from './place-copies.js';
import { placePackages } from './place-packages.js';
import { placeRuntimes } from './place-runtimes.js';
import { placeLiterals } from './place-literals.js';
import { placeLibraries, placePrograms } from './place-programs.js';
import { PlanContext } from './plan-context.js';
import { planReads } from './plan-reads.js';
import type { Plan, PlanOptions } from './plan-types.js';
import { referenceProgram } from './reference-program.js';
import { grantSecrets } from './secret-grants.js';

export type { Plan, PlanOptions } from './plan-types.js';

/**
 * Turns a profile into the list of entries its jail holds. Every program brings in its closure
 * (libraries, interpreters, the programs its scripts run, every link on the way); files, trees,
 * links, folders, devices and accounts are placed as asked; ownership and modes follow the profile's
 * policy. What a request needs that the root lacks is a problem naming the profile line; all of them
 * are reported at once (JailError.problems). Nothing is run and nothing is written.
 */
export function buildPlan(profile: Profile, options: PlanOptions = {}): Plan {
  const ctx = new PlanContext(profile, options);
  grantSecrets(ctx);
  checkDestinations(ctx);
  let reference = placePrograms(ctx, options.onProgress);
  reference = placeLibraries(ctx, reference);
  placeFilesAndTrees(ctx);
  placePackages(ctx);
  placeRuntimes(ctx);
  placeLiterals(ctx);
  if (ctx.problems.length > 0) {
    throw new JailError('INPUT', ctx.problems.map((p) => p.message).join('\n'), { file: profile.file, problems: ctx.problems });
  }
  planJailLdCache(ctx, reference);
  const placements = ctx.builder.finish((dir) => {
    const st = ctx.statsOf(dir);
    return st?.isDirectory() ? st.mode & 0o7777 : 0o755;
  });
  const entries = finishEntries(profile, placements, ctx.diagnostics);
  for (const d of danglingLinks(entries, profile)) ctx.diagnostics.push(d);
  const plan: Plan = { profile, entries, diagnostics: ctx.diagnostics, mtime: options.mtime ?? sourceDateEpoch() ?? profile.mtime ?? 0, reads: planReads(profile, ctx.fs), access: jailAccess(entries, profile) };
  const programs = reference ?? referenceProgram(ctx.resolver);
  if (programs) plan.architecture = archOf(programs.elf).id;
  return plan;
}
