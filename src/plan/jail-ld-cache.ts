import type { GeneratedFile } from '../model/jail-entry.js';
import { basenameInside, dirnameInside } from '../rootfs/inside-path.js';
import type { PlanContext } from './plan-context.js';
import type { ReferenceProgram } from './reference-program.js';

/**
 * The loader in a jail reads the jail's /etc/ld.so.cache, never ld.so.conf: libraries that the source
 * root finds only through folders named in ld.so.conf (a program's own /usr/local/lib64) need a cache
 * in the jail. This asks for one (made at emit time by ldconfig: see emit/generate-files.ts), with the
 * ld.so.conf naming its folders, when a library of the jail lies outside the loader's default folders.
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
  for (const p of placed) {
    if (p.kind !== 'file' || !p.source) continue;
    if (!p.reasons.some((r) => r.via !== undefined && /^ld\.so\.(cache|conf)/.test(r.via))) continue;
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
}
