import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { JailError } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import type { Reason } from '../model/reason.js';
import { buildPlan, type Plan } from '../plan/build-plan.js';
import { toId } from '../profile/load-profile.js';
import type { Profile } from '../profile/profile-types.js';
import { DEFAULT_PATH } from '../resolve/program-resolver.js';
import { ownBytes } from '../emit/generate-files.js';
import { hashDescriptor } from '../rootfs/hash-file.js';
import { RootFs } from '../rootfs/rootfs.js';
import { checkAccounts } from './checks/accounts.js';
import type { Check, CheckContext } from './checks/context.js';
import { checkDevices } from './checks/devices.js';
import { checkDrift, type Expected } from './checks/drift.js';
import { checkLoadability } from './checks/loadability.js';
import { checkOwnership } from './checks/ownership.js';
import { checkPermissions } from './checks/permissions.js';
import { checkSecrets } from './checks/secrets.js';
import { checkSymlinks } from './checks/symlinks.js';
import { checkTools } from './checks/tools.js';
import { dedupeFindings, type Finding, type Severity, sortFindings } from './finding.js';
import { indexByPath, type Inventory } from './inventory.js';
import { readManifest } from './read-manifest.js';
import { readTarInventory } from './read-tar-inventory.js';
import { readTreeInventory } from './read-tree-inventory.js';
import { buildSbom, sbomFiles, type SbomSummary, writeSbom } from './sbom.js';
import { type WhyAnswer, whyChain } from './why.js';
import { dpkgOwners, readDpkgStatus } from '../packages/dpkg-database.js';
import { basenameInside, dirnameInside, joinInside } from '../rootfs/inside-path.js';

export interface AuditOptions {
  /** A manifest of the jail (src/emit/write-manifest.ts): reasons, declared owners, expected contents. */
  manifest?: string;
  /** Explain why this path is in the jail (needs a manifest or a profile). */
  why?: string;
  /** The profile the jail was built from (loaded, variables set): drift, reasons, declared owners. */
  profile?: Profile;
  /** Source root for the SBOM's dpkg database (default: the profile's root, else /). */
  root?: string;
  /** Where to write a CycloneDX 1.5 SBOM. */
  sbom?: string;
  /** The stream read for the target `-` (default: standard input). */
  stdin?: Readable;
  /** Bytes of tarball contents kept in memory for the checks; past it they go to a scratch file. */
  contentBudget?: number;
  /** Bytes of tarball contents the scratch file may hold; past it they are not kept (tar-content-limit). */
  scratchLimit?: number;
  /** The most bytes hashed from one file of a jail folder (for drift and the SBOM); larger ones are reported as not hashed. */
  hashLimit?: number;
}

export interface AuditResult {
  target: string;
  format: 'tree' | 'tar';
  entries: number;
  findings: Finding[];
  counts: Record<Severity, number>;
  why?: WhyAnswer;
  sbom?: SbomSummary;
  /** The inventory, with the manifest's (or plan's) reasons filled in. */
  inventory: JailEntry[];
}

/** Checks that need nothing but the jail (and what was declared). */
const CHECKS: Check[] = [checkLoadability, checkSymlinks, checkPermissions, checkDevices, checkOwnership, checkSecrets, checkAccounts, checkTools];

