import type { Diagnostic } from '../errors.js';
import { printable } from '../errors.js';
import type { JailEntry } from '../model/jail-entry.js';
import { describeProfileLine } from '../model/reason.js';
import type { Profile } from '../profile/profile-types.js';
import { splitInside } from '../rootfs/inside-path.js';

/** As the kernel: at most this many links in one lookup. */
const MAX_HOPS = 40;
/** Path parts one lookup may walk through, links included (PATH_MAX's worth): past it, it is a loop. */
const MAX_PARTS = 4096;
/** Links shown per warning; the rest are counted. */
const SHOWN = 3;

/**
 * Links in the plan that lead nowhere inside the jail (absolute targets taken inside it, as chroot
 * does): a folder copied whole whose links point outside it (`language.dat -> /var/lib/texmf/...`)
 * builds, and the program fails at run time when it follows one. Paths below a mount point, `/proc`
 * and `/tmp` are filled at run time and count as present. One warning (LINK_DANGLING) per profile
 * line that brought such links, with how many and the first few; `jailbuild audit` lists them all.
 */
export function danglingLinks(entries: JailEntry[], profile: Profile): Diagnostic[] {
  const byPath = new Map(entries.map((e) => [e.path, e]));
  const runtime = ['/tmp', ...(profile.proc ? ['/proc'] : []), ...profile.mounts.map((m) => m.target)];
  const filledAtRunTime = (p: string): boolean => runtime.some((r) => p === r || p.startsWith(`${r}/`));
  const groups = new Map<string, string[]>();
  for (const e of entries) {
    if (e.kind !== 'symlink' || e.target === undefined) continue;
    const end = resolveInPlan(e.path, byPath);
    if (end === 'found' || (end !== 'loop' && filledAtRunTime(end))) continue;
    const origin = e.reasons.find((r) => r.origin)?.origin;
    const line = origin ? describeProfileLine(origin) : 'the plan';
    const shown = `${e.path} -> ${printable(e.target, 160)} (${end === 'loop' ? 'a loop of links' : `no ${printable(end, 160)}`})`;
    groups.set(line, [...(groups.get(line) ?? []), shown]);
  }
  return [...groups].map(([line, links]) => ({
    code: 'LINK_DANGLING',
    severity: 'warning',
    path: line,
    message: `${line}: ${links.length} link${links.length === 1 ? ' leads' : 's lead'} to nothing inside the jail: ${links.slice(0, SHOWN).join(', ')}${links.length > SHOWN ? `, and ${links.length - SHOWN} more (jailbuild audit lists them)` : ''}; add what they point to, or leave them if the program never follows them`,
  }));
}

/** 'found', 'loop', or the first path (inside the jail) missing on the way. */
function resolveInPlan(path: string, byPath: Map<string, JailEntry>): 'found' | 'loop' | string {
  // Parts still to walk, last one first (a stack: a link's target goes on top without copying the rest).
  const todo = splitInside(path).reverse();
  let done: string[] = [];
  let hops = 0;
  let walked = 0;
  while (todo.length > 0) {
    if (++walked > MAX_PARTS) return 'loop';
    const part = todo.pop() as string;
    if (part === '..') {
      done.pop();
      continue;
    }
    const here = `/${[...done, part].join('/')}`;
    const e = byPath.get(here);
    if (!e) return here;
    if (e.kind === 'symlink' && e.target !== undefined) {
      if (++hops > MAX_HOPS) return 'loop';
      if (e.target.startsWith('/')) done = [];
      const target = splitInside(e.target);
      if (todo.length + target.length > MAX_PARTS) return 'loop';
      for (let k = target.length - 1; k >= 0; k--) todo.push(target[k] as string);
      continue;
    }
    done.push(part);
  }
  return 'found';
}
