import { resolve as resolveHostPath } from 'node:path';
import { type Diagnostic, JailError } from '../errors.js';
import { joinInside } from '../rootfs/inside-path.js';
import { type Lookup, RootFs } from '../rootfs/rootfs.js';
import { ElfResolver, type ElfResolverOptions, type LoadedObject, type MissingLibrary } from './elf-resolver.js';
import { type Need, NeedSet } from './need-set.js';

/** The PATH used to find a bare program name inside the root when nothing else sets one. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ResolveOptions extends ElfResolverOptions {
  /** The source root (default `/`). */
  root?: string;
  /** PATH inside the root for bare names. */
  path?: string;
}

/** What one input needs in a jail. The JSON shape of `jailbuild resolve --json` is built from this. */
export interface InputResolution {
  input: string;
  /** 'elf' (dynamic), 'static', 'library', 'file' (not ELF), 'missing', 'error' */
  kind: 'elf' | 'static' | 'library' | 'file' | 'missing' | 'error';
  needs: Need[];
  missing: MissingLibrary[];
  diagnostics: Diagnostic[];
  tree?: LoadedObject;
}

/** Finds a program: a path (absolute, or relative to the working directory when the root is `/`), or a bare name through PATH. */
export function locateInput(fs: RootFs, input: string, searchPath = DEFAULT_PATH): Lookup {
  if (input.includes('/')) {
    const inside = input.startsWith('/') || fs.root !== '/' ? joinInside('/', input) : resolveHostPath(input);
    return fs.lookup(inside);
  }
  let first: Lookup | undefined;
  for (const dir of searchPath.split(':')) {
    if (!dir.startsWith('/')) continue;
    const found = fs.lookup(joinInside(dir, input));
    first ??= found;
    if (found.kind === 'file') return found;
  }
  return first ?? fs.lookup(joinInside('/usr/bin', input));
}

/**
 * Resolves each input independently: one that is missing or unreadable is reported in its own result
 * and does not stop the others.
 */
export function resolveInputs(inputs: string[], options: ResolveOptions = {}): InputResolution[] {
  const fs = new RootFs(options.root ?? '/');
  const elf = new ElfResolver(fs, options);
  return inputs.map((input) => resolveOne(fs, elf, input, options));
}

export function resolveOne(fs: RootFs, elf: ElfResolver, input: string, options: ResolveOptions = {}): InputResolution {
  const empty = (kind: InputResolution['kind'], diagnostics: Diagnostic[] = []): InputResolution => ({ input, kind, needs: [], missing: [], diagnostics });
  let found: Lookup;
  try {
    found = locateInput(fs, input, options.path);
  } catch (err) {
    if (err instanceof JailError) return empty('error', [{ code: err.code, severity: 'error', path: input, message: err.message }]);
    throw err;
  }
  if (found.kind === 'missing') {
    const res = empty('missing', [{ code: 'NOT_FOUND', severity: 'error', path: input, message: `${input}: no such file in the root` }]);
    res.missing.push({ name: input, neededBy: input, how: 'input' });
    return res;
  }
  if (found.kind !== 'file') {
    return empty('error', [{ code: 'INPUT', severity: 'error', path: input, message: `${input}: not a regular file (${found.kind})` }]);
  }
  const info = elf.elfAt(found.path);
  if (info instanceof JailError) {
    if (info.code === 'ELF_NOT_ELF') {
      const needs = new NeedSet(fs);
      needs.addLookup(found, 'input');
      return { ...empty('file'), needs: needs.list() };
    }
    return empty('error', [{ code: info.code, severity: 'error', path: found.path, message: info.message }]);
  }
  const closure = elf.closure(found, info, 'input');
  const kind = closure.linkage === 'dynamic' ? 'elf' : closure.linkage;
  const result: InputResolution = { input, kind, needs: closure.needs, missing: closure.missing, diagnostics: closure.diagnostics };
  if (closure.root) result.tree = closure.root;
  return result;
}
