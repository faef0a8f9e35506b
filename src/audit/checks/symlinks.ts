import { JailError } from '../../errors.js';
import type { Finding } from '../finding.js';
import type { CheckContext } from './context.js';

/** Links that lead nowhere inside the jail (absolute targets are taken inside it, as chroot does). */
export function checkSymlinks(ctx: CheckContext): Finding[] {
  const out: Finding[] = [];
  for (const e of ctx.inv.entries) {
    if (e.kind !== 'symlink') continue;
    try {
      if (ctx.inv.fs.lookup(e.path).kind === 'missing') {
        out.push({ rule: 'symlink-dangling', severity: 'medium', path: e.path, message: `${e.path} -> ${e.target}: leads to nothing inside the jail` });
      }
    } catch (err) {
      if (!(err instanceof JailError)) throw err;
      out.push({ rule: 'symlink-loop', severity: 'medium', path: e.path, message: `${e.path} -> ${e.target}: ${err.message}` });
    }
  }
  return out;
}
