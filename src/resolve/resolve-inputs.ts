import { resolve as resolveHostPath } from 'node:path';
import { type Diagnostic, JailError } from '../errors.js';
import { joinInside } from '../rootfs/inside-path.js';
import { type Lookup, RootFs } from '../rootfs/rootfs.js';
import type { LoadedObject } from './elf-resolver.js';
import type { Need } from './need-set.js';
import { DEFAULT_PATH, type MissingItem, ProgramResolver, type ProgramResolverOptions } from './program-resolver.js';

export { DEFAULT_PATH };

export interface ResolveOptions extends ProgramResolverOptions {
  /** The source root (default `/`). */
  root?: string;
}

/** What one input needs in a jail. The JSON shape of `jailbuild resolve --json` is built from this. */
export interface InputResolution {
  input: string;
  /** 'elf' (dynamic), 'static', 'library', 'script', 'file' (neither), 'missing', 'error' */
  kind: 'elf' | 'static' | 'library' | 'script' | 'file' | 'missing' | 'error';
  needs: Need[];
  missing: MissingItem[];
  diagnostics: Diagnostic[];
  tree?: LoadedObject;
}

/** Finds a program: a path (absolute, or relative to the working directory when the root is `/`), or a bare name through PATH. */
export function locateInput(resolver: ProgramResolver, input: string): Lookup {
  const fs = resolver.fs;
  if (input.includes('/')) {
    const inside = input.startsWith('/') || fs.root !== '/' ? joinInside('/', input) : resolveHostPath(input);
    return fs.lookup(inside);
  }
  return resolver.which(input, resolver.defaultPath) ?? fs.lookup(joinInside('/usr/bin', input));
}

/**
 * Resolves each input independently: one that is missing or unreadable is reported in its own result
 * and does not stop the others.
 */
export function resolveInputs(inputs: string[], options: ResolveOptions = {}): InputResolution[] {
  return [...eachResolution(inputs, options)];
}

/** As resolveInputs, one input at a time (for a caller with something to do between them). */
export function* eachResolution(inputs: Iterable<string>, options: ResolveOptions = {}): Generator<InputResolution, void, undefined> {
  const resolver = new ProgramResolver(new RootFs(options.root ?? '/'), options);
  for (const input of inputs) yield resolveOne(resolver, input);
}

export function resolveOne(resolver: ProgramResolver, input: string): InputResolution {
  const empty = (kind: InputResolution['kind'], diagnostics: Diagnostic[] = []): InputResolution => ({ input, kind, needs: [], missing: [], diagnostics });
  let found: Lookup;
  try {
    found = locateInput(resolver, input);
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
  const info = resolver.elf.elfAt(found.path);
  if (info instanceof JailError && info.code !== 'ELF_NOT_ELF') {
    return empty('error', [{ code: info.code, severity: 'error', path: found.path, message: info.message }]);
  }
  const closure = resolver.closure(found, { kind: 'input' });
  const result: InputResolution = { input, kind: closure.kind, needs: closure.needs.list(), missing: closure.missing, diagnostics: closure.diagnostics };
  if (closure.tree) result.tree = closure.tree;
  return result;
}
