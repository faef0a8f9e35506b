import { type OutputReport, type OutputTargets, wantsOutputs, writeOutputs } from '../emit/write-outputs.js';
import type { Plan } from '../plan/plan-types.js';
import type { SourceRoot } from '../rootfs/source-root.js';
import type { Output } from './output.js';

export { wantsOutputs };

/** The CLI's `--tar`, `--oci`, `--manifest`, and whether to print what was written. */
export interface CliOutputTargets extends OutputTargets {
  /** Print nothing but errors. */
  quiet?: boolean;
}

/** What was written, one line each: on standard error when standard output carries the tar or the manifest. */
function describe(r: OutputReport): string | undefined {
  switch (r.kind) {
    case 'owner-only':
      return 'warning: the jail holds files the host keeps from others ("secret": true): the tarball and OCI layout are written readable by their owner only';
    case 'tarball':
      return `wrote ${r.result.dest === '-' ? 'the tarball to standard output' : r.result.dest}: ${r.result.entries} entries, ${r.result.hardLinks} hard links, ${r.result.outputBytes} bytes, sha256 ${r.result.outputSha256}`;
    case 'oci':
      return `wrote the OCI layout ${r.result.dir} (${r.result.refName}): manifest ${r.result.manifestDigest}, layer ${r.result.layerDigest}`;
    case 'manifest':
      return r.file === '-' ? undefined : `wrote the manifest ${r.file}: ${r.entries.length} entries`;
  }
}

/** `jailbuild profile ... --tar/--oci/--manifest`: writes them (see writeOutputs) and says what was written; resolves to the exit code. */
export async function emitOutputs(plan: Plan, fs: SourceRoot, targets: CliOutputTargets, out: Output): Promise<number> {
  const toStdout = targets.tar === '-' || targets.manifest === '-';
  await writeOutputs(plan, fs, targets, (r) => {
    const line = describe(r);
    if (line !== undefined && (!targets.quiet || r.kind === 'owner-only')) (toStdout ? out.stderr : out.stdout)(`jailbuild: ${line}\n`);
  });
  return 0;
}
