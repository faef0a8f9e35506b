import type { GeneratedFile } from '../model/jail-entry.js';
import { basenameInside, dirnameInside } from '../rootfs/inside-path.js';
import type { PlanContext } from './plan-context.js';
import type { ReferenceProgram } from './reference-program.js';

/**
 * The loader in a jail reads the jail's /etc/ld.so.cache, never ld.so.conf: libraries that the source
 * root finds only through folders named in ld.so.conf (a program's own /usr/local/lib64) need a cache
 * in the jail. So do the libraries a program finds through `$ORIGIN` in its own search path (java's
 * `$ORIGIN/../lib` for libjli.so): glibc expands a program's `$ORIGIN` by reading /proc/self/exe,
 * which a jail rarely has, drops the folder when it cannot, and goes on to the cache. This asks for
 * a cache (made at emit time by ldconfig: see emit/generate-files.ts), with the ld.so.conf naming its
 * folders, when a library of the jail lies outside the loader's default folders.
 */
export function planJailLdCache(ctx: PlanContext, reference: ReferenceProgram | undefined): void {
  const { builder, fs, resolver } = ctx;
  if (!reference || builder.get('/etc/ld.so.cache')) return;
  const resolvedDir = (dir: string): string => {
    try {
      return fs.lookup(dir).path;
    } catch {
      return dir;
    }
  };
  const defaults = new Set(resolver.elf.systemDirsFor(reference.elf).map(resolvedDir));
  const libraries: string[] = [];
  const folders = new Set<string>();
  const placed = builder.entries();
  /** Programs whose `$ORIGIN` libraries the cache lists: they load without /proc. */
  const originPrograms = new Set<string>();
  for (const p of placed) {
    if (p.kind !== 'file' || !p.source) continue;
    if (!p.reasons.some((r) => r.via !== undefined && (/^ld\.so\.(cache|conf)/.test(r.via) || throughProgramOrigin(ctx, r.via, r.from, originPrograms)))) continue;
    const dir = dirnameInside(p.path);
    if (defaults.has(resolvedDir(dir))) continue;
    libraries.push(p.source);
    folders.add(dir);
  }
  if (libraries.length === 0) return;
  // The cache lists a library under its soname, which is usually a link next to it: keep those too.
  for (const p of placed) if (p.kind === 'symlink' && folders.has(dirnameInside(p.path)) && /\.so(\.|$)/.test(basenameInside(p.path))) libraries.push(p.path);
  const sorted = [...folders].sort();
  const conf = sorted.join('\n') + '\n';
  builder.add({ path: '/etc/ld.so.conf', kind: 'file', mode: 0o644, content: Buffer.from(conf), size: conf.length, reason: { kind: 'generated', detail: `folders of libraries found through ld.so.conf: ${sorted.join(', ')}` } });
  const generate: GeneratedFile = { kind: 'ld.so.cache', libraries: [...new Set(libraries)].sort(), folders: sorted };
  builder.add({ path: '/etc/ld.so.cache', kind: 'file', mode: 0o644, generate, reason: { kind: 'generated', detail: "the jail's loader reads ld.so.cache, not ld.so.conf" } });
  // Their warning that the jail needs /proc no longer holds.
  for (let i = ctx.diagnostics.length - 1; i >= 0; i--) {
    const d = ctx.diagnostics[i];
    if (d?.code === 'ORIGIN_NEEDS_PROC' && d.path !== undefined && originPrograms.has(d.path)) ctx.diagnostics.splice(i, 1);
  }
}

/**
 * Whether a library was found through a folder a program's own DT_RPATH or DT_RUNPATH names with
 * `$ORIGIN` (a library's `$ORIGIN` comes from its own path and needs no /proc).
 */
function throughProgramOrigin(ctx: PlanContext, via: string, from: string | undefined, programs: Set<string>): boolean {
  const m = /^(DT_RUNPATH|DT_RPATH)(?: of (\S+))?/.exec(via);
  const owner = m?.[2] ?? from;
  if (!m || owner === undefined) return false;
  const real = ctx.fs.lookup(owner).path;
  const info = ctx.resolver.elf.elfAt(real);
  if (info instanceof Error || info.interpreter === undefined) return false;
  if (!/\$(\{ORIGIN\}|ORIGIN(?![A-Za-z0-9_]))/.test(`${info.rpath ?? ''}:${info.runpath ?? ''}`)) return false;
  programs.add(real);
  programs.add(owner);
  return true;
}
