import { type Diagnostic, JailError, printable } from '../errors.js';
import { type Reason, withOrigin } from '../model/reason.js';
import { joinInside } from '../rootfs/inside-path.js';
import type { Lookup, SourceRoot } from '../rootfs/source-root.js';
import { analyzeShellScript, type ShellAnalysis } from '../script/shell-analysis.js';
import { shellKindOf, type ShellKind } from '../script/shell-builtins.js';
import { envTarget, parseShebang } from '../script/shebang.js';
import { ElfResolver, type ElfResolverOptions, type LoadedObject, type MissingLibrary } from './elf-resolver.js';
import { followPerlUses, followPythonImports, type ModuleHost } from './interpreter-modules.js';
import { folderContents, type KnownBringing, knownReadsOf, MAX_FOLDER_DEPTH, MAX_FOLDER_FILES, namesProgram, programName, systemOwned } from './known-reads.js';
import { followNodeRequires } from './node-modules.js';
import { NeedSet } from './need-set.js';

/** The PATH used to find a bare program name inside the root when nothing else sets one. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Scripts larger than this are not parsed (reported): no real wrapper script is that big. */
const MAX_SCRIPT_BYTES = 4 * 1024 * 1024;
/** Programs running programs running programs...: deeper chains are reported, not followed. */
const MAX_DEPTH = 24;

export interface ProgramResolverOptions extends ElfResolverOptions {
  /** PATH inside the root for bare names and for scripts that set none. */
  path?: string;
  /**
   * Whether files the host keeps from other users (see hostPrivacy) are left unread: a script that
   * sources /etc/shadow must not have shadow's lines parsed and echoed in warnings. Default true; an
   * audit, whose root is a jail with its own modes, turns it off.
   */
  guardPrivate?: boolean;
  /** Whether what program families are known to read or run comes too (KNOWN_READS). Default true. */
  knownReads?: boolean;
}

/** A program, interpreter or command that could not be found. */
export interface MissingItem extends MissingLibrary {
  /** Line of the script that runs it, for commands. */
  line?: number;
}

/** Everything one program needs: its own file, its libraries, interpreters, and what its scripts run. */
export interface ProgramClosure {
  kind: 'elf' | 'static' | 'library' | 'script' | 'file';
  needs: NeedSet;
  missing: MissingItem[];
  diagnostics: Diagnostic[];
  /** The ELF load tree of the program itself (not of what its scripts run). */
  tree?: LoadedObject;
}

/** One program being resolved: what it brought in so far, and what was already visited. */
interface Walk {
  needs: NeedSet;
  missing: MissingItem[];
  diagnostics: Diagnostic[];
  visited: Set<string>;
  tree?: LoadedObject;
}

/**
 * Resolves programs of any kind inside a root: ELF files through the loader's rules, scripts through
 * their `#!` interpreter and, for shell scripts, every program they run, followed recursively
 * (ps2pdf → ps2pdf14 → ps2pdfwr → gs). Analyses of scripts are kept for the life of the resolver.
 */
export class ProgramResolver {
  readonly fs: SourceRoot;
  readonly elf: ElfResolver;
  readonly options: ProgramResolverOptions;
  readonly #scripts = new Map<string, ShellAnalysis>();
  readonly #known = new Map<string, KnownBringing[]>();
  readonly #moduleScans = new Map<string, unknown>();
  /** Per file of a closure: whether what it brings depends on the program's name. */
  readonly #knownByName = new Map<string, boolean>();
  /** The contents of each folder a known read brings, walked once for all the programs that need it. */
  readonly #folders = new Map<string, ReturnType<typeof folderContents>>();

  constructor(fs: SourceRoot, options: ProgramResolverOptions = {}) {
    this.fs = fs;
    this.options = options;
    this.elf = new ElfResolver(fs, options);
  }

  get defaultPath(): string {
    return this.options.path ?? DEFAULT_PATH;
  }

