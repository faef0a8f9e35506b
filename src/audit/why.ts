import { JailError } from '../errors.js';
import { joinInside } from '../rootfs/inside-path.js';
import type { RootFs } from '../rootfs/rootfs.js';

export interface WhyAnswer {
  path: string;
  /** True when the manifest or profile accounts for the path. */
  known: boolean;
  /** One line per step, from the path back to the profile line that asked for it. */
  chain: string[];
}

/** The phrases reasons use to name the path that brought an entry in (see plan/build-plan.ts, resolve/). */
const REFERENCE = /(?:needed by|dlopened by|folder of|interpreter of|link on the way to|run by|read by|run by env in the #! line of) (\/[^\s,()]+)/;

/**
 * The chain that brought `path` into the jail: its first reason, then the first reason of the entry
 * that reason names (the program that needs a library, the file a folder holds, ...), and so on back
 * to a profile line. Paths are taken through the jail's links when the reasons name them by a link.
 */
export function whyChain(path: string, reasons: Map<string, string[]>, jail: RootFs): WhyAnswer {
  const asked = joinInside('/', path);
  const chain: string[] = [];
  const real = (p: string): string => {
    if (reasons.has(p)) return p;
    try {
      const found = jail.lookup(p);
      if (found.kind !== 'missing' && found.path !== p) {
        chain.push(`${p} is ${found.path} (through ${found.links.map((l) => `${l.path} -> ${l.target}`).join(', ')})`);
        return found.path;
      }
    } catch (err) {
      if (!(err instanceof JailError)) throw err;
    }
    return p;
  };
  let at: string | undefined = real(asked);
  const known = reasons.has(at);
  const visited = new Set<string>();
  while (at !== undefined && !visited.has(at)) {
    visited.add(at);
    const list = reasons.get(at);
    if (!list || list.length === 0) {
      if (at === asked || chain.length === 0) chain.push(`${at}: not accounted for by the manifest or profile`);
      break;
    }
    chain.push(`${at}: ${list[0]}`);
    for (const other of list.slice(1)) chain.push(`${' '.repeat(at.length)}  also: ${other}`);
    const next = REFERENCE.exec(list[0] as string)?.[1];
    at = next === undefined ? undefined : real(joinInside('/', next));
  }
  return { path: asked, known, chain };
}
