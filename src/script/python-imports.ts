/**
 * The modules a Python source file imports, found statically: `import a.b as c, d`, `from x import
 * y`, relative imports (`from . import y`, `from ..pkg import z`), and `__import__('name')` /
 * `importlib.import_module('name')` with a literal name. Written here: no npm package parses Python,
 * and a token scanner is enough for import statements (they cannot hide inside expressions).
 */

/** One import as written. */
export interface PythonImport {
  /** The module named (`a.b`), without the leading dots of a relative import. */
  module: string;
  /** Leading dots of a relative import (`from ..x import y`: 2); 0 for an absolute one. */
  level: number;
  /** `from MODULE import NAMES`: the names, each maybe a submodule (`*` for all). */
  names?: string[];
  line: number;
  /** Inside a function's body: run only when the function is called, not when the module is imported. */
  lazy: boolean;
}

/** An import whose module is computed at run time (`__import__(name)`), which no reading can know. */
export interface DynamicImport {
  line: number;
  text: string;
}

export interface PythonImports {
  imports: PythonImport[];
  dynamic: DynamicImport[];
  /** Literal folders the file puts on sys.path (`sys.path.insert(0, '/usr/share/x')`, `.append(...)`): `first` when inserted before the rest. */
  paths: Array<{ dir: string; first: boolean }>;
  /** String literals that are absolute paths under /usr (`'/usr/share/python3/debian_defaults'`): data the file may read. */
  named: Array<{ line: number; path: string }>;
}

/** Kinds of token, as TokenList keeps them; 0 is "no token" (before the first or past the last). */
const NAME = 1;
const OP = 2;
const STRING = 3;
const END_OF_LINE = 4;
type TokenKind = typeof NAME | typeof OP | typeof STRING | typeof END_OF_LINE;

/**
 * Tokens kept as columns (kind, line, indent in typed arrays; text in one array of strings) rather
 * than an object each: a file of the standard library runs to tens of thousands of tokens, and an
 * object per token was most of what following a program's Python imports allocated (24 MB for gdb's),
 * kept alive while the file was scanned and so copied by the young generation's collections.
 */
export class TokenList {
  #kinds: Uint8Array;
  #lines: Int32Array;
  /** Column of a logical line's first token; -1 for the others. */
  #indents: Int32Array;
  readonly #texts: string[] = [];
  length = 0;

  constructor(capacity: number) {
    const n = Math.max(16, capacity);
    this.#kinds = new Uint8Array(n);
    this.#lines = new Int32Array(n);
    this.#indents = new Int32Array(n);
  }

