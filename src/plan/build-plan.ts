import { realpathSync, type Stats } from 'node:fs';
import { resolve as resolveHostPath } from 'node:path';
import type { AnalysisCache } from '../cache/analysis-cache.js';
import { type Diagnostic, JailError } from '../errors.js';
import type { ElfInfo } from '../elf/elf-info.js';
import type { JailEntry } from '../model/jail-entry.js';
import { toId } from '../profile/load-profile.js';
import type { EntryOverrides, Origin, Profile } from '../profile/profile-types.js';
import { ProgramResolver } from '../resolve/program-resolver.js';
import type { Need } from '../resolve/need-set.js';
import { archOf } from '../loader/arch.js';
import { locateInput } from '../resolve/resolve-inputs.js';
import { basenameInside, dirnameInside, joinInside } from '../rootfs/inside-path.js';
import { identityOf, type Lookup, RootFs } from '../rootfs/rootfs.js';
import { accountFiles } from './accounts.js';
import { buildJailLdCache } from './jail-ld-cache.js';
import { parseModeChange } from './mode-policy.js';
import { SECRET_HINT, SecretGate } from './secret-gate.js';
import { type Placement, PlanBuilder } from './plan-builder.js';

/** What a profile builds: the sorted entries, the mounts it expects, and what was found on the way. */
export interface Plan {
  profile: Profile;
  entries: JailEntry[];
  diagnostics: Diagnostic[];
  /** Modification time given to every entry. */
  mtime: number;
  /**
   * The architecture of the jail's programs (jailbuild's ids: x86_64, aarch64, ...): that of the first
   * dynamically linked program, else of /bin/sh; undefined when the jail has none.
   */
  architecture?: string;
  /**
   * Host paths (real) the build reads besides the entries' sources: the files and folders the profile
   * copies, its mount sources and the profile files themselves. An output folder must hold none of
   * them and lie inside none of them (see checkOutputPlace).
   */
  reads: string[];
}

export interface PlanOptions {
  /** Overrides SOURCE_DATE_EPOCH and the profile's mtime. */
  mtime?: number;
  /** Per-file analysis kept between runs. */
  cache?: AnalysisCache;
  /** Called as programs and trees are resolved, for progress. */
  onProgress?: (what: string, done: number, total: number) => void;
}

/** A profile line, for reasons and errors: `tex.json:12 binaries[0]`. */
function where(origin: Origin, lineOf?: (o: Origin) => number): string {
  const name = origin.file.split('/').pop() as string;
  const line = lineOf ? `:${lineOf(origin)}` : '';
  const [, field, index] = origin.pointer.split('/');
  return `${name}${line} ${field}[${index}]`;
}

/** Seconds since the epoch for every entry: --mtime, else SOURCE_DATE_EPOCH, else the profile's, else 0. */
export function chooseMtime(profile: Profile, override?: number): number {
  if (override !== undefined) return override;
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env !== undefined && env !== '') {
    if (!/^\d+$/.test(env)) throw new JailError('USAGE', `SOURCE_DATE_EPOCH=${env}: must be a whole number of seconds`, { field: 'SOURCE_DATE_EPOCH' });
    return Number(env);
  }
  return profile.mtime ?? 0;
}

/**
 * Turns a profile into the list of entries its jail holds. Every program brings in its closure
 * (libraries, interpreters, the programs its scripts run, every link on the way); files, trees,
 * links, folders, devices and accounts are placed as asked; ownership and modes follow the profile's
 * policy. Anything a request needs that the root lacks is an error naming the profile line.
 */
