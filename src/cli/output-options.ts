import { mkdtempSync } from 'node:fs';
import { basename, dirname, join, resolve as resolveHostPath } from 'node:path';
import { sourcesRead } from '../emit/output-mark.js';
import { removeTreeSafely } from '../emit/safe-remove.js';
import { writeManifest } from '../emit/write-manifest.js';
import { ociPlatformOf, writeOciLayout } from '../emit/write-oci.js';
import { gzipByName, writeTarball } from '../emit/write-tarball.js';
import { JailError } from '../errors.js';
import type { Plan } from '../plan/build-plan.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import type { Output } from './output.js';

/** `--tar FILE|-`, `--oci DIR`, `--manifest FILE|-` of `jailbuild profile`. */
export interface OutputTargets {
  tar?: string;
  oci?: string;
  manifest?: string;
  /** Print nothing but errors. */
  quiet?: boolean;
  /** Replace an --oci folder jailbuild's mark does not vouch for. */
  force?: boolean;
}

export function wantsOutputs(t: OutputTargets): boolean {
  return t.tar !== undefined || t.oci !== undefined || t.manifest !== undefined;
}

/**
 * Writes the tarball, OCI layout and manifest asked for, from one plan. The OCI layer is the same
 * deterministic .tar.gz as --tar writes (reused when --tar names a .tar.gz file, else made beside the
 * layout and removed). What was written is reported one line each — on standard error when standard
 * output carries the tar or the manifest. Resolves to the exit code (0); failures throw a JailError.
 */
export async function emitOutputs(plan: Plan, fs: SourceRoot, targets: OutputTargets, out: Output): Promise<number> {
  if (targets.tar === '-' && targets.manifest === '-') throw new JailError('USAGE', '--tar - and --manifest -: only one of them can go to standard output', { field: '--manifest' });
  if (targets.oci === '-') throw new JailError('USAGE', '--oci -: an OCI layout is a folder, not a stream', { field: '--oci' });
  const toStdout = targets.tar === '-' || targets.manifest === '-';
  const say = (line: string): void => {
    if (!targets.quiet) (toStdout ? out.stderr : out.stdout)(`jailbuild: ${line}\n`);
  };

  // No output may replace, or sit inside, anything the build reads (--force or not).
  const reads = [...sourcesRead(plan.entries, fs), ...plan.reads];
  const secrets = plan.entries.some((e) => e.secret);
  if (secrets && (targets.tar !== undefined || targets.oci !== undefined)) {
    (toStdout ? out.stderr : out.stdout)(`jailbuild: warning: the jail holds files the host keeps from others ("secret": true): the tarball and OCI layout are written readable by their owner only\n`);
  }
  let layer: string | undefined;
  if (targets.tar !== undefined) {
    const gzip = gzipByName(targets.tar);
    const r = await writeTarball(plan.entries, fs, targets.tar, { mtime: plan.mtime, gzip, reads: plan.reads });
    if (gzip && r.dest !== '-') layer = r.dest;
    say(`wrote ${r.dest === '-' ? 'the tarball to standard output' : r.dest}: ${r.entries} entries, ${r.hardLinks} hard links, ${r.outputBytes} bytes, sha256 ${r.outputSha256}`);
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
      const r = await writeOciLayout(dir, layer, { mtime: plan.mtime, profileName: plan.profile.name, ...ociPlatformOf(plan.architecture), force: targets.force === true, reads, ownerOnly: secrets });
      say(`wrote the OCI layout ${r.dir} (${r.refName}): manifest ${r.manifestDigest}, layer ${r.layerDigest}`);
    } finally {
      if (scratch !== undefined) removeTreeSafely(scratch);
    }
  }

  if (targets.manifest !== undefined) {
    const m = await writeManifest(targets.manifest, plan.entries, fs, plan.reads);
    if (targets.manifest !== '-') say(`wrote the manifest ${resolveHostPath(targets.manifest)}: ${m.length} entries`);
  }
  return 0;
}