  push(kind: TokenKind, text: string, line: number, indent: number): void {
    if (this.length === this.#kinds.length) this.#grow();
    const at = this.length++;
    this.#kinds[at] = kind;
    this.#lines[at] = line;
    this.#indents[at] = indent;
    this.#texts.push(text);
  }

  #grow(): void {
    const n = this.#kinds.length * 2;
    const kinds = new Uint8Array(n);
    kinds.set(this.#kinds);
    const lines = new Int32Array(n);
    lines.set(this.#lines);
    const indents = new Int32Array(n);
    indents.set(this.#indents);
    this.#kinds = kinds;
    this.#lines = lines;
    this.#indents = indents;
  }

  /** The kind of token `i`, 0 when there is none. */
  kind(i: number): number {
    return i >= 0 && i < this.length ? (this.#kinds[i] as number) : 0;
  }

  /** The text of token `i` (a string's value; "\n" for a line end), undefined when there is none. */
  text(i: number): string | undefined {
    return i >= 0 && i < this.length ? this.#texts[i] : undefined;
  }

  line(i: number): number {
    return this.#lines[i] as number;
  }

  /** The column of token `i` when it starts a logical line, else undefined. */
  indent(i: number): number | undefined {
    const v = this.#indents[i] as number;
    return v >= 0 ? v : undefined;
  }
}

/** Longest name read as one token; a longer run of name characters goes on as the next token. */
const MAX_NAME = 200;

/** A character that may start a name: an ASCII letter, `_`, or any non-ASCII UTF-16 unit. */
function startsName(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code >= 0x80;
}

/** A character that may go on with a name: those that start one, and digits. */
function continuesName(code: number): boolean {
  return startsName(code) || (code >= 48 && code <= 57);
}

/** A string prefix letter: r, b, u, f in either case. */
function isPrefixLetter(code: number): boolean {
  switch (code) {
    case 114: // r
    case 82: // R
    case 98: // b
    case 66: // B
    case 117: // u
    case 85: // U
    case 102: // f
    case 70: // F
      return true;
    default:
      return false;
  }
}

const QUOTE = 39; // '
const DOUBLE_QUOTE = 34; // "
const BACKSLASH = 92;
const NEWLINE = 10;

function isQuote(code: number): boolean {
  return code === QUOTE || code === DOUBLE_QUOTE;
}

/**
 * Splits Python source into the tokens that matter here: names, operators, strings (their value),
 * logical line ends. One pass over the characters by their codes: a token's text is cut from the
 * source once (a string's value in one piece between escapes), as a file of the standard library
 * runs to thousands of tokens and docstrings to thousands of characters.
 */
export function pythonTokens(source: string): TokenList {
  // About one token for every six characters of real code: grown when that is not enough.
  const out = new TokenList(source.length >> 3);
  let line = 1;
  let depth = 0;
  let i = 0;
  let lineStart = 0;
  const n = source.length;
  const push = (kind: TokenKind, text: string, at: number, start: number): void => {
    const prev = out.kind(out.length - 1);
    out.push(kind, text, at, kind !== END_OF_LINE && (prev === 0 || prev === END_OF_LINE) ? start - lineStart : -1);
  };
  while (i < n) {
    const c = source.charCodeAt(i);
    if (c === NEWLINE) {
      if (depth === 0) push(END_OF_LINE, '\n', line, i);
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === 35 /* # */) {
      const end = source.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === BACKSLASH && source.charCodeAt(i + 1) === NEWLINE) {
      line++;
      i += 2;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 12 /* space, tab, CR, form feed */) {
      i++;
      continue;
    }
    // A string, with its prefix: up to two of r, b, u, f in either case, then a quote.
    let prefixLength = 0;
    if (isQuote(c)) prefixLength = 1;
    else if (isPrefixLetter(c)) {
      const c1 = source.charCodeAt(i + 1);
      if (isQuote(c1)) prefixLength = 2;
      else if (isPrefixLetter(c1) && isQuote(source.charCodeAt(i + 2))) prefixLength = 3;
    }
    if (prefixLength > 0) {
      const start = line;
      const at = i;
      let raw = false;
      for (let k = i; k < i + prefixLength - 1; k++) if ((source.charCodeAt(k) | 0x20) === 114 /* r or R */) raw = true;
      const quote = source.charCodeAt(i + prefixLength - 1);
      i += prefixLength;
      const triple = source.charCodeAt(i) === quote && source.charCodeAt(i + 1) === quote;
      if (triple) i += 2;
      // The value is cut from the source in pieces: from `from` up to each escape, and the escape's value.
      let value = '';
      let from = i;
      while (i < n) {
        const d = source.charCodeAt(i);
        if (d === BACKSLASH) {
          // An escape keeps the next character (a raw string keeps the backslash too); at the very end, nothing.
          value += source.slice(from, raw ? Math.min(i + 2, n) : i);
          if (!raw) value += source.charAt(i + 1);
          if (source.charCodeAt(i + 1) === NEWLINE) line++;
          i += 2;
          from = i;
          continue;
        }
        if (d === NEWLINE) {
          // An unterminated string: the line ends it (and is counted where line ends are).
          if (!triple) break;
          line++;
        }
        if (d === quote && (!triple || (source.charCodeAt(i + 1) === quote && source.charCodeAt(i + 2) === quote))) {
          value += source.slice(from, i);
          from = -1;
          i += triple ? 3 : 1;
          break;
        }
        i++;
      }
      if (from >= 0) value += source.slice(from, Math.min(i, n));
      push(STRING, value, start, at);
      continue;
    }
    if (startsName(c)) {
      const begin = i;
      const limit = Math.min(n, i + MAX_NAME);
      i++;
      while (i < limit && continuesName(source.charCodeAt(i))) i++;
      push(NAME, source.slice(begin, i), line, begin);
      continue;
    }
    if (c === 40 || c === 91 || c === 123 /* ( [ { */) depth++;
    else if (c === 41 || c === 93 || c === 125 /* ) ] } */) depth = Math.max(0, depth - 1);
    push(OP, source[i] as string, line, i);
    i++;
  }
  push(END_OF_LINE, '\n', line, i);
  return out;
}

/** Reads `a.b.c` from tokens at `at`; returns it and where it stopped. */
function dotted(tokens: TokenList, at: number): { name: string; next: number } | undefined {
  let i = at;
  if (tokens.kind(i) !== NAME) return undefined;
  let name = tokens.text(i) as string;
  i++;
  while (tokens.text(i) === '.' && tokens.kind(i + 1) === NAME) {
    name += `.${tokens.text(i + 1) as string}`;
    i += 2;
  }
  return { name, next: i };
}

/**
 * The literal value of the expression at `at` when it is a string or `os.path.join` of strings
 * (a later absolute part replaces what is before it, as os.path.join does), and the token after it.
 */
function literalPath(tokens: TokenList, at: number): { value: string; next: number } | undefined {
  if (tokens.kind(at) === STRING) return { value: tokens.text(at) as string, next: at + 1 };
  const call = ['os', '.', 'path', '.', 'join', '('];
  if (!call.every((text, k) => tokens.text(at + k) === text && tokens.kind(at + k) !== STRING)) return undefined;
  let value = '';
  let j = at + call.length;
  for (;;) {
    if (tokens.kind(j) !== STRING) return undefined;
    const part = tokens.text(j) as string;
    value = part.startsWith('/') || value === '' ? part : `${value.replace(/\/+$/, '')}/${part}`;
    j++;
    if (tokens.text(j) === ')') return { value, next: j + 1 };
    if (tokens.text(j) !== ',') return undefined;
    j++;
  }
}

/** An absolute path below /usr, without spaces, variables or globs, not a folder (no trailing slash). */
export const NAMED_FILE = /^\/usr\/[\w.+@-]+(?:\/[\w.+@-]+)+$/;

/** Where a statement may start: the file's start, a line end, `;`, or the `:` of a one-line block. */
function startsStatement(tokens: TokenList, at: number): boolean {
  const prev = tokens.kind(at - 1);
  const text = tokens.text(at - 1);
  return prev === 0 || prev === END_OF_LINE || text === ';' || text === ':';
}

/** The imports of a Python source file (see the module's comment). */
export function scanPythonImports(source: string): PythonImports {
  const tokens = pythonTokens(source);
  const imports: PythonImport[] = [];
  const dynamic: DynamicImport[] = [];
  const paths: PythonImports['paths'] = [];
  const named: PythonImports['named'] = [];
  // The indents of the `def`s the current line is inside.
  const defs: number[] = [];
  let lazy = false;
  for (let i = 0; i < tokens.length; i++) {
    const kind = tokens.kind(i);
    const text = tokens.text(i) as string;
    const line = tokens.line(i);
    const indent = tokens.indent(i);
    if (indent !== undefined) {
      while (defs.length > 0 && (defs[defs.length - 1] as number) >= indent) defs.pop();
      lazy = defs.length > 0;
      // A def's body, from the rest of its own line (`def f(): import x`) on, runs when it is called.
      if (text === 'def' || (text === 'async' && tokens.text(i + 1) === 'def')) {
        defs.push(indent);
        lazy = true;
      }
    }
    if (kind === STRING && NAMED_FILE.test(text)) named.push({ line, path: text });
    if (kind !== NAME) continue;
    if (text === 'sys' && tokens.text(i + 1) === '.' && tokens.text(i + 2) === 'path' && tokens.text(i + 3) === '.' && tokens.text(i + 5) === '(') {
      const how = tokens.text(i + 4);
      // sys.path.insert(N, DIR) / sys.path.append(DIR), DIR a literal absolute folder or an
      // os.path.join of literals (lilypond's scripts: os.path.join('/usr/share/lilypond/2.24.1', 'python')).
      const at = how === 'insert' && tokens.text(i + 7) === ',' ? i + 8 : how === 'append' ? i + 6 : -1;
      const arg = at < 0 ? undefined : literalPath(tokens, at);
      if (arg && tokens.text(arg.next) === ')' && arg.value.startsWith('/')) paths.push({ dir: arg.value.replace(/\/+$/, '') || '/', first: how === 'insert' });
      continue;
    }
    if (text === 'import' && startsStatement(tokens, i)) {
      // import a.b as c, d
      let j = i + 1;
      for (;;) {
        const d = dotted(tokens, j);
        if (!d) break;
        imports.push({ module: d.name, level: 0, line, lazy });
        j = d.next;
        if (tokens.text(j) === 'as') j += 2;
        if (tokens.text(j) !== ',') break;
        j++;
      }
    } else if (text === 'from' && startsStatement(tokens, i)) {
      // from ..a.b import (c as d, e)
      let j = i + 1;
      let level = 0;
      while (tokens.text(j) === '.') {
        level++;
        j++;
      }
      const d = dotted(tokens, j);
      const module = d && d.name !== 'import' ? d.name : '';
      if (d && d.name !== 'import') j = d.next;
      if (tokens.text(j) !== 'import') continue;
      j++;
      if (tokens.text(j) === '(') j++;
      const names: string[] = [];
      while (tokens.kind(j) === NAME || tokens.text(j) === '*') {
        names.push(tokens.text(j) as string);
        j++;
        if (tokens.text(j) === 'as') j += 2;
        if (tokens.text(j) !== ',') break;
        j++;
      }
      if (module === '' && level === 0) continue;
      imports.push({ module, level, names, line, lazy });
    } else if (text === '__import__' || text === 'import_module') {
      if (tokens.text(i + 1) !== '(') continue;
      const argKind = tokens.kind(i + 2);
      const arg = tokens.text(i + 2);
      const closes = tokens.text(i + 3) === ')' || tokens.text(i + 3) === ',';
      if (argKind === STRING && closes && /^[A-Za-z_][\w.]*$/.test(arg as string)) imports.push({ module: arg as string, level: 0, line, lazy });
      else if (argKind === STRING && closes && (arg as string).startsWith('.'))
        continue; // relative to a package argument
      else dynamic.push({ line, text: `${text}(${argKind === STRING ? JSON.stringify(arg) : (arg ?? '')}...)` });
    }
  }
  return { imports, dynamic, paths, named };
}
