import type { Assign, CallExpr, CaseClause, CmdSubst, DblQuoted, DeclClause, File, ForClause, FuncDecl, IfClause, Lit, Node, ParamExp, SglQuoted, Stmt, Word, WordIter, WordPart } from 'mvdan-sh';
import { isWrapper, shellInvocation, SHELL_NAMES, wrappedCommand } from './command-wrappers.js';
import { isBuiltin } from './shell-builtins.js';
import { nodeType, OP, parseShell } from './shell-parse.js';
import { pureOutput, sedOutput } from './pure-commands.js';
import { isUnquotedExpansion, lineOf, unescape, wordText } from './shell-syntax.js';
import type { AnalyzeOptions, ShellAnalysis } from './shell-types.js';
import { concat, mapValues, one, removeAffix, union, type Values } from './shell-values.js';

export type { AnalyzeOptions, CommandUse, FileUse, ShellAnalysis, ShellHost, ShellWarning } from './shell-types.js';

type Env = Map<string, Values>;

const MAX_SOURCE_DEPTH = 8;
/** Deeper nesting of $(...) is no real script: it is reported, not followed. */
const MAX_SUBST_DEPTH = 64;

/**
 * Finds every program a shell script may run, by walking its syntax tree (mvdan-sh) with the
 * constant values of its variables: simple commands anywhere (pipelines, lists, `$(...)`, backticks,
 * subshells, `if`/`while`/`for`/`case`, functions), minus builtins and the script's own functions;
 * the commands that `exec`, `command`, `env`, `timeout`, `xargs`, `sh -c` and their kind run; files read
 * with `.`/`source`, analysed in place. What cannot be known statically is a warning with file and line.
 */
export function analyzeShellScript(text: string, file: string, options: AnalyzeOptions): ShellAnalysis {
  const parsed = parseShell(text, file, options.shell === 'sh');
  const result: ShellAnalysis = { commands: [], files: [], warnings: [] };
  if ('error' in parsed) {
    result.parseError = parsed.error;
    return result;
  }
  const walker = new Walker(options, result);
  const env: Env = new Map(Object.entries(options.env).map(([k, v]) => [k, one(v)]));
  walker.file(parsed.file, file, env, 0, parsed.unreachableFrom);
  walker.finish(env);
  return result;
}

interface Frame {
  file: string;
  depth: number;
}

/** How many calls of one function with different known arguments are followed. */
const MAX_CALLS_FOLLOWED = 8;
/** Files under /usr one script names as arguments of the programs it runs, at most (see #named). */
const MAX_NAMED_FILES = 32;
/** Env keys of a function's positional parameters: `\0pos1`..., and `\0pos#` their count. */
const POSITIONAL = '\0pos';

/** Binds a function call's arguments as its positional parameters. */
function setPositional(env: Env, args: Values[]): void {
  for (const k of [...env.keys()]) if (k.startsWith(POSITIONAL)) env.delete(k);
  args.forEach((a, i) => env.set(`${POSITIONAL}${i + 1}`, a));
  env.set(`${POSITIONAL}#`, one(String(args.length)));
}

/** The positional parameters bound in `env` (inside a function called with them), or undefined. */
function positional(env: Env): Values[] | undefined {
  const count = env.get(`${POSITIONAL}#`);
  if (!count || count.size !== 1) return undefined;
  const n = Number([...count][0]);
  return Array.from({ length: n }, (_, i) => env.get(`${POSITIONAL}${i + 1}`) ?? null);
}

/** Words `exec` handles itself rather than running a program of that name (`exec exec`, `exec command`). */
const SPECIAL_EXEC = new Set(['exec', 'command']);

/** `"$@"` or `$@` (or `$*`) alone as a word. */
function isAllPositional(w: Word): boolean {
  const parts = w.Parts;
  if (parts.length !== 1) return false;
  let part = parts[0] as Node;
  if (nodeType(part) === 'DblQuoted') {
    const inner = (part as DblQuoted).Parts;
    if (inner.length !== 1) return false;
    part = inner[0] as Node;
  }
  if (nodeType(part) !== 'ParamExp') return false;
  const p = part as ParamExp;
  return (p.Param?.Value === '@' || p.Param?.Value === '*') && !p.Exp && !p.Length && !p.Excl && !p.Index && !p.Slice && !p.Repl;
}

