import type { FileStat } from '../rootfs/file-stat.js';
import type { Code } from '../codes.js';
import type { Diagnostic } from '../errors.js';
import { PHRASES, type Reason } from '../model/reason.js';
import { describeOrigin, toId } from '../profile/load-profile.js';
import type { EntryOverrides, Origin, Profile } from '../profile/profile-types.js';
import type { Need } from '../resolve/need-set.js';
import { ProgramResolver } from '../resolve/program-resolver.js';
import { identityOf, RootFs } from '../rootfs/rootfs.js';
import type { PlanOptions } from './plan-types.js';
import { type Placement, PlanBuilder } from './plan-builder.js';
import { keptFromOthers, SecretGate } from './secret-gate.js';

/**
 * Everything the steps of a plan share: the source root, the resolver, the entries placed so far, the
 * secret gate, and the problems found (collected, so that one run reports them all).
 */
export class PlanContext {
  readonly profile: Profile;
  readonly fs: RootFs;
  readonly resolver: ProgramResolver;
  readonly builder = new PlanBuilder();
  /** Self-contained runtimes the programs run from (a JDK's folder), with the profile line that brought the first. */
  readonly runtimeHomes = new Map<string, { origin: Origin; program: string }>();
  readonly gate: SecretGate;
  /** Warnings that do not stop the plan. */
  readonly diagnostics: Diagnostic[] = [];
  /** Problems that stop it, one per profile line at fault. */
  readonly problems: Diagnostic[] = [];

  constructor(profile: Profile, options: PlanOptions) {
    this.profile = profile;
    this.fs = new RootFs(profile.root);
    this.resolver = new ProgramResolver(this.fs, {
      ...(profile.path !== undefined ? { path: profile.path } : {}),
      ...(options.cache ? { cache: options.cache } : {}),
      ...(options.ldSoConfWithoutCache ? { ldSoConfWithoutCache: true } : {}),
    });
    this.gate = new SecretGate(this.fs);
  }

  /** Records a problem of a profile line: the plan fails at the end, naming every one. */
  fail(origin: Origin, message: string, code: Code = 'PROFILE'): void {
    this.problems.push({ code, severity: 'error', path: origin.file, message: `${describeOrigin(origin)}: ${message}` });
  }

  /** The reason a profile line gives for what it asks for directly (with the `because` a tool wrote there). */
  asked(origin: Origin, source?: string, because?: string): Reason {
    return { kind: 'profile', origin, ...(source !== undefined ? { source } : {}), ...(because !== undefined ? { detail: because } : {}) };
  }

  /** The per-entry mode, owner, group and setuid allowance a profile entry sets. */
  overrides(o: EntryOverrides, origin: Origin): Partial<Placement> {
    const out: Partial<Placement> = {};
    if (o.mode !== undefined) Object.assign(out, { mode: parseInt(o.mode, 8), exactMode: true });
    const uid = toId(o.owner, origin, 'owner');
    const gid = toId(o.group, origin, 'group');
    if (uid !== undefined) out.uid = uid;
    if (gid !== undefined) out.gid = gid;
    if (o.allowSetuid) out.allowSetuid = true;
    return out;
  }

  statsOf(path: string): FileStat | null {
    return this.fs.lstat(path);
  }

  /**
   * Places a file of the source root at `at` (its own path unless installed elsewhere) with what the
   * plan saw of it, unless the host keeps it from others: then `refuse` gets why (a failure or a note).
   */
  placeSource(source: string, at: string, reason: Reason, extra: Partial<Placement>, refuse: (privacy: string) => void): boolean {
    const refusal = this.gate.refusal(source);
    if (refusal !== null) {
      refuse(refusal);
      return false;
    }
    const st = this.statsOf(source);
    this.builder.add({
      path: at,
      kind: 'file',
      mode: (st?.mode ?? 0o644) & 0o7777,
      source,
      size: st?.size ?? 0,
      ...(st ? { sourceIdentity: identityOf(st) } : {}),
      ...(this.gate.isAllowed(source) ? { secret: true } : {}),
      reason,
      ...extra,
    });
    return true;
  }

  /** Places one need of a closure (a file or a link) for the profile line `origin`. */
  placeNeed(need: Need, origin: Origin, extra: Partial<Placement> = {}): void {
    if (need.kind === 'symlink') {
      this.builder.add({ path: need.path, kind: 'symlink', mode: 0o777, target: need.target, reason: need.reason });
      return;
    }
    this.placeSource(need.path, need.path, need.reason, extra, (privacy) => this.fail(origin, `${need.path} (${PHRASES[need.reason.kind](need.reason)}): not copied: ${keptFromOthers(privacy)}`));
  }
}
