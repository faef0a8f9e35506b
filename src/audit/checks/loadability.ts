import { JailError } from '../../errors.js';
import { basenameInside, joinInside } from '../../rootfs/inside-path.js';
import type { Lookup } from '../../rootfs/rootfs.js';
import { type MissingItem, ProgramResolver } from '../../resolve/program-resolver.js';
import type { Finding, Severity } from '../finding.js';
import { type CheckContext, isExecutable } from './context.js';

/** Loader warnings that say something about the jail itself. */
const DIAGNOSTICS: Record<string, { rule: string; severity: Severity }> = {
  LDCACHE_MALFORMED: { rule: 'ldcache-malformed', severity: 'medium' },
  LDCACHE_STALE: { rule: 'ldcache-stale', severity: 'low' },
  ORIGIN_NEEDS_PROC: { rule: 'origin-needs-proc', severity: 'low' },
};

/**
 * What will fail to start: every ELF file (program or library) whose interpreter or libraries the
 * jail's own loader would not find, and every executable script whose interpreter, commands or
 * sourced files are not in the jail. The jail is the root; its ld.so.cache is used when it has one,
 * else only the default folders: the loader never reads ld.so.conf (ignoreLdSoConf).
 *
 * A command a script runs is "high" when the script is a program on PATH; a script elsewhere (a
 * helper in a data tree, like TeX's mktex* scripts) may never run, and its missing commands are
 * "medium"; its missing interpreter "low" (Python's cgi.py names /usr/local/bin/python, git's sample
 * hooks are never run as they are). On PATH, a missing interpreter is "high": the program cannot run.
 */
export function checkLoadability(ctx: CheckContext): Finding[] {
  const fs = ctx.inv.fs;
  const resolver = new ProgramResolver(fs, { path: ctx.path, dlopen: 'required', guardPrivate: false });
  const onPath = programsOnPath(ctx);
  // A tarball whose contents did not fit the scratch limit: a library whose bytes were not kept cannot be judged.
  const unknown = new Set([...ctx.inv.unreadable].map((p) => basenameInside(p)));
  const out: Finding[] = [];
  const diagnostics = new Map<string, Finding>();

  for (const e of ctx.inv.entries) {
    if (e.kind !== 'file' || ctx.inv.unreadable.has(e.path)) continue;
    const info = resolver.elf.elfAt(e.path);
    const isElf = !(info instanceof JailError);
    if (!isElf) {
      if (info.code === 'IO_ERROR') continue;
      if (info.code !== 'ELF_NOT_ELF') {
        out.push({ rule: 'elf-malformed', severity: 'medium', path: e.path, message: info.message });
        continue;
      }
      if (!isExecutable(e)) continue;
    }
    const found: Lookup = fs.lookup(e.path, false);
    const closure = resolver.closure(found, { kind: 'input' });
    if (!isElf && closure.kind !== 'script') continue;
    for (const d of closure.diagnostics) {
      const known = DIAGNOSTICS[d.code];
      if (known) diagnostics.set(`${known.rule}\0${d.path}`, { ...known, path: d.path, message: d.message });
    }
    const seen = new Set<string>();
    for (const m of closure.missing) {
      if (seen.has(m.name) || unknown.has(basenameInside(m.name))) continue;
      seen.add(m.name);
      const finding = isElf ? elfFinding(e.path, m) : scriptFinding(e.path, m, onPath.has(e.path), ctx);
      if (finding) out.push(finding);
    }
  }
  return [...out, ...diagnostics.values()];
}

function elfFinding(path: string, m: MissingItem): Finding {
  const by = m.neededBy === path ? '' : ` (needed by ${m.neededBy})`;
  if (m.how === 'PT_INTERP') return { rule: 'elf-interpreter-missing', severity: 'high', path, message: `${path}: its interpreter ${m.name}${by} is not in the jail: it cannot start` };
  if (m.how === 'dlopen') return { rule: 'elf-dlopen-missing', severity: 'medium', path, message: `${path}: ${m.name}${by}, declared in .note.dlopen as required, is not in the jail` };
  return { rule: 'elf-library-missing', severity: 'high', path, message: `${path}: library ${m.name}${by} is not found by the jail's loader: it cannot start` };
}

/** Only what the script itself (or a file it sources) lacks: programs it runs are audited on their own. */
function scriptFinding(path: string, m: MissingItem, onPath: boolean, ctx: CheckContext): Finding | null {
  const runner = ctx.byPath.get(m.neededBy);
  if (m.neededBy !== path && runner && (isExecutable(runner) || ctx.inv.unreadable.has(m.neededBy))) return null;
  const at = m.line ? `${m.neededBy}:${m.line}` : m.neededBy;
  const where = onPath ? '' : ' (the script is not on PATH: it fails only if something runs it)';
  if (m.how === 'PT_INTERP') return { rule: 'script-interpreter-missing', severity: onPath ? 'high' : 'low', path, message: `${path}: its interpreter ${m.name} is not in the jail: it cannot run${where}` };
  const severity: Severity = onPath ? 'high' : 'medium';
  if (m.how === 'input') return { rule: 'script-source-missing', severity, path, message: `${at}: reads ${m.name} with "." or source, and it is not in the jail${where}` };
  return { rule: 'script-command-missing', severity, path, message: `${at}: runs ${m.name}, which is not in the jail${where}` };
}

/** The real files of the programs found through PATH inside the jail. */
function programsOnPath(ctx: CheckContext): Set<string> {
  const out = new Set<string>();
  for (const dir of ctx.path.split(':')) {
    if (!dir.startsWith('/')) continue;
    let names: string[] | null;
    try {
      names = ctx.inv.fs.readdir(dir);
    } catch (err) {
      if (err instanceof JailError) continue;
      throw err;
    }
    for (const name of names ?? []) {
      try {
        const found = ctx.inv.fs.lookup(joinInside(dir, name));
        if (found.kind === 'file') out.add(found.path);
      } catch (err) {
        if (!(err instanceof JailError)) throw err;
      }
    }
  }
  return out;
}