class Walker {
  readonly #opts: AnalyzeOptions;
  readonly #out: ShellAnalysis;
  readonly #functions = new Map<string, { body: Stmt; frame: Frame }>();
  readonly #analyzedFunctions = new Set<string>();
  /** Function calls followed, by name and argument values; and how many per function. */
  readonly #analyzedCalls = new Set<string>();
  readonly #callsFollowed = new Map<string, number>();
  #namedCount = 0;
  readonly #seen = new Set<string>();
  /** Inside `...` within "...": the shell reads \" there as a quote, mvdan-sh keeps it in the literal. */
  #backquoteInQuotes = 0;
  #substDepth = 0;
  /** Inside the right side of && or ||, or an if's branch: what runs there may not run at all. */
  #conditional = 0;
  /** While a function runs inside `$(...)`: what its echo and printf print, null once something is unknown. */
  #captures: Array<{ values: Values }> = [];

  constructor(opts: AnalyzeOptions, out: ShellAnalysis) {
    this.#opts = opts;
    this.#out = out;
  }

  /** Walks a whole file; top-level statements from line `unreachableFrom` on are never read by the shell. */
  file(f: File, name: string, env: Env, depth: number, unreachableFrom = Infinity): void {
    const reachable = unreachableFrom === Infinity ? f.Stmts : f.Stmts.filter((s) => s !== null && lineOf(s) < unreachableFrom);
    this.stmts(reachable, env, { file: name, depth });
  }

