/**
 * The modules a Perl file loads, found statically as Module::ScanDeps does at its simplest: `use
 * Module`, `no Module`, `require Module`, `require "Some/File.pm"`, the parents of `use parent` and
 * `use base`, the module of `use if COND, Module`, and `use lib` folders. POD and everything after
 * `__END__` or `__DATA__` are skipped. Written here: no npm package reads Perl.
 */
import { NAMED_FILE } from './python-imports.js';

export interface PerlUse {
  /** A module name (`Digest::SHA`) or, for `require "file"`, the file as written. */
  module: string;
  /** True when `module` is a file name (`require "Config_heavy.pl"`). */
  file?: boolean;
  line: number;
}

export interface PerlUses {
  uses: PerlUse[];
  /** Folders `use lib` adds to the search path, literal ones only. */
  libs: string[];
  /** `require $name` and its kind: which module it loads is known only at run time. */
  dynamic: Array<{ line: number; text: string }>;
  /**
   * `require Dpkg::Vendor::$name` or `require "Dpkg/Vendor/$name.pm"`: a module named at run time whose
   * folder is written out (`Dpkg/Vendor`): any module of that folder may be the one (as webpack's
   * context modules and vercel's nft treat `require('./locale/' + x)`).
   */
  families: Array<{ line: number; folder: string; text: string }>;
  /**
   * Programs the file runs by a name written out: the first word of a backtick or `qx` command, of
   * `system`/`exec` with a literal string, or of a piped `open` (`"cmd |"`, `'-|', 'cmd'`). Shell
   * words (`cd`, `exec`, `test`...) and names holding `$` or `@` are left out.
   */
  commands: Array<{ line: number; name: string }>;
  /** Quoted strings that are absolute paths under /usr: data the file may read. */
  named: Array<{ line: number; path: string }>;
  /** The file names perl's own diagnostics text (`pod/perldiag.pod`, read by diagnostics.pm and splain). */
  perldiag: boolean;
  /** The file loads compiled code of its own (XSLoader::load, bootstrap): its auto/.../NAME.so. */
  xs: boolean;
  /** The file uses AutoLoader/SelfLoader: its auto/.../ folder holds subroutines split out. */
  autoload: boolean;
}

