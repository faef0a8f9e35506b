import { mkdtempSync } from 'node:fs';
import { basename, dirname, join, resolve as resolveHostPath } from 'node:path';
import { JailError } from '../errors.js';
import type { Plan } from '../plan/plan-types.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import { sourcesRead } from './output-mark.js';
import { removeTreeSafely } from './safe-remove.js';
import { type ManifestEntry, writeManifest } from './write-manifest.js';
import { type OciResult, ociPlatformOf, writeOciLayout } from './write-oci.js';
import { gzipByName, type TarballResult, writeTarball } from './write-tarball.js';

/** The archives a build may write besides (or instead of) a tree: `-` is standard output for the tar or the manifest. */
export interface OutputTargets {
  tar?: string;
  oci?: string;
  manifest?: string;
  /** Replace an OCI folder jailbuild's mark does not vouch for. */
  force?: boolean;
}

/** What writeOutputs wrote, as it writes it. */
export type OutputReport = { kind: 'tarball'; result: TarballResult } | { kind: 'oci'; result: OciResult } | { kind: 'manifest'; file: string; entries: ManifestEntry[] } | { kind: 'owner-only' };

export function wantsOutputs(t: OutputTargets): boolean {
  return t.tar !== undefined || t.oci !== undefined || t.manifest !== undefined;
}

/**
 * Writes the tarball, OCI layout and manifest asked for, from one plan. The OCI layer is the same
 * deterministic .tar.gz as `tar` writes (reused when `tar` names a .tar.gz file, else made beside the
 * layout and removed). No output may replace, or lie inside, anything the build reads. A jail holding
 * a "secret": true file gets archives readable by their owner only (reported first).
 */
export async function writeOutputs(plan: Plan, fs: SourceRoot, targets: OutputTargets, report: (r: OutputReport) => void = () => undefined): Promise<void> {
  if (targets.tar === '-' && targets.manifest === '-') throw new JailError('USAGE', '--tar - and --manifest -: only one of them can go to standard output', { field: '--manifest' });
  if (targets.oci === '-') throw new JailError('USAGE', '--oci -: an OCI layout is a folder, not a stream', { field: '--oci' });
  const reads = [...sourcesRead(plan.entries, fs), ...plan.reads];
  const secrets = plan.entries.some((e) => e.secret);
  if (secrets && (targets.tar !== undefined || targets.oci !== undefined)) report({ kind: 'owner-only' });

  let layer: string | undefined;
  if (targets.tar !== undefined) {
    const gzip = gzipByName(targets.tar);
    const result = await writeTarball(plan.entries, fs, targets.tar, { mtime: plan.mtime, gzip, reads: plan.reads });
    if (gzip && result.dest !== '-') layer = result.dest;
    report({ kind: 'tarball', result });
  }

  if (targets.oci !== undefined) {
    const dir = resolveHostPath(targets.oci);
    let scratch: string | undefined;
    try {
      if (layer === undefined) {
        // Beside the layout, not in /tmp: the layer is as big as the jail and is copied (or reflinked) next.
        scratch = mkdtempSync(join(dirname(dir), `.${basename(dir)}.jailbuild-layer-`));
        layer = join(scratch, 'layer.tar.gz');
        await writeTarball(plan.entries, fs, layer, { mtime: plan.mtime, gzip: true });
      }
      const result = await writeOciLayout(dir, layer, { mtime: plan.mtime, profileName: plan.profile.name, ...ociPlatformOf(plan.architecture), force: targets.force === true, reads, ownerOnly: secrets });
      report({ kind: 'oci', result });
    } finally {
      if (scratch !== undefined) removeTreeSafely(scratch);
    }
  }

  if (targets.manifest !== undefined) {
    const entries = await writeManifest(targets.manifest, plan.entries, fs, plan.reads);
    report({ kind: 'manifest', file: targets.manifest === '-' ? '-' : resolveHostPath(targets.manifest), entries });
  }
}
