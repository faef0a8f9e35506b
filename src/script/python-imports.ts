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

type Token = { kind: 'name' | 'op' | 'string' | 'newline'; text: string; line: number; /** Column of a logical line's first token. */ indent?: number };

/** Splits Python source into the tokens that matter here: names, operators, strings (their value), logical line ends. */
export function pythonTokens(source: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let depth = 0;
  let i = 0;
  let lineStart = 0;
  const n = source.length;
  const push = (kind: Token['kind'], text: string, at: number, start = i): void => {
    const prev = out[out.length - 1];
    const first = kind !== 'newline' && (prev === undefined || prev.kind === 'newline');
    out.push({ kind, text, line: at, ...(first ? { indent: start - lineStart } : {}) });
  };
  while (i < n) {
    const c = source[i] as string;
    if (c === '\n') {
      if (depth === 0) push('newline', '\n', line);
      line++;
      i++;
      lineStart = i;
      continue;
    }
    if (c === '#') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '\\' && source[i + 1] === '\n') {
      line++;
      i += 2;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    // A string, with its prefix (r, b, u, f and their pairs).
    const prefix = /^[rRbBuUfF]{0,2}(['"])/.exec(source.slice(i, i + 3));
    if (prefix && (prefix[0].length === 1 || /^[rRbBuUfF]+$/.test(prefix[0].slice(0, -1)))) {
      const start = line;
      const at = i;
      const raw = /[rR]/.test(prefix[0]);
      const quote = prefix[1] as string;
      i += prefix[0].length;
      const triple = source.startsWith(quote + quote, i);
      if (triple) i += 2;
      let value = '';
      while (i < n) {
        const d = source[i] as string;
        if (d === '\\' && !raw) {
          value += source[i + 1] ?? '';
          if (source[i + 1] === '\n') line++;
          i += 2;
          continue;
        }
        if (d === '\\' && raw) {
          value += d + (source[i + 1] ?? '');
          if (source[i + 1] === '\n') line++;
          i += 2;
          continue;
        }
        if (d === '\n') {
          line++;
          if (!triple) break; // an unterminated string: the line ends it
        }
        if (triple ? source.startsWith(quote.repeat(3), i) : d === quote) {
          i += triple ? 3 : 1;
          break;
        }
        value += d;
        i++;
      }
      push('string', value, start, at);
      continue;
    }
    const name = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*/.exec(source.slice(i, i + 200));
    if (name) {
      push('name', name[0], line);
      i += name[0].length;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth = Math.max(0, depth - 1);
    push('op', c, line);
    i++;
  }
  push('newline', '\n', line);
  return out;
}

/** Reads `a.b.c` from tokens at `at`; returns it and where it stopped. */
function dotted(tokens: Token[], at: number): { name: string; next: number } | undefined {
  let i = at;
  const first = tokens[i];
  if (first?.kind !== 'name') return undefined;
  let name = first.text;
  i++;
  while (tokens[i]?.text === '.' && tokens[i + 1]?.kind === 'name') {
    name += `.${(tokens[i + 1] as Token).text}`;
    i += 2;
  }
  return { name, next: i };
}

/** Where a statement may start: the file's start, a line end, `;`, or the `:` of a one-line block. */
/**
 * The literal value of the expression at `at` when it is a string or `os.path.join` of strings
 * (a later absolute part replaces what is before it, as os.path.join does), and the token after it.
 */
function literalPath(tokens: Token[], at: number): { value: string; next: number } | undefined {
  const t = tokens[at];
  if (t?.kind === 'string') return { value: t.text, next: at + 1 };
  const call = ['os', '.', 'path', '.', 'join', '('];
  if (!call.every((text, k) => tokens[at + k]?.text === text && tokens[at + k]?.kind !== 'string')) return undefined;
  let value = '';
  let j = at + call.length;
  for (;;) {
    const part = tokens[j];
    if (part?.kind !== 'string') return undefined;
    value = part.text.startsWith('/') || value === '' ? part.text : `${value.replace(/\/+$/, '')}/${part.text}`;
    j++;
    if (tokens[j]?.text === ')') return { value, next: j + 1 };
    if (tokens[j]?.text !== ',') return undefined;
    j++;
  }
}

/** An absolute path below /usr, without spaces, variables or globs, not a folder (no trailing slash). */
export const NAMED_FILE = /^\/usr\/[\w.+@-]+(?:\/[\w.+@-]+)+$/;

function startsStatement(tokens: Token[], at: number): boolean {
  const prev = tokens[at - 1];
  return prev === undefined || prev.kind === 'newline' || prev.text === ';' || prev.text === ':';
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
    const t = tokens[i] as Token;
    if (t.indent !== undefined) {
      while (defs.length > 0 && (defs[defs.length - 1] as number) >= t.indent) defs.pop();
      lazy = defs.length > 0;
      // A def's body, from the rest of its own line (`def f(): import x`) on, runs when it is called.
      if (t.text === 'def' || (t.text === 'async' && tokens[i + 1]?.text === 'def')) {
        defs.push(t.indent);
        lazy = true;
      }
    }
    if (t.kind === 'string' && NAMED_FILE.test(t.text)) named.push({ line: t.line, path: t.text });
    if (t.kind !== 'name') continue;
    if (t.text === 'sys' && tokens[i + 1]?.text === '.' && tokens[i + 2]?.text === 'path' && tokens[i + 3]?.text === '.' && tokens[i + 5]?.text === '(') {
      const how = tokens[i + 4]?.text;
      // sys.path.insert(N, DIR) / sys.path.append(DIR), DIR a literal absolute folder or an
      // os.path.join of literals (lilypond's scripts: os.path.join('/usr/share/lilypond/2.24.1', 'python')).
      const at = how === 'insert' && tokens[i + 7]?.text === ',' ? i + 8 : how === 'append' ? i + 6 : -1;
      const arg = at < 0 ? undefined : literalPath(tokens, at);
      if (arg && tokens[arg.next]?.text === ')' && arg.value.startsWith('/')) paths.push({ dir: arg.value.replace(/\/+$/, '') || '/', first: how === 'insert' });
      continue;
    }
    if (t.text === 'import' && startsStatement(tokens, i)) {
      // import a.b as c, d
      let j = i + 1;
      for (;;) {
        const d = dotted(tokens, j);
        if (!d) break;
        imports.push({ module: d.name, level: 0, line: t.line, lazy });
        j = d.next;
        if (tokens[j]?.text === 'as') j += 2;
        if (tokens[j]?.text !== ',') break;
        j++;
      }
    } else if (t.text === 'from' && startsStatement(tokens, i)) {
      // from ..a.b import (c as d, e)
      let j = i + 1;
      let level = 0;
      while (tokens[j]?.text === '.') {
        level++;
        j++;
      }
      const d = dotted(tokens, j);
      const module = d && d.name !== 'import' ? d.name : '';
      if (d && d.name !== 'import') j = d.next;
      if (tokens[j]?.text !== 'import') continue;
      j++;
      if (tokens[j]?.text === '(') j++;
      const names: string[] = [];
      while (tokens[j]?.kind === 'name' || tokens[j]?.text === '*') {
        names.push((tokens[j] as Token).text);
        j++;
        if (tokens[j]?.text === 'as') j += 2;
        if (tokens[j]?.text !== ',') break;
        j++;
      }
      if (module === '' && level === 0) continue;
      imports.push({ module, level, names, line: t.line, lazy });
    } else if (t.text === '__import__' || t.text === 'import_module') {
      if (tokens[i + 1]?.text !== '(') continue;
      const arg = tokens[i + 2];
      const closes = tokens[i + 3]?.text === ')' || tokens[i + 3]?.text === ',';
      if (arg?.kind === 'string' && closes && /^[A-Za-z_][\w.]*$/.test(arg.text)) imports.push({ module: arg.text, level: 0, line: t.line, lazy });
      else if (arg?.kind === 'string' && closes && arg.text.startsWith('.'))
        continue; // relative to a package argument
      else dynamic.push({ line: t.line, text: `${t.text}(${arg?.kind === 'string' ? JSON.stringify(arg.text) : (arg?.text ?? '')}...)` });
    }
  }
  return { imports, dynamic, paths, named };
}