const MODULE = /^[A-Za-z_]\w*(?:::\w+)*$/;
/** A command word: a plain name or an absolute path, no variables. */
const COMMAND_WORD = /^(?:\/[\w.+-]+)+$|^[A-Za-z_][\w.+-]*$/;
/** Shell words that are not programs (when perl hands the string to /bin/sh). */
const SHELL_WORDS = new Set(['cd', 'exec', 'eval', 'exit', 'export', 'set', 'test', 'true', 'false', 'echo', 'printf', 'read', 'umask', 'ulimit', 'unset', 'if', 'for', 'while', 'case', 'trap', 'wait', 'command', 'type', 'kill']);
/** `Dpkg::Vendor::$name`: the folder's module name, then one variable. */
const FAMILY_NAME = /^([A-Za-z_]\w*(?:::\w+)*)::\$\w+$/;
/** `"Dpkg/Vendor/$name.pm"` (double quotes: single ones do not interpolate): the folder, one variable, `.pm`. */
const FAMILY_FILE = /^(")([A-Za-z_]\w*(?:\/\w+)*)\/\$\w+\.pm"$/;

/** Words of a `qw(...)` list or quoted strings, as written after `use parent` / `use base`. */
function listedNames(text: string): string[] {
  const qw = /\bqw\s*(?:\(([^)]*)\)|\[([^\]]*)\]|\{([^}]*)\}|<([^>]*)>|\/([^/]*)\/|\|([^|]*)\||!([^!]*)!)/.exec(text);
  if (qw) return (qw.slice(1).find((g) => g !== undefined) ?? '').split(/\s+/).filter(Boolean);
  return [...text.matchAll(/['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
}

/** The source without POD, comments (roughly: `#` outside quotes) and what follows __END__/__DATA__, line by line. */
function codeLines(source: string): string[] {
  const lines = source.split('\n');
  const out: string[] = [];
  let pod = false;
  for (const raw of lines) {
    if (pod) {
      out.push('');
      if (/^=cut\b/.test(raw)) pod = false;
      continue;
    }
    if (/^=[a-zA-Z]/.test(raw)) {
      pod = !/^=cut\b/.test(raw);
      out.push('');
      continue;
    }
    if (/^__(END|DATA)__\b/.test(raw)) break;
    // Cut a comment: a # that is not inside quotes on this line (good enough for use/require lines).
    let inQuote: string | undefined;
    let cut = raw.length;
    for (let i = 0; i < raw.length; i++) {
      const c = raw[i];
      if (inQuote) {
        if (c === '\\') i++;
        else if (c === inQuote) inQuote = undefined;
      } else if (c === '"' || c === "'") inQuote = c;
      else if (c === '#' && (i === 0 || raw[i - 1] !== '$')) {
        cut = i;
        break;
      }
    }
    out.push(raw.slice(0, cut));
  }
  return out;
}

// The patterns each line of code is read with: global, kept here (a literal inside the loop is a new
// object on every line).

/** A quoted absolute path under /usr. */
const USR_STRING = /(['"])(\/usr\/[^'"$@\s]+)\1/g;
/** `$dir = '/some/folder';` */
const SCALAR_FOLDER = /\$(\w+)\s*=\s*(['"])(\/[^'"$@\s]*)\2\s*;/g;
/** `File::Spec->catfile(FOLDER, 'name', ...)`, FOLDER a literal or a scalar. */
const CATFILE = /\bFile::Spec->catfile\s*\(\s*(?:(['"])(\/[^'"$@\s]*)\1|\$(\w+))((?:\s*,\s*(['"])[\w.+@-]+\5)+)\s*\)/g;
/** `unshift(@INC, FOLDER)` / `push(@INC, FOLDER)`. */
const INC_FOLDER = /\b(?:unshift|push)\s*\(?\s*@INC\s*,\s*(?:(['"])(\/[^'"$@\s]*)\1|\$(\w+))\s*\)?\s*;/g;
/** A backtick command where an expression starts: its first word. */
const BACKTICK = /(?:^|[=(,;{!]|\breturn|\bif|\bunless|\band|\bor)\s*`\s*([^\s`'"|;&<>]+)/g;
/** `qx{cmd ...}` and its other delimiters: the first word. */
const QX = /\bqx\s*(?:[{(|!]\s*([^\s})|!'"]+)|\/\s*([^\s/'"]+))/g;
/** `system('cmd ...')` / `exec "cmd"`: the first word. */
const SYSTEM = /\b(?:system|exec)\s*\(?\s*(['"])\s*([^\s'"]+)/g;
/** `open(FH, '| cmd')`: the first word. */
const OPEN_PIPE_TO = /\bopen\s*\(?[^,;]*,\s*(['"])\s*\|\s*([^\s'"]+)/g;
/** `open(FH, 'cmd |')`: the first word. */
const OPEN_PIPE_FROM = /\bopen\s*\(?[^,;]*,\s*(['"])\s*([^\s'"|]+)[^'"]*\|\s*\1/g;
/** `open(FH, '-|', 'cmd', ...)`: the program. */
const OPEN_LIST = /\bopen\s*\(?[^,;]*,\s*(['"])-\|\1\s*,\s*(['"])([^\s'"]+)/g;
/** `use Module LIST` / `no Module` where a statement starts. */
const USE_NO = /(?:^\s*|[;{}]\s*|\bBEGIN\s*\{\s*)(use|no)\s+([A-Za-z_][\w:]*)([^;]*)/g;
/** `require WHAT` up to the statement's end. */
const REQUIRE = /\brequire\s+([^;}]+?)\s*(?:;|\}|$|\bor\b|\bif\b|\bunless\b)/g;

const NO_MATCHES: readonly RegExpMatchArray[] = [];

/**
 * `text.matchAll(pattern)`, or nothing at once when the pattern matches nowhere in the line (test()
 * makes no copy). matchAll copies its pattern and makes an iterator on each call, and most lines
 * match none of a dozen patterns: that was 32 MB of garbage for pg_createcluster's modules.
 */
function matches(text: string, pattern: RegExp): Iterable<RegExpMatchArray> {
  pattern.lastIndex = 0;
  const any = pattern.test(text);
  pattern.lastIndex = 0;
  return any ? text.matchAll(pattern) : NO_MATCHES;
}

/** The modules a Perl file loads (see the module's comment). */
export function scanPerlUses(source: string): PerlUses {
  const lines = codeLines(source);
  const result: PerlUses = { uses: [], libs: [], dynamic: [], families: [], commands: [], named: [], perldiag: /\bpods?\/perldiag\.pod\b/.test(source), xs: false, autoload: false };
  // `$dir = '/usr/lib/groff/gpinyin';` then `unshift(@INC, $dir)`: scalars given one literal folder.
  const folders = new Map<string, string>();
  const command = (word: string | undefined, line: number): void => {
    if (word !== undefined && COMMAND_WORD.test(word) && !SHELL_WORDS.has(word)) result.commands.push({ line, name: word });
  };
  lines.forEach((text, index) => {
    const line = index + 1;
    for (const m of matches(text, USR_STRING)) if (NAMED_FILE.test(m[2] as string)) result.named.push({ line, path: m[2] as string });
    for (const m of matches(text, SCALAR_FOLDER)) folders.set(m[1] as string, m[3] as string);
    // `File::Spec->catfile($libdir, 'split_env.sh')` with $libdir given one literal folder (groffer).
    for (const m of matches(text, CATFILE)) {
      const dir = m[2] ?? folders.get(m[3] as string);
      const parts = [...(m[4] as string).matchAll(/(['"])([\w.+@-]+)\1/g)].map((p) => p[2] as string);
      const path = dir === undefined ? undefined : [dir.replace(/\/+$/, ''), ...parts].join('/');
      if (path !== undefined && NAMED_FILE.test(path) && !path.split('/').includes('..')) result.named.push({ line, path });
    }
    for (const m of matches(text, INC_FOLDER)) {
      const dir = m[2] ?? folders.get(m[3] as string);
      if (dir !== undefined) result.libs.push(dir);
    }
    // `cmd args`, qx{cmd}, where the backtick opens an expression (not a `quote' inside a message).
    for (const m of matches(text, BACKTICK)) command(m[1], line);
    for (const m of matches(text, QX)) command(m[1] ?? m[2], line);
    for (const m of matches(text, SYSTEM)) command(m[2], line);
    for (const m of matches(text, OPEN_PIPE_TO)) command(m[2], line);
    for (const m of matches(text, OPEN_PIPE_FROM)) command(m[2], line);
    for (const m of matches(text, OPEN_LIST)) command(m[3], line);
    if (/\bXSLoader::load\b|\bbootstrap\s+[\w:]+|->bootstrap\b|\bDynaLoader\b/.test(text)) result.xs = true;
    if (/\b(AutoLoader|SelfLoader)\b/.test(text)) result.autoload = true;
    // perl loads File::Glob itself for the glob operator (`glob(...)`, `<*.c>`).
    // The first class cannot hold * or ?, so the pattern never backtracks (a line of "<****" is linear).
    if (/\bglob\s*[("'$]|<[^<>\s*?]*[*?][^<>]*>/.test(text)) result.uses.push({ module: 'File::Glob', line });
    for (const m of matches(text, USE_NO)) {
      const name = m[2] as string;
      const rest = m[3] ?? '';
      if (name === 'lib') {
        for (const dir of listedNames(rest)) if (dir.startsWith('/')) result.libs.push(dir);
        // lib.pm itself is a module perl loads (in perl-base on Debian).
        result.uses.push({ module: 'lib', line });
        continue;
      }
      if (name === 'parent' || name === 'base') {
        if (name === 'parent') result.uses.push({ module: 'parent', line });
        else result.uses.push({ module: 'base', line });
        if (/-norequire/.test(rest)) continue;
        for (const parent of listedNames(rest)) if (MODULE.test(parent)) result.uses.push({ module: parent, line });
        continue;
      }
      if (name === 'if') {
        result.uses.push({ module: 'if', line });
        const target = /,\s*['"]?([A-Za-z_][\w:]*)['"]?/.exec(rest);
        if (target && MODULE.test(target[1] as string)) result.uses.push({ module: target[1] as string, line });
        continue;
      }
      if (/^v?\d/.test(name)) continue; // use 5.010; use v5.36
      result.uses.push({ module: name, line });
    }
    for (const m of matches(text, REQUIRE)) {
      const arg = (m[1] as string).trim();
      if (/^v?\d[\d._]*$/.test(arg)) continue; // require 5.006
      const quoted = /^(['"])([^'"$@]+)\1$/.exec(arg);
      if (quoted) result.uses.push({ module: quoted[2] as string, file: true, line });
      else if (MODULE.test(arg)) result.uses.push({ module: arg, line });
      else if (FAMILY_NAME.test(arg)) result.families.push({ line, folder: (FAMILY_NAME.exec(arg)?.[1] as string).split('::').join('/'), text: `require ${arg.slice(0, 60)}` });
      else if (FAMILY_FILE.test(arg)) result.families.push({ line, folder: FAMILY_FILE.exec(arg)?.[2] as string, text: `require ${arg.slice(0, 60)}` });
      else result.dynamic.push({ line, text: `require ${arg.slice(0, 60)}` });
    }
  });
  return result;
}

/** `Digest::SHA` → `Digest/SHA.pm`. */
export function perlModuleFile(module: string): string {
  return `${module.split('::').join('/')}.pm`;
}
