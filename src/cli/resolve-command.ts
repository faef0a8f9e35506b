import { resolve as resolveHostPath } from 'node:path';
import { AnalysisCache } from '../cache/analysis-cache.js';
import { loadConfig } from '../config/load-config.js';
import { type Diagnostic, printable } from '../errors.js';
import type { LoadedObject } from '../resolve/elf-resolver.js';
import type { Need } from '../resolve/need-set.js';
import { eachResolution, type InputResolution, type ResolveOptions } from '../resolve/resolve-inputs.js';
import { letYoungGenerationGrowWhenDue } from '../io/young-generation.js';
import { describeReason } from '../model/reason.js';
import { type Output, printJsonList } from './output.js';
import { PackageIndex } from '../packages/package-index.js';
import { RootFs } from '../rootfs/rootfs.js';

export interface ResolveCommandOptions extends ResolveOptions {
  json?: boolean;
  /** Name the Debian package that owns each file (reads the root's dpkg database: about half a second). */
  packages?: boolean;
  /** false: do not read or write the analysis cache. */
  useCache?: boolean;
}

/** `jailbuild resolve`: prints what each input needs; returns the exit code (0 all resolved, 1 something missing). */
export function runResolve(paths: string[], opts: ResolveCommandOptions, out: Output): number {
  const cache = opts.useCache === false ? undefined : AnalysisCache.open(loadConfig().cacheDir, resolveHostPath(opts.root ?? '/'));
  const results: InputResolution[] = [];
  for (const r of eachResolution(paths, { ...opts, ...(cache ? { cache } : {}) })) {
    results.push(r);
    // Resolving never waits for I/O, so the young generation's timer cannot fire: look here.
    letYoungGenerationGrowWhenDue();
  }
  cache?.save();
  const index = opts.packages ? PackageIndex.ofDpkg(new RootFs(resolveHostPath(opts.root ?? '/'))) : undefined;
  const owners = (realPath: string): string[] => index?.ownersOf(realPath) ?? [];
  if (opts.json) {
    printJsonList(
      out,
      'binaries',
      results.map((r) => toJson(r, index ? owners : undefined)),
    );
  } else {
    for (const r of results) out.stdout(formatHuman(r, index ? owners : undefined));
  }
  for (const r of results) for (const d of r.diagnostics) if (!opts.json) out.stderr(formatDiagnostic(d));
  const failed = results.some((r) => r.missing.length > 0 || r.kind === 'missing' || r.kind === 'error');
  return failed ? 1 : 0;
}

function toJson(r: InputResolution, owners?: (realPath: string) => string[]): object {
  return {
    input: r.input,
    kind: r.kind,
    needs: r.needs.map((n) => n.path),
    missing: r.missing.map((m) => m.name),
    entries: owners ? r.needs.map((n) => ({ ...n, packages: owners(n.path) })) : r.needs,
    missingDetails: r.missing,
    diagnostics: r.diagnostics,
  };
}

/** One line per diagnostic: control characters in it (from a file name, a script) are escaped here, at the edge. */
export function formatDiagnostic(d: Diagnostic): string {
  return `jailbuild: ${d.severity}: ${printable(d.message, MAX_MESSAGE)}\n`;
}

/** A diagnostic is one line; past this it is cut (a script's long path list, say). */
const MAX_MESSAGE = 4096;

/** Files with one reason listed one by one, at most; more are shown as their folder and a count. */
const MAX_LISTED_PER_REASON = 12;

/** Needs grouped by the text of their reason, in order of first appearance. */
function groupByReason(needs: Need[]): Need[][] {
  const groups = new Map<string, Need[]>();
  for (const n of needs) {
    const key = describeReason(n.reason);
    const g = groups.get(key);
    if (g) g.push(n);
    else groups.set(key, [n]);
  }
  return [...groups.values()];
}

/** The deepest folder holding every path (`/` at least). */
function commonFolder(paths: string[]): string {
  let parts = (paths[0] ?? '/').split('/').slice(0, -1);
  for (const p of paths.slice(1)) {
    const q = p.split('/');
    let i = 0;
    while (i < parts.length && parts[i] === q[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join('/') || '/';
}

function formatHuman(r: InputResolution, owners?: (realPath: string) => string[]): string {
  const pkg = (realPath: string): string => {
    const list = owners?.(realPath) ?? [];
    return list.length > 0 ? `  (${list.join(', ')})` : '';
  };
  const lines: string[] = [];
  const head = r.kind === 'static' ? ' (statically linked)' : r.kind === 'file' ? ' (neither ELF nor script)' : r.kind === 'library' ? ' (shared library)' : r.kind === 'script' ? ' (script)' : '';
  lines.push(`${r.input}${head}`);
  if (r.tree) {
    const walk = (obj: LoadedObject, depth: number): void => {
      for (const child of obj.children) {
        const shown = child.realPath === child.path ? child.path : `${child.path} -> ${child.realPath}`;
        const name = child.how === 'interpreter' ? 'interpreter' : (child.elf.soname ?? child.path.split('/').pop());
        lines.push(`${'    '.repeat(depth + 1)}${name} => ${shown}  [${child.via}]${pkg(child.realPath)}`);
        walk(child, depth + 1);
      }
    };
    walk(r.tree, 0);
  }
  if (r.kind === 'script') {
    // A script has no load tree: list each program and file with what brought it in.
    for (const n of r.needs) if (n.role === 'program' || n.role === 'data') lines.push(`    ${n.path}  [${describeReason(n.reason)}]${pkg(n.path)}`);
  } else {
    // What a program brings beyond its load tree (what its family is known to read or run, and theirs).
    const inTree = new Set<string>([r.input]);
    const mark = (obj: LoadedObject): void => {
      inTree.add(obj.realPath);
      obj.children.forEach(mark);
    };
    if (r.tree) mark(r.tree);
    const more = r.needs.filter((n) => n.kind === 'file' && !inTree.has(n.path));
    if (more.length > 0) lines.push('  also brings:');
    for (const group of groupByReason(more)) {
      if (group.length > MAX_LISTED_PER_REASON) {
        const folder = commonFolder(group.map((n) => n.path));
        lines.push(`    ${folder}/ (${group.length} files)  [${describeReason((group[0] as Need).reason)}]`);
      } else for (const n of group) lines.push(`    ${n.path}  [${describeReason(n.reason)}]${pkg(n.path)}`);
    }
  }
  for (const m of r.missing) {
    if (m.how === 'input') lines.push(`    ${m.name} => not found in the root`);
    else if (m.how === 'command') lines.push(`    ${m.name} => not found  [run by ${m.neededBy}${m.line ? ` line ${m.line}` : ''}]`);
    else lines.push(`    ${m.name} => not found  [${m.how} of ${m.neededBy}]`);
  }
  const links = r.needs.filter((n) => n.kind === 'symlink');
  if (links.length > 0) {
    lines.push('  links to keep:');
    for (const l of links) lines.push(`    ${l.path} -> ${l.target}${l.linkTo === 'directory' ? '  (directory)' : ''}`);
  }
  lines.push('');
  return lines.join('\n') + '\n';
}
