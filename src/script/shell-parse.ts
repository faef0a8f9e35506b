import sh from 'mvdan-sh';
import type { File } from 'mvdan-sh';

const { syntax } = sh;

/**
 * mvdan-sh's numeric operator values (const enums in its typings, which a module cannot import).
 * Pinned to mvdan-sh 0.10.1; test/unit/shell-parse.test.ts checks them.
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

export type ParseResult = { file: File; dialect: 'bash' | 'posix' } | { error: string };

/**
 * Parses a shell script with mvdan-sh: as bash first (a superset for most scripts), then as POSIX sh
 * (which reads `((cmd ...` as nested subshells where bash sees arithmetic). Errors come back as one
 * line, `name:line:col: message`.
 */
export function parseShell(text: string, name: string, preferPosix = false): ParseResult {
  const dialects: Array<'bash' | 'posix'> = preferPosix ? ['posix', 'bash'] : ['bash', 'posix'];
  let firstError = '';
  for (const dialect of dialects) {
    try {
      const parser = syntax.NewParser(syntax.Variant(dialect === 'bash' ? syntax.LangBash : syntax.LangPOSIX));
      return { file: parser.Parse(text, name), dialect };
    } catch (err) {
      if (!firstError) firstError = describeParseError(err);
    }
  }
  return { error: firstError };
}

function describeParseError(err: unknown): string {
  // mvdan-sh throws Go errors; never print their stack (it holds the whole minified parser).
  const e = err as { Error?: () => string; message?: string };
  if (typeof e?.Error === 'function') return e.Error();
  return typeof e?.message === 'string' ? e.message.split('\n')[0] ?? 'parse error' : String(err).split('\n')[0] ?? 'parse error';
}

export const nodeType = (node: unknown): string => syntax.NodeType(node as never);
