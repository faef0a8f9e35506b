import type { Finding } from '../finding.js';
import type { CheckContext } from './context.js';

/** The harmless character devices a jail may hold, by number (a name proves nothing): null, zero, full, random, urandom, tty. */
const HARMLESS = new Set(['1,3', '1,5', '1,7', '1,8', '1,9', '5,0']);

/** Any other device node opens hardware or kernel memory to the jail: disks, /dev/mem, terminals of others. */
export function checkDevices(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const e of ctx.inv.entries) {
    if (e.kind !== 'char' && e.kind !== 'block') continue;
    const numbers = `${e.major ?? 0},${e.minor ?? 0}`;
    if (e.kind === 'char' && HARMLESS.has(numbers)) continue;
    out.push({ rule: 'device-node', severity: 'high', path: e.path, message: `${e.path}: a ${e.kind === 'char' ? 'character' : 'block'} device ${numbers}, not one of null, zero, full, random, urandom, tty` });
  }
  return out;
}