/** A folder is a tree; anything else (a file, `-`) is read as a tarball. Unreadable: INPUT error. */
export async function readInventory(target: string, options: Pick<AuditOptions, 'stdin' | 'contentBudget' | 'scratchLimit' | 'hashLimit'> = {}): Promise<Inventory> {
  const budget = {
    ...(options.contentBudget !== undefined ? { contentBudget: options.contentBudget } : {}),
    ...(options.scratchLimit !== undefined ? { scratchLimit: options.scratchLimit } : {}),
  };
  if (target === '-') return readTarInventory(options.stdin ?? process.stdin, '-', budget);
  let isDir: boolean;
  try {
    isDir = statSync(target).isDirectory();
  } catch (err) {
    throw new JailError('INPUT', `${target}: cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: target, cause: err });
  }
  return isDir ? readTreeInventory(target, options.hashLimit !== undefined ? { hashLimit: options.hashLimit } : {}) : readTarInventory(target, target, budget);
}

/** What the profile would build now, as expectations: contents hashed from the source root when sizes agree. */
function expectationsOf(plan: Plan): Expected[] {
  const source = new RootFs(plan.profile.root);
  return plan.entries.map((e) => {
    const x: Expected = { path: e.path, kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid };
    for (const k of ['size', 'target', 'major', 'minor'] as const) if (e[k] !== undefined) Object.assign(x, { [k]: e[k] });
    if (e.kind === 'file') x.sha256 = () => sha256OfPlanned(e, source);
    return x;
  });
}

/** sha256 of what the plan would write for a file (its contents, what is generated, or its source), or undefined when it cannot be read. */
function sha256OfPlanned(e: JailEntry, source: RootFs): string | undefined {
  try {
    const own = ownBytes(e, source);
    if (own) return createHash('sha256').update(own).digest('hex');
    if (e.source === undefined) return undefined;
    const file = source.openPlanned(e.source, { ...(e.sourceIdentity ? { identity: e.sourceIdentity } : {}) });
    try {
      return hashDescriptor(file.fd, e.source).sha256;
    } finally {
      file.close();
    }
  } catch {
    return undefined;
  } finally {
    source.releaseHandles();
  }
}

function declaredUidsOf(profile: Profile | undefined): Set<number> {
  const out = new Set<number>();
  if (!profile) return out;
  for (const u of profile.users) out.add(toId(u.uid, u.origin, 'uid') as number);
  const owner = toId(profile.permissions.owner, profile.file, 'permissions/owner');
  if (owner !== undefined) out.add(owner);
  return out;
}

/**
 * Audits a jail (a folder, a tarball, or `-`): what it holds, what will fail to load in it, what is
 * risky; with a manifest or profile, why each entry is there and how the jail drifted from it; with
 * `sbom`, the Debian packages its files come from.
 */
export async function auditJail(target: string, options: AuditOptions = {}): Promise<AuditResult> {
  if (options.why !== undefined && options.manifest === undefined && !options.profile) {
    throw new JailError('USAGE', '--why needs --manifest or --profile: the reasons come from them');
  }
  // A bad manifest fails before standard input is consumed.
  const manifest = options.manifest !== undefined ? readManifest(options.manifest) : undefined;
  const inv = await readInventory(target, options);
  try {
    return audit(target, inv, manifest, options);
  } finally {
    inv.close();
  }
}

/** The packages that own a path of the source root (through its folders' links); empty without a dpkg database. */
function packageOwnersOf(source: RootFs, path: string): string[] {
  let real = path;
  try {
    const dir = source.lookup(dirnameInside(path));
    if (dir.kind === 'directory') real = joinInside(dir.path, basenameInside(path));
  } catch (err) {
    if (!(err instanceof JailError)) throw err;
  }
  const owners = dpkgOwners(source, new Set([real]), readDpkgStatus(source)).get(real) ?? [];
  return owners.map((p) => p.name);
}

/** The checks, drift, --why and the SBOM over one inventory. */
function audit(target: string, inv: Inventory, manifest: ReturnType<typeof readManifest> | undefined, options: AuditOptions): AuditResult {
  const byPath = indexByPath(inv.entries);
  const findings: Finding[] = [...inv.findings];
  const profile = options.profile;
  let plan: Plan | undefined;
  if (profile) {
    try {
      plan = buildPlan(profile);
    } catch (err) {
      if (!(err instanceof JailError)) throw err;
      findings.push({ rule: 'drift-unbuildable', severity: 'medium', path: '/', message: `${profile.file}: cannot be built from ${profile.root} now, so drift is unknown: ${err.message}` });
    }
  }
  const declared: Array<Pick<JailEntry, 'path' | 'uid' | 'reasons'> & { source?: string; secret?: boolean }> = [...(manifest ?? []), ...(plan?.entries ?? [])];
  const declaredSecrets = new Set(declared.filter((d) => d.secret).map((d) => d.path));
  const declaredOwner = new Map<string, number[]>();
  const reasons = new Map<string, Reason[]>();
  const sources = new Map<string, string>();
  for (const d of declared) {
    declaredOwner.set(d.path, [...(declaredOwner.get(d.path) ?? []), d.uid]);
    // The manifest (how the jail was built) comes first and wins over the plan (how it would be now).
    if (!reasons.has(d.path) && d.reasons.length > 0) reasons.set(d.path, d.reasons);
    if (!sources.has(d.path) && d.source !== undefined) sources.set(d.path, d.source);
  }
  for (const e of inv.entries) e.reasons = reasons.get(e.path) ?? e.reasons;

  const ctx: CheckContext = { inv, byPath, path: profile?.path ?? DEFAULT_PATH, declaredOwner, declaredUids: declaredUidsOf(profile), declaredSecrets };
  for (const check of CHECKS) findings.push(...check(ctx));
  if (plan) findings.push(...checkDrift(expectationsOf(plan), inv, `profile ${profile?.name}`));
  if (manifest) findings.push(...checkDrift(manifest, inv, 'the manifest'));

  const result: AuditResult = { target, format: inv.format, entries: inv.entries.length, findings: [], counts: { high: 0, medium: 0, low: 0 }, inventory: inv.entries };
  if (options.why !== undefined) {
    result.why = whyChain(options.why, reasons, inv.fs);
    // The package that owns it in the source root: where the file comes from, in Debian's words.
    const source = new RootFs(options.root ?? profile?.root ?? '/');
    const file = result.why.steps.find((step) => 'reasons' in step)?.path ?? result.why.path;
    const real = sources.get(file) ?? file;
    const owners = packageOwnersOf(source, real);
    if (owners.length > 0) result.why.packages = owners;
  }
  if (options.sbom !== undefined) {
    const source = new RootFs(options.root ?? profile?.root ?? '/');
    const files = sbomFiles(
      inv.entries,
      (p) => sources.get(p),
      (p) => {
        const sha256 = inv.sha256(p);
        return sha256 !== undefined ? { sha256 } : { notHashed: inv.notHashed.get(p) ?? 'not readable' };
      },
    );
    const name = profile?.name ?? target.replace(/\/+$/, '').split('/').pop() ?? 'jail';
    const built = buildSbom(name, files, source);
    const file = writeSbom(options.sbom, built.doc);
    result.sbom = { file, packages: built.packages, files: files.length, unowned: built.unowned };
  }
  for (const [path, why] of inv.notHashed) {
    findings.push({ rule: 'not-hashed', severity: 'low', path, message: `${path}: not hashed: ${why}; its contents are unverified (no drift comparison, no hash in the SBOM)` });
  }
  result.findings = sortFindings(dedupeFindings(findings));
  for (const f of result.findings) result.counts[f.severity]++;
  return result;
}
