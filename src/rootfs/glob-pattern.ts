/**
 * A glob pattern (glob(3), and the shell's `${v%pattern}`) as the body of a RegExp, without anchors:
 * `*` and `?` match `anyChar` (a path component's `[^/]`, or any character for the shell), `[...]`
 * and `[!...]` are classes, a backslash quotes the next character, everything else is literal.
 */
export function globToRegExpSource(pattern: string, anyChar: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*') out += `${anyChar}*`;
    else if (c === '?') out += anyChar;
    else if (c === '\\' && i + 1 < pattern.length) out += escapeLiteral(pattern[++i] as string);
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) out += '\\[';
      else {
        let body = pattern.slice(i + 1, close);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        out += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else out += escapeLiteral(c);
  }
  return out;
}

function escapeLiteral(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
