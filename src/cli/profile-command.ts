import { resolve as resolveHostPath } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { loadProfileWithSettings, outputFolder } from '../config/profile-settings.js';
import { writeTree } from '../emit/write-tree.js';
import { AnalysisCache } from '../cache/analysis-cache.js';
import { buildPlan, type Plan } from '../plan/build-plan.js';
import { RootFs } from '../rootfs/rootfs.js';
import { emitOutputs, wantsOutputs } from './output-options.js';
import { describeProcesses } from '../mounts/processes-inside.js';
import { describeAccess } from '../plan/jail-access.js';
import { Progress } from './progress.js';
import { formatDiagnostic } from './resolve-command.js';
import type { Output } from './output.js';
import { letYoungGenerationGrowWhenDue } from '../io/young-generation.js';

export interface ProfileCommandOptions {
  out?: string;
  /** false: do not read or write the analysis cache. */
  cache?: boolean;
  jobs?: number;
  link?: boolean;
  /** Replace an output folder jailbuild's mark does not vouch for. */
  force?: boolean;
  tar?: string;
  oci?: string;
  manifest?: string;
  set?: Record<string, string>;
  root?: string;
  json?: boolean;
  quiet?: boolean;
  mtime?: number;
  /** In a root without ld.so.cache, also search the folders ld.so.conf names. */
  ldSoConfWithoutCache?: boolean;
}

export function summarize(plan: Plan): Record<string, number> {
  const count = (k: string): number => plan.entries.filter((e) => e.kind === k).length;
  return { entries: plan.entries.length, files: count('file'), symlinks: count('symlink'), directories: count('directory'), devices: count('char') + count('block') };
}

/** `jailbuild profile PROFILE --out DIR`: builds the jail tree (and tarball, OCI layout, manifest); returns the exit code. */
export async function runProfile(nameOrPath: string, opts: ProfileCommandOptions, out: Output): Promise<number> {
  const config = loadConfig();
  const profile = loadProfileWithSettings(nameOrPath, opts, config);
  const cache = opts.cache === false ? undefined : AnalysisCache.open(config.cacheDir, resolveHostPath(profile.root));
  const progress = new Progress(Boolean(process.stderr.isTTY) && !opts.quiet && !opts.json, (t) => out.stderr(t));
  const plan = buildPlan(profile, {
    ...(opts.mtime !== undefined ? { mtime: opts.mtime } : {}),
    ...(cache ? { cache } : {}),
    ...(opts.ldSoConfWithoutCache ? { ldSoConfWithoutCache: true } : {}),
    onProgress: (what, done, total) => {
      // Planning never waits for I/O, so the young generation's timer cannot fire: look here.
      letYoungGenerationGrowWhenDue();
      progress.update(what, done, total);
    },
  });
  progress.done();
  cache?.save();
  const dest = outputFolder(profile, opts.out);
  const fs = new RootFs(profile.root);
  const targets = {
    ...(opts.tar !== undefined ? { tar: opts.tar } : {}),
    ...(opts.oci !== undefined ? { oci: opts.oci } : {}),
    ...(opts.manifest !== undefined ? { manifest: opts.manifest } : {}),
    quiet: Boolean(opts.quiet || opts.json),
    force: Boolean(opts.force),
  };
  // Only archives asked for (no --out): no tree is written.
  if (wantsOutputs(targets) && opts.out === undefined) {
    for (const d of plan.diagnostics) out.stderr(formatDiagnostic(d));
    return emitOutputs(plan, fs, targets, out);
  }
  const totalBytes = plan.entries.reduce((sum, e) => sum + (e.kind === 'file' ? (e.size ?? 0) : 0), 0);
  const jobs = opts.jobs ?? config.jobs;
  const result = await writeTree(plan.entries, fs, dest, {
    mtime: plan.mtime,
    ...(jobs !== undefined ? { jobs } : {}),
    link: Boolean(opts.link),
    force: Boolean(opts.force),
    reads: plan.reads,
    onEntry: (done, total, bytes) => progress.update('writing entries', done, total, bytes, totalBytes),
  });
  progress.done();
  const counts = summarize(plan);
  for (const note of result.leftovers) if (note.startsWith('could not')) out.stderr(`jailbuild: warning: a leftover of an interrupted build: ${note}\n`);
  if (result.previousLeft) {
    out.stderr(`jailbuild: warning: the previous jail could not be removed entirely (${result.previousLeft.reason}); it is left at ${result.previousLeft.path} and the next build removes it\n`);
  }
  const stale = result.processesInPrevious;
  if (stale.length > 0) {
    out.stderr(
      `jailbuild: warning: ${stale.length} process(es) still run inside the previous jail, now removed: ${describeProcesses(stale)}; they keep running on its removed files until restarted (for a PHP-FPM pool: systemctl restart php8.2-fpm)\n`,
    );
  }
  if (opts.json) {
    out.stdout(
      JSON.stringify(
        {
          profile: profile.file,
          out: result.out,
          replaced: result.replaced,
          bytes: result.bytes,
          ...counts,
          diagnostics: plan.diagnostics,
          access: plan.access,
          processesInPrevious: result.processesInPrevious,
          ...(result.previousLeft ? { previousLeft: result.previousLeft } : {}),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    for (const d of plan.diagnostics) out.stderr(formatDiagnostic(d));
    if (!opts.quiet) {
      out.stdout(
        `jailbuild: ${result.replaced ? 'rebuilt' : 'built'} ${result.out} from ${profile.file}: ${counts.files} files, ${counts.symlinks} links, ${counts.directories} folders, ${counts.devices} devices (${result.bytes} bytes)\n`,
      );
      out.stdout(`jailbuild: ${describeAccess(plan.access)}\n`);
      const expects = [...(profile.mounts.length > 0 ? [`${profile.mounts.length} bind mount(s)`] : []), ...(profile.proc ? ['a /proc'] : [])].join(' and ');
      if (expects !== '') out.stdout(`jailbuild: this jail expects ${expects}: jailbuild mount ${profileArg(nameOrPath, opts)}--out ${result.out}\n`);
    }
  }
  if (wantsOutputs(targets)) return emitOutputs(plan, fs, targets, out);
  return 0;
}

function profileArg(nameOrPath: string, opts: ProfileCommandOptions): string {
  const sets = Object.entries(opts.set ?? {})
    .map(([k, v]) => `--set ${k}=${v} `)
    .join('');
  return `${nameOrPath} ${sets}`;
}

export { parseSet } from './set-option.js';
