import type { Code } from './codes.js';

/**
 * Errors are values with a code, the file they concern and, where it applies, the field.
 * The CLI prints `message` on one line; `--debug` adds the stack.
 */
export type ErrorCode = Extract<Code, 'ELF_NOT_ELF' | 'ELF_MALFORMED' | 'ELF_UNSUPPORTED' | 'IO_ERROR' | 'NOT_FOUND' | 'SYMLINK_LOOP' | 'PATH_ESCAPE' | 'LDCACHE_MALFORMED' | 'SOURCE_CHANGED' | 'USAGE' | 'INPUT' | 'INTERRUPTED'>;

export interface ErrorDetails {
  file?: string;
  field?: string;
  cause?: unknown;
  /** Several problems at once (a plan's): each a diagnostic with its own message. */
  problems?: Diagnostic[];
}

export class JailError extends Error {
  readonly code: ErrorCode;
  readonly file: string | undefined;
  readonly field: string | undefined;
  /** Every problem when there were several (the message joins them, one per line). */
  readonly problems: Diagnostic[];

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'JailError';
    this.code = code;
    this.file = details.file;
    this.field = details.field;
    this.problems = details.problems ?? [];
  }
}

/** A problem found while working that does not stop the work: collected, printed, counted. */
export interface Diagnostic {
  /** One of CODES (src/codes.ts). */
  code: Code;
  severity: 'error' | 'warning' | 'info';
  path: string;
  message: string;
}

/** Turns anything thrown into a one-line message that names the file when there is one. */
export function describeError(err: unknown): string {
  if (err instanceof JailError) {
    return err.message;
  }
  if (err instanceof Error) {
    const sys = err as NodeJS.ErrnoException;
    if (sys.code && sys.path) return `${sys.path}: ${sys.code} ${sys.message.replace(/^[A-Z]+: /, '')}`;
    return err.message;
  }
  return String(err);
}

/**
 * Text taken from a file (a command a script runs, a parse error) made safe for a one-line message:
 * control characters escaped (no line or terminal escape can be forged), and cut at `max` characters,
 * so a message never carries more than a glimpse of a file's contents.
 */
export function printable(text: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  const safe = text.replace(/[\0-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}
