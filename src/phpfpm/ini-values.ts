import { CONTROL_CHARACTER } from '../profile/validate-values.js';

/**
 * What may be written into a php-fpm pool file. php-fpm reads it one '\n'-ended line at a time and
 * hands each line to PHP's INI scanner (normal mode), which also ends a line at '\r', starts a
 * comment at ';', a section at '[', expands `${VAR}` (from the environment), reads `= | & ^ ~ ! ( )`
 * and quotes as syntax, and turns bare words into constants (`PHP_OS`) or booleans (`no` is "").
 * php-fpm then expands `$pool` in some values. So a value is written only when it is made of
 * characters none of those rules touch; nothing here escapes its way around a newline.
 */

/** Pool names: the section name, also part of the default socket name. */
const POOL_NAME = /^[A-Za-z0-9_.-]+$/;
/** Absolute paths of the characters the scanner takes as plain text in a value. */
const INI_PATH = /^\/[A-Za-z0-9._+@/-]*$/;
const OCTAL_MODE = /^0?[0-7]{3}$/;
const PATH_CHARACTERS = 'letters, digits and . _ + @ - /';

/** Why `name` cannot be a pool's `[section]`, or null. */
export function poolNameProblem(name: string): string | null {
  if (!POOL_NAME.test(name)) return `${JSON.stringify(name)} is not a pool name (letters, digits, '_', '.' and '-')`;
  // [global] is php-fpm's own section: the pool's settings would land there.
  if (name.toLowerCase() === 'global') return `${JSON.stringify(name)} is php-fpm's global section, not a pool`;
  return null;
}

/** Why `value` cannot be written as an absolute path in a pool file, or null. */
export function iniPathProblem(value: string): string | null {
  if (!value.startsWith('/')) return `${JSON.stringify(value)} is not an absolute path`;
  if (!INI_PATH.test(value)) return `${JSON.stringify(value)} holds a character php-fpm's configuration syntax may read as more than a path (allowed: ${PATH_CHARACTERS})`;
  return null;
}

/** Why `value` cannot be written as a PATH (absolute folders joined by ':') in a pool file, or null. */
export function iniPathListProblem(value: string): string | null {
  const bad = value.split(':').find((dir) => iniPathProblem(dir) !== null);
  if (bad === undefined) return null;
  return `${JSON.stringify(value)} is not a list of absolute folders joined by ':': ${iniPathProblem(bad)}`;
}

/** Why `mode` is not an octal socket mode such as 0660, or null. */
export function octalModeProblem(mode: string): string | null {
  return OCTAL_MODE.test(mode) ? null : `${JSON.stringify(mode)} is not an octal mode such as 0660`;
}

/** Why `n` is not a whole number from 1 up, or null. */
export function countProblem(n: number): string | null {
  return Number.isSafeInteger(n) && n >= 1 ? null : `${JSON.stringify(n)} is not a whole number from 1 up`;
}

/** Why `text` cannot follow ';' on a comment line (a '\r' or '\n' would end the comment), or null. */
export function commentProblem(text: string): string | null {
  return CONTROL_CHARACTER.test(text) ? `${JSON.stringify(text)} holds a control character, which would end the comment line` : null;
}

/**
 * A checked name in double quotes: quoted, `no`, `none` or `null` stay names instead of becoming ""
 * and `PHP_OS` stays a name instead of "Linux". Only for values a name check has passed: they hold
 * no '"', '\' or '${', the only things a quoted INI string gives a meaning to.
 */
export function quotedName(name: string): string {
  return `"${name}"`;
}