export function buildPlan(profile: Profile, options: PlanOptions = {}): Plan {
  const fs = new RootFs(profile.root);
  const resolver = new ProgramResolver(fs, { ...(profile.path !== undefined ? { path: profile.path } : {}), ...(options.cache ? { cache: options.cache } : {}) });
  const builder = new PlanBuilder();
  const diagnostics: Diagnostic[] = [];
  const errors: string[] = [];
  const mtime = chooseMtime(profile, options.mtime);

  const policy = parseModeChange(profile.permissions.mode ?? 'g=u-w,o-rwx', `${profile.file}: permissions.mode`);
  const owner = toId(profile.permissions.owner, profile.file, 'permissions/owner') ?? 0;
  const firstGroup = profile.groups[0];
  const group = toId(profile.permissions.group, profile.file, 'permissions/group') ?? (firstGroup ? (toId(firstGroup.gid, firstGroup.origin, 'gid') as number) : 0);

  const overrides = (o: EntryOverrides, origin: Origin): Partial<Placement> => {
    const out: Partial<Placement> = {};
    if (o.mode !== undefined) Object.assign(out, { mode: parseInt(o.mode, 8), exactMode: true });
    const uid = toId(o.owner, origin, 'owner');
    const gid = toId(o.group, origin, 'group');
    if (uid !== undefined) out.uid = uid;
    if (gid !== undefined) out.gid = gid;
    if (o.allowSetuid) out.allowSetuid = true;
    return out;
  };

  const fail = (origin: Origin, message: string): void => {
    errors.push(`${origin.file}: ${origin.pointer}: ${message}`);
  };

  // Files the host keeps from others enter only when named directly with "secret": true.
  const gate = new SecretGate(fs);
  const allowSecret = (spec: { path: string; optional?: boolean; origin: Origin }, find: () => Lookup): void => {
    let found: Lookup;
    try {
      found = find();
    } catch (err) {
      fail(spec.origin, (err as Error).message);
      return;
    }
    if (found.kind === 'missing' && spec.optional) return;
    const tree = treeSpecs.has(spec);
    if (found.kind !== 'file' && !(tree && found.kind === 'directory')) fail(spec.origin, `"secret": true: ${spec.path} is not a regular file${tree ? ' or folder' : ''} in the root`);
    else if (found.links.length > 0) fail(spec.origin, `"secret": true: ${spec.path} is reached through the link ${(found.links[0] as { path: string }).path}; name it by its own path (${found.path})`);
    else if (found.kind === 'directory') gate.allowTree(found.path);
    else gate.allow(found.path);
  };
  const treeSpecs = new Set<object>(profile.trees);
  for (const b of profile.binaries) if (b.secret) allowSecret(b, () => locateInput(resolver, b.path));
  for (const f of [...profile.files, ...profile.trees]) if (f.secret) allowSecret(f, () => fs.lookup(f.path));

  const statsOf = (path: string): Stats | null => fs.lstat(path);
  const fromNeed = (need: Need, reason: string, origin: Origin, extra: Partial<Placement> = {}): void => {
    if (need.kind === 'symlink') {
      builder.add({ path: need.path, kind: 'symlink', mode: 0o777, target: need.target as string, reason: `${reason}: ${need.reason}` });
      return;
    }
    const refusal = gate.refusal(need.path);
    if (refusal !== null) {
      fail(origin, `${need.path} (${need.reason}): not copied: the host keeps it from others (${refusal}); ${SECRET_HINT}`);
      return;
    }
    const st = statsOf(need.path);
    builder.add({
      path: need.path,
      kind: 'file',
      mode: (st?.mode ?? 0o644) & 0o7777,
      source: need.path,
      size: st?.size ?? 0,
      ...(st ? { sourceIdentity: identityOf(st) } : {}),
      ...(gate.isAllowed(need.path) ? { secret: true } : {}),
      reason: `${reason}: ${need.reason}`,
      ...extra,
    });
  };

  // A destination is a path inside the jail: `..` could only mean an attempt to climb out of it.
  const checkDest = (value: string | undefined, origin: Origin, field: string): void => {
    if (value !== undefined && value.split('/').includes('..')) fail(origin, `${field} ${value}: leaves the jail ("..")`);
    if (value !== undefined && !value.startsWith('/')) fail(origin, `${field} ${value}: must be an absolute path inside the jail`);
  };
  for (const b of profile.binaries) checkDest(b.as, b.origin, 'as');
  for (const f of [...profile.files, ...profile.trees]) checkDest(f.dest, f.origin, 'dest');
  for (const x of [...profile.contents, ...profile.symlinks, ...profile.directories, ...profile.devices]) checkDest(x.path, x.origin, 'path');
  for (const m of profile.mounts) checkDest(m.target, m.origin, 'target');

  // Programs, with everything they load and run.
  let reference: { found: Lookup; elf: ElfInfo } | undefined;
  let resolved = 0;
  for (const bin of profile.binaries) {
    options.onProgress?.('resolving programs', ++resolved, profile.binaries.length);
    const why = where(bin.origin);
    let found: Lookup;
    try {
      found = locateInput(resolver, bin.path);
    } catch (err) {
      fail(bin.origin, (err as Error).message);
      continue;
    }
    if (found.kind !== 'file') {
      if (!bin.optional) fail(bin.origin, `${bin.path}: not found in the root ${profile.root}${found.kind === 'missing' ? '' : ` (a ${found.kind})`}`);
      continue;
    }
    const closure = resolver.closure(found, why);
    diagnostics.push(...closure.diagnostics.filter((d) => d.severity !== 'info'));
    for (const m of closure.missing) {
      if (m.how === 'command') {
        diagnostics.push({ code: 'COMMAND_MISSING', severity: 'warning', path: m.neededBy, message: `${m.neededBy}${m.line ? `:${m.line}` : ''}: runs ${m.name}, which is not in the root (${why})` });
      } else fail(bin.origin, `${bin.path}: ${m.how === 'PT_INTERP' ? 'interpreter' : 'library'} ${m.name} (needed by ${m.neededBy}) is not in the root`);
    }
    const info = resolver.elf.elfAt(found.path);
    if (!reference && !(info instanceof JailError) && info.interpreter) reference = { found, elf: info };
    for (const need of closure.needs.list()) {
      if (bin.as !== undefined && (need.path === found.path || found.links.some((l) => l.path === need.path))) continue;
      fromNeed(need, why, bin.origin, need.path === found.path ? overrides(bin, bin.origin) : {});
    }
    if (bin.as !== undefined) {
      const refusal = gate.refusal(found.path);
      if (refusal !== null) {
        fail(bin.origin, `${found.path}: not copied: the host keeps it from others (${refusal}); ${SECRET_HINT}`);
        continue;
      }
      const st = statsOf(found.path);
      builder.add({
        ...(gate.isAllowed(found.path) ? { secret: true } : {}), path: joinInside('/', bin.as), kind: 'file', mode: (st?.mode ?? 0o755) & 0o7777, source: found.path, size: st?.size ?? 0, ...(st ? { sourceIdentity: identityOf(st) } : {}), reason: `${why}: ${bin.path} installed as ${bin.as}`, ...overrides(bin, bin.origin) });
    }
  }

  // Libraries by soname, as a program would dlopen them.
  if (profile.libraries.length > 0) {
    reference ??= referenceProgram(resolver);
    for (const lib of profile.libraries) {
      const why = where(lib.origin);
      if (!reference) {
        fail(lib.origin, `${lib.soname}: no dynamically linked program in the root to look it up for`);
        continue;
      }
      const hit = resolver.elf.findLibrary(lib.soname, reference.found, reference.elf);
      if (!hit) {
        fail(lib.origin, `${lib.soname}: not found by the loader's search in ${profile.root}`);
        continue;
      }
      const closure = resolver.closure(hit.found, `${why}: ${lib.soname}, found through ${hit.via}`);
      for (const m of closure.missing) fail(lib.origin, `${lib.soname}: ${m.name} (needed by ${m.neededBy}) is not in the root`);
      for (const need of closure.needs.list()) fromNeed(need, why, lib.origin);
    }
  }

  // Files and trees.
  for (const spec of profile.files) {
    const why = where(spec.origin);
    placeCopy(fs, builder, gate, spec.path, spec.dest, { dereference: spec.dereference ?? false, optional: spec.optional ?? false }, why, overrides(spec, spec.origin), (m) => fail(spec.origin, m), diagnostics);
  }
  for (const spec of profile.trees) {
    const why = where(spec.origin);
    placeCopy(fs, builder, gate, spec.path, spec.dest, { dereference: spec.dereference ?? false, optional: spec.optional ?? false, exclude: spec.exclude ?? [] }, why, overrides(spec, spec.origin), (m) => fail(spec.origin, m), diagnostics, (file) => {
      if (!spec.resolve) return;
      const at = fs.lookup(file);
      const closure = resolver.closure(at, `${why}: ${file}`);
      for (const need of closure.needs.list()) if (need.path !== file) fromNeed(need, why, spec.origin);
      for (const m of closure.missing) diagnostics.push({ code: 'TREE_MISSING', severity: 'warning', path: file, message: `${file}: ${m.name} (needed by ${m.neededBy}) is not in the root (${why})` });
    });
  }

  for (const c of profile.contents) {
    builder.add({ path: joinInside('/', c.path), kind: 'file', mode: 0o644, content: Buffer.from(c.text, 'utf8'), size: Buffer.byteLength(c.text), reason: where(c.origin), ...overrides(c, c.origin) });
  }
  for (const l of profile.symlinks) builder.add({ path: joinInside('/', l.path), kind: 'symlink', mode: 0o777, target: l.target, reason: where(l.origin) });
  for (const d of profile.directories) {
    const st = statsOf(d.path);
    builder.add({ path: joinInside('/', d.path), kind: 'directory', mode: st?.isDirectory() ? st.mode & 0o7777 : 0o755, reason: where(d.origin), ...overrides(d, d.origin) });
  }
  for (const d of profile.devices) {
    builder.add({
      path: joinInside('/', d.path),
      kind: d.type,
      major: d.major,
      minor: d.minor,
      mode: parseInt(d.mode ?? '0666', 8),
      exactMode: true,
      reason: where(d.origin),
      ...overrides(d, d.origin),
    });
  }
  const accounts = accountFiles(profile);
  if (accounts) {
    builder.add({ path: '/etc/passwd', kind: 'file', mode: 0o644, content: Buffer.from(accounts.passwd), size: accounts.passwd.length, reason: 'users and groups of the profile' });
    builder.add({ path: '/etc/group', kind: 'file', mode: 0o644, content: Buffer.from(accounts.group), size: accounts.group.length, reason: 'users and groups of the profile' });
  }
  for (const m of profile.mounts) builder.add({ path: joinInside('/', m.target), kind: 'directory', mode: 0o755, reason: `${where(m.origin)}: mount point for ${m.source}` });

  if (errors.length > 0) throw new JailError('INPUT', errors.join('\n'), { file: profile.file });

  addJailLdCache(fs, resolver, builder, reference, diagnostics);

  const placements = builder.finish((dir) => {
    const st = statsOf(dir);
    return st?.isDirectory() ? st.mode & 0o7777 : 0o755;
  });
  const entries: JailEntry[] = placements.map((p) => {
    const isSpecial = p.kind === 'symlink' || p.kind === 'char' || p.kind === 'block';
    let mode = p.kind === 'symlink' ? 0o777 : p.exactMode || isSpecial ? p.mode : policy(p.mode, p.kind === 'directory');
    const uid = p.uid ?? owner;
    if (p.kind === 'file' && (mode & 0o6000) !== 0) mode = setuidVerdict(p.path, mode, uid, p.allowSetuid === true, diagnostics);
    const e: JailEntry = { path: p.path, kind: p.kind, mode, uid, gid: p.gid ?? group, reasons: p.reasons.filter(Boolean) };
    if (p.secret) e.secret = true;
    if (p.target !== undefined) e.target = p.target;
    if (p.major !== undefined) e.major = p.major;
    if (p.minor !== undefined) e.minor = p.minor;
    if (p.source !== undefined) e.source = p.source;
    if (p.sourceIdentity !== undefined) e.sourceIdentity = p.sourceIdentity;
    if (p.content !== undefined) e.content = p.content;
    if (p.kind === 'file') e.size = p.content ? p.content.length : (p.size ?? 0);
    return e;
  });
  const plan: Plan = { profile, entries, diagnostics, mtime, reads: readsOf(profile, fs) };
  const programs = reference ?? referenceProgram(resolver);
  if (programs) plan.architecture = archOf(programs.elf).id;
  return plan;
}

