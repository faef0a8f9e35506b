import type { DblQuoted, Lit, Node, ParamExp, SglQuoted, Word, WordPart } from 'mvdan-sh';
import { nodeType } from './shell-parse.js';

/** A word with an unquoted parameter or command expansion in it: the shell splits its value into fields. */
export function isUnquotedExpansion(w: Word): boolean {
  return w.Parts.some((p) => {
    const t = nodeType(p);
    return t === 'ParamExp' || t === 'CmdSubst';
  });
}

/** Removes the backslashes of an unquoted literal (any character) or a double-quoted one ($ ` " \ only). */
export function unescape(lit: string, quoted: boolean): string {
  if (!lit.includes('\\')) return lit;
  return quoted ? lit.replace(/\\([$`"\\\n])/g, '$1') : lit.replace(/\\\n/g, '').replace(/\\([\s\S])/g, '$1');
}

export function lineOf(node: Node | null): number {
  try {
    return node ? node.Pos().Line() : 0;
  } catch {
    return 0;
  }
}

/** The source text of a word, for messages: literal parts as written, expansions as $NAME or $(...). */
export function wordText(w: Word | null): string {
  if (!w) return '?';
  const text = (p: WordPart): string => {
    switch (nodeType(p)) {
      case 'Lit':
        return (p as Lit).Value;
      case 'SglQuoted':
        return `'${(p as SglQuoted).Value}'`;
      case 'DblQuoted':
        return `"${(p as DblQuoted).Parts.map(text).join('')}"`;
      case 'ParamExp':
        return `$${(p as ParamExp).Param?.Value ?? '?'}`;
      case 'CmdSubst':
        return '$(...)';
      default:
        return '?';
    }
  };
  return w.Parts.map(text).join('');
}