  /** Functions defined but never seen called are analysed too: they may be called in ways we cannot see. */
  finish(env: Env): void {
    for (const [name, fn] of this.#functions) {
      if (this.#analyzedFunctions.has(name)) continue;
      this.#analyzedFunctions.add(name);
      this.stmt(fn.body, new Map(env), fn.frame);
    }
  }

  #warn(frame: Frame, node: Node | null, message: string): void {
    const line = lineOf(node);
    // A function followed once per call says the same thing once.
    if (this.#out.warnings.some((w) => w.file === frame.file && w.line === line && w.message === message)) return;
    this.#out.warnings.push({ file: frame.file, line, message });
  }

  #use(name: string, frame: Frame, node: Node | null, how: string, env: Env, alternatives: string[] = []): void {
    const line = lineOf(node);
    const pathValues = env.get('PATH');
    const path = pathValues && pathValues.size === 1 ? ([...pathValues][0] as string) : null;
    const key = `${name}\0${frame.file}\0${line}\0${how}\0${path}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.#out.commands.push({ name, file: frame.file, line, how, path, alternatives: alternatives.filter((a) => a !== name) });
  }

  stmts(list: Array<Stmt | null>, env: Env, frame: Frame): void {
    for (const s of list) if (s) this.stmt(s, env, frame);
  }

  stmt(s: Stmt, env: Env, frame: Frame): void {
    const cmd = s.Cmd;
    if (cmd) this.command(cmd, env, frame);
    for (const r of s.Redirs) {
      if (!r) continue;
      if (r.Word) this.word(r.Word, env, frame);
      if (r.Hdoc) this.word(r.Hdoc, env, frame);
    }
  }

  command(cmd: Node, env: Env, frame: Frame): void {
    switch (nodeType(cmd)) {
      case 'CallExpr':
        this.call(cmd as CallExpr, env, frame);
        break;
      case 'BinaryCmd': {
        const b = cmd as unknown as { X: Stmt | null; Y: Stmt | null; Op: number };
        if (b.X) this.stmt(b.X, env, frame);
        if (b.Y) {
          // Pipeline parts run in subshells (bash); after && and || the right side may not run.
          const right = b.Op === OP.Pipe || b.Op === OP.PipeAll ? new Map(env) : env;
          if (b.Op === OP.AndStmt || b.Op === OP.OrStmt) {
            const branch = new Map(env);
            this.#conditional++;
            try {
              this.stmt(b.Y, branch, frame);
            } finally {
              this.#conditional--;
            }
            mergeInto(env, [branch, new Map(env)]);
          } else this.stmt(b.Y, right, frame);
        }
        break;
      }
      case 'Subshell':
        this.stmts((cmd as unknown as { Stmts: Array<Stmt | null> }).Stmts, new Map(env), frame);
        break;
      case 'Block':
        this.stmts((cmd as unknown as { Stmts: Array<Stmt | null> }).Stmts, env, frame);
        break;
      case 'IfClause':
        this.ifClause(cmd as IfClause, env, frame);
        break;
      case 'WhileClause': {
        const w = cmd as unknown as { Cond: Array<Stmt | null>; Do: Array<Stmt | null> };
        this.stmts(w.Cond, env, frame);
        const body = new Map(env);
        this.stmts(w.Do, body, frame);
        // A second pass sees the values the body assigns (a loop runs it again).
        mergeInto(env, [body, new Map(env)]);
        this.stmts(w.Cond, env, frame);
        break;
      }
      case 'ForClause': {
        const f = cmd as ForClause;
        const loop = f.Loop;
        const body = new Map(env);
        if (loop && nodeType(loop) === 'WordIter') {
          const iter = loop as unknown as WordIter;
          let values: Values = new Set();
          for (const item of iter.Items) if (item) values = union(values, this.word(item, env, frame));
          if (iter.Name) body.set(iter.Name.Value, iter.Items.length === 0 ? null : values);
        }
        this.stmts(f.Do, body, frame);
        mergeInto(env, [body, new Map(env)]);
        break;
      }
      case 'CaseClause': {
        const c = cmd as CaseClause;
        if (c.Word) this.word(c.Word, env, frame);
        const branches: Env[] = [new Map(env)];
        for (const item of c.Items) {
          if (!item) continue;
          for (const p of item.Patterns) if (p) this.word(p, env, frame);
          const branch = new Map(env);
          this.stmts(item.Stmts, branch, frame);
          branches.push(branch);
        }
        mergeInto(env, branches);
        break;
      }
      case 'FuncDecl': {
        const fn = cmd as FuncDecl;
        if (fn.Name && fn.Body) this.#functions.set(fn.Name.Value, { body: fn.Body, frame });
        break;
      }
      case 'DeclClause': {
        const d = cmd as DeclClause;
        for (const a of d.Args) if (a) this.assign(a, env, frame);
        break;
      }
      case 'TimeClause':
      case 'CoprocClause': {
        const inner = (cmd as unknown as { Stmt: Stmt | null }).Stmt;
        if (inner) this.stmt(inner, env, frame);
        break;
      }
      case 'TestClause':
        this.testExpr((cmd as unknown as { X: Node }).X, env, frame);
        break;
      default:
        // ArithmCmd, LetClause: no commands run there in practice.
        break;
    }
  }

  ifClause(c: IfClause, env: Env, frame: Frame): void {
    const branches: Env[] = [];
    let clause: IfClause | null = c;
    let hasElse = false;
    while (clause) {
      this.stmts(clause.Cond, env, frame);
      const branch = new Map(env);
      this.#conditional++;
      try {
        this.stmts(clause.Then, branch, frame);
      } finally {
        this.#conditional--;
      }
      branches.push(branch);
      if (clause.Cond.length === 0) hasElse = true;
      clause = clause.Else;
    }
    if (!hasElse) branches.push(new Map(env));
    mergeInto(env, branches);
  }

  testExpr(x: Node | null, env: Env, frame: Frame): void {
    if (!x) return;
    const t = nodeType(x);
    if (t === 'Word') this.word(x as Word, env, frame);
    else if (t === 'BinaryTest') {
      const b = x as unknown as { X: Node; Y: Node };
      this.testExpr(b.X, env, frame);
      this.testExpr(b.Y, env, frame);
    } else if (t === 'UnaryTest' || t === 'ParenTest') this.testExpr((x as unknown as { X: Node }).X, env, frame);
  }

  assign(a: Assign, env: Env, frame: Frame): void {
    const name = a.Name?.Value;
    if (!name) return;
    if (a.Naked) return;
    if (a.Array) {
      env.set(name, null);
      return;
    }
    let value = a.Value ? this.word(a.Value, env, frame) : one('');
    if (a.Append) value = concat([env.get(name) ?? one(''), value]);
    env.set(name, value);
  }

  /** Walks one simple command; returns the values of its words (each word is evaluated once). */
  call(c: CallExpr, env: Env, frame: Frame): Values[] {
    if (c.Args.length === 0) {
      for (const a of c.Assigns) if (a) this.assign(a, env, frame);
      return [];
    }
    // `VAR=value cmd`: the assignments hold for the command only, PATH lookups included.
    const cmdEnv = new Map(env);
    for (const a of c.Assigns) if (a) this.assign(a, cmdEnv, frame);
    const words: Values[] = [];
    const nodes: Array<Word | null> = [];
    for (const w of c.Args) {
      const all = w && isAllPositional(w) ? positional(env) : undefined;
      if (all) {
        for (const a of all) {
          words.push(a);
          nodes.push(w);
        }
        continue;
      }
      const value = w ? this.word(w, env, frame) : one('');
      // An unquoted expansion is split into fields: SSH="ssh -a -x"; $SSH host runs ssh.
      const fields = value && value.size === 1 && w && isUnquotedExpansion(w) ? ([...value][0] as string).split(/[ \t\n]+/).filter(Boolean) : null;
      if (fields && fields.length > 1) {
        for (const f of fields) {
          words.push(one(f));
          nodes.push(w);
        }
      } else {
        words.push(value);
        nodes.push(w);
      }
    }
    this.run(words, nodes, cmdEnv, env, frame, 'run', c);
    const capture = this.#captures[this.#captures.length - 1];
    const name = words[0]?.size === 1 ? ([...words[0]][0] as string) : undefined;
    if (capture && (name === 'echo' || name === 'printf') && !this.#functions.has(name)) {
      const printed = pureOutput(words, this.#opts.host);
      capture.values = printed === null || capture.values === null ? null : union(capture.values, printed);
    }
    return words;
  }

  /** Handles one command line given its words' values: builtins, functions, wrappers, programs. */
  run(words: Values[], nodes: Array<Word | null>, cmdEnv: Env, env: Env, frame: Frame, how: string, at: Node): void {
    const first = words[0];
    if (first === undefined) return;
    if (first === null) {
      this.#warn(frame, at, `command name not known statically: ${wordText(nodes[0] ?? null)}`);
      return;
    }
    const single = (i: number): string | null => {
      const v = words[i];
      return v && v.size === 1 ? ([...v][0] as string) : null;
    };
    for (const name of first) {
      if (name === '') continue;
      if (this.#functions.has(name) && how !== 'exec') {
        // Each call with other known arguments is followed again ($1, "$@" inside are those), up to
        // MAX_CALLS_FOLLOWED per function: `Run ${PAGER:-pager} "$@"` with `Run() { "$@"; }` runs pager.
        const args = words.slice(1);
        const key = `${name}\0${args.map((a) => (a === null ? '\u0001' : [...a].join('\u0002'))).join('\0')}`;
        const calls = this.#callsFollowed.get(name) ?? 0;
        if (!this.#analyzedCalls.has(key) && (calls < MAX_CALLS_FOLLOWED || !this.#analyzedFunctions.has(name))) {
          this.#analyzedCalls.add(key);
          this.#callsFollowed.set(name, calls + 1);
          this.#analyzedFunctions.add(name);
          const fn = this.#functions.get(name) as { body: Stmt; frame: Frame };
          const inner = new Map(env);
          setPositional(inner, args);
          this.stmt(fn.body, inner, fn.frame);
          // What the function assigns stays assigned after it (no `local` in sh), the positional ones aside.
          for (const [k, v] of inner) if (!k.startsWith(POSITIONAL)) env.set(k, v);
        }
        continue;
      }
      // `exec NAME` runs the program NAME, never the builtin of that name (`exec echo` needs /usr/bin/echo).
      if (!(how === 'exec' && !SPECIAL_EXEC.has(name)) && this.#builtin(name, words, nodes, env, frame, at, single)) continue;
      this.#use(name, frame, at, how, cmdEnv, [...first]);
      this.#named(words, frame, at);
      const base = name.split('/').pop() as string;
      if (isWrapper(base) && !isBuiltin(this.#opts.shell, base)) this.#wrapped(base, words, nodes, cmdEnv, env, frame, at);
      else if (SHELL_NAMES.has(base)) this.#shellRun(words, env, frame, at, single);
    }
  }

  /**
   * The arguments of a program run that are one known absolute path under /usr (no glob, no `..`):
   * files the program is told to read (musl-gcc's `-specs /usr/lib/.../musl-gcc.specs`); the resolver
   * brings those the root has as regular files. At most MAX_NAMED_FILES per analysis.
   */
  #named(words: Values[], frame: Frame, at: Node): void {
    for (const w of words.slice(1)) {
      if (this.#namedCount >= MAX_NAMED_FILES) return;
      if (!w || w.size !== 1) continue;
      const value = [...w][0] as string;
      if (!/^\/usr\/[^*?[\]\0]+$/.test(value) || value.split('/').includes('..') || value.endsWith('/')) continue;
      this.#namedCount++;
      this.#out.files.push({ path: value, file: frame.file, line: lineOf(at), how: 'named' });
    }
  }

  /** Builtins that matter: returns true when `name` is a builtin of this shell (handled here). */
  #builtin(name: string, words: Values[], nodes: Array<Word | null>, env: Env, frame: Frame, at: Node, single: (i: number) => string | null): boolean {
    if (!isBuiltin(this.#opts.shell, name)) return false;
    // The builtin's arguments that have one known value.
    const operands = (): string[] => words.slice(1).flatMap((_, i) => single(i + 1) ?? []);
    switch (name) {
      case 'exec':
      case 'command':
        this.#wrapped(name, words, nodes, env, env, frame, at);
        return true;
      case '.':
      case 'source': {
        const target = words[1];
        if (target === undefined) return true;
        if (target === null) {
          this.#warn(frame, at, `file read with ${name} not known statically: ${wordText(nodes[1] ?? null)}`);
          return true;
        }
        for (const t of target) this.#source(t, env, frame, at);
        return true;
      }
      case 'eval': {
        const textValues = concat(words.slice(1).flatMap((w, i) => (i === 0 ? [w] : [one(' '), w])));
        if (textValues === null) this.#warn(frame, at, 'eval of text not known statically');
        else for (const t of textValues) this.#inline(t, env, frame, at, 'eval');
        return true;
      }
      case 'trap': {
        const action = single(1);
        if (action !== null && action !== '-' && action !== '' && !/^\d+$/.test(action)) this.#inline(action, new Map(env), frame, at, 'trap');
        else if (words[1] === null) this.#warn(frame, at, 'trap action not known statically');
        return true;
      }
      case 'unset':
        for (const v of operands()) if (!v.startsWith('-')) env.delete(v);
        return true;
      case 'read':
      case 'getopts':
      case 'mapfile':
      case 'readarray':
        for (const v of operands()) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) env.set(v, null);
        return true;
      case 'export':
      case 'readonly':
      case 'local':
      case 'declare':
      case 'typeset':
        // Parsed as DeclClause in bash; in POSIX mode they come as plain words: NAME=VALUE.
        for (const v of operands()) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(v);
          if (m) env.set(m[1] as string, one(m[2] as string));
        }
        return true;
      default:
        return true;
    }
  }

  #wrapped(name: string, words: Values[], nodes: Array<Word | null>, cmdEnv: Env, env: Env, frame: Frame, at: Node): void {
    const found = wrappedCommand(name, words.map(forOptionParsing));
    switch (found.kind) {
      case 'command':
        this.run(words.slice(found.index), nodes.slice(found.index), cmdEnv, env, frame, name === 'exec' ? 'exec' : `via ${name}`, at);
        break;
      case 'fallback':
        this.#use(found.name, frame, at, `via ${name}`, cmdEnv);
        break;
      case 'split': {
        const parts = found.text.split(/[ \t]+/).filter(Boolean);
        this.run(
          parts.map(one),
          parts.map(() => null),
          cmdEnv,
          env,
          frame,
          `via ${name} -S`,
          at,
        );
        break;
      }
      case 'unknown':
        this.#warn(frame, at, `command run by ${name} not known statically: ${wordText(nodes[found.index] ?? null)}`);
        break;
      default:
        break;
    }
  }

  #shellRun(words: Values[], env: Env, frame: Frame, at: Node, single: (i: number) => string | null): void {
    const plain = words.map((_, i) => single(i));
    const inv = shellInvocation(words.map(forOptionParsing));
    if (inv.kind === 'none') return;
    const target = inv.kind === 'unknown' ? null : plain[inv.index];
    if (target === null || target === undefined) this.#warn(frame, at, `${inv.kind === 'string' ? 'text run by sh -c' : 'script run by a shell'} not known statically`);
    else if (inv.kind === 'string') this.#inline(target, new Map(env), frame, at, 'sh -c');
    else this.#out.files.push({ path: target, file: frame.file, line: lineOf(at), how: 'script' });
  }

  /** Text run by eval, trap or sh -c: parsed and walked as part of this script. */
  #inline(text: string, env: Env, frame: Frame, at: Node, how: string): void {
    const parsed = parseShell(text, frame.file, this.#opts.shell === 'sh');
    if ('error' in parsed) {
      this.#warn(frame, at, `${how} text could not be parsed: ${parsed.error}`);
      return;
    }
    // Lines inside the text are reported at the line of the command that runs it.
    const inner = new Walker(this.#opts, { commands: [], files: [], warnings: [] });
    for (const [k, v] of this.#functions) inner.#functions.set(k, v);
    inner.file(parsed.file, frame.file, env, frame.depth);
    const line = lineOf(at);
    for (const c of inner.#out.commands) this.#use(c.name, frame, at, c.how === 'run' ? `in ${how}` : `${c.how} in ${how}`, env);
    for (const f of inner.#out.files) this.#out.files.push({ ...f, line });
    for (const w of inner.#out.warnings) this.#out.warnings.push({ ...w, line });
  }

  #source(name: string, env: Env, frame: Frame, at: Node): void {
    if (frame.depth >= MAX_SOURCE_DEPTH) {
      this.#warn(frame, at, `${name}: sourced files nest too deeply; not followed`);
      return;
    }
    const pathValues = env.get('PATH');
    const path = pathValues && pathValues.size === 1 ? ([...pathValues][0] as string) : null;
    const found = this.#opts.host.readSource(name, path);
    this.#out.files.push({ path: found?.path ?? name, file: frame.file, line: lineOf(at), how: 'source', ...(this.#conditional > 0 ? { conditional: true } : {}) });
    if (!found) return;
    const parsed = parseShell(found.text, found.path, this.#opts.shell === 'sh');
    if ('error' in parsed) {
      this.#warn(frame, at, `${found.path}: could not be parsed: ${parsed.error}`);
      return;
    }
    this.file(parsed.file, found.path, env, frame.depth + 1);
  }

  /** The values a word may take; commands in its substitutions are recorded on the way. */
  word(w: Word, env: Env, frame: Frame): Values {
    return concat(w.Parts.map((p) => this.part(p, env, frame, false)));
  }

  part(p: WordPart, env: Env, frame: Frame, quoted: boolean): Values {
    switch (nodeType(p)) {
      case 'Lit': {
        const lit = (p as Lit).Value;
        return one(unescape(this.#backquoteInQuotes > 0 ? lit.replace(/\\"/g, '') : lit, quoted));
      }
      case 'SglQuoted':
        return one((p as SglQuoted).Value);
      case 'DblQuoted':
        return concat((p as DblQuoted).Parts.map((q) => this.part(q, env, frame, true)));
      case 'ParamExp':
        return this.param(p as ParamExp, env, frame);
      case 'CmdSubst': {
        const c = p as CmdSubst;
        const strip = quoted && c.Backquotes;
        if (strip) this.#backquoteInQuotes++;
        try {
          return this.cmdSubst(c, env, frame);
        } finally {
          if (strip) this.#backquoteInQuotes--;
        }
      }
      case 'ProcSubst':
        this.stmts((p as unknown as { Stmts: Array<Stmt | null> }).Stmts, new Map(env), frame);
        return null;
      default:
        return null;
    }
  }

  param(p: ParamExp, env: Env, frame: Frame): Values {
    const name = p.Param?.Value ?? '';
    if (p.Length || p.Excl || p.Index || p.Slice || p.Repl) {
      return null;
    }
    let value: Values | undefined;
    if (name === '0') value = one(this.#opts.argv0);
    else if (/^[1-9]$/.test(name) && env.has(`${POSITIONAL}${name}`)) value = env.get(`${POSITIONAL}${name}`) ?? null;
    else if (/^[1-9]$|^[@*#?$!-]$/.test(name)) value = null;
    else value = env.has(name) ? env.get(name) : undefined;

    const exp = p.Exp;
    if (!exp) return value === undefined ? null : value;
    const arg = (): Values => (exp.Word ? this.word(exp.Word, env, frame) : one(''));
    switch (exp.Op) {
      case OP.DefaultUnset:
      case OP.DefaultUnsetOrNull:
      case OP.AssignUnset:
      case OP.AssignUnsetOrNull: {
        // Unset (or unknown, so from the caller's environment): the default is what runs normally.
        let out: Values;
        if (value === undefined || value === null) out = arg();
        else if (exp.Op === OP.DefaultUnsetOrNull || exp.Op === OP.AssignUnsetOrNull) {
          const nonEmpty = new Set([...value].filter((v) => v !== ''));
          out = nonEmpty.size === value.size ? value : union(nonEmpty, arg());
        } else out = value;
        if ((exp.Op === OP.AssignUnset || exp.Op === OP.AssignUnsetOrNull) && name) env.set(name, out);
        return out;
      }
      case OP.AlternateUnset:
      case OP.AlternateUnsetOrNull:
        if (value === undefined) return one('');
        if (value === null) return union(one(''), arg());
        return arg();
      case OP.ErrorUnset:
      case OP.ErrorUnsetOrNull:
        return value === undefined ? null : value;
      case OP.RemSmallSuffix:
      case OP.RemLargeSuffix:
      case OP.RemSmallPrefix:
      case OP.RemLargePrefix: {
        if (value === undefined || value === null) return null;
        const patterns = arg();
        if (patterns === null || patterns.size !== 1) return null;
        const pattern = [...patterns][0] as string;
        const side = exp.Op === OP.RemSmallSuffix || exp.Op === OP.RemLargeSuffix ? 'suffix' : 'prefix';
        const longest = exp.Op === OP.RemLargeSuffix || exp.Op === OP.RemLargePrefix;
        return mapValues(value, (v) => removeAffix(v, pattern, side, longest));
      }
      default:
        return null;
    }
  }

  /**
   * Runs the substitution's commands (they are needed) and computes its output when that is simple.
   * Each word is evaluated once: nested substitutions cost in proportion to their size.
   */
  cmdSubst(c: CmdSubst, env: Env, frame: Frame): Values {
    if (this.#substDepth >= MAX_SUBST_DEPTH) {
      this.#warn(frame, c, `command substitutions nest more than ${MAX_SUBST_DEPTH} deep; the inner ones are not followed`);
      return null;
    }
    this.#substDepth++;
    // What an echo prints inside this substitution is its output, never that of a function around it.
    this.#captures.push({ values: null });
    try {
      const inner = new Map(env);
      const stmt = c.Stmts.length === 1 ? c.Stmts[0] : undefined;
      const call = stmt?.Cmd;
      if (stmt && call && nodeType(call) === 'CallExpr' && stmt.Redirs.length === 0) {
        // `$(find_python)`: a function of the script whose output is what its echo/printf print.
        const fnName = (call as CallExpr).Args.length === 1 ? wordText((call as CallExpr).Args[0] ?? null) : '';
        const fn = this.#functions.get(fnName);
        if (fn) {
          const capture = { values: new Set<string>() as Values };
          this.#captures.push(capture);
          try {
            this.stmt(fn.body, inner, fn.frame);
          } finally {
            this.#captures.pop();
          }
          return capture.values !== null && capture.values.size > 0 ? capture.values : null;
        }
        return pureOutput(this.call(call as CallExpr, inner, frame), this.#opts.host);
      }
      // `echo "$0" | sed -e 's,[^/]*$,,'`: a pure command's output through a simple sed substitution
      // (the script's folder, as ed's red and autoconf's wrappers compute it).
      if (stmt && call && nodeType(call) === 'BinaryCmd' && stmt.Redirs.length === 0) {
        const b = call as unknown as { X: Stmt | null; Y: Stmt | null; Op: number };
        const [left, right] = [b.X?.Cmd, b.Y?.Cmd];
        if (b.Op === OP.Pipe && left && right && nodeType(left) === 'CallExpr' && nodeType(right) === 'CallExpr' && b.X?.Redirs.length === 0 && b.Y?.Redirs.length === 0) {
          const printed = pureOutput(this.call(left as CallExpr, inner, frame), this.#opts.host);
          const filter = this.call(right as CallExpr, new Map(inner), frame);
          return printed === null ? null : sedOutput(filter, printed);
        }
      }
      this.stmts(c.Stmts, inner, frame);
      return null;
    } finally {
      this.#captures.pop();
      this.#substDepth--;
    }
  }
}

/**
 * A word as option parsing sees it: its value when it has one; when it may take several values none of
 * which looks like an option, any one of them (they all parse alike); else unknown.
 */
function forOptionParsing(w: Values): string | null {
  if (w === null || w.size === 0) return null;
  const list = [...w];
  if (list.length === 1) return list[0] as string;
  return list.every((v) => !v.startsWith('-') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) ? (list[0] as string) : null;
}

function mergeInto(env: Env, branches: Env[]): void {
  const keys = new Set<string>();
  for (const b of branches) for (const k of b.keys()) keys.add(k);
  for (const k of keys) {
    let merged: Values = new Set();
    for (const b of branches) merged = union(merged, b.has(k) ? (b.get(k) as Values) : one(''));
    env.set(k, merged);
  }
}
