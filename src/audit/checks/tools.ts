import { JailError } from '../../errors.js';
import { basenameInside } from '../../rootfs/inside-path.js';
import type { Finding } from '../finding.js';
import { type CheckContext, isExecutable } from './context.js';

/** Tools that give whoever gets code running in the jail far more than the service needs. */
const TOOLS: Array<[RegExp, string]> = [
  [/^(strace|ltrace|gdb|gdbserver)$/, 'a tracer or debugger: reads and changes other processes'],
  [/^(?:[a-z0-9_]+-linux-gnu[a-z0-9_]*-)?(gcc|g\+\+|cc|c\+\+|clang|clang\+\+|tcc|ld|ld\.bfd|ld\.gold|ld\.lld)(-[0-9.]+)?$/, 'a compiler or linker: builds new programs inside the jail'],
  [/^(apt|apt-get|dpkg|rpm|yum|dnf|pip[0-9.]*)$/, 'a package manager: installs software'],
  [/^(bash|zsh|ksh|ksh93|mksh|pdksh|csh|tcsh|fish)$/, 'a shell besides /bin/sh'],
  [/^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*)$/, 'a general-purpose interpreter'],
  [/^(nc|netcat|ncat|nc\.openbsd|nc\.traditional|socat)$/, 'a network relay: opens connections and listeners at will'],
];

/** Programs by name (the real file's, so a link does not count twice); /bin/sh's own shell is expected. */
export function checkTools(ctx: CheckContext): Finding[] {
  let shell: string | undefined;
  try {
    const sh = ctx.inv.fs.lookup('/bin/sh');
    if (sh.kind === 'file') shell = sh.path;
  } catch (err) {
    if (!(err instanceof JailError)) throw err;
  }
  const out: Finding[] = [];
  for (const e of ctx.inv.entries) {
    if (!isExecutable(e) || e.path === shell) continue;
    const name = basenameInside(e.path);
    const hit = TOOLS.find(([re]) => re.test(name));
    if (hit) out.push({ rule: 'powerful-tool', severity: 'medium', path: e.path, message: `${e.path}: ${hit[1]}` });
  }
  return out;
}