  /** Finds a bare program name through a PATH inside the root: the first regular file. */
  which(name: string, searchPath: string): Lookup | undefined {
    for (const dir of searchPath.split(':')) {
      if (!dir.startsWith('/')) continue;
      let found: Lookup;
      try {
        found = this.fs.lookup(joinInside(dir, name));
      } catch (err) {
        if (err instanceof JailError) continue;
        throw err;
      }
      if (found.kind === 'file' && ((found.stats?.mode ?? 0) & 0o111) !== 0) return found;
    }
    return undefined;
  }

  /** The closure of a program already found (a regular file). */
  closure(found: Lookup, reason: Reason = { kind: 'input' }): ProgramClosure {
    const walk: Walk = { needs: new NeedSet(this.fs), missing: [], diagnostics: [], visited: new Set() };
    const kind = this.#visit(found, found.requested, reason, walk, 0);
    const result: ProgramClosure = { kind, needs: walk.needs, missing: dedupe(walk.missing), diagnostics: walk.diagnostics };
    if (walk.tree) result.tree = walk.tree;
    return result;
  }

  #visit(found: Lookup, invokedAs: string, reason: Reason, walk: Walk, depth: number): ProgramClosure['kind'] {
    walk.needs.addLookup(found, reason);
    const key = `${found.path}\0${invokedAs}`;
    if (walk.visited.has(key)) return 'file';
    walk.visited.add(key);
    if (depth > MAX_DEPTH) {
      walk.diagnostics.push({ code: 'CHAIN_TOO_DEEP', severity: 'warning', path: found.path, message: `${found.path}: programs run programs more than ${MAX_DEPTH} levels deep; not followed further` });
      return 'file';
    }
    const info = this.elf.elfAt(found.path);
    if (!(info instanceof JailError)) {
      // Known reads are applied in path order (the first reason found is kept); without them the
      // needs are only merged, and sorted once, at the end.
      const closure = this.elf.closure(found, info, reason, this.options.knownReads === false ? 'unsorted' : 'sorted');
      walk.needs.merge(closure.needs);
      for (const m of closure.missing) walk.missing.push(m);
      for (const d of closure.diagnostics) walk.diagnostics.push(d);
      if (depth === 0 && closure.root) walk.tree = closure.root;
      for (const need of closure.needs) if (need.kind === 'file') this.#knownReads(need.path, invokedAs, reason, walk, depth);
      return closure.linkage === 'dynamic' ? 'elf' : closure.linkage;
    }
    if (info.code !== 'ELF_NOT_ELF') {
      walk.diagnostics.push({ code: info.code, severity: 'error', path: found.path, message: info.message });
      return 'file';
    }
    const head = this.elf.headOf(found.path);
    const shebang = head ? parseShebang(head) : null;
    if (!shebang) return 'file';
    this.#script(found, invokedAs, shebang, reason, walk, depth);
    this.#knownReads(found.path, invokedAs, reason, walk, depth);
    return 'script';
  }

  /**
   * What the family of `file` (a file of the closure) is known to read or run (KNOWN_READS): files are
   * resolved like a program, folders come with everything in them, an embedded interpreter brings its
   * start-up modules. Each entry is applied once per file and program name in a walk.
   */
  #knownReads(file: string, invokedAs: string, reason: Reason, walk: Walk, depth: number): void {
    if (this.options.knownReads === false) return;
    // The same library is met by many programs: what it brings is found once (per program name, for {program}).
    let byName = this.#knownByName.get(file);
    if (byName === undefined) this.#knownByName.set(file, (byName = namesProgram(file)));
    const memo = byName ? `${file}\0${programName(invokedAs)}` : file;
    let bringings = this.#known.get(memo);
    if (bringings === undefined) {
      bringings = knownReadsOf(this.fs, file, invokedAs);
      this.#known.set(memo, bringings);
    }
    for (const b of bringings) {
      const key = `known\0${file}\0${b.entry.what}\0${b.paths.join('\0')}`;
      if (walk.visited.has(key)) continue;
      walk.visited.add(key);
      const why = withOrigin({ kind: 'known-read', from: file, detail: b.entry.what }, reason.origin);
      for (const path of b.paths) {
        const at = this.#lookupPath(path);
        // Only the system's own files and folders (not a link's target an ordinary account owns).
        if (at === undefined || !systemOwned(this.fs, at.path)) continue;
        if (at.kind === 'file') {
          if (this.#privacy(at.path) === null) this.#visit(at, at.requested, why, walk, depth + 1);
        } else if (at.kind === 'directory') {
          walk.needs.addLookup(at, why, 'data');
          let contents = this.#folders.get(at.path);
          if (contents === undefined) this.#folders.set(at.path, (contents = folderContents(this.fs, at.path)));
          const { files, truncated, refused } = contents;
          for (const f of files) if (f.kind === 'file' || f.links.length > 0) walk.needs.addLookup(f, why, 'data');
          if (refused.length > 0) {
            walk.diagnostics.push({
              code: 'KNOWN_READ_REFUSED',
              severity: 'warning',
              path: at.path,
              message: `${at.path}: ${refused.length} entr${refused.length === 1 ? 'y' : 'ies'} left out (owned by an ordinary account, or a link that loops or leads to such a file): ${refused.slice(0, 3).join(', ')}${refused.length > 3 ? ', ...' : ''}`,
            });
          }
          if (truncated) {
            walk.diagnostics.push({
              code: 'KNOWN_READ_LIMIT',
              severity: 'warning',
              path: at.path,
              message: `${at.path}: more than ${MAX_FOLDER_FILES} entries or ${MAX_FOLDER_DEPTH} levels; only the first came (${b.entry.what})`,
            });
          }
        }
      }
      const program: Lookup = { requested: file, path: file, links: [], kind: 'file' };
      if (b.startup !== undefined) followPythonImports(this.#moduleHost(walk, depth), program, b.startup, why, { startupOnly: true });
      const modules = b.entry.pythonModules;
      if (modules !== undefined) {
        // With the interpreter the program links (libpython3.11.so.1.0 in its closure).
        const lib = walk.needs.list().find((n) => /\/libpython[0-9]+\.[0-9]+\.so/.test(n.path));
        const version = lib ? /libpython([0-9]+\.[0-9]+)/.exec(lib.path)?.[1] : undefined;
        if (version !== undefined) followPythonImports(this.#moduleHost(walk, depth), program, `/usr/bin/python${version}`, why, { startupOnly: true, modules });
      }
    }
  }

  #script(found: Lookup, invokedAs: string, shebang: NonNullable<ReturnType<typeof parseShebang>>, reason: Reason, walk: Walk, depth: number): void {
    const file = found.path;
    const interp = this.#lookupPath(shebang.interpreter);
    const why = withOrigin({ kind: 'interpreter', from: file }, reason.origin);
    if (!interp) {
      walk.missing.push({ name: shebang.interpreter, neededBy: file, how: 'PT_INTERP' });
      walk.diagnostics.push({ code: 'INTERPRETER_MISSING', severity: 'error', path: file, message: `${file}: its interpreter ${shebang.interpreter} is not in the root` });
      return;
    }
    this.#visit(interp, interp.requested, why, walk, depth + 1);

    let shell: ShellKind | null = shellKindOf(shebang.interpreter, shebang.argument);
    let language = shebang.interpreter.split('/').pop() ?? shebang.interpreter;
    let interpreterPath = interp.path;
    if (language === 'env') {
      const target = envTarget(shebang.argument ?? '');
      if (!target.program) {
        walk.diagnostics.push({ code: 'SCRIPT_UNKNOWN', severity: 'warning', path: file, message: `${file}:1: #!${shebang.line.trim()} names no program` });
        return;
      }
      language = target.program.split('/').pop() ?? target.program;
      shell = shellKindOf(target.program);
      const program = target.program.includes('/') ? this.#lookupPath(target.program) : this.which(target.program, this.defaultPath);
      if (!program) {
        walk.missing.push({ name: target.program, neededBy: file, how: 'PT_INTERP' });
        return;
      }
      this.#visit(program, program.requested, withOrigin({ kind: 'env-program', from: file }, reason.origin), walk, depth + 1);
      interpreterPath = program.path;
    }
    if (shell === null && /^python[0-9.]*$/.test(language)) {
      followPythonImports(this.#moduleHost(walk, depth), found, interpreterPath, reason);
      return;
    }
    if (shell === null && /^perl[0-9.]*$/.test(language)) {
      followPerlUses(this.#moduleHost(walk, depth), found, reason);
      return;
    }
    if (shell === null && /^node(js)?[0-9.]*$/.test(language)) {
      followNodeRequires(this.#moduleHost(walk, depth), found, interpreterPath, reason);
      return;
    }
    if (shell === null) {
      walk.diagnostics.push({
        code: 'SCRIPT_NOT_FOLLOWED',
        severity: 'warning',
        path: file,
        message: `${file}: a ${language} script: its interpreter is included, the modules and programs it uses are not followed`,
      });
      return;
    }
    this.#followShell(found, invokedAs, shell, reason, walk, depth);
  }

  #followShell(found: Lookup, invokedAs: string, shell: ShellKind, reason: Reason, walk: Walk, depth: number): void {
    const file = found.path;
    const privacy = this.#privacy(file);
    if (privacy !== null) {
      walk.diagnostics.push({ code: 'PRIVATE_NOT_READ', severity: 'warning', path: file, message: `${file}: not read: the host keeps it from others (${privacy}); the programs it runs are not followed` });
      return;
    }
    const analysis = this.#analyze(file, invokedAs, shell);
    if (!analysis) {
      walk.diagnostics.push({ code: 'SCRIPT_UNREADABLE', severity: 'warning', path: file, message: `${file}: too large or unreadable; the programs it runs are not followed` });
      return;
    }
    if (analysis.parseError) {
      walk.diagnostics.push({ code: 'SCRIPT_PARSE', severity: 'warning', path: file, message: `${printable(analysis.parseError, 200)}: the programs it runs are not followed` });
    }
    for (const w of analysis.warnings) {
      walk.diagnostics.push({ code: 'SCRIPT_UNKNOWN', severity: 'warning', path: w.file, message: `${w.file}:${w.line}: ${printable(w.message, 200)}` });
    }
    for (const use of analysis.files) {
      const at = this.#lookupPath(use.path);
      if (use.how === 'named') {
        // A file a program is told to read: brought when the root has it and it is not kept from others.
        if (at?.kind === 'file' && at.path.startsWith('/usr/') && systemOwned(this.fs, at.path) && this.#privacy(at.path) === null) {
          walk.needs.addLookup(at, withOrigin({ kind: 'named-by', from: use.file, line: use.line }, reason.origin), 'data');
        }
        continue;
      }
      if (use.how === 'source') {
        if (at?.kind === 'file') walk.needs.addLookup(at, withOrigin({ kind: 'sourced-by', from: use.file, line: use.line }, reason.origin), 'data');
        else if (use.conditional) {
          walk.diagnostics.push({
            code: 'SOURCED_IF_PRESENT',
            severity: 'info',
            path: use.file,
            message: `${use.file}:${use.line}: sources ${printable(use.path)} only under a condition (such as \`[ -f FILE ] && . FILE\`); the root has no such file`,
          });
        } else walk.missing.push({ name: printable(use.path), neededBy: use.file, how: 'input', line: use.line });
      } else if (at?.kind === 'file') {
        const runBy = withOrigin({ kind: 'run-by', from: use.file, line: use.line }, reason.origin);
        walk.needs.addLookup(at, runBy);
        // `sh "$0"` and its kind run the script itself again: each script is followed once.
        const key = `${at.path}\0${at.requested}\0${shell}`;
        if (walk.visited.has(key) || depth >= MAX_DEPTH) continue;
        walk.visited.add(key);
        this.#followShell(at, at.requested, shell, runBy, walk, depth + 1);
      }
    }
    for (const use of analysis.commands) {
      const found = this.#command(use.name, use.path ?? this.defaultPath);
      if (found) {
        this.#visit(found, found.requested, withOrigin({ kind: 'run-by', from: use.file, line: use.line }, reason.origin), walk, depth + 1);
        continue;
      }
      const alternativeFound = use.alternatives.some((alt) => this.#command(alt, use.path ?? this.defaultPath) !== undefined);
      if (alternativeFound) continue;
      if (!use.name.includes('/') || use.name.startsWith('/')) {
        walk.missing.push({ name: printable(use.name), neededBy: use.file, how: 'command', line: use.line });
      } else {
        walk.diagnostics.push({ code: 'SCRIPT_UNKNOWN', severity: 'warning', path: use.file, message: `${use.file}:${use.line}: ${printable(use.name)} is relative to the working directory, which is not known` });
      }
    }
  }

  /** How module following (Python, Perl) adds to this program's walk. */
  #moduleHost(walk: Walk, depth: number): ModuleHost {
    return {
      fs: this.fs,
      lookup: (path) => this.#lookupPath(path),
      addFile: (at, why) => {
        walk.needs.addLookup(at, why, 'data');
        this.#knownReads(at.path, at.requested, why, walk, depth);
      },
      addProgram: (at, why) => {
        this.#visit(at, at.requested, why, walk, depth + 1);
      },
      diagnostics: walk.diagnostics,
      scans: this.#moduleScans,
      isPrivate: (realPath) => this.#privacy(realPath) !== null,
      runCommand: (name, _from, _line, why) => {
        const found = this.#command(name, this.defaultPath);
        if (found) this.#visit(found, found.requested, why, walk, depth + 1);
        return found !== undefined;
      },
    };
  }

  #command(name: string, searchPath: string): Lookup | undefined {
    if (!name.includes('/')) return this.which(name, searchPath);
    if (!name.startsWith('/')) return undefined;
    const found = this.#lookupPath(name);
    return found?.kind === 'file' ? found : undefined;
  }

  #privacy(realPath: string): string | null {
    return this.options.guardPrivate === false ? null : this.fs.privacyOf(realPath);
  }

  #lookupPath(path: string): Lookup | undefined {
    try {
      const found = this.fs.lookup(path);
      return found.kind === 'missing' ? undefined : found;
    } catch (err) {
      if (err instanceof JailError) return undefined;
      throw err;
    }
  }

  #analyze(file: string, invokedAs: string, shell: ShellKind): ShellAnalysis | null {
    const key = `${file}\0${invokedAs}\0${shell}`;
    let analysis = this.#scripts.get(key);
    if (analysis) return analysis;
    const found = this.fs.lookup(file);
    if (found.kind !== 'file' || (found.stats?.size ?? 0) > MAX_SCRIPT_BYTES) return null;
    const text = this.fs.readText(file);
    if (text === null) return null;
    analysis = analyzeShellScript(text, file, {
      shell,
      argv0: invokedAs,
      env: { PATH: this.defaultPath },
      host: {
        readSource: (name, path) => {
          const at = name.includes('/') ? this.#lookupPath(name) : (this.which(name, path ?? this.defaultPath) ?? this.#lookupPath(name));
          if (!at || at.kind !== 'file' || (at.stats?.size ?? 0) > MAX_SCRIPT_BYTES) return null;
          // Never parsed: its lines would come back in warnings. The plan then refuses to copy it.
          if (this.#privacy(at.path) !== null) return null;
          const body = this.fs.readText(at.path);
          return body === null ? null : { path: at.path, text: body };
        },
        realpath: (path) => {
          const at = this.#lookupPath(path);
          return at ? at.path : null;
        },
      },
    });
    this.#scripts.set(key, analysis);
    return analysis;
  }
}

function dedupe(list: MissingItem[]): MissingItem[] {
  const seen = new Set<string>();
  return list.filter((m) => {
    const key = `${m.name}\0${m.neededBy}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
