import { JailError } from '../errors.js';
import { describeReason, PHRASES, type Phrases, type Reason } from '../model/reason.js';
import { joinInside } from '../rootfs/inside-path.js';
import type { SourceRoot } from '../rootfs/source-root.js';

/** One step of a chain: an entry, why it is there (its first reason, then the others), or how a link leads to it. */
export type WhyStep = { path: string; reasons: Reason[] } | { path: string; through: { path: string; target: string }[]; is: string } | { path: string; unknown: true };

export interface WhyAnswer {
  path: string;
  /** True when the manifest or profile accounts for the path. */
  known: boolean;
  /** The steps as data: from the path back to the profile line that asked for it. */
  steps: WhyStep[];
  /** The same, one line per step, as people read it. */
  chain: string[];
  /** The Debian packages of the source root that own the file, when its database says. */
  packages?: string[];
}

/**
 * The chain that brought `path` into the jail: the entry's reasons, then the reasons of the entry its
 * first reason comes from (the program that needs a library, the file a folder holds, ...), and so on
 * back to a profile line. Paths named through the jail's links are taken through them. The walk
 * follows `from` fields only: the wording of reasons plays no part in it.
 */
export function whyChain(path: string, reasons: Map<string, Reason[]>, jail: SourceRoot, phrases: Phrases = PHRASES): WhyAnswer {
  const asked = joinInside('/', path);
  const steps: WhyStep[] = [];
  const real = (p: string): string => {
    if (reasons.has(p)) return p;
    try {
      const found = jail.lookup(p);
      if (found.kind !== 'missing' && found.path !== p) {
        steps.push({ path: p, through: found.links.map((l) => ({ path: l.path, target: l.target })), is: found.path });
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
      if (at === asked || steps.length === 0) steps.push({ path: at, unknown: true });
      break;
    }
    steps.push({ path: at, reasons: list });
    const next = (list[0] as Reason).from;
    at = next === undefined ? undefined : real(joinInside('/', next));
  }
  return { path: asked, known, steps, chain: renderSteps(steps, phrases) };
}

/** The steps as text: `PATH: reason`, `also: other reason`, `PATH is REAL (through LINK -> TARGET)`. */
export function renderSteps(steps: WhyStep[], phrases: Phrases = PHRASES): string[] {
  const lines: string[] = [];
  for (const step of steps) {
    if ('unknown' in step) lines.push(`${step.path}: not accounted for by the manifest or profile`);
    else if ('is' in step) lines.push(`${step.path} is ${step.is} (through ${step.through.map((l) => `${l.path} -> ${l.target}`).join(', ')})`);
    else {
      const [first, ...others] = step.reasons;
      lines.push(`${step.path}: ${describeReason(first as Reason, phrases)}`);
      for (const other of others) lines.push(`${' '.repeat(step.path.length)}  also: ${describeReason(other, phrases)}`);
    }
  }
  return lines;
}
