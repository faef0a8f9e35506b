import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { DblQuoted, File, Lit, SglQuoted, Word, WordPart } from 'mvdan-sh';
import type shModule from 'mvdan-sh';
import { loadCommonJs } from '../io/code-cache.js';

/**
 * V8's code cache for mvdan-sh, made at build time (scripts/make-code-cache.mjs) beside the CLI
 * bundle; the same place from the bundle (dist/src/bundle/) and from this module (dist/src/script/).
 */
export const SHELL_PARSER_CACHE = fileURLToPath(new URL('../bundle/mvdan-sh.v8cache', import.meta.url));

/** Where mvdan-sh's code is (node_modules). */
export function shellParserFile(): string {
  return createRequire(import.meta.url).resolve('mvdan-sh');
}

/**
 * mvdan-sh is 1.5 MB of GopherJS: loaded on the first script, not by every command, with its code
 * cache (loading it took 155 ms compiled from source, 60 ms with the cache).
 */
let loaded: typeof shModule.syntax | undefined;
/** mvdan-sh's syntax package, loaded once: nodes it parsed must be walked by the same copy. */
export function syntaxModule(): typeof shModule.syntax {
  loaded ??= (loadCommonJs(shellParserFile(), SHELL_PARSER_CACHE).exports as typeof shModule).syntax;
  return loaded;
}

/**
 * mvdan-sh's numeric operator values (const enums in its typings, which a module cannot import).
 * Pinned to mvdan-sh 0.10.1; test/unit/shell-analysis.test.ts checks them.
 */
export const OP = {
  AndStmt: 10,
  OrStmt: 11,
  Pipe: 12,
  PipeAll: 13,
  AlternateUnset: 68,
  AlternateUnsetOrNull: 69,
  DefaultUnset: 70,
  DefaultUnsetOrNull: 71,
  ErrorUnset: 72,
  ErrorUnsetOrNull: 73,
  AssignUnset: 74,
  AssignUnsetOrNull: 75,
  RemSmallSuffix: 76,
  RemLargeSuffix: 77,
  RemSmallPrefix: 78,
  RemLargePrefix: 79,
} as const;

export type ParseResult = { file: File; dialect: 'bash' | 'posix'; unreachableFrom?: number } | { error: string };

/**
 * Parses a shell script with mvdan-sh: as bash first (a superset for most scripts), then as POSIX sh
 * (which reads `((cmd ...` as nested subshells where bash sees arithmetic). Errors come back as one
 * line, `name:line:col: message`.
 */
export function parseShell(text: string, name: string, preferPosix = false): ParseResult {
  const dialects: Array<'bash' | 'posix'> = preferPosix ? ['posix', 'bash'] : ['bash', 'posix'];
  let firstError = '';
  for (const dialect of dialects) {
    const syntax = syntaxModule();
    const parser = syntax.NewParser(syntax.Variant(dialect === 'bash' ? syntax.LangBash : syntax.LangPOSIX));
    try {
      return { file: parser.Parse(text, name), dialect };
    } catch (err) {
      if (!firstError) firstError = describeParseError(err);
    }
  }
  return parseReachablePart(text, name, preferPosix) ?? { error: firstError };
}

/**
 * A shell reads and runs one statement at a time, so text after a top-level `exec` or `exit` is never
 * read: polyglot files (`#!/bin/sh` + `'''exec' python3 "$0" "$@"` + Python) are valid scripts. When a
 * parse fails, the text before the failing line is parsed; if a top-level exec/exit ends it, that is
 * the script.
 */
function parseReachablePart(text: string, name: string, preferPosix: boolean): ParseResult | null {
  const lines = text.split('\n');
  let end = lines.length;
  for (let attempt = 0; attempt < 4; attempt++) {
    const prefix = lines.slice(0, end).join('\n');
    let file: File;
    try {
      const syntax = syntaxModule();
      file = syntax.NewParser(syntax.Variant(preferPosix ? syntax.LangPOSIX : syntax.LangBash)).Parse(prefix, name);
    } catch (err) {
      const line = Number(/:(\d+):\d+: /.exec(describeParseError(err))?.[1] ?? NaN);
      if (!(line > 1 && line - 1 < end)) return null;
      end = line - 1;
      continue;
    }
    for (const stmt of file.Stmts) {
      const cmd = stmt?.Cmd;
      if (!cmd || nodeType(cmd) !== 'CallExpr') continue;
      const args = (cmd as unknown as { Args: Array<Word | null> }).Args;
      const first = args[0] ? constantWord(args[0]) : null;
      if ((first === 'exec' && args.length > 1) || first === 'exit') {
        return { file, dialect: preferPosix ? 'posix' : 'bash', unreachableFrom: stmt.End().Line() + 1 };
      }
    }
    return null;
  }
  return null;
}

function describeParseError(err: unknown): string {
  // mvdan-sh throws Go errors; never print their stack (it holds the whole minified parser).
  const e = err as { Error?: () => string; message?: string };
  if (typeof e?.Error === 'function') return e.Error();
  return typeof e?.message === 'string' ? (e.message.split('\n')[0] ?? 'parse error') : (String(err).split('\n')[0] ?? 'parse error');
}

export const nodeType = (node: unknown): string => syntaxModule().NodeType(node as never);

/** The value of a word made only of literal and quoted text, else null. */
export function constantWord(word: Word): string | null {
  let out = '';
  const add = (p: WordPart): boolean => {
    switch (nodeType(p)) {
      case 'Lit':
        out += (p as Lit).Value.replace(/\\([\s\S])/g, '$1');
        return true;
      case 'SglQuoted':
        out += (p as SglQuoted).Value;
        return true;
      case 'DblQuoted':
        return (p as DblQuoted).Parts.every(add);
      default:
        return false;
    }
  };
  return word.Parts.every(add) ? out : null;
}