/** See Plan.reads: real host paths of what the profile copies as folders or files, mounts, and itself. */
function readsOf(profile: Profile, fs: RootFs): string[] {
  const real = (hostPath: string): string => {
    try {
      return realpathSync(hostPath);
    } catch {
      return resolveHostPath(hostPath);
    }
  };
  const out = new Set<string>([...profile.sources, ...profile.mounts.map((m) => m.source)].map(real));
  for (const spec of [...profile.files, ...profile.trees]) {
    try {
      const found = fs.lookup(spec.path);
      if (found.kind !== 'missing') out.add(real(fs.hostPath(found.path)));
    } catch {
      // A loop: reported where the copy is planned.
    }
  }
  return [...out].sort();
}

/**
 * Setuid and setgid bits are a way out of a jail (a setuid shell, `su`, `mount`): removed unless the
 * profile entry says "allowSetuid": true, and said either way, so the build output names every one.
 */
function setuidVerdict(path: string, mode: number, uid: number, allowed: boolean, diagnostics: Diagnostic[]): number {
  const octal = (m: number): string => m.toString(8).padStart(4, '0');
  const bits = [mode & 0o4000 ? 'setuid' : '', mode & 0o2000 ? 'setgid' : ''].filter(Boolean).join(' and ');
  if (allowed) {
    diagnostics.push({ code: 'SETUID_KEPT', severity: 'warning', path, message: `${path}: keeps its ${bits} bit (mode ${octal(mode)}, owner ${uid}): whoever runs it in the jail gets its owner's or group's rights ("allowSetuid": true)` });
    return mode;
  }
  const stripped = mode & ~0o6000;
  diagnostics.push({ code: 'SETUID_REMOVED', severity: 'warning', path, message: `${path}: ${bits} bit removed (mode ${octal(mode)} -> ${octal(stripped)}); add "allowSetuid": true to its profile entry to keep it` });
  return stripped;
}

