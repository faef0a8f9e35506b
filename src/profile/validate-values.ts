import type { GroupSpec, IdValue, Located, UserSpec } from './profile-types.js';

/**
 * Checks of account values after ${VARIABLES} are substituted: the schema sees only the raw text,
 * and a variable (from --set, an extends parent, a profile in the search path) can hold anything.
 * Every value ends up in a line of /etc/passwd or /etc/group, whose fields are split on ':' and whose
 * records are split on newlines: one stray character adds an account or shifts the fields.
 */

/** shadow-utils' default NAME_REGEX (useradd, groupadd): `[a-z_][a-z0-9_-]*[$]?`. */
const ACCOUNT_NAME = /^[a-z_][a-z0-9_-]*\$?$/;
/** useradd's limit on Linux (and groupadd's). */
export const ACCOUNT_NAME_MAX = 32;
/** C0 controls, DEL and C1 controls: none belongs in an account field (nor in a config line). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Why `name` is not a user or group name useradd would accept, or null when it is one. */
export function accountNameProblem(name: string): string | null {
  if (name.length > ACCOUNT_NAME_MAX) return `${JSON.stringify(name)} is longer than ${ACCOUNT_NAME_MAX} characters`;
  if (!ACCOUNT_NAME.test(name)) return `${JSON.stringify(name)} is not a name useradd accepts (lower-case letters, digits, '_' and '-', starting with a letter or '_', optionally ending in '$')`;
  return null;
}

/** Why a home folder or login shell cannot be written into /etc/passwd, or null. */
function accountPathProblem(value: string): string | null {
  if (!value.startsWith('/')) return `${JSON.stringify(value)} is not an absolute path`;
  if (value.includes(':')) return `${JSON.stringify(value)} holds ':', the /etc/passwd field separator`;
  if (CONTROL_CHARACTER.test(value)) return `${JSON.stringify(value)} holds a control character (a newline starts another account)`;
  return null;
}

function gecosProblem(value: string): string | null {
  if (value.includes(':')) return `${JSON.stringify(value)} holds ':', the /etc/passwd field separator`;
  if (CONTROL_CHARACTER.test(value)) return `${JSON.stringify(value)} holds a control character (a newline starts another account)`;
  return null;
}

function idProblem(value: IdValue): string | null {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(n) && n >= 0 && n <= 0xffffffff ? null : `${JSON.stringify(value)} is not a numeric id`;
}

/** One refused value: the profile file, the JSON pointer of the field, and why. */
export interface ValueProblem {
  file: string;
  pointer: string;
  message: string;
}

/**
 * Every problem with a profile's users and groups as written to the jail: names as useradd accepts
 * them, numeric ids, absolute home and shell without ':' or control characters, gecos without them,
 * member names; no name twice (root is always there) and no second uid 0.
 */
export function accountProblems(users: Located<UserSpec>[], groups: Located<GroupSpec>[]): ValueProblem[] {
  const out: ValueProblem[] = [];
  const add = (origin: { file: string; pointer: string }, field: string, message: string | null): void => {
    if (message !== null) out.push({ file: origin.file, pointer: `${origin.pointer}/${field}`, message });
  };
  const userNames = new Set(['root']);
  for (const u of users) {
    add(u.origin, 'name', accountNameProblem(u.name));
    add(u.origin, 'uid', idProblem(u.uid));
    add(u.origin, 'gid', idProblem(u.gid));
    if (u.home !== undefined) add(u.origin, 'home', accountPathProblem(u.home));
    if (u.shell !== undefined) add(u.origin, 'shell', accountPathProblem(u.shell));
    if (u.gecos !== undefined) add(u.origin, 'gecos', gecosProblem(u.gecos));
    // uid 0 is root's: a second account with it is root under another name.
    if (idProblem(u.uid) === null && Number(u.uid) === 0) add(u.origin, 'uid', `0 is root's uid; a second uid 0 account is root under another name`);
    if (userNames.has(u.name)) add(u.origin, 'name', `${JSON.stringify(u.name)} is already an account of the jail${u.name === 'root' ? ' (root is always there)' : ''}`);
    userNames.add(u.name);
  }
  const groupNames = new Set(['root']);
  for (const g of groups) {
    add(g.origin, 'name', accountNameProblem(g.name));
    add(g.origin, 'gid', idProblem(g.gid));
    (g.members ?? []).forEach((m, i) => add(g.origin, `members/${i}`, accountNameProblem(m)));
    if (groupNames.has(g.name)) add(g.origin, 'name', `${JSON.stringify(g.name)} is already a group of the jail${g.name === 'root' ? ' (root is always there)' : ''}`);
    groupNames.add(g.name);
  }
  return out;
}
