/**
 * The modules a JavaScript file loads, found statically as vercel's nft does at its simplest:
 * `require('x')`, `require.resolve('x')`, `import ... from 'x'`, `import 'x'`, `export ... from 'x'`,
 * `import('x')`, and `require(path.resolve(__dirname, 'x'))` / `path.join(__dirname, 'x')` (npm's
 * `cli/entry.js`). A template literal with a folder written out (`require(`./commands/${name}.js`)`)
 * names every file of that folder; any other computed name is unknown. Comments are skipped; strings
 * are not parsed as code. Written here: a JavaScript parser (acorn, babel) would be a large dependency
 * for the handful of forms that matter, and nft itself is tied to its own file system layer.
 */

export interface JsRequire {
  /** The request as written (`./lib/x.js`, `semver`, `node:fs`). */
  request: string;
  line: number;
}

export interface JsRequires {
  requires: JsRequire[];
  /**
   * `path.resolve(__dirname, 'x')` / `path.join(__dirname, 'x')` anywhere (npm keeps the path in a
   * variable it requires later): relative requests that may name a module or a data file; brought when
   * the root has them, silently left when not (a folder of templates, a file written at run time).
   */
  nearby: JsRequire[];
  /** `require(`./dir/${x}.js`)`: the folder (as a request, `./dir`) and the file name's ending (`.js`). */
  families: Array<{ folder: string; suffix: string; line: number; text: string }>;
  /** `require(name)`: which module is known only at run time. */
  dynamic: Array<{ line: number; text: string }>;
}

/** The source with comments blanked (newlines kept, so line numbers hold), and the inside of strings that hold a parenthesis. */
function withoutComments(source: string): string {
  const out: string[] = [];
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i] as string;
    const next = source[i + 1];
    if (c === '/' && next === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      out.push(source.slice(i, stop).replace(/[^\n]/g, ' '));
      i = stop;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < n && source[j] !== c) {
        if (source[j] === '\\') j++;
        else if (c !== '`' && source[j] === '\n') break;
        j++;
      }
      // A string holding a parenthesis is no module name but may hold code-like text
      // (`'require("x") is...'`): its inside is blanked so no form matches in it.
      const text = source.slice(i, j + 1);
      out.push(c !== '`' && text.includes('(') ? `${c}${text.slice(1, -1).replace(/[^\n]/g, ' ')}${text.slice(-1)}` : text);
      i = j + 1;
      continue;
    }
    out.push(c);
    i++;
  }
  return out.join('');
}

const STRING = String.raw`(['"])((?:(?!\1)[^\\\n]|\\.)*)\1`;
const FORMS: RegExp[] = [
  new RegExp(String.raw`\brequire\s*(?:\.resolve\s*)?\(\s*${STRING}\s*[,)]`, 'g'),
  new RegExp(String.raw`\bimport\s*\(\s*${STRING}\s*[,)]`, 'g'),
  new RegExp(String.raw`(?:^|[;}\n])\s*import\s+(?:[\w$*{}\s,]+?\s+from\s+)?${STRING}`, 'g'),
  new RegExp(String.raw`(?:^|[;}\n])\s*export\s+(?:\*|\*\s+as\s+[\w$]+|\{[^}]*\})\s+from\s+${STRING}`, 'g'),
];
/** `path.resolve(__dirname, 'x')`, `require('node:path').join(__dirname, 'x')`: relative to the file's folder. */
const DIRNAME_JOIN = new RegExp(String.raw`(?:\bpath\s*\.|\)\s*\.|[^\w.$])(?:resolve|join)\s*\(\s*__dirname\s*,\s*${STRING}\s*\)`, 'g');
const TEMPLATE = /\brequire\s*\(\s*`((?:\.{1,2}\/)(?:[\w.@+-]+\/)*)\$\{[^}`]*\}([\w.-]*)`\s*\)/g;
const ANY_REQUIRE = /\brequire\s*\(\s*([^)'"`\s][^)]{0,60})\)/g;

/** Line numbers by offset: the offsets where lines start, searched by halves. */
function lineFinder(source: string): (index: number) => number {
  const starts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return (index) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** The modules a JavaScript file loads (see the module's comment). */
export function scanJsRequires(source: string): JsRequires {
  const code = withoutComments(source);
  const lineAt = lineFinder(code);
  const result: JsRequires = { requires: [], nearby: [], families: [], dynamic: [] };
  const seen = new Set<string>();
  const add = (request: string, index: number): void => {
    if (request === '' || seen.has(request)) return;
    seen.add(request);
    result.requires.push({ request, line: lineAt(index) });
  };
  for (const form of FORMS) for (const m of code.matchAll(form)) add(m[3] ?? m[2] ?? '', (m.index ?? 0) + m[0].length);
  for (const m of code.matchAll(DIRNAME_JOIN)) {
    const rel = (m[2] ?? '').replace(/^\.\//, '');
    if (rel === '' || rel.startsWith('/')) continue;
    result.nearby.push({ request: rel.startsWith('../') ? rel : `./${rel}`, line: lineAt(m.index ?? 0) });
  }
  for (const m of code.matchAll(TEMPLATE)) {
    const folder = (m[1] as string).replace(/\/$/, '') || '.';
    result.families.push({ folder, suffix: m[2] ?? '', line: lineAt(m.index ?? 0), text: m[0].slice(0, 80) });
  }
  for (const m of code.matchAll(ANY_REQUIRE)) {
    const arg = (m[1] as string).trim();
    if (/^(?:require\(|path\s*\.|(?:resolve|join)\s*\(\s*__dirname)/.test(arg)) continue;
    result.dynamic.push({ line: lineAt(m.index ?? 0), text: `require(${arg.slice(0, 60)})` });
  }
  return result;
}
