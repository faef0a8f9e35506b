import { JailError } from '../errors.js';

/** A change to permission bits: chmod's symbolic language (`g=u-w,o-rwx`), an octal mode, or `keep`. */
export type ModeChange = (mode: number, isDirectory: boolean) => number;

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007, a: 0o7777 };
const SHIFT: Record<string, number> = { u: 6, g: 3, o: 0 };

/**
 * Parses a chmod-style mode change. Supported: clauses `[ugoa]*(OP PERMS)+` separated by commas, OP one
 * of + - =, PERMS letters of rwxXst or one of u g o (copy that class's current bits); or octal (`0750`).
 */
export function parseModeChange(spec: string, where = 'permissions.mode'): ModeChange {
  if (spec === 'keep') return (m) => m;
  if (/^0?[0-7]{3,4}$/.test(spec)) {
    const fixed = parseInt(spec, 8);
    return () => fixed;
  }
  const clauses = spec.split(',').map((clause) => {
    const m = /^([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)$/.exec(clause);
    if (!m) throw new JailError('INPUT', `${where}: "${spec}" is not a mode change (expected e.g. g=u-w,o-rwx or 0750)`, { field: where });
    const who = (m[1] || 'a').split('');
    const ops = [...(m[2] as string).matchAll(/([-+=])([ugo]|[rwxXst]*)/g)].map((x) => ({ op: x[1] as string, perms: x[2] as string }));
    return { who, ops };
  });
  // The answer depends only on the permission bits and whether it is a folder: a jail's thousands of
  // entries have a handful of modes, each worked out once.
  const answers = new Map<number, number>();
  return (mode, isDirectory) => {
    const key = (mode & 0o7777) * 2 + (isDirectory ? 1 : 0);
    let answer = answers.get(key);
    if (answer === undefined) {
      answer = change(mode, isDirectory);
      answers.set(key, answer);
    }
    return answer;
  };

  function change(mode: number, isDirectory: boolean): number {
    let cur = mode & 0o7777;
    for (const { who, ops } of clauses) {
      const mask = who.reduce((acc, w) => acc | (WHO[w] as number), 0);
      for (const { op, perms } of ops) {
        let bits = 0;
        if (perms === 'u' || perms === 'g' || perms === 'o') {
          const src = (cur >> (SHIFT[perms] as number)) & 7;
          for (const w of who) if (w !== 'a') bits |= src << (SHIFT[w] as number);
          if (who.includes('a')) bits |= (src << 6) | (src << 3) | src;
        } else {
          for (const p of perms) {
            const rwx = p === 'r' ? 4 : p === 'w' ? 2 : p === 'x' || (p === 'X' && (isDirectory || (cur & 0o111) !== 0)) ? 1 : 0;
            if (rwx) bits |= ((rwx << 6) | (rwx << 3) | rwx) & mask & 0o777;
            if (p === 's') bits |= mask & 0o6000;
            if (p === 't') bits |= 0o1000;
          }
        }
        bits &= mask;
        if (op === '+') cur |= bits;
        else if (op === '-') cur &= ~bits;
        else cur = (cur & ~(mask & (perms === 't' ? 0o1777 : 0o777 | (mask & 0o6000)))) | bits;
      }
    }
    return cur;
  }
}