/** A dynamically linked program of the root to search libraries for: /bin/sh's loader is the root's own. */
function referenceProgram(resolver: ProgramResolver): { found: Lookup; elf: ElfInfo } | undefined {
  for (const candidate of ['/bin/sh', '/bin/bash', '/usr/bin/env', '/bin/busybox', '/usr/bin/busybox']) {
    const found = resolver.fs.lookup(candidate);
    if (found.kind !== 'file') continue;
    const info = resolver.elf.elfAt(found.path);
    if (!(info instanceof JailError) && info.interpreter) return { found, elf: info };
  }
  return undefined;
}

interface CopyOptions {
  dereference: boolean;
  optional: boolean;
  exclude?: string[];
}

/**
 * Places a file or a folder tree: links met on the way to it are kept as links (unless dereference);
 * a folder is walked in sorted order, its links kept as links (or followed with dereference), its
 * devices, sockets and pipes left out with a warning.
 */
function placeCopy(
  fs: RootFs,
  builder: PlanBuilder,
  gate: SecretGate,
  path: string,
  dest: string | undefined,
  opts: CopyOptions,
  why: string,
  extra: Partial<Placement>,
  fail: (message: string) => void,
  diagnostics: Diagnostic[],
  onFile?: (path: string) => void,
): void {
  let found: Lookup;
  try {
    found = fs.lookup(path);
  } catch (err) {
    fail((err as Error).message);
    return;
  }
  if (found.kind === 'missing') {
    if (!opts.optional) fail(`${path}: not found in the root ${fs.root}`);
    return;
  }
  const target = dest === undefined ? undefined : joinInside('/', dest);
  // Without a destination the copy lands where the source is, links on the way recreated.
  if (target === undefined && !opts.dereference) {
    for (const hop of found.links) builder.add({ path: hop.path, kind: 'symlink', mode: 0o777, target: hop.target, reason: `${why}: link on the way to ${path}` });
  }
  const base = target ?? (opts.dereference ? joinInside('/', path) : found.path);
  const excluded = new Set((opts.exclude ?? []).map((e) => joinInside(found.path, e)));

  // Folders being walked on the current branch: with dereference, a link back up (/usr/bin/X11 -> .)
  // would otherwise be walked forever.
  const walking = new Set<string>();
  const visit = (src: string, at: string, top: boolean): void => {
    if (excluded.has(src)) return;
    const st = fs.lstat(src);
    if (!st) return;
    if (st.isSymbolicLink()) {
      if (!opts.dereference) {
        builder.add({ path: at, kind: 'symlink', mode: 0o777, target: fs.readlink(src), reason: `${why}: ${src}` });
        return;
      }
      let end: Lookup;
      try {
        end = fs.lookup(src);
      } catch (err) {
        diagnostics.push({ code: 'SYMLINK_LOOP', severity: 'warning', path: src, message: `${(err as Error).message}; left out (${why})` });
        return;
      }
      if (end.kind === 'missing') {
        diagnostics.push({ code: 'DANGLING_LINK', severity: 'warning', path: src, message: `${src}: a link to nothing; left out (${why})` });
        return;
      }
      visit(end.path, at, top);
      return;
    }
    if (st.isDirectory()) {
      if (walking.has(src)) {
        diagnostics.push({ code: 'SYMLINK_LOOP', severity: 'warning', path: src, message: `${src}: a link leads back to a folder being copied; left out there (${why})` });
        return;
      }
      walking.add(src);
      builder.add({ path: at, kind: 'directory', mode: st.mode & 0o7777, reason: `${why}: ${src}`, ...(top ? extra : {}) });
      for (const name of fs.readdir(src) ?? []) visit(joinInside(src, name), joinInside(at, name), false);
      walking.delete(src);
      return;
    }
    if (st.isFile()) {
      const refusal = gate.refusal(src);
      if (refusal !== null) {
        if (top) {
          const how = found.links.length > 0 ? `reached through the link ${(found.links[0] as { path: string }).path}, ` : opts.dereference ? 'reached by dereferencing, ' : '';
          fail(`${src}: not copied: ${how}the host keeps it from others (${refusal}); ${SECRET_HINT}`);
        } else {
          diagnostics.push({ code: 'PRIVATE_LEFT_OUT', severity: 'warning', path: src, message: `${src}: left out: the host keeps it from others (${refusal}) (${why}); ${SECRET_HINT}` });
        }
        return;
      }
      builder.add({ path: at, kind: 'file', mode: st.mode & 0o7777, source: src, size: st.size, sourceIdentity: identityOf(st), ...(gate.isAllowed(src) ? { secret: true } : {}), reason: `${why}: ${src}`, ...extra });
      onFile?.(src);
      return;
    }
    diagnostics.push({ code: 'SPECIAL_FILE_SKIPPED', severity: 'warning', path: src, message: `${src}: a device, socket or pipe; left out (use "devices") (${why})` });
  };
  visit(found.path, base, true);
}

