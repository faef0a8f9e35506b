import { type Command, Option } from 'commander';
import { type Finding, reaches, type Severity } from '../audit/finding.js';
import type { AuditResult } from '../audit/run-audit.js';
import { JailError } from '../errors.js';
import { type Output, printJson } from './output.js';
import { parseSet } from './set-option.js';

export interface AuditCommandOptions {
  json?: boolean;
  failOn?: Severity;
  manifest?: string;
  why?: string;
  profile?: string;
  set?: Record<string, string>;
  sbom?: string;
  root?: string;
}

/** `jailbuild audit TARGET`: prints the findings; returns 0, or 1 when a finding reaches --fail-on. */
export async function runAudit(target: string, opts: AuditCommandOptions, out: Output): Promise<number> {
  if (opts.set && opts.profile === undefined) throw new JailError('USAGE', '--set gives variables to a profile: use it with --profile');
  // Loaded when the command runs, as main.ts loads every command: the resolver and the profile
  // code stay out of other commands' start-up.
  const [{ auditJail }, { loadProfileWithSettings }] = await Promise.all([import('../audit/run-audit.js'), import('../config/profile-settings.js')]);
  const profile = opts.profile !== undefined ? loadProfileWithSettings(opts.profile, { ...(opts.set ? { set: opts.set } : {}), ...(opts.root !== undefined ? { root: opts.root } : {}) }) : undefined;
  const result = await auditJail(target, {
    ...(opts.manifest !== undefined ? { manifest: opts.manifest } : {}),
    ...(opts.why !== undefined ? { why: opts.why } : {}),
    ...(profile ? { profile } : {}),
    ...(opts.sbom !== undefined ? { sbom: opts.sbom } : {}),
    ...(opts.root !== undefined ? { root: opts.root } : {}),
  });
  const failOn = opts.failOn ?? 'high';
  if (opts.json) printJson(out, toJson(result));
  else out.stdout(formatHuman(result, failOn));
  return result.findings.some((f) => reaches(f.severity, failOn)) ? 1 : 0;
}

function toJson(r: AuditResult): object {
  const findings = r.findings.map((f: Finding) => ({ rule: f.rule, severity: f.severity, path: f.path, message: f.message }));
  return { entries: r.entries, findings, target: r.target, format: r.format, counts: r.counts, ...(r.why ? { why: r.why } : {}), ...(r.sbom ? { sbom: r.sbom } : {}) };
}

/** Findings printed per rule in the human summary. */
const PER_RULE = 10;

function formatHuman(r: AuditResult, failOn: Severity): string {
  const lines = [`jailbuild audit: ${r.target} (${r.format === 'tree' ? 'folder' : 'tarball'}): ${r.entries} entries; ${r.counts.high} high, ${r.counts.medium} medium, ${r.counts.low} low`];
  const width = Math.max(0, ...r.findings.map((f) => f.rule.length));
  // A jail with hundreds of dangling font links should not bury the rest: a few per rule, then a count.
  const shown = new Map<string, number>();
  for (const f of r.findings) {
    const n = (shown.get(f.rule) ?? 0) + 1;
    shown.set(f.rule, n);
    if (n <= PER_RULE) lines.push(`  ${f.severity.padEnd(6)} ${f.rule.padEnd(width)}  ${f.message}`);
  }
  for (const [rule, n] of shown) if (n > PER_RULE) lines.push(`  ...    ${rule.padEnd(width)}  and ${n - PER_RULE} more (--json lists every finding)`);
  if (r.why) {
    lines.push(`why ${r.why.path}:`);
    for (const step of r.why.chain) lines.push(`  ${step}`);
    if (r.why.packages) lines.push(`  package: ${r.why.packages.join(', ')} (in the source root's dpkg database)`);
  }
  if (r.sbom) lines.push(`sbom: wrote ${r.sbom.file}: ${r.sbom.files} files, ${r.sbom.packages} Debian packages, ${r.sbom.unowned} files from no package`);
  const failing = r.findings.filter((f) => reaches(f.severity, failOn)).length;
  lines.push(failing > 0 ? `jailbuild audit: ${failing} finding(s) at or above ${failOn}` : `jailbuild audit: nothing at or above ${failOn}`);
  return lines.join('\n') + '\n';
}

/** Adds `jailbuild audit` to the program; its code is loaded only when it runs. */
export function registerAudit(program: Command, out: Output, setCode: (n: number) => void): void {
  program
    .command('audit')
    .description('Audit a jail (a folder or a tarball): what it holds and why, what will fail to load in it, what is risky, how it drifted from its profile; optionally a CycloneDX SBOM.')
    .argument('<TARGET>', 'a jail folder, a tarball (.tar, .tar.gz, .tgz), or - for a tarball on standard input')
    .option('--json', 'print one JSON object: {"entries": N, "findings": [{"rule", "severity", "path", "message"}], ...}')
    .addOption(new Option('--fail-on <SEVERITY>', 'exit 1 when a finding is at least this severe').choices(['high', 'medium', 'low']).default('high'))
    .option('--manifest <FILE>', "the jail's manifest (JSON): reasons, declared owners, expected contents")
    .option('--why <PATH>', 'print the chain of reasons that brought PATH in (needs --manifest or --profile)')
    .option('--profile <PROFILE>', 'the profile the jail was built from: report drift between what it would build now and the jail')
    .addOption(new Option('--set <NAME=VALUE>', 'set a profile variable (repeatable)').argParser((v: string, prev: Record<string, string> | undefined) => parseSet(v, prev)))
    .option('--sbom <FILE>', "write a CycloneDX 1.5 JSON SBOM mapping the jail's files to the Debian packages that own them")
    .option('--root <DIR>', "the source root: the profile's files and the dpkg database for the SBOM (default: the profile's root, else /)")
    .addHelpText(
      'after',
      `
Exit status: 0 when no finding reaches --fail-on (default high), 1 when one does, 2 when the target
cannot be read (or on a usage error).

Examples:
  jailbuild audit /srv/php-fpm/chroot/wiki
  jailbuild audit jail.tar.gz --json --fail-on medium
  jailbuild audit /srv/jail --profile tex --why /usr/lib/x86_64-linux-gnu/libkpathsea.so.6
  ssh web1 tar -C /srv/jail -czf - . | jailbuild audit - --sbom jail.cdx.json`,
    )
    .action(async (target: string, o: Record<string, unknown>) => {
      const opts: AuditCommandOptions = { json: Boolean(o.json), failOn: o.failOn as Severity };
      for (const k of ['manifest', 'why', 'profile', 'sbom', 'root'] as const) if (typeof o[k] === 'string') opts[k] = o[k];
      if (o.set) opts.set = o.set as Record<string, string>;
      setCode(await runAudit(target, opts, out));
    });
}