/**
 * Adds /etc/ld.so.cache (and the ld.so.conf it was made from) when a library of the jail lies in a
 * folder that the jail's loader would not search by default.
 */
function addJailLdCache(fs: RootFs, resolver: ProgramResolver, builder: PlanBuilder, reference: { found: Lookup; elf: ElfInfo } | undefined, diagnostics: Diagnostic[]): void {
  if (!reference || builder.get('/etc/ld.so.cache')) return;
  const defaults = new Set(resolver.elf.systemDirsFor(reference.elf).map((d) => resolvedDir(fs, d)));
  const libraries: string[] = [];
  const folders = new Set<string>();
  const placed = builder.entries();
  for (const p of placed) {
    if (p.kind !== 'file' || !p.source) continue;
    if (!p.reasons.some((r) => /found through (ld\.so\.cache|ld\.so\.conf)/.test(r))) continue;
    const dir = dirnameInside(p.path);
    if (defaults.has(resolvedDir(fs, dir))) continue;
    libraries.push(p.source);
    folders.add(dir);
  }
  if (libraries.length === 0) return;
  // The cache lists a library under its soname, which is usually a link next to it: keep those too.
  for (const p of placed) if (p.kind === 'symlink' && folders.has(dirnameInside(p.path)) && /\.so(\.|$)/.test(basenameInside(p.path))) libraries.push(p.path);
  const made = buildJailLdCache(fs, libraries, [...folders].sort());
  diagnostics.push(...made.diagnostics);
  builder.add({ path: '/etc/ld.so.conf', kind: 'file', mode: 0o644, content: Buffer.from(made.conf), size: made.conf.length, reason: `folders of libraries found through ld.so.conf: ${[...folders].join(', ')}` });
  if (made.cache) {
    builder.add({ path: '/etc/ld.so.cache', kind: 'file', mode: 0o644, content: made.cache, size: made.cache.length, reason: 'the jail\'s loader reads ld.so.cache, not ld.so.conf' });
  }
}

function resolvedDir(fs: RootFs, dir: string): string {
  try {
    return fs.lookup(dir).path;
  } catch {
    return dir;
  }
}
